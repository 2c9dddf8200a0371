"""`python -m mindgan.bench --model gan`: compile time, ms per training step, pipeline speed, peak memory."""
from __future__ import annotations

import argparse

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
    from .. import benchmark  # loads MindSpore: only once the arguments are parsed

    cfg = config_from_args(args)
    benchmark.choose_isa(cfg)  # as the train command does, before MindSpore runs anything
    name = device.setup(args.device, cfg["threads"])
    r = benchmark.measure(cfg, args.steps, args.batches)
    on = name if r["workers"] == 1 else f"{name} x{r['workers']} workers ({r['local_batch']} images each)"
    print(f"model {cfg['model']}  device {on}  batch {r['global_batch']}  data {r['data']}")
    print(f"compile            {r['compile_s']:8.2f} s")
    print(f"train step         {r['step_ms']:8.1f} ms (median; min {r['step_ms_min']:.1f}; "
          f"{r['steps_per_call']} steps per graph call)")
    print(f"training           {r['train_images_per_s']:8.0f} images/s")
    pipe = r["pipeline_images_per_s"]
    print(f"data pipeline      {pipe:8.0f} images/s ({pipe / r['train_images_per_s']:.1f}x the step)")
    peak = peak_memory_mb()
    print(f"peak memory        {peak:8.0f} MB" if peak is not None else "peak memory        (not reported here)")
    return 0
