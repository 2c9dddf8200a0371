"""Write the companion notebooks (one per seed tutorial) from one template, so they never drift apart.

    python notebooks/build_notebooks.py      # writes notebooks/*.ipynb that hold no outputs yet
    python notebooks/build_notebooks.py --force   # rewrites all (their outputs are gone until run again)
    make notebooks                           # then executes them at their documented settings

Each notebook tells its tutorial's story with the package doing the work: data, networks, the jit step,
training through the one trainer, loss curve, grids, checkpoint save/load, inference, evaluation.
"""
from __future__ import annotations

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent

# name -> what differs between the tutorials; everything else is the shared template below
NOTEBOOKS = {
    "01_gan_mnist": dict(
        model="gan", seed="000", data="auto", epochs=30,
        title="GAN image generation: an MLP GAN on handwritten digits",
        tutorial="the MindSpore tutorial *GAN image generation* (seed 000): MLP generator 100→128→256→512→1024→784 "
                 "with BatchNorm and Tanh, MLP discriminator 784→512→256→1 with LeakyReLU and Sigmoid, BCE, "
                 "Adam 2e-4 (0.5, 0.999), batch 128, a 5x5 grid of 25 fixed noise vectors after every epoch",
        cli="python -m mindgan.train --model gan"),
    "02_minimal_gan": dict(
        model="minimal", seed="001", data="auto", epochs=10,
        title="The smallest GAN: one hidden layer each",
        tutorial="the PyTorch post on the smallest GAN (seed 001): G 100→256→784, D 784→256→1, BCE, batch 64, "
                 "10 epochs, a row of 16 samples",
        cli="python -m mindgan.train --model minimal"),
    "03_dcgan_faces": dict(
        model="dcgan", seed="002", data="auto", epochs=40, config="dcgan_faces_small.yaml",
        title="DCGAN: generating faces (anime faces in the tutorial, emoji offline)",
        tutorial="the MindSpore tutorial *DCGAN anime faces* (seed 002): Conv2dTranspose generator and Conv2d "
                 "discriminator with BatchNorm, Normal(0, 0.02) init, batch 128, Adam 2e-4 beta1 0.5, and a GIF of "
                 "the fixed-noise samples per epoch. Offline, the faces are the 3,786 emoji of the npm package "
                 "`emoji-datasource-google`; this notebook uses the CPU-sized recipe `configs/dcgan_faces_small.yaml`",
        cli="python -m mindgan.train --model dcgan"),
    "04_convgan_mnist": dict(
        model="convgan", seed="003", data="auto", epochs=4,
        title="A convolutional GAN on digits, judged by discriminator accuracy",
        tutorial="the TensorFlow course lab (seed 003): D = two stride-2 3x3 convolutions with LeakyReLU and "
                 "Dropout 0.4, G = Dense 128·7·7 then two stride-2 transposed convolutions and a 7x7 Sigmoid "
                 "convolution; images in [0, 1]; batch 256; the discriminator's accuracy on real and fake images "
                 "as its evaluation. Its recipe's 100 epochs at batch 256 take about 3 s a step on 2 CPU cores (the "
                 "transposed convolutions are ~100 GFLOP a step), so this notebook runs 4 of them",
        cli="python -m mindgan.train --model convgan"),
    "05_cgan_mnist": dict(
        model="cgan", seed="004", data="auto", epochs=20,
        title="Conditional GAN: asking for a chosen digit",
        tutorial="the PyTorch post on conditional GANs (seed 004): a label embedding concatenated with the noise "
                 "and with the image, G 110→128→256→512→1024→784, D 794→512→256→1, batch 64; generating a chosen "
                 "digit by passing its label",
        cli="python -m mindgan.train --model cgan"),
}


def md(text):
    return nbf.v4.new_markdown_cell(text.strip())


def code(text, tags=None):
    cell = nbf.v4.new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = tags
    return cell


