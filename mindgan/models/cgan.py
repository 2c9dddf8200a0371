"""`cgan`: the conditional MLP GAN of the CGAN tutorial; a label embedding joins the noise and the image.

Both nets see the label: G draws the digit it is asked for, and D judges "is this a real image *of this
digit*", so a G that ignores the label is caught.
"""
from mindspore import nn, ops
from mindspore.common.initializer import Normal

from . import Arg, GAN, register_model
from .blocks import LeakyReLU
from .gan import MLPDiscriminator, MLPGenerator


def _embedding(num_classes: int, size: int) -> nn.Embedding:
    # PyTorch's nn.Embedding starts from N(0, 1); MindSpore's 'normal' would be N(0, 0.01).
    return nn.Embedding(num_classes, size, embedding_table=Normal(1.0))


class ConditionalGenerator(MLPGenerator):
    """G(z, y): MLP on cat(embedding(y), z), as the tutorial's `torch.cat((label_emb(labels), noise), -1)`."""

    def __init__(self, latent_size, hidden, image_shape, num_classes, embed, **norm):
        super().__init__(latent_size + embed, hidden, image_shape, act=LeakyReLU, norm_from=1, **norm)
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


@register_model("cgan", recipe="cgan_mnist.yaml", conditional=True, data=("mnist",), convolutions=False,
                args={"embed": Arg(int, 10, 1, "label embedding size"),
                      "g_hidden": Arg("ints", [128, 256, 512, 1024], 1, "generator hidden layer sizes"),
                      "d_hidden": Arg("ints", [512, 256], 1, "discriminator hidden layer sizes"),
                      "bn_eps": Arg(float, 1e-5, 0.0, "BatchNorm1d eps"),
                      "bn_momentum": Arg(float, 0.9, 0.0, "BatchNorm1d momentum (MindSpore's: weight of the old statistic)")},
                about="conditional MLP GAN, label embedding joined to noise and image (CGAN tutorial)")
def build_cgan(cfg: dict, args: dict) -> GAN:
    shape = (cfg["channels"], cfg["image_size"], cfg["image_size"])
    classes, embed = cfg["num_classes"], args["embed"]
    norm = {"norm_eps": args["bn_eps"], "norm_momentum": args["bn_momentum"]}
    G = ConditionalGenerator(cfg["latent_size"], args["g_hidden"], shape, classes, embed, **norm)
    D = ConditionalDiscriminator(shape, args["d_hidden"], classes, embed, **norm)
    return GAN(G, D, latent_shape=(cfg["latent_size"],), image_shape=shape)
