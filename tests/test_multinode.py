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

from helpers import REPO, STEPS, loss_array, single_worker_losses, train_args
from mindgan import msrun

pytestmark = pytest.mark.subprocess  # every test here starts processes



def start_node(rank: int, port: int, logs: Path, train_args: list[str], *launch_args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "mindgan.launch", *launch_args, "--nodes", "2", "--node-rank", str(rank),
           "--workers-per-node", "1", "--master-addr", "127.0.0.1", "--master-port", str(port),
           "--log-dir", str(logs), "--", *train_args]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, env=dict(os.environ, PYTHONUNBUFFERED="1"))


def finish(procs: list[subprocess.Popen], timeout: float) -> list[tuple[int, str, str]]:
    """Wait for every node; kill what is left at the deadline (the test then fails on its exit code)."""
    deadline, done = time.time() + timeout, []
    for p in procs:
        try:
            out, err = p.communicate(timeout=max(1.0, deadline - time.time()))
        except subprocess.TimeoutExpired:
            kill_tree(p)
            out, err = p.communicate()
        done.append((p.returncode, out, err))
    return done


def kill_tree(p: subprocess.Popen) -> None:
    """The launcher and what it started (msrun runs in a session of its own)."""
    for pid in [*msrun._descendants(p.pid), p.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def weights(log: Path, rank: int) -> str:
    m = re.search(rf"rank {rank} of 2 weights sha256 (\w+)", log.read_text())
    assert m, f"rank {rank} did not finish:\n{log.read_text()[-2000:]}"
    return m.group(1)


def run_files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


@pytest.mark.trains  # the single worker it is compared with trains in this process
def test_two_nodes_on_loopback_train_as_one_run(tiny_mnist, tmp_path):
    out, port = tmp_path / "run", msrun.free_port()
    args = train_args(tiny_mnist, out)
    nodes = [start_node(r, port, tmp_path / f"node{r}", args) for r in (0, 1)]
    results = finish(nodes, timeout=240)
    for r, (rc, o, e) in enumerate(results):
        assert rc == 0, f"node {r}: {o[-2000:]}\n{e[-2000:]}"
    # Each node ran its own worker (rank = node rank here) and both ended bit-identical.
    assert weights(tmp_path / "node0" / "worker_0.log", 0) == weights(tmp_path / "node1" / "worker_1.log", 1)
    assert not (tmp_path / "node0" / "worker_1.log").exists()
    # Rank 0 alone wrote the run: one checkpoint, one CSV row per step (a second writer doubles them).
    assert run_files(out) == ["checkpoints/.mindgan-written", "checkpoints/gan_e0001.ckpt", "checkpoints/gan_e0001.json", "config.yaml",
                              "fixed_noise.npy", "images/epoch_0001.png", "loss_curve.png", "losses.csv",
                              "progress.gif"]
    dp = loss_array(out / "losses.csv")
    assert dp.shape == (STEPS, 2)
    np.testing.assert_allclose(dp, single_worker_losses(tiny_mnist, tmp_path / "single"), rtol=0, atol=0.01)


def wait_for(predicate, proc_list, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not predicate():
        for p in proc_list:
            assert p.poll() is None, f"a node ended while waiting for {what}: {p.communicate()}"
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def test_a_dead_node_ends_the_other_and_the_run_resumes(tiny_mnist, tmp_path):
    out, port = tmp_path / "run", msrun.free_port()
    args = [*train_args(tiny_mnist, out, epochs=1000), "--ckpt-every", "1"]
    logs = [tmp_path / "node0", tmp_path / "node1"]
    # A 10 s heartbeat timeout (MindSpore's default is 30 s) keeps the test short.
    nodes = [start_node(r, port, logs[r], args, "--node-timeout", "10") for r in (0, 1)]
    try:
        # Training is under way: rank 0 has finished (and checkpointed) epoch 2.
        wait_for(lambda: "epoch    2/" in _text(logs[0] / "worker_0.log"), nodes, 180, "epoch 2")
        victim = next((pid for pid, r in msrun.worker_ranks(nodes[1].pid).items() if r == "1"), None)
        assert victim, "node 1's worker not found"
        os.kill(victim, signal.SIGKILL)
        t0 = time.time()
        (rc0, _, err0), (rc1, _, err1) = finish(nodes, timeout=120)
        took = time.time() - t0
    finally:
        for p in nodes:
            if p.poll() is None:
                kill_tree(p)
    # How long node 0 took is printed, not asserted (shared cores stretch it: 11 s idle, 47 s seen in CI);
    # finish()'s timeout bounds it, and node 0's message says the heartbeat, not a timeout, ended it.
    print(f"node 0 ended {took:.1f} s after node 1's worker was killed")
    # Node 1 names its own dead worker; node 0, whose worker was blocked in the all-reduce, names node 1.
    assert rc1 == 2 and re.fullmatch(rf"error: worker log {logs[1] / 'worker_1.log'} reports: the worker "
                                     rf"\(pid {victim}\) was killed or crashed.*\n", err1), err1
    assert rc0 == 2 and re.fullmatch(r"error: node 1 \(worker rank 1\) stopped responding and the job was "
                                     r"stopped; its log is worker_1.log in node 1's --log-dir; continue from "
                                     r"the last checkpoint with --resume\n", err0), err0
    for p in nodes:  # nothing of either job is left running
        assert not msrun._descendants(p.pid)

    # The newest checkpoint is whole (rank 0 writes it atomically); resume on the two nodes for one
    # more epoch, then on one worker (a different worker count, the same global batch) for another.
    done = max(int(re.search(r"_e(\d+)\.ckpt$", p.name).group(1)) for p in (out / "checkpoints").glob("*.ckpt"))
    more = list(args)  # the same arguments with fewer --epochs
    more[more.index("--epochs") + 1] = str(done + 1)
    nodes = [start_node(r, port, logs[r], [*more, "--resume"]) for r in (0, 1)]
    for r, (rc, o, e) in enumerate(finish(nodes, timeout=240)):
        assert rc == 0, f"node {r}: {o[-2000:]}\n{e[-2000:]}"
    assert f"resumed from {out / 'checkpoints'}" in _text(logs[0] / "worker_0.log")
    assert any(logs[0].glob("earlier_*/worker_0.log"))  # the failed job's logs were kept
    more[more.index("--epochs") + 1] = str(done + 2)
    r = subprocess.run([sys.executable, "-m", "mindgan.train", *more, "--resume"], cwd=REPO, capture_output=True,
                       text=True, timeout=240, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert re.search(rf"resumed from .*_e{done + 1:04d}\.ckpt \(epoch {done + 1}, step {(done + 1) * STEPS}\)",
                     r.stdout), r.stdout
    rows = loss_array(out / "losses.csv")
    assert rows.shape == ((done + 2) * STEPS, 2)  # every step once: nothing lost, nothing repeated


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""
