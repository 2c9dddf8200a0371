"""One evaluation as a dict (digits: the LeNet classifier's space; image folders: a CNN trained on the folder's
labels), the printed table, and the hook that evaluates during training."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from ..data import idx, pipelines
from ..errors import MindganError
from ..models import to_unit
from . import classifier, featnet
from . import fid as F
from . import manifold
from .inputs import read_files

DEFAULT_NUM = 1000


class DigitJudge:
    """The cached LeNet and the real held-out features, prepared once; judges (N, 1, 28, 28) [0, 1] arrays.

    Held-out images are split into two disjoint halves A and B of n = min(held-out / 2, samples) each:
    FID(samples[:n], A) is reported beside the floor FID(B, A), so both sides use the same N (FID's bias
    depends on N). Histogram, KL and confidence use every sample.
    """

    kind = "digits"

    def __init__(self, loc, max_half: int = DEFAULT_NUM, quiet: bool = False):
        self.loc = loc
        self.net, self.info = classifier.load_or_train(loc, quiet=quiet)
        split = "test" if loc.test is not None else "train"
        self.reference_split = "held-out test" if split == "test" else "training (the data has no test split)"
        if split == "train" and not quiet:
            print(f"mindgan: data {loc.source} has no held-out split; real reference comes from its training split")
        total = idx.check_split(loc.test if split == "test" else loc.train, split)
        half = min(total // 2, max_half)
        if half < 2:
            raise MindganError(f"data {loc.source} has {total} {split} images: too few for a real reference")
        real = pipelines.real_images(loc, split, 2 * half, "sigmoid")
        feats, probs = classifier.predict(self.net, real)
        self.ref, self.other = feats[:half], feats[half:]
        self.real_probs, self.real_classes = probs, np.argmax(probs, 1)
        self._floor: dict[int, float] = {}
        self._real_manifold: dict[int, dict] = {}
        self._real_spread: dict[int, float] | None = None

    def floor(self, n: int) -> float:
        if n not in self._floor:
            self._floor[n] = F.fid(self.other[:n], self.ref)
        return self._floor[n]

    def __call__(self, samples: np.ndarray, labels: np.ndarray | None = None) -> dict:
        feats, probs = classifier.predict(self.net, samples)
        n = min(len(samples), len(self.ref))
        hist = F.class_histogram(probs, classifier.NUM_CLASSES)
        real_hist = F.class_histogram(self.real_probs, classifier.NUM_CLASSES)
        out = {
            "kind": self.kind,
            "feature_space": f"LeNet-5 penultimate layer ({classifier.FEATURE_DIM}-d), trained on {self.loc.source}",
            "n_samples": len(samples), "fid_n": n, "reference_n": len(self.ref),
            "reference": f"{self.loc.source} {self.reference_split} split",
            "fid": F.fid(feats[:n], self.ref), "fid_floor": self.floor(n),
            "kl_uniform": F.kl_to_uniform(hist), "mean_confidence": F.mean_confidence(probs),
            "histogram": [round(float(h), 4) for h in hist],
            "label_accuracy": None if labels is None else F.label_accuracy(probs, labels),
            **manifold.all_four(self.ref, feats[:n]),
            "within_class_spread": None if labels is None else self.spread_ratio(feats, labels),
            "real": {"n": len(self.real_probs), "kl_uniform": F.kl_to_uniform(real_hist),
                     **self.real_manifold(n),
                     "mean_confidence": F.mean_confidence(self.real_probs),
                     "histogram": [round(float(h), 4) for h in real_hist]},
            "classifier": {k: self.info.get(k) for k in ("source", "heldout_accuracy", "heldout_images",
                                                        "train_images")},
        }
        return out

    def real_manifold(self, n: int) -> dict:
        return _real_manifold(self._real_manifold, n, self.other, self.ref)

    def spread_ratio(self, feats: np.ndarray, labels: np.ndarray) -> float | None:
        """Mean over classes of (spread of the samples asked for that class) / (spread of real images the
        classifier puts in it): 1 when each class varies as much as real digits of it do, 0 for one image
        per class. The class histogram cannot show this: a cgan drawing one '3' for every z balances it."""
        if self._real_spread is None:  # once per judge: the real digits do not change between evaluations
            self._real_spread = manifold.within_class_spread(np.concatenate([self.ref, self.other]), self.real_classes)
        fake = manifold.within_class_spread(feats, labels)
        ratios = [fake[c] / self._real_spread[c] for c in fake if self._real_spread.get(c)]
        return float(np.mean(ratios)) if ratios else None


def _real_manifold(cache: dict, n: int, other: np.ndarray, ref: np.ndarray) -> dict:
    """The four manifold numbers of real held-out images against the reference: what a perfect G scores."""
    if n not in cache:
        cache[n] = manifold.all_four(ref, other[:n])
    return cache[n]


class ImageJudge:
    """FID for image folders in the feature space of a CNN trained on the folder's own labels
    (featnet.py says why), beside the real-vs-real floor and two reference points a reader can place a
    number between: real images blurred, and uniform noise.

    The reference A is drawn from the half of the images the net trained on, B from the other half (never
    seen by it); each of up to max_half images, read at the model's size. Floor FID(B, A); references
    FID(blur(B), A) and FID(noise, A); all at the samples' N.
    """

    kind = "images"

    def __init__(self, folder, source: str, shape: tuple, max_half: int = DEFAULT_NUM, quiet: bool = False,
                 bad_images: str = "error"):
        self.shape, self.source = tuple(int(v) for v in shape), source
        self.net, self.info = featnet.load_or_train(Path(folder), source, self.shape, quiet=quiet,
                                                    bad_images=bad_images)
        a, b = reference_halves(folder, self.shape, max_half, bad_images)
        w = self.shape[2]
        self.ref, self.other = featnet.features(self.net, a), featnet.features(self.net, b)
        self.sigma = w / 32  # 1 px at 32x32, 2 px at 64x64
        noise = np.random.default_rng(0).random(b.shape, dtype=np.float32)
        self.refs = {f"real, blurred (Gaussian sigma {self.sigma:g} px)":
                     featnet.features(self.net, blur(b, self.sigma)),
                     "uniform noise": featnet.features(self.net, noise)}
        self.described = (f"{source}: {len(a)} images of the feature net's training half; floor and references "
                          f"from {len(b)} of the other half")
        self._floor: dict[int, dict] = {}
        self._real_manifold: dict[int, dict] = {}

    def references(self, n: int) -> dict:
        """{'floor': FID(B, A), name: FID(reference, A)} for the first n of each."""
        if n not in self._floor:
            self._floor[n] = {"floor": F.fid(self.other[:n], self.ref),
                              **{k: F.fid(v[:n], self.ref) for k, v in self.refs.items()}}
        return self._floor[n]

    def floor(self, n: int) -> float:
        return self.references(n)["floor"]

    def __call__(self, samples: np.ndarray, labels=None) -> dict:
        if samples.shape[1:] != self.shape:
            raise MindganError(f"samples are {'x'.join(map(str, samples.shape[1:]))} (C x H x W) but the real "
                               f"images are {'x'.join(map(str, self.shape))}")
        n = min(len(samples), len(self.ref), len(self.other))
        refs = dict(self.references(n))
        floor = refs.pop("floor")
        feats = featnet.features(self.net, samples[:n])
        return {"kind": self.kind, "feature_space": featnet.describe(self.info),
                "n_samples": len(samples), "fid_n": n, "reference_n": len(self.ref), "reference": self.described,
                "fid": F.fid(feats, self.ref), "fid_floor": floor,
                **manifold.all_four(self.ref, feats),
                "real": _real_manifold(self._real_manifold, n, self.other, self.ref),
                "fid_references": refs,
                "feature_net": {k: self.info.get(k) for k in ("source", "labels", "classes", "train_images",
                                                             "heldout_accuracy", "heldout_chance")}}


def reference_halves(folder, shape: tuple, max_half: int, bad_images: str = "error") -> tuple[np.ndarray, np.ndarray]:
    """The real images an ImageJudge compares with, (N, C, H, W) in [0, 1]: up to max_half of the feature
    net's training half (A) and of its held-out half (B), read by the reader training uses."""
    files = featnet.labelled_files(Path(folder), bad_images, shape)[0]
    c, h, w = shape
    a, b = (read_files([files[i] for i in part[:max_half]], (h, w), "L" if c == 1 else "RGB")
            for part in featnet.halves(len(files)))
    return a, b


def blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of (N, C, H, W) images, separable, edges reflected."""
    r = max(1, int(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    x = np.pad(images, ((0, 0), (0, 0), (r, r), (r, r)), mode="reflect")
    x = sum(w * x[:, :, i: i + images.shape[2], :] for i, w in enumerate(k))
    x = sum(w * x[:, :, :, i: i + images.shape[3]] for i, w in enumerate(k))
    return x.astype(np.float32)


# --- printing --------------------------------------------------------------------------------------

MANIFOLD_ROWS = {"precision": "precision (samples on the real manifold)",
                 "recall": "recall (real images the samples reach)",
                 "density": "density (precision robust to outliers)",
                 "coverage": "coverage (recall robust to outliers)"}
FEW = 50  # images per side below which table() warns that FID is noise


def table(res: dict) -> str:
    """The result as a small aligned table: samples beside the real-data reference."""
    def f(v, fmt="{:.4f}"):
        return "-" if v is None else fmt.format(v)

    real = res.get("real", {})
    rows = [("", "samples", "real"),
            (f"FID (N={res['fid_n']} vs {res['reference_n']})", f(res["fid"], "{:.3f}"),
             f(res["fid_floor"], "{:.3f}") + " (floor)")]
    for key, what in MANIFOLD_ROWS.items():
        if res.get(key) is not None:
            rows.append((what, f(res[key]), f(real.get(key))))
    if res.get("within_class_spread") is not None:
        rows.append(("within-class spread (samples / real)", f(res["within_class_spread"]), "1 by definition"))
    if res["kind"] == "digits":
        rows += [("KL(class histogram || uniform)", f(res["kl_uniform"]), f(real.get("kl_uniform"))),
                 ("mean classifier confidence", f(res["mean_confidence"]), f(real.get("mean_confidence")))]
        if res["label_accuracy"] is not None:
            rows.append(("label accuracy (asked-for class)", f(res["label_accuracy"]), "-"))
    for name, v in res.get("fid_references", {}).items():  # where the number sits between floor and noise
        rows.append((f"  reference: {name}", "", f(v, "{:.3f}")))
    w0 = max(len(r[0]) for r in rows)
    lines = [f"{a:<{w0}}  {b:>10}  {c}" for a, b, c in rows]
    if res["kind"] == "digits":
        lines.append("class histogram: " + "  ".join(f"{i}:{h:.3f}" for i, h in enumerate(res["histogram"])))
        acc = res["classifier"].get("heldout_accuracy")
        lines.append(f"classifier: LeNet-5 on {res['classifier']['source']}, held-out accuracy "
                     f"{f(acc)}" + (f" ({res['classifier']['heldout_images']} images)" if acc is not None else ""))
    lines.append(f"features: {res['feature_space']}; reference: {res['reference']}")
    if res.get("truncation"):
        lines.append(f"noise: truncated at +-{res['truncation']:g} (the truncation trick; --truncation 0 samples "
                     f"plain normal noise)")
    if res["fid_n"] < FEW:  # FID's covariance from a handful of images is mostly noise
        lines.append(f"warning: FID from N={res['fid_n']} images per side is dominated by chance; compare FIDs "
                     f"from at least {FEW} (--num, or more samples/real images)")
    return "\n".join(lines)


# --- during training -------------------------------------------------------------------------------

METRIC_KEYS = {"fid": "FID", "precision": "precision", "recall": "recall", "kl_uniform": "KL to uniform",
               "mean_confidence": "mean confidence", "label_accuracy": "label accuracy"}


def judge_for(gan, loc, num: int, quiet: bool = False, bad_images: str = "error"):
    """The judge that fits a model: digits (1x28x28 MNIST-format data) or image folders."""
    if loc.kind == "mnist" and tuple(gan.image_shape) == (1, 28, 28):
        return DigitJudge(loc, max_half=num, quiet=quiet)
    if loc.kind == "mnist":
        raise MindganError(f"the digit classifier takes 1x28x28 images; this model makes "
                           f"{'x'.join(map(str, gan.image_shape))}")
    return ImageJudge(loc.train, loc.source, tuple(gan.image_shape), max_half=num, quiet=quiet,
                      bad_images=bad_images)


def training_hook(cfg: dict, gan, loc):
    """A `hooks.Metrics` callable: every cfg['eval_every'] epochs (and the last), evaluate
    cfg['eval_samples'] samples of fixed noise and return the numbers for metrics.csv."""
    num = cfg["eval_samples"]
    judge = judge_for(gan, loc, num, bad_images=cfg.get("bad_images", "error"))  # the files training reads
    noise = np.random.default_rng(cfg["seed"] + 1).standard_normal((num, *gan.latent_shape)).astype(np.float32)
    labels = (np.arange(num) % cfg["num_classes"]).astype(np.int32) if gan.conditional else None

    def evaluate_epoch(trainer, epoch: int) -> dict:
        if epoch % cfg["eval_every"] and epoch != cfg["epochs"]:
            return {}
        samples = trainer.sample(noise, labels)
        res = judge(to_unit(samples, gan.value_range), labels)
        row = {"fid": res["fid"], "fid_floor": res["fid_floor"]}
        row.update({k: res[k] for k in METRIC_KEYS if k != "fid" and res.get(k) is not None})
        return row

    return evaluate_epoch


def metrics_png(csv_path: Path, png: Path) -> None:
    """One panel per metric against epoch; FID with its real-vs-real floor dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    if csv_path.is_file():
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
    keys = [k for k in METRIC_KEYS if any(_num(r.get(k)) is not None for r in rows)]
    if not keys:
        return
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2), dpi=100, squeeze=False)
    for ax, key in zip(axes[0], keys):
        pts = [(int(r["epoch"]), _num(r.get(key)), _num(r.get("fid_floor"))) for r in rows
               if _num(r.get(key)) is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=METRIC_KEYS[key])
        if key == "fid" and any(p[2] is not None for p in pts):
            ax.plot([p[0] for p in pts], [p[2] for p in pts], "--", color="gray", label="real-vs-real floor")
            ax.set_yscale("log")  # noise sits near 1000, real data near 10: both stay readable
            ax.legend()
        ax.set_title(METRIC_KEYS[key])
        ax.set_xlabel("epoch")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)


def _num(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None
