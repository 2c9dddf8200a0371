"""`python -m mindgan.generate --ckpt PATH`: images from a trained generator, as the tutorials' inference."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .errors import MindganError, cli_entry


def load_generator(ckpt: str | Path):
    """Rebuild the generator a checkpoint was trained with (from its metadata) and load its weights."""
    from . import checkpoint, config
    from .models import create_model

    ckpt = Path(ckpt)
    if not ckpt.is_file():
        raise MindganError(f"checkpoint {ckpt} does not exist")
    meta = checkpoint.read_meta(ckpt)
    params = checkpoint.load_params(ckpt)
    cfg = config.validate(meta["config"], f"{ckpt.with_suffix('.json')}")
    gan = create_model({**config.defaults(), **cfg})
    checkpoint.load_into(gan.generator, params, "generator.", f"{cfg['model']} generator", ckpt)
    gan.generator.set_train(False)
    return gan, meta


def generate(gan, num: int, seed: int, labels=None) -> np.ndarray:
    import mindspore as ms

    z = np.random.default_rng(seed).standard_normal((num, *gan.latent_shape)).astype(np.float32)
    if gan.conditional:
        return gan.generator(ms.Tensor(z), ms.Tensor(np.asarray(labels, np.int32))).asnumpy()
    return gan.generator(ms.Tensor(z)).asnumpy()


def parse_args(argv=None):
    from .run import add_device_arg

    p = argparse.ArgumentParser(prog="python -m mindgan.generate", description=__doc__)
    p.add_argument("--ckpt", required=True, help="a .ckpt written by mindgan.train (its .json beside it)")
    p.add_argument("--num", type=int, default=25, help="how many images (default 25)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--out", default=None, help="output folder (default: <run>/generated)")
    add_device_arg(p)
    return p.parse_args(argv)


@cli_entry
def main(argv=None):
    args = parse_args(argv)
    if args.num < 1:
        raise MindganError("--num must be at least 1")
    from . import device, outputs

    device.setup(args.device)
    gan, meta = load_generator(args.ckpt)
    images = generate(gan, args.num, args.seed)
    out = Path(args.out) if args.out else Path(args.ckpt).resolve().parent.parent / "generated"
    out.mkdir(parents=True, exist_ok=True)
    cols = int(np.ceil(np.sqrt(args.num)))
    rows = int(np.ceil(args.num / cols))
    outputs.save_image(outputs.grid(images, rows, cols, gan.value_range), out / "grid.png")
    outputs.save_individual(images, out / "images", gan.value_range)
    x = (images + 1) / 2 if gan.value_range == "tanh" else images
    np.save(out / "samples.npy", np.clip(x, 0, 1).astype(np.float32))
    print(f"mindgan: {args.num} {meta['model']} images (epoch {meta['epoch']}) in {out}: grid.png, images/, "
          f"samples.npy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
