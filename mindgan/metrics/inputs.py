"""Images in, [0, 1] float arrays (N, C, H, W) out: sample files, image folders, generator outputs."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MindganError

IMAGE_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


def to_unit(images: np.ndarray, value_range: str) -> np.ndarray:
    """Generator output in its value range ("tanh" [-1, 1], "sigmoid"/"unit" [0, 1]) -> [0, 1] float32."""
    x = np.asarray(images, np.float32)
    if value_range == "tanh":
        x = (x + 1) / 2
    elif value_range not in ("sigmoid", "unit"):
        raise MindganError(f"unknown value range {value_range!r}")
    return np.clip(x, 0, 1)


def as_nchw(arr: np.ndarray, what: str) -> np.ndarray:
    """(N, H, W) / (N, C, H, W) / (N, H, W, C) with C in 1, 3 -> (N, C, H, W) in [0, 1].

    uint8 is divided by 255; floats below -0.01 are taken as [-1, 1] (a Tanh generator's raw output).
    """
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255
    elif not np.issubdtype(arr.dtype, np.floating) and not np.issubdtype(arr.dtype, np.integer):
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
    if not np.all(np.isfinite(arr)):
        raise MindganError(f"{what}: contains NaN or infinite values")
    return to_unit(arr, "tanh" if arr.min() < -0.01 else "unit")


def read_folder(folder: Path, limit: int | None = None, size: tuple[int, int] | None = None,
                mode: str | None = None, seed: int = 0) -> np.ndarray:
    """Image files under folder (recursively) -> (N, C, H, W) in [0, 1].

    size: (H, W) to resize to (shorter side, then centre crop, as the DCGAN tutorial's pipeline); default:
    the first image's size. mode: "L" or "RGB"; default: grey if every image read is grey. limit: a
    seeded random subset, so a big folder costs only `limit` decodes.
    """
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_EXT and p.is_file())
    if len(files) < 2:
        raise MindganError(f"{folder} holds {len(files)} image file(s) ({', '.join(sorted(IMAGE_EXT))}); "
                           f"need at least 2")
    if limit and len(files) > limit:
        files = [files[i] for i in sorted(np.random.default_rng(seed).choice(len(files), limit, replace=False))]
    return read_files(files, size, mode)


def read_files(files: list, size: tuple[int, int] | None = None, mode: str | None = None) -> np.ndarray:
    """Image files -> (N, C, H, W) in [0, 1]; size and mode as read_folder."""
    from PIL import Image

    from ..data.imagefolder import to_rgb

    pics = []
    for f in files:
        try:
            pics.append(Image.open(f))
        except OSError as err:
            raise MindganError(f"{f} is not a readable image ({err})") from None
    mode = mode or ("L" if all(p.mode in ("L", "1", "I;16") for p in pics) else "RGB")
    h, w = size or (pics[0].height, pics[0].width)
    out = np.empty((len(pics), 1 if mode == "L" else 3, h, w), np.float32)
    for i, pic in enumerate(pics):
        pic = to_rgb(pic, 1 if mode == "L" else 3)  # transparency on white, as the training pipeline decodes
        if pic.size != (w, h):
            scale = max(w / pic.width, h / pic.height)
            pic = pic.resize((max(w, round(pic.width * scale)), max(h, round(pic.height * scale))),
                             Image.BICUBIC)
            left, top = (pic.width - w) // 2, (pic.height - h) // 2
            pic = pic.crop((left, top, left + w, top + h))
        a = np.asarray(pic, np.float32) / 255
        out[i] = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
    return out


def read_samples(path: str | Path) -> np.ndarray:
    """--samples: a .npy array, or a folder with samples.npy (what generate writes) or image files."""
    path = Path(path)
    if not path.exists():
        raise MindganError(f"samples {path} do not exist: give a .npy file or a folder of images")
    if path.is_dir() and (path / "samples.npy").is_file():
        path = path / "samples.npy"
    if path.is_dir():
        return read_folder(path)
    if path.suffix != ".npy":
        raise MindganError(f"samples {path}: expected a .npy file or a folder of images")
    try:
        arr = np.load(path, allow_pickle=False)  # never unpickle a file given on the command line
    except (ValueError, OSError) as err:
        raise MindganError(f"samples {path} is not a readable .npy array ({str(err).splitlines()[0]})") from None
    return as_nchw(arr, f"samples {path}")
