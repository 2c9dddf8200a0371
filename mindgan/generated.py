"""What `python -m mindgan.generate` may write, and where: the --num cap, the --out check, and
replacing the images/ of an earlier call (only the files generate wrote)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import MindganError

MAX_IMAGES = 50_000  # individual PNGs in one call; more is a job for several calls with other --seed
MANIFEST = ".mindgan-generated"  # in images/: the names the last call wrote there


def _available_bytes() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30


def cap(meta: dict) -> int:
    """Most images one call makes: all of them sit in memory several times over (noise, float images,
    their [0, 1] copy, uint8 tiles), so a quarter of the free memory, at most 4 GiB, bounds them."""
    cfg = meta["config"]
    pixels = cfg["channels"] * cfg["image_size"] ** 2
    per_image = 4 * (cfg["latent_size"] + 3 * pixels) + pixels
    budget = min(_available_bytes() // 4, 4 << 30)
    return max(1, min(MAX_IMAGES, budget // per_image))


def check_count(n: int, meta: dict, flag: str = "--num") -> None:
    limit = cap(meta)
    if n > limit:
        cfg = meta["config"]
        raise MindganError(f"{flag} {n} is more than one call makes for {meta['model']} ({limit} images of "
                           f"{cfg['channels']}x{cfg['image_size']}x{cfg['image_size']}, bounded by memory and "
                           f"file count): run generate several times with different --seed")


def _existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def check_out(out: Path) -> None:
    """--out must be a folder generate can write in; checked before anything is loaded or created."""
    try:
        _check_out(out)
    except OSError as err:  # a name too long for the file system, a loop of links, ...
        raise MindganError(f"--out {str(out)[:80]}...: not usable as a folder ({err.strerror or err}); give "
                           f"another path") from None


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise MindganError(f"--out {out} is a file, not a folder: give a folder for grid.png, images/ and "
                           f"samples.npy")
    base = _existing_ancestor(out)
    if not base.is_dir():
        raise MindganError(f"--out {out}: {base} is a file, so the folder cannot be made there")
    if (out / "images").exists() and not (out / "images").is_dir():
        raise MindganError(f"--out {out}: images is a file there; generate writes a folder of that name")
    try:
        with tempfile.NamedTemporaryFile(dir=base, prefix=".mindgan-probe-"):
            pass
    except OSError as err:
        raise MindganError(f"--out {out}: cannot write in {base} ({err.strerror or err}); give a writable "
                           f"folder") from None


def make_out(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise MindganError(f"--out {out}: cannot create it ({err.strerror or err}); give a shorter or "
                           f"writable folder") from None
    return out


def replace_images(images: np.ndarray, folder: Path, value_range: str) -> None:
    """Write images/NNNN.png, first removing what the previous call wrote there (listed in the
    manifest), so a smaller --num leaves no stale images; a user's own files are never touched."""
    from .outputs import save_individual

    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / MANIFEST
    if manifest.is_file():
        for name in manifest.read_text().split():
            if "/" not in name and name.endswith(".png"):
                (folder / name).unlink(missing_ok=True)
    names = [f"{i:04d}.png" for i in range(len(images))]
    tmp = manifest.with_name(MANIFEST + ".tmp")
    tmp.write_text("\n".join(names) + "\n")  # before the images: an interrupted call is cleaned up next time
    os.replace(tmp, manifest)
    save_individual(images, folder, value_range)
