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
# **Run time: about 7 minutes on 2 CPU cores** (measured with another training job sharing them: 20 epochs of
# the CPU-sized recipe, the plain-MindSpore loop for one epoch, the evaluation with its feature net).
#
# This notebook follows the MindSpore tutorial **"DCGAN for image generation"** (anime faces). The GAN idea, the
# losses and how to read the curves are in [notebook 01](01_gan_mnist.ipynb); what this tutorial adds is
# convolutions: a generator that upsamples a 100-number code with transposed convolutions into a colour image,
# a discriminator that downsamples with strided convolutions, the DCGAN paper's rules that make them train,
# an update order with **G first, then D**, and images without a class label to judge them by.
#
# The tutorial trains on 70,171 anime faces at 64x64 (`configs/dcgan_faces.yaml`, ngf = ndf = 64, batch 128):
# hours per epoch on a 2-core CPU. The documented run uses `configs/dcgan_faces_small.yaml`: the same networks
# with one stride-2 stage fewer (32x32) and half the width (ngf = ndf = 32), batch 64, on `emoji-faces`, the
# face and person emoji of two freely licensed emoji sets (the offline stand-in for the anime faces), for 20 of
# its 60 epochs.

# %% tags=["parameters"]
DEVICE = "auto"          # auto, CPU, GPU or Ascend
RECIPE = "dcgan_faces_small.yaml"   # a recipe in configs/ (shipped as mindgan/configs)
DATA = "emoji-faces"     # pinned to the offline data the committed run used (not "auto", which may download)
EPOCHS = 20              # None = the recipe's own (60)
OUT = "runs/03_dcgan_faces"  # the run folder, under the folder this notebook runs in
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

# %% [markdown]
# ## The data: a folder of images
#
# The tutorial's `create_dataset_imagenet`: `ImageFolderDataset` reads every image below a folder (each
# sub-folder a class; the classes are not used), `Resize` and `CenterCrop` bring it to the training size,
# `HWC2CHW` puts the channels first. Two differences, both deliberate: the pixels are scaled to [-1, 1]
# (`Normalize(127.5, 127.5)`), the range of G's Tanh, where the tutorial divides by 255 into [0, 1] so that its
# D could tell real from fake by the range of the values alone; and a latent-code column is added per batch, as
# in notebook 01, so the run is reproducible (the tutorial draws z inside its step).

# %%
import mindspore.dataset as ds
import mindspore.dataset.vision as vision

S = cfg["image_size"]


def create_dataset_imagenet(folder, batch_size, seed):
    ds.config.set_seed(seed)  # the shuffle order
    data = ds.ImageFolderDataset(folder, shuffle=True, decode=True)  # HWC uint8 RGB images, int32 class labels
    data = data.map([vision.Resize(S), vision.CenterCrop(S),  # the tutorial's resize and crop
                     vision.Normalize([127.5] * 3, [127.5] * 3),  # 0..255 -> [-1, 1], G's Tanh range
                     vision.HWC2CHW()], input_columns="image")  # (S, S, 3) -> (3, S, S)
    data = data.batch(batch_size, drop_remainder=True)
    rng = np.random.default_rng(seed)

    def add_latent(label):  # one latent code per image, (nz, 1, 1) as the tutorial's G takes it
        return label, rng.standard_normal((len(label), cfg["latent_size"], 1, 1), dtype=np.float32)

    return data.map(add_latent, input_columns="label", output_columns=["label", "latent_code"],
                    num_parallel_workers=1)


def pipeline(epoch):
    return create_dataset_imagenet(str(loc.train), cfg["batch_size"], cfg["seed"] + epoch)


loc = course.location(cfg)
course.look(pipeline, cfg, loc)

# %% [markdown]
# ## The tutorial's networks
#
# The tutorial's `Generator` and `Discriminator`, layer for layer, with one stride-2 stage fewer for 32x32
# (the 64x64 stack has one more `Conv2dTranspose`/`BatchNorm2d`/`ReLU` in G and one more
# `Conv2d`/`BatchNorm2d`/`LeakyReLU` in D, at widths ngf·8 and ndf·8). G: a 4x4 transposed convolution turns
# the (nz, 1, 1) code into a 4x4 map, each stride-2 stage doubles the side (4 → 8 → 16 → 32) and halves the
# channels, Tanh out. D mirrors it down to one 1x1 score, `Sigmoid` out. No biases: BatchNorm's beta does
# their job.

# %% tags=["tutorial"]
import course
import mindspore as ms
from mindspore import nn, ops
from mindspore.common.initializer import Normal

