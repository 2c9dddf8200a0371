"""The main job's last weights beside their average (with its own BatchNorm statistics), from one run's
final checkpoint and the same noise: the figure and the numbers in the README's "What the main job adds".

    .venv/bin/python -m mindgan.train --model gan --epochs 60 --ema 0.998 --out runs/gan-mnist   # = make train
    .venv/bin/python scripts/ema_figure.py runs/gan-mnist/checkpoints/gan_e0060.ckpt docs/images/gan_mnist_ema.png
"""
from __future__ import annotations

import sys

import numpy as np
from PIL import Image, ImageDraw

import mindgan  # noqa: F401  (environment settings before MindSpore loads)
from mindgan import checkpoint, loaders, outputs
from mindgan.data import sources
from mindgan.metrics import report
from mindgan.models import to_unit


def main(ckpt: str, png: str) -> None:
    z = np.random.default_rng(0).standard_normal((500, 100)).astype(np.float32)
    judge = report.DigitJudge(sources.resolve("auto", "mnist"), max_half=500, quiet=True)
    panels = []
    decay = checkpoint.read_meta(ckpt)["config"]["ema"]  # the run's recipe, without building a network
    for label, ema in (("last weights (the tutorial)", False), (f"average of weights (ema {decay:g})", True)):
        gan, _ = loaders.load_generator(ckpt, ema=ema)
        samples = gan.sample(z)
        res = judge(to_unit(samples, gan.value_range))
        title = f"{label}: FID {res['fid']:.0f}, precision {res['precision']:.2f}, recall {res['recall']:.2f}"
        print(title)
        pic = outputs.grid(samples[:36], 6, 6, gan.value_range).convert("RGB")
        canvas = Image.new("RGB", (pic.width, pic.height + 24), "white")
        canvas.paste(pic, (0, 24))
        ImageDraw.Draw(canvas).text((4, 4), title, fill="black")
        panels.append(canvas)
    out = Image.new("RGB", (sum(p.width for p in panels) + 16, max(p.height for p in panels)), "white")
    out.paste(panels[0], (0, 0))
    out.paste(panels[1], (panels[0].width + 16, 0))
    out.save(png)
    print(f"wrote {png}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
