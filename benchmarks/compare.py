"""Time one training step three ways on this machine, and print ms per step and the ratios.

    python benchmarks/compare.py --model gan            # batch 128
    python benchmarks/compare.py --model dcgan --steps 3
    python benchmarks/compare.py --model cgan            # any model: mindgan's step alone
    python benchmarks/compare.py --model dcgan --device GPU --json out.json   # GPU vs PyTorch CUDA
    python benchmarks/compare.py --table docs/benchmarks/*/*_cpu.json         # the README's tables, one per CPU

(a) `tutorial`: the seed tutorial's step as written (benchmarks/seed_steps.py), in a process that does not
    load mindgan, so MindSpore runs with its own defaults (no ISA cap, default threads);
(b) `mindgan`: mindgan's trainer step for the same model and batch;
(c) `pytorch`: the same networks in PyTorch, from this interpreter when torch is installed here
    (`pip install -e ".[bench]"`), or from another one that has torch and numpy and no mindgan at all:
    `--torch-python ~/torchenv/bin/python` or `TORCH_PYTHON=...` (so the project's venv stays free of torch).
Each variant runs in its own subprocess (one command runs them all), on the same random batch shape, and
reports ms per step (median and min) and compile seconds (the first call's time less its steps); with
`--rounds N` the variants run N times, alternating, and the figures are the median of the runs' medians and the
fastest step of any run (what docs/performance.md quotes on shared machines); (b) is
timed by `mindgan.bench.time_steps`, the code behind `python -m mindgan.bench`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import machine  # a sibling module: this folder is on sys.path when a script runs

HERE = Path(__file__).resolve().parent


def cores() -> int:
    return len(os.sched_getaffinity(0))


def time_step(step, steps: int, warmup: int) -> dict:
    t0 = time.perf_counter()
    step()
    first = time.perf_counter() - t0
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {"first_s": first, "compile_s": max(0.0, first - med), "ms": med * 1e3, "min_ms": min(times) * 1e3}


def worker(variant: str, model: str, batch: int, steps: int, warmup: int, dev: str = "CPU") -> dict:
    sys.path.insert(0, str(HERE))
    if variant == "tutorial":
        import mindspore as ms

        ms.set_device(dev)
        from seed_steps import SEED_STEPS

        return time_step(SEED_STEPS[model](batch), steps, warmup)
    if variant == "mindgan":
        sys.path.insert(0, str(HERE.parent))
        from mindgan.benchmark import time_steps, trainer_on_random_batches

        trainer, batches = trainer_on_random_batches(model, batch, dev)
        res = time_steps(trainer, batches, steps, warmup)
        return {"first_s": res["compile_s"] + res["step_ms"] / 1e3, "compile_s": res["compile_s"],
                "ms": res["step_ms"], "min_ms": res["step_ms_min"], "steps_per_call": len(batches)}
    if variant == "pytorch":
        from torch_steps import torch_step
        import torch

        return {"torch": torch.__version__} | time_step(torch_step(model, batch, cores(), "cuda" if dev == "GPU" else "cpu"), steps, warmup)
    raise ValueError(variant)


def run_variant(variant, args) -> dict | None:
    if variant in ("tutorial", "pytorch") and args.model not in ("gan", "dcgan"):
        return None  # the seed steps and PyTorch twins are written for these two
    env = dict(os.environ)
    if variant == "tutorial":
        for k in ("ONEDNN_MAX_CPU_ISA",):  # the tutorial as a reader runs it: MindSpore's defaults
            if k in env and not args.keep_env:
                env.pop(k)
    python = sys.executable
    if variant == "pytorch":
        python = machine.find(args, "pytorch")
        if python is None:
            return None
    cmd = [python, __file__, "--worker", variant, "--model", args.model, "--batch-size", str(args.batch_size),
           "--steps", str(args.steps if variant != "tutorial" else args.tutorial_steps), "--warmup", str(args.warmup),
           "--device", args.device]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        print(f"{variant}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="gan", help="any registered model; (a) and (c) exist for gan and dcgan")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--tutorial-steps", type=int, default=None, help="timed steps for (a) (default: --steps)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--rounds", type=int, default=1,
                   help="run the variants this many times, alternating; report the median of the runs' medians "
                        "and the fastest step")
    p.add_argument("--keep-env", action="store_true", help="run (a) with this shell's ONEDNN_MAX_CPU_ISA")
    p.add_argument("--variants", default="tutorial,mindgan,pytorch")
    p.add_argument("--device", default="CPU", choices=("CPU", "GPU"), help="MindSpore device; PyTorch uses CUDA with GPU")
    machine.add_argument(p, "the PyTorch variant")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--table", nargs="+", default=None, metavar="JSON",
                   help="print the README's markdown table from files written by --json, and exit")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.table:
        print(table([json.loads(Path(f).read_text()) for f in args.table]))
        return 0
    if args.worker:
        print(json.dumps(worker(args.worker, args.model, args.batch_size, args.steps, args.warmup, args.device)))
        return 0
    args.tutorial_steps = args.tutorial_steps or args.steps
    cpu = machine.cpu_model() + (" with AVX-512" if machine.has_avx512() else "")
    load = machine.load_average()  # recorded: idle figures say so
    shown = "n/a" if load is None else f"{load:.1f}"
    print(f"{args.model}, batch {args.batch_size}, {args.device}, {cores()} cores ({cpu}), load {shown}, "
          f"{args.rounds} round(s)")
    variants = args.variants.split(",")
    rounds = {v: [] for v in variants}
    for _ in range(args.rounds):  # alternating (a b c a b c ...): a load change on shared cores hits all alike
        for v in variants:
            rounds[v].append(run_variant(v, args))
    results = {v: combine(runs) for v, runs in rounds.items()}
    base = results.get("mindgan")
    print(f"{'variant':10s} {'ms/step':>9s} {'min':>9s} {'compile s':>10s}  mindgan / this")
    for v, r in results.items():
        if r is None:
            print(f"{v:10s} {'n/a':>9s}")
            continue
        ratio = f"{base['ms'] / r['ms']:.2f}" if base else ""
        print(f"{v:10s} {r['ms']:9.1f} {r['min_ms']:9.1f} {r['compile_s']:10.2f}  {ratio}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "model": args.model, "batch": args.batch_size, "device": args.device, "cpu": cpu, "cores": cores(),
            "date": time.strftime("%Y-%m-%d"), "mindspore": version("mindspore"), "rounds": args.rounds,
            "load_at_start": load, "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA"),
            "torch": (results.get("pytorch") or {}).get("torch") or version("torch"),
            "ms_per_step": results}, indent=1) + "\n")
    return 0


def combine(runs: list) -> dict | None:
    """One variant's alternating runs -> the median of their medians, the fastest step of any, and each run's."""
    runs = [r for r in runs if r is not None]
    if not runs:
        return None
    if len(runs) == 1:
        return runs[0]
    return {**runs[0], "ms": statistics.median(r["ms"] for r in runs), "min_ms": min(r["min_ms"] for r in runs),
            "compile_s": statistics.median(r["compile_s"] for r in runs), "runs_ms": [r["ms"] for r in runs]}


def version(package: str) -> str | None:
    """The installed version, or None (device_check.py runs the PyTorch variant in a venv without MindSpore)."""
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def table(runs: list[dict]) -> str:
    """The README's speed tables from compare.py --json files: one table per CPU and date (files from several
    machines give one table each), ms per step, compile seconds, ratios."""
    groups: dict = {}
    for run in runs:
        groups.setdefault((run["cpu"], run["date"]), []).append(run)
    return "\n\n".join(_table(group) for group in groups.values())


def _table(runs: list[dict]) -> str:
    first = runs[0]
    how = f", alternating runs x{first['rounds']} (median; fastest in brackets)" if first.get("rounds", 1) > 1 else ""
    if first.get("load_at_start") is not None:
        how += f", load {first['load_at_start']:.1f} at the start"
    lines = [f"Measured {first['date']} on {first['cores']} cores of an {first['cpu']} ({first['device']}), "
             f"MindSpore {first['mindspore']}, PyTorch {first['torch'] or 'not installed'}, batch {first['batch']}{how}, "
             f"`python benchmarks/compare.py --model NAME --json FILE`:", "",
             "| model | tutorial as written | mindgan | PyTorch | mindgan compile | mindgan vs tutorial | "
             "mindgan / PyTorch |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for run in runs:
        r = run["ms_per_step"]
        ms = {v: (r.get(v) or {}).get("ms") for v in ("tutorial", "mindgan", "pytorch")}
        cell = {v: f"{x:,.1f} ms" if x else "n/a" for v, x in ms.items()}
        if how:
            cell = {v: c + (f" ({r[v]['min_ms']:,.1f})" if ms[v] else "") for v, c in cell.items()}
        faster = f"{ms['tutorial'] / ms['mindgan']:.1f}x faster" if ms["tutorial"] else "n/a"
        ratio = f"{ms['mindgan'] / ms['pytorch']:.2f}" if ms["pytorch"] else "n/a"
        lines.append(f"| `{run['model']}` | {cell['tutorial']} | {cell['mindgan']} | {cell['pytorch']} | "
                     f"{r['mindgan']['compile_s']:.1f} s | {faster} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
