"""The one image-folder reader: which files are images, how each is decoded and resized.

Training (`pipelines.images`) and evaluation (`metrics.inputs`) both read image folders through this
module, so a folder is scored on the pixels it was trained on: the same files (one level of class
folders, or flat), the same decode (Pillow, first frame, transparency composited on white, within
Pillow's decompression-bomb limit) and the same Resize + CenterCrop.

`ImageFolderDataset` reads `root/<class>/<file>` only, matches extensions case-sensitively and reads
every file when none are given; a user's folder may be flat, hold other files, or hold images it cannot
decode. `prepare` scans once with Pillow and, when needed, builds a view of symbolic links with only
the good images under one class folder, so the dataset reads exactly those.
"""
from __future__ import annotations

import functools
import hashlib
import io
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from .. import portable
from ..errors import MindganError
from .cache import writable

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")
EXTENSIONS = sorted({e for x in IMAGE_EXTS for e in (x, x.upper())})  # ImageFolderDataset's list
BACKGROUND = (255, 255, 255)  # transparent pixels are composited on white, as emoji are shown
GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F"}


class BadImage(MindganError):
    """A file that is not a readable image; str() is the reason, one line (callers add the file)."""


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTS


def list_images(root: Path) -> tuple[list[Path], bool]:
    """The image files of a folder: root/* and root/<class>/*, sorted; and whether any are flat."""
    root = Path(root)
    direct = sorted(p for p in root.iterdir() if p.is_file() and is_image_name(p))
    nested = sorted(p for d in root.iterdir() if d.is_dir()
                    for p in d.iterdir() if p.is_file() and is_image_name(p))
    return direct + nested, bool(direct)


