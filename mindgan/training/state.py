"""What a run trains and a checkpoint holds: both nets, both optimisers, the step counters, and (when the
recipe asks for it) an exponential moving average of the generator's weights."""
from __future__ import annotations

import mindspore as ms
import numpy as np
from mindspore import Parameter, ParameterTuple, mint, nn, ops
from mindspore.nn import learning_rate_schedule

from .. import checkpoint
from ..models import GAN


class LinearDecay(learning_rate_schedule.LearningRateSchedule):
    """The learning rate as it stands until the last `fraction` of the run's updates, then linearly down to 0
    at the last one (the WGAN-GP paper's code decays this way): late steps move the weights less, so the
    generator settles instead of chasing the critic's last move. nn.Adam calls it with its global_step,
    inside the compiled step; `set_horizon` gives it the run's length before the first step compiles."""

    def __init__(self, lr: float, fraction: float):
        super().__init__()
        self.lr, self.fraction = lr, fraction
        self.start, self.length = float(2 ** 62), 1.0  # no horizon given (a benchmark's steps): no decay

    def set_horizon(self, updates: int) -> None:
        self.length = max(updates * self.fraction, 1.0)
        self.start = updates - self.length

    def construct(self, global_step):
        t = (global_step.astype(ms.float32) - self.start) / self.length
        return self.lr * (1.0 - ops.clip_by_value(t, 0.0, 1.0))


def make_optimizer(params, lr: float, beta1: float, beta2: float, prefix: str, decay: float = 0.0):
    """Adam over `params`; `decay` > 0: the rate falls linearly to 0 over that last fraction of the run."""
    params = list(params)
    if beta1 == 0.0:
        # WGAN-GP's Adam(beta1=0): nn.Adam refuses it, mint.optim.Adam (PyTorch's update) takes it.
        opt = mint.optim.Adam(params, lr=lr, betas=(beta1, beta2))  # config.check refuses a decay here
    else:
        opt = nn.Adam(params, learning_rate=LinearDecay(lr, decay) if decay else lr, beta1=beta1, beta2=beta2)
    # Two optimisers in one graph clash on global_step & co. unless renamed. opt.update_parameters_name
    # would also rename the network's own weights (the tutorials' checkpoints have that flaw), so
    # rename only the optimiser's state.
    net_ids = {id(p) for p in params}
    for p in list(opt.get_parameters()) + list(getattr(opt, "lrs", [])):  # mint's Adam keeps its lr apart
        if id(p) not in net_ids:
            p.name = prefix + p.name
    return opt


def update_count(opt) -> Parameter:
    """The optimiser's count of the updates it has made (nn.Adam's global_step, mint's state_step)."""
    if hasattr(opt, "global_step"):
        return opt.global_step
    return next(p for p in opt.get_parameters() if p.name.endswith("state_step"))


class EMA(nn.Cell):
    """ema <- d * ema + (1 - d) * w for each of G's trained weights, run after each G update (inside the
    compiled step). Sampling from the average is smoother than from the last step's weights.

    d ramps up to `decay` as min(decay, (1 + t) / (10 + t)) over G's first updates t (read from G's
    optimiser, so no counter of its own): with a plain `decay` the untrained initial weights keep a share
    of decay**t in the average (12% after 2,100 updates at 0.999), pulling every sample toward theirs; with the ramp
    their share is under 1e-9 after 50 updates (the ramp of TensorFlow's ExponentialMovingAverage)."""

    def __init__(self, net: nn.Cell, decay: float, updates: Parameter):
        super().__init__(auto_prefix=False)
        self.decay = decay
        self.updates = updates  # G's optimiser's step count, already advanced for this update
        self.sources = ParameterTuple(net.trainable_params())
        self.weights = ParameterTuple(Parameter(p.data.copy(), name="ema." + p.name, requires_grad=False)
                                      for p in self.sources)

    def construct(self):
        t = self.updates.astype(ms.float32).reshape(())
        d = ops.minimum((t + 1.0) / (t + 10.0), self.decay)
        for avg, w in zip(self.weights, self.sources):
            ops.assign(avg, avg * d + w * (1 - d))
        return True

    def swap(self) -> None:
        """Exchange live and averaged weights (call twice to undo): sampling uses the average this way."""
        for avg, w in zip(self.weights, self.sources):
            live = w.data.copy()
            w.set_data(avg.data.copy())
            avg.set_data(live)


