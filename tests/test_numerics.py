"""Training numerics on one compiled schedule, a few graph steps each (the fast tier's share of what
test_trainer.py checks through whole runs): a checkpoint holds everything the next steps need, and k steps
unrolled in one graph call equal k calls of one step."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import small_overrides, untrained
from mindgan import checkpoint
from mindgan.models import list_models


def schedule(tmp_path, tiny_mnist, model):
    """A Trainer of `model`'s small nets (nothing trained yet, in training mode) and its first 4 batches;
    wgan_gp with two critic steps per G step and the penalty on every second step, so that both interleave
    with the calls; convgan without its Dropout, whose masks come from MindSpore's in-graph random state, which
    a checkpoint cannot hold and another graph draws differently (test_trainer.py's IN_GRAPH_RANDOM cases)."""
    over = {"n_critic": 2, "gp_every": 2} if model == "wgan_gp" else {}
    if model == "convgan":
        over["model_args"] = {**small_overrides(model)["model_args"], "dropout": 0.0}
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


def test_with_n_critic_the_generator_steps_after_each_group_of_critic_steps(tmp_path, tiny_mnist):
    """n_critic 3 (the paper's Algorithm 1 with 3 for 5): steps 0 and 1 train the critic alone, step 2 the critic
    and then G, and so on; a G step first in each group would train G against an untrained critic at step 0."""
    trainer, b = untrained("wgan_gp", tiny_mnist, tmp_path / "run", batches=3, n_critic=3)
    assert [trainer.schedule.trains_g(s) for s in range(6)] == [False, False, True, False, False, True]
    assert [t for *_, t in trainer.schedule.run(b, 0)] == [False, False, True]


@pytest.mark.parametrize("beta1", [0.5, 0.0])  # nn.Adam counts its updates in global_step, mint's Adam in state_step
def test_the_weights_average_follows_each_generator_update_with_its_ramp(tmp_path, tiny_mnist, beta1):
    """With `ema` 0.2, each compiled step leaves average = d * average + (1 - d) * updated, for every weight of
    G, with d = min(0.2, (1 + t) / (10 + t)) at G's t-th update: 2/11 after the first (the ramp), 0.2 after
    the second (the decay)."""
    trainer, batches = untrained("gan", tiny_mnist, tmp_path / "run", batches=2, ema=0.2, beta1=beta1)
    ema = trainer.state.ema
    avg = [w.asnumpy().copy() for w in ema.sources]
    for step, d in ((0, 2 / 11), (1, 0.2)):
        before = [w.asnumpy().copy() for w in ema.sources]
        trainer.schedule.run(batches[step:step + 1], step)
        updated = [w.asnumpy() for w in ema.sources]
        assert any(not np.allclose(a, b) for a, b in zip(before, updated))  # G really moved
        avg = [d * a + (1 - d) * w for a, w in zip(avg, updated)]
        for kept, expected in zip(ema.weights, avg):
            np.testing.assert_allclose(kept.asnumpy(), expected, rtol=1e-5, atol=1e-7)


def test_a_decaying_rate_holds_then_falls_linearly_to_zero_where_the_weights_stop(tmp_path, tiny_mnist):
    """lr_decay 0.5 over a 4-step run: the full rate for steps 0-2, half of it at step 3, 0 from step 4 on,
    for both optimisers; so step 3 still moves both nets and a 5th step moves neither."""
    import mindspore as ms

    trainer, b = untrained("gan", tiny_mnist, tmp_path / "run", batches=4, lr_decay=0.5, lr_g=1e-3, lr_d=3e-3)
    state = trainer.state
    state.set_horizon(4)
    for opt, lr in ((state.opt_g, 1e-3), (state.opt_d, 3e-3)):
        rates = [float(opt.learning_rate(ms.Tensor(k, ms.int32)).asnumpy()) for k in range(6)]
        assert rates == pytest.approx([lr, lr, lr, lr / 2, 0, 0], abs=1e-9)

    def weights():
        return [p.asnumpy().copy() for p in state.generator.trainable_params() + state.discriminator.trainable_params()]

    trainer.schedule.run(b[:3], 0)
    before = weights()
    trainer.schedule.run(b[3:], 3)
    after = weights()
    assert all(not np.array_equal(x, y) for x, y in zip(before, after) if x.ndim > 1)  # half the rate still moves
    trainer.schedule.run(b[:1], 4)
    assert all(np.array_equal(x, y) for x, y in zip(after, weights()))  # the rate is 0 at the end of the run
