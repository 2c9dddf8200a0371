"""Run folders: nothing a user asks for loses a run. Each test lists the files and counts the loss rows
before and after."""
from __future__ import annotations

import os
import shutil
import time

import pytest
import yaml

import mindgan
from helpers import run_cli
from mindgan import config, runfolder
from mindgan.errors import MindganError
from mindgan.hooks import Hook

QUICK = dict(epochs=2, batch_size=64, grid_rows=2, grid_cols=2, ckpt_every=1, progress=False)


@pytest.fixture(scope="module")
def base_run(tmp_path_factory, tiny_mnist):
    out = tmp_path_factory.mktemp("runs") / "base"
    mindgan.train("gan", out, data=str(tiny_mnist), **QUICK)
    return out


@pytest.fixture
def run(base_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(base_run, out)
    return out


def snapshot(out):
    """Every file with its size and content hash: what 'nothing lost' means."""
    from mindgan.files import sha256

    return {str(p.relative_to(out)): sha256(p) for p in sorted(out.rglob("*")) if p.is_file() and p.name != ".lock"}


def rows(out):
    return len((out / "losses.csv").read_text().splitlines()) - 1


@pytest.mark.trains
def test_overwrite_refuses_a_folder_with_other_files(run, tiny_mnist):
    (run / "my_notes.txt").write_text("mine")
    before = snapshot(run)
    with pytest.raises(MindganError, match="my_notes.txt"):
        mindgan.train("gan", run, data=str(tiny_mnist), overwrite=True, **QUICK)
    assert snapshot(run) == before


class Boom(Hook):
    def start(self, trainer):
        raise MindganError("boom")


@pytest.mark.trains
def test_overwrite_restores_the_old_run_when_the_new_one_fails_early(run, tiny_mnist):
    before = snapshot(run)
    with pytest.raises(MindganError, match="boom"):
        mindgan.train("gan", run, data=str(tiny_mnist), overwrite=True, hooks=[Boom()], **QUICK)
    assert snapshot(run) == before and not (run / runfolder.ASIDE).exists()


@pytest.mark.trains
def test_overwrite_replaces_the_run_after_its_first_checkpoint(run, tiny_mnist):
    mindgan.train("gan", run, data=str(tiny_mnist), overwrite=True, **{**QUICK, "epochs": 1})
    assert rows(run) == 4 and not (run / runfolder.ASIDE).exists()
    assert sorted(p.name for p in (run / "checkpoints").glob("*.ckpt")) == ["gan_e0001.ckpt"]


@pytest.mark.trains
def test_resume_with_another_model_changes_nothing(run, tiny_mnist):
    before = snapshot(run)
    with pytest.raises(MindganError, match="cannot change model"):
        mindgan.train("minimal", run, data=str(tiny_mnist), resume=True, progress=False)
    assert snapshot(run) == before


@pytest.mark.trains
def test_resume_with_only_damaged_checkpoints_is_an_error(run, tiny_mnist):
    for ckpt in (run / "checkpoints").glob("*.ckpt"):
        ckpt.write_bytes(ckpt.read_bytes()[:300])
    before = snapshot(run)
    with pytest.raises(MindganError, match=r"no usable checkpoint .* do not match the sha256"):
        mindgan.train("gan", run, resume=True, progress=False)
    assert snapshot(run) == before and rows(run) == 8


@pytest.mark.trains
def test_newest_checkpoint_is_by_epoch_and_step_not_file_time(run, tiny_mnist):
    old = run / "checkpoints" / "gan_e0001.ckpt"
    now = time.time() + 100
    os.utime(old, (now, now))  # a careless copy or `touch`
    summary = mindgan.train("gan", run, resume=True, epochs=3, progress=False)
    assert rows(run) == 12 and summary["step"] == 12  # continued from epoch 2, not 1
    names = sorted(p.name for p in (run / "checkpoints").glob("*.ckpt"))
    assert names == ["gan_e0001.ckpt", "gan_e0002.ckpt", "gan_e0003.ckpt"]


@pytest.mark.trains
def test_keep_checkpoint_max_keeps_the_newest(run):
    mindgan.train("gan", run, resume=True, epochs=4, keep_checkpoint_max=2, progress=False)
    assert sorted(p.name for p in (run / "checkpoints").glob("*.ckpt")) == ["gan_e0003.ckpt", "gan_e0004.ckpt"]


@pytest.mark.trains
def test_a_refused_resume_leaves_the_recorded_recipe(run):
    recipe = (run / "config.yaml").read_bytes()
    with pytest.raises(MindganError, match=r"cannot change latent_size \(100 -> 50\)"):
        mindgan.train("gan", run, resume=True, latent_size=50, progress=False)
    assert (run / "config.yaml").read_bytes() == recipe
    mindgan.train("gan", run, resume=True, epochs=3, progress=False)  # a plain resume still works
    assert rows(run) == 12 and "epochs: 3" in (run / "config.yaml").read_text()


def test_resume_takes_the_same_model_argument_flags_as_the_run_it_continues(tmp_path):
    """`--set model_args.ndf=16` again with --resume (the same command, as an interrupted run says to use)
    merges into the recorded arguments as it did at the start; another value is refused."""
    from mindgan.api import resume_config

    recorded = config.load("wgan_gp", overrides={"model_args": {"ndf": 16}})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(recorded))
    cfg = resume_config(tmp_path, {"model_args": {"ndf": 16}, "epochs": 30})
    assert cfg["model_args"] == {"ngf": 32, "ndf": 16} and cfg["epochs"] == 30
    with pytest.raises(MindganError, match=r"cannot change model_args \(.*'ndf': 16.* -> .*'ndf': 8"):
        resume_config(tmp_path, {"model_args": {"ndf": 8}})