def fixed_inputs(cfg: dict, gan: GAN) -> tuple[np.ndarray, np.ndarray]:
    """The run's fixed test noise (the same vectors every epoch, so the grids show G changing, not the
    noise) and, for conditional models, one row of labels per class."""
    n = cfg["grid_rows"] * cfg["grid_cols"]
    labels = (np.arange(n) // cfg["grid_cols"]) % cfg["num_classes"]
    return gan.noise(n, cfg["seed"]), labels.astype(np.int32)


class TrainState(nn.Cell):
    """Nets + optimisers (+ EMA) as one Cell, so one save_checkpoint writes them all, plus the counters."""

    PREFIXES = {"generator": "generator.", "discriminator": "discriminator.", "optim_g": "optim_g.",
                "optim_d": "optim_d.", "ema": "ema."}

    def __init__(self, cfg: dict, gan: GAN, lr_scale: float = 1.0):
        super().__init__(auto_prefix=False)  # keep the generator./discriminator./optim_* names as they are
        G, D = gan.generator, gan.discriminator
        self.generator, self.discriminator = G, D
        self.n_critic = cfg["n_critic"]
        self.opt_g = make_optimizer(G.trainable_params(), cfg["lr_g"] * lr_scale, cfg["beta1"], cfg["beta2"],
                                    "optim_g.", cfg["lr_decay"])
        self.opt_d = make_optimizer(D.trainable_params(), cfg["lr_d"] * lr_scale, cfg["beta1"], cfg["beta2"],
                                    "optim_d.", cfg["lr_decay"])
        self.ema = EMA(G, cfg["ema"], update_count(self.opt_g)) if cfg["ema"] > 0 else None
        self.epoch, self.step, self.batch_in_epoch = 0, 0, 0

    def set_horizon(self, steps: int) -> None:
        """The run's length in training steps, for a decaying learning rate (D updates every step, G every
        n_critic-th); call before the first compiled step."""
        for opt, updates in ((self.opt_d, steps), (self.opt_g, steps // self.n_critic)):
            if isinstance(getattr(opt, "learning_rate", None), LinearDecay):
                opt.learning_rate.set_horizon(updates)

    def counters(self) -> dict:
        return {"epoch": self.epoch, "step": self.step, "batch_in_epoch": self.batch_in_epoch}

    def meta(self, cfg: dict, gan: GAN) -> dict:
        """What a checkpoint's .json records: enough to rebuild G and to resume."""
        return {"model": cfg["model"], **self.counters(), "config": cfg, "latent_shape": list(gan.latent_shape),
                "image_shape": list(gan.image_shape), "value_range": gan.value_range,
                "conditional": gan.conditional, "ema": self.ema is not None}

    def restore(self, path, meta: dict) -> None:
        """Load every part from a checkpoint, by exact name; call before the first compiled step."""
        params = checkpoint.load_params(path)
        parts = [(self.generator, "generator"), (self.discriminator, "discriminator")]
        for cell, what in parts:
            checkpoint.load_into(cell, params, self.PREFIXES[what], what, path)
        for opt, what in ((self.opt_g, "optim_g"), (self.opt_d, "optim_d")):
            checkpoint.assign([p for p in opt.get_parameters() if p.name.startswith(self.PREFIXES[what])],
                              params, "optimiser", path)
        if self.ema is not None:
            checkpoint.assign(self.ema.weights, params, "generator average", path)
        self.epoch, self.step, self.batch_in_epoch = meta["epoch"], meta["step"], meta["batch_in_epoch"]
