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
#     model: dcgan
#     tutorial: MindSpore "DCGAN for image generation"
# ---

# %% [markdown]
# # DCGAN: generating faces
#
# This notebook follows the MindSpore tutorial **"DCGAN for image generation"** (anime faces): a deep
# convolutional GAN whose generator upsamples a 100-number code with transposed convolutions into a 3x64x64
# colour image, and whose discriminator downsamples an image with strided convolutions to one probability.
# The tutorial trains on 70,171 anime faces at 64x64, batch 128, Adam lr 2e-4 beta1 0.5, 10 epochs, with a
# jit-compiled `train_step` that updates **G first, then D** on the images G just made; it shows the loss
# curve, an animation of the fixed-noise samples per epoch, and inference from `generator.ckpt`.
#
# Its own recipe is `configs/dcgan_faces.yaml` (64x64, ngf = ndf = 64): hours per epoch on a 2-core CPU. This
# notebook's documented run is the CPU-sized recipe `configs/dcgan_faces_small.yaml`: the same networks with
# one stride-2 stage fewer (32x32), half the width (ngf = ndf = 32), batch 64, on `emoji-faces`, the face and
# person emoji of two freely licensed emoji sets (the offline stand-in for the anime faces). The update order
# (`schedule: g_then_d`) is the tutorial's.

# %% tags=["parameters"]
DEVICE = "auto"          # auto, CPU, GPU or Ascend
RECIPE = "dcgan_faces_small.yaml"   # a recipe in configs/ (shipped as mindgan/configs)
DATA = "emoji-faces"     # pinned to the offline data the committed run used (not "auto", which may download)
EPOCHS = None            # None = the recipe's own
OUT = "runs/03_dcgan_faces"  # the run folder, under the folder this notebook runs in
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
# ## The idea
#
# The tutorial's notation: $x$ is an image; $D(x)$ the discriminator's probability that $x$ is a real training
# image (close to 1 for training images, to 0 for G's); $z$ a latent vector drawn from a standard normal; $G(z)$
# the generator's image. $D(G(z))$ is the probability D gives a fake. D tries to maximise
# $\log D(x) + \log(1 - D(G(z)))$, G to minimise $\log(1 - D(G(z)))$.
#
# Written as one objective (Goodfellow et al., 2014), D maximises and G minimises
#
# $$\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_\text{data}}[\log D(x)] + \mathbb{E}_{z \sim \mathcal{N}(0, I)}[\log(1 - D(G(z)))]$$
#
# D wants $D(x) \to 1$ on real images and $D(G(z)) \to 0$ on fakes; G wants $D(G(z)) \to 1$.
#
#
# **Why $D = 1/2$ is the equilibrium.** The tutorial's figure: at first G's distribution (green) is far from the
# data's (black) and D (blue) separates them easily; D's gradient pushes G's samples toward the data; in the
# end the two distributions coincide, $p_G = p_\text{data}$, and the best D can do is $D(x) = 1/2$ everywhere.
# A BCE term at $1/2$ is $\log 2 \approx 0.693$.

# %% [markdown]
# ## DCGAN's architecture guidelines
#
# DCGAN (Radford et al., 2015) made GANs train reliably on images with a few rules, which the tutorial's
# networks follow:
#
# - **Strided convolutions instead of pooling.** D downsamples with stride-2 `Conv2d`, G upsamples with
#   stride-2 `Conv2dTranspose`: each network learns its own down- and upsampling.
# - **BatchNorm in both networks** (not on G's output or D's input): it keeps activations at a steady scale
#   and gradients flowing through deep stacks.
# - **ReLU in G, LeakyReLU(0.2) in D**; Tanh on G's output, Sigmoid on D's.
# - **Every weight from Normal(0, 0.02)** (BatchNorm's gamma from Normal(1, 0.02)), as the paper prescribes.
# - Adam with lr 2e-4 and **beta1 0.5** (the default 0.9 oscillated in the paper's experiments).
# **Tanh and the [-1, 1] scaling.** G's last layer is a Tanh, whose outputs lie in [-1, 1] and are centred on
# 0. Real pixels (0..255) are scaled to the same range, `(x - 127.5) / 127.5`, so that D cannot tell real from
# fake just by the range of the values. (The tutorial itself divides by 255
# into [0, 1] while its G outputs [-1, 1]; mindgan scales to [-1, 1], a deliberate difference.)

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
# The tutorial reads its image folder with `ImageFolderDataset`, resizes and centre-crops to the training size,
# puts the channel first and batches. The same pipeline in plain `mindspore.dataset` code, plus the latent-code
# column; it is checked equal, batch for batch, to `mindgan.build_dataset`, which the training run uses.

# %%
import mindspore.dataset as ds
import mindspore.dataset.vision as vision

gan = mindgan.create_model(cfg)  # untrained, for its shapes
package_data, loc = mindgan.build_dataset(cfg, gan, seed_offset=1)  # what the run reads in epoch 1
S = cfg["image_size"]


def image_pipeline(folder, batch_size, latent_shape, seed):
    ds.config.set_seed(seed)  # the shuffle order
    data = ds.ImageFolderDataset(folder, shuffle=True, decode=True)  # HWC uint8 RGB images, int32 class labels
    data = data.map([vision.Resize(S), vision.CenterCrop(S),  # the tutorial's resize and crop
                     vision.Normalize([127.5] * 3, [127.5] * 3),  # 0..255 -> [-1, 1], G's Tanh range
                     vision.HWC2CHW()], input_columns="image")  # (S, S, 3) -> (3, S, S)
    data = data.batch(batch_size, drop_remainder=True)
    rng = np.random.default_rng(seed)

    def add_latent(label):  # one Gaussian latent code per image, drawn per batch
        return label, rng.standard_normal((len(label), *latent_shape), dtype=np.float32)

    # one worker for the Python map: one random stream, so the run is reproducible
    return data.map(add_latent, input_columns="label", output_columns=["label", "latent_code"],
                    num_parallel_workers=1)


