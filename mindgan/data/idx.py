"""IDX files (the MNIST format that `MnistDataset` reads): write them, and check them before MindSpore does."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..errors import MindganError

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def write_split(folder: Path, split: str, images: np.ndarray, labels: np.ndarray) -> None:
    """Write uint8 images (N, H, W) and labels (N,) as the two IDX files of `split`."""
    folder.mkdir(parents=True, exist_ok=True)
    img_name, lbl_name = SPLIT_FILES[split]
    n, h, w = images.shape
    with open(folder / img_name, "wb") as f:
        f.write(struct.pack(">IIII", IMAGES_MAGIC, n, h, w))
        f.write(np.ascontiguousarray(images, dtype=np.uint8).tobytes())
    with open(folder / lbl_name, "wb") as f:
        f.write(struct.pack(">II", LABELS_MAGIC, n))
        f.write(np.ascontiguousarray(labels, dtype=np.uint8).tobytes())


def _header(path: Path, magic: int, dims: int) -> tuple[int, ...]:
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(4 + 4 * dims)
    if len(head) < 4 + 4 * dims:
        raise MindganError(f"{path} is truncated ({size} bytes): delete it and fetch the data again")
    got, *shape = struct.unpack(">" + "I" * (1 + dims), head)
    if got != magic:
        raise MindganError(f"{path} is not an IDX file (magic number {got}, expected {magic}): "
                           f"point --data at an MNIST-format folder")
    expected = 4 + 4 * dims + int(np.prod(shape))
    if size != expected:
        raise MindganError(f"{path} is truncated or padded ({size} bytes, header says {expected}): "
                           f"delete it and fetch the data again")
    return tuple(shape)


def check_split(folder: Path, split: str, num_classes: int | None = None) -> int:
    """Check the IDX pair of `split` in `folder`; return the number of images.

    num_classes: also check every label is a class index below it (a conditional model's embedding, the
    classifier's softmax). IDX labels are unsigned bytes, so none is negative.
    """
    img_name, lbl_name = SPLIT_FILES[split]
    missing = [n for n in (img_name, lbl_name) if not (folder / n).is_file()]
    if missing:
        raise MindganError(f"MNIST folder {folder} lacks {', '.join(missing)}: an MNIST-format folder holds "
                           f"{img_name} and {lbl_name} (un-gzipped)")
    n_img, _, _ = _header(folder / img_name, IMAGES_MAGIC, 3)
    (n_lbl,) = _header(folder / lbl_name, LABELS_MAGIC, 1)
    if n_img != n_lbl:
        raise MindganError(f"{folder}: {n_img} images but {n_lbl} labels in the {split} split")
    if num_classes is not None:
        _check_labels(folder / lbl_name, num_classes)
    return n_img


def _check_labels(path: Path, num_classes: int) -> None:
    labels = np.fromfile(path, np.uint8, offset=8)
    over = labels >= num_classes
    if over.any():
        raise MindganError(f"{path} holds labels up to {int(labels.max())} ({int(over.sum())} of {len(labels)} "
                           f"are {num_classes} or more), but this run has num_classes {num_classes}: set "
                           f"--num-classes {int(labels.max()) + 1}, or relabel the data as 0..{num_classes - 1}")


def image_size(folder: Path, split: str) -> tuple[int, int]:
    """(height, width) of the images in a checked split."""
    _, h, w = _header(folder / SPLIT_FILES[split][0], IMAGES_MAGIC, 3)
    return h, w


def has_split(folder: Path, split: str) -> bool:
    return all((folder / n).is_file() for n in SPLIT_FILES[split])
