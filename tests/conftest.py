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
# `subprocess`: starts a process. `trains`: runs a training loop (Trainer.fit, or the feature nets' and
# the digit judge's own training) or more than STEP_LIMIT graph steps. `make test-fast` leaves both out,
# so it keeps the numerics that need only a few compiled steps (first losses, a checkpoint's completeness,
# k steps per graph call; tests/test_numerics.py). The guard below fails a test that does either without
# its mark, so the marks cannot drift from the code.
STEP_LIMIT = 16  # graph steps, set-up included
_seen = {"processes": [], "steps": 0, "loops": []}


def _count_processes():
    original = subprocess.Popen.__init__

    def init(self, args, *a, **k):
        _seen["processes"].append(args if isinstance(args, str) else " ".join(map(str, args))[:120])
        original(self, args, *a, **k)

    subprocess.Popen.__init__ = init


def _count_training():
    from mindgan.metrics import classifier
    from mindgan.training import loop
    from mindgan.training.schedule import Schedule

    original = Schedule.run

    def run(self, chunk, *a, **k):
        out = original(self, chunk, *a, **k)
        _seen["steps"] += len(out)
        return out

    Schedule.run = run
    fit = loop.Trainer.fit

    def counted_fit(self, *a, **k):
        _seen["loops"].append("Trainer.fit")
        return fit(self, *a, **k)

    loop.Trainer.fit = counted_fit
    train_step = classifier.train_step

    def counted_train_step(*a, **k):  # the digit judge's and the feature nets' training
        _seen["loops"].append("a judge's training (metrics.classifier.train_step)")
        return train_step(*a, **k)

    classifier.train_step = counted_train_step


def pytest_configure(config):
    _count_processes()
    _count_training()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    _seen["processes"].clear()
    _seen["steps"] = 0
    _seen["loops"].clear()
    yield


_training_fixtures: dict[str, str] = {}  # a shared fixture that trained -> what it ran; its users are `trains`


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    before = (len(_seen["loops"]), _seen["steps"])
    yield
    if len(_seen["loops"]) > before[0] or _seen["steps"] - before[1] > STEP_LIMIT:
        _training_fixtures[fixturedef.argname] = (_seen["loops"][before[0]:] or ["graph steps"])[0]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield
    marks = {m.name for m in item.iter_markers()}
    trained = [f for f in item.fixturenames if f in _training_fixtures]
    if trained and "trains" not in marks:  # set up once per module by its first user, trained for all of them
        pytest.fail(f"tier guard: this test uses the fixture {trained[0]!r}, which trained "
                    f"({_training_fixtures[trained[0]]}), without @pytest.mark.trains", pytrace=False)
    if _seen["processes"] and "subprocess" not in marks:
        pytest.fail(f"tier guard: this test started {len(_seen['processes'])} process(es) "
                    f"({_seen['processes'][0]}) without @pytest.mark.subprocess", pytrace=False)
    if _seen["loops"] and "trains" not in marks:
        pytest.fail(f"tier guard: this test ran a training loop ({_seen['loops'][0]}) without "
                    f"@pytest.mark.trains", pytrace=False)
    if _seen["steps"] > STEP_LIMIT and "trains" not in marks:
        pytest.fail(f"tier guard: this test trained {_seen['steps']} steps (> {STEP_LIMIT}) without "
                    f"@pytest.mark.trains", pytrace=False)