def deeper_hint(root: Path, limit: int = 10000) -> str:
    """When images sit deeper than root/<class>/, a phrase naming one (training reads only two levels)."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        depth = len(Path(dirpath).relative_to(root).parts)
        if depth >= 2:
            hit = next((f for f in filenames if is_image_name(Path(f))), None)
            if hit:
                return (f"; images deeper than one sub-folder are not read (e.g. {Path(dirpath, hit).relative_to(root)}): "
                        f"give the folder whose sub-folders hold them")
        seen += len(filenames) + len(dirnames)
        if seen > limit:
            break
    return ""


def _reason(err: BaseException) -> str:
    return " ".join(str(err).split())[:120] or type(err).__name__


def open_image(src, load: bool = True, draft: bool = False):
    """Open a path or file object with Pillow, first frame, within Pillow's pixel limit; BadImage if not.

    Pillow only warns between MAX_IMAGE_PIXELS and twice that; here both are refused, so one file can
    never take gigabytes. load=False stops after the header and Pillow's structural `verify` (cheap);
    draft=True decodes JPEGs at 1/8 scale, which reads every byte (truncation shows) at half the cost.
    """
    try:
        with warnings.catch_warnings():  # the bomb warning is turned into the refusal below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(src)
        w, h = img.size
        if Image.MAX_IMAGE_PIXELS and w * h > Image.MAX_IMAGE_PIXELS:
            img.close()
            raise BadImage(f"{w}x{h} pixels is over Pillow's limit of {Image.MAX_IMAGE_PIXELS} "
                           f"(a decompression bomb?)")
        if not load:
            img.verify()  # PNG: every chunk's CRC; truncation and garbage show up here
            return img
        img.seek(0)  # the first frame of an animated GIF or WebP
        if draft:
            img.draft(img.mode, (1, 1))
        img.load()  # a truncated file fails here, not later in a pipeline worker
        return img
    except BadImage:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as err:
        raise BadImage(_reason(err)) from None


def to_rgb(img, channels: int = 3):
    """Any Pillow mode -> RGB (or L), with transparency composited on the background, not dropped."""
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, BACKGROUND)
        img.paste(rgba, mask=rgba.getchannel("A"))
    elif img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = Image.fromarray((np.asarray(img, np.float64) / 256).clip(0, 255).astype(np.uint8))
    return img.convert("L" if channels == 1 else "RGB")


def to_array(img, channels: int) -> np.ndarray:
    """A Pillow image -> HWC uint8 with `channels` channels."""
    arr = np.asarray(to_rgb(img, channels), dtype=np.uint8)
    return arr[..., None] if arr.ndim == 2 else arr


def resize_ops(height: int, width: int | None = None) -> list:
    """Shorter side to the target, then centre crop (the DCGAN tutorial's Resize + CenterCrop)."""
    import mindspore.dataset.vision as vision

    if width is None or width == height:
        return [vision.Resize(height), vision.CenterCrop(height)]
    return [_Cover(height, width), vision.CenterCrop((height, width))]


class _Cover:
    """Resize so the image covers (height, width), keeping its aspect ratio (non-square targets)."""

    def __init__(self, height: int, width: int):
        self.height, self.width = height, width

    def __call__(self, arr: np.ndarray) -> np.ndarray:
        import mindspore.dataset.vision as vision

        h, w = arr.shape[:2]
        scale = max(self.height / h, self.width / w)
        return vision.Resize((max(self.height, round(h * scale)), max(self.width, round(w * scale))))(arr)


class DecodeRGB:
    """The pipeline's decode: encoded bytes -> HWC uint8 with `channels` channels (Pillow, any mode)."""

    def __init__(self, channels: int = 3):
        self.channels = channels

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        with open_image(io.BytesIO(raw.tobytes())) as img:
            return to_array(img, self.channels)


def read_images(files: list[Path], size: tuple[int, int] | None = None, channels: int | None = None,
                bad_images: str = "error") -> np.ndarray:
    """Image files -> (N, C, H, W) uint8, decoded and resized exactly as the training pipeline does.

    size: (H, W); default the first image's. channels: 1 or 3; default 1 if every image is grey.
    bad_images: "error" names the first unreadable file; "skip" leaves unreadable files out (and, when
    `size` is given, images smaller than it, as training does) and says how many.
    """
    _check_policy(bad_images)
    pics, bad, small = [], [], []
    for path in files:
        try:
            img = open_image(path)
        except BadImage as err:
            if bad_images == "error":
                raise MindganError(f"{path} is not a readable image ({err}): remove it or replace it") from None
            bad.append(path)
            continue
        if bad_images == "skip" and size and min(img.size) < min(size):
            small.append(path)
            continue
        pics.append(img)
    if bad or small:
        print(f"mindgan: skipping {len(bad)} unreadable and {len(small)} too-small image(s) of {len(files)}")
    if not pics:
        return np.zeros((0, channels or 3, *(size or (1, 1))), np.uint8)
    channels = channels or (1 if all(p.mode in GREY_MODES for p in pics) else 3)
    h, w = size or (pics[0].height, pics[0].width)
    ops = resize_ops(h, w)
    out = np.empty((len(pics), channels, h, w), np.uint8)
    for i, pic in enumerate(pics):
        arr = to_array(pic, channels)
        pic.close()
        if arr.shape[:2] != (h, w):
            for op in ops:
                arr = op(arr)
        out[i] = arr.transpose(2, 0, 1)
    return out


def _check_policy(bad_images: str) -> None:
    if bad_images not in ("error", "skip"):
        raise MindganError(f"bad_images must be 'error' or 'skip', not {bad_images!r}")


@dataclass
class Scan:
    root: Path
    flat: bool  # images directly in root (not under class folders)
    good: list = field(default_factory=list)
    bad: list = field(default_factory=list)  # (path, reason)
    small: list = field(default_factory=list)  # (path, (w, h))


def _check(path: Path) -> tuple[int, int]:
    """An image's size after checking it reads; BadImage if not. PNG: `verify` checks every chunk's CRC
    (cheap); other formats only show truncation on a full decode, so those are decoded."""
    with open_image(path, load=False) as img:
        size, fmt = img.size, img.format
    if fmt != "PNG":
        open_image(path, draft=True).close()
    return size


def scan(root: Path, image_size: int) -> Scan:
    """Check every image file: readable within Pillow's limits, and at least image_size on each side."""
    files, flat = list_images(root)
    out = Scan(root, flat)
    for path in files:
        try:
            size = _check(path)
        except BadImage as err:
            out.bad.append((path, str(err)))
            continue
        if min(size) < image_size:
            out.small.append((path, size))
        else:
            out.good.append(path)
    return out


def _view(result: Scan, cache: Path) -> Path:
    """A folder of symbolic links (copies where the OS refuses links) to the good images under one class folder, rebuilt atomically."""
    key = hashlib.sha256(str(result.root.resolve()).encode()).hexdigest()[:16]
    dest = cache / "folders" / key
    writable(dest.parent, cache)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".tmp-"))
    cls = tmp / "images"
    cls.mkdir()
    for i, path in enumerate(result.good):
        portable.link_or_copy(path.resolve(), cls / f"{i:07d}{path.suffix.lower()}")  # a copy where links are refused
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
        raise MindganError(f"image folder {root} " + ("is a file; give a folder of images" if root.exists()
                                                      else "does not exist"))
    return _prepare(root, image_size, bad_images, Path(cache), _state(root))


