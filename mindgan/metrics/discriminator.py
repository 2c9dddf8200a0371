"""Per-epoch metrics for `hooks.Metrics`: callables (trainer, epoch) -> {name: number}."""
from __future__ import annotations

import numpy as np

from ..errors import MindganError
from ..registry import LOSSES


class DAccuracy:
    """The conv GAN tutorial's evaluation: D's accuracy on real images (score > 0.5) and on fakes (< 0.5).

    Real images are the first n of the epoch's last training batch (the tutorial draws random training
    images); fakes come from fresh noise. Both nets run in eval mode (no Dropout), as Keras's evaluate.
    """

    def __init__(self, cfg: dict):
        if LOSSES.get(cfg["loss"]).needs != "probability":
            raise MindganError(f"d_accuracy_samples needs a probability from D (a loss such as bce); loss "
                               f"{cfg['loss']} trains a critic whose score has no 0.5 threshold: set d_accuracy_samples 0")
        self.n, self.classes = cfg["d_accuracy_samples"], cfg["num_classes"]
        self.rng = np.random.default_rng(cfg["seed"] + 1)

    def __call__(self, trainer, epoch: int) -> dict:
        import mindspore as ms

        if trainer.last_batch is None:
            return {}
        gan, D = trainer.gan, trainer.gan.discriminator
        real, real_labels = (ms.Tensor(t[: self.n]) for t in trainer.last_batch)
        n = real.shape[0]
        noise = self.rng.standard_normal((n, *gan.latent_shape)).astype(np.float32)
        labels = self.rng.integers(0, self.classes, n).astype(np.int32)
        fake = ms.Tensor(trainer.sample(noise, labels))
        D.set_train(False)
        try:
            if gan.conditional:
                p_real, p_fake = D(real, real_labels).asnumpy(), D(fake, ms.Tensor(labels)).asnumpy()
            else:
                p_real, p_fake = D(real).asnumpy(), D(fake).asnumpy()
        finally:
            D.set_train(True)
        return {"d_acc_real": float((p_real > 0.5).mean()), "d_acc_fake": float((p_fake < 0.5).mean())}
