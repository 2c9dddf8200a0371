"""Configs as data: a YAML recipe per model, checked against one schema, overridable from the CLI."""
from __future__ import annotations

import argparse
import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from .errors import MindganError
from .models import check_config, get_model
from .registry import LOSSES, SCHEDULES
from .training import augment
from .writes import read_text, short

_HERE = Path(__file__).resolve().parent
# The recipes: inside the package when installed (package data mindgan/configs), else a checkout's configs/
CONFIG_DIR = next((d for d in (_HERE / "configs", _HERE.parent / "configs") if d.is_dir()), _HERE / "configs")

# Every key a recipe may set: name -> Key(type, default, help, bounds or choices). Recipes set what their
# tutorial sets; every value is checked against its bounds before anything is built or written.
@dataclass(frozen=True)
class Key:
    type: type
    default: object
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple | Callable[[], tuple] | None = None  # a callable: a registry's names, read when checked


SCHEMA: dict[str, Key] = {
    "model": Key(str, "gan", "model name in the registry"),
    "data": Key(str, "auto", "data source name (see `python -m mindgan.data list`) or a folder path"),
    "bad_images": Key(str, "error", "unreadable or too-small files in an image folder: error (name the first) or skip",
                      choices=("error", "skip")),
    "image_size": Key(int, 28, "side of the square training images", 4, 1024),
    "channels": Key(int, 1, "image channels", choices=(1, 3)),
    "latent_size": Key(int, 100, "length of the generator's noise vector", 1, 4096),
    "num_classes": Key(int, 10, "classes for conditional models", 1, 10000),
    "batch_size": Key(int, 128, "images per training step", 1, 65536),
    "epochs": Key(int, 200, "passes over the training data", 1, 1000000),
    "lr_g": Key(float, 2e-4, "generator Adam learning rate", 0.0, 10.0),
    "lr_d": Key(float, 2e-4, "discriminator Adam learning rate", 0.0, 10.0),
    "lr_decay": Key(float, 0.0, "both learning rates fall linearly to 0 over this last fraction of the run (0 = off; "
                    "1 = from the first step; 0.5 = over the second half); a --resume with other --epochs "
                    "stretches the decay to the new length", 0.0, 1.0),
    "beta1": Key(float, 0.5, "Adam beta1", 0.0, 0.999999),
    "beta2": Key(float, 0.999, "Adam beta2", 0.0, 0.999999),
    "loss": Key(str, "bce", "adversarial loss, a registered one that fits the model's discriminator (bce for a "
                "Sigmoid D; wgan_gp, lsgan, hinge for a critic; --list-models says each model's)", choices=LOSSES.names),
    "schedule": Key(str, "d_then_g", "update order, a registered one: d_then_g (D on G(z), then G; the MLP GAN "
                    "tutorials) or g_then_d (G first, then D on the images G just made; the DCGAN tutorial)",
                    choices=SCHEDULES.names),
    "d_loss_scale": Key(float, 1.0, "factor on the discriminator's real+fake loss (the DCGAN tutorial uses 0.5)", 0.0, 100.0),
    "real_label": Key(float, 1.0, "D's target for real images (bce); 0.9 is one-sided label smoothing, which keeps D "
                      "from growing over-confident", 0.5, 1.0),
    "n_critic": Key(int, 1, "discriminator steps per generator step", 1, 100),
    "gp_weight": Key(float, 10.0, "gradient-penalty weight (wgan_gp)", 0.0, 1e6),
    "gp_every": Key(int, 1, "gradient penalty on every N-th critic step only, N times as strong (lazy "
                    "regularisation; wgan_gp; 1 = every step; a loss without a penalty ignores it); loss_d then "
                    "includes it only on those steps", 1, 64),
    "diffaugment": Key(str, "", "DiffAugment (Zhao et al. 2020): augment every image D sees, real and fake, in the "
                       "graph; comma-separated parts of color, translation, cutout ('' = off). Helps small data sets"),
    "ema": Key(float, 0.0, "decay of an exponential moving average of G's weights (0 = off; e.g. 0.999), ramped "
               "up over G's first updates as min(decay, (1 + t) / (10 + t)); generate and evaluate use the "
               "average when present", 0.0, 0.999999),
    "truncation": Key(float, 0.0, "sampling only (grids, generate, evaluate): redraw noise components beyond "
                      "+-truncation, the truncation trick (0 = off; e.g. 2.0): more faithful, less varied samples",
                      0.0, 10.0),
    "grid_rows": Key(int, 5, "rows of the per-epoch fixed-noise grid", 1, 100),
    "grid_cols": Key(int, 5, "columns of the per-epoch fixed-noise grid", 1, 100),
    "d_accuracy_samples": Key(int, 0, "log D's accuracy on this many real and fake images each epoch (bce; 0 = off)",
                              0, 100000),
    "ckpt_every": Key(int, 10, "save a checkpoint every N epochs (and always at the end)", 1, 1000000),
    "keep_checkpoint_max": Key(int, 5, "checkpoints kept on disk (older ones are deleted)", 1, 100000),
    "max_steps": Key(int, 0, "stop each epoch after this many steps (0 = whole epoch); for quick runs", 0, 10**9),
    "steps_per_call": Key(int, 8, "training steps per compiled graph call (same numerics; fewer launches)", 1, 64),
    "seed": Key(int, 2323, "seed for shuffling, noise and initialisation", 0, 2**31 - 1),
    "num_workers": Key(int, 0, "dataset workers (0 = one per core, up to 8; more than the cores are capped at the core count)", 0, 256),
    "threads": Key(int, 0, "CPU op threads (0 = half the cores, at least 1)", 0, 1024),
    "eval_every": Key(int, 0, "evaluate samples every N epochs and at the end (0 = never): FID etc. to metrics.csv",
                      0, 1000000),
    "eval_samples": Key(int, 500, "samples per evaluation during training (FID uses up to half the held-out set)",
                        10, 100000),
    "dp_batch": Key(str, "split_global", "under msrun: split_global (batch_size is the global batch, split over "
                    "workers) or per_worker (each worker takes batch_size)", choices=("split_global", "per_worker")),
    "dp_lr": Key(str, "keep", "under msrun: keep the learning rates, or linear (scale by global batch / batch_size)",
                 choices=("keep", "linear")),
    "model_args": Key(dict, {}, "model-specific settings, e.g. {ngf: 64} (see --list-models)"),
}

