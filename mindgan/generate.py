"""`python -m mindgan.generate --ckpt PATH`: images from a trained generator, as the tutorials' inference."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .errors import MindganError, check_path, cli_entry


def load_generator(ckpt: str | Path):
    """Rebuild the generator a checkpoint was trained with (from its metadata) and load its weights."""
    from . import checkpoint, config
    from .models import create_model

    ckpt = check_path(ckpt, "checkpoint", "file")
    meta = checkpoint.read_meta(ckpt)
    params = checkpoint.load_params(ckpt)
    cfg = config.validate(meta["config"], f"{ckpt.with_suffix('.json')}")
    gan = create_model({**config.defaults(), **cfg})
    checkpoint.load_into(gan.generator, params, "generator.", f"{cfg['model']} generator", ckpt)
    gan.generator.set_train(False)
    return gan, meta


def generate(gan, num: int, seed: int, labels=None) -> np.ndarray:
    z = np.random.default_rng(seed).standard_normal((num, *gan.latent_shape)).astype(np.float32)
    return run_generator(gan, z, labels)


def run_generator(gan, z: np.ndarray, labels=None) -> np.ndarray:
    import mindspore as ms

    if gan.conditional:
        return gan.generator(ms.Tensor(z), ms.Tensor(np.asarray(labels, np.int32))).asnumpy()
    return gan.generator(ms.Tensor(z)).asnumpy()


def check_label(label, meta: dict) -> None:
    """--label only for conditional models, and only a class the model was trained on."""
    if label is None:
        return
    if not meta.get("conditional"):
        raise MindganError(f"--label needs a conditional model (e.g. cgan); {meta['model']} is unconditional")
    classes = meta["config"]["num_classes"]
    if not 0 <= label < classes:
        raise MindganError(f"--label {label} is out of range: {meta['model']} knows labels 0 to {classes - 1}")


def slerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """Spherical walk z0 -> z1: Gaussian vectors concentrate near a sphere, and a straight line's middle
    would leave it (shorter vectors than the generator was trained on)."""
    a, b = z0.ravel(), z1.ravel()
    omega = np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0))
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if omega < 1e-6:
        walk = (1 - t) * a + t * b
    else:
        walk = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return walk.reshape((steps, *z0.shape)).astype(np.float32)


def layout(gan, meta: dict, num, label) -> tuple[int, int, np.ndarray | None]:
    """(rows, cols, labels) of the picture: the run's grid by default; a row per class for a
    conditional model without --label."""
    cfg = meta["config"]
    if gan.conditional and label is None:
        classes = cfg["num_classes"]
        cols = -(-num // classes) if num else cfg["grid_cols"]
        return classes, cols, np.repeat(np.arange(classes), cols)
    if num is None:
        rows, cols = cfg["grid_rows"], cfg["grid_cols"]
        num = rows * cols
    else:
        cols = int(np.ceil(np.sqrt(num)))
        rows = int(np.ceil(num / cols))
    return rows, cols, (np.full(num, label) if gan.conditional else None)


def interpolate(gan, meta: dict, steps: int, seed: int, label) -> tuple[np.ndarray, int]:
    """One walk between two seeded latent vectors; for a conditional model without --label, the same
    walk once per class (a row each). Returns images and the number of rows."""
    rng = np.random.default_rng(seed)
    walk = slerp(*rng.standard_normal((2, *gan.latent_shape)).astype(np.float32), steps)
    if not gan.conditional:
        return run_generator(gan, walk), 1
    classes = [label] if label is not None else list(range(meta["config"]["num_classes"]))
    z = np.concatenate([walk] * len(classes))
    return run_generator(gan, z, np.repeat(classes, steps)), len(classes)


def save_arrays(images: np.ndarray, value_range: str, path: Path) -> None:
    x = (images + 1) / 2 if value_range == "tanh" else images
    np.save(path, np.clip(x, 0, 1).astype(np.float32))


def parse_args(argv=None):
    from .run import add_device_arg

    p = argparse.ArgumentParser(prog="python -m mindgan.generate", description=__doc__)
    p.add_argument("--ckpt", required=True, help="a .ckpt written by mindgan.train (its .json beside it)")
    p.add_argument("--num", type=int, default=None,
                   help="how many images (default: the run's grid; for a conditional model without --label, "
                        "10 per class)")
    p.add_argument("--label", type=int, default=None,
                   help="conditional models: draw only this class (default: a row per class)")
    p.add_argument("--interpolate", action="store_true",
                   help="write interpolation.png: a strip walking between two latent vectors")
    p.add_argument("--steps", type=int, default=10, help="images in the --interpolate strip (default 10)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--out", default=None, help="output folder (default: <run>/generated)")
    add_device_arg(p)
    return p.parse_args(argv)


@cli_entry
def main(argv=None):
    args = parse_args(argv)
    if args.num is not None and args.num < 1:
        raise MindganError("--num must be at least 1")
    if args.steps < 2:
        raise MindganError("--steps must be at least 2 (the two ends of the walk)")
    from . import checkpoint, device, outputs

    check_path(args.ckpt, "--ckpt", "file")
    check_label(args.label, checkpoint.read_meta(args.ckpt))  # before loading weights or a device
    out = Path(args.out) if args.out else Path(args.ckpt).resolve().parent.parent / "generated"
    if out.exists() and not out.is_dir():
        raise MindganError(f"--out {out} is a file; give a folder for the images")
    device.setup(args.device)
    gan, meta = load_generator(args.ckpt)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise MindganError(f"cannot create output folder {out} ({err.strerror}): choose another --out") from None
    what = f"{meta['model']} (epoch {meta['epoch']})" + (f", label {args.label}" if args.label is not None else "")
    if args.interpolate:
        images, rows = interpolate(gan, meta, args.steps, args.seed, args.label)
        outputs.save_image(outputs.grid(images, rows, args.steps, gan.value_range), out / "interpolation.png")
        save_arrays(images, gan.value_range, out / "interpolation.npy")
        print(f"mindgan: {rows} interpolation strip(s) of {args.steps} images from {what} in {out}: "
              f"interpolation.png, interpolation.npy")
        return 0
    rows, cols, labels = layout(gan, meta, args.num, args.label)
    n = len(labels) if labels is not None else (args.num or rows * cols)
    images = generate(gan, n, args.seed, labels)
    outputs.save_image(outputs.grid(images, rows, cols, gan.value_range), out / "grid.png")
    outputs.save_individual(images, out / "images", gan.value_range)
    save_arrays(images, gan.value_range, out / "samples.npy")
    print(f"mindgan: {n} images from {what} in {out}: grid.png ({rows}x{cols}), images/, samples.npy")
    return 0

if __name__ == "__main__":
    sys.exit(main())
