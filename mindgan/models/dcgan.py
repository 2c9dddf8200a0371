"""`dcgan`: the MindSpore tutorial "DCGAN for image generation", layer for layer, and the one DCGAN stack.

At image_size 64 with nz 100, ngf = ndf = 64, nc 3 these are the tutorial's networks exactly, with its
parameter names (`generator.N.*`, `discriminator.N.*`). Other sizes base * 2**n (base 4..7: 32, 28, 96)
add or drop one stride-2 stage per factor 2. `wgan_gp` builds its critic from the same Discriminator
without BatchNorm and Sigmoid.

The DCGAN paper's guidelines, which the tutorial follows: strided convolutions instead of pooling,
BatchNorm in both nets (not on G's output or D's input), ReLU in G and LeakyReLU(0.2) in D, Tanh out,
and every weight drawn from Normal(0, 0.02) (BatchNorm gammas from Normal(1, 0.02)).
"""
from mindspore import nn, ops
from mindspore.common.initializer import Normal

from ..errors import MindganError
from . import Arg, GAN, register_model
from .blocks import LeakyReLU, WholeMapConv


def plan(image_size: int) -> tuple[int, int]:
    """(base side, number of stride-2 stages) so that base * 2**stages == image_size."""
    side, stages = image_size, 0
    while side > 7 and side % 2 == 0:
        side, stages = side // 2, stages + 1
    if not 4 <= side <= 7 or stages == 0:
        raise MindganError(f"image_size {image_size} does not fit a DCGAN-style net: use base * 2**n with "
                           f"base 4..7 (e.g. 28, 32, 64, 96; the tutorial's is 64)")
    return side, stages


def _weight():
    return Normal(sigma=0.02, mean=0.0)


def _gamma():
    return Normal(sigma=0.02, mean=1.0)


class Generator(nn.Cell):
    """z -> ConvTranspose to base x base -> [ConvTranspose x2, BatchNorm, ReLU]... -> Tanh image."""

    def __init__(self, nz=100, ngf=64, nc=3, image_size=64):
        super().__init__()
        base, n = plan(image_size)
        width = [ngf * 2 ** i for i in reversed(range(n))]  # 64x64: ngf*8, *4, *2, *1
        layers = [nn.Conv2dTranspose(nz, width[0], base, 1, "valid", weight_init=_weight()),
                  nn.BatchNorm2d(width[0], gamma_init=_gamma()), nn.ReLU()]
        for c_in, c_out in zip(width[:-1], width[1:]):
            layers += [nn.Conv2dTranspose(c_in, c_out, 4, 2, "pad", 1, weight_init=_weight()),
                       nn.BatchNorm2d(c_out, gamma_init=_gamma()), nn.ReLU()]
        layers += [nn.Conv2dTranspose(width[-1], nc, 4, 2, "pad", 1, weight_init=_weight()), nn.Tanh()]
        self.nz = nz
        self.generator = nn.SequentialCell(layers)

    def construct(self, x):
        return self.generator(ops.reshape(x, (-1, self.nz, 1, 1)))  # takes (N, nz) or (N, nz, 1, 1)


class Discriminator(nn.Cell):
    """Image -> Conv /2, LeakyReLU(0.2) -> [Conv /2, BatchNorm, LeakyReLU]... -> base x base Conv -> (N, 1).

    norm=False, sigmoid=False give the WGAN-GP critic: its penalty is per sample, and BatchNorm would mix
    the samples of a batch (Gulrajani et al. 2017, section 4); its convolutions then carry biases.
    matmul_last=True computes the last convolution as the matrix product it is (blocks.WholeMapConv: the
    same parameters, several times faster on a CPU, sums in another order).
    """

    def __init__(self, ndf=64, nc=3, image_size=64, norm=True, sigmoid=True, matmul_last=False):
        super().__init__()
        base, n = plan(image_size)
        width = [ndf * 2 ** i for i in range(n)]  # 64x64: ndf, *2, *4, *8
        bias = not norm
        layers = [nn.Conv2d(nc, width[0], 4, 2, "pad", 1, weight_init=_weight(), has_bias=bias), LeakyReLU(0.2)]
        for c_in, c_out in zip(width[:-1], width[1:]):
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, "pad", 1, weight_init=_weight(), has_bias=bias))
            if norm:
                layers.append(nn.BatchNorm2d(c_out, gamma_init=_gamma()))
            layers.append(LeakyReLU(0.2))
        last = WholeMapConv if matmul_last else lambda c, o, k, **kw: nn.Conv2d(c, o, k, 1, "valid", **kw)
        layers.append(last(width[-1], 1, base, weight_init=_weight(), has_bias=bias))
        self.discriminator = nn.SequentialCell(layers)
        self.adv_layer = nn.Sigmoid() if sigmoid else nn.Identity()

    def construct(self, x):
        out = self.discriminator(x)
        return self.adv_layer(out.reshape(out.shape[0], -1))


WIDTHS = {"ngf": Arg(int, 64, 1, "generator width (channels of its last hidden layer)", max=1024),
          "ndf": Arg(int, 64, 1, "discriminator width (channels of its first layer)", max=1024)}


@register_model("dcgan", recipe="dcgan_faces.yaml", args=WIDTHS, data=("images", "mnist"),
                about="DCGAN on a folder of images (faces, emoji), MindSpore tutorial 'DCGAN for image generation'")
def build_dcgan(cfg: dict, args: dict) -> GAN:
    size, nc, nz = cfg["image_size"], cfg["channels"], cfg["latent_size"]
    if nc not in (1, 3):
        raise MindganError(f"dcgan trains on RGB (channels 3) or grayscale (channels 1) images, not {nc} channels")
    return GAN(Generator(nz, args["ngf"], nc, size), Discriminator(args["ndf"], nc, size),
               latent_shape=(nz, 1, 1), image_shape=(nc, size, size))