# Keys a --resume may change: where the data is, how long and how often; never what is trained or how.
RESUMABLE = ("data", "epochs", "ckpt_every", "keep_checkpoint_max", "max_steps", "steps_per_call", "num_workers", "threads",
             "eval_every", "eval_samples", "d_accuracy_samples", "bad_images")


def defaults() -> dict:
    return {k: copy.deepcopy(v.default) for k, v in SCHEMA.items()}


def _check_type(key: str, value, source: str):
    spec = SCHEMA[key]
    typ = spec.type
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise MindganError(f"{source}: key {key!r} must be {typ.__name__}, got {type(value).__name__} "
                           f"({short(value)})")
    choices = spec.choices() if callable(spec.choices) else spec.choices
    if choices is not None and value not in choices:
        raise MindganError(f"{source}: key {key!r} must be one of {', '.join(map(str, choices))}, got {short(value)}")
    if typ is float and not math.isfinite(value):
        raise MindganError(f"{source}: key {key!r} must be a finite number, got {short(value)}")
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        raise MindganError(f"{source}: key {key!r} must be between {spec.min:g} and {spec.max:g}, got {short(value)}")
    return value


def validate(raw: dict, source: str) -> dict:
    unknown = sorted(map(str, set(raw) - set(SCHEMA)))
    if unknown:
        raise MindganError(f"{source}: unknown key(s) {short(', '.join(unknown))}; valid keys: {', '.join(SCHEMA)}")
    return {k: _check_type(k, v, source) for k, v in raw.items()}


