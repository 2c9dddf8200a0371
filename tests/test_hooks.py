"""The run's lifecycle goes through hooks: every event reaches them in order, a caller's hook is added to the
defaults (which keep writing the run's files), and metrics.png is drawn from a metrics.csv that holds the row."""
from __future__ import annotations

import csv

import pytest

import mindgan
from mindgan import hooks
from mindgan.hooks import Hook

QUICK = dict(epochs=2, batch_size=64, max_steps=2, grid_rows=2, grid_cols=2, ckpt_every=1, progress=False)


class Recorder(Hook):
    def __init__(self):
        self.events = []

    def start(self, trainer):
        self.events.append("start")

    def steps(self, trainer, rows):
        self.events.append(f"steps {[r[1] for r in rows]}")

    def epoch_end(self, trainer, epoch, rows, seconds):
        self.events.append(f"epoch_end {epoch}")

    def checkpoint_saved(self, trainer, path):
        self.events.append(f"checkpoint_saved {path.name}")

    def end(self, trainer):
        self.events.append("end")


@pytest.mark.trains
def test_a_callers_hook_sees_every_event_and_keeps_the_defaults(tmp_path, tiny_mnist):
    rec = Recorder()
    out = tmp_path / "run"
    mindgan.train("gan", out, data=str(tiny_mnist), hooks=[rec], d_accuracy_samples=8, **QUICK)
    assert rec.events == ["start", "steps [1, 2]", "epoch_end 1", "checkpoint_saved gan_e0001.ckpt",
                          "steps [3, 4]", "epoch_end 2", "checkpoint_saved gan_e0002.ckpt", "end"]
    # the defaults still ran: losses, curve, grids, GIF, the metric, the run folder's commit
    for name in ("losses.csv", "loss_curve.png", "images/epoch_0002.png", "progress.gif", "fixed_noise.npy",
                 "metrics.csv", "config.yaml", "checkpoints/gan_e0002.ckpt"):
        assert (out / name).is_file(), name
    with open(out / "metrics.csv") as f:
        assert [r["epoch"] for r in csv.DictReader(f)] == ["1", "2"]


@pytest.mark.trains
def test_metrics_png_is_drawn_after_the_row_is_written(tmp_path, tiny_mnist, monkeypatch):
    seen = []

    def spy(csv_path, png):
        with open(csv_path) as f:
            seen.append([r["epoch"] for r in csv.DictReader(f)])

    monkeypatch.setattr(hooks, "metrics_png", spy)
    metric = hooks.Metrics(lambda trainer, epoch: {"fid": 100.0 / epoch}, plot=True)
    mindgan.train("gan", tmp_path / "run", data=str(tiny_mnist), hooks=[metric], **QUICK)
    assert seen == [["1"], ["1", "2"]]  # each drawing already has its own epoch's row


def test_default_hooks_hold_the_run_folder_commit_and_the_metrics():
    cfg = {"d_accuracy_samples": 0, "eval_every": 0, "loss": "bce", "num_classes": 10, "seed": 0}
    names = [type(h).__name__ for h in hooks.default_hooks(cfg, folder=object())]
    assert names == ["LossLog", "Grid", "EpochLine", "CommitRunFolder"]
    names = [type(h).__name__ for h in hooks.default_hooks({**cfg, "d_accuracy_samples": 4})]
    assert names == ["LossLog", "Grid", "EpochLine", "Metrics"]
