"""`dcgan`: the MindSpore tutorial "DCGAN for image generation" (seed 002), layer for layer.

At image_size 64 with nz 100, ngf = ndf = 64, nc 3 these are the tutorial's networks exactly. Other
powers of two add or drop one stride-2 stage per factor 2 (32x32 has one stage fewer), for quick runs.
"""
from mindspore import nn
from mindspore.common.initializer import Normal

from ..errors import MindganError
from . import GAN, register_model


def _weight():
    return Normal(sigma=0.02, mean=0.0)  # conv weights ~ N(0, 0.02), as the paper and tutorial


def _gamma():
    return Normal(sigma=0.02, mean=1.0)  # BatchNorm gamma ~ N(1, 0.02)


def stages(image_size: int) -> int:
    """Stride-2 stages between the 4x4 core and the image: 4 for 64x64."""
    n = image_size.bit_length() - 3
    if image_size < 8 or image_size & (image_size - 1):
        raise MindganError(f"dcgan needs image_size a power of two, 8 or more (the tutorial's is 64), "
                           f"not {image_size}")
    return n


class Generator(nn.Cell):
    """z (N, nz, 1, 1) -> ConvTranspose 4x4 core -> [ConvTranspose x2, BatchNorm, ReLU]... -> Tanh image."""

    def __init__(self, nz=100, ngf=64, nc=3, image_size=64):
        super().__init__()
        n = stages(image_size)
        width = [ngf * 2 ** i for i in reversed(range(n))]  # 64x64: ngf*8, *4, *2, *1
        layers = [nn.Conv2dTranspose(nz, width[0], 4, 1, "valid", weight_init=_weight()),
                  nn.BatchNorm2d(width[0], gamma_init=_gamma()), nn.ReLU()]
        for c_in, c_out in zip(width[:-1], width[1:]):
            layers += [nn.Conv2dTranspose(c_in, c_out, 4, 2, "pad", 1, weight_init=_weight()),
                       nn.BatchNorm2d(c_out, gamma_init=_gamma()), nn.ReLU()]
        layers += [nn.Conv2dTranspose(width[-1], nc, 4, 2, "pad", 1, weight_init=_weight()), nn.Tanh()]
        self.generator = nn.SequentialCell(layers)

    def construct(self, x):
        return self.generator(x)


class Discriminator(nn.Cell):
    """Image -> Conv x1/2, LeakyReLU(0.2) -> [Conv x1/2, BatchNorm, LeakyReLU]... -> 4x4 Conv -> Sigmoid."""

    def __init__(self, ndf=64, nc=3, image_size=64):
        super().__init__()
        n = stages(image_size)
        width = [ndf * 2 ** i for i in range(n)]  # 64x64: ndf, *2, *4, *8
        layers = [nn.Conv2d(nc, width[0], 4, 2, "pad", 1, weight_init=_weight()), nn.LeakyReLU(0.2)]
        for c_in, c_out in zip(width[:-1], width[1:]):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, "pad", 1, weight_init=_weight()),
                       nn.BatchNorm2d(c_out, gamma_init=_gamma()), nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(width[-1], 1, 4, 1, "valid", weight_init=_weight()))
        self.discriminator = nn.SequentialCell(layers)
        self.adv_layer = nn.Sigmoid()

    def construct(self, x):
        out = self.discriminator(x)
        out = out.reshape(out.shape[0], -1)
        return self.adv_layer(out)


@register_model("dcgan", config="dcgan_faces.yaml",
                about="DCGAN on a folder of images (anime faces, emoji), MindSpore tutorial 'DCGAN' (seed 002)")
def build_dcgan(cfg: dict) -> GAN:
    size, nc, nz = cfg["image_size"], cfg["channels"], cfg["latent_size"]
    if nc not in (1, 3):
        raise MindganError(f"dcgan trains on RGB (channels 3) or grayscale (channels 1) images, not {nc} channels")
    args = cfg["model_args"]
    unknown = sorted(set(args) - {"ngf", "ndf"})
    if unknown:
        raise MindganError(f"dcgan: unknown model_args {', '.join(unknown)}; valid: ngf, ndf")
    ngf, ndf = int(args.get("ngf", 64)), int(args.get("ndf", 64))
    return GAN(Generator(nz, ngf, nc, size), Discriminator(ndf, nc, size), latent_shape=(nz, 1, 1),
               image_shape=(nc, size, size), value_range="tanh", data_kind="images")