nz, nc = cfg["latent_size"], cfg["channels"]
ngf, ndf = cfg["model_args"]["ngf"], cfg["model_args"]["ndf"]
weight_init = Normal(mean=0, sigma=0.02)
gamma_init = Normal(mean=1, sigma=0.02)


class Generator(nn.Cell):
    """DCGAN generator"""

    def __init__(self):
        super(Generator, self).__init__()
        self.generator = nn.SequentialCell(
            nn.Conv2dTranspose(nz, ngf * 4, 4, 1, "valid", weight_init=weight_init),  # 1x1 -> 4x4
            nn.BatchNorm2d(ngf * 4, gamma_init=gamma_init),
            nn.ReLU(),
            nn.Conv2dTranspose(ngf * 4, ngf * 2, 4, 2, "pad", 1, weight_init=weight_init),  # -> 8x8
            nn.BatchNorm2d(ngf * 2, gamma_init=gamma_init),
            nn.ReLU(),
            nn.Conv2dTranspose(ngf * 2, ngf, 4, 2, "pad", 1, weight_init=weight_init),  # -> 16x16
            nn.BatchNorm2d(ngf, gamma_init=gamma_init),
            nn.ReLU(),
            nn.Conv2dTranspose(ngf, nc, 4, 2, "pad", 1, weight_init=weight_init),  # -> 32x32
            nn.Tanh())

    def construct(self, x):
        return self.generator(x)


class Discriminator(nn.Cell):
    """DCGAN discriminator"""

    def __init__(self):
        super(Discriminator, self).__init__()
        self.discriminator = nn.SequentialCell(
            nn.Conv2d(nc, ndf, 4, 2, "pad", 1, weight_init=weight_init),  # 32x32 -> 16x16
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf, ndf * 2, 4, 2, "pad", 1, weight_init=weight_init),  # -> 8x8
            nn.BatchNorm2d(ndf * 2, gamma_init=gamma_init),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, "pad", 1, weight_init=weight_init),  # -> 4x4
            nn.BatchNorm2d(ndf * 4, gamma_init=gamma_init),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf * 4, 1, 4, 1, "valid", weight_init=weight_init))  # -> 1x1
        self.adv_layer = nn.Sigmoid()

    def construct(self, x):
        out = self.discriminator(x)
        out = out.reshape(out.shape[0], -1)
        return self.adv_layer(out)


generator, discriminator = Generator(), Discriminator()
generator.update_parameters_name("generator.")
discriminator.update_parameters_name("discriminator.")
net_g, net_d = generator, discriminator

# %%
course.start_from_package(cfg, {"generator": generator, "discriminator": discriminator})

# %% [markdown]
# ## G first, then D
#
# The tutorial's `train_step` updates **G first**: `generator_forward` makes images and returns them beside
# its loss (`has_aux=True`: differentiate the loss, carry the images), then D learns on real images (label 1)
# and *those* images (label 0), made before G's update, with its loss halved. Notebook 01's tutorial updates D
# first and makes new fakes for G. Either order plays the same game; this one saves one pass of G per step.

# %% tags=["tutorial"]
adversarial_loss = nn.BCELoss(reduction="mean")
optimizer_D = course.name_apart(nn.Adam(discriminator.trainable_params(), learning_rate=cfg["lr_d"],
                                        beta1=cfg["beta1"]), "optim_d.")
optimizer_G = course.name_apart(nn.Adam(generator.trainable_params(), learning_rate=cfg["lr_g"],
                                        beta1=cfg["beta1"]), "optim_g.")


def generator_forward(z, valid):
    gen_imgs = generator(z)
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)  # how well G gets past D
    return g_loss, gen_imgs


def discriminator_forward(real_imgs, gen_imgs, valid, fake):
    real_loss = adversarial_loss(discriminator(real_imgs), valid)
    fake_loss = adversarial_loss(discriminator(gen_imgs), fake)
    return (real_loss + fake_loss) / 2


grad_generator_fn = ms.value_and_grad(generator_forward, None, optimizer_G.parameters, has_aux=True)
grad_discriminator_fn = ms.value_and_grad(discriminator_forward, None, optimizer_D.parameters)


@ms.jit  # the tutorial's @ms_function, now mindspore.jit
def jit_step(imgs, z):
    valid = ops.ones((imgs.shape[0], 1), ms.float32)
    fake = ops.zeros((imgs.shape[0], 1), ms.float32)
    (g_loss, gen_imgs), g_grads = grad_generator_fn(z, valid)
    optimizer_G(g_grads)
    d_loss, d_grads = grad_discriminator_fn(imgs, gen_imgs, valid, fake)
    optimizer_D(d_grads)
    return d_loss, g_loss


