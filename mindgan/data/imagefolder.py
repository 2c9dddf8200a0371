"""Image folders for `ImageFolderDataset`: checking a folder, giving it class sub-folders, decoding to RGB.

`ImageFolderDataset` reads `root/<class>/<file>` only, matches extensions case-sensitively and reads
every file when none are given; a user's folder may be flat, hold other files, or hold images it cannot
decode. `prepare` scans once with Pillow (headers plus `verify`) and, when needed, builds a view of
symbolic links with only the good images under one class folder, so the dataset reads exactly those.
"""
from __future__ import annotations

import functools
import hashlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MindganError

_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")
EXTENSIONS = sorted({e for x in _EXTS for e in (x, x.upper())})  # ImageFolderDataset's list
BACKGROUND = (255, 255, 255)  # transparent pixels are composited on white, as emoji are shown


def is_image_name(path: Path) -> bool:
    return path.suffix in EXTENSIONS


def to_rgb(img, channels: int = 3):
    """Any Pillow mode -> RGB (or L), with transparency composited on the background, not dropped."""
    from PIL import Image

    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, BACKGROUND)
        img.paste(rgba, mask=rgba.getchannel("A"))
    elif img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = Image.fromarray((np.asarray(img, np.float64) / 256).clip(0, 255).astype(np.uint8))
    return img.convert("L" if channels == 1 else "RGB")


class DecodeRGB:
    """The pipeline's decode: encoded bytes -> HWC uint8 with `channels` channels (Pillow, any mode)."""

    def __init__(self, channels: int = 3):
        self.channels = channels

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        from PIL import Image

        with Image.open(io.BytesIO(raw.tobytes())) as img:
            img.seek(0)  # the first frame of an animated GIF or WebP
            arr = np.asarray(to_rgb(img, self.channels), dtype=np.uint8)
        return arr[..., None] if arr.ndim == 2 else arr


@dataclass
class Scan:
    root: Path
    flat: bool  # images directly in root (not under class folders)
    good: list = field(default_factory=list)
    bad: list = field(default_factory=list)  # (path, reason)
    small: list = field(default_factory=list)  # (path, (w, h))


def _candidates(root: Path) -> tuple[list[Path], bool]:
    """The image files ImageFolderDataset would see: root/*/* , or root/* for a flat folder."""
    direct = sorted(p for p in root.iterdir() if p.is_file() and is_image_name(p))
    nested = sorted(p for d in root.iterdir() if d.is_dir()
                    for p in d.iterdir() if p.is_file() and is_image_name(p))
    return direct + nested, bool(direct)


def scan(root: Path, image_size: int) -> Scan:
    """Open every image's header and verify its structure (cheap: no full decode)."""
    from PIL import Image, UnidentifiedImageError

    files, flat = _candidates(root)
    out = Scan(root, flat)
    for path in files:
        try:
            with Image.open(path) as img:
                size = img.size
                img.verify()  # PNG: every chunk's CRC; truncation and garbage show up here
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
            out.bad.append((path, " ".join(str(err).split())[:120] or type(err).__name__))
            continue
        if min(size) < image_size:
            out.small.append((path, size))
        else:
            out.good.append(path)
    return out


def _view(result: Scan, cache: Path) -> Path:
    """A folder of symbolic links to the good images under one class folder, rebuilt atomically."""
    key = hashlib.sha256(str(result.root.resolve()).encode()).hexdigest()[:16]
    dest = cache / "folders" / key
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".tmp-"))
    cls = tmp / "images"
    cls.mkdir()
    for i, path in enumerate(result.good):
        (cls / f"{i:07d}{path.suffix}").symlink_to(path.resolve())
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


def prepare(root: Path, image_size: int, bad_images: str, cache: Path) -> tuple[Path, int]:
    """Check an image folder; return (the root ImageFolderDataset should read, number of images).

    bad_images: "error" stops at the first unreadable or too-small image, naming it; "skip" leaves them
    out and says how many. A training run builds its pipeline every epoch; the scan (every file opened)
    is done once per folder state, not once per epoch.
    """
    root = Path(root)
    if not root.is_dir():
        raise MindganError(f"image folder {root} does not exist")
    return _prepare(root, image_size, bad_images, Path(cache), _state(root))


def _state(root: Path) -> tuple:
    """Modification times of the folder and its sub-folders: they change when files come or go."""
    return tuple(p.stat().st_mtime_ns for p in [root, *sorted(d for d in root.iterdir() if d.is_dir())])


@functools.lru_cache(maxsize=8)
def _prepare(root: Path, image_size: int, bad_images: str, cache: Path, state: tuple) -> tuple[Path, int]:
    result = scan(root, image_size)
    if bad_images not in ("error", "skip"):
        raise MindganError(f"bad_images must be 'error' or 'skip', not {bad_images!r}")
    if bad_images == "error":
        if result.bad:
            path, why = result.bad[0]
            raise MindganError(f"{path} is not a readable image ({why}); {len(result.bad)} such file(s) in "
                               f"{root}. Remove them, or add --bad-images skip to leave them out")
        if result.small:
            path, (w, h) = result.small[0]
            raise MindganError(f"{path} is {w}x{h}, smaller than image_size {image_size}; "
                               f"{len(result.small)} such image(s) in {root}. Use --image-size "
                               f"{min(min(s) for _, s in result.small)} or less, or --bad-images skip")
    elif result.bad or result.small:
        print(f"mindgan: skipping {len(result.bad)} unreadable and {len(result.small)} too-small "
              f"(< {image_size} px) image(s) in {root}")
    if not result.good:
        raise MindganError(f"{root} holds no usable images ({', '.join(_EXTS)}) directly or in its "
                           f"sub-folders; give a folder of images with --data")
    if result.flat or result.bad or result.small:
        return _view(result, cache), len(result.good)
    return root, len(result.good)


def write_rgb_png(src, dest: Path) -> None:
    """Save an image (path or file object) as an RGB PNG, transparency composited on the background."""
    from PIL import Image

    with Image.open(src) as img:
        to_rgb(img).save(dest, format="PNG", optimize=False)
