"""Shared fixtures: tiny real-format data written by the tests, an isolated data cache, CLI runner."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mindgan  # noqa: F401  (sets ONEDNN_MAX_CPU_ISA / GLOG_v before MindSpore loads)
from mindgan.data import idx

REPO = Path(__file__).resolve().parent.parent


def digit_images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n 28x28 uint8 'digits': a bright bar whose position encodes the label, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, lab in enumerate(labels):
        images[i, 4:24, 2 + 2 * lab: 5 + 2 * lab] = 255
    return images, labels


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory) -> Path:
    """An MNIST-format folder (train 256 + test 64 images) in the IDX layout MnistDataset reads."""
    folder = tmp_path_factory.mktemp("tiny_mnist")
    idx.write_split(folder, "train", *digit_images(256, 0))
    idx.write_split(folder, "test", *digit_images(64, 1))
    return folder


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own data cache: nothing in the suite reads ~/.cache or the network."""
    monkeypatch.setenv("MINDGAN_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="session", autouse=True)
def cpu_device():
    from mindgan import device

    device.setup("CPU")


def run_cli(*args, env_extra: dict | None = None, cwd: Path | None = None, timeout: int = 600):
    """Run `python -m mindgan.<args>` in a subprocess, as a user would; returns CompletedProcess."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd or REPO, timeout=timeout, stdin=subprocess.DEVNULL)


def quick_cfg(**over) -> dict:
    """The gan recipe shrunk for tests."""
    from mindgan import config

    base = {"epochs": 1, "batch_size": 32, "grid_rows": 2, "grid_cols": 2, "ckpt_every": 1}
    base.update(over)
    model = base.pop("model", "gan")
    return config.load(model=model, overrides=base)
