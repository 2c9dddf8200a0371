"""mindgan: the MindSpore GAN tutorials as one package (one trainer, a model registry, configs as data)."""
import os as _os

__version__ = "0.1.0"

# These must be in the environment before MindSpore loads, so they live here, the first thing any
# mindgan entry point imports. Users can override any of them by setting it themselves.
#  - oneDNN in MindSpore 2.10 picks a reference convolution on AVX-512 CPUs (hundreds of times slower);
#    capping the ISA at AVX2 makes it use its JIT GEMM kernels (measured: a 3x3 convolution from ~10 s to ~40 ms).
#  - GLOG_v=3 keeps MindSpore's C++ warnings (device probes, plugin loading) off the terminal.
#  - MS_OM_PATH: where MindSpore writes rank_0/om/analyze_fail.ir when a graph fails to compile (default:
#    the working directory); its error message names the file, now under the user's cache.
ONEDNN_DEFAULTED = "ONEDNN_MAX_CPU_ISA" not in _os.environ
_os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
_os.environ.setdefault("GLOG_v", "3")
_os.environ.setdefault("MS_OM_PATH", _os.path.join(_os.path.expanduser("~"), ".cache", "mindgan", "mindspore"))

# The public API (mindgan/api.py), imported on first use so that `import mindgan` stays light and the
# settings above are in place before MindSpore loads.
_API = ("train", "load_generator", "create_model", "build_dataset")


def __getattr__(name):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'mindgan' has no attribute {name!r}")
