"""The feature space that judges image folders: a small CNN trained on the folder's own labels.

Offline there are no pretrained Inception weights, and a fixed random conv net could not tell a DCGAN's
coloured blobs from emoji (FID 1.67 against a real-vs-real floor of 1.68). A net trained to tell the data's
classes apart responds to what distinguishes the images (eyes, hair, hats, props), as TF-GAN's MNIST
example judges with a trained MNIST classifier; FID is taken in its penultimate layer (FEATURE_DIM wide).

Labels: the class sub-folders `ImageFolderDataset` reads (emoji-faces: 16 emoji.json subcategories). A
folder with fewer than two classes (a flat folder, the DCGAN tutorial's faces/) falls back to rotation
prediction: which of 0/90/180/270 degrees an image was turned by, a self-supervised task (Gidaris et al.,
ICLR 2018) that needs the images' layout (eyes above mouth) to solve.

The images are split once, by a fixed seed, into two halves: the net trains on the first (its accuracy on
the second is recorded) and the judge's real reference is drawn from it too; the real-vs-real floor
compares the second half, images the net never saw, with that reference, so the floor is what new real
images score, as a generator's new images would. Trained once per data set, image size and channel
count, and cached beside the digit classifier (classifier.py's cache and training step).
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from ..data.imagefolder import BadImage, list_images, open_image
from ..errors import MindganError
from . import classifier
from .inputs import read_files

CHANCE_MARGIN = 0.05  # held-out accuracy this far above chance at least, or the net is refused
VERSION = 1  # bump when the architecture or training recipe changes: old caches are retrained
FEATURE_DIM = 128
WIDTHS = (32, 64, 128, 128)  # stride-2 conv stages (as DCGAN's D), as many as halve the image to 4x4
MAX_IMAGES = 10_000  # at most this many train (a seeded subset; 70,171 faces would not fit in memory as floats)
MAX_HELDOUT = 2_000  # held-out images scored for the recorded accuracy
EPOCHS = 10


def _stages(size: int) -> int:
    n = 0
    while size > 4 and n < len(WIDTHS):
        size, n = size // 2, n + 1
    return n


def build(shape: tuple, num_classes: int):
    """conv 4x4 stride 2 stages (BatchNorm after the first, LeakyReLU 0.2) -> Dense 128 + ReLU (the
    features) -> Dense num_classes. Input (N, C, H, W) in [0, 1]."""
    from mindspore import nn, ops

    c, h, w = shape
    n = _stages(min(h, w))

    class FeatNet(nn.Cell):
        def __init__(self):
            super().__init__()
            layers, cin = [], c
            for i, width in enumerate(WIDTHS[:n]):
                layers.append(nn.Conv2d(cin, width, 4, 2, pad_mode="pad", padding=1, has_bias=i == 0))
                if i:
                    layers.append(nn.BatchNorm2d(width))
                layers.append(nn.LeakyReLU(0.2))
                cin = width
            self.body = nn.SequentialCell(layers)
            self.fc = nn.Dense(cin * (h >> n) * (w >> n), FEATURE_DIM)
            self.relu = nn.ReLU()
            self.head = nn.Dense(FEATURE_DIM, num_classes)

        def features(self, x):
            x = self.body(x * 2 - 1)  # [0, 1] -> [-1, 1]
            return self.relu(self.fc(ops.reshape(x, (x.shape[0], -1))))

        def construct(self, x):
            return self.head(self.features(x))

    return FeatNet()


# --- data -----------------------------------------------------------------------------------------

def labelled_files(folder: Path, bad_images: str = "error", shape: tuple | None = None
                   ) -> tuple[list[Path], np.ndarray | None, list[str]]:
    """The images ImageFolderDataset reads, their class indices and class names; (files, None, []) when
    the folder has fewer than two class sub-folders (the rotation fallback). bad_images "skip" leaves
    out what training skips (unreadable files, and images smaller than shape's side), as the run said."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MindganError(f"image folder {folder} does not exist")
    files, flat = list_images(folder)
    if bad_images == "skip":
        def usable(f):
            try:
                img = open_image(f, load=False)
            except BadImage:
                return False
            return shape is None or min(img.size) >= min(shape[1:])

        files = [f for f in files if usable(f)]
    classes = sorted({f.parent.name for f in files if f.parent != folder})
    if flat or len(classes) < 2:
        return files, None, []
    index = {name: i for i, name in enumerate(classes)}
    return files, np.array([index[f.parent.name] for f in files], np.int32), classes


def halves(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training half and the held-out half of n images: fixed, the same on every machine."""
    order = np.random.default_rng(0).permutation(n)
    return order[: (n + 1) // 2], order[(n + 1) // 2:]


def fingerprint(files: list[Path], folder: Path, shape: tuple) -> str:
    """The image list (relative names and sizes) and the input shape: other data means another net."""
    h = hashlib.sha256(repr(tuple(shape)).encode())
    for f in files:
        h.update(f"{f.relative_to(folder)}\0{f.stat().st_size}\n".encode())
    return h.hexdigest()


def stem(shape: tuple) -> str:
    return "featnet_" + "x".join(map(str, shape))


def _rotate(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Turn image i by k[i] quarter turns (square images; others only by 0 or 2)."""
    out = x.copy()
    for q in (1, 2, 3):
        sel = k == q
        if sel.any():
            out[sel] = np.rot90(x[sel], q, axes=(2, 3))
    return out


def _batch(images, labels, idx, rng, square):
    x = images[idx]
    flip = rng.random(len(idx)) < 0.5  # mirror half: emoji and faces face either way
    x[flip] = x[flip][..., ::-1]
    if labels is None:
        k = rng.choice(4 if square else np.array([0, 2]), len(idx)).astype(np.int32)
        return _rotate(x, k), k
    return x, labels[idx]


# --- training and the cache -----------------------------------------------------------------------

def train(folder: Path, source: str, shape: tuple, epochs: int = EPOCHS, batch_size: int = 64,
          lr: float = 2e-3, seed: int = 0, quiet: bool = False, bad_images: str = "error") -> tuple[object, dict]:
    import mindspore as ms


    folder = Path(folder)
    files, labels, classes = labelled_files(folder, bad_images, shape)
    if len(files) < 8:  # 4 per half: FID needs 2 a side; real data sets have thousands
        raise MindganError(f"{folder} holds {len(files)} images: too few to train the feature net that "
                           f"judges image folders (8 at least)")
    fp = fingerprint(files, folder, shape)
    rng = np.random.default_rng(seed)
    tr, held = (part[:cap] for part, cap in zip(halves(len(files)), (MAX_IMAGES, MAX_HELDOUT)))
    keep = np.concatenate([tr, held])  # read only these; tr and held index into them from here on
    files, labels = [files[i] for i in keep], None if labels is None else labels[keep]
    tr, held = np.arange(len(tr)), np.arange(len(tr), len(keep))
    n_held = len(held)
    c, h, w = shape
    images = read_files(files, (h, w), "L" if c == 1 else "RGB")
    batch_size = min(batch_size, len(tr))
    k = 4 if labels is None else len(classes)
    ms.set_seed(seed)
    net = build(shape, k)
    steps = len(tr) // batch_size
    step = classifier.train_step(net, lr, steps, epochs)
    t0 = time.time()
    net.set_train(True)
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(tr)
        losses = []
        for s in range(steps):
            x, y = _batch(images, labels, perm[s * batch_size:(s + 1) * batch_size], rng, h == w)
            losses.append(float(step(ms.Tensor(np.ascontiguousarray(x)), ms.Tensor(y)).asnumpy()))
        if not quiet:
            print(f"  feature net epoch {epoch}/{epochs}  loss {np.mean(losses):.4f}", flush=True)
    seconds = time.time() - t0
    net.set_train(False)
    info = {"version": VERSION, "source": source, "folder": str(folder), "shape": list(shape),
            "labels": "rotation" if labels is None else "class folders", "classes": classes or
            ["0", "90", "180", "270"], "train_images": len(tr), "epochs": epochs,
            "train_seconds": round(seconds, 1), "fingerprint": fp}
    if n_held:  # the held-out half, mirrored (and for rotation turned) at random like the training batches
        x, y = _batch(images, labels, held, np.random.default_rng(seed + 1), h == w)
        pred = predict(net, x).argmax(1)
        # chance: always answering the held-out images' commonest class
        info.update(heldout_images=n_held, heldout_accuracy=float(np.mean(pred == y)),
                    heldout_chance=float(np.bincount(y).max() / len(y)))
        if info["heldout_accuracy"] < info["heldout_chance"] + CHANCE_MARGIN:  # its features say nothing
            raise MindganError(f"the feature net trained on {folder} reached held-out accuracy "
                               f"{info['heldout_accuracy']:.3f}, no better than chance ({info['heldout_chance']:.3f}): "
                               f"its features cannot judge these images, so no FID is given and nothing is cached; "
                               f"give a folder with more (or more varied) real images")
    classifier.save_net(classifier.cache_dir(source), stem(shape), net, info)
    return net, info


def load_or_train(folder: Path, source: str, shape: tuple, quiet: bool = False,
                  bad_images: str = "error") -> tuple[object, dict]:
    """The cached feature net for (source, shape), trained now (and said so) when absent or stale."""
    files, labels, classes = labelled_files(folder, bad_images, shape)
    where = classifier.cache_dir(source)
    info = classifier.load_info(where, stem(shape), VERSION, fingerprint(files, Path(folder), shape))
    if info is not None:
        return classifier.load_net(where, stem(shape), build(shape, len(info["classes"]))), info
    if not quiet:
        what = (f"its {len(classes)} class sub-folders" if labels is not None else
                "image rotation (0/90/180/270 degrees): it has no class sub-folders to learn")
        print(f"mindgan: no feature net cached for {source} at {'x'.join(map(str, shape))}: training one to "
              f"predict {what} (once; cached in {where})", flush=True)
    net, info = train(folder, source, shape, quiet=quiet, bad_images=bad_images)
    if not quiet and "heldout_accuracy" in info:
        print(f"mindgan: feature net held-out accuracy {info['heldout_accuracy']:.3f} (chance "
              f"{info['heldout_chance']:.3f}) on {info['heldout_images']} images ({info['train_seconds']:.0f}s)",
              flush=True)
    return net, info


def describe(info: dict) -> str:
    what = (f"{len(info['classes'])} class folders" if info["labels"] == "class folders"
            else "image rotation (no class sub-folders)")
    acc = info.get("heldout_accuracy")
    return (f"CNN penultimate layer ({FEATURE_DIM}-d) trained on {info['source']} to predict {what}"
            + (f", held-out accuracy {acc:.3f} (chance {info['heldout_chance']:.3f})" if acc is not None else ""))


# --- features --------------------------------------------------------------------------------------

def _run(fn, images: np.ndarray, batch: int = 250) -> np.ndarray:
    import mindspore as ms

    return np.concatenate([fn(ms.Tensor(np.ascontiguousarray(images[i:i + batch], np.float32))).asnumpy()
                           for i in range(0, len(images), batch)])


def features(net, images: np.ndarray) -> np.ndarray:
    """(N, FEATURE_DIM) for (N, C, H, W) images in [0, 1] of the net's shape."""
    net.set_train(False)
    return _run(net.features, images)


def predict(net, images: np.ndarray) -> np.ndarray:
    """Class logits (N, classes)."""
    net.set_train(False)
    return _run(net, images)
