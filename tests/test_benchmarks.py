"""The benchmark tools print real figures: compare.py's JSON and README table, profile_step.py's tables."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers import REPO

pytestmark = pytest.mark.subprocess  # every test here starts processes



def script(name: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "benchmarks" / name), *map(str, args)],
                          capture_output=True, text=True, cwd=REPO, timeout=600)


def test_compare_writes_json_and_the_readme_table(tmp_path):
    out = tmp_path / "gan.json"
    r = script("compare.py", "--model", "gan", "--variants", "mindgan", "--batch-size", "32", "--steps", "8",
               "--warmup", "0", "--json", out)
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(out.read_text())
    ours = data["ms_per_step"]["mindgan"]
    assert ours["ms"] > 0 and ours["compile_s"] > 0 and ours["steps_per_call"] == 8
    assert data["cpu"] and data["date"] and data["mindspore"]
    table = script("compare.py", "--table", out).stdout
    row = next(line for line in table.splitlines() if line.startswith("| `gan`"))
    assert f"{ours['ms']:,.1f} ms" in row and f"{ours['compile_s']:.1f} s" in row
    assert data["cpu"] in table and data["date"] in table  # the machine and the date the figures belong to


def test_profile_step_accounts_for_the_step(tmp_path):
    r = script("profile_step.py", "--model", "gan", "--batch-size", "32", "--calls", "2",
               "--parts", "mindspore,onednn-ms", "--out", tmp_path / "gan.md")
    assert r.returncode == 0, r.stderr[-2000:]
    text = (tmp_path / "gan.md").read_text()
    cells = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in text.splitlines()
             if line.startswith("| ") and line.count("|") == 4 and not line.startswith(("| where", "| ---"))}
    assert float(cells["matmul"]) > 0 and float(cells["convolution"]) == 0  # an MLP: matmuls, no convolutions
    wall = float(cells["**step, wall (profiler on)**"].strip("*"))
    assert 0 < sum(float(cells[k].split()[0]) for k in cells if not k.startswith("**")) <= wall * 1.01
    onednn = text.split("oneDNN primitives under MindSpore", 1)[1]
    assert "| matmul |" in onednn and "gemm" in onednn  # oneDNN's own names for what ran

