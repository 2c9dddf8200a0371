"""Two msrun "nodes" on 127.0.0.1, each its own `python -m mindgan.launch --nodes 2 --node-rank R` process
with one CPU worker, joining one job: what a user with two machines runs, on one machine."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from mindgan import launch
from test_parallel import STEPS, _losses, _train_args, single_worker_losses

pytestmark = pytest.mark.slow


def start_node(rank: int, port: int, logs: Path, train_args: list[str], **env) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "mindgan.launch", "--nodes", "2", "--node-rank", str(rank),
           "--workers-per-node", "1", "--master-addr", "127.0.0.1", "--master-port", str(port),
           "--log-dir", str(logs), "--", *train_args]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, env=dict(os.environ, PYTHONUNBUFFERED="1", **env))


def finish(procs: list[subprocess.Popen], timeout: float) -> list[tuple[int, str, str]]:
    """Wait for every node; kill what is left at the deadline (the test then fails on its exit code)."""
    deadline, done = time.time() + timeout, []
    for p in procs:
        try:
            out, err = p.communicate(timeout=max(1.0, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        done.append((p.returncode, out, err))
    return done


def weights(log: Path, rank: int) -> str:
    m = re.search(rf"rank {rank} of 2 weights sha256 (\w+)", log.read_text())
    assert m, f"rank {rank} did not finish:\n{log.read_text()[-2000:]}"
    return m.group(1)


def run_files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def test_two_nodes_on_loopback_train_as_one_run(tiny_mnist, tmp_path):
    out, port = tmp_path / "run", launch.free_port()
    args = _train_args(tiny_mnist, out)
    nodes = [start_node(r, port, tmp_path / f"node{r}", args) for r in (0, 1)]
    results = finish(nodes, timeout=240)
    for r, (rc, o, e) in enumerate(results):
        assert rc == 0, f"node {r}: {o[-2000:]}\n{e[-2000:]}"
    # Each node ran its own worker (rank = node rank here) and both ended bit-identical.
    assert weights(tmp_path / "node0" / "worker_0.log", 0) == weights(tmp_path / "node1" / "worker_1.log", 1)
    assert not (tmp_path / "node0" / "worker_1.log").exists()
    # Rank 0 alone wrote the run: one checkpoint, one CSV row per step (a second writer doubles them).
    assert run_files(out) == ["checkpoints/gan_e0001.ckpt", "checkpoints/gan_e0001.json", "config.yaml",
                              "fixed_noise.npy", "images/epoch_0001.png", "loss_curve.png", "losses.csv",
                              "progress.gif"]
    dp = _losses(out / "losses.csv")
    assert dp.shape == (STEPS, 2)
    np.testing.assert_allclose(dp, single_worker_losses(tiny_mnist, tmp_path / "single"), rtol=0, atol=0.01)
