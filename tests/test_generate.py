"""`python -m mindgan.generate`: --label for conditional models, row-per-class grids, --interpolate."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_one_line_error, fit, quick_cfg, run_cli


def train_tiny(model, data, out):
    return fit(quick_cfg(model=model, data=str(data), max_steps=2), out)[1]["checkpoint"]


@pytest.fixture(scope="module")
def ckpts(cpu_device, tiny_mnist, tmp_path_factory):
    """A cgan and a minimal checkpoint, each trained for two steps on the tiny digits."""
    return {m: train_tiny(m, tiny_mnist, tmp_path_factory.mktemp(m)) for m in ("cgan", "minimal")}


@pytest.mark.trains
@pytest.mark.subprocess
def test_cgan_label_draws_the_asked_count(ckpts, tmp_path):
    proc = run_cli("mindgan.generate", "--ckpt", ckpts["cgan"], "--label", 7, "--num", 6, "--out", tmp_path,
                   "--device", "CPU")
    assert proc.returncode == 0, proc.stderr
    samples = np.load(tmp_path / "samples.npy")
    assert samples.shape == (6, 1, 28, 28) and 0 <= samples.min() and samples.max() <= 1
    assert len(list((tmp_path / "images").glob("*.png"))) == 6 and (tmp_path / "grid.png").is_file()
    assert "label 7" in proc.stdout


@pytest.mark.trains
def test_cgan_without_label_gives_a_row_per_digit(ckpts, tmp_path):
    from mindgan.api import load_generator
    from mindgan.generation import generate, layout

    gan, meta = load_generator(ckpts["cgan"])
    rows, cols, labels = layout(gan, meta, None, None)
    assert (rows, cols) == (10, 2) and list(labels) == [d for d in range(10) for _ in range(2)]
    # the grid's rows are the digits: the same noise per row gives different images per row
    a = generate(gan, 20, 0, labels)
    b = generate(gan, 20, 0, np.zeros(20, np.int32))
    assert not np.allclose(a[2:], b[2:]) and np.allclose(a[:2], b[:2])


@pytest.mark.subprocess
@pytest.mark.parametrize("model,label,words", [("cgan", 10, ("out of range", "0 to 9")),
                                               ("cgan", -1, ("out of range",)),
                                               ("minimal", 3, ("conditional", "minimal"))])
@pytest.mark.trains
def test_bad_label_is_one_line_error(ckpts, tmp_path, model, label, words):
    proc = run_cli("mindgan.generate", "--ckpt", ckpts[model], "--label", label, "--out", tmp_path,
                   "--device", "CPU")
    assert_one_line_error(proc, *words)
    assert not (tmp_path / "grid.png").exists()


@pytest.mark.trains
@pytest.mark.subprocess
def test_interpolate_writes_a_strip(ckpts, tmp_path):
    proc = run_cli("mindgan.generate", "--ckpt", ckpts["minimal"], "--interpolate", "--steps", 7,
                   "--out", tmp_path, "--device", "CPU")
    assert proc.returncode == 0, proc.stderr
    strip = np.load(tmp_path / "interpolation.npy")
    assert strip.shape == (7, 1, 28, 28)
    from PIL import Image

    pic = Image.open(tmp_path / "interpolation.png")
    assert pic.width > 5 * pic.height  # one row of 7
    steps = np.abs(np.diff(strip.reshape(7, -1), axis=0)).mean(1)
    assert (steps > 0).all()  # it moves at every step


@pytest.mark.trains
def test_interpolate_conditional_walks_once_per_digit(ckpts):
    from mindgan.api import load_generator
    from mindgan.generation import interpolate, slerp

    gan, meta = load_generator(ckpts["cgan"])
    images, rows = interpolate(gan, meta, 5, 0, None)
    assert rows == 10 and images.shape == (50, 1, 28, 28)
    images, rows = interpolate(gan, meta, 5, 0, 4)
    assert rows == 1 and images.shape == (5, 1, 28, 28)
    ends = gan.noise(2, 0)  # the walk's ends are drawn as the model samples: truncated at the recipe's 2.0
    assert np.abs(ends).max() <= 2.0
    assert np.allclose(images[[0, -1]], gan.sample(ends, np.array([4, 4], np.int32)), atol=1e-4)
    z0, z1 = np.random.default_rng(1).standard_normal((2, 100))
    walk = slerp(z0, z1, 9)
    assert np.allclose(walk[0], z0, atol=1e-5) and np.allclose(walk[-1], z1, atol=1e-5)
    norms = np.linalg.norm(walk, axis=1)  # a spherical walk keeps the vectors' length
    assert norms.min() > 0.9 * min(np.linalg.norm(z0), np.linalg.norm(z1))


# --- the truncation trick ----------------------------------------------------------------------------------
def test_truncated_noise_keeps_the_inliers_and_redraws_only_the_outliers():
    from mindgan.models import noise

    plain = noise((100,), 50, 7)
    cut = noise((100,), 50, 7, truncation=2.0)
    inside = np.abs(plain) <= 2.0
    assert np.abs(cut).max() <= 2.0 and (~inside).sum() > 50  # 50x100 normal draws: ~230 beyond 2
    assert np.array_equal(cut[inside], plain[inside])  # the same seed asks G for nearly the same images
    assert not np.array_equal(cut, plain)
    assert np.array_equal(noise((100,), 50, 7, truncation=0.0), plain)  # 0 is off
    assert np.array_equal(noise((100,), 50, 7, 2.0), cut)  # seeded: the same vectors again
    assert np.abs(noise((3, 1, 1), 400, 0, truncation=0.3)).max() <= 0.3


@pytest.mark.trains
@pytest.mark.subprocess
def test_the_recipes_truncation_samples_and_the_flag_overrides_it(ckpts, tmp_path):
    from mindgan.api import load_generator
    from mindgan.generation import generate
    from mindgan.metrics.evaluation import evaluate
    from mindgan.metrics.report import table
    from mindgan.models import noise

    gan, meta = load_generator(ckpts["cgan"])
    assert meta["config"]["truncation"] == 2.0 == gan.truncation  # configs/cgan_mnist.yaml
    labels = np.full(4, 3, np.int32)
    assert np.allclose(generate(gan, 4, 0, labels), gan.sample(noise(gan.latent_shape, 4, 0, 2.0), labels))
    plain = gan.sample(noise(gan.latent_shape, 4, 0), labels)
    proc = run_cli("mindgan.generate", "--ckpt", ckpts["cgan"], "--label", 3, "--num", 4, "--truncation", 0,
                   "--out", tmp_path, "--device", "CPU")
    assert proc.returncode == 0, proc.stderr
    assert np.allclose(np.load(tmp_path / "samples.npy"), (plain + 1) / 2, atol=1e-6)
    assert ", truncation" not in proc.stdout  # said only when on
    res, _ = evaluate(ckpts["cgan"], num=20, json=tmp_path / "e.json")
    assert res["truncation"] == 2.0 and "noise: truncated at +-2 " in table(res)
    assert evaluate(ckpts["cgan"], num=20, json=tmp_path / "e.json", truncation=0.0)[0]["truncation"] == 0.0
