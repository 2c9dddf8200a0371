"""Evaluation: the FID/KL maths, the digit classifier judging real vs noise, image-folder FID in a trained
feature net's space, the training hook and the CLI's one-line errors. Real MindSpore throughout; one small
classifier and one small feature net are trained per module."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from helpers import digit_images, run_cli
from mindgan.data import idx
from mindgan.errors import MindganError
from mindgan.metrics import fid as F


# --- maths ----------------------------------------------------------------------------------------

def test_trace_sqrt_matches_eigenvalues_of_the_product():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 6, 6))
    s1, s2 = a @ a.T + 0.1 * np.eye(6), b @ b.T + 0.1 * np.eye(6)  # non-commuting SPD matrices
    # S1 S2 has real non-negative eigenvalues; tr sqrtm(S1 S2) is the sum of their square roots.
    expected = np.sqrt(np.linalg.eigvals(s1 @ s2).real).sum()
    assert F.trace_sqrt_product(s1, s2) == pytest.approx(expected, rel=1e-9)


def test_fid_closed_form_and_zero_for_identical_sets():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    v1, v2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    exact = np.sum((mu1 - mu2) ** 2) + np.sum(v1 + v2 - 2 * np.sqrt(v1 * v2))
    assert F.frechet(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(exact)
    x = np.random.default_rng(1).standard_normal((300, 5))
    assert F.fid(x, x) == pytest.approx(0.0, abs=1e-8)
    assert F.fid(x, x + 1.0) == pytest.approx(5.0, rel=1e-6)  # a mean shift of 1 in each of 5 dims


def test_histogram_kl_and_confidence():
    uniform = np.eye(10)[np.arange(100) % 10]
    assert F.kl_to_uniform(F.class_histogram(uniform, 10)) == pytest.approx(0.0, abs=1e-12)
    collapsed = np.eye(10)[np.full(50, 3)]
    assert F.kl_to_uniform(F.class_histogram(collapsed, 10)) == pytest.approx(math.log(10))
    assert F.mean_confidence(np.full((4, 10), 0.1)) == pytest.approx(0.1)
    assert F.label_accuracy(uniform, np.arange(100) % 10) == 1.0


# --- the digit judge ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """An MNIST-format folder (1,000 train + 400 held-out bar 'digits'), its cache, and a trained judge."""
    from mindgan.data import sources
    from mindgan.metrics.report import DigitJudge

    folder = tmp_path_factory.mktemp("eval_digits")
    idx.write_split(folder, "train", *digit_images(1000, 10))
    idx.write_split(folder, "test", *digit_images(400, 11))
    cache = tmp_path_factory.mktemp("eval_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MINDGAN_DATA", str(cache))
        loc = sources.resolve(str(folder), "mnist")
        judge = DigitJudge(loc, max_half=200, quiet=True)
    return folder, cache, judge


@pytest.mark.trains
def test_classifier_is_cached_with_heldout_accuracy(digits):
    from mindgan.metrics import classifier

    folder, cache, judge = digits
    assert judge.info["heldout_accuracy"] > 0.95 and judge.info["heldout_images"] == 400
    saved = list((cache / "classifiers").glob("*/lenet.json"))
    assert len(saved) == 1 and json.loads(saved[0].read_text())["heldout_accuracy"] == judge.info["heldout_accuracy"]
    with pytest.MonkeyPatch.context() as mp:  # a second use loads it instead of training again
        mp.setenv("MINDGAN_DATA", str(cache))
        assert classifier.cached_info(judge.loc) is not None


@pytest.mark.trains
def test_real_digits_score_near_the_floor_and_noise_far_above(digits):
    judge = digits[2]
    images, labels = digit_images(200, 99)  # fresh draws from the real distribution
    real = judge(images[:, None].astype(np.float32) / 255, labels)
    noise = judge(np.random.default_rng(0).random((200, 1, 28, 28), dtype=np.float32))
    floor = real["fid_floor"]
    assert real["fid_n"] == real["reference_n"] == 200
    assert real["fid"] < 2 * floor + 1, real
    assert noise["fid"] > 20 * floor + 10, noise
    assert real["kl_uniform"] < 0.1 and real["mean_confidence"] > 0.9 and real["label_accuracy"] > 0.95
    assert noise["label_accuracy"] is None
    # precision and recall: real digits reach what real-vs-real reaches, noise neither
    for key in ("precision", "recall", "coverage"):
        assert real[key] > 0.8 * real["real"][key] and real["real"][key] > 0.5, (key, real)
        assert noise[key] < 0.1, (key, noise)
    assert 0.8 < real["within_class_spread"] < 1.25 and noise["within_class_spread"] is None


@pytest.mark.trains
def test_mode_collapse_shows_in_the_histogram(digits):
    judge = digits[2]
    images, labels = digit_images(400, 5)
    ones = images[labels == 1][:, None].astype(np.float32) / 255
    res = judge(ones, np.full(len(ones), 7))
    assert res["histogram"][1] > 0.95 and res["kl_uniform"] > 2.0
    assert res["label_accuracy"] < 0.05  # asked for 7s, got 1s
    assert res["fid"] > 5 * res["fid_floor"]
    assert res["precision"] > 0.8 and res["recall"] < 0.3  # real-looking ones, but only ones: not diverse
    one = judge(np.repeat(ones[:1], 50, 0), np.full(50, 1))  # one image for every z of label 1
    assert one["within_class_spread"] < 1e-4  # zero up to the rounding of (a-b)^2 = a^2 + b^2 - 2ab


# --- image folders ----------------------------------------------------------------------------------

EXPRESSIONS = ("frown", "open", "smile", "wink")


def faces(n: int, seed: int, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """(N, size, size, 3) uint8 drawn faces on white, the label one of EXPRESSIONS: random skin colour,
    place and size. What tells them apart is a few pixels of eye and mouth, which blur smears."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(EXPRESSIONS), n)
    out = np.empty((n, size, size, 3), np.uint8)
    dark = (40, 30, 20)
    for i, lab in enumerate(labels):
        img = Image.new("RGB", (size, size), (255, 255, 255))
        d = ImageDraw.Draw(img)
        r = size * rng.uniform(0.3, 0.45)
        cx, cy = size / 2 + rng.uniform(-2, 2, 2)
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(int(v) for v in rng.integers(120, 256, 3)))
        e, ey, expr = r / 7, cy - r / 3, EXPRESSIONS[lab]
        for j, ex in enumerate((cx - r / 2.5, cx + r / 2.5)):
            if expr == "wink" and j == 1:
                d.line((ex - 2 * e, ey, ex + 2 * e, ey), fill=dark, width=1)
            else:
                d.ellipse((ex - e, ey - e, ex + e, ey + e), fill=dark)
        mouth = (cx - r / 2, cy + r / 6, cx + r / 2, cy + r * 0.6)
        if expr in ("smile", "wink"):
            d.arc(mouth, 20, 160, fill=dark, width=1)
        elif expr == "frown":
            d.arc((mouth[0], mouth[1] + r / 4, mouth[2], mouth[3] + r / 4), 200, 340, fill=dark, width=1)
        else:
            d.ellipse((cx - 1.5 * e, cy + r / 3 - 1.5 * e, cx + 1.5 * e, cy + r / 3 + 1.5 * e), fill=dark)
        out[i] = np.asarray(img)
    return out, labels


