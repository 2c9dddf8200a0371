"""mindgan: the MindSpore GAN tutorials as one package (one trainer, a model registry, configs as data)."""
import os as _os

__version__ = "0.1.0"

# These must be in the environment before MindSpore loads, so they live here, the first thing any
# mindgan entry point imports. Users can override any of them by setting it themselves.
#  - oneDNN in MindSpore 2.10 picks a reference convolution on AVX-512 CPUs (hundreds of times slower);
#    capping the ISA at AVX2 makes it use its JIT GEMM kernels (../shared/MINDSPORE_NOTES.md).
#  - GLOG_v=3 keeps MindSpore's C++ warnings (device probes, plugin loading) off the terminal.
#  - MS_OM_PATH: where MindSpore writes rank_0/om/analyze_fail.ir when a graph fails to compile (default:
#    the working directory); its error message names the file, now under the user's cache.
ONEDNN_DEFAULTED = "ONEDNN_MAX_CPU_ISA" not in _os.environ
_os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
_os.environ.setdefault("GLOG_v", "3")
_os.environ.setdefault("MS_OM_PATH", _os.path.join(_os.path.expanduser("~"), ".cache", "mindgan", "mindspore"))