def build(name: str, spec: dict) -> nbf.NotebookNode:
    model = spec["model"]
    config = f'config.CONFIG_DIR / "{spec["config"]}"' if "config" in spec else "None"
    cells = [
        md(f"""
# {spec['title']}

This notebook follows {spec['tutorial']}.

Every step below calls the `mindgan` package: the networks come from its model registry, the training
step is its jit-compiled `value_and_grad` step, and training runs through its one trainer. The same run
from a terminal is `{spec['cli']}`.

The next cell holds the run settings. As committed, the notebook ran with them on a 2-core CPU; change
`EPOCHS` for a longer run, and `DEVICE` to `"GPU"` or `"Ascend"` where you have one.
"""),
        code(f"""
DEVICE = "auto"      # auto, CPU, GPU or Ascend
EPOCHS = {spec['epochs']}
DATA = "{spec['data']}"        # a source name (python -m mindgan.data list), a folder, or auto
OUT = "runs/{name}"  # where the run writes grids, curves and checkpoints
MAX_STEPS = 0        # cut every epoch to this many steps (0 = whole epochs)
BATCH_SIZE = None    # None = the tutorial's batch size
EVAL_NUM = 1000      # samples for the evaluation at the end
""", tags=["parameters"]),
        code(f"""
import inspect
from pathlib import Path

import numpy as np
from IPython.display import Image, display

import mindgan
from mindgan import config, device, outputs
import shutil

from mindgan.api import build_dataset

print("device:", device.setup(DEVICE))
overrides = {{"epochs": EPOCHS, "data": DATA, "max_steps": MAX_STEPS}}
if BATCH_SIZE:
    overrides["batch_size"] = BATCH_SIZE
cfg = config.load(model="{model}", path={config}, overrides=overrides)
cfg
"""),
        md("""
## The data

`mindgan.data` finds the data (the tutorial's download when it can be reached, else an offline source),
caches it, and builds the MindSpore pipeline: images scaled to the generator's output range, labels, and
a Gaussian `latent_code` column, in whole batches. A few real training images:
"""),
        code(f"""
from mindgan.models import create_model
from mindgan.training import Trainer

out = Path(OUT)
shutil.rmtree(out, ignore_errors=True)  # this notebook's own run folder, made anew
trainer = Trainer(cfg, out, progress=True)
gan = trainer.gan
dataset, loc = build_dataset(cfg, gan)
batch = next(dataset.create_dict_iterator(output_numpy=True, num_epochs=1))
print(f"data: {{loc.source}}; {{dataset.get_dataset_size()}} batches of", {{k: v.shape for k, v in batch.items()}})
print("pixel range:", batch["image"].min(), "to", batch["image"].max())
outputs.grid(batch["image"], 4, 8, gan.value_range, min_side=480)
"""),
        md("""
## The two networks

Both are `mindspore.nn.Cell`s from the model registry (`mindgan/models/`), built from the recipe above.
"""),
        code("""
def count(cell):
    return sum(int(np.prod(p.shape)) for p in cell.trainable_params())

print(gan.generator)
print(gan.discriminator)
print(f"generator: {count(gan.generator):,} parameters; discriminator: {count(gan.discriminator):,} parameters")
"""),
        md("""
## The loss and the training step

The adversarial loss (`mindgan/losses.py`) and the step the trainer compiles with `mindspore.jit`: the
discriminator's `value_and_grad` update, then the generator's, as in the tutorial. The source is shown
from the package, not copied:
"""),
        code("""
from mindgan import losses

print(inspect.getsource(type(losses.create_loss(cfg))))
print(inspect.getsource(type(trainer.schedule).__init__))
"""),
        md("""
## Training

The one trainer runs the epochs: a progress bar per epoch, a line per epoch, the fixed-noise grid saved
after each, losses appended to `losses.csv`, checkpoints with their metadata.
"""),
        code("""
summary = trainer.fit(lambda epoch: build_dataset(cfg, gan, seed_offset=epoch, loc=loc)[0])
summary
"""),
        md("""
## Loss curve
"""),
        code("""
display(Image(filename=str(out / "loss_curve.png")))
"""),
        md("""
## The fixed noise over the epochs

The same noise vectors after the first epoch and after the last:
"""),
        code("""
grids = sorted((out / "images").glob("epoch_*.png"))
print(f"first: {grids[0].name}")
display(Image(filename=str(grids[0])))
print(f"last: {grids[-1].name}")
display(Image(filename=str(grids[-1])))
"""),
    ]
    cells += [
        md("""
Numbers the trainer logged after each epoch (`metrics.csv`): for the conv GAN, the tutorial's own
evaluation, the discriminator's accuracy on real and on generated images.
"""),
        code("""
import csv

metrics = out / "metrics.csv"
rows = list(csv.DictReader(open(metrics))) if metrics.is_file() else []
for r in rows:
    print(r)
print(f"{len(rows)} rows" if rows else "no per-epoch metrics for this recipe")
"""),
    ] if model == "convgan" else []
    if model == "dcgan":
        cells += [md("And as the tutorial's animation (`progress.gif`):"),
                  code('display(Image(filename=str(out / "progress.gif")))')]
    cells += [
        md("""
## Saving and loading a checkpoint

Each checkpoint is a MindSpore `.ckpt` (generator, discriminator and both Adam states, with MindSpore's
CRC) and a `.json` beside it naming the model and its settings. Loading needs only the file:
"""),
        code("""
from mindgan.api import load_generator
from mindgan.generate import generate

ckpt = Path(summary["checkpoint"])
print(ckpt.name, "+", ckpt.with_suffix(".json").name)
loaded, meta = load_generator(ckpt)
noise, labels = trainer.fixed_noise[:8], trainer.fixed_labels[:8]
print("same images after save and load:", np.allclose(trainer.sample(noise, labels), loaded.sample(noise, labels), atol=1e-6))
print("model:", meta["model"], "epoch:", meta["epoch"])
"""),
        md("""
## Inference

New noise through the loaded generator, as the tutorial's inference section (and
`python -m mindgan.generate --ckpt ...`):
"""),
    ]
    if model == "cgan":
        cells.append(code("""
import mindspore as ms

labels = np.repeat(np.arange(10), 10).astype(np.int32)  # one row per digit
images = generate(loaded, 100, seed=1, labels=labels)
outputs.grid(images, 10, 10, loaded.value_range, min_side=480)
"""))
        cells.append(md("Asking for one chosen digit, 7:"))
        cells.append(code("""
sevens = generate(loaded, 16, seed=2, labels=np.full(16, 7, np.int32))
outputs.grid(sevens, 2, 8, loaded.value_range, min_side=480)
"""))
    else:
        cells.append(code("""
images = generate(loaded, 25, seed=1)
outputs.grid(images, 5, 5, loaded.value_range, min_side=400)
"""))
    cells += [
        md("""
## How good are the samples?

`mindgan.evaluate` compares generated samples with real held-out images in the feature space of a
classifier (digits) or of a small CNN trained on the image folder's own labels (image folders): FID beside
the real-vs-real floor (lower is better; the floor is what real images score; for image folders blurred
real images and uniform noise are printed beside it), and for digits the class histogram's KL to
uniform (mode collapse), the classifier's mean confidence, and for conditional models the share of samples
that show the digit asked for.
"""),
        code("""
from mindgan.evaluate import main as evaluate

_ = evaluate(["--ckpt", str(ckpt), "--num", str(EVAL_NUM), "--device", DEVICE])
"""),
    ]
    nb = nbf.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["mindgan"] = {"model": model, "seed": spec["seed"]}
    return nb


def main():
    import argparse

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", help="notebooks to write (default: all)")
    p.add_argument("--force", action="store_true", help="also replace notebooks that hold a run's outputs")
    args = p.parse_args()
    for name in args.names or NOTEBOOKS:
        path = HERE / f"{name}.ipynb"
        if path.is_file() and not args.force and any(
                c.get("outputs") for c in nbf.read(path, as_version=4).cells if c.cell_type == "code"):
            print(f"kept {path.name}: it holds the outputs of a run (--force replaces it)")
            continue
        nbf.write(build(name, NOTEBOOKS[name]), path)
        print("wrote", path)


if __name__ == "__main__":
    main()
