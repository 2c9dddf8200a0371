"""Precision, recall, density and coverage (metrics/manifold.py) on feature sets whose answers are known."""
from __future__ import annotations

import numpy as np
import pytest

from mindgan.metrics import manifold as M


def cloud(n, seed, centre=0.0, d=8):
    return np.random.default_rng(seed).standard_normal((n, d)) + centre


def test_the_same_distribution_scores_high_on_all_four():
    m = M.all_four(cloud(400, 0), cloud(400, 1))
    assert m["precision"] > 0.7 and m["recall"] > 0.7 and 0.7 < m["density"] < 1.3 and m["coverage"] > 0.7


def test_a_collapsed_generator_is_faithful_but_not_diverse():
    """All samples near one real image: precision and density stay high, recall and coverage fall."""
    real = cloud(400, 0)
    fake = real[0] + 0.01 * cloud(400, 2)
    m = M.all_four(real, fake)
    assert m["precision"] == 1.0 and m["recall"] < 0.05 and m["coverage"] < 0.05 and m["density"] > 0.1


def test_samples_off_the_real_manifold_score_low_precision():
    m = M.all_four(cloud(400, 0), cloud(400, 1, centre=6.0))
    assert m["precision"] < 0.05 and m["recall"] < 0.05 and m["density"] < 0.05 and m["coverage"] < 0.05


def test_half_the_samples_off_manifold_halves_precision():
    real = cloud(600, 0)
    fake = np.concatenate([cloud(300, 1), cloud(300, 2, centre=8.0)])
    p, _ = M.precision_recall(real, fake)
    assert 0.35 < p <= 0.5


def test_radii_are_the_kth_neighbour_by_hand():
    x = np.array([[0.0], [1.0], [3.0], [7.0]])
    np.testing.assert_allclose(M._radii(x, 1), [1, 1, 2, 4])
    np.testing.assert_allclose(M._radii(x, 2), [3, 2, 3, 6])
    with pytest.raises(ValueError, match="more than k=4"):
        M._radii(x, 4)


def test_counts_by_hand():
    real = np.array([[0.0], [1.0], [3.0], [7.0]])  # k=1 radii 1, 1, 2, 4
    fake = np.array([[0.5], [5.0], [20.0]])
    assert M._in_balls(fake, real, M._radii(real, 1)).tolist() == [2, 2, 0]
    d, c = M.density_coverage(real, fake, k=1)
    assert d == pytest.approx(4 / 3) and c == 1.0  # every real ball holds a sample (3 and 7 hold 5.0)
    assert M.density_coverage(real, fake[2:], k=1) == (0.0, 0.0)


def test_within_class_spread_is_zero_for_one_image_per_class():
    feats = np.concatenate([np.repeat(cloud(1, 0), 5, 0), cloud(5, 1)])
    labels = np.array([3] * 5 + [4] * 5)
    spread = M.within_class_spread(feats, labels)
    assert spread[3] == 0.0 and spread[4] > 1.0
