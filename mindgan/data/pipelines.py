"""Dataset pipelines: batches of images in the model's value range, plus a Gaussian latent column."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..device import cpu_cores
from ..errors import MindganError
from . import idx
from .cache import cache_root
from .imagefolder import EXTENSIONS, DecodeRGB, prepare, resize_ops
from .sources import Location

MNIST_SIDE = 28  # MNIST-format digits are 28x28; the recipes may ask for them resized


class LatentColumn:
    """Adds the tutorial's `latent_code` column: one seeded Gaussian vector per image, per batch."""

    def __init__(self, latent_size, seed: int, num_shards: int | None = None, shard_id: int | None = None):
        # an int (MLPs: (N, latent_size)) or a shape tuple (DCGAN: (100, 1, 1) -> (N, 100, 1, 1))
        self.shape = (latent_size,) if isinstance(latent_size, int) else tuple(latent_size)
        self.rng = np.random.default_rng(seed)
        self.num_shards, self.shard_id = num_shards or 1, shard_id or 0

    def __call__(self, label):
        # Sharded, every worker draws the whole global batch's noise and keeps rows shard_id::num_shards,
        # as the sampler deals images: N workers see exactly the noise one worker would.
        n = label.shape[0] * self.num_shards
        z = self.rng.standard_normal((n, *self.shape), dtype=np.float32)
        return label, z[self.shard_id::self.num_shards] if self.num_shards > 1 else z


def value_range_ops(value_range: str, channels: int = 1):
    """uint8 HWC pixels -> float32 in [-1, 1] (Tanh generators) or [0, 1] (Sigmoid generators).

    Normalize computes (x - mean) / std, which maps 0 and 255 exactly onto the ends of the range
    (Rescale(1 / 127.5, -1) gives 1.0000001 for 255 in float32).
    """
    import mindspore.dataset.vision as vision

    if value_range == "tanh":
        return vision.Normalize([127.5] * channels, [127.5] * channels)
    if value_range == "sigmoid":
        return vision.Normalize([0.0] * channels, [255.0] * channels)
    raise ValueError(f"unknown value range {value_range!r}")


def _shards(num_shards: int | None, shard_id: int | None) -> dict:
    """Dataset arguments for one worker's share. MindSpore's sampler shuffles the same permutation for
    any shard count and deals it out round-robin, so the N workers' batch k together are exactly batch
    k of one worker with the global batch size (num_shards=1 gives that one worker's order; None keeps
    the plain shuffle of a run outside msrun)."""
    return {} if num_shards is None else {"num_shards": num_shards, "shard_id": shard_id or 0}


def _split_folder(loc: Location, split: str):
    folder = loc.train if split == "train" else loc.test
    if folder is None:
        raise MindganError(f"data source {loc.source} has no {split} split")
    return folder


def _check_whole_batch(n: int, batch_size: int, folder, drop_remainder: bool) -> None:
    if drop_remainder and n < batch_size:
        raise MindganError(f"batch size {batch_size} is larger than the {n} images in {folder}: nothing to "
                           f"train on with whole batches; use --batch-size {max(1, n)} or less")


def _batch_with_latent(data, batch_size: int, drop_remainder: bool, workers: int, latent, seed: int,
                       num_shards, shard_id):
    """Whole batches, then the latent column: one worker for it keeps its random stream, and so the run,
    reproducible."""
    data = data.batch(batch_size, drop_remainder=drop_remainder, num_parallel_workers=workers)
    return data.map(LatentColumn(latent, seed, num_shards, shard_id), input_columns="label",
                    output_columns=["label", "latent_code"], num_parallel_workers=1)


def _check_image_size(folder, split: str, size: int) -> None:
    h, w = idx.image_size(folder, split)
    if (h, w) in ((size, size), (MNIST_SIDE, MNIST_SIDE)):
        return
    fix = f", or set --image-size {h} if the model takes {h}x{h} images" if h == w else ""
    resized = "" if size == MNIST_SIDE else f" (or {MNIST_SIDE}x{MNIST_SIDE}, which are resized)"
    raise MindganError(f"{folder / idx.SPLIT_FILES[split][0]} holds {h}x{w} images, but this run makes "
                       f"{size}x{size} images (image_size {size}): give MNIST-format data of {size}x{size} "
                       f"images{resized}{fix}")


