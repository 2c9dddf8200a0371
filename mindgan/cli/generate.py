"""`python -m mindgan.generate --ckpt PATH` (or `--model-file FILE.mindir`): images from a trained
generator, as the tutorials' inference."""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import device, generation, outputs
from ..errors import MindganError, cli_entry
from . import add_device_arg, add_truncation_arg, check_truncation


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m mindgan.generate", description=__doc__)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--ckpt", help="a .ckpt written by mindgan.train (its .json beside it), or a generator "
                                    "checkpoint saved by the MindSpore tutorials' own code (with --model)")
    src.add_argument("--model-file", help="a .mindir written by python -m mindgan.export (its .json beside it)")
    p.add_argument("--model", default=None,
                   help="for a checkpoint without mindgan's .json: the model whose recipe built it (gan, dcgan)")
    p.add_argument("--num", type=int, default=None,
                   help="how many images (default: the run's grid; for a conditional model without --label, "
                        "10 per class)")
    p.add_argument("--label", type=int, default=None,
                   help="conditional models: draw only this class (default: a row per class)")
    p.add_argument("--interpolate", action="store_true",
                   help="write interpolation.png: a strip walking between two latent vectors")
    p.add_argument("--steps", type=int, default=10, help="images in the --interpolate strip (default 10)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    add_truncation_arg(p)
    p.add_argument("--out", default=None, help="output folder (default: <run>/generated)")
    p.add_argument("--force", action="store_true",
                   help="replace files in --out that mindgan did not write (grid.png, samples.npy, images/NNNN.png)")
    add_device_arg(p)
    return p.parse_args(argv)


@cli_entry
def main(argv=None):
    args = parse_args(argv)
    if args.num is not None and args.num < 1:
        raise MindganError("--num must be at least 1")
    if args.steps < 2:
        raise MindganError("--steps must be at least 2 (the two ends of the walk)")
    if not 0 <= args.seed < 2**31:
        raise MindganError(f"--seed must be between 0 and {2**31 - 1}, got {args.seed}")
    check_truncation(args.truncation)

    from .. import loaders  # loads MindSpore: only once the arguments are checked

    src = Path(args.model_file or args.ckpt).resolve()
    run = args.ckpt and src.with_suffix(".json").is_file()  # a mindgan run: <run>/checkpoints/x.ckpt
    out = Path(args.out) if args.out else (src.parent.parent if run else src.parent) / "generated"
    names = ("interpolation.png", "interpolation.npy") if args.interpolate else ("grid.png", "samples.npy")
    generation.check_out(out, names, args.force)  # images/NNNN.png once their number is known

    def check(meta):
        generation.check_label(args.label, meta)
        generation.check_count(args.steps if args.interpolate else args.num or 0, meta,
                                    "--steps" if args.interpolate else "--num")

    early = loaders.peek_meta(args.ckpt, args.model_file, args.model)
    if early:
        check(early)  # before loading weights or a device
    device.setup(args.device)
    gan, meta = loaders.open_generator(args.ckpt, args.model_file, args.model)
    check(meta)
    if args.truncation is not None:
        gan.truncation = args.truncation
    if not args.interpolate:
        rows, cols, labels = generation.layout(gan, meta, args.num, args.label)
        n = len(labels) if labels is not None else (args.num or rows * cols)
        generation.check_images(out / "images", n, args.force)
    generation.make_out(out)
    what = meta["model"] + (f" (epoch {meta['epoch']})" if meta.get("epoch") is not None else "") + \
        (f", label {args.label}" if args.label is not None else "") + \
        (f", truncation {gan.truncation:g}" if gan.truncation else "")
    if args.interpolate:
        images, rows = generation.interpolate(gan, meta, args.steps, args.seed, args.label)
        outputs.save_image(outputs.grid(images, rows, args.steps, gan.value_range), out / "interpolation.png")
        generation.save_arrays(images, gan.value_range, out / "interpolation.npy")
        generation.record(out, names)
        print(f"mindgan: {rows} interpolation strip(s) of {args.steps} images from {what} in {out}: "
              f"interpolation.png, interpolation.npy")
        return 0
    images = generation.generate(gan, n, args.seed, labels)
    outputs.save_image(outputs.grid(images, rows, cols, gan.value_range), out / "grid.png")
    generation.replace_images(images, out / "images", gan.value_range)
    generation.save_arrays(images, gan.value_range, out / "samples.npy")
    generation.record(out, names + ("images",))
    print(f"mindgan: {n} images from {what} in {out}: grid.png ({rows}x{cols}), images/, samples.npy")
    return 0
