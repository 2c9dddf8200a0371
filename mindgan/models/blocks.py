"""Building blocks shared by model families."""
from __future__ import annotations

from mindspore import nn


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
