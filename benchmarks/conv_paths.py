"""One DCGAN convolution (forward + both backward passes) under each oneDNN ISA cap, and in PyTorch.

    python benchmarks/conv_paths.py                  # the 128->256 4x4 stride-2 layer at 16x16, batch 128
    python benchmarks/conv_paths.py --caps AVX2,AVX512_CORE --repeat 3 --torch-python ~/torchenv/bin/python

MindSpore reads ONEDNN_MAX_CPU_ISA once, when oneDNN first runs, so each cap runs in its own process; with
ONEDNN_VERBOSE=profile_exec each pass prints the implementation oneDNN picked and its time.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import machine  # a sibling module: this folder is on sys.path when a script runs

SHAPE = dict(batch=128, c_in=128, c_out=256, side=16)


def mindspore_layer(threads: int, repeat: int) -> dict:
    import mindspore as ms
    import numpy as np
    from mindspore import device_context, nn

    ms.set_device("CPU")
    device_context.cpu.op_tuning.threads_num(threads)
    net = nn.Conv2d(SHAPE["c_in"], SHAPE["c_out"], 4, 2, "pad", 1, has_bias=False)
    x = ms.Tensor(np.random.default_rng(0).standard_normal(
        (SHAPE["batch"], SHAPE["c_in"], SHAPE["side"], SHAPE["side"])).astype(np.float32))

    def loss(x):
        return net(x).sum()

    step = ms.jit(ms.value_and_grad(loss, 0, net.trainable_params()))  # forward, backward-data, backward-weights
    step(x)[0].asnumpy()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        step(x)[0].asnumpy()
        times.append(time.perf_counter() - t0)
    return {"ms": min(times) * 1e3}


def torch_layer(threads: int, repeat: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    net = torch.nn.Conv2d(SHAPE["c_in"], SHAPE["c_out"], 4, 2, 1, bias=False)
    x = torch.randn(SHAPE["batch"], SHAPE["c_in"], SHAPE["side"], SHAPE["side"], requires_grad=True)
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        net(x).sum().backward()
        times.append(time.perf_counter() - t0)
    return {"ms": min(times[1:]) * 1e3}


def run(args_list: list[str], env: dict, python: str = sys.executable) -> tuple[dict, list[str]]:
    proc = subprocess.run([python, __file__, *args_list], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"ms": None, "error": proc.stderr.strip().splitlines()[-1][:200]}, []
    lines = proc.stdout.strip().splitlines()
    impls = sorted({f"{f.split(',')[7]}: {f.split(',')[6]}" for f in lines
                    if f.startswith("onednn_verbose") and ",exec," in f and ",convolution," in f})
    return json.loads(lines[-1]), impls


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--caps", default="AVX2,AVX2_VNNI,AVX512_CORE,AVX512_CORE_BF16")
    p.add_argument("--threads", default="1,2", help="MindSpore op threads / PyTorch threads to try")
    p.add_argument("--repeat", type=int, default=5)
    machine.add_argument(p, "the PyTorch rows")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--worker-threads", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        fn = mindspore_layer if args.worker == "mindspore" else torch_layer
        print(json.dumps(fn(args.worker_threads, args.repeat)))
        return 0
    print(f"conv {SHAPE['c_in']}->{SHAPE['c_out']} 4x4 stride 2 at {SHAPE['side']}x{SHAPE['side']}, batch "
          f"{SHAPE['batch']}: forward + backward-data + backward-weights, best of {args.repeat}")
    print("| framework | ISA cap | threads | ms | oneDNN implementations |\n| --- | --- | ---: | ---: | --- |")
    for threads in map(int, args.threads.split(",")):
        for cap in args.caps.split(","):
            env = {**os.environ, "ONEDNN_MAX_CPU_ISA": cap, "ONEDNN_VERBOSE": "profile_exec"}
            res, impls = run(["--worker", "mindspore", "--worker-threads", str(threads), "--repeat",
                              str(args.repeat)], env)
            ms = f"{res['ms']:.0f}" if res["ms"] else res["error"]
            print(f"| MindSpore | {cap} | {threads} | {ms} | {'; '.join(impls)} |", flush=True)
        python = machine.find(args, "PyTorch rows")
        if python is None:
            continue
        env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
        env["ONEDNN_VERBOSE"] = "profile_exec"
        res, impls = run(["--worker", "torch", "--worker-threads", str(threads), "--repeat", str(args.repeat)], env,
                         python)
        print(f"| PyTorch | none | {threads} | {res['ms']:.0f} | {'; '.join(impls)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
