"""The GPU half of scripts/device_check.sh (which has already found a GPU): standard library only, so it
runs before anything is installed. Every step is a subprocess with its own timeout, all inside one
overall budget (default 8 minutes); the JSON file is rewritten after every step, so a step that fails
or times out still leaves the figures of the others.

MindSpore 2.10's GPU plugin needs CUDA 11 / cuDNN 8 (the `gpu` extra); a CUDA build of PyTorch brings
CUDA 12 / cuDNN 9 into the same `nvidia/` folders, so PyTorch gets a venv of its own.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The `bench` extra's PyTorch pin; benchmarks/torch_steps.py needs nothing else.
BENCH_TORCH = re.search(r'^bench = \["([^"]+)"\]', (REPO / "pyproject.toml").read_text(), re.M).group(1)

# What MindSpore sees: its version, the GPU, and the CUDA libraries its plugin really loaded (from this
# process's memory map after a matmul and a convolution ran on the GPU), with their own version calls.
PROBE = r'''
import ctypes, json, re
import numpy as np
import mindspore as ms
from mindspore import device_context, nn, ops
r = {"mindspore": ms.__version__, "gpu_available": bool(device_context.gpu.is_available())}
try:
    r["device_count"] = int(device_context.gpu.device_count())
except Exception as err:
    r["device_count"] = f"unknown ({err})"
ms.set_device("GPU")
x = ops.ones((256, 256), ms.float32)
r["matmul_ok"] = float(ops.matmul(x, x)[0, 0].asnumpy()) == 256.0
r["conv_shape"] = list(nn.Conv2d(3, 8, 3)(ms.Tensor(np.ones((1, 3, 16, 16), np.float32))).asnumpy().shape)
libs = sorted({ln.split()[-1] for ln in open("/proc/self/maps")
               if re.search(r"/lib(cudart|cudnn|cublas|cufft|curand|cusolver|cusparse|nvrtc|cuda)\.so", ln)})
r["loaded_libraries"] = libs
for name, fn in (("cudart", "cudaRuntimeGetVersion"), ("cuda_driver", "cuDriverGetVersion")):
    lib = next((p for p in libs if f"/lib{'cuda' if name == 'cuda_driver' else name}.so" in p), None)
    if lib:
        v = ctypes.c_int()
        getattr(ctypes.CDLL(lib), fn)(ctypes.byref(v))
        r[name + "_version"] = v.value
cudnn = next((p for p in libs if "/libcudnn.so" in p), None)
if cudnn:
    ctypes.CDLL(cudnn).cudnnGetVersion.restype = ctypes.c_size_t
    r["cudnn_version"] = int(ctypes.CDLL(cudnn).cudnnGetVersion())
print(json.dumps(r))
'''

# Synthetic data (the machine may be offline): an MNIST-format folder for gan, a folder of PNGs for dcgan.
# Speeds only; the images mean nothing.
MAKE_DATA = r'''
import sys
from pathlib import Path
import numpy as np
from PIL import Image
from mindgan.data import idx
root = Path(sys.argv[1])
rng = np.random.default_rng(0)
for split, n in (("train", 2048), ("test", 256)):
    idx.write_split(root / "mnist", split, rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
                    rng.integers(0, 10, n).astype(np.uint8))
(root / "images").mkdir(parents=True, exist_ok=True)
for i in range(512):
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(root / "images" / f"{i:04d}.png")
'''


class Check:
    def __init__(self, out: Path, budget: float):
        self.out, self.deadline = out, time.time() + budget
        self.report = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "budget_s": budget, "steps": {}}

    def save(self) -> None:
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.report, indent=1))
        tmp.replace(self.out)

    def run(self, name: str, cmd: list[str], timeout: float, env: dict | None = None) -> subprocess.CompletedProcess | None:
        """One step; None (and the reason in the report) when it failed, timed out or had no time left."""
        left = self.deadline - time.time() - 5
        step = {"command": shlex.join(cmd)}
        self.report["steps"][name] = step
        if left < 10:
            step["status"] = "skipped: the overall budget is spent"
            print(f"device_check: {name}: skipped (out of time)", flush=True)
            self.save()
            return None
        t0 = time.time()
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=min(timeout, left), cwd=REPO,
                               env=env, stdin=subprocess.DEVNULL)
            step["status"] = "ok" if r.returncode == 0 else f"failed (exit {r.returncode})"
        except subprocess.TimeoutExpired as err:
            r, step["status"] = None, f"timed out after {err.timeout:.0f} s"
            step["output_tail"] = ((err.stdout or b"").decode(errors="replace") if isinstance(err.stdout, bytes)
                                   else (err.stdout or ""))[-1500:]
        step["seconds"] = round(time.time() - t0, 1)
        if r is not None and r.returncode != 0:
            step["output_tail"] = (r.stdout + r.stderr)[-1500:]
        print(f"device_check: {name}: {step['status']} ({step['seconds']} s)", flush=True)
        self.save()
        return r if r is not None and r.returncode == 0 else None


def number(pattern: str, text: str) -> float | None:
    m = re.search(pattern, text)
    return float(m.group(1).replace(",", "")) if m else None


def main() -> int:
    p = argparse.ArgumentParser(description="see scripts/device_check.sh")
    p.add_argument("--out", default="device_check.json", help="the JSON file (default device_check.json)")
    p.add_argument("--venv", default=None, help="folder for the fresh venvs (default: a new temporary folder)")
    p.add_argument("--budget", type=float, default=480, help="seconds for everything (default 480 = 8 minutes)")
    args = p.parse_args()
    out = Path(args.out).resolve()
    check = Check(out, args.budget)
    work = Path(args.venv or tempfile.mkdtemp(prefix="mindgan-device-check-"))
    work.mkdir(parents=True, exist_ok=True)
    pip_args = shlex.split(os.environ.get("PIP_ARGS", ""))

    smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                         capture_output=True, text=True)
    check.report["nvidia_smi"] = smi.stdout.strip().splitlines()
    check.report["work_dir"] = str(work)

    venv, tvenv = work / "venv", work / "torch-venv"
    py, tpy = str(venv / "bin" / "python"), str(tvenv / "bin" / "python")
    if not check.run("venv", [sys.executable, "-m", "venv", str(venv)], 60):
        return finish(check)
    if not check.run("install", [py, "-m", "pip", "install", "-q", *pip_args, "-e", ".[gpu,dev]"], 240):
        return finish(check)
    # The wheels' CUDA libraries are found through LD_LIBRARY_PATH (docs/dcgan.md).
    libs = subprocess.run([py, "-c", "import nvidia, os; p = nvidia.__path__[0]; print(':'.join("
                           "os.path.join(p, d, 'lib') for d in sorted(os.listdir(p))))"],
                          capture_output=True, text=True).stdout.strip()
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(x for x in (libs, os.environ.get("LD_LIBRARY_PATH")) if x),
               PYTHONUNBUFFERED="1")
    env.pop("PYTHONPATH", None)  # the editable install is the copy under test
    check.report["ld_library_path"] = env["LD_LIBRARY_PATH"]

    r = check.run("mindspore_sees", [py, "-c", PROBE], 90, env)
    if r:
        check.report["mindspore"] = json.loads(r.stdout.strip().splitlines()[-1])
    data = work / "data"
    check.run("synthetic_data", [py, "-c", MAKE_DATA, str(data)], 60, env)

    r = check.run("tests", [py, "-m", "pytest", "-q", "-m", "not slow", "-p", "no:cacheprovider",
                            "tests/test_models.py"], 120, dict(env, MINDGAN_TEST_DEVICE="GPU"))
    summary = (r.stdout if r else check.report["steps"]["tests"].get("output_tail", "")).strip().splitlines()
    check.report["steps"]["tests"]["summary"] = summary[-1] if summary else ""

    run_dir = work / "runs" / "dcgan"
    r = check.run("train_dcgan", [py, "-m", "mindgan.train", "--model", "dcgan", "--device", "GPU", "--data",
                                  str(data / "images"), "--epochs", "2", "--max-steps", "20", "--out", str(run_dir),
                                  "--no-progress"], 120, env)
    if r:
        check.report["steps"]["train_dcgan"].update(
            steps=number(r"done: \d+ epochs, (\d+) steps", r.stdout),
            images_per_s=number(r"steps in \d+s \((\d+) img/s\)", r.stdout),
            last_epoch_s=number(r"epoch +2/2 .* ([\d.]+)s\n", r.stdout))

    for model, src in (("gan", "mnist"), ("dcgan", "images")):
        r = check.run(f"bench_{model}", [py, "-m", "mindgan.bench", "--model", model, "--device", "GPU", "--data",
                                         str(data / src), "--steps", "20", "--batches", "20"], 90, env)
        if r:
            check.report["steps"][f"bench_{model}"].update(
                compile_s=number(r"compile +([\d.]+) s", r.stdout),
                step_ms=number(r"train step +([\d.]+) ms", r.stdout),
                images_per_s=number(r"training +([\d,]+) images/s", r.stdout),
                pipeline_images_per_s=number(r"data pipeline +([\d,]+) images/s", r.stdout))

    # PyTorch CUDA in its own venv (CUDA 12 wheels), only when there is time for the download.
    have_torch = check.deadline - time.time() > 200 and \
        check.run("torch_venv", [sys.executable, "-m", "venv", str(tvenv)], 60) is not None and \
        check.run("torch_install", [tpy, "-m", "pip", "install", "-q", *pip_args, BENCH_TORCH], 150) is not None
    for model in ("gan", "dcgan"):
        res = {}
        for variant, exe in (("tutorial,mindgan", py), ("pytorch", tpy if have_torch else None)):
            if exe is None:
                continue
            js = work / f"compare_{model}_{variant.replace(',', '_')}.json"
            if check.run(f"compare_{model}_{variant.replace(',', '_')}",
                         [exe, "benchmarks/compare.py", "--model", model, "--device", "GPU", "--steps", "20",
                          "--variants", variant, "--json", str(js)], 120, env):
                res.update(json.loads(js.read_text())["ms_per_step"])
        check.report[f"compare_{model}_ms_per_step"] = res
    return finish(check)


def finish(check: Check) -> int:
    check.report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    check.save()
    bad = [n for n, s in check.report["steps"].items() if s["status"] != "ok"]
    print(f"device_check: figures in {check.out}" + (f"; not ok: {', '.join(bad)}" if bad else "; all steps ok"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
