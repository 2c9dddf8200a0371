"""Glue shared by the entry points: argument groups, and turning a config into data + trainer."""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from . import config
from .device import DEVICES
from .errors import MindganError


def add_device_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", type=str, metavar="{" + ",".join(DEVICES) + "}",
                        help="where to run: Ascend, GPU, CPU, or auto (the first that initialises; default)")


def add_run_args(parser: argparse.ArgumentParser) -> None:
    """--model/--config/--data plus one flag per config key."""
    parser.add_argument("--model", default=None, help="model name (see --list-models); default: the config's")
    parser.add_argument("--config", default=None, help="YAML recipe; default: the model's recipe in configs/")
    parser.add_argument("--data", default=None, help="data source name, a folder, or auto")
    add_device_arg(parser)
    config.add_override_args(parser)


def config_from_args(args) -> dict:
    overrides = config.overrides_from_args(args)
    if args.data is not None:
        overrides["data"] = args.data
    return config.load(model=args.model, path=args.config, overrides=overrides)


def holds_run(out: Path) -> bool:
    return (out / "config.yaml").is_file() or (out / "checkpoints").is_dir()


def check_out_dir(out: Path, resume: bool, overwrite: bool) -> None:
    """Refuse to mix two runs in one folder (writes nothing)."""
    if holds_run(out) and not (resume or overwrite):
        raise MindganError(f"{out} already holds a run: add --resume to continue it, --overwrite to replace "
                           f"it, or choose another --out")


def prepare_out_dir(out: Path, resume: bool, overwrite: bool) -> None:
    """Create the run folder (emptied with --overwrite) and check it can be written."""
    check_out_dir(out, resume, overwrite)
    if holds_run(out) and overwrite and not resume:
        shutil.rmtree(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write_test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as err:
        raise MindganError(f"cannot write to output folder {out} ({err.strerror}): choose another --out") from None


def build_dataset(cfg: dict, gan, split: str = "train", seed_offset: int = 0, loc=None, shard="auto"):
    """The model's training pipeline from its config; returns (dataset, data location).

    `loc` skips resolving (and re-announcing) the data source; `seed_offset` varies shuffle and noise.
    `shard` (shard_id, num_shards): this worker's share and batch; "auto" = the msrun job's, None = all.
    """
    from . import parallel
    from .data import pipelines, sources

    shard = parallel.shard() if shard == "auto" else shard
    shard_id, num_shards = shard or (None, None)
    batch = parallel.local_batch(cfg, num_shards or 1)
    loc = loc or sources.resolve(cfg["data"], gan.data_kind)
    if gan.data_kind == "mnist":
        return pipelines.mnist(loc, batch, int(gan.latent_shape[0]), cfg["seed"] + seed_offset,
                               gan.value_range, split=split, num_workers=cfg["num_workers"],
                               image_size=gan.image_shape[1], num_shards=num_shards, shard_id=shard_id,
                               num_classes=cfg["num_classes"] if gan.conditional else None), loc
    if gan.data_kind == "images":
        return pipelines.images(loc, batch, tuple(gan.latent_shape), cfg["seed"] + seed_offset,
                                gan.value_range, image_size=gan.image_shape[1], channels=gan.image_shape[0],
                                split=split, num_workers=cfg["num_workers"], bad_images=cfg["bad_images"],
                                num_shards=num_shards, shard_id=shard_id), loc
    raise MindganError(f"no pipeline for data kind {gan.data_kind}")
