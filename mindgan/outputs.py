"""What a run leaves on disk: image grids, the loss CSV, the loss curve, the GIF of grids."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import writes
from .errors import MindganError
from .files import write_atomic
from .models import to_unit

CSV_FIELDS = ["epoch", "step", "loss_d", "loss_g"]


def to_uint8(images: np.ndarray, value_range: str) -> np.ndarray:
    """(N, C, H, W) floats in the model's range -> (N, H, W, C) uint8."""
    return (to_unit(images, value_range) * 255 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1)


def grid(images: np.ndarray, rows: int, cols: int, value_range: str, pad: int = 2,
         min_side: int = 320, min_tile: int = 64, label: str | None = None,
         row_labels: list | None = None) -> Image.Image:
    """Tile the first rows*cols images into one picture (upscaled so small digits stay visible), with an
    optional caption above (e.g. "epoch 12") and a label left of each row (e.g. the digit asked for)."""
    imgs = to_uint8(images[: rows * cols], value_range)
    n, h, w, c = imgs.shape
    canvas = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), 255, np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + q * (w + pad): pad + q * (w + pad) + w] = imgs[i]
    pic = Image.fromarray(canvas[..., 0] if c == 1 else canvas)
    # upscale until the picture is min_side wide, and each tile min_tile px (a 1x16 strip too)
    scale = max(1, -(-min_side // max(pic.size)), -(-min_tile // h))
    if scale > 1:
        pic = pic.resize((pic.width * scale, pic.height * scale), Image.NEAREST)
    if label is None and row_labels is None:
        return pic
    font = ImageFont.load_default(size=max(12, min(24, h * scale // 3)))
    left = 28 if row_labels is not None else 0
    top = 28 if label is not None else 0
    framed = Image.new(pic.mode, (pic.width + left, pic.height + top), "white")
    framed.paste(pic, (left, top))
    draw = ImageDraw.Draw(framed)
    if label is not None:
        draw.text((left + 4, 4), label, fill="black", font=font)
    for r, text in enumerate([] if row_labels is None else row_labels):
        draw.text((4, top + (pad + r * (h + pad) + h // 2) * scale - 8), str(text), fill="black", font=font)
    return framed


def save_image(pic: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: pic.save(tmp, format=path.suffix.lstrip(".").upper() or "PNG"))


def save_individual(images: np.ndarray, folder: Path, value_range: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(to_uint8(images, value_range)):
        Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(folder / f"{i:04d}.png")


MAX_CSV = 4 << 30  # bytes: a losses.csv of a billion steps; anything larger is not a run's


def read_csv(path: Path, first: list[str], whole: bool = True) -> tuple[list[str], list[dict]]:
    """A run's CSV (its header must start with `first`) -> (fields, whole rows); a hand-edited,
    binary or other file is one line naming it."""
    fix = "; move it out of the run folder (the run starts a new one) or restore it"
    text = writes.read_text(path, "run file", MAX_CSV, fix)
    try:
        reader = csv.DictReader(text.splitlines())
        fields = list(reader.fieldnames or [])
        if fields[: len(first)] != first or len(set(fields)) != len(fields):
            raise MindganError(f"run file {path} has the header {writes.short(','.join(fields), 60)!r}, not "
                               f"{','.join(first)}{fix}")
        return fields, [r for r in reader if not whole or _whole(r)]
    except csv.Error as err:
        raise MindganError(f"run file {path} is not a CSV file ({writes.short(str(err), 60)}){fix}") from None


def truncate_csv(path: Path, keep, first: list[str] | None = None) -> None:
    """Rewrite a CSV keeping the rows for which keep(row) is true (atomically)."""
    if not os.path.lexists(path):
        return
    fields, rows = read_csv(path, first or ["epoch"])
    write_csv(path, fields, [r for r in rows if keep(r)])


def _whole(row: dict) -> bool:
    """A row with every field, its numbers readable (a kill mid-write can leave half a last line)."""
    try:
        return None not in row.values() and all(float(v) == float(v) or v == "nan" for v in row.values())
    except (TypeError, ValueError):
        return False


def write_csv(path: Path, fields: list, rows: list[dict]) -> None:
    """Write a whole CSV atomically (temp file + rename): a kill never leaves half a file."""
    def write(tmp):
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fields)
            w.writeheader()
            w.writerows(rows)

    write_atomic(path, write)


class LossCsv:
    """The run's losses.csv: one row per step, appended as the run goes, truncated on resume."""

    def __init__(self, path: Path):
        self.path = path

    def rows(self) -> list[dict]:
        if not os.path.lexists(self.path):
            return []
        return read_csv(self.path, CSV_FIELDS)[1]

    def truncate_after(self, step: int) -> None:
        """Keep rows up to and including global step `step` (what the resumed checkpoint has seen)."""
        truncate_csv(self.path, lambda r: int(float(r["step"])) <= step, CSV_FIELDS)

    def append(self, rows: list[tuple]) -> None:
        new = not self.path.is_file()
        fd = writes.open_nofollow(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        with open(fd, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(CSV_FIELDS)
            w.writerows(rows)
            f.flush()
            os.fsync(f.fileno())


def append_metrics(path: Path, epoch: int, metrics: dict) -> None:
    """One row per epoch of named numbers (evaluation, discriminator accuracy, ...).

    Hooks need not report every epoch; a column first seen later widens the file (rewritten once).
    """
    row = {"epoch": epoch, **{k: f"{v:.6g}" for k, v in metrics.items()}}
    rows, fields = [], ["epoch"]
    if os.path.lexists(path):
        fields, rows = read_csv(path, ["epoch"], whole=False)
    new_fields = [k for k in row if k not in fields]
    if new_fields or not path.is_file():
        fields += new_fields
        write_csv(path, fields, rows + [row])
        return
    with open(writes.open_nofollow(path, os.O_WRONLY | os.O_APPEND), "a", newline="") as f:
        csv.DictWriter(f, fields).writerow(row)


def loss_curve(rows: list[dict], path: Path, title: str = "Generator and Discriminator Loss During Training"):
    """Per-step losses (faint) with a moving average (bold), as the tutorials plot them. A Figure of its
    own, not pyplot: switching pyplot's backend here (matplotlib.use) would stop a notebook that trains in
    its kernel from showing its later figures."""
    from matplotlib.figure import Figure

    if not rows:
        return
    step = np.array([int(r["step"]) for r in rows])
    fig = Figure(figsize=(8, 4), dpi=100)
    ax = fig.subplots()
    for key, label, color in (("loss_g", "G", "tab:blue"), ("loss_d", "D", "tab:orange")):
        y = np.array([float(r[key]) for r in rows])
        keep = np.isfinite(y)  # loss_g is NaN on critic-only steps (n_critic > 1); a NaN would blank the mean
        x, y = step[keep], y[keep]
        if not len(y):
            continue
        ax.plot(x, y, color=color, alpha=0.25, linewidth=0.8)
        k = max(1, min(50, len(y) // 20))
        smooth = np.convolve(y, np.ones(k) / k, mode="valid")
        ax.plot(x[k - 1:], smooth, color=color, label=label if k == 1 else f"{label} (mean of {k} steps)")
    ax.set_title(title)
    ax.set_xlabel("iterations")
    ax.set_ylabel("Loss")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def gif(frames: list[Path], path: Path, ms_per_frame: int = 1000, max_frames: int = 12, max_side: int = 256,
        min_height: int = 256) -> None:
    """An animated GIF of the per-epoch grids (the DCGAN tutorial's dcgan.gif): the long side shrunk to
    max_side, but never under min_height pixels tall (a strip of samples is widened instead)."""
    if not frames:
        return
    if len(frames) > max_frames:  # a long run's GIF keeps evenly spaced epochs, always the last
        frames = [frames[round(i * (len(frames) - 1) / (max_frames - 1))] for i in range(max_frames)]
    pics = []
    for f in frames:
        pic = Image.open(f).convert("RGB")
        scale = max(max_side / max(pic.size), min_height / pic.height)
        if scale != 1:
            pic = pic.resize((round(pic.width * scale), round(pic.height * scale)),
                             Image.BILINEAR if scale < 1 else Image.NEAREST)
        pics.append(pic)
    pics[0].save(path, save_all=True, append_images=pics[1:], duration=ms_per_frame, loop=0)


def compare_runs(runs: list, figsize=(13, 8)):
    """Two or more run folders side by side: each one's last grid above its loss curve, with a title
    (list of (folder, title)). Returns the matplotlib figure (shown inline by a notebook)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(runs), figsize=figsize, gridspec_kw={"height_ratios": [1, 1.2]}, squeeze=False)
    for col, (run, title) in enumerate(runs):
        run = Path(run)
        last = sorted((run / "images").glob("epoch_*.png"))[-1]
        axes[0, col].imshow(plt.imread(last), cmap="gray")
        axes[0, col].set_title(f"{title}, {last.stem.replace('_', ' ')}")
        axes[1, col].imshow(plt.imread(run / "loss_curve.png"))
        for ax in axes[:, col]:
            ax.axis("off")
    fig.tight_layout()
    return fig