def train_step(batch, step):
    return jit_step(ms.Tensor(batch["image"]), ms.Tensor(batch["latent_code"]))


# %% [markdown]
# One epoch of notebook 01's loop with this step. The tutorial calls its test codes `fixed_noise` but draws
# them anew at the end of every epoch (`ops.standard_normal` inside its loop), so its per-epoch images change
# with the noise as well as with G; here they are drawn once, from the recipe's seed, as the package's run does:

# %%
fixed_noise = mindgan.create_model(cfg).noise(64, cfg["seed"])
loop_losses = course.train_loop(train_step, pipeline, LOOP_EPOCHS, generator, discriminator,
                                lambda: generator(ms.Tensor(fixed_noise)).asnumpy(), OUT + "-plain", "tanh",
                                grid=(8, 8), max_steps=MAX_STEPS)
display(Image(filename=f"{OUT}-plain/images/epoch_{LOOP_EPOCHS:04d}.png"))

# %% [markdown]
# ## The documented run, through the package

# %%
summary, out = course.train(RECIPE, OUT, overrides, report_every=5, plain_losses=loop_losses)

# %% [markdown]
# ## The curves and the grids
#
# D's loss here is halved, so its equilibrium value is log 2 ≈ 0.693, like G's. The loss curve, the first,
# middle and last grid, and the tutorial's animation of the per-epoch samples (`progress.gif`):

# %%
course.show_run(out, cfg)

# %% [markdown]
# **D wins this game throughout, and G still learns.** From epoch 3 on, D's mean loss stays between 0.08 and 0.2
# (its equilibrium is 0.693) and G's between 2.7 and 3.4, with spikes of G's loss above 8 when D rejects a batch
# outright: D tells G's images from real ones nearly every time. Neither loss reaches 0, so G's gradient through
# D has not vanished, and the grids show G improving all the same: grey noise at epoch 1, and by epoch 20
# head-shaped blobs (dark or yellow hair over a lighter face, some with a coloured collar) on the emoji's
# white background, smeared and without clear features. The tutorial's own loss curve shows the same pattern:
# a DCGAN's D on small images is usually ahead; it is a failure only if `loss_d` sinks to 0 and G's images stop
# changing.


# %% [markdown]
# ## Inference from the saved generator
#
# The tutorial saves `generator.ckpt` and loads it into its `Generator` to draw new faces. Here the run's
# generator goes into a fresh `Generator` of the tutorial's class, is saved alone as `generator.ckpt`, and draws
# 64 faces from new noise:

# %%
generator = course.load_into(Generator(), summary["checkpoint"])  # the run's generator in the tutorial's class
ms.save_checkpoint(generator, f"{OUT}-plain/generator.ckpt")
z = np.random.default_rng(7).standard_normal((64, nz, 1, 1)).astype(np.float32)  # codes never used in training
course.same_images(generator, summary["checkpoint"], z)
outputs.grid(generator(ms.Tensor(z)).asnumpy(), 8, 8, "tanh", min_side=480, label="new noise, final generator")

# %% [markdown]
# ## How good are the faces? A metric without labels
#
# For digits, notebook 01's judge is a digit classifier. A folder of faces has no labels, so `mindgan.evaluate`
# first trains a small network to tell which way up an image is (rotated by 0, 90, 180 or 270 degrees) on the
# real images, and takes FID in *its* feature space. It refuses to give a number when that network does no
# better than chance on held-out images (its features would say nothing). For scale, it also scores the real
# images blurred by one pixel and uniform noise.

# %%
from mindgan.metrics.report import table

res = course.evaluation(summary["checkpoint"], loc, EVAL_NUM, out)
print(table(res))
print(course.fid_line(res))
for name, v in res.get("fid_references", {}).items():
    print(f"  for scale: {name} scores {v:.1f}")

# %% [markdown]
# ## Summary
#
# The DCGAN tutorial's networks, step (G first, then D on G's images) and loop, in MindSpore, at 32x32 on the
# emoji. Twenty epochs (680 steps) give head-shaped colour blobs, not faces: the 64 samples from new noise above
# vary in hair colour and skin tone but have no sharp eyes or mouths. The image-folder metric agrees: FID 363
# against a floor of 6.3, between real images blurred by one pixel (93) and uniform noise (623); recall 0.001
# (the samples reach almost none of the real images' variety). The recipe's full 60 epochs, in the README's
# table, go further; the tutorial's 64x64 recipe (`configs/dcgan_faces.yaml`) wants a GPU.
