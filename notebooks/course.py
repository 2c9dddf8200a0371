"""What every companion notebook needs besides its tutorial's own code, written once: the settings and the
terminal command, the MNIST pipeline, the plain training loop, quiet package runs, reading the losses,
showing the grids, loading a checkpoint into a tutorial's network, and the evaluation.

Each notebook keeps in view what its tutorial teaches (its `Generator` and `Discriminator` classes, its loss
and jit step); notebook 01 also shows `mnist_pipeline` and `train_loop` from here, as its tutorial writes them.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sys
from pathlib import Path

import mindspore as ms
import numpy as np

import mindgan
from mindgan import config, device, outputs

# --- the notebook's settings --------------------------------------------------------------------------


def keep_cell_files(ip) -> None:
    """MindSpore reads the source file of every function it compiles (for the graph's debug information).
    ipykernel names each cell's code /tmp/ipykernel_PID/HASH.py but writes that file only while a debugger
    is attached, so every `jit` function defined in a cell logs 'Get realpath failed' as an ERROR. Writing
    the cell's file before it runs, as the debugger does, removes the cause instead of silencing MindSpore."""
    from ipykernel.compiler import get_file_name

    def write(info):
        path = Path(get_file_name(info.raw_cell))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(info.raw_cell)

    ip.events.register("pre_run_cell", write)


def command(name: str, out: str, over: dict, dev: str = "auto") -> str:
    """The terminal command that makes the same run (from the repository root)."""
    flags = [f"--config configs/{name}", f"--data {over['data']}", f"--out {out}"]
    flags += [f"--{k.replace('_', '-')} {v}" for k, v in over.items() if k != "data" and v]
    return "python -m mindgan.train " + " ".join(flags + ([f"--device {dev}"] if dev != "auto" else []))


def recipe(name: str, data: str, epochs=None, max_steps: int = 0, batch_size=None, extra=None):
    """A recipe with a notebook's settings on top: (config, the overrides given)."""
    over = {"data": data, "max_steps": max_steps, **(extra or {})}
    if epochs:
        over["epochs"] = epochs
    if batch_size:
        over["batch_size"] = batch_size
    return config.load(path=config.CONFIG_DIR / name, overrides=over), over


def start(dev: str, name: str, data: str, epochs, max_steps, batch_size, out: str, extra=None):
    """The device, pictures as PNG only, jit functions defined in cells compiled without an error line, and
    the notebook's recipe with its settings; prints the terminal command of the same run. Returns
    (config, the overrides given)."""
    _device(dev)
    try:
        ip = get_ipython()  # noqa: F821 (defined inside IPython only)
        ip.display_formatter.formatters["image/jpeg"].enabled = False
        keep_cell_files(ip)
    except NameError:
        pass
    cfg, over = recipe(name, data, epochs, max_steps, batch_size, extra)
    print("the same run from a terminal:\n  " + command(name, out, over, dev))
    return cfg, over


def _device(dev: str) -> None:
    import logging

    from mindspore import log

    # 'auto' asks MindSpore for Ascend, then GPU: on a machine without them each probe logs the libraries it
    # did not find as WARNINGs. Expected there, so only the probe is quieted; every later message shows.
    logger = log._get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR if dev == "auto" else level)
    try:
        print("device:", device.setup(dev))
    finally:
        logger.setLevel(level)


# --- data ---------------------------------------------------------------------------------------------


def mnist_pipeline(folder, batch_size, latent_size, seed, value_range="tanh"):
    import mindspore.dataset as ds
    import mindspore.dataset.transforms as transforms
    import mindspore.dataset.vision as vision
    from mindspore import dtype as mstype

    ds.config.set_seed(seed)  # the shuffle order
    data = ds.MnistDataset(folder, usage="train", shuffle=True)  # (28, 28, 1) uint8 images, uint32 labels
    mean, std = (127.5, 127.5) if value_range == "tanh" else (0.0, 255.0)  # to G's output range
    data = data.map([vision.Normalize([mean], [std]),  # 0..255 -> [-1, 1] (Tanh) or [0, 1] (Sigmoid)
                     vision.HWC2CHW()], input_columns="image")  # (28, 28, 1) -> (1, 28, 28)
    data = data.map(transforms.TypeCast(mstype.int32), input_columns="label")
    data = data.batch(batch_size, drop_remainder=True)  # whole batches only, as the tutorial
    rng = np.random.default_rng(seed)

    def add_latent(label):  # one Gaussian latent code per image, drawn per batch
        return label, rng.standard_normal((len(label), latent_size), dtype=np.float32)

    # one worker for the Python map: one random stream, so the run is reproducible
    return data.map(add_latent, input_columns="label", output_columns=["label", "latent_code"],
                    num_parallel_workers=1)


