"""Checkpoints as the MindSpore tutorials write and read them, with the tutorials' own code (seed_steps.py).

    python benchmarks/tutorial_ckpt.py train gan OUT_DIR [--steps 2] [--batch 8]
        train the tutorial's networks a few steps and save the generator as the tutorial saves it:
        gan -> OUT_DIR/Generator0.ckpt (save_checkpoint(net_g, ...)), dcgan -> OUT_DIR/generator.ckpt
    python benchmarks/tutorial_ckpt.py infer gan CKPT NOISE.npy OUT.npz
        load CKPT with the tutorial's inference code into its Generator, twice: the notebook's own
        net_g after training (its optimiser has renamed the weights) and a fresh Generator built as the
        inference cell builds it; run both in eval mode on NOISE; save {session, fresh} to OUT.npz.

Nothing here imports mindgan: this is the tutorials' side of the round trip that tests/test_export.py checks.
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import mindspore as ms

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_steps import seed000_step, seed002_step  # noqa: E402

SAVED_AS = {"gan": "Generator0.ckpt", "dcgan": "generator.ckpt"}  # Generator%d.ckpt % epoch; ./generator.ckpt


def tutorial_step(model, batch):
    return seed000_step(batch) if model == "gan" else seed002_step(batch)


def fresh_generator(model, session_net):
    """The Generator as the tutorial's inference cell has it, before any optimiser renamed its weights."""
    if model == "gan":
        net_g = type(session_net)(100)
        net_g.update_parameters_name('generator')
        return net_g
    return type(session_net)()


def train(model, out, steps, batch):
    step = tutorial_step(model, batch)
    for _ in range(steps):
        step()
    out.mkdir(parents=True, exist_ok=True)
    ms.save_checkpoint(step.net_g, str(out / SAVED_AS[model]))
    print(out / SAVED_AS[model])


def infer(model, ckpt, noise, out):
    session = tutorial_step(model, 2).net_g
    fresh = fresh_generator(model, session)
    results = {}
    for name, net_g in (("session", session), ("fresh", fresh)):
        parameter = ms.load_checkpoint(str(ckpt))  # the tutorial's inference code
        not_loaded, _ = ms.load_param_into_net(net_g, parameter)
        if not_loaded:
            sys.exit(f"{name} Generator: {len(not_loaded)} parameter(s) not loaded, e.g. {not_loaded[0]}")
        net_g.set_train(False)
        results[name] = net_g(ms.Tensor(np.load(noise).astype(np.float32))).asnumpy()
    np.savez(out, **results)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["train", "infer"])
    p.add_argument("model", choices=sorted(SAVED_AS))
    p.add_argument("paths", nargs="+")
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    a = p.parse_args()
    if a.mode == "train":
        train(a.model, Path(a.paths[0]), a.steps, a.batch)
    else:
        infer(a.model, *a.paths)


if __name__ == "__main__":
    main()
