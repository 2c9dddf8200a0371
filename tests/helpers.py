"""What several test modules share: tiny data, the recipes shrunk for tests, training the one way
`mindgan.train` does, running a command as a user would, and the one-line error check.

Test modules import from here (never from each other); conftest.py holds only fixtures and the tiers.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


# --- data ------------------------------------------------------------------------------------------

def digit_images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n 28x28 uint8 'digits': a bright bar whose position encodes the label, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, lab in enumerate(labels):
        images[i, 4:24, 2 + 2 * lab: 5 + 2 * lab] = 255
    return images, labels


def pattern(i: int, w: int, h: int) -> np.ndarray:
    """A coloured disc on a gradient, different per i: real-looking content, cheap to make."""
    yy, xx = np.mgrid[0:h, 0:w]
    disc = (xx - w / 2) ** 2 + (yy - h / 2) ** 2 < (min(w, h) / 3) ** 2
    img = np.stack([xx * 255 // w, yy * 255 // h, np.full_like(xx, (i * 37) % 256)], -1).astype(np.uint8)
    img[disc] = [(i * 53) % 256, 200, (i * 91) % 256]
    return img


def write_mixed(folder: Path, n: int = 16, size=(24, 20)) -> Path:
    """Images in every mode a user may have: RGB JPEG, RGBA, grayscale, palette (with transparency)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        rgb = Image.fromarray(pattern(i, *size))
        kind = i % 4
        if kind == 0:
            rgb.save(folder / f"{i:03d}.jpg", quality=95)
        elif kind == 1:
            rgb.putalpha(Image.fromarray(np.where(pattern(i, *size)[..., 1] > 150, 255, 0).astype(np.uint8)))
            rgb.save(folder / f"{i:03d}.png")
        elif kind == 2:
            rgb.convert("L").save(folder / f"{i:03d}.PNG")
        else:
            pal = rgb.convert("P", palette=Image.ADAPTIVE, colors=16)
            pal.save(folder / f"{i:03d}.gif", transparency=0)
    (folder / "notes.txt").write_text("not an image; must be ignored")
    return folder


# --- configs ---------------------------------------------------------------------------------------

def quick_cfg(**over) -> dict:
    """A model's recipe (default gan) shrunk for tests: one epoch, batch 32, a 2x2 grid, a checkpoint per epoch."""
    from mindgan import config

    base = {"epochs": 1, "batch_size": 32, "grid_rows": 2, "grid_cols": 2, "ckpt_every": 1}
    base.update(over)
    model = base.pop("model", "gan")
    return config.load(model=model, overrides=base)


def small_overrides(model: str) -> dict:
    """Overrides that make any registered model small enough to train a few steps on the tiny digits in
    seconds: widths (ints) at most 8, hidden-layer lists one layer of 16, images at most 32 px, grayscale."""
    from mindgan import config
    from mindgan.models import get_model

    spec, recipe = get_model(model), config.load(model=model)
    args = {}
    for name, arg in spec.args.items():
        if arg.type == "ints":
            args[name] = [16]
        elif arg.type is int:
            args[name] = min(int(arg.default), 8)
    return {"model_args": args, "image_size": min(recipe["image_size"], 32), "channels": 1}


def small_cfg(model: str = "gan", **over) -> dict:
    """quick_cfg of `model` with small nets (small_overrides), plus `over`."""
    return quick_cfg(model=model, **{**small_overrides(model), **over})


# --- training --------------------------------------------------------------------------------------

def untrained(model: str, data: Path, out: Path, batches: int = 4, **over):
    """A Trainer of `model`'s small nets (nothing trained yet, in training mode) and its first `batches` batches
    (numpy dicts), for driving its compiled schedule step by step."""
    from mindgan.api import build_dataset
    from mindgan.training import Trainer

    cfg = small_cfg(model, data=str(data), **over)
    trainer = Trainer(cfg, Path(out), progress=False, hooks=[])
    dataset, _ = build_dataset(cfg, trainer.gan, seed_offset=1)
    it = dataset.create_dict_iterator(num_epochs=1, output_numpy=True)
    return trainer, [b for _, b in zip(range(batches), it)]


