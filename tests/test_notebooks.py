"""Every companion notebook runs top to bottom (headless, nbclient + ipykernel) at short settings."""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, digit_images
from mindgan.data import idx
from test_dcgan import write_mixed

sys.path.insert(0, str(REPO / "notebooks"))
from run_notebooks import execute  # noqa: E402

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))


def test_one_notebook_per_seed_tutorial():
    seeds = sorted(nbformat.read(p, 4).metadata["mindgan"]["seed"] for p in NOTEBOOKS)
    assert seeds == ["000", "001", "002", "003", "004"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch, isolated_cache):
    monkeypatch.setenv("MINDGAN_DATA", str(isolated_cache))  # the kernel inherits it
    if nbformat.read(path, 4).metadata["mindgan"]["model"] == "dcgan":
        data = tmp_path / "images"
        write_mixed(data / "c", n=24, size=(40, 40))
    else:
        data = tmp_path / "digits"
        idx.write_split(data, "train", *digit_images(128, 0))
        idx.write_split(data, "test", *digit_images(64, 1))
    params = {"EPOCHS": 1, "MAX_STEPS": 2, "BATCH_SIZE": 8, "DATA": str(data), "EVAL_NUM": 20,
              "OUT": str(tmp_path / "run"), "DEVICE": "CPU"}
    execute(path, params, tmp_path / path.name, timeout=600, cwd=tmp_path)  # raises on any cell error
    nb = nbformat.read(tmp_path / path.name, 4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4  # data, grids, curve, inference
    text = "".join(o.get("text", "") for o in outputs)
    assert "same images after save and load: True" in text and "FID" in text
    assert (tmp_path / "run" / "loss_curve.png").is_file()
