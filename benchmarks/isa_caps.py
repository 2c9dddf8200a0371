"""mindgan's training step under each oneDNN ISA cap: speed (alternating runs) and how far the losses move.

    python benchmarks/isa_caps.py                             # gan, minimal, cgan: AVX2 against AVX512_CORE
    python benchmarks/isa_caps.py --models gan --rounds 6 --caps AVX2,AVX512_CORE,AVX512_CORE_AMX

oneDNN reads ONEDNN_MAX_CPU_ISA once per process, so every (model, cap) runs in its own process, and the caps
alternate round by round (A B A B ...) so that a load change on shared cores hits both alike. Each run reports
wall ms per step (median and fastest graph call) and the process's CPU ms per step (a fairer lead while other
jobs share the cores), plus the losses of its first graph calls on fixed random batches: the losses under
each cap are compared with the first cap's (bit-identical or the largest relative difference).
This is the measurement behind mindgan's per-model ISA choice (mindgan/env.py, docs/performance.md).
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


def worker(model: str, batch: int, calls: int, loss_calls: int) -> dict:
    sys.path.insert(0, str(HERE.parent))
    import mindgan  # noqa: F401  (keeps the ONEDNN_MAX_CPU_ISA this process was started with)
    from mindgan.benchmark import trainer_on_random_batches

    trainer, batches = trainer_on_random_batches(model, batch)
    losses = []
    for i in range(loss_calls):  # the same batches again and again: the losses show the numerics' drift
        losses += [[float(d), float(g) if t else None] for d, g, t in trainer.schedule.run(batches, i * len(batches))]
    walls, cpus = [], []
    for i in range(calls):
        w0, c0 = time.perf_counter(), time.process_time()
        trainer.schedule.run(batches, (loss_calls + i) * len(batches))
        walls.append((time.perf_counter() - w0) * 1e3 / len(batches))
        cpus.append((time.process_time() - c0) * 1e3 / len(batches))
    return {"isa": os.environ.get("ONEDNN_MAX_CPU_ISA"), "ms": statistics.median(walls), "min_ms": min(walls),
            "cpu_ms": statistics.median(cpus), "losses": losses}


def run(model: str, cap: str, args) -> dict:
    env = dict(os.environ, ONEDNN_MAX_CPU_ISA=cap)
    proc = subprocess.run([sys.executable, __file__, "--worker", model, "--batch-size", str(args.batch_size),
                           "--calls", str(args.calls), "--loss-calls", str(args.loss_calls)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{model} under {cap} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def loss_difference(a: list, b: list) -> str:
    pairs = [(x, y) for ra, rb in zip(a, b) for x, y in zip(ra, rb) if x is not None]
    if all(x == y for x, y in pairs):
        return "bit-identical"
    worst = max(abs(x - y) / max(abs(x), 1e-12) for x, y in pairs)
    first = next(i for i, (ra, rb) in enumerate(zip(a, b)) if ra != rb)
    return f"differ from step {first + 1}: largest relative difference {worst:.1e}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="gan,minimal,cgan")
    p.add_argument("--caps", default="AVX2,AVX512_CORE")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--rounds", type=int, default=4, help="alternating runs of each cap")
    p.add_argument("--calls", type=int, default=10, help="timed graph calls per run (steps_per_call steps each)")
    p.add_argument("--loss-calls", type=int, default=3, help="graph calls whose losses are compared")
    p.add_argument("--json", default=None, help="also write every run here")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.batch_size, args.calls, args.loss_calls)))
        return 0
    caps = args.caps.split(",")
    cpu = machine.cpu_model()
    load = machine.load_average()
    load = float("nan") if load is None else load
    print(f"{cpu}, {len(os.sched_getaffinity(0))} cores, batch {args.batch_size}, load {load:.1f}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| model | cap | ms per step, median of runs | fastest run | CPU ms per step | losses against "
          f"{caps[0]} |\n| --- | --- | ---: | ---: | ---: | --- |")
    everything = {}
    for model in args.models.split(","):
        runs = {cap: [] for cap in caps}
        for _ in range(args.rounds):
            for cap in caps:
                runs[cap].append(run(model, cap, args))
        everything[model] = runs
        for cap in caps:
            r = runs[cap]
            same = loss_difference(runs[caps[0]][0]["losses"], r[0]["losses"])
            repeat = loss_difference(r[0]["losses"], r[-1]["losses"])
            print(f"| `{model}` | {cap} | {statistics.median(x['ms'] for x in r):.1f} | "
                  f"{min(x['min_ms'] for x in r):.1f} | {statistics.median(x['cpu_ms'] for x in r):.1f} | "
                  f"{same} (run to run: {repeat}) |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"cpu": cpu, "batch": args.batch_size, "runs": everything}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
