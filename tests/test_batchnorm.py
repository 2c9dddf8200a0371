"""Standing BatchNorm statistics (mindgan/models/batchnorm.py): sampling from averaged weights normalises by
the statistics those weights produce, not by the live weights' running ones."""
from __future__ import annotations

import mindspore as ms
import numpy as np
import pytest

from helpers import quick_cfg
from mindgan.models import batchnorm, create_model, noise


def stats(generator):
    return [(l.moving_mean.asnumpy().copy(), l.moving_variance.asnumpy().copy()) for l in batchnorm._layers(generator)]


@pytest.mark.parametrize("model", ["gan", "cgan", "dcgan"])
def test_eval_mode_after_recompute_matches_batch_statistics(model):
    """Eval mode with the recomputed statistics gives what training mode (batch statistics) gives on the
    same noise; with the initial statistics it does not."""
    cfg = quick_cfg(model=model, **({"image_size": 16, "model_args": {"ngf": 4, "ndf": 4}} if model == "dcgan" else {}))
    gan = create_model(cfg)
    z = noise(gan.latent_shape, 512, 7)  # plain: what recompute draws (the noise G trains on), not truncated
    labels = np.arange(512, dtype=np.int32) % cfg["num_classes"]
    G = gan.generator
    G.set_train(True)
    args = (ms.Tensor(z), ms.Tensor(labels)) if gan.conditional else (ms.Tensor(z),)
    batch_stats = G(*args).asnumpy()
    before = gan.sample(z, labels)
    assert not np.allclose(before, batch_stats, atol=1e-2)
    assert batchnorm.recompute(gan, cfg["num_classes"], n=512, seed=7) == len(batchnorm._layers(G)) > 0
    np.testing.assert_allclose(gan.sample(z, labels), batch_stats, atol=6e-3)  # unbiased against biased variance: 0.1% per layer


def test_kept_restores_the_live_statistics():
    gan = create_model(quick_cfg())
    live = stats(gan.generator)
    with batchnorm.kept(gan.generator):
        batchnorm.recompute(gan, 10, n=64)
        assert any(not np.allclose(a[0], b[0]) for a, b in zip(stats(gan.generator), live))
    for (m, v), (m0, v0) in zip(stats(gan.generator), live):
        np.testing.assert_array_equal(m, m0)
        np.testing.assert_array_equal(v, v0)
