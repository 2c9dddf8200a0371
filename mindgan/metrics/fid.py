"""Numpy statistics of feature sets: FID, class histogram, KL to uniform. No scipy needed."""
from __future__ import annotations

import numpy as np


def gaussian(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of (N, D) features, in float64."""
    x = np.asarray(features, np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"need (N>=2, D) features, got shape {x.shape}")
    return x.mean(0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _sqrt_psd(s: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def trace_sqrt_product(s1: np.ndarray, s2: np.ndarray) -> float:
    """tr(sqrtm(S1 S2)) for covariances S1, S2.

    S1 S2 is not symmetric, but it is similar to sqrt(S1) S2 sqrt(S1), which is symmetric PSD; so its
    square root's trace is the sum of the square roots of that matrix's (clipped) eigenvalues.
    """
    r = _sqrt_psd(s1)
    m = r @ s2 @ r
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum())


def frechet(mu1, s1, mu2, s2) -> float:
    """Fréchet distance between N(mu1, S1) and N(mu2, S2)."""
    d = float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt_product(s1, s2))
    return max(d, 0.0)  # rounding can leave -1e-12 for identical sets


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    return frechet(*gaussian(features_a), *gaussian(features_b))


def class_histogram(probs: np.ndarray, num_classes: int) -> np.ndarray:
    """Share of samples whose most likely class is each class."""
    counts = np.bincount(np.argmax(probs, 1), minlength=num_classes)
    return counts / max(1, counts.sum())


def kl_to_uniform(hist: np.ndarray) -> float:
    """KL(hist || uniform) in nats: 0 when every class is equally common, log(K) when one class is all."""
    p = np.asarray(hist, np.float64)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] * len(p))))


def mean_confidence(probs: np.ndarray) -> float:
    """Mean top-class probability: blurry or unreadable samples score low."""
    return float(np.mean(np.max(probs, 1)))


def label_accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Share of samples classified as the label they were generated for (conditional models)."""
    return float(np.mean(np.argmax(probs, 1) == np.asarray(labels)))