def mnist(loc: Location, batch_size: int, latent_size: int, seed: int, value_range: str = "tanh",
          split: str = "train", shuffle: bool = True, num_workers: int = 0, drop_remainder: bool = True,
          image_size: int = 28, num_shards: int | None = None, shard_id: int | None = None,
          num_classes: int | None = None):
    """MnistDataset -> float images (N, 1, S, S) in the model's range, int32 labels, latent_code.

    Columns: image, label, latent_code (the tutorial's names). Labels stay for conditional models, which
    pass `num_classes` so a label their embedding cannot take is named here, not in a graph.
    28x28 digits are resized to image_size S; other IDX sizes must be S already.
    `num_shards`/`shard_id` (data parallel): this worker's share, see `_shards`.
    """
    import mindspore.dataset as ds
    import mindspore.dataset.transforms as transforms
    import mindspore.dataset.vision as vision
    from mindspore import dtype as mstype

    folder = _split_folder(loc, split)
    n = idx.check_split(folder, split, num_classes)
    _check_image_size(folder, split, image_size)
    _check_whole_batch(n // (num_shards or 1), batch_size, folder, drop_remainder)
    workers = min(num_workers, cpu_cores()) if num_workers else min(cpu_cores(), 8)
    ds.config.set_seed(seed)
    data = ds.MnistDataset(str(folder), usage=split, shuffle=shuffle, num_parallel_workers=workers,
                           **_shards(num_shards, shard_id))
    image_ops = [value_range_ops(value_range), vision.HWC2CHW()]
    if idx.image_size(folder, split) != (image_size, image_size):
        image_ops.insert(0, vision.Resize(image_size))
    data = data.map(image_ops, input_columns="image", num_parallel_workers=workers)
    data = data.map(transforms.TypeCast(mstype.int32), input_columns="label", num_parallel_workers=workers)
    return _batch_with_latent(data, batch_size, drop_remainder, workers, latent_size, seed, num_shards, shard_id)


def images(loc: Location, batch_size: int, latent_shape, seed: int, value_range: str = "tanh",
           image_size: int = 64, channels: int = 3, split: str = "train", shuffle: bool = True,
           num_workers: int = 0, drop_remainder: bool = True, bad_images: str = "error",
           num_shards: int | None = None, shard_id: int | None = None):
    """ImageFolderDataset -> float images (N, C, S, S) in the model's range, int32 labels, latent_code.

    As the DCGAN tutorial: decode, Resize(S), CenterCrop(S), HWC2CHW. Two deliberate differences: the
    decode is Pillow's, so RGBA/palette/grayscale files all become RGB (transparency on white); and
    pixels go to [-1, 1] for a Tanh generator, where the tutorial divides by 255 into [0, 1].
    """
    import mindspore.dataset as ds
    import mindspore.dataset.vision as vision

    folder = _split_folder(loc, split)
    root, n = prepare(Path(folder), image_size, bad_images, cache_root())
    _check_whole_batch(n // (num_shards or 1), batch_size, folder, drop_remainder)
    workers = min(num_workers, cpu_cores()) if num_workers else min(cpu_cores(), 8)  # the tutorial's 4 is an error on 2 cores
    ds.config.set_seed(seed)
    data = ds.ImageFolderDataset(str(root), shuffle=shuffle, decode=False, extensions=EXTENSIONS,
                                 num_parallel_workers=workers, **_shards(num_shards, shard_id))
    image_ops = [DecodeRGB(channels), *resize_ops(image_size), value_range_ops(value_range, channels),
                 vision.HWC2CHW()]
    data = data.map(image_ops, input_columns="image", num_parallel_workers=workers)
    return _batch_with_latent(data, batch_size, drop_remainder, workers, latent_shape, seed, num_shards, shard_id)


def real_images(loc: Location, split: str, count: int, value_range: str = "tanh") -> np.ndarray:
    """The first `count` images of a split as a float array, for pictures and evaluation."""
    data = mnist(loc, batch_size=min(count, 256), latent_size=1, seed=0, value_range=value_range,
                 split=split, shuffle=False, drop_remainder=False)
    out = []
    for batch in data.create_dict_iterator(output_numpy=True, num_epochs=1):
        out.append(batch["image"])
        if sum(len(b) for b in out) >= count:
            break
    return np.concatenate(out)[:count]
