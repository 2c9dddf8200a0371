"""A hostile but ordinary user: each class of the round-3 reliability issue as tests (what mindgan may
write and delete, links, unbounded inputs, hand-edited run files). Each test states what must hold:
a one-line MindganError naming the file, and the user's files byte for byte as they were."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import mindgan
from helpers import REPO
from mindgan import config, runfolder, writes
from mindgan.errors import MindganError
from mindgan.hooks import Hook

QUICK = dict(epochs=2, batch_size=64, grid_rows=2, grid_cols=2, ckpt_every=1, progress=False)


def snapshot(folder):
    """Every file (links too) with its content hash: what 'nothing lost' means."""
    from mindgan.files import sha256

    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.name == runfolder.LOCK:
            continue
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = sha256(p)
    return out


@pytest.fixture(scope="module")
def base_run(tmp_path_factory, tiny_mnist):
    out = tmp_path_factory.mktemp("hostile") / "base"
    mindgan.train("gan", out, data=str(tiny_mnist), **QUICK)
    return out


@pytest.fixture
def run(base_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(base_run, out, symlinks=True)
    return out


class StopAfter(Hook):
    """Acts like Ctrl-C after `n` steps (the loop's own signal path: checkpoint, then stop)."""

    def __init__(self, n):
        self.n = n

    def steps(self, trainer, rows):
        if trainer.state.step >= self.n:
            trainer._signal = signal.SIGINT


# --- data loss: --overwrite --------------------------------------------------------------------------
@pytest.mark.trains
def test_overwrite_interrupted_mid_epoch_restores_the_old_run(run, tiny_mnist):
    """Ctrl-C a few steps into the new run writes a mid-epoch checkpoint: not a reason to drop the old run."""
    before = snapshot(run)
    summary = mindgan.train("gan", run, data=str(tiny_mnist), overwrite=True, hooks=[StopAfter(1)],
                            **{**QUICK, "steps_per_call": 1})
    assert summary["stopped"]
    assert snapshot(run) == before and not (run / runfolder.ASIDE).exists()


@pytest.mark.trains
def test_overwrite_killed_early_is_restored_by_the_next_command(run, tiny_mnist, capsys):
    """A SIGKILLed --overwrite leaves the old run in .replaced/: the next --overwrite or --resume brings
    it back (named in a line) instead of deleting it."""
    before = snapshot(run)
    aside = run / runfolder.ASIDE
    aside.mkdir()
    for p in list(run.iterdir()):
        if p.name != runfolder.ASIDE:
            os.replace(p, aside / p.name)
    (run / "config.yaml").write_text("model: gan\n")  # what the killed new run had written
    (run / "losses.csv").write_text("epoch,step,loss_d,loss_g\n")
    mindgan.train("gan", run, data=str(tiny_mnist), resume=True, **QUICK)  # epoch 2 of 2: nothing to do
    assert "is restored" in capsys.readouterr().out
    assert snapshot(run) == before and not aside.exists()


@pytest.mark.trains
def test_overwrite_refuses_a_users_file_inside_images(run, tiny_mnist):
    (run / "images" / "holiday.jpg").write_bytes(b"\xff\xd8 my photo")
    before = snapshot(run)
    with pytest.raises(MindganError, match="images/holiday.jpg"):
        mindgan.train("gan", run, data=str(tiny_mnist), overwrite=True, **QUICK)
    assert snapshot(run) == before


def test_a_folder_of_the_users_with_run_names_is_refused(tmp_path, tiny_mnist):
    mine = tmp_path / "mine"
    (mine / "images").mkdir(parents=True)
    (mine / "images" / "cat.png").write_bytes(b"cat")
    (mine / "losses.csv").write_text("my,own\n1,2\n")
    (mine / "progress.gif").write_bytes(b"GIF89a")
    before = snapshot(mine)
    with pytest.raises(MindganError, match="not a run folder"):
        mindgan.train("gan", mine, data=str(tiny_mnist), **QUICK)
    assert snapshot(mine) == before


def test_out_inside_the_data_is_refused(tmp_path):
    from helpers import digit_images
    from PIL import Image

    data = tmp_path / "faces"
    (data / "a").mkdir(parents=True)
    for i, img in enumerate(digit_images(8)[0]):
        Image.fromarray(img).save(data / "a" / f"{i}.png")
    before = snapshot(data)
    for out in (data, data / "run", data / "a" / "run"):
        with pytest.raises(MindganError, match="inside the training data"):
            mindgan.train("dcgan", out, data=str(data), **{**QUICK, "batch_size": 4, "image_size": 16, "channels": 1})
    assert snapshot(data) == before


@pytest.mark.trains
def test_retention_never_prunes_a_checkpoint_the_run_did_not_write(run, tiny_mnist):
    ck = run / "checkpoints"
    shutil.copy(ck / "gan_e0001.ckpt", ck / "gan_best.ckpt")
    shutil.copy(ck / "gan_e0001.json", ck / "gan_best.json")
    mindgan.train("gan", run, data=str(tiny_mnist), resume=True, **{**QUICK, "epochs": 4, "keep_checkpoint_max": 1})
    names = sorted(p.name for p in ck.glob("*.ckpt"))
    assert names == ["gan_best.ckpt", "gan_e0004.ckpt"]
    assert (ck / "gan_best.json").is_file()


# --- writes through links ------------------------------------------------------------------------------
@pytest.mark.trains
def test_a_lock_that_is_a_link_is_refused_and_its_target_kept(run, tmp_path, tiny_mnist):
    victim = tmp_path / "precious.txt"
    victim.write_text("my thesis")
    (run / ".lock").symlink_to(victim)
    with pytest.raises(MindganError, match="symbolic link"):
        mindgan.train("gan", run, data=str(tiny_mnist), resume=True, **{**QUICK, "epochs": 3})
    assert victim.read_text() == "my thesis"


@pytest.mark.trains
@pytest.mark.parametrize("name", ["losses.csv", "fixed_noise.npy", "images", "checkpoints/gan_e0003.ckpt"])
def test_no_run_file_is_written_through_a_link(run, tmp_path, tiny_mnist, name):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    target = run / name
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    target.symlink_to(victim / ("keep.txt" if "." in name else ""))
    with pytest.raises(MindganError, match="symbolic link"):
        mindgan.train("gan", run, data=str(tiny_mnist), resume=True, **{**QUICK, "epochs": 3})
    assert (victim / "keep.txt").read_text() == "mine" and len(list(victim.iterdir())) == 1


# --- unbounded inputs ----------------------------------------------------------------------------------
def test_yaml_aliases_in_a_recipe_are_refused_quickly(tmp_path):
    laughs = "model: gan\nmodel_args:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  {c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi"))
    recipe = tmp_path / "laughs.yaml"
    recipe.write_text(laughs)
    with pytest.raises(MindganError, match="aliases") as err:
        config.load(path=recipe)
    assert len(str(err.value)) < 300