@pytest.mark.trains
def test_a_run_folder_in_use_is_refused_with_the_holders_pid(run):
    with runfolder.RunFolder(run):
        with pytest.raises(MindganError, match=rf"in use by another training \(pid {os.getpid()}\)"):
            mindgan.train("gan", run, resume=True, epochs=3, progress=False)
    (run / ".lock").write_text("999999")  # left by a killed run: the kernel released its lock
    mindgan.train("gan", run, resume=True, epochs=3, progress=False)
    assert rows(run) == 12


@pytest.mark.trains
@pytest.mark.subprocess
def test_cli_resume_of_a_finished_run_says_so(run):
    proc = run_cli("mindgan.train", "--out", run, "--resume", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "nothing to do" in proc.stdout and "gan_e0002.ckpt" in proc.stdout and "None" not in proc.stdout


@pytest.mark.subprocess
@pytest.mark.parametrize("args,needle", [
    (["--resume", "--overwrite"], "contradict"),
    (["--keep-checkpoint-max", "0"], "'keep_checkpoint_max' must be between 1"),
    (["--steps-per-call", "-1"], "'steps_per_call' must be between 1"),
    (["--set", "lr_g=[1, 2"], "not valid YAML"),
])
@pytest.mark.trains
def test_cli_refuses_before_writing(run, args, needle):
    before = snapshot(run)
    proc = run_cli("mindgan.train", "--out", run, "--no-progress", *args)
    err = proc.stderr.strip()
    assert proc.returncode == 2 and err.startswith("error: ") and needle in err and "Traceback" not in err, err
    assert snapshot(run) == before


@pytest.mark.subprocess
def test_cli_out_that_is_a_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    proc = run_cli("mindgan.train", "--out", f, "--epochs", "1")
    assert proc.returncode == 2 and "is a file, not a folder" in proc.stderr


@pytest.mark.trains
def test_a_half_written_last_loss_row_is_dropped_on_resume(run):
    with open(run / "losses.csv", "a") as f:
        f.write("3,9,0.5")  # a kill in the middle of a line
    mindgan.train("gan", run, resume=True, epochs=3, progress=False)
    lines = (run / "losses.csv").read_text().splitlines()
    assert len(lines) == 13 and [int(r.split(",")[1]) for r in lines[1:]] == list(range(1, 13))


@pytest.mark.subprocess
def test_cli_over_long_out_is_one_line(tmp_path):
    proc = run_cli("mindgan.train", "--out", tmp_path / ("x" * 300), "--epochs", "1")
    assert proc.returncode == 2 and "too long a path" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.trains
def test_overwrite_through_a_symlinked_out(run, tmp_path, tiny_mnist):
    link = tmp_path / "link"
    link.symlink_to(run, target_is_directory=True)
    mindgan.train("gan", link, data=str(tiny_mnist), overwrite=True, **{**QUICK, "epochs": 1})
    assert link.is_symlink() and rows(run) == 4 and not (run / runfolder.ASIDE).exists()