def _state(root: Path) -> tuple:
    """Modification times of the folder and its sub-folders: they change when files come or go."""
    return tuple(p.stat().st_mtime_ns for p in [root, *sorted(d for d in root.iterdir() if d.is_dir())])


@functools.lru_cache(maxsize=8)
def _prepare(root: Path, image_size: int, bad_images: str, cache: Path, state: tuple) -> tuple[Path, int]:
    _check_policy(bad_images)
    result = scan(root, image_size)
    if bad_images == "error":
        if result.bad:
            path, why = result.bad[0]
            raise MindganError(f"{path} is not a readable image ({why}); {len(result.bad)} such file(s) in "
                               f"{root}. Remove them, or add --bad-images skip to leave them out")
        if result.small:
            path, (w, h) = result.small[0]
            raise MindganError(f"{path} is {w}x{h}, smaller than image_size {image_size}; "
                               f"{len(result.small)} such image(s) in {root}. "
                               f"{_smaller_size(min(min(s) for _, s in result.small))}add --bad-images skip "
                               f"to leave them out")
    elif result.bad or result.small:
        print(f"mindgan: skipping {len(result.bad)} unreadable and {len(result.small)} too-small "
              f"(< {image_size} px) image(s) in {root}")
    if not result.good:
        raise MindganError(f"{root} holds no usable images ({', '.join(IMAGE_EXTS)}) directly or one sub-folder "
                           f"down{deeper_hint(root) or '; give a folder of images with --data'}")
    if result.flat or result.bad or result.small or any(p.suffix not in EXTENSIONS for p in result.good):
        return _view(result, cache), len(result.good)
    return root, len(result.good)


def _smaller_size(side: int) -> str:
    """Advice for images smaller than image_size: a power of two fits every model's size rule (DCGAN's
    stages, convgan's multiple of 4, the MLPs' any size), so never advise a size the model refuses."""
    if side < 8:
        return "They are too small to train on: remove them, or "
    return f"Use --image-size {1 << (side.bit_length() - 1)} (a power of two, which every model takes), or "


def write_rgb_png(src, dest: Path) -> None:
    """Save an image (path or file object) as an RGB PNG, transparency composited on the background."""
    try:
        img = open_image(src)
    except BadImage as err:
        raise MindganError(f"{getattr(src, 'name', src)} is not a readable image ({err})") from None
    with img:
        to_rgb(img).save(dest, format="PNG", optimize=False)
