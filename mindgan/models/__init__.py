"""The models: each says what it is (its contract), and `create_model(cfg)` builds one by name.

Adding a model is one module that registers it with `@register_model` (in this folder, where the registry
imports every module, or anywhere imported before use) plus one recipe in configs/. What a model
registers is its contract:

- `conditional`: G(z, labels) and D(x, labels) instead of G(z) and D(x);
- `value_range`: "tanh" (images in [-1, 1]) or "sigmoid" ([0, 1]);
- `d_output`: what its discriminator gives, "probability" (it ends in a Sigmoid) or "score" (unbounded);
  the model trains with every registered loss that needs that (`spec.losses`: bce for a probability;
  wgan_gp, lsgan, hinge for a score; see losses.py);
- `data`: the data kinds its networks can read ("mnist": IDX digit files, "images": an image folder);
- `args`: its `model_args` keys with types, defaults and lower bounds;
- `convolutions`: whether its networks convolve (default True). A model that declares False (matrix products
  only) is trained by `python -m mindgan.train` / `mindgan.bench` without the AVX2 cap on oneDNN's ISA
  (mindgan/env.py), where its matmuls run faster; a test checks each model's nets against its declaration.

A config that breaks the contract is refused by `check_config` with one line, before anything is built;
`create_model` runs the generator once and refuses networks whose output breaks it (shape, range, labels).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from ..errors import MindganError
from ..writes import short
from ..registry import LOSSES, MODELS

DATA_KINDS = ("mnist", "images")
D_OUTPUTS = ("probability", "score")
VALUE_LIMITS = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
VALUE_RANGES = tuple(VALUE_LIMITS)


MAX_WIDTH = 16384  # units or channels of one layer: wider needs gigabytes per layer and is no tutorial's


@dataclass(frozen=True)
class Arg:
    """One `model_args` key: its type (int, float or "ints" for a list of positive ints), default, minimum."""

    type: object
    default: object
    min: float | None = None
    help: str = ""
    max: float | None = None  # default for int and "ints": MAX_WIDTH (a layer of a million units is 4 TB)

    def check(self, key: str, value, model: str):
        where = f"model_args.{key} of {model}"
        top = self.max if self.max is not None else MAX_WIDTH
        if self.type == "ints":
            if not (isinstance(value, list) and 0 < len(value) <= 64 and
                    all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
                raise MindganError(f"{where} must be a non-empty list of integers (at most 64), e.g. {self.default}; got {short(value)}")
            if min(value) < (self.min or 1) or max(value) > top:
                raise MindganError(f"{where} must hold integers from {self.min or 1} to {top:g}; got {short(value)}")
            return list(value)
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or isinstance(value, bool):
            raise MindganError(f"{where} must be {self.type.__name__}, e.g. {self.default}; got {short(value)}")
        if self.min is not None and value < self.min:
            raise MindganError(f"{where} must be at least {self.min}; got {short(value)}")
        if self.type is int and value > top or self.type is float and self.max is not None and value > self.max:
            raise MindganError(f"{where} must be at most {top:g}; got {short(value)}")
        return value


@runtime_checkable
class Generator(Protocol):
    """What every generator source gives (a checkpoint's GAN, an exported MindIR file: loaders.py), and all
    that generation, evaluation and export read."""

    latent_shape: tuple  # one noise vector's shape
    image_shape: tuple  # (C, H, W)
    value_range: str  # "tanh" or "sigmoid"
    conditional: bool  # sample needs one label per noise vector
    truncation: float  # noise() redraws components beyond this magnitude (0 = plain normal noise)

    def sample(self, z, labels=None) -> np.ndarray: ...

    def noise(self, num: int, seed: int) -> np.ndarray: ...


@dataclass
class GAN:
    """A built model: the two nets and how their inputs and outputs look."""

    generator: object  # nn.Cell: G(z) or, when conditional, G(z, labels)
    discriminator: object  # nn.Cell: D(x) or D(x, labels); a probability for bce, a score for wgan_gp
    latent_shape: tuple  # one noise vector's shape, e.g. (100,) for MLPs, (100, 1, 1) for DCGAN
    image_shape: tuple  # (C, H, W)
    value_range: str = "tanh"
    conditional: bool = False
    num_classes: int | None = None  # conditional models: labels run from 0 to num_classes - 1
    truncation: float = 0.0  # the recipe's sampling truncation (see `noise`); 0 = off

    def sample(self, z, labels=None) -> np.ndarray:
        """The one way to run the generator: noise (and labels) as numpy in, images as numpy out, in
        eval mode (BatchNorm uses its running statistics); the train/eval mode is restored after."""
        import mindspore as ms  # here, not at the top: the registry and contract stay light for config.py

        z, labels = check_inputs(z, labels, tuple(self.latent_shape), self.conditional, self.num_classes)
        G = self.generator
        was_training = G.training
        G.set_train(False)
        try:
            if self.conditional:
                return G(ms.Tensor(z), ms.Tensor(labels)).asnumpy()
            return G(ms.Tensor(z)).asnumpy()
        finally:
            G.set_train(was_training)

    def noise(self, num: int, seed: int) -> np.ndarray:
        return noise(self.latent_shape, num, seed, self.truncation)


def check_inputs(z, labels, latent_shape: tuple, conditional: bool, num_classes: int | None):
    """z as float32 (N, *latent_shape) and, for a conditional model, N int32 labels in range; else one line."""
    try:
        z = np.asarray(z, np.float32)
    except (ValueError, TypeError) as err:
        raise MindganError(f"z must be numbers (float32 noise, e.g. gan.noise(N, seed)); {str(err)[:80]}") from None
    if z.ndim != 1 + len(latent_shape) or tuple(z.shape[1:]) != latent_shape or len(z) < 1:
        raise MindganError(f"z has shape {z.shape}; this generator takes (N, {', '.join(map(str, latent_shape))}) "
                           f"with N >= 1: use gan.noise(N, seed)")
    if not conditional:
        return z, None
    if labels is None:
        raise MindganError("this model is conditional: give one label per noise vector")
    raw = np.asarray(labels)
    if raw.shape != (len(z),) or not (np.issubdtype(raw.dtype, np.integer) or raw.dtype == bool):
        raise MindganError(f"labels must be {len(z)} whole numbers, one per noise vector; got shape {raw.shape} "
                           f"of {raw.dtype}")
    if num_classes is not None and len(raw) and (raw.min() < 0 or raw.max() >= num_classes):
        raise MindganError(f"labels must lie in 0 to {num_classes - 1}; got {int(raw.min())} to {int(raw.max())}")
    return z, raw.astype(np.int32)


def noise(latent_shape, num: int, seed: int, truncation: float = 0.0) -> np.ndarray:
    """num standard-normal latent vectors from a seeded generator: the same seed, the same vectors.

    truncation > 0 is the truncation trick (Brock et al. 2019, BigGAN): every component beyond
    +-truncation is drawn again until it falls inside, so G is asked only for the typical part of what it
    learnt. Samples grow more faithful and less varied as it shrinks (evaluate's precision and recall show
    both sides); training always draws plain normal noise."""
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 0:
        raise MindganError(f"noise: num must be a whole number >= 0, got {str(num)[:40]}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise MindganError(f"noise: seed must be a whole number >= 0, got {str(seed)[:40]}")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((num, *latent_shape)).astype(np.float32)
    if truncation > 0:
        out = np.abs(z) > truncation
        while out.any():  # only the outliers are drawn again, fewer each pass
            z[out] = rng.standard_normal(int(out.sum())).astype(np.float32)
            out = np.abs(z) > truncation
    return z


@dataclass
class ModelSpec:
    name: str
    build: Callable[[dict, dict], GAN]  # (cfg, validated model_args) -> GAN
    recipe: str  # file name in configs/
    about: str
    conditional: bool = False
    value_range: str = "tanh"
    d_output: str = "probability"
    data: tuple = DATA_KINDS
    args: dict = field(default_factory=dict)  # name -> Arg
    convolutions: bool = True  # False: matrix products only, trained without oneDNN's AVX2 cap (env.py)

    @property
    def losses(self) -> tuple:
        """The registered losses that fit this model's discriminator (those that need what it outputs)."""
        return tuple(n for n in LOSSES.names() if LOSSES.get(n).needs == self.d_output)

    def model_args(self, given: dict) -> dict:
        """`given` checked against the declared args, defaults filled in."""
        unknown = sorted(set(given) - set(self.args))
        if unknown:
            valid = ", ".join(self.args) or "none"
            raise MindganError(f"{self.name}: unknown model_args {', '.join(unknown)}; valid: {valid}")
        return {k: a.check(k, given[k], self.name) if k in given else a.default for k, a in self.args.items()}


def register_model(name: str, *, recipe: str, about: str, conditional: bool = False, value_range: str = "tanh",
                   d_output: str = "probability", data: tuple = DATA_KINDS, args: dict | None = None,
                   convolutions: bool = True):
    """Register `build(cfg, model_args) -> GAN` under `name` with its contract (see the module doc)."""
    where = f"register_model({name!r})"
    if value_range not in VALUE_RANGES:
        raise MindganError(f"{where}: value_range {value_range!r} is not one of {', '.join(VALUE_RANGES)}")
    if not set(data) <= set(DATA_KINDS) or not data:
        raise MindganError(f"{where}: data {tuple(data)!r} must be among {', '.join(DATA_KINDS)}")
    if d_output not in D_OUTPUTS:
        raise MindganError(f"{where}: d_output {d_output!r} is not one of {', '.join(D_OUTPUTS)}")
    if not all(isinstance(a, Arg) for a in (args or {}).values()):
        raise MindganError(f"{where}: every model_args entry must be an Arg(type, default, min, help)")

    def wrap(build):
        MODELS.register(name, ModelSpec(name, build, recipe, about, conditional, value_range, d_output,
                                        tuple(data), dict(args or {}), bool(convolutions)))
        return build

    return wrap


def list_models() -> list[str]:
    return list(MODELS.names())


def get_model(name: str) -> ModelSpec:
    return MODELS.get(name)


def convolves(cfg: dict) -> bool:
    """Whether a training run of this config runs any convolution: its model's nets (as registered), or the
    evaluation during training (eval_every: the LeNet-5 judge and the feature net convolve)."""
    return get_model(cfg["model"]).convolutions or cfg["eval_every"] > 0


def check_config(cfg: dict) -> dict:
    """Refuse a config that breaks its model's contract; returns the model_args with defaults."""
    spec = get_model(cfg["model"])
    if cfg["loss"] not in spec.losses:
        raise MindganError(f"model {spec.name} trains with loss {' or '.join(spec.losses)}, not {cfg['loss']!r}: "
                           f"its discriminator gives a {spec.d_output} and {cfg['loss']} needs a "
                           f"{LOSSES.get(cfg['loss']).needs}; "
                           f"use --loss {' or --loss '.join(spec.losses)}, or the model's own recipe")
    return spec.model_args(cfg["model_args"])


def create_model(cfg: dict) -> GAN:
    """Build the model a config names, with parameter names that cannot clash inside one graph, and check
    its generator against the contract."""
    spec = get_model(cfg["model"])
    try:
        gan = spec.build(cfg, check_config(cfg))
    except MemoryError:
        raise MindganError(f"{spec.name} with these model_args and image size does not fit in memory: use smaller "
                           f"layers (see python -m mindgan.train --list-models)") from None
    gan.value_range, gan.conditional = spec.value_range, spec.conditional
    gan.num_classes = cfg["num_classes"] if spec.conditional else None
    gan.truncation = cfg["truncation"]
    gan.generator.update_parameters_name("generator.")
    gan.discriminator.update_parameters_name("discriminator.")
    check_generator(gan, spec.name, cfg.get("num_classes", 10))
    return gan


def check_generator(gan: GAN, name: str, num_classes: int) -> None:
    """Run G once (eval mode: BatchNorm's statistics stay as they are) on two seeded noise vectors and refuse
    an output that breaks the registered contract: its shape, its value range, taking labels or not."""
    z = noise(gan.latent_shape, 2, 0)
    labels = np.arange(2) % num_classes
    try:
        out = gan.sample(z, labels if gan.conditional else None)
    except (TypeError, ValueError, RuntimeError) as err:
        takes = "G(z, labels)" if gan.conditional else "G(z)"
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise MindganError(f"model {name}: its generator fails as {takes} (registered conditional="
                           f"{gan.conditional}; latent_shape {gan.latent_shape}): {first}") from None
    if tuple(out.shape) != (2, *gan.image_shape):
        raise MindganError(f"model {name}: its generator gives images of shape {tuple(out.shape[1:])}, but the "
                           f"GAN says image_shape {tuple(gan.image_shape)}")
    low, high = VALUE_LIMITS[gan.value_range]
    if not (np.isfinite(out).all() and out.min() >= low - 1e-5 and out.max() <= high + 1e-5):
        raise MindganError(f"model {name}: its generator's output spans [{out.min():.3g}, {out.max():.3g}], outside "
                           f"its registered value_range {gan.value_range!r} [{low:g}, {high:g}]; end G in "
                           f"{'Tanh' if gan.value_range == 'tanh' else 'Sigmoid'} or register the other range")


def to_unit(images: np.ndarray, value_range: str) -> np.ndarray:
    """Generator output in its value range -> [0, 1] floats (clipped)."""
    x = (np.asarray(images, np.float32) + 1.0) / 2.0 if value_range == "tanh" else np.asarray(images, np.float32)
    return np.clip(x, 0.0, 1.0)