def test_a_huge_value_in_a_recipe_gives_a_short_message(tmp_path):
    recipe = tmp_path / "big.yaml"
    recipe.write_text("model: gan\nbatch_size: [" + ", ".join(["1"] * 100000) + "]\n")
    with pytest.raises(MindganError) as err:
        config.load(path=recipe)
    assert len(str(err.value)) < 400


def test_a_recipe_that_is_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "recipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(MindganError, match="FIFO"):
        config.load(path=fifo)


@pytest.mark.trains
def test_a_checkpoint_that_is_a_fifo_is_passed_over_on_resume(run, tiny_mnist, capsys):
    os.mkfifo(run / "checkpoints" / "gan_e0009.ckpt")
    (run / "checkpoints" / "gan_e0009.json").write_text(
        (run / "checkpoints" / "gan_e0002.json").read_text())
    summary = mindgan.train("gan", run, data=str(tiny_mnist), resume=True, **QUICK)  # 2 of 2: nothing to do
    assert summary.get("done_already") and summary["epoch"] == 2


# --- hand-edited run files on --resume: one line naming the file -----------------------------------------
def _pickled(path):
    with open(path, "wb") as f:
        pickle.dump({"x": 1}, f)


@pytest.mark.parametrize("name,damage", [
    ("fixed_noise.npy", _pickled),
    ("fixed_noise.npy", lambda p: p.write_text("not numbers")),
    ("fixed_noise.npy", lambda p: np.save(p, np.zeros((3, 7), np.float32))),
    ("losses.csv", lambda p: p.write_bytes(b"\x00\xff\xfe binary \x80")),
    ("losses.csv", lambda p: p.write_text("when,what\n1,2\n")),
    ("config.yaml", lambda p: p.write_text("")),
])
@pytest.mark.trains
def test_hand_edited_run_files_are_one_line(run, tiny_mnist, name, damage):
    damage(run / name)
    before = snapshot(run)
    with pytest.raises(MindganError, match=name.replace(".", r"\.")) as err:
        mindgan.train("gan", run, data=str(tiny_mnist), resume=True, **{**QUICK, "epochs": 3})
    assert "\n" not in str(err.value) and len(str(err.value)) < 400
    assert snapshot(run) == before


