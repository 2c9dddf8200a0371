"""The environment settings MindSpore reads once, when it loads: `import mindgan` applies them first (before
any mindgan module can import MindSpore), so every entry point, notebook and test gets them. A user's own
value of any of them wins (setdefault).

- ONEDNN_MAX_CPU_ISA=AVX2: oneDNN in MindSpore 2.10 picks a reference convolution on AVX-512 CPUs (hundreds
  of times slower); capping the ISA at AVX2 makes it use its JIT GEMM kernels (measured: a 3x3 convolution
  from ~10 s to ~40 ms). oneDNN reads the variable once, at its first primitive, for the whole process. A
  one-job command (`python -m mindgan.train`, `mindgan.bench`) whose run has no convolution at all (a model
  registered with convolutions=False, no evaluation during training) lifts the cap to AVX512_CORE before
  anything runs (`choose`), where LIFT_WITHOUT_CONVOLUTIONS says its matrix products measured faster
  (docs/performance.md, "oneDNN ISA per run"). Everything else (notebooks, the API, generate, evaluate)
  keeps the cap, as it may convolve later.
- GLOG_v=3: MindSpore's C++ warnings (device probes, plugin loading) stay off the terminal.
- MS_OM_PATH: where MindSpore writes rank_0/om/analyze_fail.ir when a graph fails to compile (default: the
  working directory, which is the user's); its error message names the file, now under the user's cache.
"""
import os

from .portable import cache_dir

# whether mindgan chose the ISA cap (device.setup says so once, on a CPU)
ONEDNN_DEFAULTED = "ONEDNN_MAX_CPU_ISA" not in os.environ
CAP = "AVX2"  # convolutions: oneDNN's jit GEMM path instead of its AVX-512 reference kernel
UNCAPPED = "AVX512_CORE"  # matrix products only: oneDNN's AVX-512 matmul kernels (brg_matmul:avx512_core)
# Whether a one-job run without convolutions lifts the cap: decided by measurement (benchmarks/isa_caps.py,
# docs/performance.md "oneDNN ISA per run"), as the losses move in the last float bits when it does.
# AMD EPYC (2026-12-03, idle): gan 10% slower in median under AVX512_CORE, minimal and cgan 4-11% faster: no
# consistent gain, so off (the cap, as before). On the Intel Xeon of another build machine it may differ.
LIFT_WITHOUT_CONVOLUTIONS = False
_why = ""  # the reason the startup line gives for the limit, once a run chose it


def apply() -> None:
    os.environ.setdefault("ONEDNN_MAX_CPU_ISA", CAP)
    os.environ.setdefault("GLOG_v", "3")
    if "MS_OM_PATH" not in os.environ:  # mindspore/ in the platform's cache folder (~/.cache/mindgan on Linux)
        os.environ["MS_OM_PATH"] = str(cache_dir() / "mindspore")


def choose(model: str, convolves: bool) -> str:
    """oneDNN's ISA limit for a process that runs one job, before its first MindSpore op (oneDNN reads the
    limit once): AVX512_CORE when the run has no convolution and LIFT_WITHOUT_CONVOLUTIONS, the AVX2 cap
    otherwise; the user's ONEDNN_MAX_CPU_ISA always. Returns the startup line's words."""
    global _why
    if ONEDNN_DEFAULTED and not convolves:
        if LIFT_WITHOUT_CONVOLUTIONS:
            os.environ["ONEDNN_MAX_CPU_ISA"] = UNCAPPED
            _why = f"{model} has no convolutions: faster matrix products"
        else:
            _why = (f"{model} has no convolutions, but its AVX-512 matrix products measured no faster "
                    f"(docs/performance.md)")
    return isa_line()


def isa_line() -> str:
    """The startup line's words on oneDNN's ISA: which limit holds and why."""
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "")
    if not ONEDNN_DEFAULTED:
        return f"oneDNN ISA: {isa} (your ONEDNN_MAX_CPU_ISA)"
    kind = "" if isa == UNCAPPED else " cap"
    why = _why or "convolutions: above it oneDNN runs them in a reference kernel hundreds of times slower"
    return f"oneDNN ISA: {isa}{kind} ({why}; set ONEDNN_MAX_CPU_ISA yourself to override)"
