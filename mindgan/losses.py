"""Adversarial losses, each one registered class: `d_loss(d_apply, real, fake, labels, u)` and
`g_loss(d_apply, fake, labels)`, with the discriminator passed as a function so that a penalty can call
it again. `needs` says what the discriminator must output: "probability" (it ends in a Sigmoid) or
"score" (unbounded); a model fits the losses that need what its discriminator gives (models/__init__.py).

Adding a loss is one class here (or in any module imported before the run) with `@register_loss("name")`;
a recipe's `loss: name` then picks it. Its `__init__(cfg)` reads the recipe keys it uses.
"""
import mindspore as ms
from mindspore import nn, ops

from .errors import MindganError
from .registry import LOSSES

D_OUTPUTS = ("probability", "score")


def register_loss(name: str):
    """Class decorator: register a loss class under `name` (see the module doc for what it provides)."""

    def wrap(cls):
        for method in ("d_loss", "g_loss"):
            if not callable(getattr(cls, method, None)):
                raise MindganError(f"loss {name!r} ({cls.__qualname__}) has no {method} method")
        if getattr(cls, "needs", None) not in D_OUTPUTS:
            raise MindganError(f"loss {name!r} ({cls.__qualname__}) must say what D outputs: needs = "
                               f"{' or '.join(map(repr, D_OUTPUTS))}")
        return LOSSES.register(name, cls)

    return wrap


def create_loss(cfg: dict):
    return LOSSES.get(cfg["loss"])(cfg)


@register_loss("bce")
class BCELoss:
    """The tutorials' loss: D outputs a probability; real -> 1, fake -> 0; G wants its fakes -> 1."""

    needs = "probability"

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


@register_loss("wgan_gp")
class WassersteinGP:
    """WGAN-GP (Gulrajani et al. 2017): the critic scores, real up and fake down, plus
    gp_weight * E[(||grad_x D(x_hat)||_2 - 1)^2] at x_hat uniformly between paired real and fake images.

    The penalty is a gradient of D inside the loss, so the trainer's value_and_grad differentiates it a
    second time (w.r.t. D's weights): that is what keeps the critic near 1-Lipschitz. With gp_every N > 1
    (lazy regularisation, Karras et al. 2020) the schedule passes u only every N-th step, and the penalty
    counts N times there: the same pull on average, at a fraction of the second-order work.
    """

    needs = "score"

    def __init__(self, cfg: dict):
        self.gp_weight = cfg["gp_weight"] * cfg["gp_every"]

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
        if u is None:  # a step without the penalty (gp_every > 1); decided when the graph is traced
            return wasserstein
        return wasserstein + self.gp_weight * self.gradient_penalty(d_apply, real, fake, labels, u)

    def g_loss(self, d_apply, fake, labels):
        return -d_apply(fake, labels).mean()


@register_loss("lsgan")
class LeastSquares:
    """LSGAN (Mao et al. 2017): least squares on D's score, real -> 1, fake -> 0, G wants its fakes -> 1;
    each halved as in the paper. Gradients do not vanish for fakes D scores far on the real side."""

    needs = "score"

    def __init__(self, cfg: dict):
        pass

    def d_loss(self, d_apply, real, fake, labels, u=None):
        return 0.5 * (((d_apply(real, labels) - 1) ** 2).mean() + (d_apply(fake, labels) ** 2).mean())

    def g_loss(self, d_apply, fake, labels):
        return 0.5 * ((d_apply(fake, labels) - 1) ** 2).mean()


@register_loss("hinge")
class Hinge:
    """Hinge loss (Lim & Ye 2017; SAGAN, BigGAN): D pushes real scores above 1 and fake below -1, and stops
    pushing past them; G raises its fakes' score."""

    needs = "score"

    def __init__(self, cfg: dict):
        pass

    def d_loss(self, d_apply, real, fake, labels, u=None):
        return ops.relu(1 - d_apply(real, labels)).mean() + ops.relu(1 + d_apply(fake, labels)).mean()

    def g_loss(self, d_apply, fake, labels):
        return -d_apply(fake, labels).mean()
