"""DiffAugment (mindgan/training/augment.py): each part against a numpy version of the paper's code, its
gradient, and training with it: deterministic from the seed, off by default."""
from __future__ import annotations

import importlib.util
import math

import mindspore as ms
import numpy as np
import pytest

from helpers import REPO, quick_cfg
from mindgan.errors import MindganError
from mindgan.training import augment

_spec = importlib.util.spec_from_file_location("record_losses", REPO / "scripts" / "record_losses.py")
record = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record)


def numpy_diffaugment(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The paper's DiffAugment_pytorch.py in numpy, with its random numbers taken from `a` instead."""
    x = x + a[:, 0, None, None, None]
    mean = x.mean(axis=1, keepdims=True)
    x = (x - mean) * a[:, 1, None, None, None] + mean
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    x = (x - mean) * a[:, 2, None, None, None] + mean
    n, _, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.empty_like(x)
    for b in range(n):
        rows = np.clip(np.arange(h) + int(a[b, 3]) + 1, 0, h + 1)
        cols = np.clip(np.arange(w) + int(a[b, 4]) + 1, 0, w + 1)
        out[b] = padded[b][:, rows][:, :, cols]
    cut = int(h * augment.CUTOUT_RATIO + 0.5)
    for b in range(n):
        top, left = int(a[b, 5]), int(a[b, 6])
        out[b, :, max(top, 0):max(top + cut, 0), max(left, 0):max(left + cut, 0)] = 0
    return out


def images(n=6, c=3, size=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, c, size, size)).astype(np.float32)


@pytest.mark.parametrize("policy", [(), ("color",), ("translation",), ("cutout",), augment.PARTS])
def test_each_part_matches_the_paper(policy):
    x = images()
    a = augment.draw(policy, len(x), x.shape[-1], np.random.default_rng(1))
    for s in range(augment.SETS):
        got = augment.apply(ms.Tensor(x), ms.Tensor(a[s])).asnumpy()
        np.testing.assert_allclose(got, numpy_diffaugment(x, a[s]), atol=1e-5)
    if not policy:  # the identity, up to the float error of subtracting and adding back a mean
        np.testing.assert_allclose(augment.apply(ms.Tensor(x), ms.Tensor(a[0])).asnumpy(), x, atol=1e-6)


def test_translation_shifts_with_zero_fill_and_cutout_cuts_a_square():
    x = images(n=1, c=1, size=8)
    a = augment.draw((), 1, 8, np.random.default_rng(0))[0]
    a[0, 3:5] = [2, -1]  # rows from 2 below, columns from 1 to the left
    a[0, 5:7] = [-2, 5]  # a 4x4 square whose top two rows lie above the image
    out = augment.apply(ms.Tensor(x), ms.Tensor(a)).asnumpy()[0, 0]
    shifted = np.zeros((8, 8), np.float32)
    shifted[:6, 1:] = x[0, 0, 2:, :7]
    shifted[0:2, 5:8] = 0
    np.testing.assert_array_equal(out, shifted)


def test_gradient_flows_through_the_augmentation():
    """G learns through D(augment(G(z))): d sum(w * augment(x)) / dx is the augmentation's transpose, zero
    where the cutout removed a pixel and never zero everywhere."""
    x, w = images(n=2, c=1, size=8), images(n=2, c=1, size=8, seed=3)
    a = augment.draw(("translation", "cutout"), 2, 8, np.random.default_rng(5))[0]
    grad = ms.grad(lambda t: (augment.apply(t, ms.Tensor(a)) * ms.Tensor(w)).sum())(ms.Tensor(x)).asnumpy()
    # the numerical gradient of the numpy version (linear in x, so exact up to float error)
    expected = np.zeros_like(x)
    base = (numpy_diffaugment(x, a) * w).sum()
    for idx in np.ndindex(x.shape):
        bumped = x.copy()
        bumped[idx] += 1.0
        expected[idx] = (numpy_diffaugment(bumped, a) * w).sum() - base
    np.testing.assert_allclose(grad, expected, atol=1e-4)
    assert np.abs(grad).sum() > 0


def test_a_bad_policy_is_one_clear_error():
    with pytest.raises(MindganError, match=r"diffaugment: unknown part\(s\) 'colour'.*color, translation, cutout"):
        quick_cfg(diffaugment="colour,cutout")


def test_training_with_diffaugment_is_deterministic_and_differs(tmp_path):
    from mindgan import checkpoint, config
    from mindgan.training import Trainer

    small = {"image_size": 16, "model_args": {"ngf": 4, "ndf": 4}}  # the DCGAN's layers, 16x16, few channels
    cfg = config.load(model="dcgan", overrides={"batch_size": record.BATCH, "steps_per_call": record.STEPS,
                                                "diffaugment": "color,translation,cutout", **small})
    trainer = Trainer(cfg, tmp_path, progress=False, hooks=[])
    start, batches = trainer.save_checkpoint(), record.batches(trainer.gan)
    on = [[d, g if t else None, t] for d, g, t in trainer.schedule.run(batches, 0)]
    trainer.state.restore(start, checkpoint.read_meta(start))  # the same weights, batches and steps again
    assert on == [[d, g if t else None, t] for d, g, t in trainer.schedule.run(batches, 0)]  # drawn from seed, step
    assert all(math.isfinite(d) for d, _, _ in on)
    assert on != record.first_losses("dcgan", **small)  # D really sees other images
    assert augment.parse_policy(quick_cfg(model="dcgan")["diffaugment"]) == ()  # off unless a recipe asks
