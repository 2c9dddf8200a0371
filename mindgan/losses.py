"""Adversarial losses. Each takes the discriminator as a function so that penalties can call it again."""
import mindspore as ms
from mindspore import nn, ops

from .errors import MindganError


class BCELoss:
    """The tutorials' loss: D outputs a probability; real -> 1, fake -> 0; G wants its fakes -> 1."""

    def __init__(self, cfg: dict):
        self.bce = nn.BCELoss(reduction="mean")
        self.d_scale = cfg["d_loss_scale"]
        self.real_label = cfg["real_label"]  # 1.0; 0.9 is one-sided label smoothing (Salimans et al. 2016)

    def d_loss(self, d_apply, real, fake, labels, u=None):
        real_out = d_apply(real, labels)
        fake_out = d_apply(fake, labels)
        real_loss = self.bce(real_out, ops.full_like(real_out, self.real_label))
        fake_loss = self.bce(fake_out, ops.zeros_like(fake_out))
        return (real_loss + fake_loss) * self.d_scale

    def g_loss(self, d_apply, fake, labels):
        fake_out = d_apply(fake, labels)
        return self.bce(fake_out, ops.ones_like(fake_out))


class WassersteinGP:
    """WGAN-GP (Gulrajani et al. 2017): the critic scores, real up and fake down, plus
    gp_weight * E[(||grad_x D(x_hat)||_2 - 1)^2] at x_hat uniformly between paired real and fake images.

    The penalty is a gradient of D inside the loss, so the trainer's value_and_grad differentiates it a
    second time (w.r.t. D's weights): that is what keeps the critic near 1-Lipschitz.
    """

    def __init__(self, cfg: dict):
        self.gp_weight = cfg["gp_weight"]

    def gradient_penalty(self, d_apply, real, fake, labels, u):
        # one alpha per sample, u ~ U(0, 1) drawn by the schedule from the seed and the step (not by an
        # in-graph random op, whose state MindSpore cannot save): a resumed run draws the same alphas
        alpha = u.reshape((real.shape[0],) + (1,) * (real.ndim - 1)).astype(real.dtype)
        x_hat = alpha * real + (1 - alpha) * fake
        grad_x = ms.grad(lambda x: d_apply(x, labels).sum())(x_hat)
        # eps inside the root: sqrt's gradient is infinite at 0
        norm = ops.sqrt((grad_x ** 2).reshape(real.shape[0], -1).sum(-1) + 1e-12)
        return ((norm - 1) ** 2).mean()

    def d_loss(self, d_apply, real, fake, labels, u):
        wasserstein = d_apply(fake, labels).mean() - d_apply(real, labels).mean()
        return wasserstein + self.gp_weight * self.gradient_penalty(d_apply, real, fake, labels, u)

    def g_loss(self, d_apply, fake, labels):
        return -d_apply(fake, labels).mean()


LOSSES = {"bce": BCELoss, "wgan_gp": WassersteinGP}


def create_loss(cfg: dict):
    if cfg["loss"] not in LOSSES:
        raise MindganError(f"unknown loss {cfg['loss']!r}; losses: {', '.join(LOSSES)}")
    return LOSSES[cfg["loss"]](cfg)
