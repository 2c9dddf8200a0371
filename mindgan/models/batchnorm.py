"""Standing BatchNorm statistics for a generator whose weights were replaced (by their running average).

Why: a BatchNorm layer keeps running means and variances of its inputs, collected while the *live* weights
trained. The average of the weights (`ema` in a recipe) computes other activations than the live weights,
so sampling from the average with the live statistics normalises by the wrong numbers: the grid goes grey
or speckled. Running the averaged generator once in training mode over a large batch of noise and keeping
each layer's batch statistics (BigGAN's "standing statistics") gives the statistics that belong to it.
"""
from __future__ import annotations

from contextlib import contextmanager

import mindspore as ms
import numpy as np
from mindspore import nn

from . import noise

BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


def _layers(generator) -> list:
    return [cell for _, cell in generator.cells_and_names() if isinstance(cell, BATCHNORMS)]


def recompute(gan, num_classes: int, n: int = 1024, seed: int = 0) -> int:
    """Set every BatchNorm layer of gan.generator to the mean and variance of its inputs over n seeded noise
    vectors (labels cycling over the classes for a conditional G). Returns the number of layers set."""
    layers = _layers(gan.generator)
    if not layers:
        return 0
    inputs: dict[int, list] = {i: [] for i in range(len(layers))}

    def keep(i):
        return lambda cell, args: inputs[i].append(args[0].asnumpy())

    handles = [layer.register_forward_pre_hook(keep(i)) for i, layer in enumerate(layers)]
    G, was_training = gan.generator, gan.generator.training
    G.set_train(True)  # batch statistics: each layer sees its inputs as the averaged weights make them
    try:
        z = ms.Tensor(noise(gan.latent_shape, n, seed))  # untruncated: the noise G was trained on
        G(z, ms.Tensor(np.arange(n, dtype=np.int32) % num_classes)) if gan.conditional else G(z)
    finally:
        G.set_train(was_training)
        for handle in handles:
            handle.remove()
    for i, layer in enumerate(layers):
        x = np.concatenate(inputs[i]).astype(np.float64)
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        layer.moving_mean.set_data(ms.Tensor(x.mean(axes).astype(np.float32)))
        layer.moving_variance.set_data(ms.Tensor(x.var(axes, ddof=1).astype(np.float32)))
    return len(layers)


@contextmanager
def kept(generator):
    """Restore the generator's BatchNorm statistics on leaving (for a temporary recompute)."""
    saved = [(layer, layer.moving_mean.asnumpy().copy(), layer.moving_variance.asnumpy().copy())
             for layer in _layers(generator)]
    try:
        yield
    finally:
        for layer, mean, var in saved:
            layer.moving_mean.set_data(ms.Tensor(mean))
            layer.moving_variance.set_data(ms.Tensor(var))