def first(dataset, n: int) -> list[dict]:
    """The first n batches of a dataset, as numpy dicts."""
    it = dataset.create_dict_iterator(output_numpy=True, num_epochs=1)
    return [b for _, b in zip(range(n), it)]


def location(cfg):
    """Where the recipe's data is (resolved, fetched if needed, as the run does)."""
    return mindgan.build_dataset(cfg, mindgan.create_model(cfg))[1]


def look(pipeline, cfg, loc, value_range="tanh", keys=("image", "label", "latent_code")):
    """Print a batch's shapes, check the pipeline against mindgan.build_dataset batch for batch, and return
    a grid of its images."""
    package, _ = mindgan.build_dataset(cfg, mindgan.create_model(cfg), seed_offset=1, loc=loc)  # epoch 1
    batch = first(pipeline(1), 1)[0]
    print(f"data {loc.source}: {package.get_dataset_size()} batches of {cfg['batch_size']} per epoch")
    print({k: (v.shape, v.dtype.name) for k, v in batch.items()})
    print(f"pixel range: {batch['image'].min():.1f} to {batch['image'].max():.1f}")
    same = all(np.array_equal(a[k], b[k]) for a, b in zip(first(pipeline(1), 3), first(package, 3)) for k in keys)
    print("the same batches as mindgan.build_dataset:", same)
    return outputs.grid(batch["image"], 4, 8, value_range, min_side=480, label="real training images")


# --- the tutorial's networks beside the package's -------------------------------------------------------


def count(net) -> int:
    return sum(int(np.prod(p.shape)) for p in net.trainable_params())


def layout(net) -> list[tuple]:
    """(name, shape) of every parameter: what a checkpoint stores."""
    return sorted((p.name, tuple(p.shape)) for p in net.get_parameters())


def start_from_package(cfg, nets: dict) -> None:
    """Check the tutorial's networks against the package's (same parameter names and shapes) and give them
    the package's initial weights for this recipe's seed, so the plain loop below starts where the run
    does. `nets`: {"generator": net_g, "discriminator": net_d}."""
    ms.set_seed(cfg["seed"])  # the trainer builds its networks after the same call
    gan = mindgan.create_model(cfg)
    for role, net in nets.items():
        package = getattr(gan, role)
        same = layout(net) == layout(package)
        print(f"{role}: {type(net).__name__} {count(net):,} weights, {type(package).__name__} (package) "
              f"{count(package):,}; same parameter names and shapes: {same}")
        left, _ = ms.load_param_into_net(net, {p.name: p for p in package.get_parameters()})
        print(f"  the package's initial weights loaded into it, parameters not loaded: {left}")


def name_apart(optimizer, prefix: str):
    """Prefix the names of an optimiser's own state (global_step, beta1_power, moments), which two optimisers
    in one graph would otherwise share. The tutorials call optimizer.update_parameters_name(prefix), which
    in MindSpore 2.x also renames the network weights the optimiser holds."""
    for p in optimizer.get_parameters():
        if not p.name.startswith(("generator.", "discriminator.")):
            p.name = prefix + p.name
    return optimizer


# --- the training loop, in plain MindSpore ---------------------------------------------------------------


def train_loop(train_step, pipeline, epochs, net_g, net_d, draw, folder, value_range, grid=(5, 5),
               ckpt_every=1, max_steps=0, report_every=1):
    """The tutorials' loop: every batch one `train_step` (D then G); after every epoch, G's images of the
    fixed test noise as a grid (`draw()`), and every `ckpt_every` epochs both networks saved with
    mindspore.save_checkpoint. Returns the losses of every step, [(loss_d, loss_g), ...]."""
    folder = Path(folder)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    losses = []
    for epoch in range(1, epochs + 1):
        net_g.set_train(True)
        net_d.set_train(True)
        steps = 0
        for batch in pipeline(epoch).create_dict_iterator(output_numpy=True, num_epochs=1):
            if max_steps and steps == max_steps:
                break
            losses.append(tuple(float(v) for v in train_step(batch, len(losses))))
            steps += 1
        net_g.set_train(False)  # BatchNorm uses its running statistics for the grid
        pic = outputs.grid(draw(), *grid, value_range, label=f"epoch {epoch}")
        pic.save(folder / "images" / f"epoch_{epoch:04d}.png")
        if epoch % ckpt_every == 0 or epoch == epochs:
            ms.save_checkpoint(net_g, str(folder / f"generator_{epoch}.ckpt"))
            ms.save_checkpoint(net_d, str(folder / f"discriminator_{epoch}.ckpt"))
        if epoch % report_every == 0 or epoch == epochs:
            d, g = np.nanmean(np.array(losses[-steps:]), axis=0)
            print(f"epoch {epoch}/{epochs}: {steps} steps, mean loss_d {d:.3f}, loss_g {g:.3f}")
    return losses