def write_faces(folder, n: int, seed: int, classes: bool = True):
    from PIL import Image

    images, labels = faces(n, seed)
    for i, (img, lab) in enumerate(zip(images, labels)):
        sub = folder / EXPRESSIONS[lab] if classes else folder
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(sub / f"{i:04d}.png")
    return folder


@pytest.fixture(scope="module")
def faces_judge(tmp_path_factory):
    """An image folder with 4 class sub-folders (480 drawn faces), its cache, and an ImageJudge on it: the
    feature net is trained once here (a few seconds) and reused by the CLI test from the cache."""
    from mindgan.data import sources
    from mindgan.metrics.report import ImageJudge

    folder = write_faces(tmp_path_factory.mktemp("faces"), 480, 0)
    cache = tmp_path_factory.mktemp("faces_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MINDGAN_DATA", str(cache))
        loc = sources.resolve(str(folder), "images")
        judge = ImageJudge(loc.train, loc.source, (3, 32, 32), max_half=150, quiet=True)
    return folder, cache, judge


@pytest.mark.trains
def test_image_judge_orders_real_blurred_noise(faces_judge):
    from mindgan.metrics.report import blur

    judge = faces_judge[2]
    assert judge.info["labels"] == "class folders" and judge.info["classes"] == list(EXPRESSIONS)
    assert judge.info["heldout_accuracy"] > 0.6  # the net tells the expressions apart: its features see them
    real = faces(150, 99)[0].transpose(0, 3, 1, 2).astype(np.float32) / 255  # fresh draws, never seen
    res = {"real": judge(real), "blurred": judge(blur(real, 1.0)),
           "noise": judge(np.random.default_rng(3).random(real.shape, dtype=np.float32))}
    fid = {k: v["fid"] for k, v in res.items()}
    floor = res["real"]["fid_floor"]
    # fresh real drawings score near the floor (N=150: FID's noise is a few units), blur well above, noise far
    assert fid["real"] < 3 * floor + 1 and 2 * fid["real"] < fid["blurred"] and 3 * fid["blurred"] < fid["noise"], \
        (floor, fid)
    refs = res["real"]["fid_references"]  # the printed reference points agree with the same measurements
    assert floor < refs["real, blurred (Gaussian sigma 1 px)"] < refs["uniform noise"], refs
    assert res["real"]["feature_net"]["labels"] == "class folders"


