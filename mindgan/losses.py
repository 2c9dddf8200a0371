"""Adversarial losses. Each takes the discriminator as a function so that penalties can call it again."""
from mindspore import nn, ops

from .errors import MindganError


class BCELoss:
    """The tutorials' loss: D outputs a probability; real -> 1, fake -> 0; G wants its fakes -> 1."""

    def __init__(self, cfg: dict):
        self.bce = nn.BCELoss(reduction="mean")
        self.d_scale = cfg["d_loss_scale"]

    def d_loss(self, d_apply, real, fake, labels):
        real_out = d_apply(real, labels)
        fake_out = d_apply(fake, labels)
        real_loss = self.bce(real_out, ops.ones_like(real_out))
        fake_loss = self.bce(fake_out, ops.zeros_like(fake_out))
        return (real_loss + fake_loss) * self.d_scale

    def g_loss(self, d_apply, fake, labels):
        fake_out = d_apply(fake, labels)
        return self.bce(fake_out, ops.ones_like(fake_out))


LOSSES = {"bce": BCELoss}


def create_loss(cfg: dict):
    if cfg["loss"] not in LOSSES:
        raise MindganError(f"unknown loss {cfg['loss']!r}; losses: {', '.join(LOSSES)}")
    return LOSSES[cfg["loss"]](cfg)
