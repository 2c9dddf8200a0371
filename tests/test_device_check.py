"""scripts/device_check.sh: on a machine without an NVIDIA GPU (this one) it says so in one line, exit 0."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from helpers import REPO

pytestmark = pytest.mark.subprocess  # every test here starts processes


def _has_gpu() -> bool:
    smi = shutil.which("nvidia-smi")
    return bool(smi) and "GPU " in subprocess.run([smi, "-L"], capture_output=True, text=True).stdout


@pytest.mark.skipif(_has_gpu(), reason="an NVIDIA GPU is present: run `make device-check` instead")
def test_without_a_gpu_it_says_so_in_one_line(tmp_path):
    before = sorted(p.name for p in REPO.iterdir())
    r = subprocess.run(["bash", str(REPO / "scripts" / "device_check.sh"), "--out", str(tmp_path / "c.json"),
                        "--venv", str(tmp_path / "venv")],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout == "device_check: no NVIDIA GPU on this machine (no nvidia-smi, or it lists no GPU): nothing to check\n"
    # nothing was installed: no venv, no report, nothing new in the checkout
    assert not (tmp_path / "c.json").exists() and sorted(p.name for p in REPO.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_gpu_half_loads_and_knows_its_options():
    """The part that only a GPU machine runs at least parses, and finds the PyTorch pin it installs."""
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "device_check.py"), "--help"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--budget" in r.stdout and "--out" in r.stdout
