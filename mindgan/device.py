"""The one place that chooses CPU, GPU or Ascend and turns MindSpore's failures into one line."""

from . import env, portable
from .errors import MindganError

DEVICES = ("auto", "Ascend", "GPU", "CPU")
_WHY = {
    "Ascend": "no Ascend NPU driver / CANN toolkit found (libge_runner.so is missing)",
    "GPU": "no CUDA 11 runtime / GPU driver found (libcuda.so, libcudnn.so are missing)",
}
_selected = None


def cpu_cores() -> int:
    """Cores this process may use (a container can have fewer than os.cpu_count())."""
    return portable.cpu_cores()


def _available(name: str) -> bool:
    from mindspore import device_context

    probe = {"Ascend": device_context.ascend, "GPU": device_context.gpu}[name]
    try:
        return bool(probe.is_available())
    except Exception:  # a broken plugin counts as absent
        return False


def default_threads() -> int:
    return max(1, cpu_cores() // 2)


def normalise(name: str) -> str:
    for d in DEVICES:
        if name.lower() == d.lower():
            return d
    raise MindganError(f"unknown device {name!r}: choose one of {', '.join(DEVICES)}")


def setup(name: str = "auto", threads: int = 0) -> str:
    """Select the device (once per process) and return its name.

    `auto` takes Ascend, then GPU, then CPU, by what actually initialises here. `threads` > 0 sets the
    CPU op thread count; 0 picks half the cores (at least 1): on 2 cores one op thread measured faster
    than two for both the MLP GAN (56 vs 75-120 ms a step) and DCGAN, the other core feeding the data
    pipeline and the Python loop (benchmarks/compare.py).
    """
    global _selected
    import mindspore

    name = normalise(name)
    if name == "auto":
        name = next((d for d in ("Ascend", "GPU") if _available(d)), "CPU")
    elif name != "CPU" and not _available(name):
        raise MindganError(f"device {name} is not available on this machine: {_WHY[name]}. "
                           f"Run with --device CPU (or --device auto).")
    if _selected is not None:
        if _selected != name:
            raise MindganError(f"device already set to {_selected} in this process; cannot switch to {name}")
        return name
    try:
        mindspore.set_device(name)
    except RuntimeError as err:
        raise MindganError(f"device {name} failed to initialise ({str(err).splitlines()[0]}). "
                           f"Run with --device CPU.") from None
    if name == "CPU":
        from mindspore import device_context

        device_context.cpu.op_tuning.threads_num(threads or default_threads())
        print(f"mindgan: CPU device, {env.isa_line()}")
    _selected = name
    return name
