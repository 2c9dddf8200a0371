"""How good are samples: a checkpoint's (generated here) or given as a .npy / folder, judged against real
images. Digits: the LeNet classifier's feature space, class histogram, confidence, label accuracy. Image
folders: the feature net's space (featnet.py), beside the real-vs-real floor and reference points.
`python -m mindgan.evaluate` (mindgan/cli/evaluate.py) parses its flags and calls `evaluate`."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import sources
from ..errors import MindganError
from ..generation import generate
from ..loaders import load_generator
from ..models import get_model
from . import report
from .classifier import check_digits
from .inputs import read_samples, to_unit


def generate_unit(gan, num: int, seed: int, labels, chunk: int = 500) -> np.ndarray:
    """num samples in [0, 1], generated in chunks of `chunk` (chunk i seeded seed + i)."""
    parts = [generate(gan, min(chunk, num - s), seed + i, None if labels is None else labels[s:s + chunk])
             for i, s in enumerate(range(0, num, chunk))]
    return to_unit(np.concatenate(parts), gan.value_range)


def _folder_key(folder) -> str:
    """A --real folder's name in the feature-net cache: its absolute path (cwd-independent)."""
    return str(Path(folder).resolve())


def evaluate(ckpt=None, samples=None, num: int = 1000, seed: int = 0, live_weights: bool = False, data=None,
             real=None, json=None) -> tuple[dict, Path]:
    """Judge `num` samples of checkpoint `ckpt`, or the images in `samples`; returns (results, where the
    JSON belongs: `json` or beside the input). `data`: the judging net's data (default: the checkpoint's);
    `real`: a folder of real images to compare against instead."""
    labels, what = None, {}
    if ckpt:
        gan, meta = load_generator(ckpt, ema=not live_weights)
        cfg = meta["config"]
        if gan.conditional:  # ask for every class equally often; label accuracy says how often it obeyed
            labels = (np.arange(num) % cfg.get("num_classes", 10)).astype(np.int32)
        if real:
            judge = report.ImageJudge(real, _folder_key(real), tuple(gan.image_shape), num)
        else:
            loc = sources.resolve(data or cfg.get("data", "auto"), get_model(meta["model"]).data)
            judge = report.judge_for(gan, loc, num)
        images = generate_unit(gan, num, seed, labels)
        what = {"checkpoint": str(ckpt), "model": meta["model"], "epoch": meta.get("epoch"), "weights": meta["weights"]}
        default_json = Path(ckpt).resolve().parent.parent / f"evaluation_{Path(ckpt).stem}.json"
    else:
        images = read_samples(samples)
        if real:
            judge = report.ImageJudge(real, _folder_key(real), images.shape[1:], len(images))
        elif images.shape[2:] != (28, 28) and data:
            loc = sources.resolve(data, "images")
            judge = report.ImageJudge(loc.train, loc.source, images.shape[1:], len(images))
        else:
            if images.shape[2:] != (28, 28):
                raise MindganError(f"samples are {'x'.join(map(str, images.shape[1:]))} (C x H x W): the digit "
                                   f"classifier takes 1x28x28; for other images give --real FOLDER of real images "
                                   f"or --data SOURCE (an image source such as emoji-faces)")
            check_digits(images)  # channel count, before any classifier training
            judge = report.DigitJudge(sources.resolve(data or "auto", "mnist"), max_half=len(images))
        what = {"samples": str(samples)}
        p = Path(samples)
        default_json = (p if p.is_dir() else p.parent) / "evaluation.json"
    res = {**what, **judge(images, labels)}
    return res, Path(json) if json else default_json
