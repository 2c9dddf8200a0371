"""Images from a generator (a checkpoint's GAN or an exported file, see models.Generator): seeded samples,
interpolation walks, the picture layout, and what `python -m mindgan.generate` may write and where (the
--num cap, the --out check, replacing the images/ of an earlier call: only the files generate wrote)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from . import writes
from .errors import MindganError
from .models import Generator, to_unit
from .outputs import save_individual
from .portable import available_memory_bytes
from .runfolder import holds_run

MAX_IMAGES = 50_000  # individual PNGs in one call; more is a job for several calls with other --seed
MANIFEST = ".mindgan-generated"  # in images/: the names the last call wrote there


def cap(meta: dict) -> int:
    """Most images one call makes: all of them sit in memory several times over (noise, float images,
    their [0, 1] copy, uint8 tiles), so a quarter of the free memory, at most 4 GiB, bounds them."""
    cfg = meta["config"]
    pixels = cfg["channels"] * cfg["image_size"] ** 2
    per_image = 4 * (cfg["latent_size"] + 3 * pixels) + pixels
    budget = min(available_memory_bytes() // 4, 4 << 30)
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


def owns(out: Path) -> bool:
    """`<run>/generated`: a folder inside a run mindgan owns, where every file of these names is its own."""
    return out.name == "generated" and holds_run(out.parent) and not out.is_symlink()


def check_out(out: Path, names=(), force: bool = False) -> None:
    """--out must be a folder generate can write in, and `names` there files generate wrote (or
    --force); checked before anything is loaded or created."""
    try:
        _check_out(out)
        for name in names:
            writes.may_write(out / name, force, "--out", owns(out))
        writes.refuse_link(out / "images", "--out: ")
    except OSError as err:  # a name too long for the file system, a loop of links, ...
        raise MindganError(f"--out {str(out)[:80]}...: not usable as a folder ({err.strerror or err}); give "
                           f"another path") from None


def check_images(folder: Path, n: int, force: bool = False) -> None:
    """images/0000.png ... must be absent or written by an earlier call (its manifest lists them)."""
    if not folder.is_dir() or force or owns(folder.parent):
        return
    mine = set(_manifest(folder))
    for i in range(n):
        path = folder / f"{i:04d}.png"
        if os.path.lexists(path) and path.name not in mine:
            raise MindganError(f"--out: {path} already exists and mindgan did not write it: add --force to "
                               f"replace it, or choose another --out")


def _manifest(folder: Path) -> list[str]:
    manifest = folder / MANIFEST
    if not manifest.is_file() or manifest.is_symlink() or manifest.stat().st_size > 1 << 22:
        return []
    try:
        return [n for n in manifest.read_text().split() if "/" not in n and n.endswith(".png")]
    except (OSError, UnicodeDecodeError):
        return []


def record(out: Path, names) -> None:
    for name in names:
        writes.record(out / name)


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
    folder.mkdir(parents=True, exist_ok=True)
    writes.refuse_link(folder, "--out: ")
    manifest = folder / MANIFEST
    for name in _manifest(folder):
        if not (folder / name).is_symlink():
            (folder / name).unlink(missing_ok=True)
    names = [f"{i:04d}.png" for i in range(len(images))]
    tmp = manifest.with_name(MANIFEST + ".tmp")
    tmp.unlink(missing_ok=True)
    tmp.write_text("\n".join(names) + "\n")  # before the images: an interrupted call is cleaned up next time
    os.replace(tmp, manifest)
    for name in names:  # a link among them is replaced by a file, never written through
        if (folder / name).is_symlink():
            (folder / name).unlink()
    save_individual(images, folder, value_range)


def generate(gan: Generator, num: int, seed: int, labels=None) -> np.ndarray:
    """num images from seeded noise (and labels), as numpy in the generator's value range; `gan` is any
    models.Generator (a checkpoint's GAN, an exported MindIR file)."""
    return gan.sample(gan.noise(num, seed), labels)


def check_label(label, meta: dict) -> None:
    """--label only for conditional models, and only a class the model was trained on."""
    if label is None:
        return
    if not meta.get("conditional"):
        raise MindganError(f"--label needs a conditional model (e.g. cgan); {meta['model']} is unconditional")
    classes = meta["config"]["num_classes"]
    if not 0 <= label < classes:
        raise MindganError(f"--label {label} is out of range: {meta['model']} knows labels 0 to {classes - 1}")


def slerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """Spherical walk z0 -> z1: Gaussian vectors concentrate near a sphere, and a straight line's middle
    would leave it (shorter vectors than the generator was trained on)."""
    a, b = z0.ravel(), z1.ravel()
    omega = np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0))
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if omega < 1e-6:
        walk = (1 - t) * a + t * b
    else:
        walk = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return walk.reshape((steps, *z0.shape)).astype(np.float32)


def layout(gan, meta: dict, num, label) -> tuple[int, int, np.ndarray | None]:
    """(rows, cols, labels) of the picture: the run's grid by default; a row per class for a
    conditional model without --label."""
    cfg = meta["config"]
    if gan.conditional and label is None:
        classes = cfg["num_classes"]
        cols = -(-num // classes) if num else cfg["grid_cols"]
        return classes, cols, np.repeat(np.arange(classes), cols)
    if num is None:
        rows, cols = cfg["grid_rows"], cfg["grid_cols"]
        num = rows * cols
    else:
        cols = int(np.ceil(np.sqrt(num)))
        rows = int(np.ceil(num / cols))
    return rows, cols, (np.full(num, label) if gan.conditional else None)


def interpolate(gan, meta: dict, steps: int, seed: int, label) -> tuple[np.ndarray, int]:
    """One walk between two seeded latent vectors; for a conditional model without --label, the same
    walk once per class (a row each). Returns images and the number of rows."""
    walk = slerp(*gan.noise(2, seed), steps)  # its ends drawn as the model samples (the recipe's truncation)
    if not gan.conditional:
        return gan.sample(walk), 1
    classes = [label] if label is not None else list(range(meta["config"]["num_classes"]))
    z = np.concatenate([walk] * len(classes))
    return gan.sample(z, np.repeat(classes, steps)), len(classes)


def save_arrays(images: np.ndarray, value_range: str, path: Path) -> None:
    np.save(path, to_unit(images, value_range))
