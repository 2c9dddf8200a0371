"""`cgan`: the conditional MLP GAN of seed 004; a label embedding joins the noise and the image."""
from mindspore import nn, ops
from mindspore.common.initializer import Normal

from . import GAN, register_model
from .gan import MLPDiscriminator, MLPGenerator


def _leaky():
    return nn.LeakyReLU(0.2)


def _embedding(num_classes: int, size: int) -> nn.Embedding:
    # PyTorch's nn.Embedding starts from N(0, 1); MindSpore's 'normal' would be N(0, 0.01).
    return nn.Embedding(num_classes, size, embedding_table=Normal(1.0))


class ConditionalGenerator(MLPGenerator):
    """G(z, y): MLP on cat(embedding(y), z), as the tutorial's `torch.cat((label_emb(labels), noise), -1)`."""

    def __init__(self, latent_size, hidden, image_shape, num_classes, embed, **norm):
        super().__init__(latent_size + embed, hidden, image_shape, act=_leaky, norm_from=1, **norm)
        self.label_emb = _embedding(num_classes, embed)

    def construct(self, z, labels):
        x = ops.cat((self.label_emb(labels), z), -1)
        return ops.reshape(self.model(x), (-1,) + self.image_shape)


class ConditionalDiscriminator(MLPDiscriminator):
    """D(x, y): MLP on cat(flattened x, embedding(y)), the tutorial's order."""

    def __init__(self, image_shape, hidden, num_classes, embed, **norm):
        super().__init__(image_shape, hidden, norm_from=1, extra_in=embed, **norm)
        self.label_embedding = _embedding(num_classes, embed)

    def construct(self, x, labels):
        return self.model(ops.cat((ops.reshape(x, (-1, self.n_in)), self.label_embedding(labels)), -1))


@register_model("cgan", config="cgan_mnist.yaml",
                about="conditional MLP GAN, label embedding joined to noise and image (seed 004)")
def build_cgan(cfg: dict) -> GAN:
    args = cfg["model_args"]
    shape = (cfg["channels"], cfg["image_size"], cfg["image_size"])
    classes, embed = cfg["num_classes"], args.get("embed", cfg["num_classes"])
    norm = {"norm_eps": args.get("bn_eps", 1e-5), "norm_momentum": args.get("bn_momentum", 0.9)}
    G = ConditionalGenerator(cfg["latent_size"], args.get("g_hidden", [128, 256, 512, 1024]), shape, classes,
                             embed, **norm)
    D = ConditionalDiscriminator(shape, args.get("d_hidden", [512, 256]), classes, embed, **norm)
    return GAN(G, D, latent_shape=(cfg["latent_size"],), image_shape=shape, conditional=True)
