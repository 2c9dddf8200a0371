"""What a run does around its training steps: each hook is an object the loop calls at the events of the
run's lifecycle, from one list. Every file a run writes besides its checkpoints comes from a hook.

    start(trainer)                             once, before the first step (after a resume)
    steps(trainer, rows)                       after each compiled call: rows of (epoch, step, loss_d, loss_g)
    epoch_end(trainer, epoch, rows, seconds)   after each epoch (the trainer is in step with all workers)
    checkpoint_saved(trainer, path)            after each checkpoint is written and complete
    end(trainer)                               once, after the last epoch

`default_hooks(...)` builds the list every run gets; `mindgan.train(hooks=[...])` adds to it. Under msrun
only rank 0 runs hooks. A hook reads the trainer's public parts: `cfg`, `out`, `gan`, `state` (counters),
`sample(noise, labels)`, `fixed_noise`, `fixed_labels`, `last_batch`, `global_batch`.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from . import outputs
from .metrics.discriminator import DAccuracy
from .metrics.report import metrics_png, training_hook


class Hook:
    def start(self, trainer) -> None:
        pass

    def steps(self, trainer, rows: list) -> None:
        pass

    def epoch_end(self, trainer, epoch: int, rows: list, seconds: float) -> None:
        pass

    def checkpoint_saved(self, trainer, path: Path) -> None:
        pass

    def end(self, trainer) -> None:
        pass


class LossLog(Hook):
    """losses.csv, one row per step, appended as the run goes (on a resume, rows after the checkpoint are
    dropped: they will be trained again), and loss_curve.png redrawn after each epoch from the rows kept
    in memory (no re-reading the CSV)."""

    def __init__(self, curve: bool = True):
        self.curve = curve

    def start(self, trainer):
        self.csv = outputs.LossCsv(trainer.out / "losses.csv")
        self.csv.truncate_after(trainer.state.step)
        self.rows = self.csv.rows()

    def steps(self, trainer, rows):
        self.csv.append(rows)
        self.rows += [dict(zip(outputs.CSV_FIELDS, map(str, r))) for r in rows]

    def epoch_end(self, trainer, epoch, rows, seconds):
        if self.curve:
            outputs.loss_curve(self.rows, trainer.out / "loss_curve.png")


class Grid(Hook):
    """images/epoch_NNNN.png: the fixed noise through G after each epoch (the noise saved as fixed_noise.npy,
    which a resume reads back); progress.gif at the end."""

    def start(self, trainer):
        (trainer.out / "images").mkdir(parents=True, exist_ok=True)
        np.save(trainer.out / "fixed_noise.npy", trainer.fixed_noise)

    def epoch_end(self, trainer, epoch, rows, seconds):
        cfg = trainer.cfg
        samples = trainer.sample(trainer.fixed_noise, trainer.fixed_labels)
        rows = trainer.fixed_labels[:: cfg["grid_cols"]] if trainer.gan.conditional else None  # the digit asked for
        pic = outputs.grid(samples, cfg["grid_rows"], cfg["grid_cols"], trainer.gan.value_range,
                           label=f"epoch {epoch}", row_labels=rows)
        outputs.save_image(pic, trainer.out / "images" / f"epoch_{epoch:04d}.png")

    def end(self, trainer):
        outputs.gif(sorted((trainer.out / "images").glob("epoch_*.png")), trainer.out / "progress.gif")


class Metrics(Hook):
    """metrics.csv: named numbers from callables (trainer, epoch) -> {name: number}, one row per epoch;
    with plot=True, metrics.png redrawn from the file once the row is in it."""

    def __init__(self, *fns, plot: bool = False):
        self.fns, self.plot = list(fns), plot

    def start(self, trainer):
        done = trainer.state.epoch - (1 if trainer.state.batch_in_epoch else 0)
        outputs.truncate_csv(trainer.out / "metrics.csv", lambda r: float(r["epoch"]) <= done)

    def epoch_end(self, trainer, epoch, rows, seconds):
        metrics = {}
        for fn in self.fns:
            metrics.update(fn(trainer, epoch))
        if metrics:
            outputs.append_metrics(trainer.out / "metrics.csv", epoch, metrics)
            if self.plot:
                metrics_png(trainer.out / "metrics.csv", trainer.out / "metrics.png")


class EpochLine(Hook):
    """One line per epoch: mean losses, images per second, seconds, and the process's CPU seconds so far
    (all its threads): on shared cores wall time says little, CPU time is what the run cost."""

    def epoch_end(self, trainer, epoch, rows, seconds):
        print(f"epoch {epoch:4d}/{trainer.cfg['epochs']}  loss_d {_mean(rows, 2):.4f}  loss_g {_mean(rows, 3):.4f}  "
              f"{len(rows) * trainer.global_batch / max(seconds, 1e-9):.0f} img/s  {seconds:.1f}s  "
              f"cpu {time.process_time():.0f}s", flush=True)


class CommitRunFolder(Hook):
    """The run folder's commit (runfolder.RunFolder): a run the new one replaces (--overwrite) is kept
    aside, and comes back if the run fails, until the new run has a whole epoch and its checkpoint."""

    def __init__(self, folder):
        self.folder = folder

    def checkpoint_saved(self, trainer, path):
        self.folder.committed(trainer.state.batch_in_epoch == 0)


def default_hooks(cfg: dict, gan=None, loc=None, folder=None) -> list[Hook]:
    """The hooks every run gets: losses.csv and loss_curve.png, per-epoch grids and progress.gif, the epoch
    line; metrics.csv and metrics.png when a metric is on (D's accuracy; the evaluation every eval_every
    epochs, which needs the model `gan` and the data location `loc`); the commit of a run `folder`."""
    hooks = [LossLog(), Grid(), EpochLine()]
    fns = [DAccuracy(cfg)] if cfg["d_accuracy_samples"] else []
    if cfg["eval_every"] > 0 and gan is not None and loc is not None:
        fns.append(training_hook(cfg, gan, loc))
    if fns:
        hooks.append(Metrics(*fns, plot=cfg["eval_every"] > 0))
    if folder is not None:
        hooks.append(CommitRunFolder(folder))
    return hooks


def _mean(rows: list, col: int) -> float:
    vals = [float(r[col]) for r in rows]
    return float(np.nanmean(vals)) if vals and not all(math.isnan(v) for v in vals) else math.nan