@pytest.mark.trains
@pytest.mark.parametrize("value", [-3, "2", [1], 1.5, True, 10**30])
def test_a_checkpoint_json_with_a_bad_epoch_is_one_line(run, tiny_mnist, value):
    for side in (run / "checkpoints").glob("*.json"):
        meta = json.loads(side.read_text())
        meta["epoch"] = value
        side.write_text(json.dumps(meta))
    with pytest.raises(MindganError, match="epoch must be a whole number") as err:
        mindgan.train("gan", run, data=str(tiny_mnist), resume=True, **{**QUICK, "epochs": 3})
    assert "restore" in str(err.value)


@pytest.mark.trains
def test_only_the_json_replaced_says_so_not_all_damaged(run, tiny_mnist):
    for side in (run / "checkpoints").glob("*.json"):
        side.write_text("[]")
    with pytest.raises(MindganError) as err:
        mindgan.train("gan", run, data=str(tiny_mnist), resume=True, **{**QUICK, "epochs": 3})
    assert "all damaged" not in str(err.value) and ".json" in str(err.value)


# --- SIGHUP and a real SIGKILL --------------------------------------------------------------------------
def _train_cmd(out, data, *extra):
    return [sys.executable, "-m", "mindgan.train", "--model", "gan", "--data", str(data), "--out", str(out),
            "--batch-size", "8", "--no-progress", *map(str, extra)]