@pytest.mark.trains
@pytest.mark.subprocess
def test_untrained_dcgan_scores_worse_than_noise_through_the_cli(faces_judge, tmp_path):
    """`mindgan.evaluate --ckpt` on a DCGAN after one step: the image-folder metric, reused from the cache."""
    folder, cache, judge = faces_judge
    env = {"MINDGAN_DATA": str(cache)}
    out = tmp_path / "run"
    r = run_cli("mindgan.train", "--model", "dcgan", "--data", folder, "--epochs", "1", "--max-steps", "1",
                "--image-size", "32", "--batch-size", "16", "--set", "model_args={ngf: 8, ndf: 8}",
                "--grid-rows", "2", "--grid-cols", "2", "--ckpt-every", "1", "--no-progress", "--out", out,
                env_extra=env)
    assert r.returncode == 0, r.stderr[-2000:]
    r = run_cli("mindgan.evaluate", "--ckpt", out / "checkpoints" / "dcgan_e0001.ckpt", "--num", "150",
                "--json", tmp_path / "e.json", env_extra=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "training one" not in r.stdout  # the fixture's feature net was used
    res = json.loads((tmp_path / "e.json").read_text())
    refs = res["fid_references"]
    assert res["fid_floor"] == pytest.approx(judge.floor(150))
    # the order: real (floor) < blurred real < noise < blobs from an untrained generator
    blurred, noise = refs["real, blurred (Gaussian sigma 1 px)"], refs["uniform noise"]
    assert res["fid"] > noise > blurred > 5 * res["fid_floor"], res
    assert "reference: uniform noise" in r.stdout and "trained on" in r.stdout and "4 class folders" in r.stdout


@pytest.mark.trains
def test_folder_without_classes_falls_back_to_rotation_and_says_so(tmp_path, capsys):
    from mindgan.metrics.report import ImageJudge

    folder = write_faces(tmp_path / "flat", 120, 1, classes=False)
    judge = ImageJudge(folder, str(folder), (3, 32, 32), max_half=60)
    assert "image rotation (0/90/180/270 degrees): it has no class sub-folders" in capsys.readouterr().out
    assert judge.info["labels"] == "rotation" and judge.info["heldout_accuracy"] > 0.4  # chance is ~0.25
    res = judge(np.random.default_rng(0).random((60, 3, 32, 32), dtype=np.float32))
    assert "rotation (no class sub-folders)" in res["feature_space"]
    assert res["fid"] > 5 * res["fid_floor"], res
    with pytest.raises(MindganError, match="samples are 3x16x16"):
        judge(np.zeros((4, 3, 16, 16), np.float32))


# --- training hook and CLI ----------------------------------------------------------------------------

@pytest.mark.trains
@pytest.mark.subprocess
def test_train_with_eval_every_writes_metrics_and_evaluate_reads_the_checkpoint(digits, tmp_path):
    folder, cache, _ = digits
    env = {"MINDGAN_DATA": str(cache)}
    out = tmp_path / "run"
    r = run_cli("mindgan.train", "--model", "gan", "--data", folder, "--epochs", "2", "--max-steps", "2",
                "--batch-size", "32", "--eval-every", "1", "--eval-samples", "100", "--ckpt-every", "1",
                "--no-progress", "--out", out, env_extra=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "training one now" not in r.stdout  # the cached classifier was used
    rows = (out / "metrics.csv").read_text().splitlines()
    assert rows[0].split(",")[:3] == ["epoch", "fid", "fid_floor"] and len(rows) == 3
    assert (out / "metrics.png").stat().st_size > 1000
    ckpt = out / "checkpoints" / "gan_e0002.ckpt"
    r = run_cli("mindgan.evaluate", "--ckpt", ckpt, "--num", "100", "--json", tmp_path / "e.json", env_extra=env)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((tmp_path / "e.json").read_text())
    assert res["model"] == "gan" and res["n_samples"] == 100 and res["fid"] > res["fid_floor"] > 0
    assert len(res["histogram"]) == 10 and "FID (N=100 vs 100)" in r.stdout and "(floor)" in r.stdout


@pytest.mark.subprocess
@pytest.mark.parametrize("case, args, message", [
    ("nothing", [], "give --ckpt"),
    ("no ckpt", ["--ckpt", "nope/gan_e0001.ckpt"], "does not exist"),
    ("bad num", ["--samples", "{npy}", "--num", "1"], "--num must be at least 2"),
    ("shape", ["--samples", "{flat}"], "expected images shaped"),
    ("channels", ["--samples", "{rgb}"], "1-channel 28x28"),
    ("size", ["--samples", "{big}"], "give --real FOLDER of real images or --data SOURCE"),
    ("classifier epochs", ["train-classifier", "--epochs", "0"], "--epochs must be at least 1"),
])
def test_cli_errors_are_one_line(tmp_path, case, args, message):
    files = {"npy": np.zeros((4, 28, 28), np.float32), "flat": np.zeros((5, 7), np.float32),
             "rgb": np.zeros((4, 3, 28, 28), np.float32), "big": np.zeros((4, 3, 64, 64), np.float32)}
    paths = {}
    for k, arr in files.items():
        paths[k] = tmp_path / f"{k}.npy"
        np.save(paths[k], arr)
    argv = [a.format(**paths) for a in args]
    r = run_cli("mindgan.evaluate", *argv, env_extra={"MINDGAN_DATA": str(tmp_path / "cache")}, timeout=120)
    assert r.returncode == 2, (case, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], (case, r.stderr)
    assert not (tmp_path / "cache" / "classifiers").exists()  # no classifier trained for a bad argument


def save_pngs(folder, images: np.ndarray) -> None:
    """(N, C, H, W) in [0, 1] -> folder/NNN.png (grey for one channel)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(np.rint(images * 255).astype(np.uint8)):
        Image.fromarray(img[0] if len(img) == 1 else img.transpose(1, 2, 0)).save(folder / f"{i:03d}.png")


@pytest.mark.subprocess
def test_cli_samples_folder_against_real_folder(tmp_path):
    save_pngs(tmp_path / "real" / "c", faces(300, 0, size=40)[0].transpose(0, 3, 1, 2) / 255)
    save_pngs(tmp_path / "good", faces(150, 1, size=40)[0].transpose(0, 3, 1, 2) / 255)
    save_pngs(tmp_path / "noise", np.random.default_rng(0).random((150, 3, 40, 40)))
    res = {}
    for name in ("good", "noise"):
        r = run_cli("mindgan.evaluate", "--samples", tmp_path / name, "--real", tmp_path / "real", timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        res[name] = json.loads((tmp_path / name / "evaluation.json").read_text())
        assert f"evaluation written to {tmp_path / name / 'evaluation.json'}" in r.stdout
    good, noise = res["good"], res["noise"]
    assert good["kind"] == "images" and good["n_samples"] == 150 and good["reference"].startswith(str(tmp_path / "real"))
    assert good["fid"] < 4 * good["fid_floor"] and noise["fid"] > 20 * good["fid"], (good, noise)


@pytest.mark.trains
@pytest.mark.subprocess
def test_cli_samples_folder_of_grey_digit_pngs(digits, tmp_path):
    folder, cache, _ = digits
    images, _ = digit_images(200, 7)
    save_pngs(tmp_path / "pngs", images[:, None] / 255)
    r = run_cli("mindgan.evaluate", "--samples", tmp_path / "pngs", "--data", folder,
                env_extra={"MINDGAN_DATA": str(cache)}, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((tmp_path / "pngs" / "evaluation.json").read_text())
    assert res["kind"] == "digits" and res["n_samples"] == 200  # read as 1x28x28, judged by the classifier
    assert res["fid"] < 2 * res["fid_floor"] + 1 and res["kl_uniform"] < 0.1, res
