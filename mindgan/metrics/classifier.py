"""The digit classifier that judges samples: LeNet-5 as in the MindSpore tutorials, on 28x28 [0, 1] digits.

Trained once per data source on its training split and cached under <data cache>/classifiers/<source>/
(lenet.ckpt + lenet.json with held-out accuracy and a fingerprint of the training file). Its penultimate
layer (84 units) is the feature space for FID, as TF-GAN's MNIST example uses a trained MNIST classifier.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import numpy as np

from ..data import idx, pipelines
from ..data.cache import cache_root, writable
from ..errors import MindganError
from ..files import sha256, write_atomic

NUM_CLASSES = 10
INPUT_SHAPE = (1, 28, 28)
FEATURE_DIM = 84
VERSION = 1  # bump when the architecture or training recipe changes: old caches are retrained


def build_lenet():
    from mindspore import nn, ops

    class LeNet5(nn.Cell):
        """conv 6@5x5 (same) -> pool -> conv 16@5x5 -> pool -> 120 -> 84 -> 10. Input: [0, 1] pixels."""

        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, pad_mode="same")  # 'same' keeps the 32x32 tutorial's sizes
            self.conv2 = nn.Conv2d(6, 16, 5, pad_mode="valid")
            self.pool = nn.MaxPool2d(2, 2)
            self.relu = nn.ReLU()
            self.fc1 = nn.Dense(16 * 5 * 5, 120)
            self.fc2 = nn.Dense(120, 84)
            self.fc3 = nn.Dense(84, NUM_CLASSES)

        def features(self, x):
            x = (x - 0.5) / 0.5  # [0, 1] -> [-1, 1]: centred inputs train faster
            x = self.pool(self.relu(self.conv1(x)))
            x = self.pool(self.relu(self.conv2(x)))
            x = ops.reshape(x, (x.shape[0], -1))
            return self.relu(self.fc2(self.relu(self.fc1(x))))

        def construct(self, x):
            return self.fc3(self.features(x))

    return LeNet5()


# --- the cache -------------------------------------------------------------------------------------

def cache_dir(source: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", source).strip("_")[-60:] or "data"
    if safe != source:  # folder paths: keep them apart even when their tails look alike
        safe += "-" + hashlib.sha1(source.encode()).hexdigest()[:8]
    return cache_root() / "classifiers" / safe


def fingerprint(loc) -> str:
    """sha256 of the training images file: a cache trained on other data is not reused."""
    return sha256(Path(loc.train) / idx.SPLIT_FILES["train"][0])


def load_info(folder: Path, stem: str, version: int, fingerprint_: str) -> dict | None:
    """The cached net's info (stem.json beside stem.ckpt), or None when absent, stale or for other data."""
    try:
        info = json.loads((folder / f"{stem}.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if info.get("version") != version or info.get("fingerprint") != fingerprint_:
        return None
    return info if (folder / f"{stem}.ckpt").is_file() else None


def save_net(folder: Path, stem: str, net, info: dict) -> None:
    """stem.ckpt, then stem.json: written last, so a net without it (an interrupted save) is retrained."""
    import mindspore as ms

    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / f"{stem}.ckpt", lambda tmp: ms.save_checkpoint(net, str(tmp)))
    write_atomic(folder / f"{stem}.json", lambda tmp: tmp.write_text(json.dumps(info, indent=1)))


def load_net(folder: Path, stem: str, net):
    import mindspore as ms

    ms.load_param_into_net(net, ms.load_checkpoint(str(folder / f"{stem}.ckpt")), strict_load=True)
    net.set_train(False)
    return net


def cached_info(loc) -> dict | None:
    return load_info(cache_dir(loc.source), "lenet", VERSION, fingerprint(loc))


# --- training --------------------------------------------------------------------------------------

def predict(net, images: np.ndarray, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, 84), class probabilities (N, 10)) for images (N, 1, 28, 28) in [0, 1]."""
    import mindspore as ms
    from mindspore import ops

    check_digits(images)
    net.set_train(False)
    feats, probs = [], []
    for i in range(0, len(images), batch):
        f = net.features(ms.Tensor(np.ascontiguousarray(images[i:i + batch], np.float32)))
        feats.append(f.asnumpy())
        probs.append(ops.softmax(net.fc3(f), -1).asnumpy())
    return np.concatenate(feats), np.concatenate(probs)


def check_digits(images: np.ndarray) -> None:
    if images.ndim != 4 or tuple(images.shape[1:]) != INPUT_SHAPE:
        shape = tuple(images.shape[1:])
        if images.ndim == 4 and shape[1:] == INPUT_SHAPE[1:]:
            raise MindganError(f"the digit classifier takes 1-channel 28x28 images; these have {shape[0]} "
                               f"channels")
        raise MindganError(f"the digit classifier takes images of shape (N, 1, 28, 28); got {images.shape}")


def train_step(net, lr: float, steps_per_epoch: int, epochs: int):
    """A jit-compiled cross-entropy step (x, y) -> loss with Adam. Cosine decay to 5% of the rate: a few
    epochs reach >97% held-out on 9,000 digits."""
    import mindspore as ms
    from mindspore import nn

    lrs = nn.cosine_decay_lr(lr * 0.05, lr, steps_per_epoch * epochs, steps_per_epoch, epochs)
    opt = nn.Adam(net.trainable_params(), learning_rate=lrs)
    loss_fn = nn.CrossEntropyLoss()

    def forward(x, y):
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward, None, opt.parameters)

    @ms.jit
    def step(x, y):
        loss, grads = grad_fn(x, y)
        opt(grads)
        return loss

    return step


def train(loc, epochs: int = 10, batch_size: int = 128, lr: float = 2e-3, seed: int = 0,
          quiet: bool = False) -> tuple[object, dict]:
    """Train LeNet on loc's training split with a jit-compiled value_and_grad step; cache it; return it."""
    import mindspore as ms


    n_train = idx.check_split(loc.train, "train", num_classes=NUM_CLASSES)
    writable(cache_dir(loc.source))  # before minutes of training, not after
    batch_size = min(batch_size, n_train)
    ms.set_seed(seed)
    net = build_lenet()
    step = train_step(net, lr, n_train // batch_size, epochs)
    data = pipelines.mnist(loc, batch_size, latent_size=1, seed=seed, value_range="sigmoid", split="train")
    t0 = time.time()
    net.set_train(True)
    it = data.create_dict_iterator(num_epochs=epochs)
    for epoch in range(1, epochs + 1):
        losses = [float(step(b["image"], b["label"]).asnumpy()) for b in it]
        if not quiet:
            print(f"  classifier epoch {epoch}/{epochs}  loss {np.mean(losses):.4f}", flush=True)
    seconds = time.time() - t0
    info = {"version": VERSION, "source": loc.source, "train_folder": str(loc.train), "train_images": n_train,
            "fingerprint": fingerprint(loc), "epochs": epochs, "train_seconds": round(seconds, 1)}
    if loc.test is not None:
        test = pipelines.real_images(loc, "test", idx.check_split(loc.test, "test"), "sigmoid")
        labels = _labels(loc.test, "test")[: len(test)]
        _, probs = predict(net, test)
        info.update(heldout_images=len(test), heldout_accuracy=float(np.mean(probs.argmax(1) == labels)))
    save_net(cache_dir(loc.source), "lenet", net, info)
    return net, info


def _labels(folder: Path, split: str) -> np.ndarray:
    raw = (Path(folder) / idx.SPLIT_FILES[split][1]).read_bytes()
    return np.frombuffer(raw, np.uint8, offset=8).astype(np.int64)


def load_or_train(loc, quiet: bool = False) -> tuple[object, dict]:
    """The cached classifier for loc's source, trained now (and said so) when absent or stale."""
    info = cached_info(loc)
    if info is None:
        if not quiet:
            print(f"mindgan: no digit classifier cached for data {loc.source}: training one now (once; "
                  f"cached in {cache_dir(loc.source)})", flush=True)
        net, info = train(loc, quiet=quiet)
        if not quiet and "heldout_accuracy" in info:
            print(f"mindgan: classifier held-out accuracy {info['heldout_accuracy']:.4f} on "
                  f"{info['heldout_images']} images ({info['train_seconds']:.0f}s)", flush=True)
        return net, info
    return load_net(cache_dir(loc.source), "lenet", build_lenet()), info