@pytest.mark.subprocess
def test_sighup_is_handled_like_sigterm(tmp_path, tiny_mnist):
    out = tmp_path / "run"
    proc = subprocess.Popen(_train_cmd(out, tiny_mnist, "--epochs", "40", "--ckpt-every", "100"), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    for line in proc.stdout:
        if line.startswith("epoch    1/40"):
            break
    proc.send_signal(signal.SIGHUP)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted (SIGHUP)" in stdout
    assert list((out / "checkpoints").glob("gan_e*.ckpt"))


@pytest.mark.trains
@pytest.mark.subprocess
def test_a_sigkilled_overwrite_loses_nothing(run, tiny_mnist):
    before = snapshot(run)
    proc = subprocess.Popen(_train_cmd(run, tiny_mnist, "--epochs", "40", "--overwrite"), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    for line in proc.stdout:
        if "kept in" in line:
            break
    time.sleep(1)
    proc.kill()
    proc.communicate(timeout=60)
    assert (run / runfolder.ASIDE).is_dir()
    # a second --overwrite must not delete it: it is restored first, then set aside again
    again = subprocess.run(_train_cmd(run, tiny_mnist, "--epochs", "1", "--batch-size", "64", "--max-steps", "1",
                                      "--overwrite", "--ema", "0.5"),
                           cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "is restored" in again.stdout
    assert not (run / runfolder.ASIDE).exists() and snapshot(run) != before  # replaced, after a full epoch


# --- generate / export / evaluate write only what they wrote -------------------------------------------
@pytest.fixture(scope="module")
def ckpt(base_run):
    return base_run / "checkpoints" / "gan_e0002.ckpt"


def _cli(module, *argv):
    import importlib

    main = importlib.import_module(f"mindgan.cli.{module}").main
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in argv])
    return done.value.code


@pytest.mark.trains
def test_generate_never_replaces_a_users_files_without_force(ckpt, tmp_path, capsys):
    out = tmp_path / "mine"
    (out / "images").mkdir(parents=True)
    (out / "grid.png").write_bytes(b"my grid")
    (out / "images" / "0001.png").write_bytes(b"my picture")
    before = snapshot(out)
    assert _cli("generate", "--ckpt", ckpt, "--out", out, "--device", "CPU") == 2
    assert "--force" in capsys.readouterr().err and snapshot(out) == before
    (out / "grid.png").unlink()
    assert _cli("generate", "--ckpt", ckpt, "--out", out, "--device", "CPU") == 2  # images/0001.png
    assert snapshot(out) == {"images/0001.png": before["images/0001.png"]}
    from mindgan.cli.generate import main

    assert main(["--ckpt", str(ckpt), "--out", str(out), "--device", "CPU", "--force"]) == 0
    assert main(["--ckpt", str(ckpt), "--out", str(out), "--device", "CPU", "--num", "2"]) == 0  # its own files now


@pytest.mark.trains
def test_export_never_replaces_a_users_file_or_writes_through_a_link(ckpt, tmp_path, capsys):
    mine = tmp_path / "mine.mindir"
    mine.write_bytes(b"mine")
    mine.chmod(0o444)
    assert _cli("export", "--ckpt", ckpt, "--out", mine, "--device", "CPU") == 2
    assert mine.read_bytes() == b"mine" and "--force" in capsys.readouterr().err
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (tmp_path / "link.mindir").symlink_to(victim)
    assert _cli("export", "--ckpt", ckpt, "--out", tmp_path / "link.mindir", "--force", "--device", "CPU") == 2
    assert victim.read_text() == "keep"
    loop = tmp_path / "loop.mindir"
    loop.symlink_to(loop)
    assert _cli("export", "--ckpt", ckpt, "--out", loop, "--device", "CPU") == 2
    assert _cli("export", "--ckpt", ckpt, "--out", str(tmp_path / "dir") + "/", "--device", "CPU") == 2
    assert "ends with a slash" in capsys.readouterr().err and not (tmp_path / "dir").exists()
    assert _cli("export", "--ckpt", ckpt, "--batch", 100000000, "--out", tmp_path / "b.mindir") == 2


@pytest.mark.trains
def test_evaluate_json_target_is_beside_a_checkpoint_outside_a_run(tmp_path, base_run):
    from mindgan.metrics.evaluation import check_json_target, json_target

    (tmp_path / "mymodels").mkdir()
    assert json_target(ckpt=tmp_path / "mymodels" / "x.ckpt") == (tmp_path / "mymodels" / "evaluation_x.json").resolve()
    assert json_target(ckpt=base_run / "checkpoints" / "gan_e0001.ckpt") == base_run.resolve() / "evaluation_gan_e0001.json"
    (tmp_path / "evaluation.json").write_text("my notes")
    with pytest.raises(MindganError, match="--force"):
        check_json_target(samples=tmp_path)
    check_json_target(samples=tmp_path, force=True)
    assert (tmp_path / "evaluation.json").read_text() == "my notes"  # the check writes nothing


def test_seeds_are_checked_before_any_work():
    assert _cli("generate", "--ckpt", "x.ckpt", "--seed", "-5") == 2
    assert _cli("evaluate", "--ckpt", "x.ckpt", "--seed", "-1") == 2


@pytest.mark.parametrize("value", ["-1", "nan", "11"])
@pytest.mark.parametrize("command", ["generate", "evaluate"])
def test_truncation_is_checked_before_any_work(tmp_path, capsys, command, value):
    assert _cli(command, "--ckpt", tmp_path / "missing.ckpt", "--truncation", value) == 2
    err = capsys.readouterr().err
    assert "--truncation must be between 0 (off) and 10" in err and "missing" not in err


def test_a_fifo_given_as_samples_or_checkpoint_is_one_line(tmp_path, capsys):
    fifo = tmp_path / "x.npy"
    os.mkfifo(fifo)
    assert _cli("evaluate", "--samples", fifo) == 2
    assert "FIFO" in capsys.readouterr().err
    assert _cli("generate", "--ckpt", fifo, "--model", "gan", "--out", tmp_path / "g") == 2
    assert "FIFO" in capsys.readouterr().err and not (tmp_path / "g").exists()


# --- the API checks its inputs --------------------------------------------------------------------------
@pytest.mark.trains
def test_the_api_refuses_wrong_inputs_in_one_line(ckpt, tiny_mnist):
    gan, _ = mindgan.load_generator(ckpt)
    for bad in (np.zeros((4, 7), np.float32), np.zeros(100, np.float32)):
        with pytest.raises(MindganError, match="z has shape"):
            gan.sample(bad)
    with pytest.raises(MindganError, match="num must be"):
        gan.noise(-3, 0)
    with pytest.raises(MindganError, match="lacks"):
        mindgan.build_dataset({}, gan)
    cfg = config.load(model="cgan", overrides={"data": str(tiny_mnist)})
    cgan = mindgan.create_model(cfg)
    z = cgan.noise(3, 0)
    for labels in ([0, 1, 12], [0, 1, -1], [1]):
        with pytest.raises(MindganError, match="labels"):
            cgan.sample(z, labels)


@pytest.mark.parametrize("model,args,words", [
    ("gan", {"g_hidden": [1000000, 1000000]}, "from 1 to 16384"),
    ("gan", {"g_hidden": []}, "non-empty list of integers"),
    ("dcgan", {"ngf": 5000}, "at most 1024"),
])
def test_model_args_are_bounded_before_anything_is_built(model, args, words):
    with pytest.raises(MindganError, match=words):
        config.load(model=model, overrides={"model_args": args})


# --- unbounded: launch logs, workers ---------------------------------------------------------------------
def test_launch_keeps_the_logs_of_the_last_few_jobs_only(tmp_path):
    from mindgan import msrun

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "earlier_mine").mkdir()
    (logs / "earlier_mine" / "notes.txt").write_text("not a log: never pruned")
    for job in range(msrun.KEEP_JOBS + 4):
        (logs / "worker_0.log").write_text(f"job {job}")
        os.utime(logs / "worker_0.log", (1000 + job, 1000 + job))
        msrun.set_aside_old_logs(logs)
    kept = sorted(p.name for p in logs.glob("earlier_*") if p.name != "earlier_mine")
    assert len(kept) == msrun.KEEP_JOBS and (logs / "earlier_mine" / "notes.txt").is_file()
    assert {(logs / k / "worker_0.log").read_text() for k in kept} == {f"job {j}" for j in range(4, 9)}