def pipeline():
    return image_pipeline(str(loc.train), cfg["batch_size"], gan.latent_shape, cfg["seed"] + 1)


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
# The package's classes, built from the recipe (at 64x64 with nz 100, ngf = ndf = 64, nc 3 they are the
# tutorial's networks layer for layer, with its parameter names). `plan` chooses the number of stride-2
# stages for the image size: 32x32 has one fewer than 64x64. Note `Normal(0, 0.02)` in `_weight` and
# `Normal(1, 0.02)` in `_gamma`.

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.dcgan:plan"}
# **`mindgan/models/dcgan.py`: `plan`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.dcgan:_weight"}
# **`mindgan/models/dcgan.py`: `_weight`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.dcgan:_gamma"}
# **`mindgan/models/dcgan.py`: `_gamma`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.blocks:LeakyReLU"}
# **`mindgan/models/blocks.py`: `LeakyReLU`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.dcgan:Generator"}
# **`mindgan/models/dcgan.py`: `Generator`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.dcgan:Discriminator"}
# **`mindgan/models/dcgan.py`: `Discriminator`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.models.dcgan:build_dcgan"}
# **`mindgan/models/dcgan.py`: `build_dcgan`**

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
# The tutorial's `generator_forward`, `discriminator_forward`, their `value_and_grad` functions and the
# jit-compiled `train_step`, in plain MindSpore on the networks above. G steps first: its loss is BCE of
# $D(G(z))$ against 1 (the non-saturating form of minimising $\log(1 - D(G(z)))$: strong gradients while D
# still rejects G's images easily), and it returns the images it made (`has_aux=True`: differentiate the loss,
# carry the images). D then learns on real images (target 1) and those images (target 0), its loss halved.
# `value_and_grad` with one optimiser's parameters makes each update change one network only. (The tutorial
# draws z inside the step with `ops.standard_normal`; here z comes from the pipeline's latent-code column, so
# runs are reproducible.)

# %%
from mindspore import nn, ops

bce = nn.BCELoss(reduction="mean")  # adversarial_loss in the tutorial
opt_d = nn.Adam(D.trainable_params(), learning_rate=cfg["lr_d"], beta1=cfg["beta1"], beta2=cfg["beta2"])
opt_g = nn.Adam(G.trainable_params(), learning_rate=cfg["lr_g"], beta1=cfg["beta1"], beta2=cfg["beta2"])
opt_d.update_parameters_name("optim_d.")  # two optimisers in one graph need distinct state names
opt_g.update_parameters_name("optim_g.")


def generator_forward(z):
    gen_imgs = G(z)
    out = D(gen_imgs)
    return bce(out, ops.ones_like(out)), gen_imgs  # G wants D to say 1; the images go on to D's step


def discriminator_forward(real, gen_imgs):
    real_out, fake_out = D(real), D(gen_imgs)
    real_loss = bce(real_out, ops.ones_like(real_out))
    fake_loss = bce(fake_out, ops.zeros_like(fake_out))
    return (real_loss + fake_loss) * cfg["d_loss_scale"]  # the tutorial's (real_loss + fake_loss) / 2


# has_aux: differentiate the first output only; the images come along
grad_g = ms.value_and_grad(generator_forward, None, opt_g.parameters, has_aux=True)
grad_d = ms.value_and_grad(discriminator_forward, None, opt_d.parameters)


@ms.jit  # the tutorial's @ms_function, now mindspore.jit
def train_step(real, z):
    (loss_g, gen_imgs), grads = grad_g(z)
    opt_g(grads)  # 1. G steps first
    loss_d, grads = grad_d(real, gen_imgs)
    opt_d(grads)  # 2. D learns on the images G made before its step
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

# %% [markdown] tags=["shown-source"] mindgan={"source": "mindgan.training.schedule:GThenD"}
# **`mindgan/training/schedule.py`: `GThenD`**

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
# The tutorial follows `fixed_noise` through the epochs and ends with an animation of it.
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
# The tutorial loads `generator.ckpt` into its generator and draws a grid of faces from new noise. The same
# with the plain-MindSpore generator loaded above:

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
# The DCGAN tutorial in plain MindSpore: an `ImageFolderDataset` pipeline, a generator of transposed
# convolutions and a discriminator of strided convolutions following DCGAN's guidelines, Normal(0, 0.02)
# initialisation, a jit-compiled step that updates G and then D, the fixed-noise animation, and a checkpoint
# loaded for inference. The tutorial's full recipe is `configs/dcgan_faces.yaml` (64x64), for a GPU or Ascend
# (`python -m mindgan.train --config configs/dcgan_faces.yaml --device GPU`).
#
# **What this run shows** (60 epochs, 2,040 steps, 11.8 minutes on 2 CPU cores with other runs sharing them). Most tiles of the last grid read as faces: yellow smiley faces with two eyes, heads with dark or fair hair over skin of several tones, a few in headgear; some are smeared, and none is sharp at 32x32. The image-folder metric agrees with the eye: FID 99 against a real-vs-real floor of 6.3, between the same real images blurred by one pixel (93) and uniform noise (623); the first 5 epochs of this recipe, grey-brown blobs, score 789.
