"""The one training loop: every model trains here, through jit-compiled `value_and_grad` steps."""
from __future__ import annotations

import math
import signal
import time
from pathlib import Path

import mindspore as ms
import numpy as np
from mindspore import mint, nn, ops

from . import __version__, checkpoint, outputs, parallel
from .errors import MindganError
from .losses import create_loss
from .models import GAN, create_model


class TrainState(nn.Cell):
    """Everything a checkpoint holds: both nets and both optimisers (moments, step counters)."""

    def __init__(self, generator, discriminator, opt_g, opt_d):
        super().__init__(auto_prefix=False)  # keep the generator./discriminator./optim_* names as they are
        self.generator, self.discriminator, self.opt_g, self.opt_d = generator, discriminator, opt_g, opt_d


def make_optimizer(params, lr: float, beta1: float, beta2: float, prefix: str):
    params = list(params)
    if beta1 == 0.0:
        # WGAN-GP's Adam(beta1=0): nn.Adam refuses it, mint.optim.Adam (PyTorch's update) takes it.
        opt = mint.optim.Adam(params, lr=lr, betas=(beta1, beta2))
    else:
        opt = nn.Adam(params, learning_rate=lr, beta1=beta1, beta2=beta2)
    # Two optimisers in one graph clash on global_step & co. unless renamed. Opt.update_parameters_name
    # would also rename the network's own weights (the tutorial's checkpoints have that flaw), so
    # rename only the optimiser's state.
    net_ids = {id(p) for p in params}
    for p in opt.get_parameters():
        if id(p) not in net_ids:
            p.name = prefix + p.name
    return opt


