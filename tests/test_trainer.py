"""The one trainer: real MindSpore training on tiny real-format data."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from helpers import fit, losses, quick_cfg, small_cfg
from mindgan import checkpoint
from mindgan.api import load_generator
from mindgan.generation import generate
from mindgan.models import list_models


def train(tmp_path, tiny_mnist, name="run", resume=False, raw=None, model="gan", small=False, **over):
    """Train as `mindgan.train` does (helpers.fit). `small`: the model's small nets; `raw`: values set past
    the config checks (to provoke what the checks would refuse)."""
    cfg = (small_cfg(model, data=str(tiny_mnist), **over) if small
           else quick_cfg(model=model, data=str(tiny_mnist), **over))
    cfg.update(raw or {})
    return fit(cfg, tmp_path / name, resume=resume)


@pytest.mark.trains
def test_one_epoch_finite_losses_and_files(tmp_path, tiny_mnist):
    trainer, summary = train(tmp_path, tiny_mnist)
    run = tmp_path / "run"
    rows = losses(run)
    assert [r[1] for r in rows] == list(range(1, 9))  # 256 images / batch 32
    assert all(math.isfinite(r[2]) and math.isfinite(r[3]) for r in rows)
    assert (run / "images" / "epoch_0001.png").is_file() and (run / "loss_curve.png").is_file()
    assert (run / "fixed_noise.npy").is_file() and (run / "progress.gif").is_file()
    ckpt = run / "checkpoints" / "gan_e0001.ckpt"
    assert ckpt.is_file() and checkpoint.is_complete(ckpt)
    assert summary["step"] == 8 and not summary["stopped"]


@pytest.mark.trains
def test_training_changes_the_generator(tmp_path, tiny_mnist):
    from mindgan.training import Trainer

    cfg = quick_cfg(data=str(tiny_mnist))
    before = Trainer(cfg, tmp_path / "untrained", progress=False)  # the same seed: the same initial weights
    trainer, _ = fit(cfg, tmp_path / "r")
    noise = before.fixed_noise
    assert np.array_equal(noise, trainer.fixed_noise)
    assert np.abs(trainer.sample(noise) - before.sample(noise)).mean() > 1e-3


@pytest.mark.trains
def test_same_seed_same_losses(tmp_path, tiny_mnist):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):  # 2 epochs of 2 steps: the second epoch reshuffles
        train(tmp_path, tiny_mnist, name, epochs=2, max_steps=2, seed=seed)
    a, b, c = (losses(tmp_path / n) for n in "abc")
    assert a == b
    assert a != c


@pytest.mark.trains
def test_checkpoint_round_trip_gives_the_same_generator(tmp_path, tiny_mnist):
    trainer, summary = train(tmp_path, tiny_mnist)
    noise = np.random.default_rng(3).standard_normal((6, 100)).astype(np.float32)
    before = trainer.sample(noise)
    gan, meta = load_generator(summary["checkpoint"])
    import mindspore as ms

    after = gan.generator(ms.Tensor(noise)).asnumpy()
    np.testing.assert_allclose(before, after, rtol=0, atol=1e-6)
    assert meta["model"] == "gan" and meta["epoch"] == 1
    assert generate(gan, 5, seed=0).shape == (5, 1, 28, 28)


@pytest.mark.trains
def test_resume_continues_without_gaps_or_duplicates(tmp_path, tiny_mnist):
    train(tmp_path, tiny_mnist, epochs=2, max_steps=3)
    first = losses(tmp_path / "run")
    noise = np.load(tmp_path / "run" / "fixed_noise.npy")
    trainer, summary = train(tmp_path, tiny_mnist, epochs=4, max_steps=3, resume=True)
    rows = losses(tmp_path / "run")
    assert rows[: len(first)] == first
    assert [r[1] for r in rows] == list(range(1, 13)) and [r[0] for r in rows] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert np.array_equal(np.load(tmp_path / "run" / "fixed_noise.npy"), noise)
    assert summary["epoch"] == 4 and trainer.state.step == 12


@pytest.mark.trains
def test_resume_skips_a_damaged_checkpoint(tmp_path, tiny_mnist, capsys):
    train(tmp_path, tiny_mnist, epochs=2, max_steps=3)
    ckpts = sorted((tmp_path / "run" / "checkpoints").glob("*.ckpt"))
    assert [c.name for c in ckpts] == ["gan_e0001.ckpt", "gan_e0002.ckpt"]
    ckpts[-1].write_bytes(ckpts[-1].read_bytes()[:500])  # killed mid-write, say
    trainer, summary = train(tmp_path, tiny_mnist, epochs=3, max_steps=3, resume=True)
    assert "skipping damaged or incomplete checkpoint gan_e0002.ckpt" in capsys.readouterr().out
    assert [r[1] for r in losses(tmp_path / "run")] == list(range(1, 10)) and trainer.state.step == 9


@pytest.mark.trains
def test_nan_loss_stops_with_the_step_named(tmp_path, tiny_mnist):
    from mindgan.errors import MindganError

    with pytest.raises(MindganError, match=r"loss became .* at step (\d+)") as err:
        train(tmp_path, tiny_mnist, epochs=3, raw={"lr_d": 1e30, "lr_g": 1e30})
    step = int(re.search(r"at step (\d+)", str(err.value)).group(1))
    logged = losses(tmp_path / "run")
    assert [r[1] for r in logged] == list(range(1, step))  # every step before the bad one, and only those
    assert all(math.isfinite(r[2]) for r in logged)


IN_GRAPH_RANDOM = pytest.mark.xfail(strict=True, reason="Dropout masks come from MindSpore's in-graph random ops, "
                                    "whose state MindSpore 2.10 neither saves nor reseeds (see docs)")


@pytest.mark.parametrize("model", [pytest.param(m, marks=IN_GRAPH_RANDOM) if m == "convgan" else m
                                   for m in list_models()])
@pytest.mark.trains
def test_several_steps_per_graph_call_give_the_same_losses(tmp_path, tiny_mnist, model):
    """The fast path (k steps unrolled in one jit graph, each batch its own graph inputs) against one graph
    call per step, for every update order: D-then-G, G-then-D (dcgan) and n_critic with per-step uniforms
    (wgan_gp). Small nets, 5 steps: 2 + 2 + 1 against 1 + 1 + 1 + 1 + 1."""
    over = dict(model=model, small=True, max_steps=5, n_critic=2 if model == "wgan_gp" else 1)
    train(tmp_path, tiny_mnist, "plain", steps_per_call=1, **over)
    train(tmp_path, tiny_mnist, "fast", steps_per_call=2, **over)
    plain, fast = losses(tmp_path / "plain"), losses(tmp_path / "fast")
    assert [r[:2] for r in plain] == [r[:2] for r in fast] and len(plain) == 5
    np.testing.assert_allclose([r[2:] for r in plain], [r[2:] for r in fast], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("model", [pytest.param(m, marks=IN_GRAPH_RANDOM) if m == "convgan" else m
                                   for m in list_models()])
@pytest.mark.trains
def test_every_model_resumes_to_the_uninterrupted_losses(tmp_path, tiny_mnist, model):
    """Small nets, 2 epochs of 3 steps, one graph call of 2 + 1: stopped after epoch 1 and resumed, the
    losses are the uninterrupted run's."""
    over = dict(model=model, small=True, max_steps=3, steps_per_call=2)
    train(tmp_path, tiny_mnist, "whole", epochs=2, **over)
    train(tmp_path, tiny_mnist, "parts", epochs=1, **over)
    train(tmp_path, tiny_mnist, "parts", epochs=2, resume=True, **over)
    whole, parts = losses(tmp_path / "whole"), losses(tmp_path / "parts")
    assert [r[:2] for r in whole] == [r[:2] for r in parts] and len(whole) == 6
    np.testing.assert_allclose([r[2:] for r in whole], [r[2:] for r in parts], rtol=1e-5)


@pytest.mark.trains
def test_ema_weights_are_checkpointed_resumed_and_used_by_generate(tmp_path, tiny_mnist):
    trainer, summary = train(tmp_path, tiny_mnist, epochs=2, max_steps=2, ema=0.9)
    noise = np.random.default_rng(3).standard_normal((6, 100)).astype(np.float32)
    averaged, live = trainer.sample(noise), trainer.gan.sample(noise)
    assert np.abs(averaged - live).mean() > 1e-4  # the average is not the last step's weights
    gan, meta = load_generator(summary["checkpoint"])
    assert meta["ema"] and np.allclose(gan.sample(noise), averaged, atol=1e-6)
    train(tmp_path, tiny_mnist, "whole", epochs=3, max_steps=2, ema=0.9)
    train(tmp_path, tiny_mnist, epochs=3, max_steps=2, ema=0.9, resume=True)  # the average comes back on resume
    a = load_generator(tmp_path / "whole" / "checkpoints" / "gan_e0003.ckpt")[0].sample(noise)
    b = load_generator(tmp_path / "run" / "checkpoints" / "gan_e0003.ckpt")[0].sample(noise)
    np.testing.assert_allclose(a, b, atol=1e-5)
