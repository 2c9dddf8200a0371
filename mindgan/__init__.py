"""mindgan: the MindSpore GAN tutorials as one package (one trainer, a model registry, configs as data)."""
from . import env as _env

__version__ = "0.1.0"

# Before anything can load MindSpore, which reads these once: see mindgan/env.py for each and why.
_env.apply()
ONEDNN_DEFAULTED = _env.ONEDNN_DEFAULTED  # kept for code that read it here

# The public API (mindgan/api.py), imported on first use so that `import mindgan` stays light (no MindSpore)
# and the settings above are in place before MindSpore loads.
_API = ("train", "load_generator", "create_model", "build_dataset")


def __getattr__(name):
    if name in _API:
        from . import api  # the lazy API: the one import here, and why it is lazy is said above

        return getattr(api, name)
    raise AttributeError(f"module 'mindgan' has no attribute {name!r}")