def fixed_inputs(cfg: dict, gan: GAN) -> tuple[np.ndarray, np.ndarray]:
    """The fixed test noise (and, for conditional models, one row of labels per class) of a run."""
    n = cfg["grid_rows"] * cfg["grid_cols"]
    noise = np.random.default_rng(cfg["seed"]).standard_normal((n, *gan.latent_shape)).astype(np.float32)
    labels = (np.arange(n) // cfg["grid_cols"]) % cfg["num_classes"]
    return noise, labels.astype(np.int32)


class Trainer:
    """Builds the jit steps for a model and runs epochs, writing grids, CSV, curve and checkpoints.

    Files in `out`: config.yaml, fixed_noise.npy, losses.csv, loss_curve.png, images/epoch_NNNN.png,
    checkpoints/<model>_eNNNN.ckpt (+ .json metadata). Under msrun only rank 0 writes them; every rank
    reads checkpoints to resume (see mindgan.parallel).
    """

    def __init__(self, cfg: dict, out: Path, gan: GAN | None = None, progress: bool = True):
        self.cfg, self.out, self.progress = cfg, Path(out), progress
        ms.set_seed(cfg["seed"])  # initialisation of both nets
        self.gan = gan or create_model(cfg)
        G, D = self.gan.generator, self.gan.discriminator
        self.main, self.global_batch = parallel.is_main(), parallel.global_batch(cfg)
        lr_scale = parallel.lr_scale(cfg)  # 1 unless dp_lr: linear with a larger global batch
        self.opt_g = make_optimizer(G.trainable_params(), cfg["lr_g"] * lr_scale, cfg["beta1"], cfg["beta2"],
                                    "optim_g.")
        self.opt_d = make_optimizer(D.trainable_params(), cfg["lr_d"] * lr_scale, cfg["beta1"], cfg["beta2"],
                                    "optim_d.")
        self.state = TrainState(G, D, self.opt_g, self.opt_d)
        self.loss = create_loss(cfg)
        self.epoch, self.step, self.batch_in_epoch = 0, 0, 0
        self.fixed_noise, self.fixed_labels = fixed_inputs(cfg, self.gan)
        self._stop_signal = None
        # Callables (trainer, epoch) -> {name: number}, run after each epoch; results go to metrics.csv.
        self.epoch_metrics: list = []
        self._multi: dict = {}  # k -> the compiled k-step graph
        self.last_batch = None  # (images, labels) as numpy, last trained on, for metrics that need real images
        if cfg["d_accuracy_samples"]:
            from .metrics.discriminator import DAccuracy

            self.epoch_metrics.append(DAccuracy(cfg))
        self._build_steps()

    # --- the compiled steps ----------------------------------------------------------------------
    def _build_steps(self):
        G, D, loss, opt_g, opt_d = self.gan.generator, self.gan.discriminator, self.loss, self.opt_g, self.opt_d
        if self.gan.conditional:
            def g_apply(z, y):
                return G(z, y)

            def d_apply(x, y):
                return D(x, y)
        else:
            def g_apply(z, y):
                return G(z)

            def d_apply(x, y):
                return D(x)

        def d_forward(real, z, y):
            fake = ops.stop_gradient(g_apply(z, y))  # D's step trains D only
            return loss.d_loss(d_apply, real, fake, y)

        def g_forward(z, y):
            return loss.g_loss(d_apply, g_apply(z, y), y)

        grad_d = ms.value_and_grad(d_forward, None, opt_d.parameters)
        grad_g = ms.value_and_grad(g_forward, None, opt_g.parameters)
        # Data parallel: workers' gradients averaged (one reducer per optimiser) and losses averaged, so
        # all ranks apply the same update and log the same loss. Identities for one worker.
        reduce_d, reduce_g = parallel.grad_reducer(opt_d), parallel.grad_reducer(opt_g)
        loss_mean = parallel.loss_mean()

        def d_step(real, z, y):
            loss_d, grads = grad_d(real, z, y)
            opt_d(reduce_d(grads))
            return loss_mean(loss_d)

        def g_step(z, y):
            loss_g, grads = grad_g(z, y)
            opt_g(reduce_g(grads))
            return loss_mean(loss_g)

        def train_step(real, z, y):
            """The tutorial's step: D update, then G update on the same latent batch."""
            return d_step(real, z, y), g_step(z, y)

        self.train_step_fn = train_step  # the plain step, unrolled k times by _multi_step
        self.train_step = ms.jit(train_step)
        self.d_step = ms.jit(d_step)
        self.g_step = ms.jit(g_step)

    def _multi_step(self, k: int):
        """One graph for k consecutive steps (inputs stacked on a leading axis of k), compiled on first use.

        Same numerics as k calls of train_step; on 2 CPU cores it halves the MLP GAN's time per step,
        most of which is the per-call overhead of launching a graph and waiting for its result.
        """
        if k not in self._multi:
            step = self.train_step_fn

            def multi(real, z, y):
                out = ()
                for i in range(k):  # unrolled at compile time
                    loss_d, loss_g = step(real[i], z[i], y[i])
                    out = out + (ops.stack((loss_d, loss_g)),)
                return ops.stack(out)

            self._multi[k] = ms.jit(multi)
        return self._multi[k]

    def train_steps(self, batches: list[dict]) -> list[tuple[float, float]]:
        """Train on consecutive batches (numpy dicts); returns (loss_d, loss_g) per step."""
        if len(batches) == 1 or self.cfg["n_critic"] > 1:
            return [self.step_once(*(ms.Tensor(b[k]) for k in ("image", "latent_code", "label"))) for b in batches]
        stacked = [ms.Tensor(np.stack([b[k] for b in batches])) for k in ("image", "latent_code", "label")]
        return [tuple(map(float, row)) for row in self._multi_step(len(batches))(*stacked).asnumpy()]

    def step_once(self, real, z, y):
        """One training step; returns (loss_d, loss_g) as floats. loss_g is NaN on critic-only steps."""
        if self.cfg["n_critic"] <= 1:
            loss_d, loss_g = self.train_step(real, z, y)
            return float(loss_d.asnumpy()), float(loss_g.asnumpy())
        loss_d = float(self.d_step(real, z, y).asnumpy())
        loss_g = math.nan
        if (self.step + 1) % self.cfg["n_critic"] == 0:
            loss_g = float(self.g_step(z, y).asnumpy())
        return loss_d, loss_g

    # --- sampling --------------------------------------------------------------------------------
    def sample(self, noise: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Generator output for given noise, in eval mode (BatchNorm uses its running statistics)."""
        from .generate import run_generator

        self.gan.generator.set_train(False)
        try:
            return run_generator(self.gan, np.asarray(noise, np.float32), labels)
        finally:
            self.gan.generator.set_train(True)

    # --- checkpoints -----------------------------------------------------------------------------
    @property
    def ckpt_dir(self) -> Path:
        return self.out / "checkpoints"

    def checkpoints(self) -> list[Path]:
        return sorted(self.ckpt_dir.glob(f"{self.cfg['model']}_e*.ckpt"), key=lambda p: p.stat().st_mtime)

    def save_checkpoint(self) -> Path:
        """Write a checkpoint (rank 0 only) and return its path (every rank)."""
        done = self.batch_in_epoch == 0
        name = f"{self.cfg['model']}_e{self.epoch:04d}" + ("" if done else f"_s{self.step:07d}") + ".ckpt"
        path = self.ckpt_dir / name
        meta = {"mindgan": __version__, "model": self.cfg["model"], "epoch": self.epoch, "step": self.step,
                "batch_in_epoch": self.batch_in_epoch, "config": self.cfg,
                "latent_shape": list(self.gan.latent_shape), "image_shape": list(self.gan.image_shape),
                "value_range": self.gan.value_range, "conditional": self.gan.conditional}
        if not self.main:
            return path
        checkpoint.save(self.state, path, meta)
        kept = self.checkpoints()
        for old in kept[: max(0, len(kept) - self.cfg["keep_checkpoint_max"])]:
            old.unlink(missing_ok=True)
            old.with_suffix(".json").unlink(missing_ok=True)
        return path

    def resume(self) -> Path | None:
        """Restore from the newest complete checkpoint; a damaged newer one is skipped, and said so."""
        for path in reversed(self.checkpoints()):
            if not checkpoint.is_complete(path):
                print(f"mindgan: skipping damaged or incomplete checkpoint {path.name}")
                continue
            meta = checkpoint.read_meta(path)
            if meta["model"] != self.cfg["model"]:
                raise MindganError(f"{path} is a {meta['model']} checkpoint; this run trains {self.cfg['model']}")
            params = checkpoint.load_params(path)
            for cell, prefix, what in ((self.gan.generator, "generator.", "generator"),
                                       (self.gan.discriminator, "discriminator.", "discriminator")):
                checkpoint.load_into(cell, params, prefix, what, path)
            for opt, prefix in ((self.opt_g, "optim_g."), (self.opt_d, "optim_d.")):
                state = [p for p in opt.get_parameters() if p.name.startswith(prefix)]
                checkpoint.assign(state, params, "optimiser", path)
            self.epoch, self.step, self.batch_in_epoch = meta["epoch"], meta["step"], meta["batch_in_epoch"]
            noise_file = self.out / "fixed_noise.npy"
            if noise_file.is_file():
                self.fixed_noise = np.load(noise_file)
            return path
        return None

    # --- the loop --------------------------------------------------------------------------------
    def _on_signal(self, signum, frame):
        self._stop_signal = signum

    def fit(self, data, resume: bool = False) -> dict:
        """Train until cfg['epochs']; returns a summary. Ctrl-C / SIGTERM save a checkpoint and stop.

        `data` is a dataset, or a function epoch -> dataset. With the function (what `mindgan.train`
        passes), each epoch's shuffle and noise come from its own seed, so a resumed run sees exactly
        the batches an uninterrupted run would have seen.
        """
        cfg = self.cfg
        self._start(resume)
        start_epoch = self.epoch + (1 if self.batch_in_epoch == 0 else 0)
        datasets = data if callable(data) else None

        def limited(dataset):
            if cfg["max_steps"] and dataset.get_dataset_size() > cfg["max_steps"]:
                return dataset.take(cfg["max_steps"])
            return dataset

        dataset = limited(datasets(start_epoch) if datasets else data)
        steps = dataset.get_dataset_size()
        if steps == 0:
            raise MindganError("the dataset yields no whole batch: lower --batch-size")
        if not datasets:
            iterator = dataset.create_dict_iterator(num_epochs=cfg["epochs"] - start_epoch + 1, output_numpy=True)
        # One worker stops cleanly on a signal; several would stop at different steps and hang in the
        # gradient all-reduce, so under msrun a signal ends the job (resume from the last checkpoint).
        old_handlers = ({} if parallel.group_size() > 1 else
                        {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)})
        self.gan.generator.set_train(True)
        self.gan.discriminator.set_train(True)
        self._last_ckpt, t_run, step0 = None, time.time(), self.step
        try:
            for epoch in range(start_epoch, cfg["epochs"] + 1):
                if datasets:
                    dataset = dataset if epoch == start_epoch else limited(datasets(epoch))
                    iterator = dataset.create_dict_iterator(num_epochs=1, output_numpy=True)
                t0 = time.time()
                rows = self._train_epoch(iterator, epoch, steps)
                if self._stop_signal is not None and self.batch_in_epoch < steps:
                    return self._interrupted(epoch)  # mid-epoch: the checkpoint says where to continue
                self.batch_in_epoch = 0
                parallel.average_buffers(self.gan.generator, self.gan.discriminator)
                if self.main:
                    self.end_of_epoch(epoch, rows, time.time() - t0)
                if epoch % cfg["ckpt_every"] == 0 or epoch == cfg["epochs"] or self._stop_signal is not None:
                    self._last_ckpt = self.save_checkpoint()
                if self._stop_signal is not None:
                    return self._interrupted(epoch, saved=True)
        finally:
            for s, h in old_handlers.items():
                signal.signal(s, h)
        if self.main:
            outputs.gif(sorted((self.out / "images").glob("epoch_*.png")), self.out / "progress.gif")
        seconds = time.time() - t_run
        return {"stopped": False, "epoch": self.epoch, "step": self.step, "checkpoint": str(self._last_ckpt),
                "seconds": seconds, "images_per_s": (self.step - step0) * self.global_batch / max(seconds, 1e-9)}

    def _start(self, resume: bool) -> None:
        """Resume if asked (trimming logs back to the checkpoint), and write the run's fixed noise."""
        out = self.out
        if resume:
            path = self.resume()
            print(f"mindgan: resumed from {path} (epoch {self.epoch}, step {self.step})" if path else
                  "mindgan: no checkpoint to resume from; starting fresh")
            parallel.barrier()  # every rank has read the run folder before rank 0 changes it
            if self.main:  # rows logged after the checkpoint (or before any) are redone: drop them, or they repeat
                outputs.LossLog(out / "losses.csv").truncate_after(self.step)
                done = self.epoch - (1 if self.batch_in_epoch else 0)
                outputs.truncate_csv(out / "metrics.csv", lambda r: int(r["epoch"]) <= done)
        if self.main:
            (out / "images").mkdir(parents=True, exist_ok=True)
            np.save(out / "fixed_noise.npy", self.fixed_noise)

    def _train_epoch(self, iterator, epoch: int, steps: int) -> list[tuple]:
        """One epoch (from batch_in_epoch on, after a mid-epoch resume); returns its CSV rows, also logged.

        Stops early, after the current graph call, when a signal arrived.
        """
        from tqdm import tqdm  # plain text: the same bar in terminals and in executed notebooks

        cfg, skip = self.cfg, self.batch_in_epoch
        self.epoch, rows, t0 = epoch, [], time.time()
        bar = tqdm(total=steps, initial=skip, desc=f"epoch {epoch}/{cfg['epochs']}", unit="step",
                   disable=not self.progress, leave=False, dynamic_ncols=True)
        try:
            for chunk in _chunks(enumerate(iterator), skip, cfg["steps_per_call"]):
                losses = self.train_steps([b for _, b in chunk])
                self.last_batch = (chunk[-1][1]["image"], chunk[-1][1]["label"])
                for (i, _), (loss_d, loss_g) in zip(chunk, losses):
                    self.step, self.batch_in_epoch = self.step + 1, i + 1
                    if not math.isfinite(loss_d) or (loss_g == loss_g and not math.isfinite(loss_g)):
                        raise MindganError(f"loss became {loss_d if not math.isfinite(loss_d) else loss_g} "
                                           f"at step {self.step} (epoch {epoch}); last good checkpoint: "
                                           f"{self._last_ckpt or 'none'}. Lower the learning rate and --resume.")
                    rows.append((epoch, self.step, f"{loss_d:.6g}", f"{loss_g:.6g}"))
                done = (self.batch_in_epoch - skip) * self.global_batch
                bar.set_postfix(loss_d=f"{loss_d:.3f}", loss_g=f"{loss_g:.3f}", img_s=f"{done / (time.time() - t0):.0f}")
                bar.update(len(chunk))
                if self._stop_signal is not None:
                    break
        finally:
            bar.close()
            if self.main:
                outputs.LossLog(self.out / "losses.csv").append(rows)
        return rows

    def _interrupted(self, epoch: int, saved: bool = False) -> dict:
        """Stopped by a signal: make sure a checkpoint holds this point, and say how to continue."""
        if not saved:
            self._last_ckpt = self.save_checkpoint()
        where = f"at step {self.step}" if self.batch_in_epoch else f"after epoch {epoch}"
        print(f"mindgan: interrupted (signal {self._stop_signal}) {where}; checkpoint {self._last_ckpt}. "
              f"Continue with the same command plus --resume.")
        return {"stopped": True, "signal": int(self._stop_signal), "epoch": epoch, "step": self.step,
                "checkpoint": str(self._last_ckpt)}

    def end_of_epoch(self, epoch: int, rows: list, seconds: float) -> None:
        cfg = self.cfg
        samples = self.sample(self.fixed_noise, self.fixed_labels)
        pic = outputs.grid(samples, cfg["grid_rows"], cfg["grid_cols"], self.gan.value_range)
        outputs.save_image(pic, self.out / "images" / f"epoch_{epoch:04d}.png")
        outputs.loss_curve(outputs.LossLog(self.out / "losses.csv").rows(), self.out / "loss_curve.png")
        metrics = {}
        for fn in self.epoch_metrics:
            metrics.update(fn(self, epoch))
        if metrics:
            outputs.append_metrics(self.out / "metrics.csv", epoch, metrics)
        print(f"epoch {epoch:4d}/{cfg['epochs']}  loss_d {_mean(rows, 2):.4f}  loss_g {_mean(rows, 3):.4f}  "
              f"{len(rows) * self.global_batch / max(seconds, 1e-9):.0f} img/s  {seconds:.1f}s", flush=True)


def _chunks(numbered, skip: int, k: int):
    """Group (index, batch) pairs into lists of up to k, leaving out the first `skip` (already trained)."""
    chunk = []
    for i, batch in numbered:
        if i < skip:
            continue
        chunk.append((i, batch))
        if len(chunk) == k:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _mean(rows: list, col: int) -> float:
    vals = [float(r[col]) for r in rows]
    return float(np.nanmean(vals)) if vals and not all(math.isnan(v) for v in vals) else math.nan
