"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"): random
colour, translation and cutout applied to every image the discriminator sees, real and fake, inside the
compiled graph, so that the generator's gradient flows back through the augmentation.

Why it helps on small data sets: a discriminator that sees the same 2,000 images every epoch memorises
them (its loss sinks towards 0 and the generator's gradient turns into noise). Augmenting only the real
images would teach G to draw augmented images; augmenting both, with G judged through the augmentation as
well, keeps the task the same while D never sees the exact same pixels twice.

The random numbers are drawn on the host from the seed and the step (like WGAN-GP's interpolation
weights), then enter the graph as a tensor: a resumed run draws the same augmentations, which MindSpore's
in-graph random ops cannot promise. Per image, 7 numbers: brightness, saturation, contrast, the
translation's two shifts and the cutout square's two corners.
"""
from __future__ import annotations

import numpy as np
from mindspore import ops

from ..errors import MindganError

PARTS = ("color", "translation", "cutout")
TRANSLATION_RATIO, CUTOUT_RATIO = 0.125, 0.5  # the paper's defaults: shift up to 1/8 of a side, cut 1/2
SETS = 3  # independent draws per step: D's real images, D's fake images, G's fake images


def parse_policy(text: str) -> tuple[str, ...]:
    """'color,translation,cutout' -> its parts; '' -> () (off). Unknown parts are a MindganError."""
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise MindganError(f"diffaugment: unknown part(s) {', '.join(map(repr, unknown))}; use a comma-separated "
                           f"list of {', '.join(PARTS)} (or '' for none)")
    return parts


def draw(policy: tuple[str, ...], n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """The augmentations of one step: float32 (SETS, n, 7); a part not in the policy gets its identity."""
    out = np.zeros((SETS, n, 7), np.float32)
    out[..., 1], out[..., 2] = 1.0, 1.0  # saturation and contrast factors of the identity
    if "color" in policy:
        out[..., 0] = rng.random((SETS, n)) - 0.5           # brightness: add U(-0.5, 0.5)
        out[..., 1] = rng.random((SETS, n)) * 2             # saturation: scale the colour by U(0, 2)
        out[..., 2] = rng.random((SETS, n)) + 0.5           # contrast: scale around the mean by U(0.5, 1.5)
    if "translation" in policy:
        shift = int(size * TRANSLATION_RATIO + 0.5)
        out[..., 3:5] = rng.integers(-shift, shift + 1, (SETS, n, 2))
    if "cutout" in policy:
        cut = int(size * CUTOUT_RATIO + 0.5)
        out[..., 5:7] = rng.integers(0, size + (1 - cut % 2), (SETS, n, 2)) - cut // 2  # top-left corner
    else:
        out[..., 5:7] = -size * 4  # a square far outside the image: nothing is cut
    return out


def _shift_matrix(shift, size: int):
    """(n, 1, size, size) matrices T with (T @ x)[i] = x[i + shift], zero where i + shift leaves the image."""
    i = ops.arange(size).reshape(1, size, 1).astype(shift.dtype)
    k = ops.arange(size).reshape(1, 1, size).astype(shift.dtype)
    return ops.equal(k, i + shift.reshape(-1, 1, 1)).astype(shift.dtype).expand_dims(1)


def apply(x, a):
    """Augment NCHW images `x` with the (n, 7) numbers `a` of `draw`; differentiable in x."""
    n, height, width = x.shape[0], x.shape[2], x.shape[3]
    col = a.reshape(n, 7, 1, 1, 1)
    x = x + col[:, 0]
    mean = x.mean(axis=1, keep_dims=True)
    x = (x - mean) * col[:, 1] + mean
    mean = x.mean(axis=(1, 2, 3), keep_dims=True)
    x = (x - mean) * col[:, 2] + mean
    # translation as two batched products with shifted identity matrices: zero fill, exact gradients
    x = ops.matmul(ops.matmul(_shift_matrix(a[:, 3], height), x), _shift_matrix(a[:, 4], width).swapaxes(-1, -2))
    rows = ops.arange(height).reshape(1, 1, height, 1).astype(a.dtype)
    cols = ops.arange(width).reshape(1, 1, 1, width).astype(a.dtype)
    top, left = a[:, 5].reshape(n, 1, 1, 1), a[:, 6].reshape(n, 1, 1, 1)
    cut = int(height * CUTOUT_RATIO + 0.5)
    inside = ops.logical_and(ops.logical_and(rows >= top, rows < top + cut),
                             ops.logical_and(cols >= left, cols < left + cut))
    return x * (1 - inside.astype(x.dtype))
