"""Timing a model's training step without data, and the data pipeline alone: what `python -m mindgan.bench`,
benchmarks/compare.py and benchmarks/profile_step.py measure with."""
from __future__ import annotations

import tempfile
import time

import numpy as np

from . import config, device
from .training import Trainer


def time_steps(trainer, batches: list[dict], steps: int, warmup: int = 2) -> dict:
    """Compile time (first call) and median/min ms per step, calling the trainer as training does:
    `steps_per_call` batches per compiled graph call."""
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
