"""The model registry: `@register_model` on a builder, `create_model(cfg)` to build one by name.

A model family is one module here plus one YAML recipe in configs/; the trainer serves them all.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from ..errors import MindganError


@dataclass
class GAN:
    """What the trainer needs from a model: the two nets and how their inputs and outputs look."""

    generator: object  # nn.Cell: G(z) or, when conditional, G(z, labels)
    discriminator: object  # nn.Cell: D(x) or D(x, labels); a probability for bce, a score for wgan_gp
    latent_shape: tuple  # one noise vector's shape, e.g. (100,) for MLPs, (100, 1, 1) for DCGAN
    image_shape: tuple  # (C, H, W)
    value_range: str = "tanh"  # "tanh": images in [-1, 1]; "sigmoid": images in [0, 1]
    conditional: bool = False
    data_kind: str = "mnist"  # "mnist" (IDX digits) or "images" (an image folder)


@dataclass
class ModelInfo:
    name: str
    build: Callable[[dict], GAN]
    default_config: str
    about: str
    extras: dict = field(default_factory=dict)


_REGISTRY: dict[str, ModelInfo] = {}
# modules under mindgan.models that register models when imported
_FAMILIES = ["gan", "minimal", "dcgan", "convgan", "cgan", "wgan_gp"]


def register_model(name: str, config: str, about: str):
    def wrap(build):
        _REGISTRY[name] = ModelInfo(name, build, config, about)
        return build

    return wrap


def _load_all():
    for fam in _FAMILIES:
        importlib.import_module(f"{__name__}.{fam}")


def list_models() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def get_model(name: str) -> ModelInfo:
    _load_all()
    if name not in _REGISTRY:
        raise MindganError(f"unknown model {name!r}; models: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def create_model(cfg: dict) -> GAN:
    """Build the model a config names, with parameter names that cannot clash inside one graph."""
    gan = get_model(cfg["model"]).build(cfg)
    gan.generator.update_parameters_name("generator.")
    gan.discriminator.update_parameters_name("discriminator.")
    return gan
