"""Images in, [0, 1] float arrays (N, C, H, W) out: sample files, image folders, generator outputs."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import writes
from ..data.imagefolder import IMAGE_EXTS, deeper_hint, list_images, read_images
from ..errors import MindganError
from ..models import to_unit  # noqa: F401  (the one value-range helper; imported from here too)


TOLERANCE = 1e-3  # float rounding around the ends of [0, 1] / [-1, 1]; anything further is another scale


def as_nchw(arr: np.ndarray, what: str) -> np.ndarray:
    """(N, H, W) / (N, C, H, W) / (N, H, W, C) with C in 1, 3 -> (N, C, H, W) in [0, 1].

    uint8 is divided by 255; floats must lie in [0, 1], or in [-1, 1] (a Tanh generator's raw output,
    told by a value below -0.01). Anything else (0-255 floats, other integer types, NaN) is refused
    with the range seen: clipping it would report an FID of other pictures than the samples.
    """
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255
    elif np.issubdtype(arr.dtype, np.integer):
        lo, hi = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
        raise MindganError(f"{what}: integer samples must be uint8 (0-255); got {arr.dtype} with values "
                           f"{lo}..{hi}: save them as uint8, or as floats in [0, 1] or [-1, 1]")
    elif not np.issubdtype(arr.dtype, np.floating):
        raise MindganError(f"{what}: expected numbers, got dtype {arr.dtype}")
    arr = np.asarray(arr, np.float32)
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4 or len(arr) < 2:
        raise MindganError(f"{what}: expected images shaped (N, H, W) or (N, C, H, W) with N >= 2; got shape "
                           f"{arr.shape}")
    if arr.shape[1] not in (1, 3) and arr.shape[3] in (1, 3):
        arr = arr.transpose(0, 3, 1, 2)  # NHWC
    if arr.shape[1] not in (1, 3):
        raise MindganError(f"{what}: images must have 1 or 3 channels; got shape {arr.shape}")
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise MindganError(f"{what}: {bad} of {arr.size} values are NaN or infinite; evaluate finite samples")
    lo, hi = float(arr.min()), float(arr.max())
    scale = "tanh" if lo < -0.01 else "unit"
    if lo < (-1 if scale == "tanh" else 0) - TOLERANCE or hi > 1 + TOLERANCE:
        raise MindganError(f"{what}: float values span [{lo:.4g}, {hi:.4g}]; samples must lie in [0, 1] or "
                           f"[-1, 1] (divide 0-255 pixels by 255, or save them as uint8)")
    return to_unit(arr, scale)


def read_folder(folder: Path, limit: int | None = None, size: tuple[int, int] | None = None,
                mode: str | None = None, seed: int = 0, bad_images: str = "error") -> np.ndarray:
    """The image files of a folder -> (N, C, H, W) in [0, 1], read as the training pipeline reads them.

    Which files, their decode (transparency on white) and resize (shorter side, centre crop) are
    data/imagefolder.py's, shared with training. size: (H, W); default the first image's. mode: "L" or
    "RGB"; default grey if every image is. limit: a seeded random subset, so a big folder costs only
    `limit` decodes.
    """
    folder = Path(folder)
    files, _ = list_images(folder)
    if len(files) < 2:
        raise MindganError(f"{folder} holds {len(files)} image file(s) ({', '.join(IMAGE_EXTS)}) directly or "
                           f"one sub-folder down; need at least 2{deeper_hint(folder)}")
    if limit and len(files) > limit:
        files = [files[i] for i in sorted(np.random.default_rng(seed).choice(len(files), limit, replace=False))]
    channels = {"L": 1, "RGB": 3, None: None}[mode]
    images = read_images(files, size, channels, bad_images)
    if len(images) < 2:
        raise MindganError(f"{folder}: {len(images)} usable image(s) of {len(files)}; need at least 2")
    return images.astype(np.float32) / 255


def read_files(files: list, size: tuple[int, int] | None = None, mode: str | None = None,
               bad_images: str = "error") -> np.ndarray:
    """Image files -> (N, C, H, W) in [0, 1], through the one reader training uses (data/imagefolder.py)."""
    channels = {"L": 1, "RGB": 3, None: None}[mode]
    return read_images(list(files), size, channels, bad_images).astype(np.float32) / 255


def read_samples(path: str | Path) -> np.ndarray:
    """--samples: a .npy array, or a folder with samples.npy (what generate writes) or image files."""
    path = Path(path)
    if not path.exists():
        raise MindganError(f"--samples {path} does not exist: give a .npy file or a folder of images")
    if path.is_dir() and (path / "samples.npy").is_file():
        path = path / "samples.npy"
    if path.is_dir():
        return read_folder(path)
    writes.regular_file(path, "--samples", fix="; give a .npy file or a folder of images")
    if path.suffix != ".npy":
        raise MindganError(f"--samples {path} is a {path.suffix or 'extension-less'} file: give a .npy file "
                           f"or a folder of images")
    try:
        arr = np.load(path, allow_pickle=False)  # never unpickle a file given on the command line
    except (ValueError, OSError, EOFError, MemoryError) as err:
        first = (str(err).splitlines() or [type(err).__name__])[0]
        raise MindganError(f"samples {path} is not a readable .npy array ({writes.short(first, 80)})") from None
    return as_nchw(arr, f"samples {path}")
