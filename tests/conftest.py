"""Fixtures (tiny real-format data, an isolated data cache, a loopback HTTP server) and the test tiers.
Shared functions live in helpers.py."""
from __future__ import annotations

import http.server
import os
import subprocess
import threading
from pathlib import Path

import pytest

import mindgan  # noqa: F401  (sets ONEDNN_MAX_CPU_ISA / GLOG_v before MindSpore loads)
from helpers import digit_images
from mindgan.data import idx


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


# --- tiers: by what a test does, checked while it runs --------------------------------------------------
# `subprocess`: starts a process; `trains`: trains past STEP_LIMIT steps. `make test-fast` leaves both out.
# The guard below fails a test that does either without its mark, so the marks cannot drift from the code.
STEP_LIMIT = 16  # graph steps, setup included: resume and k-step equality on tiny nets fit (12 and 10)
_seen = {"processes": [], "steps": 0}


def _count_processes():
    original = subprocess.Popen.__init__

    def init(self, args, *a, **k):
        _seen["processes"].append(args if isinstance(args, str) else " ".join(map(str, args))[:120])
        original(self, args, *a, **k)

    subprocess.Popen.__init__ = init


def _count_steps():
    from mindgan.training.schedule import Schedule

    original = Schedule.run

    def run(self, chunk, *a, **k):
        out = original(self, chunk, *a, **k)
        _seen["steps"] += len(out)
        return out

    Schedule.run = run


def pytest_configure(config):
    _count_processes()
    _count_steps()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    _seen["processes"].clear()
    _seen["steps"] = 0
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield
    marks = {m.name for m in item.iter_markers()}
    if _seen["processes"] and "subprocess" not in marks:
        pytest.fail(f"tier guard: this test started {len(_seen['processes'])} process(es) "
                    f"({_seen['processes'][0]}) without @pytest.mark.subprocess", pytrace=False)
    if _seen["steps"] > STEP_LIMIT and "trains" not in marks:
        pytest.fail(f"tier guard: this test trained {_seen['steps']} steps (> {STEP_LIMIT}) without "
                    f"@pytest.mark.trains", pytrace=False)
