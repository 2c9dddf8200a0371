"""Inputs that are not what they claim: image folders read one way for training and evaluation, bad
images (decompression bombs, truncated files), IDX files that do not fit the model, the data cache,
files given for folders, and MindSpore's compile-failure dump kept out of the working directory."""
from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import REPO, assert_one_line_error, digit_images, run_cli
from mindgan.data import Location, idx, pipelines
from mindgan.data.imagefolder import BadImage, _smaller_size, open_image
from mindgan.errors import MindganError


def bomb_png(path: Path, side: int) -> Path:
    """A valid PNG header claiming side x side pixels, with a few bytes of data: what a decompression
    bomb looks like to a reader that trusts the header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def noise_pngs(folder: Path, n: int, size=(16, 16)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        rgb = np.random.default_rng(i).integers(0, 256, (*size, 3), dtype=np.uint8)
        Image.fromarray(rgb).save(folder / f"{i:03d}.png")
    return folder


def truncated_png(path: Path) -> Path:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return path


def folder_pipeline(folder, size, batch, **kw):
    return pipelines.images(Location("test", "images", Path(folder)), batch, (4, 1, 1), seed=0, value_range="sigmoid",
                            image_size=size, shuffle=False, **kw)


# --- one reader for training and evaluation ---------------------------------------------------------

def test_rgba_folder_gives_the_same_pixels_to_training_and_evaluation(tmp_path):
    from mindgan.metrics.report import reference_halves  # what ImageJudge (evaluate's real side) reads

    folder = tmp_path / "rgba"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):  # RGBA of other sizes (resize + crop matter), half transparent
        rgba = rng.integers(0, 256, (30 + 4 * i, 24 + 2 * i, 4), dtype=np.uint8)
        rgba[..., 3] = np.where(rgba[..., 3] > 128, 255, 0)
        Image.fromarray(rgba, "RGBA").save(folder / f"{i}.png")
    rgba[..., 3] = 0  # wholly transparent, and an upper-case extension training used to miss
    Image.fromarray(rgba, "RGBA").save(folder / "clear.Png")
    pal = Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)).convert("P", colors=8)
    pal.save(folder / "pal.gif", transparency=0)

    batch = next(folder_pipeline(folder, 16, 8).create_dict_iterator(output_numpy=True, num_epochs=1))
    train = np.rint(batch["image"] * 255).astype(np.uint8)  # sigmoid range: pixel / 255
    evaluate = np.rint(np.concatenate(reference_halves(folder, (3, 16, 16), 100)) * 255).astype(np.uint8)
    assert train.shape == evaluate.shape == (8, 3, 16, 16)

    def rows(x):
        return sorted(img.tobytes() for img in x)

    assert rows(train) == rows(evaluate)  # the same images, pixel for pixel
    white = np.full((3, 16, 16), 255, np.uint8)
    assert any(np.array_equal(img, white) for img in evaluate)  # transparent -> white, not black


# --- Pillow's limits ----------------------------------------------------------------------------------

@pytest.mark.parametrize("side", [10_000, 20_000])  # over Pillow's limit (a warning there), and over twice it
def test_decompression_bomb_is_a_bad_image(tmp_path, side):
    with pytest.raises(BadImage, match="pixels"):
        open_image(bomb_png(tmp_path / "bomb.png", side))


@pytest.mark.subprocess
def test_decompression_bomb_refused_by_train_and_skipped_with_bad_images_skip(tmp_path):
    data = noise_pngs(tmp_path / "data" / "c", 6)
    bomb_png(data / "bomb.png", 20_000)
    out = tmp_path / "out"
    args = ["mindgan.train", "--model", "dcgan", "--data", data.parent, "--device", "CPU", "--image-size", "8",
            "--epochs", "1", "--batch-size", "2", "--max-steps", "1", "--no-progress", "--set",
            "model_args={ngf: 4, ndf: 4}"]
    assert_one_line_error(run_cli(*args, "--out", out), "bomb.png is not a readable image", "exceeds limit",
                          "--bad-images skip")
    assert not out.exists()
    proc = run_cli(*args, "--out", out, "--bad-images", "skip")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "skipping 1 unreadable" in proc.stdout and (out / "checkpoints").is_dir()


def test_truncated_jpeg_is_named_before_training(tmp_path):
    data = noise_pngs(tmp_path / "d" / "c", 4)
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buf, format="JPEG")
    cut = buf.getvalue()[: len(buf.getvalue()) * 2 // 3]  # Pillow's verify() passes it; only a decode sees it
    (data / "cut.jpg").write_bytes(cut)
    with pytest.raises(MindganError, match=r"cut\.jpg is not a readable image"):
        folder_pipeline(data.parent, 8, 2)


# --- evaluate: folders, sample values -------------------------------------------------------------------

@pytest.mark.subprocess
def test_truncated_image_in_an_evaluate_samples_folder_is_named(tmp_path):
    samples = noise_pngs(tmp_path / "samples", 4)
    truncated_png(samples / "004.png")
    proc = run_cli("mindgan.evaluate", "--samples", samples, "--real", noise_pngs(tmp_path / "real", 8), timeout=120)
    assert_one_line_error(proc, "004.png is not a readable image")
    assert not (samples / "evaluation.json").exists()


@pytest.mark.subprocess
def test_bomb_in_an_evaluate_real_folder_is_named(tmp_path):
    real = noise_pngs(tmp_path / "real", 8)
    bomb_png(real / "zz.png", 10_000)
    np.save(tmp_path / "s.npy", np.random.default_rng(0).random((8, 3, 16, 16), dtype=np.float32))
    proc = run_cli("mindgan.evaluate", "--samples", tmp_path / "s.npy", "--real", real, timeout=120)
    assert_one_line_error(proc, "zz.png is not a readable image", "Pillow's limit")


@pytest.mark.subprocess
@pytest.mark.parametrize("arr, needles", [
    (np.full((4, 1, 28, 28), 200.0, np.float32), ["float values span [200, 200]", "divide 0-255 pixels by 255"]),
    (np.arange(4 * 784, dtype=np.int64).reshape(4, 28, 28) % 256, ["int64 with values 0..255", "uint8"]),
    (np.where(np.eye(28)[None] > 0, np.nan, 0.5).repeat(4, 0).astype(np.float32), ["112 of 3136 values are NaN"]),
    (np.full((4, 28, 28), -3.0, np.float32), ["span [-3, -3]"]),
])
def test_evaluate_refuses_out_of_range_samples_with_the_range_seen(tmp_path, arr, needles):
    np.save(tmp_path / "s.npy", arr)
    proc = run_cli("mindgan.evaluate", "--samples", tmp_path / "s.npy", timeout=120)
    assert_one_line_error(proc, *needles)
    assert not (tmp_path / "evaluation.json").exists() and not (tmp_path / "cache" / "classifiers").exists()


@pytest.mark.subprocess
@pytest.mark.parametrize("case, needles", [
    ("ckpt_folder", ["--ckpt", "is a folder; give a file"]),
    ("real_file", ["--real", "is a file; give a folder"]),
    ("json_folder", ["--json", "is a folder"]),
    ("samples_txt", ["--samples", "is a .txt file"]),
])
def test_evaluate_folder_for_file_and_file_for_folder(tmp_path, case, needles):
    npy, txt = tmp_path / "s.npy", tmp_path / "notes.txt"
    np.save(npy, np.zeros((4, 1, 28, 28), np.float32))
    txt.write_text("x")
    args = {"ckpt_folder": ["--ckpt", tmp_path], "real_file": ["--samples", npy, "--real", npy],
            "json_folder": ["--samples", npy, "--json", tmp_path], "samples_txt": ["--samples", txt]}[case]
    assert_one_line_error(run_cli("mindgan.evaluate", *args, timeout=120), *needles)


@pytest.mark.subprocess
def test_generate_ckpt_folder_is_named(tmp_path):
    assert_one_line_error(run_cli("mindgan.generate", "--ckpt", tmp_path), "is a folder", "give a .ckpt file")


# --- IDX files that do not fit the model --------------------------------------------------------------------

@pytest.mark.subprocess
def test_idx_of_another_image_size_is_named_with_the_fix(tmp_path):
    images, labels = digit_images(64, 0)
    idx.write_split(tmp_path / "d", "train", np.pad(images, ((0, 0), (2, 2), (2, 2))), labels)  # 32x32
    out = tmp_path / "out"
    proc = run_cli("mindgan.train", "--model", "gan", "--data", tmp_path / "d", "--out", out, "--device", "CPU")
    assert_one_line_error(proc, "train-images-idx3-ubyte holds 32x32 images", "image_size 28", "--image-size 32")
    assert not out.exists()


@pytest.mark.subprocess
def test_idx_labels_out_of_range_are_named_for_a_conditional_model(tmp_path):
    images, labels = digit_images(64, 0)
    labels[5] = 12
    idx.write_split(tmp_path / "d", "train", images, labels)
    out = tmp_path / "out"
    proc = run_cli("mindgan.train", "--model", "cgan", "--data", tmp_path / "d", "--out", out, "--device", "CPU")
    assert_one_line_error(proc, "train-labels-idx1-ubyte holds labels up to 12", "num_classes 10",
                          "--num-classes 13")
    assert not out.exists()
    with pytest.raises(MindganError, match="labels up to 12"):  # the digit classifier checks them too
        idx.check_split(tmp_path / "d", "train", num_classes=10)
    assert idx.check_split(tmp_path / "d", "train", num_classes=13) == 64


# --- the data cache (MINDGAN_DATA) -------------------------------------------------------------------------

@pytest.mark.subprocess
def test_data_cache_that_is_a_file_is_named(tmp_path):
    blocker = tmp_path / "cachefile"
    blocker.write_text("x")
    proc = run_cli("mindgan.data", "list", env_extra={"MINDGAN_DATA": str(blocker)})
    assert_one_line_error(proc, f"the data cache {blocker} (MINDGAN_DATA) is a file")


def read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write: chmod 555, or (as root, who ignores modes) a path in sysfs."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    return folder if not os.access(folder, os.W_OK) else Path("/sys/mindgan-read-only-cache")


@pytest.mark.subprocess
def test_read_only_data_cache_is_named_before_fetching(tmp_path):
    ro = read_only_folder(tmp_path)
    proc = run_cli("mindgan.data", "fetch", "fashion-mnist",
                   env_extra={"MINDGAN_DATA": str(ro), "MINDGAN_FASHION_DIR": str(tmp_path / "none")})
    assert_one_line_error(proc, f"cannot write to the data cache {ro} (MINDGAN_DATA)", "writable folder")


@pytest.mark.subprocess
def test_read_only_data_cache_is_named_when_training_on_a_flat_folder(tmp_path):
    ro = read_only_folder(tmp_path)
    data = noise_pngs(tmp_path / "flat", 4)  # flat: the pipeline needs a view in the cache
    out = tmp_path / "out"
    proc = run_cli("mindgan.train", "--model", "dcgan", "--data", data, "--out", out, "--device", "CPU",
                   "--image-size", "8", env_extra={"MINDGAN_DATA": str(ro)})
    assert_one_line_error(proc, f"cannot write to the data cache {ro} (MINDGAN_DATA)")
    assert not out.exists()


# --- advice that the next check would refuse -----------------------------------------------------------------

def test_too_small_images_advice_is_a_size_every_model_takes():
    from mindgan.models import dcgan

    assert "too small" in _smaller_size(1) and "--image-size" not in _smaller_size(7)
    for side in range(8, 300):
        size = int(_smaller_size(side).split("--image-size ")[1].split()[0])
        assert size <= side
        dcgan.plan(size)  # does not raise
        assert size % 4 == 0  # convgan's rule


@pytest.mark.subprocess
def test_one_pixel_images_get_no_image_size_advice(tmp_path):
    data = noise_pngs(tmp_path / "d" / "c", 4, size=(1, 1))
    proc = run_cli("mindgan.train", "--model", "dcgan", "--data", data.parent, "--out", tmp_path / "o",
                   "--device", "CPU")
    assert_one_line_error(proc, "is 1x1, smaller than image_size 64", "too small to train on", "--bad-images skip")
    assert "--image-size" not in proc.stderr


# --- MindSpore's own files ------------------------------------------------------------------------------------

FAILING_COMPILE = """
import numpy as np
import mindgan  # noqa: F401  (its environment defaults, as every entry point)
import mindspore as ms
from mindspore import ops

ms.set_device("CPU")

@ms.jit
def product(x, y):
    return ops.matmul(x, y)

try:
    product(ms.Tensor(np.ones((2, 3), np.float32)), ms.Tensor(np.ones((4, 5), np.float32)))
except (RuntimeError, ValueError, TypeError) as err:
    print("compile failed:", str(err).splitlines()[0])
"""


@pytest.mark.subprocess
def test_failed_graph_compile_writes_nothing_into_the_working_directory(tmp_path):
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    script = tmp_path / "fail_compile.py"  # MindSpore compiles only functions whose source is in a file
    script.write_text(FAILING_COMPILE)
    env = {k: v for k, v in os.environ.items() if k not in ("MS_OM_PATH", "XDG_CACHE_HOME")}  # the Linux default
    env.update(HOME=str(home), PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert "compile failed" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    assert list(cwd.iterdir()) == []  # no rank_0/om/analyze_fail.ir here
    assert list((home / ".cache" / "mindgan" / "mindspore").rglob("analyze_fail.ir"))
