"""`python -m mindgan.train --model gan`: train any registered model with the one trainer."""
from __future__ import annotations

import argparse
import sys

from ..errors import cli_entry
from ..models import get_model
from ..models import list_models as model_names
from ..registry import LOSSES, SCHEDULES
from . import add_run_args, overrides


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m mindgan.train", description=__doc__)
    add_run_args(p)
    p.add_argument("--out", default=None, help="run folder (default: runs/<model>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its newest checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run in --out (kept aside until the new run's first checkpoint)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (epoch lines only)")
    p.add_argument("--list-models", action="store_true", help="print the registered models and exit")
    return p.parse_args(argv)


def list_models() -> None:
    """The registered models with their contracts, then the registered losses and schedules."""
    for name in model_names():
        spec = get_model(name)
        args = ", ".join(f"{k}={a.default}" for k, a in spec.args.items()) or "-"
        print(f"{name:9s} {spec.about}\n          recipe {spec.recipe}; loss {'/'.join(spec.losses)}; "
              f"data {'/'.join(spec.data)}; model_args {args}")
    print("losses:    " + ", ".join(f"{n} (D gives a {LOSSES.get(n).needs})" for n in LOSSES.names()))
    print("schedules: " + ", ".join(SCHEDULES.names()))


@cli_entry
def main(argv=None):
    args = parse_args(argv)
    if args.list_models:
        list_models()
        return 0
    from .. import api  # MindSpore loads after the arguments are checked: --help answers at once

    summary = api.train(args.model, args.out, config_file=args.config, resume=args.resume,
                        overwrite=args.overwrite, progress=not args.no_progress and sys.stderr.isatty(),
                        device=args.device, isa_per_run=True, **overrides(args))
    out = summary["out"]
    if summary["stopped"]:
        return 130  # "interrupted"; MindSpore's runtime may turn Ctrl-C into SIGTERM, so one code for both
    if summary.get("done_already"):
        print(f"mindgan: the run in {out} has already trained epoch {summary['epoch']} of {summary['epochs']}: "
              f"nothing to do. Raise --epochs to train further; its newest checkpoint is {summary['checkpoint']}")
        return 0
    workers = summary["workers"]
    print(f"mindgan: trained {summary['model']} on {workers} worker(s) with data {summary['data']}: {summary['epoch']} epochs, "
          f"{summary['step']} steps in {summary['seconds']:.0f}s ({summary['images_per_s']:.0f} img/s; "
          f"{summary['cpu_seconds']:.0f} CPU s of training, all threads)")
    if workers > 1:
        print(f"mindgan: rank {summary['rank']} of {workers} weights sha256 {summary['weights_sha256']}")
    print(f"mindgan: output in {out}; generate with: python -m mindgan.generate --ckpt {summary['checkpoint']}")
    return 0