@pytest.mark.trains
@pytest.mark.parametrize("workers", [3, 256])
def test_num_workers_in_the_documented_range_trains(tmp_path, tiny_mnist, workers):
    summary = mindgan.train("gan", tmp_path / "run", data=str(tiny_mnist), num_workers=workers,
                            **{**QUICK, "epochs": 1, "max_steps": 1})
    assert summary["step"] == 1


# --- misleading messages ---------------------------------------------------------------------------------
def test_fid_of_a_few_images_warns():
    from mindgan.metrics.report import table

    res = {"kind": "images", "fid_n": 2, "reference_n": 2, "fid": 0.3, "fid_floor": 0.2, "fid_references": {},
           "feature_space": "x", "reference": "y"}
    assert "warning: FID from N=2" in table(res)
    assert "warning" not in table({**res, "fid_n": 500})


def test_images_too_deep_are_named(tmp_path):
    from PIL import Image

    from mindgan.metrics.inputs import read_folder

    deep = tmp_path / "x" / "y" / "z"
    deep.mkdir(parents=True)
    for i in range(3):
        Image.new("L", (8, 8)).save(deep / f"{i}.png")
    with pytest.raises(MindganError, match=r"deeper than one sub-folder .*x/y/z/0.png"):
        read_folder(tmp_path)


