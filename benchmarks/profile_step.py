"""Where the milliseconds of one training step go, in MindSpore (mindgan's step) and in PyTorch (the same nets).

    python benchmarks/profile_step.py --model gan               # markdown tables on stdout
    python benchmarks/profile_step.py --model dcgan --calls 1 --out docs/profile_dcgan.md

Four measurements, each in its own subprocess so that the profilers do not slow each other:
1. `mindspore`: MindSpore's profiler (`mindspore.profiler.profile`, CPU activity) around a few graph calls of
   mindgan's step: kernel time per op type per step; the wall time left over is the framework's launch and host
   work (graph launch, input copies, reading the losses).
2. `onednn-ms`: `ONEDNN_VERBOSE=profile_exec` on the same step: every oneDNN primitive MindSpore runs
   (convolutions, matmuls, batch norms), with the implementation oneDNN picked and its time, per shape.
3. `torch` and 4. `onednn-torch`: the same for PyTorch's step (benchmarks/torch_steps.py) with
   `torch.profiler` and `ONEDNN_VERBOSE`, when PyTorch is installed here (`pip install -e ".[bench]"`) or in
   another interpreter named by `--torch-python PATH` (a venv with torch and numpy<2, no mindgan needed).
The host side of the input pipeline (decoding, scaling, the latent column drawn by NumPy) runs beside the
step on the other core; its cost per batch is printed from `mindgan.bench`'s pipeline timing.
"""
from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import machine  # a sibling module: this folder is on sys.path when a script runs

HERE = Path(__file__).resolve().parent
MARK = "PROFILE-START"

# MindSpore op types -> the classes of the table (the rest is "elementwise and other")
CLASSES = {
    "matmul": ("MatMul", "BatchMatMul"),
    "convolution": ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "Conv2DTranspose"),
    "batch norm": ("BatchNorm", "BatchNormGrad"),
    "optimiser (Adam, EMA)": ("Adam", "ApplyAdam", "Assign", "AssignAdd", "AssignSub"),
    "copies and reshapes": ("TensorMove", "StridedSlice", "Stack", "Concat", "Reshape", "Transpose"),
}
TORCH_CLASSES = {
    "matmul": ("aten::mm", "aten::addmm", "aten::bmm", "aten::matmul"),
    "convolution": ("aten::mkldnn_convolution", "aten::convolution_backward", "aten::_convolution",
                    "aten::convolution"),
    "batch norm": ("aten::native_batch_norm", "aten::native_batch_norm_backward"),
    # PyTorch's single-tensor Adam: a few ops per parameter (in the gan step lerp_, mul_, addcdiv_, sqrt and div
    # run 22 times, once per parameter); add_ also counts the few adds outside Adam, a small overcount
    "optimiser (Adam, EMA)": ("Optimizer.step#Adam.step", "aten::lerp_", "aten::addcdiv_", "aten::sqrt",
                              "aten::div", "aten::mul_", "aten::add_", "aten::_foreach_"),
}


def classify(op: str, table: dict) -> str:
    return next((name for name, ops in table.items() if any(op == o or op.startswith(o) for o in ops)),
                "elementwise and other")


# ---- workers (run in subprocesses) --------------------------------------------------------------------------
def mindgan_step(model: str, batch: int, k: int):
    sys.path.insert(0, str(HERE.parent))
    from mindgan.benchmark import trainer_on_random_batches

    trainer, batches = trainer_on_random_batches(model, batch, **({"steps_per_call": k} if k else {}))
    return (lambda: trainer.schedule.run(batches, trainer.state.step)), len(batches)


def torch_step_fn(model: str, batch: int):
    sys.path.insert(0, str(HERE))
    from torch_steps import torch_step

    return torch_step(model, batch, len(os.sched_getaffinity(0))), 1


def worker(kind: str, model: str, batch: int, calls: int, k: int) -> dict:
    step, per_call = (torch_step_fn if kind.endswith("torch") else lambda m, b: mindgan_step(m, b, k))(model, batch)
    step()
    step()  # compiled and warm
    steps = calls * per_call
    if kind == "mindspore":
        import mindspore as ms
        from mindspore.profiler import ProfilerActivity, tensorboard_trace_handler

        out = tempfile.mkdtemp()
        with ms.profiler.profile(activities=[ProfilerActivity.CPU], on_trace_ready=tensorboard_trace_handler(out)):
            t0 = time.perf_counter()
            for _ in range(calls):
                step()
            wall = time.perf_counter() - t0
        ops = collections.Counter()
        counts = collections.Counter()
        for path in glob.glob(f"{out}/**/cpu_op_type_info_0.csv", recursive=True):
            for line in Path(path).read_text().splitlines()[1:]:
                f = line.split(",")
                ops[f[0]] += float(f[3]) / steps
                counts[f[0]] += int(f[1]) / steps
        return {"wall_ms": wall * 1e3 / steps, "ops": dict(ops), "counts": dict(counts), "steps_per_call": per_call}
    if kind == "torch":
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            t0 = time.perf_counter()
            for _ in range(calls):
                step()
            wall = time.perf_counter() - t0
        ops = {e.key: e.self_cpu_time_total / 1e3 / steps for e in prof.key_averages()}
        counts = {e.key: e.count / steps for e in prof.key_averages()}
        return {"wall_ms": wall * 1e3 / steps, "ops": ops, "counts": counts, "steps_per_call": 1}
    # onednn-*: ONEDNN_VERBOSE is on in this process's environment; mark where the timed calls start
    print(MARK, flush=True)
    t0 = time.perf_counter()
    for _ in range(calls):
        step()
    return {"wall_ms": (time.perf_counter() - t0) * 1e3 / steps, "steps": steps}


