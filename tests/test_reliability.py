"""No lost work: signals, SIGKILL at random moments, and the kill-test script."""
from __future__ import annotations

import pytest

import os
import signal
import subprocess
import sys
import time

from helpers import REPO

pytestmark = pytest.mark.subprocess  # every test here starts processes


def test_sigint_saves_a_checkpoint_and_resume_finishes(tmp_path, tiny_mnist):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "mindgan.train", "--model", "gan", "--data", str(tiny_mnist), "--out", str(out),
           "--batch-size", "8", "--epochs", "40", "--ckpt-every", "100", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    for line in proc.stdout:  # wait until training is under way
        if line.startswith("epoch    1/40"):
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stdout and "--resume" in stdout
    ckpts = list((out / "checkpoints").glob("gan_e*.ckpt"))
    assert len(ckpts) == 1  # ckpt_every 100 would have written none by now
    done = subprocess.run(cmd[:-5] + ["--epochs", "3", "--ckpt-every", "100", "--resume", "--no-progress"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    steps = [int(r.split(",")[1]) for r in (out / "losses.csv").read_text().splitlines()[1:]]
    assert steps == list(range(1, 3 * 32 + 1))


def test_kill_script_survives_sigkills():
    # kills land at steps read from the run folder, after the first checkpoint: no timing, so loaded cores only slow it
    proc = subprocess.run([sys.executable, "scripts/kill_test.py", "--kills", "2", "--epochs", "4"],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
