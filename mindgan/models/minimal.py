"""`minimal`: the smallest GAN of the PyTorch tutorial the minimal-GAN post follows: G 100->256->784,
D 784->256->1, no BatchNorm."""
from . import Arg, GAN, register_model
from .gan import MLPDiscriminator, MLPGenerator


@register_model("minimal", recipe="minimal_mnist.yaml", convolutions=False,
                args={"g_hidden": Arg("ints", [256], 1, "generator hidden layer sizes"),
                      "d_hidden": Arg("ints", [256], 1, "discriminator hidden layer sizes")},
                about="the smallest MLP GAN (100-256-784 / 784-256-1), the minimal PyTorch GAN tutorial")
def build_minimal(cfg: dict, args: dict) -> GAN:
    shape = (cfg["channels"], cfg["image_size"], cfg["image_size"])
    return GAN(MLPGenerator(cfg["latent_size"], args["g_hidden"], shape, norm_from=None),
               MLPDiscriminator(shape, args["d_hidden"], norm_from=None),
               latent_shape=(cfg["latent_size"],), image_shape=shape)