def onednn_table(text: str, steps: int) -> dict:
    """ONEDNN_VERBOSE exec lines after the mark -> {(primitive, pass, shape): [impl, calls, ms]} per step."""
    rows: dict = {}
    for line in text.split(MARK, 1)[-1].splitlines():
        if not line.startswith("onednn_verbose") or ",exec," not in line:
            continue
        f = line.split(",")
        key = (f[5], f[7], f[-2])
        row = rows.setdefault(key, [f[6], 0, 0.0])
        row[1] += 1 / steps
        row[2] += float(f[-1]) / steps
    return rows


def run(kind: str, args) -> dict | None:
    python = sys.executable
    if kind.endswith("torch"):
        if args.model not in ("gan", "dcgan"):
            return None
        python = machine.find(args, kind)
        if python is None:
            return None
    env = dict(os.environ)
    if kind.startswith("onednn"):
        env["ONEDNN_VERBOSE"] = "profile_exec"
    cmd = [python, __file__, "--worker", kind, "--model", args.model, "--batch-size", str(args.batch_size),
           "--calls", str(args.calls), "--steps-per-call", str(args.steps_per_call)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        print(f"{kind}: failed\n{proc.stderr[-3000:]}", file=sys.stderr)
        return None
    if kind.startswith("onednn"):
        tail = json.loads(proc.stdout.strip().splitlines()[-1])
        return {"wall_ms": tail["wall_ms"], "rows": onednn_table(proc.stdout, tail["steps"])}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- report ------------------------------------------------------------------------------------------------
def by_class(res: dict, table: dict) -> dict:
    """Self times (disjoint, so they add up) summed by class."""
    out = collections.Counter()
    for op, ms in res["ops"].items():
        # torch's record_function scopes ("Name#Qual", "ProfilerStep#N") are left to "host"; Adam's step scope
        # is counted: its self time is the Python loop of the update
        scope = "#" in op and not op.startswith("Optimizer.step")
        if ms > 0 and not scope:
            out[classify(op, table)] += ms
    return out


def report(args, res: dict) -> str:
    lines = [f"### `{args.model}`, batch {args.batch_size}, ms per training step", ""]
    ms_res, pt_res = res.get("mindspore"), res.get("torch")
    if ms_res:
        k = ms_res["steps_per_call"]
        msc = by_class(ms_res, CLASSES)
        ptc = by_class(pt_res, TORCH_CLASSES) if pt_res else {}
        pt_total = sum(ptc.values())
        lines += ["| where the time goes | MindSpore (mindgan) | PyTorch 2.13 |", "| --- | ---: | ---: |"]
        for name in [*CLASSES, "elementwise and other"]:
            pt = f"{ptc.get(name, 0):.1f}" if pt_res else "n/a"
            lines.append(f"| {name} | {msc.get(name, 0):.1f} | {pt} |")
        kernels = sum(msc.values())
        pt_host = f"{pt_res['wall_ms'] - pt_total:.1f}" if pt_res else "n/a"
        lines.append(f"| framework launch and host (wall - kernels) | {ms_res['wall_ms'] - kernels:.1f} "
                     f"({k} steps per graph call) | {pt_host} (eager, Python) |")
        pt_wall = f"**{pt_res['wall_ms']:.1f}**" if pt_res else "n/a"
        lines.append(f"| **step, wall (profiler on)** | **{ms_res['wall_ms']:.1f}** | {pt_wall} |")
        lines += ["", "Top MindSpore kernels (ms per step, calls per step):", ""]
        top = sorted(ms_res["ops"].items(), key=lambda kv: -kv[1])[:args.top]
        lines += [f"- `{op}` {ms:.2f} ms, {ms_res['counts'][op]:.0f} calls" for op, ms in top]
        if pt_res:
            lines += ["", "Top PyTorch ops (self time, ms per step):", ""]
            top = sorted(((o, m) for o, m in pt_res["ops"].items() if not o.startswith("ProfilerStep")),
                         key=lambda kv: -kv[1])[:args.top]
            lines += [f"- `{op}` {ms:.2f} ms, {pt_res['counts'][op]:.0f} calls" for op, ms in top]
    for kind, title in (("onednn-ms", "MindSpore"), ("onednn-torch", "PyTorch")):
        r = res.get(kind)
        if not r:
            continue
        rows = sorted(r["rows"].items(), key=lambda kv: -kv[1][2])
        if not rows:
            lines += ["", f"{title} ran no oneDNN primitive in this step (PyTorch's matmuls run in MKL)."]
            continue
        total = sum(v[2] for v in r["rows"].values())
        lines += ["", f"oneDNN primitives under {title} ({total:.0f} of {r['wall_ms']:.0f} ms per step with "
                      f"ONEDNN_VERBOSE on; top {args.top}):", "",
                  "| primitive | pass | shape | implementation | calls | ms |", "| --- | --- | --- | --- | ---: | ---: |"]
        for (kind_, prop, shape), (impl, n, ms) in rows[:args.top]:
            lines.append(f"| {kind_} | {prop} | `{shape}` | `{impl}` | {n:.0f} | {ms:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="gan", help="any registered model; PyTorch twins exist for gan and dcgan")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--calls", type=int, default=5, help="graph calls profiled (each runs steps_per_call steps)")
    p.add_argument("--steps-per-call", type=int, default=0, help="override the recipe's (0: the recipe's)")
    p.add_argument("--top", type=int, default=12, help="rows per detailed table")
    p.add_argument("--parts", default="mindspore,torch,onednn-ms,onednn-torch")
    machine.add_argument(p)
    p.add_argument("--out", default=None, help="also write the markdown here")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.model, args.batch_size, args.calls, args.steps_per_call)))
        return 0
    res = {kind: run(kind, args) for kind in args.parts.split(",")}
    text = report(args, res)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
