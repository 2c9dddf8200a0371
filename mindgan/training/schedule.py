"""The order of a recipe's updates, compiled: which net steps first, how many critic steps per G step,
and how many steps one graph call runs. Each order is one registered `Schedule` subclass whose `step`
method calls the named updates `d_step` and `g_step`:

- d_then_g (DThenG; the MLP GAN, minimal GAN and CGAN tutorials): D learns to tell real from G(z) with G
  held fixed (stop_gradient), then G learns to fool the updated D on the same z.
- g_then_d (GThenD; the DCGAN tutorial): G steps first and returns the images it made; D then learns on those.
- n_critic > 1 (WGAN-GP, with d_then_g): the critic steps every batch, G after every n_critic-th.

Each update is `mindspore.value_and_grad` of a loss w.r.t. one optimiser's parameters, followed by that
optimiser; `k` consecutive steps are unrolled into one `mindspore.jit` graph, which on a CPU halves the
MLP GAN's time per step (most of it is the cost of launching a graph and waiting for its result).

One graph is compiled per pattern, the tuple saying for each of the k unrolled steps whether it trains G and
whether D's loss carries its penalty (`gp_every` > 1, lazy regularisation: only every gp_every-th step; the
others pass no interpolation numbers, so their graph has no penalty to compute): with n_critic 1 and
gp_every 1 or a divisor of k every call has the same pattern (one graph, plus one for an epoch's shorter last
call); with n_critic 5 and k 8 the pattern shifts with the step, so 5 graphs, plus the epoch tails. Each
compiles once, on first use (seconds on a CPU), and is cached for the run.

Adding an order is one subclass with `@register_schedule("name")` and a `step` method; a recipe's
`schedule: name` picks it.
"""
from __future__ import annotations

import logging

import mindspore as ms
import numpy as np
from mindspore import log as ms_log
from mindspore import ops

from .. import parallel
from ..errors import MindganError
from ..losses import create_loss
from ..registry import SCHEDULES
from . import augment

NAN = float("nan")


