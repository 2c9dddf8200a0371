"""`python -m mindgan.bench --model gan`: compile time, ms per training step, pipeline speed, peak memory."""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time

import numpy as np

from .errors import cli_entry


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
    from . import config, device
    from .training import Trainer

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


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


@cli_entry
def main(argv=None):
    from .api import build_dataset
    from .cli import add_run_args, config_from_args

    p = argparse.ArgumentParser(prog="python -m mindgan.bench", description=__doc__)
    add_run_args(p)
    p.add_argument("--steps", type=int, default=30, help="timed steps after warm-up (default 30)")
    p.add_argument("--batches", type=int, default=50, help="batches for the pipeline timing (default 50)")
    args = p.parse_args(argv)
    from . import device, parallel
    from .training import Trainer

    cfg = config_from_args(args)
    name = device.setup(args.device, cfg["threads"])
    workers = parallel.init()  # under msrun (python -m mindgan.launch --bench): every worker times its shard
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, tmp, progress=False, hooks=[])
        dataset, loc = build_dataset(cfg, trainer.gan)
        it = dataset.create_dict_iterator(num_epochs=1, output_numpy=True)
        k = max(1, min(cfg["steps_per_call"], dataset.get_dataset_size()))
        steps = time_steps(trainer, [next(it) for _ in range(k)], args.steps)
        pipe = time_pipeline(dataset, args.batches)
    step_ips = trainer.global_batch / (steps["step_ms"] / 1e3)  # all workers' images per step
    on = name if workers == 1 else f"{name} x{workers} workers ({parallel.local_batch(cfg)} images each)"
    print(f"model {cfg['model']}  device {on}  batch {trainer.global_batch}  data {loc.source}")
    print(f"compile            {steps['compile_s']:8.2f} s")
    print(f"train step         {steps['step_ms']:8.1f} ms (median; min {steps['step_ms_min']:.1f}; "
          f"{k} steps per graph call)")
    print(f"training           {step_ips:8.0f} images/s")
    print(f"data pipeline      {pipe:8.0f} images/s ({pipe / step_ips:.1f}x the step)")
    print(f"peak memory        {peak_memory_mb():8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
