"""`wgan_gp`: DCGAN-style nets trained as a Wasserstein GAN with gradient penalty (Gulrajani et al. 2017).

Seed 001 recommends a Wasserstein GAN against unstable training; the loss is `wgan_gp` in losses.py.
"""
from . import GAN, register_model
from .conv import DCCritic, DCGenerator


@register_model("wgan_gp", config="wgan_gp_mnist.yaml",
                about="DCGAN-style generator + critic, Wasserstein loss with gradient penalty (WGAN-GP)")
def build_wgan_gp(cfg: dict) -> GAN:
    args, c, s = cfg["model_args"], cfg["channels"], cfg["image_size"]
    G = DCGenerator(cfg["latent_size"], c, s, args.get("ngf", 64))
    D = DCCritic(c, s, args.get("ndf", 64), norm=False, sigmoid=False)
    # data_kind "images" (an image folder) once the image pipeline exists; MNIST digits by default.
    return GAN(G, D, latent_shape=(cfg["latent_size"],), image_shape=(c, s, s),
               data_kind=args.get("data_kind", "mnist"))
