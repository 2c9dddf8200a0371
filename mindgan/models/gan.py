"""`gan`: the MindSpore tutorial "GAN image generation", layer for layer."""
from mindspore import nn, ops

from . import Arg, GAN, register_model
from .blocks import LeakyReLU, mlp


class MLPGenerator(nn.Cell):
    """latent -> hidden sizes -> C*H*W with Tanh, reshaped to (N, C, H, W)."""

    def __init__(self, latent_size, hidden, image_shape, act=nn.ReLU, norm_from=1, **norm):
        super().__init__()
        self.image_shape = tuple(image_shape)
        n_out = image_shape[0] * image_shape[1] * image_shape[2]
        self.model = mlp([latent_size, *hidden, n_out], act, nn.Tanh, norm_from=norm_from, **norm)

    def construct(self, x):
        return ops.reshape(self.model(x), (-1,) + self.image_shape)


class MLPDiscriminator(nn.Cell):
    """(N, C, H, W) -> flattened -> hidden sizes (LeakyReLU 0.2) -> 1 probability (Sigmoid)."""

    def __init__(self, image_shape, hidden, norm_from=None, extra_in=0, **norm):
        super().__init__()
        self.n_in = image_shape[0] * image_shape[1] * image_shape[2]
        # extra_in: inputs concatenated to the flattened image (a conditional D's label embedding)
        self.model = mlp([self.n_in + extra_in, *hidden, 1], LeakyReLU, nn.Sigmoid,
                         norm_from=norm_from, **norm)

    def construct(self, x):
        return self.model(ops.reshape(x, (-1, self.n_in)))


HIDDEN = {"g_hidden": Arg("ints", [128, 256, 512, 1024], 1, "generator hidden layer sizes"),
          "d_hidden": Arg("ints", [512, 256], 1, "discriminator hidden layer sizes")}


@register_model("gan", recipe="gan_mnist.yaml", args=HIDDEN, convolutions=False,
                about="MLP GAN on MNIST, MindSpore tutorial 'GAN image generation'")
def build_gan(cfg: dict, args: dict) -> GAN:
    shape = (cfg["channels"], cfg["image_size"], cfg["image_size"])
    return GAN(MLPGenerator(cfg["latent_size"], args["g_hidden"], shape), MLPDiscriminator(shape, args["d_hidden"]),
               latent_shape=(cfg["latent_size"],), image_shape=shape)