@pytest.mark.subprocess
def test_run_notebooks_set_without_equals_is_refused():
    proc = subprocess.run([sys.executable, "notebooks/run_notebooks.py", "--set", "garbage"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "NAME=VALUE" in proc.stderr


@pytest.mark.trains
def test_an_edited_export_json_is_one_line_and_makes_no_folder(ckpt, tmp_path):
    from mindgan.exporting import export

    f = export(ckpt, "MINDIR", out=tmp_path / "g.mindir")
    side = tmp_path / "g.mindir.json"
    good = json.loads(side.read_text())
    for edit in ({"value_range": "bogus"}, {"inputs": [{"name": "z", "shape": [None, 64]}]},
                 {"outputs": [{"name": "images", "shape": [None, 3, 8, 8]}]}):
        side.write_text(json.dumps({**good, **edit}))
        assert _cli("generate", "--model-file", f, "--out", tmp_path / "out", "--device", "CPU") == 2
        assert not (tmp_path / "out").exists()


@pytest.mark.trains
def test_a_feature_net_at_chance_is_refused_and_not_cached(tmp_path):
    """Identical images in two class folders: the net cannot beat chance, so no FID may be built on it."""
    from PIL import Image

    from mindgan.metrics import classifier, featnet

    pic = Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16), dtype=np.uint8))
    for c in ("a", "b"):
        (tmp_path / "real" / c).mkdir(parents=True)
        for i in range(8):
            pic.save(tmp_path / "real" / c / f"{i}.png")
    with pytest.raises(MindganError, match="no better than chance"):
        featnet.load_or_train(tmp_path / "real", "same-pictures", (1, 16, 16), quiet=True)
    cached = classifier.cache_dir("same-pictures")
    assert not cached.exists() or not list(cached.iterdir())


def test_precision_and_recall_of_two_images_are_left_out_not_a_traceback():
    from mindgan.metrics import manifold

    two = np.random.default_rng(0).random((2, 8))
    assert manifold.all_four(two, two) == {"precision": None, "recall": None, "density": None, "coverage": None}
    assert manifold.all_four(np.random.default_rng(1).random((20, 8)), np.random.default_rng(2).random((20, 8)))["recall"] is not None


def test_the_feature_net_leaves_out_what_bad_images_skip_leaves_out(tmp_path):
    """--bad-images skip: the --eval-every feature net reads the files training reads, not the one it skipped."""
    from PIL import Image

    from mindgan.metrics import featnet

    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        for i in range(3):
            Image.new("L", (16, 16), 40 * i).save(tmp_path / c / f"{i}.png")
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png")
    Image.new("L", (4, 4)).save(tmp_path / "b" / "tiny.png")
    names = {f.name for f in featnet.labelled_files(tmp_path, "skip", (1, 16, 16))[0]}
    assert "broken.png" not in names and "tiny.png" not in names and len(names) == 3
    assert len(featnet.labelled_files(tmp_path)[0]) == 8  # "error": every file, the first bad one named later
