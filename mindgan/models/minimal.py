"""`minimal`: the smallest GAN (seed 001): G 100->256->784, D 784->256->1, no BatchNorm."""
from . import GAN, register_model
from .gan import MLPDiscriminator, MLPGenerator


@register_model("minimal", config="minimal_mnist.yaml",
                about="the smallest MLP GAN (100-256-784 / 784-256-1), seed 001's PyTorch tutorial")
def build_minimal(cfg: dict) -> GAN:
    shape = (cfg["channels"], cfg["image_size"], cfg["image_size"])
    g_hidden = cfg["model_args"].get("g_hidden", [256])
    d_hidden = cfg["model_args"].get("d_hidden", [256])
    return GAN(MLPGenerator(cfg["latent_size"], g_hidden, shape, norm_from=None),
               MLPDiscriminator(shape, d_hidden, norm_from=None),
               latent_shape=(cfg["latent_size"],), image_shape=shape)
