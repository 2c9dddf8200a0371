"""The model registry: each model says what it is, and `create_model(cfg)` builds one by name.

Adding a model is one module in this folder (it registers itself with `@register_model`; the registry
imports every module here) plus one recipe in configs/. What a model registers is its contract:

- `conditional`: G(z, labels) and D(x, labels) instead of G(z) and D(x);
- `value_range`: "tanh" (images in [-1, 1]) or "sigmoid" ([0, 1]);
- `losses`: the losses its discriminator fits (a Sigmoid D for "bce", an unbounded critic for "wgan_gp");
- `data`: the data kinds its networks can read ("mnist": IDX digit files, "images": an image folder);
- `args`: its `model_args` keys with types, defaults and lower bounds.

A config that breaks the contract is refused by `check_config` with one line, before anything is built.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import MindganError

DATA_KINDS = ("mnist", "images")
VALUE_RANGES = ("tanh", "sigmoid")


@dataclass(frozen=True)
class Arg:
    """One `model_args` key: its type (int, float or "ints" for a list of positive ints), default, minimum."""

    type: object
    default: object
    min: float | None = None
    help: str = ""

    def check(self, key: str, value, model: str):
        where = f"model_args.{key} of {model}"
        if self.type == "ints":
            if not (isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool)
                                                              for v in value)):
                raise MindganError(f"{where} must be a non-empty list of integers, e.g. {self.default}; got {value!r}")
            if min(value) < (self.min or 1):
                raise MindganError(f"{where} must hold integers >= {self.min or 1}; got {value!r}")
            return list(value)
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or isinstance(value, bool):
            raise MindganError(f"{where} must be {self.type.__name__}, e.g. {self.default}; got {value!r}")
        if self.min is not None and value < self.min:
            raise MindganError(f"{where} must be at least {self.min}; got {value!r}")
        return value


@dataclass
class GAN:
    """A built model: the two nets and how their inputs and outputs look."""

    generator: object  # nn.Cell: G(z) or, when conditional, G(z, labels)
    discriminator: object  # nn.Cell: D(x) or D(x, labels); a probability for bce, a score for wgan_gp
    latent_shape: tuple  # one noise vector's shape, e.g. (100,) for MLPs, (100, 1, 1) for DCGAN
    image_shape: tuple  # (C, H, W)
    value_range: str = "tanh"
    conditional: bool = False

    def sample(self, z, labels=None) -> np.ndarray:
        """The one way to run the generator: noise (and labels) as numpy in, images as numpy out, in
        eval mode (BatchNorm uses its running statistics); the train/eval mode is restored after."""
        import mindspore as ms

        G = self.generator
        was_training = G.training
        G.set_train(False)
        try:
            z = ms.Tensor(np.asarray(z, np.float32))
            if self.conditional:
                if labels is None:
                    raise MindganError("this model is conditional: give one label per noise vector")
                return G(z, ms.Tensor(np.asarray(labels, np.int32))).asnumpy()
            return G(z).asnumpy()
        finally:
            G.set_train(was_training)

    def noise(self, num: int, seed: int) -> np.ndarray:
        return noise(self.latent_shape, num, seed)


def noise(latent_shape, num: int, seed: int) -> np.ndarray:
    """num standard-normal latent vectors from a seeded generator: the same seed, the same vectors."""
    return np.random.default_rng(seed).standard_normal((num, *latent_shape)).astype(np.float32)


@dataclass
class ModelSpec:
    name: str
    build: Callable[[dict, dict], GAN]  # (cfg, validated model_args) -> GAN
    recipe: str  # file name in configs/
    about: str
    conditional: bool = False
    value_range: str = "tanh"
    losses: tuple = ("bce",)
    data: tuple = DATA_KINDS
    args: dict = field(default_factory=dict)  # name -> Arg

    def model_args(self, given: dict) -> dict:
        """`given` checked against the declared args, defaults filled in."""
        unknown = sorted(set(given) - set(self.args))
        if unknown:
            valid = ", ".join(self.args) or "none"
            raise MindganError(f"{self.name}: unknown model_args {', '.join(unknown)}; valid: {valid}")
        return {k: a.check(k, given[k], self.name) if k in given else a.default for k, a in self.args.items()}


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(name: str, *, recipe: str, about: str, conditional: bool = False, value_range: str = "tanh",
                   losses: tuple = ("bce",), data: tuple = DATA_KINDS, args: dict | None = None):
    """Register `build(cfg, model_args) -> GAN` under `name` with its contract (see the module doc)."""
    assert value_range in VALUE_RANGES and set(data) <= set(DATA_KINDS), name

    def wrap(build):
        _REGISTRY[name] = ModelSpec(name, build, recipe, about, conditional, value_range, tuple(losses),
                                    tuple(data), dict(args or {}))
        return build

    return wrap


def _load_all():
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")


def list_models() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def get_model(name: str) -> ModelSpec:
    _load_all()
    if name not in _REGISTRY:
        raise MindganError(f"unknown model {name!r}; registered models: {', '.join(sorted(_REGISTRY))} "
                           f"(python -m mindgan.train --list-models)")
    return _REGISTRY[name]


def check_config(cfg: dict) -> dict:
    """Refuse a config that breaks its model's contract; returns the model_args with defaults."""
    spec = get_model(cfg["model"])
    if cfg["loss"] not in spec.losses:
        raise MindganError(f"model {spec.name} trains with loss {' or '.join(spec.losses)}, not {cfg['loss']!r}: "
                           f"its discriminator {'ends in a Sigmoid' if 'bce' in spec.losses else 'is a critic'}; "
                           f"use --loss {spec.losses[0]} or the model's own recipe")
    return spec.model_args(cfg["model_args"])


def create_model(cfg: dict) -> GAN:
    """Build the model a config names, with parameter names that cannot clash inside one graph."""
    spec = get_model(cfg["model"])
    gan = spec.build(cfg, check_config(cfg))
    gan.value_range, gan.conditional = spec.value_range, spec.conditional
    gan.generator.update_parameters_name("generator.")
    gan.discriminator.update_parameters_name("discriminator.")
    return gan


def to_unit(images: np.ndarray, value_range: str) -> np.ndarray:
    """Generator output in its value range -> [0, 1] floats (clipped)."""
    x = (np.asarray(images, np.float32) + 1.0) / 2.0 if value_range == "tanh" else np.asarray(images, np.float32)
    return np.clip(x, 0.0, 1.0)
