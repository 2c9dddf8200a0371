"""The order of a recipe's updates, compiled: which net steps first, how many critic steps per G step,
and how many steps one graph call runs.

- d_then_g (the MLP GAN, minimal GAN and CGAN tutorials): D learns to tell real from G(z) with G held
  fixed (stop_gradient), then G learns to fool the updated D on the same z.
- g_then_d (the DCGAN tutorial): G steps first and returns the images it made; D then learns on those.
- n_critic > 1 (WGAN-GP): the critic steps every batch, G after every n_critic-th.

Each update is `mindspore.value_and_grad` of a loss w.r.t. one optimiser's parameters, followed by that
optimiser; `k` consecutive steps are unrolled into one `mindspore.jit` graph, which on a CPU halves the
MLP GAN's time per step (most of it is the cost of launching a graph and waiting for its result).
"""
from __future__ import annotations

import mindspore as ms
import numpy as np
from mindspore import ops

from .. import parallel
from ..errors import MindganError
from ..losses import create_loss

NAN = float("nan")


class Schedule:
    def __init__(self, cfg: dict, gan, state):
        if cfg["schedule"] == "g_then_d" and cfg["n_critic"] > 1:
            raise MindganError("schedule g_then_d trains G every step: it takes n_critic 1 (use d_then_g for "
                               "several critic steps per generator step)")
        self.order, self.n_critic, self.seed = cfg["schedule"], cfg["n_critic"], cfg["seed"]
        self._graphs: dict[tuple, object] = {}
        G, D, loss, opt_g, opt_d, ema = (gan.generator, gan.discriminator, create_loss(cfg), state.opt_g,
                                         state.opt_d, state.ema)

        def g_apply(z, y):
            return G(z, y) if gan.conditional else G(z)

        def d_apply(x, y):
            return D(x, y) if gan.conditional else D(x)

        def d_forward(real, fake, y, u):
            return loss.d_loss(d_apply, real, ops.stop_gradient(fake), y, u)  # D's step trains D only

        def g_forward(z, y):
            fake = g_apply(z, y)
            return loss.g_loss(d_apply, fake, y), fake

        grad_d = ms.value_and_grad(d_forward, None, opt_d.parameters)
        grad_g = ms.value_and_grad(g_forward, None, opt_g.parameters, has_aux=True)
        # Data parallel: workers' gradients and losses averaged, so every rank applies the same update
        # and logs the same loss. Identities for one worker.
        reduce_d, reduce_g, loss_mean = parallel.grad_reducer(opt_d), parallel.grad_reducer(opt_g), parallel.loss_mean()

        def d_step(real, fake, y, u):
            loss_d, grads = grad_d(real, fake, y, u)
            opt_d(reduce_d(grads))
            return loss_mean(loss_d)

        def g_step(z, y):
            (loss_g, fake), grads = grad_g(z, y)
            opt_g(reduce_g(grads))
            if ema is not None:
                ema()
            return loss_mean(loss_g), fake

        def step(real, z, y, u, train_g: bool):
            """One step as the recipe orders it; returns (loss_d, loss_g), loss_g NaN when G rests."""
            if self.order == "g_then_d":
                loss_g, fake = g_step(z, y)
                return d_step(real, fake, y, u), loss_g
            loss_d = d_step(real, g_apply(z, y), y, u)
            if not train_g:
                return loss_d, ops.full_like(loss_d, NAN)
            return loss_d, g_step(z, y)[0]

        self.step_fn = step

    def trains_g(self, step: int) -> bool:
        """Whether global step `step` (0-based) ends with a generator update."""
        return (step + 1) % self.n_critic == 0

    def graph(self, pattern: tuple):
        """The compiled graph for len(pattern) steps; pattern[i] says whether step i trains G."""
        if pattern not in self._graphs:
            step = self.step_fn

            def steps(*inputs):  # image, latent, label, uniforms of step 0, then of step 1, ...
                out = ()
                for i in range(len(pattern)):  # unrolled at compile time
                    real, z, y, u = inputs[4 * i:4 * i + 4]
                    out = out + (ops.stack(step(real, z, y, u, pattern[i])),)
                return ops.stack(out)

            self._graphs[pattern] = ms.jit(steps)
        return self._graphs[pattern]

    def run(self, batches: list[dict], first_step: int) -> list[tuple[float, float, bool]]:
        """Train on consecutive batches (numpy dicts: image, latent_code, label) starting at global step
        `first_step`; returns (loss_d, loss_g, whether G trained) per step."""
        pattern = tuple(self.trains_g(first_step + i) for i in range(len(batches)))
        # each batch's tensors are separate graph inputs: no stacking on the host, no slicing in the graph;
        # the uniforms serve losses that need randomness (WGAN-GP's interpolation), drawn from seed and step
        inputs = []
        for i, b in enumerate(batches):
            u = np.random.default_rng([self.seed, first_step + i]).random(len(b["label"]), np.float32)
            inputs += [ms.Tensor(b["image"]), ms.Tensor(b["latent_code"]), ms.Tensor(b["label"]), ms.Tensor(u)]
        return [(float(d), float(g), t) for (d, g), t in zip(self.graph(pattern)(*inputs).asnumpy(), pattern)]
