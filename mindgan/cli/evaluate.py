"""`python -m mindgan.evaluate`: how good are samples?

  python -m mindgan.evaluate train-classifier [--data auto]      train + cache the digit classifier
  python -m mindgan.evaluate --ckpt runs/gan/checkpoints/gan_e0005.ckpt
  python -m mindgan.evaluate --samples runs/gan/generated         (samples.npy or image files)
  python -m mindgan.evaluate --samples fake.npy --real FOLDER     (image folders: faces, emoji)
  python -m mindgan.evaluate --samples fake.npy --data emoji-faces

Digits: FID in the LeNet classifier's feature space against real held-out digits (beside the real-vs-real
floor), the class histogram and its KL to uniform (mode collapse), mean confidence, and for conditional
models the share of samples classified as the label asked for. Image folders: FID in the feature space of
a small CNN trained (once, cached) on the folder's class sub-folders, or on image rotation where it has
none (mindgan/metrics/featnet.py says why), beside the real-vs-real floor and two reference points: the
real images blurred, and uniform noise. Prints a table; writes JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .. import device, files, writes
from ..data import sources
from ..errors import MindganError, cli_entry
from ..metrics import classifier
from ..metrics.report import table
from ..writes import check_path
from . import add_device_arg, add_truncation_arg, check_truncation


def parse_train_args(argv):
    p = argparse.ArgumentParser(prog="python -m mindgan.evaluate train-classifier",
                                description="Train the LeNet digit classifier on a source's training split "
                                            "and cache it (the evaluation trains it on first use otherwise).")
    p.add_argument("--data", default="auto", help="data source name, MNIST-format folder, or auto (default)")
    p.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    p.add_argument("--force", action="store_true", help="retrain even if a classifier is cached")
    add_device_arg(p)
    return p.parse_args(argv)


def parse_eval_args(argv):
    p = argparse.ArgumentParser(prog="python -m mindgan.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--ckpt", help="a generator checkpoint written by mindgan.train (its .json beside it)")
    src.add_argument("--samples", help="a .npy of images (N,[C,]H,W), or a folder with samples.npy or images")
    p.add_argument("--num", type=int, default=1000, help="samples to generate from --ckpt (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="noise seed for --ckpt (default 0)")
    add_truncation_arg(p)
    p.add_argument("--live-weights", action="store_true",
                   help="a run with ema: evaluate the last step's weights instead of the average")
    p.add_argument("--data", default=None,
                   help="data for the judging net and real reference (default: the checkpoint's, or auto; "
                        "for image --samples, an image source or folder)")
    p.add_argument("--real", default=None, help="folder of real images to compare against (image folders)")
    p.add_argument("--json", default=None, help="where to write the JSON (default: a run's folder for a run's "
                                                "checkpoint, else beside the input)")
    p.add_argument("--force", action="store_true", help="replace a JSON file there that mindgan did not write")
    add_device_arg(p)
    return p.parse_args(argv)


def train_classifier(argv) -> int:
    args = parse_train_args(argv)
    if args.epochs < 1:
        raise MindganError("--epochs must be at least 1")
    name = device.setup(args.device)
    loc = sources.resolve(args.data, "mnist")
    info = None if args.force else classifier.cached_info(loc)
    if info is not None:
        print(f"mindgan: classifier for {loc.source} already cached in {classifier.cache_dir(loc.source)} "
              f"(held-out accuracy {info.get('heldout_accuracy', float('nan')):.4f}); --force retrains it")
        return 0
    print(f"mindgan: training the LeNet digit classifier on {loc.source} ({loc.train}) on {name}, "
          f"{args.epochs} epochs")
    _, info = classifier.train(loc, epochs=args.epochs)
    acc = info.get("heldout_accuracy")
    print(f"mindgan: classifier trained in {info['train_seconds']:.0f}s; held-out accuracy "
          + (f"{acc:.4f} on {info['heldout_images']} images" if acc is not None else "n/a (no test split)")
          + f"; cached in {classifier.cache_dir(loc.source)}")
    return 0


def run_evaluation(argv) -> int:
    args = parse_eval_args(argv)
    if not args.ckpt and not args.samples:
        raise MindganError("give --ckpt PATH (a generator checkpoint) or --samples PATH (.npy or folder); "
                           "or the subcommand train-classifier")
    if args.num < 2:
        raise MindganError("--num must be at least 2")
    if not 0 <= args.seed < 2**31:
        raise MindganError(f"--seed must be between 0 and {2**31 - 1}, got {args.seed}")
    check_truncation(args.truncation)
    for flag, path, kind in (("--ckpt", args.ckpt, "file"), ("--samples", args.samples, "any"),
                             ("--real", args.real, "folder")):
        if path:
            check_path(path, flag, kind)
    from ..metrics.evaluation import check_json_target, evaluate  # loads MindSpore: once the arguments are checked

    check_json_target(args.ckpt, args.samples, args.json, args.force)

    device.setup(args.device)
    t0 = time.time()
    res, out = evaluate(args.ckpt, args.samples, args.num, args.seed, args.live_weights, args.data, args.real,
                        args.json, args.truncation)
    res["seconds"] = round(time.time() - t0, 1)
    print(table(res))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        writes.record(out)
        files.write_atomic(out, lambda tmp: tmp.write_text(json.dumps(res, indent=1)))
    except OSError as err:
        raise MindganError(f"cannot write {out} ({err.strerror}): choose another --json") from None
    print(f"mindgan: evaluation written to {out}")
    return 0


@cli_entry
def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "train-classifier":
        return train_classifier(argv[1:])
    return run_evaluation(argv)

