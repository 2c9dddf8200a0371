"""A hostile but ordinary user's pass over every entry point: hand-edited and hostile files, links,
FIFOs, out-of-range flags, folders of the user's, the Python API. Each try runs in this process (the
command lines' own main(), so a traceback is a real one), under an alarm that catches hangs, with the
user's files hashed before and after. Outcomes:

  clean error  one `error:` line (exit 2), or a MindganError from the API; the protected files unchanged
  works        exit 0; the user's files unchanged
  traceback    any other exception
  data loss    a protected file changed or vanished (whatever the exit)
  hang         no answer within --timeout seconds
  long message an error of more than 600 characters or several lines (messages must stay bounded)

    python scripts/hostile_pass.py [--timeout 120] [--only WORD] [--json results.json]

It prints one line per try and the counts by outcome; the exit status is 1 when any try is a traceback,
data loss, hang or long message.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import pickle
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mindgan  # noqa: E402  (sets the environment MindSpore needs before it loads)
from mindgan.errors import MindganError  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import digit_images as digits  # noqa: E402  (the tests' tiny MNIST-format digits)


class Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise Hang()


def snap(path: Path) -> dict:
    """Every file and link under path (or path itself) with a hash of its bytes or its link target."""
    path = Path(path)
    out = {}
    items = [path] if not path.is_dir() or path.is_symlink() else sorted(path.rglob("*"))
    for p in items:
        if p.name in (".lock", ".lock.pid"):
            continue
        if p.is_symlink():
            out[str(p)] = "-> " + os.readlink(p)
        elif p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif not p.exists() and not p.is_dir():
            out[str(p)] = "missing"
    return out


# --- the sandbox -------------------------------------------------------------------------------------


class Sandbox:
    def __init__(self, root: Path):
        from PIL import Image

        from mindgan.data import idx

        self.root = root
        os.environ["MINDGAN_DATA"] = str(root / "cache")
        self.mnist = root / "mnist"
        idx.write_split(self.mnist, "train", *digits(256, 0))
        idx.write_split(self.mnist, "test", *digits(64, 1))
        self.faces = root / "faces"
        for c in ("a", "b"):
            (self.faces / c).mkdir(parents=True)
            for i, img in enumerate(digits(12, ord(c))[0]):
                Image.fromarray(np.stack([img] * 3, -1)).save(self.faces / c / f"{i}.png")
        self.user = root / "user"  # a user's own files: never to be touched by any try
        (self.user / "photos").mkdir(parents=True)
        (self.user / "precious.txt").write_text("my thesis")
        (self.user / "photos" / "cat.png").write_bytes(b"\x89PNG my cat")
        quick = dict(epochs=2, batch_size=64, grid_rows=2, grid_cols=2, ckpt_every=1, progress=False)
        self.base = root / "base"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            mindgan.train("gan", self.base, data=str(self.mnist), **quick)
            self.cgan = root / "cgan"
            mindgan.train("cgan", self.cgan, data=str(self.mnist), **{**quick, "epochs": 1, "max_steps": 1})
            from mindgan.exporting import export

            self.mindir = export(self.base / "checkpoints" / "gan_e0002.ckpt", "MINDIR",
                                 out=root / "exports" / "gan.mindir")
        self.ckpt = self.base / "checkpoints" / "gan_e0002.ckpt"
        self.cgan_ckpt = next((self.cgan / "checkpoints").glob("cgan_e*.ckpt"))
        self.n = 0

    def fresh(self, name: str = "run") -> Path:
        """A copy of the base run to attack."""
        self.n += 1
        out = self.root / "tries" / f"{self.n:03d}-{name}"
        shutil.copytree(self.base, out, symlinks=True)
        return out

    def folder(self, name: str) -> Path:
        self.n += 1
        out = self.root / "tries" / f"{self.n:03d}-{name}"
        out.mkdir(parents=True)
        return out


# --- entry points ----------------------------------------------------------------------------------------
def cli(module: str, *argv):
    import importlib

    main = importlib.import_module(f"mindgan.cli.{module}").main
    return lambda: main([str(a) for a in argv])


TRAIN = ("--batch-size", 64, "--grid-rows", 2, "--grid-cols", 2, "--no-progress")


def train(out, *argv, data=None, sb=None):
    return cli("train", "--model", "gan", "--data", data or sb.mnist, "--out", out, *TRAIN, *argv)


def tries(sb: Sandbox):
    """(name, setup) pairs; setup() returns (callable, [protected paths]). The user's folder is always
    protected; a run folder is protected where the try must leave it as it was."""
    T = []

    def add(name):
        def deco(fn):
            T.append((name, fn))
            return fn
        return deco

    # ---- hand-edited run files on --resume (each must be one line, the run unchanged) ----
    damages = {
        "fixed_noise.npy pickled": ("fixed_noise.npy", lambda p: p.write_bytes(pickle.dumps({"a": 1}))),
        "fixed_noise.npy text": ("fixed_noise.npy", lambda p: p.write_text("1 2 3")),
        "fixed_noise.npy other shape": ("fixed_noise.npy", lambda p: np.save(p, np.zeros((3, 7), np.float32))),
        "fixed_noise.npy NaN": ("fixed_noise.npy", lambda p: np.save(p, np.full((4, 100), np.nan, np.float32))),
        "fixed_noise.npy float64": ("fixed_noise.npy", lambda p: np.save(p, np.zeros((4, 100)))),
        "fixed_noise.npy empty": ("fixed_noise.npy", lambda p: p.write_bytes(b"")),
        "fixed_noise.npy folder": ("fixed_noise.npy", lambda p: (p.unlink(), p.mkdir())),
        "fixed_noise.npy FIFO": ("fixed_noise.npy", lambda p: (p.unlink(), os.mkfifo(p))),
        "losses.csv binary": ("losses.csv", lambda p: p.write_bytes(b"\x00\xff\xfe\x80 binary")),
        "losses.csv other header": ("losses.csv", lambda p: p.write_text("when,what\n1,2\n")),
        "losses.csv no header": ("losses.csv", lambda p: p.write_text("")),
        "losses.csv FIFO": ("losses.csv", lambda p: (p.unlink(), os.mkfifo(p))),
        "losses.csv folder": ("losses.csv", lambda p: (p.unlink(), p.mkdir())),
        "losses.csv duplicate columns": ("losses.csv", lambda p: p.write_text("epoch,step,loss_d,loss_g,step\n")),
        "losses.csv NUL in a row": ("losses.csv", lambda p: p.write_text(p.read_text() + "1,\x00,2,3\n")),
        "config.yaml empty": ("config.yaml", lambda p: p.write_text("")),
        "config.yaml a list": ("config.yaml", lambda p: p.write_text("- 1\n- 2\n")),
        "config.yaml aliases": ("config.yaml", lambda p: p.write_text("a: &x [1, 2]\nb: *x\n")),
        "config.yaml binary": ("config.yaml", lambda p: p.write_bytes(b"\xff\xfe\x00\x01")),
        "config.yaml unknown key": ("config.yaml", lambda p: p.write_text(p.read_text() + "colour: red\n")),
        "config.yaml batch as text": ("config.yaml", lambda p: p.write_text(
            p.read_text().replace("batch_size: 64", "batch_size: sixty-four"))),
        "config.yaml FIFO": ("config.yaml", lambda p: (p.unlink(), os.mkfifo(p))),
        "config.yaml deep nesting": ("config.yaml", lambda p: p.write_text("model_args: " + "[" * 5000 + "]" * 5000)),
        "metrics.csv binary": ("metrics.csv", lambda p: p.write_bytes(b"\x00\xff binary")),
        "metrics.csv other header": ("metrics.csv", lambda p: p.write_text("a,b\n1,2\n")),
    }
    for name, (file, damage) in damages.items():
        @add(f"train --resume, {name}")
        def _(file=file, damage=damage):
            out = sb.fresh("edited")
            damage(out / file)
            return train(out, "--resume", "--epochs", 3, "--max-steps", 1, sb=sb), [out]

    for key in ("epoch", "step", "batch_in_epoch"):
        for value in (-3, "2", [1], 1.5, True, None, 10**30):
            @add(f"train --resume, checkpoint .json {key}={value!r}")
            def _(key=key, value=value):
                out = sb.fresh("meta")
                for side in (out / "checkpoints").glob("*.json"):
                    meta = json.loads(side.read_text())
                    meta[key] = value
                    side.write_text(json.dumps(meta))
                return train(out, "--resume", "--epochs", 3, "--max-steps", 1, sb=sb), [out]

    for name, write in {"json replaced by []": lambda p: p.write_text("[]"),
                        "json binary": lambda p: p.write_bytes(b"\xff\x00"),
                        "json FIFO": lambda p: (p.unlink(), os.mkfifo(p)),
                        "json deep": lambda p: p.write_text("[" * 100000 + "]" * 100000),
                        "json model a list": lambda p: p.write_text(json.dumps({**json.loads(p.read_text()),
                                                                                "model": [1]}))}.items():
        @add(f"train --resume, every checkpoint {name}")
        def _(write=write):
            out = sb.fresh("meta")
            for side in (out / "checkpoints").glob("*.json"):
                write(side)
            return train(out, "--resume", "--epochs", 3, "--max-steps", 1, sb=sb), [out]

    @add("train --resume, a checkpoint that is a FIFO (newest name)")
    def _():
        out = sb.fresh("fifo")
        os.mkfifo(out / "checkpoints" / "gan_e0009.ckpt")
        shutil.copy(out / "checkpoints" / "gan_e0002.json", out / "checkpoints" / "gan_e0009.json")
        return train(out, "--resume", sb=sb, data=None), []  # epochs 2 of the recipe? no: done -> works

    @add("train --resume, checkpoint bytes truncated")
    def _():
        out = sb.fresh("trunc")
        for c in (out / "checkpoints").glob("*.ckpt"):
            c.write_bytes(c.read_bytes()[:100])
        return train(out, "--resume", "--epochs", 3, sb=sb), [out]

    # ---- links: a run file that is a symbolic link to a user's file ----
    for name in ("losses.csv", "fixed_noise.npy", "config.yaml", "loss_curve.png", "progress.gif", "metrics.csv",
                 ".lock", ".lock.pid", "images", "checkpoints/gan_e0003.ckpt", "checkpoints/gan_e0003.json",
                 "images/epoch_0003.png", "checkpoints/.mindgan-written"):
        @add(f"train --resume, {name} a link to a user's file")
        def _(name=name):
            out = sb.fresh("link")
            target = out / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif os.path.lexists(target):
                target.unlink()
            target.symlink_to(sb.user / ("photos" if name == "images" else "precious.txt"))
            return train(out, "--resume", "--epochs", 3, "--max-steps", 1, sb=sb), []

    # ---- --overwrite and --out ----
    @add("train --overwrite, a user's photo inside images/")
    def _():
        out = sb.fresh("ow")
        (out / "images" / "holiday.jpg").write_bytes(b"photo")
        return train(out, "--overwrite", "--epochs", 1, sb=sb), [out]

    @add("train --overwrite, a user's file in checkpoints/")
    def _():
        out = sb.fresh("ow")
        (out / "checkpoints" / "notes.txt").write_text("mine")
        return train(out, "--overwrite", "--epochs", 1, sb=sb), [out]

    @add("train --overwrite, a user's file at the top")
    def _():
        out = sb.fresh("ow")
        (out / "README.md").write_text("mine")
        return train(out, "--overwrite", "--epochs", 1, sb=sb), [out]

    @add("train --out, a folder of the user's with losses.csv, progress.gif, images/")
    def _():
        out = sb.folder("mine")
        (out / "images").mkdir()
        (out / "images" / "cat.png").write_bytes(b"cat")
        (out / "losses.csv").write_text("my,own\n")
        (out / "progress.gif").write_bytes(b"GIF89a")
        return train(out, "--epochs", 1, sb=sb), [out]

    @add("train --out equal to --data")
    def _():
        return cli("train", "--model", "dcgan", "--data", sb.faces, "--out", sb.faces, "--batch-size", 4,
                   "--image-size", 16, "--no-progress", "--epochs", 1), [sb.faces]

    @add("train --out inside --data")
    def _():
        return cli("train", "--model", "dcgan", "--data", sb.faces, "--out", sb.faces / "a" / "run", "--batch-size",
                   4, "--image-size", 16, "--no-progress", "--epochs", 1), [sb.faces]

    @add("train --out inside an MNIST --data")
    def _():
        return train(sb.mnist / "run", "--epochs", 1, sb=sb), [sb.mnist]

    @add("train --out a file")
    def _():
        return train(sb.user / "precious.txt", "--epochs", 1, sb=sb), []

    @add("train --out a FIFO")
    def _():
        f = sb.folder("fifo") / "out"
        os.mkfifo(f)
        return train(f, "--epochs", 1, sb=sb), []

    @add("train --out a loop of links")
    def _():
        d = sb.folder("loop")
        (d / "a").symlink_to(d / "b")
        (d / "b").symlink_to(d / "a")
        return train(d / "a", "--epochs", 1, sb=sb), []

    @add("train --out a link to nowhere")
    def _():
        d = sb.folder("dangling")
        (d / "out").symlink_to(d / "nowhere")
        return train(d / "out", "--epochs", 1, sb=sb), []

    @add("train --overwrite after a SIGKILLed --overwrite (.replaced/ waiting)")
    def _():
        out = sb.fresh("killed")
        aside = out / ".replaced"
        aside.mkdir()
        for p in list(out.iterdir()):
            if p.name != ".replaced":
                os.replace(p, aside / p.name)
        (out / "config.yaml").write_text("model: gan\n")
        protect = {str(aside / p.relative_to(aside)) for p in aside.rglob("*")}
        return train(out, "--resume", sb=sb), []

    @add("train --resume and --overwrite together")
    def _():
        out = sb.fresh("both")
        return train(out, "--resume", "--overwrite", sb=sb), [out]

    @add("train, a run folder again without --resume")
    def _():
        out = sb.fresh("again")
        return train(out, "--epochs", 1, sb=sb), [out]

    @add("train --resume on an empty folder")
    def _():
        return train(sb.folder("empty"), "--resume", sb=sb), []

    @add("train --resume with another --batch-size")
    def _():
        out = sb.fresh("bs")
        return train(out, "--resume", "--batch-size", 16, sb=sb), [out]

    @add("train --resume with another --model")
    def _():
        out = sb.fresh("model")
        return cli("train", "--model", "cgan", "--data", sb.mnist, "--out", out, "--resume", "--no-progress"), [out]

    @add("train --resume of a finished run")
    def _():
        return train(sb.fresh("done"), "--resume", "--epochs", 2, sb=sb), []

    @add("train --resume keep_checkpoint_max 1 beside a user's gan_best.ckpt")
    def _():
        out = sb.fresh("best")
        shutil.copy(out / "checkpoints" / "gan_e0001.ckpt", out / "checkpoints" / "gan_best.ckpt")
        shutil.copy(out / "checkpoints" / "gan_e0001.json", out / "checkpoints" / "gan_best.json")
        return (train(out, "--resume", "--epochs", 3, "--max-steps", 1, "--keep-checkpoint-max", 1, sb=sb),
                [out / "checkpoints" / "gan_best.ckpt", out / "checkpoints" / "gan_best.json"])

    # ---- recipes and flags ----
    laughs = "model: gan\nmodel_args:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  {c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi"))
    recipes = {"billion laughs": laughs, "a list": "[1, 2]", "binary": b"\xff\xfe\x00",
               "huge list value": "batch_size: [" + ", ".join(["1"] * 100000) + "]\n",
               "deep nesting": "model_args: " + "[" * 5000 + "]" * 5000, "python tag": "!!python/object:os.system x",
               "unknown model": "model: nope\n", "NaN learning rate": "lr_g: .nan\n", "bool epochs": "epochs: yes\n",
               "10 MB of comments": "#" * (10 << 20)}
    for name, text in recipes.items():
        @add(f"train --config, a recipe with {name}")
        def _(text=text):
            f = sb.folder("recipe") / "r.yaml"
            f.write_bytes(text if isinstance(text, bytes) else text.encode())
            return cli("train", "--config", f, "--data", sb.mnist, "--out", f.parent / "run", "--no-progress"), []

    @add("train --config, a FIFO recipe")
    def _():
        f = sb.folder("recipe") / "r.yaml"
        os.mkfifo(f)
        return cli("train", "--config", f, "--out", f.parent / "run"), []

    for argv in (["--num-workers", 3], ["--num-workers", 256], ["--num-workers", -1], ["--batch-size", 0],
                 ["--batch-size", 10**9], ["--epochs", 0], ["--lr-g", "nan"], ["--lr-g", "-1"], ["--seed", -5],
                 ["--set", "garbage"], ["--set", "model_args.g_hidden=[1000000,1000000]"],
                 ["--set", "model_args.g_hidden=[]"], ["--set", "model_args=5"], ["--set", "epochs=[1"],
                 ["--set", "a" * 5000 + "=1"], ["--image-size", 3], ["--steps-per-call", 65], ["--device", "TPU"],
                 ["--keep-checkpoint-max", 0], ["--max-steps", -1]):
        @add(f"train {' '.join(map(str, argv))[:60]}")
        def _(argv=argv):
            out = sb.folder("flags") / "run"
            return train(out, "--epochs", 1, "--max-steps", 1, *argv, sb=sb), []

    # ---- generate ----
    @add("generate --out a folder of the user's with grid.png and samples.npy")
    def _():
        out = sb.folder("gen")
        (out / "grid.png").write_bytes(b"my grid")
        (out / "samples.npy").write_bytes(b"mine")
        return cli("generate", "--ckpt", sb.ckpt, "--out", out, "--device", "CPU"), [out]

    @add("generate --out a folder with the user's images/0001.png")
    def _():
        out = sb.folder("gen")
        (out / "images").mkdir()
        (out / "images" / "0001.png").write_bytes(b"mine")
        return cli("generate", "--ckpt", sb.ckpt, "--out", out, "--device", "CPU"), [out]

    @add("generate --out a user's folder, --force")
    def _():
        out = sb.folder("gen")
        (out / "grid.png").write_bytes(b"my grid")
        (out / "keep.txt").write_text("mine")
        return cli("generate", "--ckpt", sb.ckpt, "--out", out, "--force", "--device", "CPU"), [out / "keep.txt"]

    @add("generate twice into the same --out (its own files)")
    def _():
        out = sb.folder("gen")
        cli("generate", "--ckpt", sb.ckpt, "--out", out, "--device", "CPU")()
        return cli("generate", "--ckpt", sb.ckpt, "--out", out, "--num", 3, "--device", "CPU"), []

    @add("generate --out grid.png a link to a user's file")
    def _():
        out = sb.folder("gen")
        (out / "grid.png").symlink_to(sb.user / "precious.txt")
        return cli("generate", "--ckpt", sb.ckpt, "--out", out, "--force", "--device", "CPU"), []

    @add("generate --out images a link to a user's folder")
    def _():
        out = sb.folder("gen")
        (out / "images").symlink_to(sb.user / "photos")
        return cli("generate", "--ckpt", sb.ckpt, "--out", out, "--device", "CPU"), []

    for argv in (["--seed", -5], ["--seed", 2**40], ["--num", 0], ["--num", 10**9], ["--steps", 1],
                 ["--interpolate", "--steps", 10**8], ["--label", 3], ["--device", "nope"]):
        @add(f"generate {' '.join(map(str, argv))}")
        def _(argv=argv):
            return cli("generate", "--ckpt", sb.ckpt, "--out", sb.folder("gen"), *argv), []

    for argv in (["--label", -1], ["--label", 12], ["--label", 3, "--num", 4]):
        @add(f"generate cgan {' '.join(map(str, argv))}")
        def _(argv=argv):
            return cli("generate", "--ckpt", sb.cgan_ckpt, "--out", sb.folder("gen"), "--device", "CPU", *argv), []

    @add("generate --ckpt a FIFO")
    def _():
        f = sb.folder("fifo") / "x.ckpt"
        os.mkfifo(f)
        return cli("generate", "--ckpt", f, "--model", "gan", "--out", f.parent / "g"), []

    @add("generate --ckpt a folder")
    def _():
        return cli("generate", "--ckpt", sb.user, "--out", sb.folder("gen")), []

    @add("generate --ckpt missing")
    def _():
        return cli("generate", "--ckpt", sb.root / "nope.ckpt"), []

    @add("generate --ckpt a user's text file with --model")
    def _():
        return cli("generate", "--ckpt", sb.user / "precious.txt", "--model", "gan", "--out", sb.folder("gen")), []

    def mindir_with(edit):
        d = sb.folder("mindir")
        shutil.copy(sb.mindir, d / "g.mindir")
        meta = json.loads(Path(str(sb.mindir) + ".json").read_text())
        edit(meta)
        (d / "g.mindir.json").write_text(json.dumps(meta))
        return d / "g.mindir"

    for name, edit in {"value_range bogus": lambda m: m.update(value_range="bogus"),
                       "conditional 'yes'": lambda m: m.update(conditional="yes"),
                       "latent 64 not 100": lambda m: m["inputs"][0].update(shape=[None, 64]),
                       "image shape 3x8x8": lambda m: m["outputs"][0].update(shape=[None, 3, 8, 8]),
                       "inputs missing": lambda m: m.pop("inputs"),
                       "config a list": lambda m: m.update(config=[1]),
                       "another model's (cgan)": lambda m: m.update(conditional=True, inputs=m["inputs"] + [
                           {"name": "labels", "shape": [None], "dtype": "int32"}]),
                       "num_classes -1 in config": lambda m: m["config"].update(num_classes=-1)}.items():
        @add(f"generate --model-file, .json {name}")
        def _(edit=edit):
            f = mindir_with(edit)
            out = f.parent / "out"
            return cli("generate", "--model-file", f, "--out", out, "--device", "CPU"), []

    @add("generate --model-file, a .mindir of garbage")
    def _():
        d = sb.folder("mindir")
        (d / "g.mindir").write_bytes(b"garbage")
        shutil.copy(str(sb.mindir) + ".json", d / "g.mindir.json")
        return cli("generate", "--model-file", d / "g.mindir", "--out", d / "out", "--device", "CPU"), []

    @add("generate --model-file, the exported file (works)")
    def _():
        return cli("generate", "--model-file", sb.mindir, "--out", sb.folder("gen"), "--device", "CPU"), []

    # ---- export ----
    @add("export --out an existing file of the user's")
    def _():
        f = sb.folder("exp") / "mine.mindir"
        f.write_bytes(b"mine")
        return cli("export", "--ckpt", sb.ckpt, "--out", f, "--device", "CPU"), [f]

    @add("export --out an existing read-only file of the user's")
    def _():
        f = sb.folder("exp") / "mine.mindir"
        f.write_bytes(b"mine")
        f.chmod(0o444)
        return cli("export", "--ckpt", sb.ckpt, "--out", f, "--device", "CPU"), [f]

    @add("export --out over the user's .json sidecar name")
    def _():
        d = sb.folder("exp")
        (d / "g.mindir.json").write_text("mine")
        return cli("export", "--ckpt", sb.ckpt, "--out", d / "g.mindir", "--device", "CPU"), [d]

    @add("export twice to the same --out (its own file)")
    def _():
        d = sb.folder("exp")
        cli("export", "--ckpt", sb.ckpt, "--out", d / "g.mindir", "--device", "CPU")()
        return cli("export", "--ckpt", sb.ckpt, "--out", d / "g.mindir", "--device", "CPU"), []

    @add("export --out a link to a user's file, --force")
    def _():
        d = sb.folder("exp")
        (d / "g.mindir").symlink_to(sb.user / "precious.txt")
        return cli("export", "--ckpt", sb.ckpt, "--out", d / "g.mindir", "--force", "--device", "CPU"), []

    @add("export --out a loop of links")
    def _():
        d = sb.folder("exp")
        (d / "a.mindir").symlink_to(d / "b.mindir")
        (d / "b.mindir").symlink_to(d / "a.mindir")
        return cli("export", "--ckpt", sb.ckpt, "--out", d / "a.mindir", "--device", "CPU"), []

    @add("export --out with a trailing slash")
    def _():
        return cli("export", "--ckpt", sb.ckpt, "--out", str(sb.folder("exp") / "new") + "/", "--device", "CPU"), []

    @add("export --out the checkpoint itself")
    def _():
        out = sb.fresh("self")
        return cli("export", "--ckpt", out / "checkpoints" / "gan_e0002.ckpt", "--format", "TUTORIAL", "--out",
                   out / "checkpoints" / "gan_e0002.ckpt", "--device", "CPU"), [out]

    for argv in (["--batch", 100000000], ["--batch", 0], ["--batch", -3], ["--format", "PDF"],
                 ["--format", "TUTORIAL", "--model", "cgan"]):
        @add(f"export {' '.join(map(str, argv))}")
        def _(argv=argv):
            return cli("export", "--ckpt", sb.ckpt, "--out", sb.folder("exp") / "g.bin", "--device", "CPU", *argv), []

    @add("export --ckpt a FIFO")
    def _():
        f = sb.folder("fifo") / "x.ckpt"
        os.mkfifo(f)
        return cli("export", "--ckpt", f, "--model", "gan", "--out", f.parent / "x.mindir"), []

    @add("export --format TUTORIAL (works)")
    def _():
        return cli("export", "--ckpt", sb.ckpt, "--format", "TUTORIAL", "--out", sb.folder("exp") / "t.ckpt",
                   "--device", "CPU"), []

    # ---- evaluate ----
    @add("evaluate --samples FOLDER with the user's evaluation.json")
    def _():
        d = sb.folder("ev")
        np.save(d / "samples.npy", np.random.default_rng(0).random((8, 1, 28, 28), np.float32))
        (d / "evaluation.json").write_text("my notes")
        return cli("evaluate", "--samples", d, "--device", "CPU"), [d]

    @add("evaluate --ckpt DIR/mymodels/x.ckpt with the user's DIR/evaluation_x.json")
    def _():
        d = sb.folder("ev")
        (d / "mymodels").mkdir()
        shutil.copy(sb.ckpt, d / "mymodels" / "x.ckpt")
        shutil.copy(sb.ckpt.with_suffix(".json"), d / "mymodels" / "x.json")
        (d / "evaluation_x.json").write_text("mine")
        (d / "mymodels" / "evaluation_x.json").write_text("mine too")
        return cli("evaluate", "--ckpt", d / "mymodels" / "x.ckpt", "--num", 20, "--device", "CPU"), [d]

    @add("evaluate --json a user's file")
    def _():
        f = sb.folder("ev") / "mine.json"
        f.write_text("mine")
        return cli("evaluate", "--ckpt", sb.ckpt, "--num", 20, "--json", f, "--device", "CPU"), [f]

    @add("evaluate --json a link to a user's file")
    def _():
        f = sb.folder("ev") / "out.json"
        f.symlink_to(sb.user / "precious.txt")
        return cli("evaluate", "--ckpt", sb.ckpt, "--num", 20, "--json", f, "--force", "--device", "CPU"), []

    @add("evaluate --samples X.npy a FIFO")
    def _():
        f = sb.folder("ev") / "x.npy"
        os.mkfifo(f)
        return cli("evaluate", "--samples", f), []

    for name, arr in {"pickled": None, "NaN": np.full((8, 1, 28, 28), np.nan, np.float32),
                      "0-255 floats": np.full((8, 1, 28, 28), 200.0, np.float32),
                      "int64": np.zeros((8, 28, 28), np.int64), "one image": np.zeros((1, 28, 28), np.uint8),
                      "5 channels": np.zeros((8, 5, 28, 28), np.uint8), "strings": np.array(["a", "b"]),
                      "shape (8,)": np.zeros(8, np.float32), "32x32 without --real": np.zeros((8, 1, 32, 32), np.uint8)}.items():
        @add(f"evaluate --samples .npy {name}")
        def _(arr=arr):
            f = sb.folder("ev") / "x.npy"
            if arr is None:
                f.write_bytes(pickle.dumps([1, 2]))
            else:
                np.save(f, arr)
            return cli("evaluate", "--samples", f, "--device", "CPU"), []

    for argv in (["--seed", -1], ["--num", 1], ["--num", 0], ["--real", "/nonexistent"]):
        @add(f"evaluate --ckpt {' '.join(map(str, argv))}")
        def _(argv=argv):
            return cli("evaluate", "--ckpt", sb.ckpt, "--device", "CPU", *argv), []

    @add("evaluate --samples a folder with images 3 levels down")
    def _():
        from PIL import Image

        d = sb.folder("ev")
        (d / "x" / "y" / "z").mkdir(parents=True)
        for i in range(4):
            Image.fromarray(digits(1, i)[0][0]).save(d / "x" / "y" / "z" / f"{i}.png")
        return cli("evaluate", "--samples", d, "--device", "CPU"), []

    @add("evaluate --samples 2 digits (FID of N=2)")
    def _():
        f = sb.folder("ev") / "two.npy"
        np.save(f, digits(2, 5)[0])
        return cli("evaluate", "--samples", f, "--data", sb.mnist, "--device", "CPU"), []

    # ---- launch and data ----
    for argv in (["--workers", 0, "--", "--epochs", 1], ["--workers", 64, "--", "--epochs", 1],
                 ["--master-port", 70000, "--", "--epochs", 1], ["--master-addr", "no.such.host.invalid", "--"],
                 ["--log-dir", sb.user / "precious.txt", "--", "--epochs", 1], [], ["--node-rank", 3, "--"],
                 ["--dry-run", "--", "--epochs", 1]):
        @add(f"launch {' '.join(map(str, argv))[:60]}")
        def _(argv=argv):
            return cli("launch", *argv), []

    for argv in (["fetch", "no-such-source"], ["list"], ["fetch"], ["frobnicate"]):
        @add(f"data {' '.join(argv)}")
        def _(argv=argv):
            return cli("data", *argv), []

    # ---- the Python API ----
    def api(fn):
        def call():
            fn()
            return 0
        return call

    def gan_model():
        return mindgan.load_generator(sb.ckpt)[0]

    def cgan_model():
        return mindgan.load_generator(sb.cgan_ckpt)[0]

    api_tries = {
        "gan.sample z of the wrong shape": lambda: gan_model().sample(np.zeros((4, 7), np.float32)),
        "gan.sample z of rank 1": lambda: gan_model().sample(np.zeros(100, np.float32)),
        "gan.sample z of strings": lambda: gan_model().sample(np.array([["a"] * 100])),
        "gan.noise(-3)": lambda: gan_model().noise(-3, 0),
        "gan.noise(2, seed=-1)": lambda: gan_model().noise(2, -1),
        "cgan.sample label 12": lambda: cgan_model().sample(np.zeros((2, 100), np.float32), [12, 1]),
        "cgan.sample label -1": lambda: cgan_model().sample(np.zeros((2, 100), np.float32), [-1, 1]),
        "cgan.sample too few labels": lambda: cgan_model().sample(np.zeros((3, 100), np.float32), [1]),
        "cgan.sample no labels": lambda: cgan_model().sample(np.zeros((3, 100), np.float32)),
        "build_dataset({}, gan)": lambda: mindgan.build_dataset({}, gan_model()),
        "create_model huge g_hidden": lambda: mindgan.create_model("gan", model_args={"g_hidden": [10**6, 10**6]}),
        "create_model unknown": lambda: mindgan.create_model("nope"),
        "load_generator a text file": lambda: mindgan.load_generator(sb.user / "precious.txt"),
        "train(out=a file)": lambda: mindgan.train("gan", sb.user / "precious.txt", data=str(sb.mnist), epochs=1),
        "gan.sample (works)": lambda: gan_model().sample(gan_model().noise(2, 0)),
    }
    for name, fn in api_tries.items():
        @add(f"API {name}")
        def _(fn=fn):
            return api(fn), []

    return T


def run_try(sb: Sandbox, name: str, setup, timeout: int) -> dict:
    err, out = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    t0 = time.time()
    outcome, detail, protect = None, "", []
    try:
        fn, protect = setup()
        before = {p: snap(p) for p in [sb.user, *protect]}
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                rc = fn()
            outcome = "works" if rc in (0, None) else "traceback"
            detail = f"exit {rc}"
        except SystemExit as e:
            text = err.getvalue().strip()
            if e.code in (0, None):
                outcome = "works"
            elif e.code == 2 and (text.startswith("error:") or text.startswith("usage:")):
                outcome = "clean error"
                lines = [ln for ln in text.splitlines() if ln.startswith("error:") or "error:" in ln]
                detail = lines[-1] if lines else text.splitlines()[-1]
                if text.startswith("error:") and (len(text) > 600 or len(text.splitlines()) > 1):
                    outcome = "long message"
            else:
                outcome, detail = "traceback", f"exit {e.code}: {text[-300:]}"
        except MindganError as e:
            outcome, detail = "clean error", f"error: {e}"
            if len(str(e)) > 600 or "\n" in str(e):
                outcome = "long message"
        after = {p: snap(p) for p in [sb.user, *protect]}
        # a try that works may change the run it was given (it trained); never the user's files, nor a
        # protected file; a try that fails must leave everything it was given as it was
        lost = [p for p in before if before[p] != after[p] and
                (outcome != "works" or p == sb.user or not Path(p).is_dir())]
        if lost:
            outcome, detail = "data loss", f"changed: {', '.join(map(str, lost))}; was {outcome}: {detail}"
    except Hang:
        outcome, detail = "hang", f"no answer in {timeout}s"
    except BaseException as e:  # noqa: BLE001  (what this script counts)
        import traceback

        outcome = "traceback"
        detail = f"{type(e).__name__}: {str(e)[:200]} at {traceback.extract_tb(e.__traceback__)[-1].name}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return {"try": name, "outcome": outcome, "detail": detail[:400], "seconds": round(time.time() - t0, 1)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--timeout", type=int, default=120, help="seconds before a try counts as a hang")
    p.add_argument("--only", default=None, help="run only the tries whose name holds this text")
    p.add_argument("--json", default=None, help="write every try's result here")
    args = p.parse_args()
    from mindgan import device

    device.setup("CPU")
    root = Path(tempfile.mkdtemp(prefix="mindgan-hostile-"))
    cwd = os.getcwd()
    os.chdir(root)  # stray relative writes land in the sandbox, not the checkout
    try:
        t0 = time.time()
        sb = Sandbox(root)
        print(f"sandbox {root} ready in {time.time() - t0:.0f}s", flush=True)
        results = []
        for name, setup in tries(sb):
            if args.only and args.only not in name:
                continue
            res = run_try(sb, name, setup, args.timeout)
            results.append(res)
            print(f"{res['outcome']:13s} {res['seconds']:6.1f}s  {name}: {res['detail'][:160]}", flush=True)
    finally:
        os.chdir(cwd)
    counts = {}
    for r in results:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    print(f"\n{len(results)} tries: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if args.json:
        Path(args.json).write_text(json.dumps({"counts": counts, "results": results}, indent=1))
    shutil.rmtree(root, ignore_errors=True)
    bad = {"traceback", "data loss", "hang", "long message"}
    return 1 if any(r["outcome"] in bad for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
