"""Bad input through the real CLI: one line naming the problem and the fix, exit 2, nothing half-written."""
from __future__ import annotations

import shutil

import pytest

from helpers import assert_one_line_error, run_cli, write_mixed

pytestmark = pytest.mark.subprocess  # every test here starts processes


def train(data, out, *extra):
    return run_cli("mindgan.train", "--model", "gan", "--data", data, "--out", out, "--device", "CPU", *extra)


@pytest.mark.parametrize("case, needles", [
    ("missing_labels", ["lacks train-labels-idx1-ubyte"]),
    ("truncated_images", ["truncated", "fetch the data again"]),
    ("wrong_magic", ["magic number", "MNIST-format"]),
])
def test_damaged_mnist_folder(tmp_path, tiny_mnist, case, needles):
    data = tmp_path / "data"
    shutil.copytree(tiny_mnist, data)
    images, labels = data / "train-images-idx3-ubyte", data / "train-labels-idx1-ubyte"
    if case == "missing_labels":
        labels.unlink()
    elif case == "truncated_images":
        images.write_bytes(images.read_bytes()[:5000])
    else:
        images.write_bytes(b"\x00\x00\x08\x01" + images.read_bytes()[4:])
    out = tmp_path / "out"
    assert_one_line_error(train(data, out), *needles)
    assert not out.exists()


def test_batch_larger_than_dataset(tmp_path, tiny_mnist):
    out = tmp_path / "out"
    assert_one_line_error(train(tiny_mnist, out, "--batch-size", "1000"), "larger than the 256 images",
                          "--batch-size 256")
    assert not out.exists()


def test_unwritable_output_folder(tmp_path, tiny_mnist):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert_one_line_error(train(tiny_mnist, blocker / "run"), "cannot write to output folder", "--out")


def test_data_is_a_file(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("x")
    assert_one_line_error(train(f, tmp_path / "out"), "is a file")


def test_corrupt_download_is_refused(tmp_path, http_server):
    base, www, _ = http_server
    (www / "MNIST_Data.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    proc = run_cli("mindgan.data", "fetch", "mindspore", env_extra={"MINDGAN_MNIST_URL": f"{base}/MNIST_Data.zip",
                                                                     "MINDGAN_DATA": str(tmp_path / "cache")})
    assert_one_line_error(proc, "not a valid zip file")
    assert not list((tmp_path / "cache").rglob("*.zip"))  # the bad archive is not kept


def test_unknown_device_name(tmp_path):
    assert_one_line_error(run_cli("mindgan.train", "--device", "TPU", "--out", tmp_path / "o"), "unknown device 'TPU'",
                          "CPU")


def test_bad_set_override(tmp_path):
    assert_one_line_error(run_cli("mindgan.train", "--set", "epochs", "--out", tmp_path / "o"), "KEY=VALUE")


@pytest.mark.parametrize("case, needles", [
    ("empty", ["holds no usable images"]),
    ("corrupt", ["broken.png is not a readable image", "--bad-images skip"]),
    ("small", ["smaller than image_size 64", "--image-size"]),
])
def test_bad_image_folder(tmp_path, case, needles):
    data = tmp_path / "data" / "c"
    data.mkdir(parents=True)
    if case == "corrupt":
        write_mixed(data, n=4, size=(64, 64))
        (data / "broken.png").write_bytes(b"\x89PNG not really")
    elif case == "small":
        write_mixed(data, n=4, size=(24, 20))
    else:
        (data / "notes.txt").write_text("no images here")
    out = tmp_path / "out"
    proc = run_cli("mindgan.train", "--model", "dcgan", "--data", data.parent, "--out", out, "--device", "CPU")
    assert_one_line_error(proc, *needles)
    assert not out.exists()
