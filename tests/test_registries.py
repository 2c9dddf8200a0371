"""The extension points: a loss, an update schedule and a model are each one registered class or function,
added from any module; these tests add them from this file alone and train with them."""
from __future__ import annotations

import importlib.util
import json
import math
import re

import numpy as np
import mindspore as ms
import pytest
from mindspore import nn, ops

from helpers import REPO, quick_cfg
from mindgan import config
from mindgan.errors import MindganError
from mindgan.losses import BCELoss, register_loss
from mindgan.models import GAN, Arg, create_model, register_model
from mindgan.registry import LOSSES, MODELS, SCHEDULES, Registry
from mindgan.training import Trainer
from mindgan.training.schedule import Schedule, register_schedule

_spec = importlib.util.spec_from_file_location("record_losses", REPO / "scripts" / "record_losses.py")
record = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record)


@pytest.fixture
def twice_bce():
    """A loss registered here: the tutorials' BCE, doubled (so its first loss_d is exactly twice BCE's)."""

    @register_loss("twice_bce")
    class TwiceBCE(BCELoss):
        def d_loss(self, d_apply, real, fake, labels, u=None):
            return super().d_loss(d_apply, real, fake, labels, u) * 2

    yield "twice_bce"
    LOSSES.items.pop("twice_bce")


def test_a_loss_registered_from_a_test_trains(twice_bce, tmp_path):
    """No other file knows the loss: the config accepts it (choices come from the registry), the model's
    contract admits it (its D gives the probability the loss needs), and it trains."""
    assert "twice_bce" in config.load(model="gan", overrides={"loss": "twice_bce"})["loss"]
    assert twice_bce in MODELS.get("gan").losses
    rows = record.first_losses("gan", loss=twice_bce)
    recorded = json.loads(record.RECORD.read_text())["gan"]
    assert rows[0][0] == 2 * recorded[0][0]  # the same nets, seed and batch: exactly twice the first BCE loss
    assert all(math.isfinite(d) and math.isfinite(g) for d, g, _ in rows)


@pytest.mark.parametrize("loss", ["lsgan", "hinge"])
def test_lsgan_and_hinge_train_a_critic(loss):
    rows = record.first_losses("wgan_gp", loss=loss, n_critic=1)
    assert all(math.isfinite(d) and math.isfinite(g) and t for d, g, t in rows)


def test_lsgan_and_hinge_values_on_known_scores():
    """The formulas on a 'discriminator' returning fixed scores."""
    real, fake = ms_tensor([2.0, 0.5]), ms_tensor([-2.0, 0.0])
    d = lambda x, y: x  # noqa: E731  (the images are the scores)
    lsgan, hinge = LOSSES.get("lsgan")({}), LOSSES.get("hinge")({})
    assert float(lsgan.d_loss(d, real, fake, None)) == pytest.approx(0.5 * ((1 + 0.25) / 2 + (4 + 0) / 2))
    assert float(lsgan.g_loss(d, fake, None)) == pytest.approx(0.5 * (9 + 1) / 2)
    assert float(hinge.d_loss(d, real, fake, None)) == pytest.approx((0 + 0.5) / 2 + (0 + 1) / 2)
    assert float(hinge.g_loss(d, fake, None)) == pytest.approx(1.0)


def ms_tensor(values):
    return ms.Tensor(np.array(values, np.float32))


def test_a_loss_that_needs_another_discriminator_is_refused():
    with pytest.raises(MindganError, match=r"trains with loss bce, not 'hinge'.*gives a probability and hinge needs a score"):
        quick_cfg(model="gan", loss="hinge")


def test_a_schedule_registered_from_a_test_trains(tmp_path):
    """An order this file adds: two critic updates on the same batch, then G."""

    @register_schedule("d_twice_then_g")
    class DTwiceThenG(Schedule):
        def step(self, real, z, y, u, a, train_g):
            fake = self.g_apply(z, y)
            self.d_step(real, fake, y, u, a)
            loss_d = self.d_step(real, fake, y, u, a)
            return loss_d, self.g_step(z, y, a)[0]

    try:
        cfg = quick_cfg(schedule="d_twice_then_g", batch_size=4, steps_per_call=2)
        trainer = Trainer(cfg, tmp_path, progress=False, hooks=[])
        rows = trainer.schedule.run(record.batches(trainer.gan)[:2], 0)
        assert isinstance(trainer.schedule, DTwiceThenG) and len(rows) == 2
        assert all(math.isfinite(d) and math.isfinite(g) for d, g, _ in rows)
    finally:
        SCHEDULES.items.pop("d_twice_then_g")


def test_schedule_limits_are_checked_with_the_config():
    with pytest.raises(MindganError, match="g_then_d trains G every step"):
        quick_cfg(model="gan", schedule="g_then_d", n_critic=2)


class _Net(nn.Cell):
    def __init__(self, out_shape, scale=1.0):
        super().__init__()
        self.dense = nn.Dense(4, int(np.prod(out_shape)))
        self.out_shape, self.scale = out_shape, scale

    def construct(self, x):
        return ops.reshape(ops.tanh(self.dense(x)) * self.scale, (-1, *self.out_shape))


@pytest.mark.parametrize("shape,scale,needle", [
    ((1, 8, 8), 1.0, "gives images of shape (1, 8, 8), but the GAN says image_shape (1, 28, 28)"),
    ((1, 28, 28), 5.0, "outside its registered value_range 'sigmoid'"),
])
def test_create_model_checks_the_generator_against_the_contract(shape, scale, needle):
    @register_model("broken_test", recipe="gan_mnist.yaml", about="a model that breaks its contract",
                    value_range="sigmoid", args={k: Arg("ints", [1]) for k in ("g_hidden", "d_hidden")})
    def build(cfg, args):
        return GAN(_Net(shape, scale), _Net((1,)), latent_shape=(4,), image_shape=(1, 28, 28))

    try:
        with pytest.raises(MindganError, match=re.escape(needle)):
            create_model(config.load(model="broken_test"))
    finally:
        MODELS.items.pop("broken_test")


@pytest.mark.parametrize("kwargs,needle", [
    ({"value_range": "relu"}, "value_range 'relu' is not one of tanh, sigmoid"),
    ({"data": ("video",)}, "data ('video',) must be among mnist, images"),
    ({"d_output": "logit"}, "d_output 'logit' is not one of probability, score"),
    ({"args": {"width": 16}}, "every model_args entry must be an Arg"),
])
def test_registration_errors_are_mindgan_errors(kwargs, needle):
    with pytest.raises(MindganError, match=re.escape(needle)):
        register_model("bad_test", recipe="x.yaml", about="x", **kwargs)


def test_a_taken_name_is_refused_and_the_same_class_may_register_again():
    reg = Registry("widget", "mindgan.errors")

    class A:
        pass

    class B:
        pass

    reg.register("a", A)
    reg.register("a", A)  # a module imported again
    with pytest.raises(MindganError, match="the name is taken by"):
        reg.register("a", B)
    with pytest.raises(MindganError, match="a name is a Python identifier"):
        reg.register("no such", B)
    with pytest.raises(MindganError, match="unknown widget 'b'; registered widgets: a"):
        reg.get("b")
    with pytest.raises(MindganError, match="needs = 'probability' or 'score'"):
        register_loss("needless")(type("Needless", (), {"d_loss": lambda s: 0, "g_loss": lambda s: 0}))
    with pytest.raises(MindganError, match="must be a Schedule subclass with a step method"):
        register_schedule("stepless")(type("Stepless", (Schedule,), {}))
