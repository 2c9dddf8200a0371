"""The pure-Python core, each rule by itself and at its edges: config (schema, YAML, overrides),
checkpoint (atomic pair, metadata, hashes, retention, newest complete), run folder (refusals, lock,
overwrite), files (atomic write, sha256) and the FID maths. No training: a checkpoint here holds one
small Dense layer. These are the tests `make mutation` judges mutants of those modules by."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from mindgan import checkpoint, config, files, runfolder
from mindgan.errors import MindganError
from mindgan.metrics import fid as F
from mindgan.models import list_models

# --- config ---------------------------------------------------------------------------------------


def test_defaults_are_fresh_copies():
    a = config.defaults()
    a["model_args"]["ngf"] = 3
    assert config.defaults()["model_args"] == {} and a["batch_size"] == config.SCHEMA["batch_size"].default


@pytest.mark.parametrize("key", ["batch_size", "lr_g", "beta1", "seed", "steps_per_call", "real_label"])
def test_bounds_are_inclusive_and_checked_on_both_sides(key):
    spec = config.SCHEMA[key]
    step = 1 if spec.type is int else 1e-6
    assert config.validate({key: spec.type(spec.min)}, "t")[key] == spec.min
    assert config.validate({key: spec.type(spec.max)}, "t")[key] == spec.max
    for bad in (spec.min - step, spec.max + step):
        with pytest.raises(MindganError, match=re.escape(f"t: key '{key}' must be between {spec.min:g} and {spec.max:g}, got")):
            config.validate({key: spec.type(bad)}, "t")


def test_types_ints_for_floats_bools_refused_choices_finite():
    out = config.validate({"lr_g": 1, "beta1": 0}, "t")
    assert out == {"lr_g": 1.0, "beta1": 0.0} and type(out["lr_g"]) is float
    with pytest.raises(MindganError, match=r"^t: key 'epochs' must be int, got bool \(True\)$"):
        config.validate({"epochs": True}, "t")
    with pytest.raises(MindganError, match=r"^t: key 'lr_g' must be float, got bool"):
        config.validate({"lr_g": True}, "t")
    with pytest.raises(MindganError, match=r"^t: key 'epochs' must be int, got float \(2.0\)$"):
        config.validate({"epochs": 2.0}, "t")
    with pytest.raises(MindganError, match=r"^t: key 'channels' must be one of 1, 3, got 2$"):
        config.validate({"channels": 2}, "t")
    for v in (float("nan"), float("inf")):
        with pytest.raises(MindganError, match=r"^t: key 'lr_d' must be a finite number"):
            config.validate({"lr_d": v}, "t")
    with pytest.raises(MindganError, match=r"^t: unknown key\(s\) batchsize, zz; valid keys: model, data, "):
        config.validate({"zz": 1, "batchsize": 2, "epochs": 1}, "t")
    assert config.validate({}, "t") == {}


def test_read_yaml_errors_say_where(tmp_path):
    with pytest.raises(MindganError, match=r"config file .*none.yaml does not exist"):
        config.read_yaml(tmp_path / "none.yaml")
    (tmp_path / "bad.yaml").write_text("model: gan\nepochs: [1, 2\n")
    with pytest.raises(MindganError, match=r"bad.yaml is not valid YAML at line 3, column 1: "):
        config.read_yaml(tmp_path / "bad.yaml")
    (tmp_path / "tab.yaml").write_text("model: gan\n\tepochs: 2\n")
    with pytest.raises(MindganError, match=r"not valid YAML at line 2, column 1: found character"):
        config.read_yaml(tmp_path / "tab.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(MindganError, match=r"list.yaml must hold a mapping of keys to values$"):
        config.read_yaml(tmp_path / "list.yaml")
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    assert config.read_yaml(tmp_path / "empty.yaml") == {}
    (tmp_path / "ok.yaml").write_text("epochs: 3\nlr_g: 1\n")
    assert config.read_yaml(tmp_path / "ok.yaml") == {"epochs": 3, "lr_g": 1.0}
    (tmp_path / "unknown.yaml").write_text("epocs: 3\n")
    with pytest.raises(MindganError, match=r"unknown.yaml: unknown key\(s\) epocs"):
        config.read_yaml(tmp_path / "unknown.yaml")


def test_load_layers_defaults_recipe_and_overrides(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("model: dcgan\nepochs: 7\nbatch_size: 16\nmodel_args: {ngf: 8, ndf: 8}\n")
    cfg = config.load(path=recipe, overrides={"batch_size": 4, "model_args": {"ndf": 4}})
    assert (cfg["model"], cfg["epochs"], cfg["batch_size"]) == ("dcgan", 7, 4)
    assert cfg["model_args"] == {"ngf": 8, "ndf": 4}  # merged key by key, not replaced
    assert cfg["seed"] == config.SCHEMA["seed"].default
    assert config.load(model="wgan_gp", path=recipe, overrides={"loss": "wgan_gp"})["model"] == "wgan_gp"  # the name wins
    assert config.load()["model"] == "gan" and config.load(model="cgan")["batch_size"] == 64  # its recipe


@pytest.mark.parametrize("recipe", sorted(p.name for p in config.CONFIG_DIR.glob("*.yaml")))
def test_every_shipped_recipe_loads_and_says_what_it_is(recipe):
    """Each recipe in configs/ (not only each model's default) passes the schema and the model's checks,
    and opens with a comment saying what it is: a learner picks a recipe by reading that header."""
    path = config.CONFIG_DIR / recipe
    cfg = config.load(path=path)
    assert cfg["model"] in list_models()
    assert path.read_text().startswith("# "), f"{recipe} has no header comment"


def test_check_refuses_zero_learning_rates():
    for key in ("lr_g", "lr_d"):
        cfg = config.load(model="gan")
        cfg[key] = 0.0
        with pytest.raises(MindganError, match=r"^learning rates must be above 0"):
            config.check(cfg)
    config.check(config.load(model="gan"))


def test_check_refuses_a_decaying_rate_for_adam_without_momentum():
    with pytest.raises(MindganError, match=r"^lr_decay needs beta1 above 0: .* use beta1 0.5, or lr_decay 0$"):
        config.load(model="wgan_gp", overrides={"lr_decay": 0.5, "beta1": 0.0})
    config.load(model="wgan_gp", overrides={"lr_decay": 0.5})
    config.load(model="wgan_gp", overrides={"lr_decay": 0.0, "beta1": 0.0})


def overrides(*argv) -> dict:
    parser = argparse.ArgumentParser()
    config.add_override_args(parser)
    return config.overrides_from_args(parser.parse_args(list(argv)))


def test_override_flags_and_set():
    assert overrides() == {}
    assert overrides("--batch-size", "8", "--lr-g", "0.5") == {"batch_size": 8, "lr_g": 0.5}
    assert overrides("--set", "model_args.ngf=32", "--set", "model_args.ndf=16", "--set", "epochs=3") == \
        {"model_args": {"ngf": 32, "ndf": 16}, "epochs": 3}
    assert overrides("--set", "model_args={ngf: 8}") == {"model_args": {"ngf": 8}}
    assert overrides("--set", "data=a=b") == {"data": "a=b"}  # the first '=' splits
    with pytest.raises(MindganError, match=r"^--set epochs: expected KEY=VALUE, e.g. --set epochs=5$"):
        overrides("--set", "epochs")
    with pytest.raises(MindganError, match=r"^--set 'lr_g=\[1, 2': the value is not valid YAML"):
        overrides("--set", "lr_g=[1, 2")
    with pytest.raises(SystemExit):  # model, data and dicts have no flag of their own
        overrides("--model-args", "x")


# --- files ----------------------------------------------------------------------------------------

def test_write_atomic_replaces_whole_and_leaves_no_temp(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old")
    files.write_atomic(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]

    def fails(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        files.write_atomic(target, fails)
    assert target.read_text() == "new"  # the old file stays whole


def test_sha256_of_a_file_larger_than_one_read(tmp_path):
    data = np.random.default_rng(0).bytes(3 * (1 << 20) + 17)
    (tmp_path / "big").write_bytes(data)
    assert files.sha256(tmp_path / "big") == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert files.sha256(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()


# --- checkpoint -----------------------------------------------------------------------------------

def dense(seed: int = 0, width: int = 3):
    import mindspore as ms
    from mindspore import nn

    ms.set_seed(seed)
    return nn.Dense(4, width)


def meta(epoch=1, step=8, batch_in_epoch=0, model="gan") -> dict:
    return {"model": model, "epoch": epoch, "step": step, "batch_in_epoch": batch_in_epoch, "config": {"model": model}}


def test_save_writes_the_pair_atomically_with_the_hash(tmp_path):
    path = tmp_path / "ck" / "gan_e0001.ckpt"  # the folder is made
    checkpoint.save(dense(), path, meta())
    side = json.loads(path.with_suffix(".json").read_text())
    assert side["sha256"] == files.sha256(path) and side["file"] == "gan_e0001.ckpt" and side["step"] == 8
    assert sorted(p.name for p in path.parent.iterdir()) == ["gan_e0001.ckpt", "gan_e0001.json"]
    assert checkpoint.is_complete(path) and checkpoint.read_meta(path)["epoch"] == 1
    params = checkpoint.load_params(path)
    assert sorted(params) == ["bias", "weight"]
    np.testing.assert_array_equal(params["weight"].asnumpy(), dense().weight.asnumpy())


def test_read_meta_refuses_what_is_not_a_checkpoints_metadata(tmp_path):
    path = tmp_path / "x.ckpt"
    path.write_bytes(b"x")
    with pytest.raises(MindganError, match=r"has no metadata file x.json beside it"):
        checkpoint.read_meta(path)
    for text, why in [("{", "is not valid JSON"), ("[]", "is not a mindgan checkpoint's metadata"),
                      (json.dumps({k: 1 for k in checkpoint.META_KEYS}), "is not a mindgan checkpoint's metadata")]:
        path.with_suffix(".json").write_text(text)
        with pytest.raises(MindganError, match=why):
            checkpoint.read_meta(path)
    for missing in checkpoint.META_KEYS:
        m = meta()
        m.pop(missing)
        path.with_suffix(".json").write_text(json.dumps(m))
        with pytest.raises(MindganError, match="needs model, epoch, step, batch_in_epoch, config"):
            checkpoint.read_meta(path)
    path.with_suffix(".json").write_bytes(b"\xff\xfe")
    with pytest.raises(MindganError, match=r"x.json is not text \(it holds binary bytes\)"):
        checkpoint.read_meta(path)


def test_load_params_checks_hash_then_crc(tmp_path):
    path = tmp_path / "a.ckpt"
    checkpoint.save(dense(), path, meta())
    with pytest.raises(MindganError, match=r"none.ckpt does not exist; give a \.ckpt file"):
        checkpoint.load_params(tmp_path / "none.ckpt")
    with pytest.raises(MindganError, match=r"is a folder"):
        checkpoint.load_params(tmp_path)
    good = path.read_bytes()
    path.write_bytes(good[:-40])
    assert not checkpoint.is_complete(path)
    with pytest.raises(MindganError, match=r"does not match the sha256 recorded in a.json"):
        checkpoint.load_params(path)
    with pytest.raises(MindganError, match=r"is not a readable MindSpore checkpoint"):
        checkpoint.load_params(path, verify=False)  # no hash check: MindSpore's CRC catches the cut
    side = json.loads(path.with_suffix(".json").read_text())
    side.pop("sha256")
    path.with_suffix(".json").write_text(json.dumps(side))
    with pytest.raises(MindganError, match=r"is not a readable MindSpore checkpoint"):
        checkpoint.load_params(path)
    assert not checkpoint.is_complete(path)  # no recorded hash: not complete
    path.write_bytes(good)
    assert sorted(checkpoint.load_params(path)) == ["bias", "weight"]
    path.with_suffix(".json").unlink()
    assert sorted(checkpoint.load_params(path)) == ["bias", "weight"]  # no sidecar: the CRC alone


def test_assign_by_exact_name_with_shape_and_dtype(tmp_path):
    import mindspore as ms

    src, dst = dense(1), dense(2)
    params = {p.name: p for p in src.get_parameters()}
    checkpoint.assign(dst.get_parameters(), params, "net", tmp_path / "p.ckpt")
    np.testing.assert_array_equal(dst.weight.asnumpy(), src.weight.asnumpy())
    with pytest.raises(MindganError, match=r"p.ckpt does not fit this net: 1 parameter\(s\) missing, e.g. bias"):
        checkpoint.assign(dst.get_parameters(), {"weight": params["weight"]}, "net", tmp_path / "p.ckpt")
    wide = {p.name: p for p in dense(3, width=5).get_parameters()}
    with pytest.raises(MindganError, match=r"does not fit this net: weight has shape \(5, 4\) in the file, \(3, 4\)"):
        checkpoint.assign(dst.get_parameters(), wide, "net", tmp_path / "p.ckpt")
    as16 = {k: ms.Parameter(v.astype(ms.float16), name=k) for k, v in params.items()}
    checkpoint.assign(dst.get_parameters(), as16, "net", tmp_path / "p.ckpt")
    assert dst.weight.dtype == ms.float32


def test_manager_names_orders_keeps_and_finds_the_newest_complete(tmp_path):
    folder = tmp_path / "checkpoints"
    mgr = checkpoint.CheckpointManager(folder, keep=2)
    assert mgr.all() == [] and mgr.newest_complete() == (None, [])
    p1 = mgr.save(dense(), meta(epoch=1, step=8))
    p2 = mgr.save(dense(), meta(epoch=2, step=13, batch_in_epoch=5, model="gan"))
    assert (p1.name, p2.name) == ("gan_e0001.ckpt", "gan_e0002_s0000013.ckpt")
    os.utime(p1, (9e9, 9e9))  # file times never decide
    assert mgr.all() == [p1, p2] and mgr.newest_complete() == (p2, [])
    p3 = mgr.save(dense(), meta(epoch=2, step=16))
    assert sorted(p.name for p in folder.glob("gan_*")) == ["gan_e0002.ckpt", "gan_e0002.json",
                                                          "gan_e0002_s0000013.ckpt", "gan_e0002_s0000013.json"]
    p3.write_bytes(p3.read_bytes()[:50])  # damaged: passed over, named, and kept on disk
    newest, damaged = mgr.newest_complete()
    assert newest == p2 and [d for d, _ in damaged] == [p3]
    (folder / "gan_e0009.tmp.ckpt").write_bytes(b"half")  # a save cut short: never listed
    (folder / "junk.ckpt").write_bytes(b"no sidecar")  # unreadable metadata: listed first, never newest
    assert mgr.all()[0].name == "junk.ckpt" and mgr.newest_complete()[0] == p2
    mgr.save(dense(), meta(epoch=3, step=24))  # retention counts complete ones only and keeps the damaged
    names = sorted(p.name for p in folder.glob("*.ckpt"))
    assert names == ["gan_e0002.ckpt", "gan_e0002_s0000013.ckpt", "gan_e0003.ckpt", "gan_e0009.tmp.ckpt", "junk.ckpt"]
    other = folder / "copy_e0001.ckpt"  # a complete checkpoint the run did not write (a user's copy): never pruned
    checkpoint.save(dense(), other, meta(epoch=1, step=1))
    mgr.save(dense(), meta(epoch=4, step=32))
    assert other.is_file() and not (folder / "gan_e0002_s0000013.ckpt").exists()


def test_keep_one_keeps_only_the_newest(tmp_path):
    mgr = checkpoint.CheckpointManager(tmp_path, keep=1)
    for e in (1, 2, 3):
        mgr.save(dense(), meta(epoch=e, step=8 * e))
    assert sorted(p.name for p in tmp_path.glob("gan_*")) == ["gan_e0003.ckpt", "gan_e0003.json"]


class FakeState:
    """What restore needs from a TrainState: a restore(path, meta) call to record."""

    def __init__(self):
        self.restored = None

    def restore(self, path, meta):
        self.restored = (path.name, meta["step"])


def test_restore_takes_the_newest_complete_or_refuses_changing_nothing(tmp_path, capsys):
    mgr = checkpoint.CheckpointManager(tmp_path, keep=5)
    with pytest.raises(MindganError, match=r"^--resume: no checkpoint in .* yet \(the run stopped before its first one\); nothing was changed"):
        mgr.restore(FakeState(), "gan")
    mgr.save(dense(), meta(epoch=1, step=8))
    newest = mgr.save(dense(), meta(epoch=2, step=16))
    newest.write_bytes(b"cut")
    state = FakeState()
    assert mgr.restore(state, "gan").name == "gan_e0001.ckpt" and state.restored == ("gan_e0001.ckpt", 8)
    assert "skipping damaged or incomplete checkpoint gan_e0002.ckpt" in capsys.readouterr().out
    with pytest.raises(MindganError, match=r"gan_e0001.ckpt is a gan checkpoint and this run trains cgan"):
        mgr.restore(FakeState(), "cgan")
    (tmp_path / "gan_e0001.ckpt").write_bytes(b"cut")
    with pytest.raises(MindganError, match=r"^--resume: no usable checkpoint in .*; the newest, gan_e0002.ckpt: "):
        mgr.restore(FakeState(), "gan")


# --- run folder -----------------------------------------------------------------------------------

def a_run(folder: Path) -> Path:
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "config.yaml").write_text("model: gan\n")
    (folder / "losses.csv").write_text("epoch,step,loss_d,loss_g\n1,1,0.5,0.5\n")
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_holds_run_by_config_or_checkpoints(tmp_path):
    assert not runfolder.holds_run(tmp_path)
    (tmp_path / "checkpoints").mkdir()
    assert runfolder.holds_run(tmp_path)
    other = tmp_path / "o"
    other.mkdir()
    (other / "config.yaml").write_text("x")
    assert runfolder.holds_run(other)
    (other / "config.yaml").unlink()
    (other / "config.yaml").mkdir()  # a folder named config.yaml is not a run
    assert not runfolder.holds_run(other)


def test_check_name_limits_a_part_to_200_bytes(tmp_path):
    runfolder.check_name(tmp_path / ("x" * 200))
    runfolder.check_name(tmp_path / ("é" * 100))  # 200 bytes
    for long in (tmp_path / ("x" * 201), tmp_path / ("é" * 101)):
        with pytest.raises(MindganError, match=r"is too long a path: choose a shorter --out"):
            runfolder.check_name(long)
    deep = Path("/".join(["d" * 100] * 30))  # every part short, the whole over 3000 characters
    with pytest.raises(MindganError, match="too long a path"):
        runfolder.check_name(deep)
    runfolder.check_name(Path("/".join(["d" * 100] * 29)))


def test_check_refuses_what_would_mix_lose_or_not_find_a_run(tmp_path):
    new, run = tmp_path / "new", a_run(tmp_path / "run")
    runfolder.check(new, resume=False, overwrite=False)
    runfolder.check(new, resume=False, overwrite=True)
    runfolder.check(run, resume=True, overwrite=False)
    runfolder.check(run, resume=False, overwrite=True)
    with pytest.raises(MindganError, match="^--resume and --overwrite contradict each other"):
        runfolder.check(new, resume=True, overwrite=True)
    (tmp_path / "f").write_text("x")
    for resume, overwrite in ((False, False), (True, False), (False, True)):
        with pytest.raises(MindganError, match=r"is a file, not a folder"):
            runfolder.check(tmp_path / "f", resume, overwrite)
    with pytest.raises(MindganError, match=r"^--resume: .*new holds no run to continue"):
        runfolder.check(new, resume=True, overwrite=False)
    with pytest.raises(MindganError, match=r"already holds a run: add --resume .* --overwrite"):
        runfolder.check(run, resume=False, overwrite=False)
    for i in range(7):
        (run / f"mine{i}.txt").write_text("x")
    with pytest.raises(MindganError, match=r"^--overwrite: .* also holds files mindgan did not write "
                                           r"\(mine0.txt, mine1.txt, mine2.txt, mine3.txt, mine4.txt, ...\)"):
        runfolder.check(run, resume=False, overwrite=True)
    runfolder.check(run, resume=True, overwrite=False)  # a resume may share the folder with other files
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    runfolder.check(empty, resume=False, overwrite=False)  # no run there: nothing to refuse
    with pytest.raises(MindganError, match=r"\(notes.txt\); move them"):
        runfolder.check(empty, resume=False, overwrite=True)


def test_lock_is_exclusive_names_the_holder_and_goes_at_exit(tmp_path):
    out = tmp_path / "run"
    with runfolder.RunFolder(out) as held:
        assert (out / ".lock.pid").read_text().strip() == str(os.getpid()) and held.aside is None
        with pytest.raises(MindganError, match=rf"is in use by another training \(pid {os.getpid()}\)"):
            with runfolder.RunFolder(out):
                pass
    assert not (out / ".lock").exists() and not (out / ".lock.pid").exists()
    (out / ".lock").write_text("x")  # a killed run's lock files: the OS released its lock
    (out / ".lock.pid").write_text("12345678901234567890")
    with runfolder.RunFolder(out):
        assert (out / ".lock.pid").read_text().strip() == str(os.getpid())
    (tmp_path / "file").write_text("x")
    with pytest.raises(MindganError, match=r"cannot write to output folder .*: choose another --out"):
        with runfolder.RunFolder(tmp_path / "file" / "run"):
            pass


def test_overwrite_keeps_the_old_run_until_committed(tmp_path, capsys):
    out = a_run(tmp_path / "run")
    (out / "notes.txt").write_text("a file mindgan did not write")  # refused by check(); never moved here
    before = {p: (out / p).read_bytes() for p in ("config.yaml", "losses.csv")}
    with runfolder.RunFolder(out, overwrite=True) as folder:
        assert listing(out / runfolder.ASIDE) == ["checkpoints", "config.yaml", "losses.csv"]
        assert sorted(p.name for p in out.iterdir()) == [".lock", ".lock.pid", ".replaced", "notes.txt"]
        (out / "losses.csv").write_text("new")
        folder.committed()
        assert not (out / runfolder.ASIDE).exists()
    assert (out / "losses.csv").read_text() == "new" and (out / "notes.txt").is_file()
    assert "kept in" in capsys.readouterr().out

    out = a_run(tmp_path / "run2")
    with pytest.raises(RuntimeError):
        with runfolder.RunFolder(out, overwrite=True):
            (out / "losses.csv").write_text("new, never checkpointed")
            (out / "images").mkdir()
            raise RuntimeError("the new run failed")
    assert {p: (out / p).read_bytes() for p in ("config.yaml", "losses.csv")} == before
    assert listing(out) == ["checkpoints", "config.yaml", "losses.csv"]
    assert "old run in" in capsys.readouterr().out


def test_overwrite_of_a_folder_without_a_run_moves_nothing(tmp_path):
    out = tmp_path / "run"
    with runfolder.RunFolder(out, overwrite=True) as folder:
        assert folder.aside is None and not (out / runfolder.ASIDE).exists()


def test_an_aside_left_by_someone_else_is_refused_not_deleted(tmp_path):
    out = a_run(tmp_path / "run")
    (out / runfolder.ASIDE).mkdir()
    (out / runfolder.ASIDE / "losses.csv").write_text("older")
    with pytest.raises(MindganError, match=r"^--overwrite: .*\.replaced already exists"):
        with runfolder.RunFolder(out, overwrite=True):
            pass
    assert (out / runfolder.ASIDE / "losses.csv").read_text() == "older" and (out / "config.yaml").is_file()


def test_settle_restores_a_run_whose_successor_was_killed(tmp_path, capsys):
    out = a_run(tmp_path / "run")
    with runfolder.RunFolder(out, overwrite=True):
        (out / "losses.csv").write_text("new")
        aside = sorted(p.name for p in (out / runfolder.ASIDE).iterdir())
        # the folder as a SIGKILL leaves it: the old run aside, the new one's files in place (taken out
        # here so that __exit__, which a SIGKILL never runs, has nothing to restore)
        os.replace(out / runfolder.ASIDE, tmp_path / "kept")
    os.replace(tmp_path / "kept", out / runfolder.ASIDE)
    assert aside == ["checkpoints", "config.yaml", "losses.csv"]
    runfolder.settle(out)
    assert not (out / runfolder.ASIDE).exists() and (out / "losses.csv").read_text().startswith("epoch")
    assert "is restored" in capsys.readouterr().out
    runfolder.settle(out)  # nothing left to do: no change
    assert listing(out) == ["checkpoints", "config.yaml", "losses.csv"]


# --- FID and the statistics beside it --------------------------------------------------------------

def test_gaussian_is_mean_and_unbiased_covariance():
    x = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    mu, cov = F.gaussian(x)
    assert mu.dtype == np.float64 and cov.shape == (3, 3)
    np.testing.assert_allclose(mu, x.astype(np.float64).mean(0))
    np.testing.assert_allclose(cov, np.cov(x.astype(np.float64), rowvar=False, ddof=1))
    assert F.gaussian(x[:, :1])[1].shape == (1, 1)  # one feature: still a matrix
    for bad in (x[:1], x[0], x[None]):
        with pytest.raises(ValueError, match=r"need \(N>=2, D\) features"):
            F.gaussian(bad)


def test_frechet_of_known_gaussians():
    # 1-D: (m1 - m2)^2 + s1 + s2 - 2 sqrt(s1 s2)
    assert F.frechet(np.array([1.0]), np.array([[4.0]]), np.array([-2.0]), np.array([[9.0]])) == \
        pytest.approx(9 + 4 + 9 - 2 * 6)
    # diagonal: sum over dimensions
    s1, s2 = np.diag([1.0, 4.0]), np.diag([9.0, 1.0])
    assert F.frechet(np.zeros(2), s1, np.ones(2), s2) == pytest.approx(2 + (1 + 9 - 6) + (4 + 1 - 4))
    assert F.frechet(np.zeros(2), s1, np.zeros(2), s1) == 0.0  # clamped at 0, never -1e-16


def test_trace_sqrt_product_of_non_commuting_covariances():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 4, 4))
    s1, s2 = a @ a.T + 0.1 * np.eye(4), b @ b.T + 0.1 * np.eye(4)
    want = np.sqrt(np.linalg.eigvals(s1 @ s2).real.clip(0)).sum()  # S1 S2 has real non-negative eigenvalues
    assert F.trace_sqrt_product(s1, s2) == pytest.approx(want, rel=1e-9)
    assert F.trace_sqrt_product(s2, s1) == pytest.approx(want, rel=1e-9)
    singular = np.diag([1.0, 0.0, 4.0, 0.0])
    assert F.trace_sqrt_product(singular, np.eye(4)) == pytest.approx(3.0)


def test_fid_of_shifted_and_scaled_sets():
    x = np.random.default_rng(2).standard_normal((400, 2))
    assert F.fid(x, x) == 0.0
    mu, cov = F.gaussian(x)
    shifted = x + np.array([3.0, -1.0])
    assert F.fid(x, shifted) == pytest.approx(10.0, rel=1e-6)
    scaled = 2 * (x - mu) + mu  # covariance x4: tr(S) + tr(4S) - 2 tr(2S) = tr(S)
    assert F.fid(x, scaled) == pytest.approx(np.trace(cov), rel=1e-6)


def test_histogram_kl_confidence_and_label_accuracy():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    hist = F.class_histogram(probs, 4)
    np.testing.assert_allclose(hist, [0.5, 0.25, 0.25, 0.0])
    assert F.class_histogram(np.zeros((0, 3)), 3).tolist() == [0, 0, 0]
    assert F.kl_to_uniform(np.full(10, 0.1)) == pytest.approx(0.0, abs=1e-12)
    assert F.kl_to_uniform(np.eye(10)[3]) == pytest.approx(np.log(10))
    assert F.kl_to_uniform(np.array([0.5, 0.5, 0.0, 0.0])) == pytest.approx(np.log(2))
    assert F.mean_confidence(probs) == pytest.approx((0.7 + 0.8 + 0.6 + 0.6) / 4)
    assert F.label_accuracy(probs, np.array([0, 1, 1, 2])) == pytest.approx(0.75)


# --- what a resume trusts in a checkpoint's metadata (mutmut survivors, killed here) ---------------------

@pytest.mark.parametrize("key", checkpoint.COUNTERS)
@pytest.mark.parametrize("value", [-1, True, 1.5, "3", 2**53])
def test_metadata_counters_must_be_whole_numbers(tmp_path, key, value):
    path = tmp_path / "x.ckpt"
    path.write_bytes(b"x")
    path.with_suffix(".json").write_text(json.dumps({**meta(), key: value}))
    with pytest.raises(MindganError, match=rf"x.json: {key} must be a whole number >= 0, got .*; the metadata was edited"):
        checkpoint.read_meta(path)
    path.with_suffix(".json").write_text(json.dumps({**meta(), key: 2**53 - 1 if value == 2**53 else 0}))
    assert checkpoint.read_meta(path)[key] in (0, 2**53 - 1)


def test_metadata_model_name_and_size(tmp_path):
    path = tmp_path / "x.ckpt"
    path.write_bytes(b"x")
    path.with_suffix(".json").write_text(json.dumps({**meta(), "model": 3}))
    with pytest.raises(MindganError, match=r"x.json: model must be a name, got 3; the metadata was edited"):
        checkpoint.read_meta(path)
    path.with_suffix(".json").write_text(json.dumps({**meta(), "pad": "x" * checkpoint.MAX_META}))
    with pytest.raises(MindganError, match=r"checkpoint metadata .*x.json"):
        checkpoint.read_meta(path)
    path.with_suffix(".json").write_text(json.dumps({**meta(), "pad": "x" * (checkpoint.MAX_META - 200)}))
    assert checkpoint.read_meta(path)["model"] == "gan"  # just under the limit: read
    path.with_suffix(".json").write_text("{" * 100_000)  # nested past Python's recursion limit
    with pytest.raises(MindganError, match=r"x.json is not valid JSON \(.+\); the checkpoint's metadata is damaged"):
        checkpoint.read_meta(path)


def test_to_unit_maps_each_value_range_onto_0_1():
    from mindgan.models import to_unit

    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5], np.float32)
    np.testing.assert_allclose(to_unit(x, "tanh"), [0.0, 0.25, 0.5, 0.75, 1.0, 1.0])  # clipped above
    np.testing.assert_allclose(to_unit(x, "sigmoid"), [0.0, 0.0, 0.0, 0.5, 1.0, 1.0])
