"""Fidelity and diversity as two numbers, where FID gives one: precision and recall of the samples
(Kynkaanniemi et al. 2019, "Improved precision and recall metric for assessing generative models") and
density and coverage (Naeem et al. 2020, "Reliable fidelity and diversity metrics for generative models"),
all in the same feature space as FID.

Each real feature vector gets a ball reaching its k-th nearest real neighbour (the real "manifold"); each
sample's likewise among the samples.
- precision: share of samples inside some real ball (do the samples look real?)
- recall: share of real images inside some sample ball (is every kind of real image drawn?)
- density: how many real balls a sample lies in, over k, averaged (precision that outliers cannot inflate;
  about 1 for samples like the real ones)
- coverage: share of real balls that hold at least one sample (recall without the samples' own balls,
  which one outlier sample can make huge)

A generator that draws one perfect digit over and over scores precision 1 and recall near 0; FID cannot
say which of the two went wrong. Pure numpy; distances in float64, computed in blocks.
"""
from __future__ import annotations

import numpy as np

K_PRECISION_RECALL = 3  # the paper's k
K_DENSITY_COVERAGE = 5  # the paper's k
BLOCK = 1024


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of a (N, D) and b (M, D), (N, M)."""
    sq = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(sq, 0, None))


def _radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row of x to its k-th nearest other row."""
    if len(x) <= k:
        raise ValueError(f"need more than k={k} feature vectors, got {len(x)}")
    out = np.empty(len(x))
    for i in range(0, len(x), BLOCK):
        d = _distances(x[i:i + BLOCK], x)
        out[i:i + BLOCK] = np.partition(d, k, axis=1)[:, k]  # index 0 is the row itself (distance 0)
    return out


def _in_balls(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """(N,) number of the balls (centres, radii) each point lies in."""
    counts = np.zeros(len(points), np.int64)
    for i in range(0, len(points), BLOCK):
        counts[i:i + BLOCK] = (_distances(points[i:i + BLOCK], centres) <= radii[None, :]).sum(1)
    return counts


def _nearest(points: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(N,) distance from each point to the nearest of `others`."""
    return np.concatenate([_distances(points[i:i + BLOCK], others).min(1) for i in range(0, len(points), BLOCK)])


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = K_PRECISION_RECALL) -> tuple[float, float]:
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    precision = float((_in_balls(fake, real, _radii(real, k)) > 0).mean())
    recall = float((_in_balls(real, fake, _radii(fake, k)) > 0).mean())
    return precision, recall


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = K_DENSITY_COVERAGE) -> tuple[float, float]:
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    radii = _radii(real, k)
    density = float(_in_balls(fake, real, radii).sum() / (k * len(fake)))
    coverage = float((_nearest(real, fake) <= radii).mean())  # the real ball holds its nearest sample
    return density, coverage


def all_four(real: np.ndarray, fake: np.ndarray) -> dict:
    """{'precision', 'recall', 'density', 'coverage'} of samples `fake` against `real` features; None
    each when either side has too few vectors for the k nearest neighbours (the table shows "-")."""
    if min(len(real), len(fake)) <= max(K_PRECISION_RECALL, K_DENSITY_COVERAGE):
        return {"precision": None, "recall": None, "density": None, "coverage": None}
    p, r = precision_recall(real, fake)
    d, c = density_coverage(real, fake)
    return {"precision": p, "recall": r, "density": d, "coverage": c}


def within_class_spread(features: np.ndarray, labels: np.ndarray) -> dict[int, float]:
    """Mean distance between two feature vectors of the same label, per label: how much the images of one
    class differ from each other (a conditional G that draws one '3' for every z scores 0 for label 3)."""
    features, labels = np.asarray(features, np.float64), np.asarray(labels)
    out = {}
    for label in np.unique(labels):
        x = features[labels == label]
        if len(x) >= 2:
            d = _distances(x, x)
            out[int(label)] = float(d.sum() / (len(x) * (len(x) - 1)))
    return out
