"""What a run shows as it goes: each hook is an object the loop calls at fixed points, from one list.

    start(trainer)                     once, before the first step (after a resume)
    steps(trainer, rows)               after each compiled call: rows of (epoch, step, loss_d, loss_g)
    epoch_end(trainer, epoch, rows, seconds)   after each epoch (the trainer is in step with all workers)
    end(trainer)                       once, after the last epoch

Under msrun only rank 0 runs hooks. A hook reads the trainer's public parts: `cfg`, `out`, `gan`,
`state` (counters), `sample(noise, labels)`, `fixed_noise`, `fixed_labels`, `last_batch`.
"""
from __future__ import annotations

import math

import numpy as np

from . import outputs


class Hook:
    def start(self, trainer) -> None:
        pass

    def steps(self, trainer, rows: list) -> None:
        pass

    def epoch_end(self, trainer, epoch: int, rows: list, seconds: float) -> None:
        pass

    def end(self, trainer) -> None:
        pass


class LossLog(Hook):
    """losses.csv, one row per step, appended as the run goes; on a resume, rows after the checkpoint
    are dropped (they will be trained again). Keeps the rows in memory for the curve."""

    def start(self, trainer):
        self.log = outputs.LossLog(trainer.out / "losses.csv")
        self.log.truncate_after(trainer.state.step)
        self.rows = self.log.rows()

    def steps(self, trainer, rows):
        self.log.append(rows)
        self.rows += [dict(zip(outputs.CSV_FIELDS, map(str, r))) for r in rows]


class LossCurve(Hook):
    """loss_curve.png after each epoch, from the LossLog's rows (no re-reading the CSV)."""

    def __init__(self, log: LossLog):
        self.log = log

    def epoch_end(self, trainer, epoch, rows, seconds):
        outputs.loss_curve(self.log.rows, trainer.out / "loss_curve.png")


class Grid(Hook):
    """images/epoch_NNNN.png: the fixed noise through G after each epoch; progress.gif at the end."""

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
    """metrics.csv: named numbers from callables (trainer, epoch) -> {name: number}, one row per epoch."""

    def __init__(self, *fns):
        self.fns = list(fns)

    def start(self, trainer):
        done = trainer.state.epoch - (1 if trainer.state.batch_in_epoch else 0)
        outputs.truncate_csv(trainer.out / "metrics.csv", lambda r: float(r["epoch"]) <= done)

    def epoch_end(self, trainer, epoch, rows, seconds):
        metrics = {}
        for fn in self.fns:
            metrics.update(fn(trainer, epoch))
        if metrics:
            outputs.append_metrics(trainer.out / "metrics.csv", epoch, metrics)


class EpochLine(Hook):
    """One line per epoch: mean losses, images per second, seconds."""

    def epoch_end(self, trainer, epoch, rows, seconds):
        print(f"epoch {epoch:4d}/{trainer.cfg['epochs']}  loss_d {_mean(rows, 2):.4f}  loss_g {_mean(rows, 3):.4f}  "
              f"{len(rows) * trainer.global_batch / max(seconds, 1e-9):.0f} img/s  {seconds:.1f}s", flush=True)


def default_hooks(cfg: dict) -> list[Hook]:
    """The files every run leaves: losses.csv, loss_curve.png, per-epoch grids, progress.gif, metrics.csv
    (when a metric is on), and an epoch line on the terminal."""
    log = LossLog()
    hooks = [log, LossCurve(log), Grid(), EpochLine()]
    if cfg["d_accuracy_samples"]:
        from .metrics.discriminator import DAccuracy

        hooks.append(Metrics(DAccuracy(cfg)))
    return hooks


def _mean(rows: list, col: int) -> float:
    vals = [float(r[col]) for r in rows]
    return float(np.nanmean(vals)) if vals and not all(math.isnan(v) for v in vals) else math.nan
