"""`wgan_gp`: DCGAN nets trained as a Wasserstein GAN with gradient penalty (Gulrajani et al. 2017).

The minimal-GAN tutorial recommends a Wasserstein GAN against unstable training; the loss is `wgan_gp`
in losses.py, and the critic is the DCGAN discriminator without BatchNorm and Sigmoid.
"""
from . import GAN, register_model
from .dcgan import WIDTHS, Discriminator, Generator


@register_model("wgan_gp", recipe="wgan_gp_mnist.yaml", d_output="score", args=WIDTHS,
                about="DCGAN-style generator + critic, Wasserstein loss with gradient penalty (WGAN-GP)")
def build_wgan_gp(cfg: dict, args: dict) -> GAN:
    c, s, nz = cfg["channels"], cfg["image_size"], cfg["latent_size"]
    G = Generator(nz, args["ngf"], c, s)
    D = Discriminator(args["ndf"], c, s, norm=False, sigmoid=False, matmul_last=True)
    return GAN(G, D, latent_shape=(nz,), image_shape=(c, s, s))
