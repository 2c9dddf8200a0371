"""The training loop: epochs of batches through the recipe's schedule, with checkpoints and hooks.

Collaborators, each in its own module: `Schedule` (schedule.py) owns the update order and the compiled
steps; `TrainState` (state.py) the nets, optimisers and counters a checkpoint holds; `CheckpointManager`
(checkpoint.py) saving, retention and finding the newest; hooks (hooks.py) every other file and line a
run shows, at the lifecycle's events. Under msrun every rank runs this loop; only rank 0 writes (see
mindgan.parallel).
"""
from __future__ import annotations

import math
import os
import signal
import time
from pathlib import Path

import mindspore as ms
import numpy as np
from tqdm import tqdm  # plain text: the same bar in terminals and in executed notebooks

from .. import __version__, checkpoint, outputs, parallel, portable, writes
from ..errors import MindganError
from ..hooks import default_hooks
from ..models import batchnorm, create_model
from .schedule import create_schedule
from .state import TrainState, fixed_inputs


class Trainer:
    def __init__(self, cfg: dict, out: Path, progress: bool = True, hooks: list | None = None):
        """`hooks`: the whole list (default: `default_hooks(cfg)`; [] for none)."""
        self.cfg, self.out, self.progress = cfg, Path(out), progress
        ms.set_seed(cfg["seed"])  # initialisation of both nets
        self.gan = create_model(cfg)
        self.is_rank0, self.global_batch = parallel.is_main(), parallel.global_batch(cfg)
        self.state = TrainState(cfg, self.gan, parallel.lr_scale(cfg))
        self.schedule = create_schedule(cfg, self.gan, self.state)
        self.checkpoints = checkpoint.CheckpointManager(self.out / "checkpoints", cfg["keep_checkpoint_max"])
        self.hooks = default_hooks(cfg) if hooks is None else list(hooks)
        self.fixed_noise, self.fixed_labels = fixed_inputs(cfg, self.gan)
        self.last_batch = None  # (images, labels) last trained on, for hooks that need real images
        self.last_checkpoint: Path | None = None
        self._signal = None
        self.train_mode()  # so that a step called on a new trainer (a benchmark, a test) is fit's step

    def sample(self, noise: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """G's images for given noise, from the averaged weights when the recipe keeps an average."""
        ema = self.state.ema
        if ema is None:
            return self.gan.sample(noise, labels)
        ema.swap()
        try:
            with batchnorm.kept(self.gan.generator):  # the average's own BatchNorm statistics, for this grid
                batchnorm.recompute(self.gan, self.cfg["num_classes"], seed=self.cfg["seed"])
                return self.gan.sample(noise, labels)
        finally:
            ema.swap()

    def train_mode(self) -> None:
        """Both nets in training mode (BatchNorm on batch statistics, Dropout on), as the steps must run: a
        MindSpore Cell starts in inference mode, so a step called without this trains another graph. A new
        trainer starts so; `fit` and the benchmarks' `time_steps` set it again for a trainer used meanwhile."""
        self.gan.generator.set_train(True)
        self.gan.discriminator.set_train(True)

    # --- checkpoints -----------------------------------------------------------------------------
    def save_checkpoint(self) -> Path:
        """Write a checkpoint (rank 0) and return its path (every rank: the file rank 0 writes)."""
        meta = {"mindgan": __version__, **self.state.meta(self.cfg, self.gan)}
        if not self.is_rank0:
            self.last_checkpoint = self.checkpoints.path_for(meta)
            return self.last_checkpoint
        path = self.last_checkpoint = self.checkpoints.save(self.state, meta)
        for h in self.hooks:
            h.checkpoint_saved(self, path)
        return path

    def resume(self) -> Path:
        """Restore from the newest complete checkpoint (by epoch and step) and the run's fixed noise."""
        path = self.last_checkpoint = self.checkpoints.restore(self.state, self.cfg["model"])
        noise_file = self.out / "fixed_noise.npy"
        if os.path.lexists(noise_file):
            self.fixed_noise = read_fixed_noise(noise_file, self.fixed_noise)
        for name, first in (("losses.csv", outputs.CSV_FIELDS), ("metrics.csv", ["epoch"])):
            if os.path.lexists(self.out / name):  # a hand-edited file is refused before anything is written
                outputs.read_csv(self.out / name, first)
        print(f"mindgan: resumed from {path} (epoch {self.state.epoch}, step {self.state.step})")
        return path

    # --- the loop --------------------------------------------------------------------------------
    def fit(self, data) -> dict:
        """Train until cfg['epochs']; returns a summary. Ctrl-C / SIGTERM / SIGHUP (the terminal closed)
        save a checkpoint and stop.

        `data` is a function epoch -> dataset (what `mindgan.train` passes: each epoch's shuffle and noise
        come from its own seed, so a resumed run sees exactly the batches an uninterrupted one would), or
        one dataset for every epoch. To continue a run, call `resume()` first.
        """
        cfg, state = self.cfg, self.state
        parallel.barrier()  # every rank has read the run folder before rank 0 changes it
        hooks = self.hooks if self.is_rank0 else []
        for h in hooks:
            h.start(self)
        first = state.epoch + (1 if state.batch_in_epoch == 0 else 0)
        if first > cfg["epochs"]:
            return self._summary(stopped=False, done_already=True)
        # One worker stops cleanly on a signal; several would stop at different steps and hang in the
        # gradient all-reduce, so under msrun a signal ends the job (resume from the last checkpoint).
        # The stop signals are those this OS has: Ctrl-C, SIGTERM, SIGHUP (not on Windows), Ctrl-Break (Windows).
        old = {} if parallel.group_size() > 1 else {s: signal.signal(s, self._on_signal)
                                                    for s in portable.stop_signals()}
        self.train_mode()
        t_run, cpu_run, step0 = time.time(), time.process_time(), state.step
        try:
            for epoch in range(first, cfg["epochs"] + 1):
                dataset = data(epoch) if callable(data) else data
                if cfg["max_steps"] and dataset.get_dataset_size() > cfg["max_steps"]:
                    dataset = dataset.take(cfg["max_steps"])
                steps = dataset.get_dataset_size()
                if steps == 0:
                    raise MindganError("the dataset yields no whole batch: lower --batch-size")
                if epoch == first:  # before the first graph compiles: a decaying rate reads the run's length
                    state.set_horizon(steps * cfg["epochs"])
                t0 = time.time()
                rows = self._epoch(dataset, epoch, steps, hooks)
                if self._signal is not None and state.batch_in_epoch < steps:
                    self.save_checkpoint()  # mid-epoch: the checkpoint says where to continue
                    return self._interrupted()
                state.batch_in_epoch = 0
                parallel.average_buffers(self.gan.generator, self.gan.discriminator)
                for h in hooks:
                    h.epoch_end(self, epoch, rows, time.time() - t0)
                if epoch % cfg["ckpt_every"] == 0 or epoch == cfg["epochs"] or self._signal is not None:
                    self.save_checkpoint()
                if self._signal is not None:
                    return self._interrupted()
        finally:
            for s, h in old.items():
                signal.signal(s, h)
        for h in hooks:
            h.end(self)
        return self._summary(stopped=False, seconds=time.time() - t_run, steps=state.step - step0,
                             cpu_seconds=time.process_time() - cpu_run)

    def _epoch(self, dataset, epoch: int, steps: int, hooks: list) -> list[tuple]:
        """One epoch, from batch_in_epoch on (after a mid-epoch resume); returns its loss rows.
        Stops early, after the current graph call, when a signal arrived."""
        state, skip, k = self.state, self.state.batch_in_epoch, self.cfg["steps_per_call"]
        state.epoch, rows, t0 = epoch, [], time.time()
        bar = tqdm(total=steps, initial=skip, desc=f"epoch {epoch}/{self.cfg['epochs']}", unit="step",
                   disable=not self.progress, leave=False, dynamic_ncols=True)
        batches = dataset.create_dict_iterator(num_epochs=1, output_numpy=True)
        try:
            for chunk in _chunks(batches, skip, k):
                losses = self.schedule.run(chunk, state.step)
                self.last_batch = (chunk[-1]["image"], chunk[-1]["label"])
                new = []
                for loss_d, loss_g, trained_g in losses:
                    state.step, state.batch_in_epoch = state.step + 1, state.batch_in_epoch + 1
                    if not math.isfinite(loss_d) or (trained_g and not math.isfinite(loss_g)):
                        self._nan(epoch, loss_d, loss_g, new, hooks)
                    new.append((epoch, state.step, f"{loss_d:.6g}", f"{loss_g:.6g}"))
                for h in hooks:
                    h.steps(self, new)
                rows += new
                done = (state.batch_in_epoch - skip) * self.global_batch
                bar.set_postfix(loss_d=f"{loss_d:.3f}", loss_g=f"{loss_g:.3f}",
                                img_s=f"{done / max(time.time() - t0, 1e-9):.0f}")
                bar.update(len(chunk))
                if self._signal is not None:
                    break
        finally:
            bar.close()
        return rows

    def _nan(self, epoch, loss_d, loss_g, good_rows, hooks):
        for h in hooks:
            h.steps(self, good_rows)  # the rows before the first bad step stay in losses.csv
        bad = loss_d if not math.isfinite(loss_d) else loss_g
        raise MindganError(f"loss became {bad} at step {self.state.step} (epoch {epoch}); last good checkpoint: "
                           f"{self.last_checkpoint or 'none'}. Lower the learning rate and --resume.")

    def _on_signal(self, signum, frame):
        self._signal = signum

    def _interrupted(self) -> dict:
        state = self.state
        where = f"at step {state.step}" if state.batch_in_epoch else f"after epoch {state.epoch}"
        name = signal.Signals(self._signal).name
        print(f"mindgan: interrupted ({name}) {where}; checkpoint {self.last_checkpoint}. "
              f"Continue with the same command plus --resume.")
        return self._summary(stopped=True, signal=int(self._signal))

    def _summary(self, stopped: bool, seconds: float = 0.0, steps: int = 0, **extra) -> dict:
        return {"stopped": stopped, "epoch": self.state.epoch, "step": self.state.step,
                "checkpoint": str(self.last_checkpoint) if self.last_checkpoint else None, "seconds": seconds,
                "images_per_s": steps * self.global_batch / max(seconds, 1e-9), **extra}


def read_fixed_noise(path: Path, expected: np.ndarray) -> np.ndarray:
    """The run's fixed_noise.npy, checked against the noise this recipe draws (shape, finite floats)."""
    fix = f"; delete it (the run draws the same noise again from its seed) or restore it"
    writes.regular_file(path, "run file", 64 * expected.nbytes + 4096, fix)
    try:
        noise = np.load(path, allow_pickle=False)  # never unpickle a file found in a folder
    except (ValueError, OSError, EOFError) as err:
        raise MindganError(f"run file {path} is not a .npy array ({writes.short(str(err), 60)}){fix}") from None
    if not isinstance(noise, np.ndarray) or noise.shape != expected.shape or noise.dtype != expected.dtype \
            or not np.isfinite(noise).all():
        raise MindganError(f"run file {path} holds {getattr(noise, 'dtype', '?')} {getattr(noise, 'shape', '?')}, "
                           f"not this run's fixed noise ({expected.dtype} {expected.shape}, finite){fix}")
    return noise


def _chunks(batches, skip: int, k: int):
    """Lists of up to k consecutive batches, leaving out the first `skip` (already trained)."""
    chunk = []
    for i, batch in enumerate(batches):
        if i < skip:
            continue
        chunk.append(batch)
        if len(chunk) == k:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
