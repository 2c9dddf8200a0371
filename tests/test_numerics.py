"""Training numerics on one compiled schedule, a few graph steps each (the fast tier's share of what
test_trainer.py checks through whole runs): a checkpoint holds everything the next steps need, and k steps
unrolled in one graph call equal k calls of one step."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import untrained
from mindgan import checkpoint
from mindgan.models import list_models


def schedule(tmp_path, tiny_mnist, model):
    """A Trainer of `model`'s small nets (nothing trained yet) and its first 4 batches; wgan_gp with two
    critic steps per G step and the penalty on every second step, so that both interleave with the calls."""
    over = {"n_critic": 2, "gp_every": 2} if model == "wgan_gp" else {}
    return untrained(model, tiny_mnist, tmp_path / "run", **over)


def checkpoint_at(trainer, step):
    trainer.state.step = trainer.state.batch_in_epoch = step
    return trainer.save_checkpoint()


def rewind(trainer, path):
    trainer.state.restore(path, checkpoint.read_meta(path))


def same(a, b, rtol):
    assert [t for *_, t in a] == [t for *_, t in b]  # G trained at the same steps
    np.testing.assert_allclose(np.array(a)[:, :2].astype(float), np.array(b)[:, :2].astype(float),
                               rtol=rtol, atol=1e-6, equal_nan=True)  # loss_g is NaN where G did not train


@pytest.mark.parametrize("model", list_models())
def test_k_steps_in_one_graph_call_equal_k_calls_and_a_checkpoint_replays_them(tmp_path, tiny_mnist, model):
    """From a checkpoint, 3 steps as one graph call, then as 3 calls of 1 step: the same losses for every
    update order (D then G, G then D, n_critic with per-step uniforms). Then a checkpoint after step 3,
    a 4th step, and the checkpoint loaded back into the same nets and optimisers (Adam's moments and step
    counts included): the 4th step again gives the same losses."""
    trainer, b = schedule(tmp_path, tiny_mnist, model)
    start = checkpoint_at(trainer, 0)
    fast = trainer.schedule.run(b[:3], 0)
    rewind(trainer, start)
    plain = [row for i in range(3) for row in trainer.schedule.run(b[i:i + 1], i)]
    same(plain, fast, rtol=1e-5)
    third = checkpoint_at(trainer, 3)
    fourth = trainer.schedule.run(b[3:], 3)
    rewind(trainer, third)
    same(trainer.schedule.run(b[3:], 3), fourth, rtol=1e-6)


def test_a_lazy_step_has_no_penalty_and_a_penalised_one_carries_it_gp_every_times(tmp_path, tiny_mnist):
    """gp_every 2: step 0's critic loss equals that of a run penalised every step at twice the weight (same
    nets, same batch, same alphas); step 1's is the Wasserstein estimate alone, as D and G stand before it."""
    import mindspore as ms

    lazy, b = untrained("wgan_gp", tiny_mnist, tmp_path / "lazy", batches=2, gp_every=2)
    every, _ = untrained("wgan_gp", tiny_mnist, tmp_path / "every", batches=2, gp_weight=20.0, gp_every=1)
    first = lazy.schedule.run(b[:1], 0)[0][0]
    assert first == pytest.approx(every.schedule.run(b[:1], 0)[0][0], rel=1e-5)
    sched = lazy.schedule
    real, z, y = (ms.Tensor(b[1][k]) for k in ("image", "latent_code", "label"))
    wasserstein = float(sched.loss.d_loss(sched.d_apply, real, sched.g_apply(z, y), y, None).asnumpy())
    u = ms.Tensor(np.full(len(b[1]["label"]), 0.5, np.float32))
    assert float(sched.loss.d_loss(sched.d_apply, real, sched.g_apply(z, y), y, u).asnumpy()) > wasserstein + 1e-3
    assert [sched.penalises(s) for s in range(5)] == [True, False, True, False, True]
    assert sched.run(b[1:], 1)[0][0] == pytest.approx(wasserstein, rel=1e-4, abs=1e-5)


def test_the_weights_average_follows_each_generator_update(tmp_path, tiny_mnist):
    """With `ema` d, one compiled step leaves average = d * initial + (1 - d) * updated, for every weight of G."""
    trainer, (batch,) = untrained("gan", tiny_mnist, tmp_path / "run", batches=1, ema=0.75)
    ema = trainer.state.ema
    initial = [w.asnumpy().copy() for w in ema.sources]
    trainer.schedule.run([batch], 0)
    updated = [w.asnumpy() for w in ema.sources]
    assert any(not np.allclose(a, b) for a, b in zip(initial, updated))  # G really moved
    for avg, w0, w1 in zip(ema.weights, initial, updated):
        np.testing.assert_allclose(avg.asnumpy(), 0.75 * w0 + 0.25 * w1, rtol=1e-5, atol=1e-7)
