"""`convgan`: the Keras convolutional MNIST GAN of the conv-GAN tutorial, with Keras's initialisers.

Keras layers start from Glorot-uniform kernels and zero biases, and Keras convolutions have biases;
MindSpore's Conv2d has none by default, so both are set here to keep the tutorial's starting point.
"""
from mindspore import nn, ops

from ..errors import MindganError
from . import Arg, GAN, register_model
from .blocks import LeakyReLU

KERAS_INIT = {"weight_init": "xavier_uniform", "bias_init": "zeros", "has_bias": True}


class ConvDiscriminator(nn.Cell):
    """(Conv 64 k3 s2 'same', LeakyReLU 0.2, Dropout 0.4) x 2, Flatten, Dense 1, Sigmoid."""

    def __init__(self, channels, image_size, filters=64, dropout=0.4):
        super().__init__()
        side = -(-(-(-image_size // 2)) // 2)  # two 'same' stride-2 convolutions: ceil(ceil(s/2)/2)
        self.model = nn.SequentialCell([
            nn.Conv2d(channels, filters, 3, 2, "same", **KERAS_INIT), LeakyReLU(0.2), nn.Dropout(p=dropout),
            nn.Conv2d(filters, filters, 3, 2, "same", **KERAS_INIT), LeakyReLU(0.2), nn.Dropout(p=dropout),
            nn.Flatten(),
            nn.Dense(filters * side * side, 1, weight_init="xavier_uniform", bias_init="zeros"), nn.Sigmoid()])

    def construct(self, x):
        return self.model(x)


class ConvGenerator(nn.Cell):
    """Dense 128*(s/4)^2, LeakyReLU, reshape, (Conv2dTranspose 128 k4 s2 'same', LeakyReLU) x 2, Conv k7 Sigmoid."""

    def __init__(self, latent_size, channels, image_size, filters=128):
        super().__init__()
        if image_size % 4:
            raise MindganError(f"convgan needs an image_size divisible by 4 (two 2x upsamplings), got {image_size}")
        self.base = (filters, image_size // 4, image_size // 4)
        self.project = nn.SequentialCell([
            nn.Dense(latent_size, filters * self.base[1] * self.base[2], weight_init="xavier_uniform",
                     bias_init="zeros"), LeakyReLU(0.2)])
        self.upsample = nn.SequentialCell([
            nn.Conv2dTranspose(filters, filters, 4, 2, "same", **KERAS_INIT), LeakyReLU(0.2),
            nn.Conv2dTranspose(filters, filters, 4, 2, "same", **KERAS_INIT), LeakyReLU(0.2),
            nn.Conv2d(filters, channels, 7, 1, "same", **KERAS_INIT), nn.Sigmoid()])

    def construct(self, z):
        return self.upsample(ops.reshape(self.project(z), (-1,) + self.base))


@register_model("convgan", recipe="convgan_mnist.yaml", value_range="sigmoid",
                args={"g_filters": Arg(int, 128, 1, "generator filters", max=2048),
                      "d_filters": Arg(int, 64, 1, "discriminator filters", max=2048),
                      "dropout": Arg(float, 0.4, 0.0, "discriminator Dropout probability")},
                about="convolutional GAN on MNIST, images in [0, 1] (the Keras conv-GAN tutorial)")
def build_convgan(cfg: dict, args: dict) -> GAN:
    c, s = cfg["channels"], cfg["image_size"]
    if args["dropout"] >= 1:
        raise MindganError(f"convgan: model_args.dropout must be below 1, got {args['dropout']}")
    G = ConvGenerator(cfg["latent_size"], c, s, args["g_filters"])
    D = ConvDiscriminator(c, s, args["d_filters"], args["dropout"])
    return GAN(G, D, latent_shape=(cfg["latent_size"],), image_shape=(c, s, s))
