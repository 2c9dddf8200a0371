"""`python -m mindgan.bench --model gan`: compile time, ms per training step, pipeline speed, peak memory."""
from __future__ import annotations

import argparse
import tempfile

from .. import device
from ..errors import cli_entry
from ..portable import peak_memory_mb
from . import add_run_args, config_from_args


@cli_entry
def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mindgan.bench", description=__doc__)
    add_run_args(p)
    p.add_argument("--steps", type=int, default=30, help="timed steps after warm-up (default 30)")
    p.add_argument("--batches", type=int, default=50, help="batches for the pipeline timing (default 50)")
    args = p.parse_args(argv)
    # these load MindSpore: only once the arguments are parsed
    from .. import parallel
    from ..api import build_dataset
    from ..benchmark import time_pipeline, time_steps
    from ..training import Trainer

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
    peak = peak_memory_mb()
    print(f"peak memory        {peak:8.0f} MB" if peak is not None else "peak memory        (not reported here)")
    return 0

