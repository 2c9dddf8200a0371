"""Data parallel under msrun: 2 real CPU workers on loopback, and the launcher's checks."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers import REPO, STEPS, loss_array, quick_cfg, run_cli, single_worker_losses, train_args
from mindgan import msrun, parallel
from mindgan.data import pipelines, sources
from mindgan.device import cpu_cores
from mindgan.errors import MindganError

def test_shards_deal_out_exactly_the_single_worker_batches(tiny_mnist):
    """Sharded pipelines: worker batches k together = batch k of one worker with the global batch,
    images and noise alike (what makes N workers train like one)."""
    loc = sources.resolve(str(tiny_mnist), "mnist")

    def batches(batch, **shard):
        data = pipelines.mnist(loc, batch, 8, seed=5, **shard)
        return [(b["image"], b["latent_code"]) for b in data.create_dict_iterator(output_numpy=True, num_epochs=1)]

    whole = batches(32, num_shards=1, shard_id=0)
    parts = [batches(16, num_shards=2, shard_id=k) for k in range(2)]
    assert len(whole) == len(parts[0]) == len(parts[1]) == 8
    for k, (img, z) in enumerate(whole):
        np.testing.assert_array_equal(img[0::2], parts[0][k][0])
        np.testing.assert_array_equal(img[1::2], parts[1][k][0])
        np.testing.assert_array_equal(z[0::2], parts[0][k][1])
        np.testing.assert_array_equal(z[1::2], parts[1][k][1])


def test_the_rank_search_goes_on_until_every_rank_has_a_pid():
    """msrun starts `tail -f worker_0.log` with worker 0's environment (MS_WORKER, RANK_ID 0), often before
    worker 1: two pids of rank 0 must not end the search, or a killed worker 1 goes unnamed (seen in CI)."""
    assert not msrun.all_ranks_known({12284: "0", 12285: "0"}, workers=2)  # worker 0 and its tail, as measured
    assert msrun.all_ranks_known({12284: "0", 12285: "0", 12286: "1"}, workers=2)


def test_batch_rule_errors_are_one_line():
    cfg = quick_cfg(batch_size=33)
    with pytest.raises(MindganError, match="does not split into 2"):
        parallel.local_batch(cfg, 2)
    assert parallel.local_batch(quick_cfg(dp_batch="per_worker"), 2) == 32
    assert parallel.local_batch(quick_cfg(), 2) == 16
    with pytest.raises(MindganError, match="'dp_batch' must be one of"):
        quick_cfg(dp_batch="half")  # the config's own check
    for key, value in (("dp_batch", "half"), ("dp_lr", "sqrt")):  # parallel's check, for a cfg built past it
        cfg = {**quick_cfg(), key: value}
        with pytest.raises(MindganError, match=f"^{key} must be one of .*got '{value}'"):
            parallel.local_batch(cfg, 2)
        with pytest.raises(MindganError, match=f"^{key} must be one of"):
            parallel.lr_scale(cfg)


@pytest.mark.subprocess
@pytest.mark.trains  # the single worker it is compared with trains in this process
def test_two_cpu_workers_train_as_one_run(tiny_mnist, tmp_path):
    out, logs = tmp_path / "run", tmp_path / "logs"
    port = msrun.free_port()
    r = run_cli("mindgan.launch", "--workers", "2", "--master-port", port, "--log-dir", logs, "--",
                *train_args(tiny_mnist, out), timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    # Both ranks finished, with bit-identical weights (the gradient all-reduce kept them in step).
    prints = {}
    for rank in (0, 1):
        text = (logs / f"worker_{rank}.log").read_text()
        m = re.search(rf"rank {rank} of 2 weights sha256 (\w+)", text)
        assert m, f"worker {rank} did not finish:\n{text[-2000:]}"
        prints[rank] = m.group(1)
    assert prints[0] == prints[1]
    # One set of outputs: rank 0's. A second writer would double the CSV rows.
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == ["checkpoints/.mindgan-written", "checkpoints/gan_e0001.ckpt", "checkpoints/gan_e0001.json", "config.yaml",
                     "fixed_noise.npy", "images/epoch_0001.png", "loss_curve.png", "losses.csv", "progress.gif"]
    dp = loss_array(out / "losses.csv")
    assert dp.shape == (STEPS, 2)

    one = single_worker_losses(tiny_mnist, tmp_path / "single")
    # Not bit-equal: G's BatchNorm normalises each worker's 16 images, one worker's 32 at a time
    # (measured differences ~0.002; unreduced losses or unsharded data are further off).
    np.testing.assert_allclose(dp, one, rtol=0, atol=0.01)


@pytest.mark.subprocess
def test_port_in_use_is_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_cli("mindgan.launch", "--workers", "1", "--master-port", port, "--log-dir", tmp_path, "--",
                    "--model", "gan", "--device", "CPU")
    assert r.returncode == 2
    assert re.fullmatch(rf"error: master port {port} on 127.0.0.1 is in use.*--master-port \d+\n", r.stderr)


@pytest.mark.subprocess
def test_port_of_a_job_that_just_ended_is_not_in_use(tmp_path):
    """A killed scheduler leaves its port in TIME_WAIT; MindSpore's scheduler binds it again, so the
    launcher must not refuse it (rerunning a failed job with --resume on the same port)."""
    port = msrun.free_port()
    with socket.socket() as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", port))
        srv.listen()
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = srv.accept()
        conn.close()  # the server side closes first: its end of the connection waits in TIME_WAIT
    time.sleep(0.2)
    client.close()
    r = run_cli("mindgan.launch", "--workers", "1", "--master-port", port, "--log-dir", tmp_path, "--dry-run", "--",
                "--model", "gan", "--device", "CPU")
    assert r.returncode == 0, r.stderr
    assert f"--master_port={port}" in r.stdout


@pytest.mark.subprocess
def test_more_workers_than_cores_is_one_line(tmp_path):
    n = cpu_cores() + 1
    r = run_cli("mindgan.launch", "--workers", n, "--log-dir", tmp_path, "--", "--model", "gan", "--device", "CPU")
    assert r.returncode == 2
    assert re.fullmatch(rf"error: {n} workers on a machine with {n - 1} CPU cores.*\n", r.stderr)


def _worker_pid(root: int, rank: int) -> int | None:
    return next((pid for pid, r in msrun.worker_ranks(root).items() if r == str(rank)), None)


@pytest.mark.subprocess
def test_a_dead_worker_stops_the_job_and_names_its_log(tiny_mnist, tmp_path):
    out, logs = tmp_path / "run", tmp_path / "logs"
    cmd = [sys.executable, "-m", "mindgan.launch", "--workers", "2", "--master-port", str(msrun.free_port()),
           "--log-dir", str(logs), "--", *train_args(tiny_mnist, out, epochs=1000)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        deadline = time.time() + 180
        while time.time() < deadline:  # training is under way: rank 0 finished an epoch
            if (logs / "worker_0.log").is_file() and "epoch    1/" in (logs / "worker_0.log").read_text():
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.5)
        victim = _worker_pid(proc.pid, 1)
        assert victim, "rank 1 not found"
        os.kill(victim, signal.SIGKILL)
        # rank 0, blocked in the all-reduce, must be stopped; a hang ends in TimeoutExpired (a guard, not a timing)
        _, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2
    assert f"error: worker log {logs / 'worker_1.log'} reports: the worker (pid {victim}) was killed" in err
    assert "Traceback" not in err
    assert "epoch 1000/1000" not in (logs / "worker_0.log").read_text()  # stopped, not trained to the end
    assert _worker_pid(proc.pid, 0) is None


@pytest.mark.subprocess
@pytest.mark.parametrize("node_rank", ["0", "1"])
def test_unresolvable_master_addr_is_one_line(tmp_path, node_rank):
    logs = tmp_path / "logs"
    r = run_cli("mindgan.launch", "--workers", "1", "--nodes", "2", "--node-rank", node_rank, "--master-addr",
                "no-such-host.invalid", "--log-dir", logs, "--", "--model", "gan", "--device", "CPU")
    assert r.returncode == 2
    assert re.fullmatch(r"error: --master-addr 'no-such-host.invalid' does not resolve \(.*\): give node 0's IP "
                        r"address, or a host name this machine can look up\n", r.stderr)
    assert not logs.exists()  # nothing started, nothing written


@pytest.mark.subprocess
def test_node0_master_addr_of_another_machine_is_one_line(tmp_path):
    r = run_cli("mindgan.launch", "--workers", "1", "--nodes", "2", "--node-rank", "0", "--master-addr", "192.0.2.7",
                "--log-dir", tmp_path / "logs", "--dry-run", "--", "--model", "gan", "--device", "CPU")
    assert r.returncode == 2
    assert re.fullmatch(r"error: --master-addr 192.0.2.7 is not an address of this machine: node 0 .*\n", r.stderr)


@pytest.mark.subprocess
@pytest.mark.parametrize("where", ["file", "under_file"])
def test_log_dir_that_is_a_file_is_one_line(tmp_path, where):
    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    log_dir = afile if where == "file" else afile / "logs"
    r = run_cli("mindgan.launch", "--workers", "1", "--master-port", msrun.free_port(), "--log-dir", log_dir,
                "--", "--model", "gan", "--device", "CPU")
    assert r.returncode == 2
    assert re.fullmatch(rf"error: (--log-dir {afile} is a file, not a folder|cannot create --log-dir {log_dir} "
                        rf"\(Not a directory\)): give a folder.*\n", r.stderr)
    assert afile.read_text() == "mine"


@pytest.mark.subprocess
def test_an_earlier_jobs_logs_are_kept(tmp_path):
    """A second job in the same --log-dir moves the first one's logs aside (and says where), and its
    failure is reported from its own log, not the earlier one's."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "worker_0.log").write_text("error: from the earlier job\n")
    (logs / "scheduler.log").write_text("earlier scheduler\n")
    (logs / "mine.txt").write_text("not msrun's")
    r = run_cli("mindgan.launch", "--workers", "1", "--master-port", msrun.free_port(), "--log-dir", logs, "--",
                "--model", "no_such_model", "--device", "CPU", timeout=120)
    kept = sorted(logs.glob("earlier_*"))
    assert len(kept) == 1 and f"the logs of an earlier job in {logs} were moved to {kept[0]}" in r.stdout
    assert (kept[0] / "worker_0.log").read_text() == "error: from the earlier job\n"
    assert (kept[0] / "scheduler.log").read_text() == "earlier scheduler\n"
    assert (logs / "mine.txt").read_text() == "not msrun's"  # only msrun's own logs move
    assert r.returncode == 2
    assert re.fullmatch(rf"error: worker log {logs / 'worker_0.log'} reports: .*no_such_model.*\n", r.stderr)
