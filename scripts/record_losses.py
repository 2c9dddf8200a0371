"""Record the first training losses of every registered model (its own recipe, a fixed seed, fixed random
batches) into tests/data/first_losses.json; tests/test_first_losses.py compares a fresh run with them.

A refactor of the models, losses, schedules or the trainer must leave these numbers exactly equal. Rerun this
only when a change is meant to alter the numerics, and say so in the commit:

    .venv/bin/python scripts/record_losses.py            # rewrite the file
    .venv/bin/python scripts/record_losses.py --check    # compare only (exit 1 on a difference)
    .venv/bin/python scripts/record_losses.py --model wgan_gp   # rewrite one model's record, keep the others
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

import mindgan  # noqa: F401  (environment settings before MindSpore loads)
from mindgan import config, device
from mindgan.models import list_models

RECORD = Path(__file__).resolve().parent.parent / "tests" / "data" / "first_losses.json"
STEPS = 5  # one graph call of 5 steps: WGAN-GP's n_critic 5 trains G on the last one
BATCH = 4


def batches(gan, seed: int = 0) -> list[dict]:
    """STEPS batches of the shapes the model trains on: uniform images in [-1, 1], Gaussian latents, labels."""
    rng = np.random.default_rng(seed)
    return [{"image": rng.uniform(-1, 1, (BATCH, *gan.image_shape)).astype(np.float32),
             "latent_code": rng.standard_normal((BATCH, *gan.latent_shape)).astype(np.float32),
             "label": rng.integers(0, 10, BATCH).astype(np.int32)} for _ in range(STEPS)]


def first_losses(model: str, **over) -> list[list]:
    """[loss_d, loss_g or None, whether G trained] for the first STEPS steps of `model` (its recipe)."""
    from mindgan.training import Trainer

    cfg = config.load(model=model, overrides={"batch_size": BATCH, "steps_per_call": STEPS, **over})
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, tmp, progress=False, hooks=[])
        rows = trainer.schedule.run(batches(trainer.gan), 0)
    return [[d, g if t else None, t] for d, g, t in rows]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="compare with the record instead of writing it")
    p.add_argument("--model", action="append", choices=list_models(),
                   help="only this model (repeatable); the others' records stay as they are")
    args = p.parse_args(argv)
    device.setup("CPU")
    got = {m: first_losses(m) for m in args.model or list_models()}
    if args.check:
        want = json.loads(RECORD.read_text())
        bad = [m for m in got if got[m] != want.get(m)]
        for m in bad:
            print(f"{m}: recorded {want.get(m)}\n{' ' * len(m)}  now      {got.get(m)}")
        print("first losses " + ("differ: " + ", ".join(bad) if bad else "unchanged"))
        return 1 if bad else 0
    if args.model:
        got = {**json.loads(RECORD.read_text()), **got}
    RECORD.write_text("{\n" + ",\n".join(f"{json.dumps(m)}: [\n  " + ",\n  ".join(json.dumps(r) for r in rows) + "]"
                                        for m, rows in got.items()) + "\n}\n")  # one step a line: diffs read well
    print(f"wrote {RECORD} ({len(got)} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
