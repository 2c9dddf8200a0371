"""The environment settings MindSpore reads once, when it loads: `import mindgan` applies them first (before
any mindgan module can import MindSpore), so every entry point, notebook and test gets them. A user's own
value of any of them wins (setdefault).

- ONEDNN_MAX_CPU_ISA=AVX2: oneDNN in MindSpore 2.10 picks a reference convolution on AVX-512 CPUs (hundreds
  of times slower); capping the ISA at AVX2 makes it use its JIT GEMM kernels (measured: a 3x3 convolution
  from ~10 s to ~40 ms).
- GLOG_v=3: MindSpore's C++ warnings (device probes, plugin loading) stay off the terminal.
- MS_OM_PATH: where MindSpore writes rank_0/om/analyze_fail.ir when a graph fails to compile (default: the
  working directory, which is the user's); its error message names the file, now under the user's cache.
"""
import os

from .portable import cache_dir

# whether mindgan chose the ISA cap (device.setup says so once, on a CPU)
ONEDNN_DEFAULTED = "ONEDNN_MAX_CPU_ISA" not in os.environ


def apply() -> None:
    os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
    os.environ.setdefault("GLOG_v", "3")
    if "MS_OM_PATH" not in os.environ:  # mindspore/ in the platform's cache folder (~/.cache/mindgan on Linux)
        os.environ["MS_OM_PATH"] = str(cache_dir() / "mindspore")
