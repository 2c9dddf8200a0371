"""Configs as data: a YAML recipe per model, checked against one schema, overridable from the CLI."""
from __future__ import annotations

import argparse
import copy
from pathlib import Path

import yaml

from .errors import MindganError

_HERE = Path(__file__).resolve().parent
# The recipes: inside the package when installed (package data mindgan/configs), else a checkout's configs/
CONFIG_DIR = next((d for d in (_HERE / "configs", _HERE.parent / "configs") if d.is_dir()), _HERE / "configs")

# Every key a recipe may set: name -> (type, default, help). Recipes set what their tutorial sets.
SCHEMA: dict[str, tuple[type, object, str]] = {
    "model": (str, "gan", "model name in the registry"),
    "data": (str, "auto", "data source name (see `python -m mindgan.data list`) or a folder path"),
    "bad_images": (str, "error", "unreadable or too-small files in an image folder: error (name the first) or skip"),
    "image_size": (int, 28, "side of the square training images"),
    "channels": (int, 1, "image channels"),
    "latent_size": (int, 100, "length of the generator's noise vector"),
    "num_classes": (int, 10, "classes for conditional models"),
    "batch_size": (int, 128, "images per training step"),
    "epochs": (int, 200, "passes over the training data"),
    "lr_g": (float, 2e-4, "generator Adam learning rate"),
    "lr_d": (float, 2e-4, "discriminator Adam learning rate"),
    "beta1": (float, 0.5, "Adam beta1"),
    "beta2": (float, 0.999, "Adam beta2"),
    "loss": (str, "bce", "adversarial loss: bce (with a Sigmoid discriminator) or wgan_gp"),
    "d_loss_scale": (float, 1.0, "factor on the discriminator's real+fake loss (the DCGAN tutorial uses 0.5)"),
    "n_critic": (int, 1, "discriminator steps per generator step"),
    "gp_weight": (float, 10.0, "gradient-penalty weight (wgan_gp)"),
    "grid_rows": (int, 5, "rows of the per-epoch fixed-noise grid"),
    "grid_cols": (int, 5, "columns of the per-epoch fixed-noise grid"),
    "d_accuracy_samples": (int, 0, "log D's accuracy on this many real and fake images each epoch (bce; 0 = off)"),
    "ckpt_every": (int, 10, "save a checkpoint every N epochs (and always at the end)"),
    "keep_checkpoint_max": (int, 5, "checkpoints kept on disk (older ones are deleted)"),
    "max_steps": (int, 0, "stop each epoch after this many steps (0 = whole epoch); for quick runs"),
    "steps_per_call": (int, 4, "training steps per compiled graph call (same numerics; fewer launches)"),
    "seed": (int, 2323, "seed for shuffling, noise and initialisation"),
    "num_workers": (int, 0, "dataset workers (0 = one per core)"),
    "threads": (int, 0, "CPU op threads (0 = half the cores, at least 1)"),
    "eval_every": (int, 0, "evaluate samples every N epochs and at the end (0 = never): FID etc. to metrics.csv"),
    "eval_samples": (int, 500, "samples per evaluation during training (FID uses up to half the held-out set)"),
    "dp_batch": (str, "split_global", "under msrun: split_global (batch_size is the global batch, split over "
                 "workers) or per_worker (each worker takes batch_size)"),
    "dp_lr": (str, "keep", "under msrun: keep the learning rates, or linear (scale by global batch / batch_size)"),
    "model_args": (dict, {}, "model-specific settings, e.g. {ngf: 64}"),
}


def defaults() -> dict:
    return {k: copy.deepcopy(v[1]) for k, v in SCHEMA.items()}


def _check_type(key: str, value, source: str):
    typ = SCHEMA[key][0]
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise MindganError(f"{source}: key {key!r} must be {typ.__name__}, got {type(value).__name__} "
                           f"({value!r})")
    return value


def validate(raw: dict, source: str) -> dict:
    unknown = sorted(set(raw) - set(SCHEMA))
    if unknown:
        raise MindganError(f"{source}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(SCHEMA)}")
    return {k: _check_type(k, v, source) for k, v in raw.items()}


def read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise MindganError(f"config file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text())  # safe_load: a config can never run code
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise MindganError(f"config file {path} is not valid YAML{where}: {problem}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise MindganError(f"config file {path} must hold a mapping of keys to values")
    return validate(raw, str(path))


def recipe_path(model: str) -> Path:
    """The default recipe of a model: configs/<model>_*.yaml named in the registry."""
    from .models import get_model

    return CONFIG_DIR / get_model(model).default_config


def load(model: str | None = None, path: str | Path | None = None, overrides: dict | None = None) -> dict:
    """Schema defaults <- the recipe (given path, or the model's default) <- CLI overrides."""
    cfg = defaults()
    if path is None:
        path = recipe_path(model or cfg["model"])
    cfg.update(read_yaml(Path(path)))
    if model:
        cfg["model"] = model
    extra = validate(overrides or {}, "command line")
    cfg["model_args"] = {**cfg["model_args"], **extra.pop("model_args", {})}
    cfg.update(extra)
    if cfg["batch_size"] < 1 or cfg["epochs"] < 1:
        raise MindganError("batch_size and epochs must be at least 1")
    return cfg


def add_override_args(parser: argparse.ArgumentParser) -> None:
    """One --flag per scalar schema key (`batch_size` -> `--batch-size`)."""
    group = parser.add_argument_group("config overrides (any recipe key)")
    for key, (typ, _, help_) in SCHEMA.items():
        if key in ("model", "data") or typ is dict:
            continue
        group.add_argument("--" + key.replace("_", "-"), dest="cfg_" + key, type=typ, default=None,
                           metavar=typ.__name__.upper(), help=help_)
    group.add_argument("--set", dest="cfg_set", action="append", default=[], metavar="KEY=VALUE",
                       help="set any key, YAML value syntax; model_args.ngf=32 sets one model argument")


def overrides_from_args(args: argparse.Namespace) -> dict:
    out = {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg_") and k != "cfg_set" and v is not None}
    for item in args.cfg_set:
        key, sep, text = item.partition("=")
        if not sep:
            raise MindganError(f"--set {item!r}: expected KEY=VALUE")
        value = yaml.safe_load(text)
        if key.startswith("model_args."):
            out.setdefault("model_args", {})[key.split(".", 1)[1]] = value
        else:
            out[key] = value
    return out
