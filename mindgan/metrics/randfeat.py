"""Features for image folders (faces, emoji): a fixed, randomly initialised conv net.

Why this space: offline there are no pretrained ImageNet weights (Inception for FID is a download), and
no labels to train a classifier on. Raw pixels make FID a measure of pixel alignment; a random conv net
(He-initialised, weights drawn from a fixed numpy seed, so identical on every machine and version)
instead pools local colour/edge/texture responses at several scales. Random-feature FID is a known weak
baseline: it ranks noise, blur and colour shifts correctly and has a clear real-vs-real floor, but it is
less sensitive to semantic errors than Inception features. Numbers are comparable only within this space.
"""
from __future__ import annotations

import numpy as np

SEED = 20241126
WIDTHS = (32, 64, 128, 128)
FEATURE_DIM = sum(WIDTHS[1:])  # global-average-pooled outputs of layers 2-4


def _weights(channels: int) -> list[np.ndarray]:
    rng = np.random.default_rng(SEED + channels)
    out, cin = [], channels
    for cout in WIDTHS:
        fan_in = cin * 4 * 4
        out.append((rng.standard_normal((cout, cin, 4, 4)) * np.sqrt(2.0 / fan_in)).astype(np.float32))
        cin = cout
    return out


def build(channels: int):
    import mindspore as ms
    from mindspore import nn, ops

    class RandomConvFeatures(nn.Cell):
        """4x conv 4x4 stride 2 + LeakyReLU(0.2); features = per-channel means of layers 2-4."""

        def __init__(self):
            super().__init__()
            self.convs = nn.CellList([nn.Conv2d(w.shape[1], w.shape[0], 4, 2, pad_mode="pad", padding=1,
                                                has_bias=False, weight_init=ms.Tensor(w))
                                      for w in _weights(channels)])
            self.act = nn.LeakyReLU(0.2)

        def construct(self, x):
            x = x * 2 - 1  # [0, 1] -> [-1, 1]
            pooled = []
            for i, conv in enumerate(self.convs):
                x = self.act(conv(x))
                if i > 0:
                    pooled.append(ops.mean(x, (2, 3)))
            return ops.cat(pooled, 1)

    net = RandomConvFeatures()
    net.set_train(False)
    return net


_NETS: dict[int, object] = {}


def features(images: np.ndarray, batch: int = 200) -> np.ndarray:
    """(N, FEATURE_DIM) features for (N, C, H, W) images in [0, 1] (any C; H, W at least 16)."""
    import mindspore as ms

    c = images.shape[1]
    net = _NETS.setdefault(c, build(c))
    return np.concatenate([net(ms.Tensor(np.ascontiguousarray(images[i:i + batch], np.float32))).asnumpy()
                           for i in range(0, len(images), batch)])
