"""LeakyReLU forward + backward on one DCGAN activation (batch 128, 64 channels, 32x32), one op thread.

    python benchmarks/leaky_relu.py

Times MindSpore's nn.LeakyReLU (max(x, a*x)), mindgan's blocks.LeakyReLU (relu(x) - a*relu(-x), the same
values and gradients) and plain ReLU for scale, each as one jit graph of forward and gradient.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mindspore as ms  # noqa: E402
import numpy as np  # noqa: E402
from mindspore import nn  # noqa: E402

from mindgan import device  # noqa: E402
from mindgan.models.blocks import LeakyReLU  # noqa: E402


def time_grad(act, x, repeat: int = 10) -> float:
    def loss(t):
        return (act(t) * t).sum()

    grad = ms.jit(ms.grad(loss))
    grad(x).asnumpy()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        grad(x).asnumpy()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def main() -> int:
    device.setup("CPU", 1)
    x = ms.Tensor(np.random.default_rng(0).standard_normal((128, 64, 32, 32)).astype(np.float32))
    for name, act in (("nn.LeakyReLU(0.2)", nn.LeakyReLU(0.2)), ("blocks.LeakyReLU(0.2)", LeakyReLU(0.2)),
                      ("nn.ReLU()", nn.ReLU())):
        print(f"{name:24s} {time_grad(act, x):7.1f} ms (forward + backward, best of 10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