class _OwnGraphsCompile(logging.Filter):
    """Drop MindSpore's "function "steps" ... has been compiled again" warning for this module's graphs only.

    MindSpore warns when a new `jit` object wraps code it compiled before, to catch a jit function re-created
    by mistake in a loop. Here each pattern (an epoch's shorter last call) and each new run (a notebook that
    trains twice) is a different graph by design, compiled once and cached in `Schedule._graphs`; the warning
    would print the same line into every notebook and log. Every other MindSpore message still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not ("has been compiled again" in msg and f'"{__file__}"' in msg)


ms_log._get_logger().addFilter(_OwnGraphsCompile())  # pylint: disable=protected-access


def register_schedule(name: str):
    """Class decorator: register a Schedule subclass under `name`."""

    def wrap(cls):
        if not (isinstance(cls, type) and issubclass(cls, Schedule)) or cls.step is Schedule.step:
            raise MindganError(f"schedule {name!r} must be a Schedule subclass with a step method")
        return SCHEDULES.register(name, cls)

    return wrap


def create_schedule(cfg: dict, gan, state) -> "Schedule":
    return SCHEDULES.get(cfg["schedule"])(cfg, gan, state)


class Schedule:
    """The two updates and the compiled k-step graphs; a subclass orders the updates in `step`."""

    @classmethod
    def check(cls, cfg: dict) -> None:
        """Refuse recipe values this order cannot run (called before anything is built)."""

    def __init__(self, cfg: dict, gan, state):
        self.check(cfg)
        self.n_critic, self.gp_every, self.seed = cfg["n_critic"], cfg["gp_every"], cfg["seed"]
        self.gan, self.loss = gan, create_loss(cfg)
        if not hasattr(self.loss, "gradient_penalty"):  # e.g. the wgan_gp recipe with --loss hinge: nothing to space out
            self.gp_every = 1
        self.opt_g, self.opt_d, self.ema = state.opt_g, state.opt_d, state.ema
        self._graphs: dict[tuple, object] = {}
        self.augment, self.image_size = augment.parse_policy(cfg["diffaugment"]), cfg["image_size"]
        self.grad_d = ms.value_and_grad(self.d_forward, None, self.opt_d.parameters)
        self.grad_g = ms.value_and_grad(self.g_forward, None, self.opt_g.parameters, has_aux=True)
        # Data parallel: workers' gradients and losses averaged, so every rank applies the same update
        # and logs the same loss. Identities for one worker.
        self.reduce_d, self.reduce_g = parallel.grad_reducer(self.opt_d), parallel.grad_reducer(self.opt_g)
        self.loss_mean = parallel.loss_mean()

    # --- the networks and the two updates (traced into the graph) -------------------------------------
    def g_apply(self, z, y):
        return self.gan.generator(z, y) if self.gan.conditional else self.gan.generator(z)

    def d_apply(self, x, y):
        return self.gan.discriminator(x, y) if self.gan.conditional else self.gan.discriminator(x)

    def d_forward(self, real, fake, y, u, a):
        fake = ops.stop_gradient(fake)  # D's step trains D only
        if a is not None:  # DiffAugment: D sees real and fake images through the same kind of augmentation
            real, fake = augment.apply(real, a[0]), augment.apply(fake, a[1])
        return self.loss.d_loss(self.d_apply, real, fake, y, u)

    def g_forward(self, z, y, a):
        fake = self.g_apply(z, y)
        seen = fake if a is None else augment.apply(fake, a[2])  # G is judged through the augmentation too
        return self.loss.g_loss(self.d_apply, seen, y), fake

    def d_step(self, real, fake, y, u, a=None):
        """One discriminator update on real and (held fixed) fake images; returns its loss. `a`: the
        step's DiffAugment numbers (augment.draw), None when the recipe does not augment."""
        loss_d, grads = self.grad_d(real, fake, y, u, a)
        self.opt_d(self.reduce_d(grads))
        return self.loss_mean(loss_d)

    def g_step(self, z, y, a=None):
        """One generator update (and the weights' average, when kept); returns its loss and the images."""
        (loss_g, fake), grads = self.grad_g(z, y, a)
        self.opt_g(self.reduce_g(grads))
        if self.ema is not None:
            self.ema()
        return self.loss_mean(loss_g), fake

    def step(self, real, z, y, u, a, train_g: bool):
        """One step as the recipe orders it; returns (loss_d, loss_g), loss_g NaN when G rests. Pass `u` (the
        penalty's uniforms, None on a step without it) to d_step, and `a` (the DiffAugment numbers, or None)
        on to d_step and g_step."""
        raise NotImplementedError

    # --- compiling and running k steps ------------------------------------------------------------------
    def trains_g(self, step: int) -> bool:
        """Whether global step `step` (0-based) ends with a generator update."""
        return (step + 1) % self.n_critic == 0

    def penalises(self, step: int) -> bool:
        """Whether global step `step` (0-based) gives D's loss its penalty (every gp_every-th step)."""
        return step % self.gp_every == 0

    def graph(self, pattern: tuple):
        """The compiled graph for len(pattern) steps; pattern[i] = (whether step i trains G, whether its D
        loss carries the penalty)."""
        if pattern not in self._graphs:
            step, n = self.step, self.inputs_per_step

            def steps(*inputs):  # image, latent, label, uniforms (, augmentations) of step 0, then of step 1, ...
                out = ()
                for i in range(len(pattern)):  # unrolled at compile time
                    real, z, y, u = inputs[n * i:n * i + 4]
                    a = inputs[n * i + 4] if n == 5 else None
                    train_g, penalty = pattern[i]
                    out = out + (ops.stack(step(real, z, y, u if penalty else None, a, train_g)),)
                return ops.stack(out)

            self._graphs[pattern] = ms.jit(steps)
        return self._graphs[pattern]

    @property
    def inputs_per_step(self) -> int:
        return 5 if self.augment else 4

    def run(self, batches: list[dict], first_step: int) -> list[tuple[float, float, bool]]:
        """Train on consecutive batches (numpy dicts: image, latent_code, label) starting at global step
        `first_step`; returns (loss_d, loss_g, whether G trained) per step."""
        pattern = tuple((self.trains_g(first_step + i), self.penalises(first_step + i)) for i in range(len(batches)))
        # each batch's tensors are separate graph inputs: no stacking on the host, no slicing in the graph;
        # the uniforms serve losses that need randomness (WGAN-GP's interpolation), drawn from seed and step
        inputs = []
        for i, b in enumerate(batches):
            u = np.random.default_rng([self.seed, first_step + i]).random(len(b["label"]), np.float32)
            inputs += [ms.Tensor(b["image"]), ms.Tensor(b["latent_code"]), ms.Tensor(b["label"]), ms.Tensor(u)]
            if self.augment:  # its own stream, so that turning augmentation on leaves the alphas as they were
                rng = np.random.default_rng([self.seed, first_step + i, 1])
                inputs.append(ms.Tensor(augment.draw(self.augment, len(b["label"]), self.image_size, rng)))
        return [(float(d), float(g), t) for (d, g), (t, _) in zip(self.graph(pattern)(*inputs).asnumpy(), pattern)]


@register_schedule("d_then_g")
class DThenG(Schedule):
    """D on G(z), then (every n_critic-th step) G on the same z."""

    def step(self, real, z, y, u, a, train_g: bool):
        loss_d = self.d_step(real, self.g_apply(z, y), y, u, a)
        if not train_g:
            return loss_d, ops.full_like(loss_d, NAN)
        return loss_d, self.g_step(z, y, a)[0]


@register_schedule("g_then_d")
class GThenD(Schedule):
    """G first; D then learns on the images G just made (the DCGAN tutorial's order)."""

    @classmethod
    def check(cls, cfg: dict) -> None:
        if cfg["n_critic"] > 1:
            raise MindganError("schedule g_then_d trains G every step: it takes n_critic 1 (use d_then_g for "
                               "several critic steps per generator step)")

    def step(self, real, z, y, u, a, train_g: bool):
        loss_g, fake = self.g_step(z, y, a)
        return self.d_step(real, fake, y, u, a), loss_g
