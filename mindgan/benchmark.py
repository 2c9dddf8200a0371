"""Timing a model's training step without data, and the data pipeline alone: what `python -m mindgan.bench`,
benchmarks/compare.py and benchmarks/profile_step.py measure with."""
from __future__ import annotations

import tempfile
import time

import numpy as np

from . import config, device, parallel
from .api import build_dataset, choose_isa
from .training import Trainer


def time_steps(trainer, batches: list[dict], steps: int, warmup: int = 2) -> dict:
    """Compile time (first call) and median/min ms per step, calling the trainer as training does:
    `steps_per_call` batches per compiled graph call, with the nets in training mode as `fit` runs them."""
    trainer.train_mode()

    def call():
        trainer.schedule.run(batches, trainer.state.step)

    k = len(batches)
    t0 = time.perf_counter()
    call()
    first = time.perf_counter() - t0
    for _ in range(warmup):
        call()
    times = []
    for _ in range(max(1, steps // k)):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) / k)
    med = float(np.median(times))
    return {"compile_s": first - med * k, "step_ms": med * 1e3, "step_ms_min": min(times) * 1e3}


def random_batches(gan, batch: int, k: int, seed: int = 0) -> list[dict]:
    """k batches of the shapes a model trains on (uniform images in [-1, 1], Gaussian latents, labels)."""
    rng = np.random.default_rng(seed)
    return [{"image": rng.uniform(-1, 1, (batch, *gan.image_shape)).astype(np.float32),
             "latent_code": rng.standard_normal((batch, *gan.latent_shape)).astype(np.float32),
             "label": rng.integers(0, 10, batch).astype(np.int32)} for _ in range(k)]


def trainer_on_random_batches(model: str, batch: int, dev: str = "CPU", **overrides):
    """(trainer, one graph call's worth of random batches) for timing `model`'s step without data
    (benchmarks/compare.py and benchmarks/profile_step.py)."""
    cfg = config.load(model=model, overrides={"batch_size": batch, **overrides})
    choose_isa(cfg)  # as the train command does: a benchmark is a one-job process too
    device.setup(dev, cfg["threads"])
    trainer = Trainer(cfg, tempfile.mkdtemp(), progress=False, hooks=[])
    return trainer, random_batches(trainer.gan, batch, cfg["steps_per_call"])


def time_pipeline(dataset, batches: int) -> float:
    """Images per second the dataset pipeline delivers on its own (no training)."""
    it = dataset.create_dict_iterator(num_epochs=1)
    next(it)  # start-up is not throughput
    t0, n = time.perf_counter(), 0
    for i, b in enumerate(it):
        n += b["image"].shape[0]
        if i + 1 >= batches:
            break
    return n / (time.perf_counter() - t0)


def measure(cfg: dict, steps: int, batches: int) -> dict:
    """What `python -m mindgan.bench` prints, for a config on the device already set up: the step timing on
    one graph call's worth of real batches, the pipeline alone, the images per second of both. Under msrun
    (python -m mindgan.launch --bench) it joins the job first, and every worker times its shard."""
    workers = parallel.init()
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, tmp, progress=False, hooks=[])
        dataset, loc = build_dataset(cfg, trainer.gan)
        it = dataset.create_dict_iterator(num_epochs=1, output_numpy=True)
        k = max(1, min(cfg["steps_per_call"], dataset.get_dataset_size()))
        timing = time_steps(trainer, [next(it) for _ in range(k)], steps)
        pipe = time_pipeline(dataset, batches)
    step_ips = trainer.global_batch / (timing["step_ms"] / 1e3)  # all workers' images per step
    return {**timing, "workers": workers, "steps_per_call": k, "global_batch": trainer.global_batch, "local_batch": parallel.local_batch(cfg),
            "data": loc.source, "train_images_per_s": step_ips, "pipeline_images_per_s": pipe}