def fit(cfg: dict, out: Path, resume: bool = False, hooks: list | None = None, shard=None):
    """Train cfg into `out` the way `mindgan.train` does (a fresh seeded pipeline per epoch), without its
    run-folder checks, so a test can set values the checks refuse. Returns (trainer, summary)."""
    from mindgan.api import build_dataset
    from mindgan.training import Trainer

    trainer = Trainer(cfg, Path(out), progress=False, hooks=hooks)
    _, loc = build_dataset(cfg, trainer.gan, shard=shard)
    if resume:
        trainer.resume()
    summary = trainer.fit(lambda e: build_dataset(cfg, trainer.gan, seed_offset=e, loc=loc, shard=shard)[0])
    return trainer, summary


def losses(run: Path) -> list[tuple]:
    """losses.csv as (epoch, step, loss_d, loss_g) tuples."""
    with open(Path(run) / "losses.csv", newline="") as f:
        return [(int(r["epoch"]), int(r["step"]), float(r["loss_d"]), float(r["loss_g"])) for r in csv.DictReader(f)]


# --- data parallel: one worker with the global batch against msrun workers ---------------------------

STEPS = 4  # global batch 32 = 2 workers x 16


def loss_array(path: Path) -> np.ndarray:
    """losses.csv's (loss_d, loss_g) columns as an array."""
    with open(path, newline="") as f:
        return np.array([[float(r["loss_d"]), float(r["loss_g"])] for r in csv.DictReader(f)])


def train_args(data: Path, out: Path, epochs: int = 1) -> list[str]:
    """`mindgan.train` arguments for the data-parallel tests: STEPS steps of global batch 32."""
    return ["--model", "gan", "--data", str(data), "--epochs", str(epochs), "--batch-size", "32",
            "--max-steps", str(STEPS), "--grid-rows", "2", "--grid-cols", "2", "--out", str(out),
            "--device", "CPU", "--no-progress"]


def single_worker_losses(data: Path, out: Path) -> np.ndarray:
    """losses.csv of one worker with the global batch (32) and the sampler order of the sharded runs
    (num_shards=1): it sees the images and noise that N workers see together."""
    fit(quick_cfg(data=str(data), max_steps=STEPS), out, shard=(0, 1))
    return loss_array(Path(out) / "losses.csv")


# --- processes -------------------------------------------------------------------------------------

def run_cli(*args, env_extra: dict | None = None, cwd: Path | None = None, timeout: int = 600, unset: tuple = ()):
    """Run `python -m <args>` in a subprocess, as a user would (without the variables in `unset`); returns the
    CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(PYTHONUNBUFFERED="1", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd or REPO, timeout=timeout, stdin=subprocess.DEVNULL)


def assert_one_line_error(proc, *needles, code: int = 2) -> str:
    """The command failed with exit `code` and exactly one stderr line, `error: ...`, holding every needle;
    no traceback anywhere. Returns the line."""
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr and "Traceback" not in (proc.stdout or ""), proc.stderr[-2000:]
    assert proc.returncode == code, f"exit {proc.returncode}, wanted {code}: {proc.stderr[-2000:]}"
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err[-2000:]
    for n in needles:
        assert n in err, err
    return err


def onednn_convolutions(probe: str, cwd: Path) -> list[tuple[str, str]]:
    """(kernel, pass) of every convolution oneDNN ran for the Python code `probe`, in a process started with
    ONEDNN_VERBOSE=1 and without the caller's ONEDNN_MAX_CPU_ISA (so mindgan's own choice holds)."""
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=cwd,
                       env=dict(env, ONEDNN_VERBOSE="1"))
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [ln for ln in (r.stdout + r.stderr).splitlines() if ",exec,cpu,convolution," in ln]
    assert lines, "oneDNN reported no convolution: " + (r.stdout + r.stderr)[-2000:]
    # each line: ...,exec,cpu,convolution,<kernel>,<pass>,...
    return [tuple(ln.split(",exec,cpu,convolution,")[1].split(",")[:2]) for ln in lines]
