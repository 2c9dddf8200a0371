"""Building blocks shared by model families."""
from __future__ import annotations

import math

from mindspore import Parameter, nn, ops
from mindspore.common.initializer import Uniform, initializer


class LeakyReLU(nn.Cell):
    """`nn.LeakyReLU(alpha)` with the same values and gradients, computed as relu(x) - alpha * relu(-x).

    Why: MindSpore 2.10's LeakyReLU is max(x, alpha * x), whose gradient on a CPU is a chain of Select,
    Greater and Equal kernels; the two ReLUs run forward and backward 3.4x faster (docs/performance.md).
    """

    def __init__(self, alpha: float = 0.2):
        super().__init__()
        self.alpha = alpha
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.relu(x) - self.alpha * self.relu(-x)


class WholeMapConv(nn.Cell):
    """`nn.Conv2d(c_in, c_out, k, pad_mode="valid")` applied to a k x k map (the kernel covers the whole map:
    one output pixel), computed as one matrix product: the same parameters (names `weight` and `bias`, shapes,
    initial values) and the same outputs up to the order of the sums.

    Why: oneDNN runs that convolution (a critic's last layer, out to 1 channel) with its reference kernel
    `ref:any` on every ISA; in wgan_gp's step at 28x28 it took 176 of 287 ms (docs/performance.md).
    """

    def __init__(self, c_in: int, c_out: int, k: int, weight_init, has_bias: bool):
        super().__init__()
        self.weight = Parameter(initializer(weight_init, (c_out, c_in, k, k)), name="weight")
        bound = 1 / math.sqrt(c_in * k * k)  # nn.Conv2d's default bias: Uniform(1 / sqrt(fan_in))
        self.bias = Parameter(initializer(Uniform(bound), (c_out,)), name="bias") if has_bias else None

    def construct(self, x):
        w = self.weight.reshape(self.weight.shape[0], -1)
        out = ops.matmul(x.reshape(x.shape[0], -1), w.T)
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(out.shape[0], -1, 1, 1)


def mlp(sizes, hidden_act, out_act=None, norm_from: int = 1, norm_eps: float = 1e-5,
        norm_momentum: float = 0.9) -> nn.SequentialCell:
    """Dense layers sizes[0] -> ... -> sizes[-1].

    Hidden layer i (counting from 0) gets BatchNorm1d when i >= norm_from (None: never), then
    `hidden_act()`. The last layer gets `out_act()` if given. MindSpore's momentum 0.9 is PyTorch's 0.1.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Dense(n_in, n_out))
        if i == len(sizes) - 2:
            break
        if norm_from is not None and i >= norm_from:
            layers.append(nn.BatchNorm1d(n_out, eps=norm_eps, momentum=norm_momentum))
        layers.append(hidden_act())
    if out_act is not None:
        layers.append(out_act())
    return nn.SequentialCell(layers)
