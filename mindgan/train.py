"""`python -m mindgan.train --model gan`: train any registered model with the one trainer."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from .errors import cli_entry


def parse_args(argv=None):
    from .run import add_run_args

    p = argparse.ArgumentParser(prog="python -m mindgan.train", description=__doc__)
    add_run_args(p)
    p.add_argument("--out", default=None, help="run folder (default: runs/<model>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (epoch lines only)")
    p.add_argument("--list-models", action="store_true", help="print the registered models and exit")
    return p.parse_args(argv)


@cli_entry
def main(argv=None):
    args = parse_args(argv)
    from . import device, parallel
    from .models import get_model, list_models
    from .run import build_dataset, check_out_dir, config_from_args, prepare_out_dir

    if args.list_models:
        for name in list_models():
            print(f"{name:10s} {get_model(name).about}")
        return 0
    if args.resume and args.out and args.config is None and (Path(args.out) / "config.yaml").is_file():
        args.config = str(Path(args.out) / "config.yaml")  # resume the run's own recipe; flags still override
    cfg = config_from_args(args)
    get_model(cfg["model"])  # an unknown model fails here, before any folder is made
    out = Path(args.out or f"runs/{cfg['model']}")
    check_out_dir(out, args.resume, args.overwrite)
    name = device.setup(args.device, cfg["threads"])
    workers = parallel.init()  # under msrun: join the job (rank, group size); 1 otherwise

    from .trainer import Trainer

    trainer = Trainer(cfg, out, progress=not args.no_progress and sys.stderr.isatty())
    dataset, loc = build_dataset(cfg, trainer.gan)  # checks the data before any folder is made
    if cfg["eval_every"] > 0 and parallel.is_main():  # evaluation during training: numbers in metrics.csv, curves in metrics.png
        from .metrics.report import training_hook

        trainer.epoch_metrics.append(training_hook(cfg, trainer.gan, loc, out))
    parallel.barrier()  # every rank has checked --out before rank 0 creates the run in it
    if parallel.is_main():  # only rank 0 writes the run folder
        prepare_out_dir(out, args.resume, args.overwrite)  # only now, so bad input leaves no folder behind
        on = name if workers == 1 else (f"{workers} {name} workers (rank 0 writes; global batch "
                                        f"{trainer.global_batch}, {parallel.local_batch(cfg)}"
                                        f" per worker)")
        print(f"mindgan: training {cfg['model']} on {on} with data {loc.source}, output in {out}")
        (out / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    summary = trainer.fit(lambda epoch: build_dataset(cfg, trainer.gan, seed_offset=epoch, loc=loc)[0],
                          resume=args.resume)
    if summary["stopped"]:
        return 130  # "interrupted"; MindSpore's runtime may turn Ctrl-C into SIGTERM, so one code for both
    print(f"mindgan: done: {summary['epoch']} epochs, {summary['step']} steps in {summary['seconds']:.0f}s "
          f"({summary['images_per_s']:.0f} img/s). Checkpoint: {summary['checkpoint']}")
    if workers > 1:  # equal on all ranks when the gradient all-reduce kept them in step
        print(f"mindgan: rank {parallel.rank()} of {workers} weights sha256 {parallel.fingerprint(trainer.state)}")
    print(f"mindgan: generate with: python -m mindgan.generate --ckpt {summary['checkpoint']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