class _NoAliases(yaml.SafeLoader):
    """safe_load without anchors and aliases: a recipe never needs them, and a few lines of nested
    aliases ("billion laughs") expand to a value of gigabytes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _AliasError(self.peek_event())
        return super().compose_node(parent, index)


class _AliasError(yaml.YAMLError):
    def __init__(self, event):
        super().__init__()
        self.problem_mark, self.problem = event.start_mark, "YAML aliases (*name) are not allowed in a recipe; write the values out"


def safe_load(text: str):
    """yaml.safe_load, refusing aliases."""
    return yaml.load(text, Loader=_NoAliases)


MAX_RECIPE = 1 << 20  # bytes; a recipe is a few hundred


def read_yaml(path: Path) -> dict:
    text = read_text(path, "config file", MAX_RECIPE)
    try:
        raw = safe_load(text)  # safe: a config can never run code
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise MindganError(f"config file {path} is not valid YAML{where}: {short(problem)}") from None
    except RecursionError:
        raise MindganError(f"config file {path} is nested too deeply to be a recipe") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise MindganError(f"config file {path} must hold a mapping of keys to values")
    return validate(raw, str(path))


def recipe_path(model: str) -> Path:
    """The default recipe of a model: configs/<model>_*.yaml named in the registry."""
    return CONFIG_DIR / get_model(model).recipe


def load(model: str | None = None, path: str | Path | None = None, overrides: dict | None = None) -> dict:
    """Schema defaults <- the recipe (given path, or the model's default) <- CLI overrides."""
    cfg = defaults()
    if path is None:
        path = recipe_path(model or cfg["model"])
    cfg.update(read_yaml(Path(path)))
    if model:
        cfg["model"] = model
    cfg = merged(cfg, validate(overrides or {}, "command line"))
    check(cfg)
    return cfg


def merged(cfg: dict, overrides: dict) -> dict:
    """cfg with validated overrides applied: model_args key by key (`--set model_args.ndf=16` sets one
    argument and keeps the others), every other key replaced. A fresh run and a resume apply them alike."""
    return {**cfg, **overrides, "model_args": {**cfg["model_args"], **overrides.get("model_args", {})}}


def check(cfg: dict) -> None:
    """What no single key can say: the model's contract, the schedule's limits, sizes that must fit together."""
    if cfg["lr_g"] <= 0 or cfg["lr_d"] <= 0:
        raise MindganError(f"learning rates must be above 0 (lr_g {cfg['lr_g']}, lr_d {cfg['lr_d']})")
    if cfg["lr_decay"] and cfg["beta1"] == 0.0:
        raise MindganError("lr_decay needs beta1 above 0: Adam with beta1 0 is mint.optim.Adam here, which takes no "
                           "learning-rate schedule; use beta1 0.5, or lr_decay 0")
    check_config(cfg)
    augment.parse_policy(cfg["diffaugment"])
    SCHEDULES.get(cfg["schedule"]).check(cfg)


def add_override_args(parser: argparse.ArgumentParser) -> None:
    """One --flag per scalar schema key (`batch_size` -> `--batch-size`)."""
    group = parser.add_argument_group("config overrides (any recipe key)")
    for key, spec in SCHEMA.items():
        if key in ("model", "data") or spec.type is dict:
            continue
        group.add_argument("--" + key.replace("_", "-"), dest="cfg_" + key, type=spec.type, default=None,
                           metavar=spec.type.__name__.upper(), help=spec.help)
    group.add_argument("--set", dest="cfg_set", action="append", default=[], metavar="KEY=VALUE",
                       help="set any key, YAML value syntax; model_args.ngf=32 sets one model argument")


def overrides_from_args(args: argparse.Namespace) -> dict:
    out = {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg_") and k != "cfg_set" and v is not None}
    for item in args.cfg_set:
        key, sep, text = item.partition("=")
        if not sep:
            raise MindganError(f"--set {short(item)}: expected KEY=VALUE, e.g. --set epochs=5")
        try:
            value = safe_load(text)
        except (yaml.YAMLError, RecursionError):
            raise MindganError(f"--set {item!r}: the value is not valid YAML (quote strings, e.g. "
                               f"--set {key}='\"text\"', lists as [1, 2])") from None
        if key.startswith("model_args."):
            out.setdefault("model_args", {})[key.split(".", 1)[1]] = value
        else:
            out[key] = value
    return out
