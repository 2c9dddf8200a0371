"""Shared fixtures: tiny real-format data written by the tests, an isolated data cache, CLI runner."""
from __future__ import annotations

import http.server
import os
import subprocess
import threading
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

    device.setup(os.environ.get("MINDGAN_TEST_DEVICE", "CPU"))  # scripts/device_check.sh sets GPU


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


@pytest.fixture
def http_server(tmp_path, monkeypatch):
    """A loopback HTTP server over tmp_path/www, started by the test; yields (base_url, www, request_log)."""
    www = tmp_path / "www"
    www.mkdir()
    log = []
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(www), **k)

        def log_message(self, fmt, *args):
            log.append(self.path)

        def handle(self):
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the downloader may close a probe connection early

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", www, log
    server.shutdown()
    server.server_close()


# Tests that start processes (they call run_cli) or modules that train past a few steps: `make test-fast` (-m "not slow") leaves
# them out; `make test` (what CI runs) runs everything.
SLOW_MODULES = {"test_cli", "test_errors", "test_export", "test_packaging", "test_multinode", "test_parallel",
                "test_reliability", "test_trainer", "test_runs", "test_generate", "test_evaluate", "test_inputs"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        starts_processes = "run_cli" in getattr(getattr(item, "function", None), "__code__", compile("", "", "exec")).co_names
        if item.module.__name__ in SLOW_MODULES or starts_processes:
            item.add_marker(pytest.mark.slow)