def same_losses(out, losses, rtol=1e-3, atol=1e-4) -> bool:
    """The package run's first steps (its losses.csv) against a plain loop's. The package runs several steps
    in one graph, the loop one per call: float sums in another order, a difference that grows to ~1e-3 of a
    loss over 50 WGAN-GP steps (measured) and is absolute, not relative, where a loss crosses 0. A wrong
    learning rate or loss differs by far more within a few steps."""
    rows = list(csv.DictReader(open(Path(out) / "losses.csv")))[:len(losses)]
    ok = len(rows) == len(losses) > 0 and all(
        np.isclose(float(r["loss_d"]), d, rtol=rtol, atol=atol)
        and np.isclose(float(r["loss_g"]), g, rtol=rtol, atol=atol, equal_nan=True)
        for r, (d, g) in zip(rows, losses))
    print(f"the plain loop's {len(losses)} steps are the package run's first {len(rows)}:", ok)
    return ok


# --- the package's run ---------------------------------------------------------------------------------


class _EveryFew(io.TextIOBase):
    """A stdout that lets through the first, every n-th and the last 'epoch E/N' line, and all others."""

    def __init__(self, real, n):
        self.real, self.n, self.buf = real, n, ""

    def write(self, s):
        self.buf += s
        *lines, self.buf = self.buf.split("\n")
        for line in lines:
            m = re.match(r"epoch\s+(\d+)/(\d+)", line)
            if m is None or int(m[1]) in (1, int(m[2])) or int(m[1]) % self.n == 0:
                self.real.write(line + "\n")
        return len(s)


def train(name, out, over, report_every=5, plain_losses=None):
    """mindgan.train on recipe `name` with a notebook's overrides: no progress bar, one line every
    `report_every` epochs; its first steps checked against a plain loop's losses when given. Returns
    (summary, run folder)."""
    with contextlib.redirect_stdout(_EveryFew(sys.stdout, report_every)):
        summary = mindgan.train(config_file=config.CONFIG_DIR / name, out=out, overwrite=True, progress=False,
                                **over)
    out = Path(summary["out"])
    print(f"{summary['step']} steps in {summary['seconds'] / 60:.1f} minutes ({summary['images_per_s']:.0f} "
          f"images/s); run folder: {sorted(p.name for p in out.iterdir() if p.name[0] != '.')}")
    if plain_losses is not None:
        same_losses(out, plain_losses[:50])
    return summary, out


def epoch_means(out) -> dict:
    per_epoch = {}
    for r in csv.DictReader(open(Path(out) / "losses.csv")):
        per_epoch.setdefault(int(r["epoch"]), []).append((float(r["loss_d"]), float(r["loss_g"])))
    return {e: np.nanmean(np.array(v), axis=0) for e, v in per_epoch.items()}


