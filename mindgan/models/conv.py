"""DCGAN-style convolution stacks (seed 002's layout) for any square size base * 2**n, base 4..7.

64 -> 4x4 base and 4 stride-2 stages (the tutorial's nets); 28 -> 7x7 base and 2 stages (MNIST).
Weights start from Normal(0, 0.02), BatchNorm gammas from Normal(1, 0.02), as the DCGAN paper says.
"""
from mindspore import nn, ops
from mindspore.common.initializer import Normal

from ..errors import MindganError


def plan(image_size: int) -> tuple[int, int]:
    """(base side, number of stride-2 stages) so that base * 2**stages == image_size."""
    side, stages = image_size, 0
    while side > 7 and side % 2 == 0:
        side, stages = side // 2, stages + 1
    if not 4 <= side <= 7 or stages == 0:
        raise MindganError(f"image_size {image_size} does not fit a DCGAN-style net: use base * 2**n with "
                           f"base 4..7 (e.g. 28, 32, 64, 96)")
    return side, stages


class DCGenerator(nn.Cell):
    """z (N, latent) -> ConvT to base x base, then (ConvT k4 s2, BatchNorm, ReLU) stages, Tanh."""

    def __init__(self, latent_size, channels, image_size, ngf=64):
        super().__init__()
        base, n = plan(image_size)
        w, g = Normal(0.02), Normal(0.02, 1.0)
        width = [ngf * 2 ** i for i in reversed(range(n))]  # e.g. 512, 256, 128, 64
        layers = [nn.Conv2dTranspose(latent_size, width[0], base, 1, "valid", weight_init=w),
                  nn.BatchNorm2d(width[0], gamma_init=g), nn.ReLU()]
        for c_in, c_out in zip(width[:-1], width[1:]):
            layers += [nn.Conv2dTranspose(c_in, c_out, 4, 2, "pad", 1, weight_init=w),
                       nn.BatchNorm2d(c_out, gamma_init=g), nn.ReLU()]
        layers += [nn.Conv2dTranspose(width[-1], channels, 4, 2, "pad", 1, weight_init=w), nn.Tanh()]
        self.latent_size = latent_size
        self.model = nn.SequentialCell(layers)

    def construct(self, z):
        return self.model(ops.reshape(z, (-1, self.latent_size, 1, 1)))


class DCCritic(nn.Cell):
    """x -> (Conv k4 s2, [BatchNorm], LeakyReLU 0.2) stages -> Conv base x base -> (N, 1) [Sigmoid].

    norm=False and sigmoid=False give the WGAN-GP critic: the penalty is per sample, and BatchNorm
    would mix the samples of a batch (Gulrajani et al. 2017, section 4).
    """

    def __init__(self, channels, image_size, ndf=64, norm=True, sigmoid=True):
        super().__init__()
        base, n = plan(image_size)
        w, g = Normal(0.02), Normal(0.02, 1.0)
        width = [ndf * 2 ** i for i in range(n)]  # e.g. 64, 128, 256, 512
        layers = [nn.Conv2d(channels, width[0], 4, 2, "pad", 1, weight_init=w, has_bias=not norm),
                  nn.LeakyReLU(0.2)]
        for c_in, c_out in zip(width[:-1], width[1:]):
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, "pad", 1, weight_init=w, has_bias=not norm))
            if norm:
                layers.append(nn.BatchNorm2d(c_out, gamma_init=g))
            layers.append(nn.LeakyReLU(0.2))
        layers.append(nn.Conv2d(width[-1], 1, base, 1, "valid", weight_init=w, has_bias=not norm))
        if sigmoid:
            layers.append(nn.Sigmoid())
        self.model = nn.SequentialCell(layers)

    def construct(self, x):
        return ops.reshape(self.model(x), (-1, 1))
