"""How good are samples: a checkpoint's (generated here) or given as a .npy / folder, judged against real
images. Digits: the LeNet classifier's feature space, class histogram, confidence, label accuracy. Image
folders: the feature net's space (featnet.py), beside the real-vs-real floor and reference points.
`python -m mindgan.evaluate` (mindgan/cli/evaluate.py) parses its flags and calls `evaluate`."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import writes
from ..data import sources
from ..errors import MindganError
from ..generation import generate
from ..loaders import load_generator
from ..models import get_model
from ..runfolder import holds_run
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
             real=None, json=None, truncation=None) -> tuple[dict, Path]:
    """Judge `num` samples of checkpoint `ckpt`, or the images in `samples`; returns (results, where the
    JSON belongs: see json_target). `data`: the judging net's data (default: the checkpoint's);
    `real`: a folder of real images to compare against instead; `truncation`: the noise's (default: the
    checkpoint's recipe; see models.noise)."""
    labels, what = None, {}
    if ckpt:
        gan, meta = load_generator(ckpt, ema=not live_weights)
        cfg = meta["config"]
        if truncation is not None:
            gan.truncation = truncation
        if gan.conditional:  # ask for every class equally often; label accuracy says how often it obeyed
            labels = (np.arange(num) % cfg.get("num_classes", 10)).astype(np.int32)
        if real:
            judge = report.ImageJudge(real, _folder_key(real), tuple(gan.image_shape), num)
        else:
            loc = sources.resolve(data or cfg.get("data", "auto"), get_model(meta["model"]).data)
            judge = report.judge_for(gan, loc, num)
        images = generate_unit(gan, num, seed, labels)
        what = {"checkpoint": str(ckpt), "model": meta["model"], "epoch": meta.get("epoch"), "weights": meta["weights"],
                "truncation": gan.truncation}
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
    res = {**what, **judge(images, labels)}
    return res, json_target(ckpt, samples, json)


def json_target(ckpt=None, samples=None, json=None) -> Path:
    """Where the JSON goes: `json`; for a run's checkpoint (<run>/checkpoints/x.ckpt) the run folder's
    evaluation_x.json; else beside the checkpoint (evaluation_x.json) or the samples (evaluation.json)."""
    if json:
        return Path(json)
    if ckpt:
        ckpt = Path(ckpt).resolve()
        run = ckpt.parent.parent if ckpt.parent.name == "checkpoints" and holds_run(ckpt.parent.parent) else None
        return (run or ckpt.parent) / f"evaluation_{ckpt.stem}.json"
    p = Path(samples)
    return (p if p.is_dir() else p.parent) / "evaluation.json"


def check_json_target(ckpt=None, samples=None, json=None, force: bool = False) -> Path:
    """Checked before an evaluation runs (it can take minutes): a folder, a link, or a file mindgan did
    not write (without force) is refused. Returns the path."""
    out = json_target(ckpt, samples, json)
    try:
        if out.is_dir():
            raise MindganError(f"--json {out} is a folder; give the path of the .json file to write")
        writes.may_write(out, force, "--json" if json else "the evaluation file",
                         owner=not json and holds_run(out.parent))
    except OSError as err:
        raise MindganError(f"--json {writes.short(str(out))}: not usable ({err.strerror}); give another path") from None
    return out