def read_losses(out, cfg, rows=8) -> tuple[float, float]:
    """Per-epoch mean losses (a few epochs), the equilibrium values, and a reading of the last epoch.
    Returns the last epoch's means."""
    mean = epoch_means(out)
    for e in dict.fromkeys(sorted(mean)[:: max(1, len(mean) // rows)] + [max(mean)]):
        print(f"epoch {e:4d}: mean loss_d {mean[e][0]:.3f}  loss_g {mean[e][1]:.3f}")
    d_eq, g_eq = 2 * np.log(2) * cfg["d_loss_scale"], np.log(2)
    print(f"at the equilibrium D = 1/2: loss_d = {d_eq:.3f}, loss_g = {g_eq:.3f}")
    d, g = mean[max(mean)]
    score = np.exp(-g)  # loss_g = -mean log D(G(z)): exp(-loss_g) is D's (geometric) mean score of G's images
    print(f"D's mean score of G's images in the last epoch: exp(-loss_g) = {score:.2f} (0.5 at the equilibrium, "
          f"0 when D sees through every image, 1 when D takes every image for real)")
    if d < 0.05 or g < 0.05:
        reading = ("loss_d near 0: D wins every round and G gets almost no gradient; the game failed" if d < 0.05
                   else "loss_g near 0: D is fooled every time; D has failed")
    elif score < 0.25:
        reading = (f"D is ahead: it scores G's images {score:.2f}, far under the 0.5 of a level game. D tells them "
                   f"from real ones most of the time, but neither loss is at 0, so G still gets a gradient and "
                   f"still improves (the grids say how far)")
    elif score < 0.4:
        reading = (f"D is a little ahead ({score:.2f} against 0.5): a game still played, which D leads "
                   f"(the grids say how well G does)")
    elif score <= 0.6:
        reading = "the game is level: D scores G's images near 0.5 (the grids say how well G does)"
    else:
        reading = f"G is ahead: D takes most of its images for real ({score:.2f}); D is falling behind"
    print("reading of the last epoch:", reading)
    return d, g


def show_run(out, cfg=None):
    """The loss curve, the first, a middle and the last epoch's grid, the run's GIF (up to 12 epochs), and,
    given the recipe of a BCE game, the reading of its losses."""
    from IPython.display import Image, display

    out = Path(out)
    display(Image(filename=str(out / "loss_curve.png")))
    grids = sorted((out / "images").glob("epoch_*.png"))
    for g in dict.fromkeys([grids[0], grids[len(grids) // 2], grids[-1]]):
        display(Image(filename=str(g)))
    display(Image(filename=str(out / "progress.gif")))
    if cfg is not None:
        read_losses(out, cfg)


# --- checkpoints and evaluation -------------------------------------------------------------------------


def generator_weights(ckpt) -> dict:
    """G's own tensors of a run's checkpoint, which holds G, D and both Adam states (plain MindSpore).
    Only G's: load_param_into_net also matches names with a prefix dropped, and would load an Adam moment
    such as "moment1.generator.x" into "generator.x"."""
    params = ms.load_checkpoint(str(ckpt))
    print(f"{Path(ckpt).name}: {len(params)} tensors, e.g. {sorted(params)[:2]}")
    return {k: v for k, v in params.items() if k.startswith("generator.")}


def load_into(net_g, ckpt):
    """A run's generator weights into a fresh network of a tutorial's class (plain MindSpore), in eval mode."""
    net_g.update_parameters_name("generator.")
    print("generator parameters not loaded:", ms.load_param_into_net(net_g, generator_weights(ckpt))[0])
    net_g.set_train(False)  # BatchNorm uses its running statistics from now on
    return net_g


def same_images(net_g, ckpt, z, labels=None) -> bool:
    """The tutorial's generator, loaded with plain MindSpore, against mindgan.load_generator (its live
    weights: a run that keeps an average of G's weights samples from that by default)."""
    loaded, _ = mindgan.load_generator(ckpt, ema=False)
    args = (ms.Tensor(z),) if labels is None else (ms.Tensor(z), ms.Tensor(labels))
    same = np.allclose(net_g(*args).asnumpy(), loaded.sample(z, labels), atol=1e-5)
    print("same images after save and load (plain MindSpore and mindgan.load_generator):", same)
    return same


def evaluation(ckpt, loc, num, out, truncation=None, name="evaluation.json"):
    """`python -m mindgan.evaluate --ckpt CKPT --num NUM [--truncation T]`, as a dict (the judge trained
    once, quietly), also written to OUT/eval/NAME."""
    from mindgan.metrics.evaluation import evaluate
    from mindgan.metrics.report import judge_for

    gan, _ = mindgan.load_generator(ckpt)
    judge_for(gan, loc, num, quiet=True)
    res, _ = evaluate(ckpt, num=num, truncation=truncation)
    res["checkpoint"] = Path(ckpt).name  # no machine paths in the notebook
    (Path(out) / "eval").mkdir(exist_ok=True)
    (Path(out) / "eval" / name).write_text(json.dumps(res, indent=1))
    return res


def fid_line(res) -> str:
    return (f"FID {res['fid']:.1f} against a real-vs-real floor of {res['fid_floor']:.1f} "
            f"({res['fid'] / res['fid_floor']:.1f} times the floor; N = {res['fid_n']})")


def compare(runs: list, numbers: list):
    """Runs side by side (list of (folder, title)): each one's last grid above its loss curve, and a table
    of numbers under them (list of (name, [value per run]))."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    fig = outputs.compare_runs(runs)
    display(fig)
    plt.close(fig)  # shown once, not again by the inline backend at the end of the cell
    width = max(len(t) for _, t in runs) + 2
    print(f"{'':34s}" + "".join(f"{t:>{width}s}" for _, t in runs))
    for name, values in numbers:
        print(f"{name:34s}" + "".join(f"{v:>{width}}" for v in values))
