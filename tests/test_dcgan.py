"""DCGAN (the MindSpore DCGAN tutorial) on image folders: pipeline, sources, training, checkpoints, devices, oneDNN speed."""
from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import fit, onednn_convolutions, pattern, quick_cfg, run_cli, write_mixed
from mindgan.errors import MindganError

TINY = {"image_size": 16, "batch_size": 8, "grid_rows": 2, "grid_cols": 2, "model_args": {"ngf": 8, "ndf": 8}}


@pytest.fixture
def mixed(tmp_path) -> Path:
    return write_mixed(tmp_path / "mixed" / "cls")


def pipeline(folder, batch=4, size=16, **kw):
    from mindgan.data import Location, pipelines

    return pipelines.images(Location("test", "images", Path(folder)), batch, (100, 1, 1), seed=0,
                            image_size=size, **kw)


def batches(data):
    return list(data.create_dict_iterator(output_numpy=True, num_epochs=1))


# --- pipeline ------------------------------------------------------------------------------------

@pytest.mark.parametrize("flat", [False, True])
def test_pipeline_shapes_dtype_range(mixed, flat):
    folder = mixed if flat else mixed.parent  # a flat folder or the tutorial's root/<class>/ layout
    got = batches(pipeline(folder, batch=4, size=16))
    assert len(got) == 4  # 16 images (notes.txt ignored), whole batches of 4
    for b in got:
        assert b["image"].shape == (4, 3, 16, 16) and b["image"].dtype == np.float32
        assert b["label"].dtype == np.int32 and b["latent_code"].shape == (4, 100, 1, 1)
        assert b["latent_code"].dtype == np.float32
    x = np.concatenate([b["image"] for b in got])
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert x.min() < -0.8 and x.max() > 0.8  # [-1, 1] for Tanh, not the tutorial's [0, 1]


def test_rgba_composited_on_white_and_gray_to_rgb(tmp_path):
    folder = tmp_path / "one" / "c"
    folder.mkdir(parents=True)
    rgba = np.zeros((16, 16, 4), np.uint8)  # transparent black: cut-off alpha would leave it black
    rgba[4:12, 4:12] = [255, 0, 0, 255]
    Image.fromarray(rgba, "RGBA").save(folder / "a.png")
    x = batches(pipeline(folder.parent, batch=1, size=16))[0]["image"][0]
    np.testing.assert_allclose(x[:, 0, 0], [1, 1, 1])  # corner: white background
    np.testing.assert_allclose(x[:, 8, 8], [1, -1, -1])  # centre: opaque red kept
    Image.fromarray(np.full((16, 16), 64, np.uint8), "L").save(folder / "a.png")
    x = batches(pipeline(folder.parent, batch=1, size=16))[0]["image"][0]
    assert x.shape == (3, 16, 16) and np.allclose(x[0], x[1]) and np.allclose(x[1], x[2])


def test_resize_then_center_crop(tmp_path):
    folder = tmp_path / "r" / "c"
    folder.mkdir(parents=True)
    img = np.zeros((32, 64, 3), np.uint8)  # wide: left/right quarters black, middle white
    img[:, 16:48] = 255
    Image.fromarray(img).save(folder / "w.png")
    x = batches(pipeline(folder.parent, batch=1, size=16))[0]["image"][0]
    assert x.shape == (3, 16, 16) and x.min() > 0.9  # Resize(16) -> 16x32, CenterCrop keeps the middle


def test_folder_errors_are_one_line(tmp_path):
    empty = tmp_path / "empty"
    (empty / "c").mkdir(parents=True)
    (empty / "c" / "readme.txt").write_text("x")
    with pytest.raises(MindganError, match="holds no usable images"):
        pipeline(empty)
    bad = write_mixed(tmp_path / "bad" / "c", n=8)
    (bad / "zz_garbage.png").write_bytes(b"this is not a png")
    buf = io.BytesIO()
    Image.fromarray(pattern(1, 24, 24)).save(buf, format="PNG")
    (bad / "zz_truncated.png").write_bytes(buf.getvalue()[:-40])
    with pytest.raises(MindganError, match=r"zz_garbage\.png is not a readable image.*2 such file"):
        pipeline(bad.parent)
    got = batches(pipeline(bad.parent, bad_images="skip"))  # leaves both out, says so
    assert sum(len(b["image"]) for b in got) == 8
    with pytest.raises(MindganError, match=r"is 24x20, smaller than image_size 32.*--image-size 16 "):
        pipeline(write_mixed(tmp_path / "small" / "c", n=4).parent, size=32)
    with pytest.raises(MindganError, match="batch size 64 is larger than the 4 images"):
        pipeline(tmp_path / "small", batch=64)


# --- sources -------------------------------------------------------------------------------------

@pytest.fixture
def http_dir(http_server):
    """A folder served over HTTP on 127.0.0.1 by this test (no network beyond the loopback)."""
    url, root, _ = http_server
    return root, url


def test_faces_zip_over_loopback(http_dir, monkeypatch, isolated_cache):
    from mindgan.data import sources

    root, url = http_dir
    with zipfile.ZipFile(root / "faces.zip", "w") as zf:  # the tutorial's layout: faces/<n>.jpg
        for i in range(12):
            buf = io.BytesIO()
            Image.fromarray(pattern(i, 24, 24)).save(buf, format="JPEG")
            zf.writestr(f"faces/{i}.jpg", buf.getvalue())
    monkeypatch.setenv("MINDGAN_FACES_URL", f"{url}/faces.zip")
    loc = sources.resolve("auto", "images")  # faces is first in the images order
    assert loc.source == "faces" and loc.kind == "images"
    assert len(list((loc.train / "faces").glob("*.jpg"))) == 12
    assert sources.SOURCES["faces"].cached(isolated_cache) is not None
    got = batches(pipeline(loc.train, batch=4))
    assert len(got) == 3 and got[0]["image"].shape == (4, 3, 16, 16)


def test_faces_zip_slip_refused(http_dir, monkeypatch, isolated_cache):
    from mindgan.data import sources

    root, url = http_dir
    with zipfile.ZipFile(root / "faces.zip", "w") as zf:
        zf.writestr("faces/0.jpg", b"x")
        zf.writestr("../../escaped.txt", b"owned")
    monkeypatch.setenv("MINDGAN_FACES_URL", f"{url}/faces.zip")
    with pytest.raises(MindganError, match="outside .* refusing to extract"):
        sources.fetch("faces")
    assert not list(isolated_cache.parent.rglob("escaped.txt"))
    assert sources.SOURCES["faces"].cached(isolated_cache) is None  # nothing half-fetched counts


def test_emoji_layout_from_package_tarball(tmp_path):
    """The npm package's 64 px PNGs (RGBA) become an RGB image folder; other files are left out."""
    from mindgan.data import sources

    tarball = tmp_path / "pkg.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name in ("package/img/google/64/1f600.png", "package/img/google/64/1f601.png",
                     "package/img/google/32/1f600.png", "package/emoji.json"):
            buf = io.BytesIO()
            img = np.zeros((64, 64, 4), np.uint8)
            img[20:40, 20:40] = [255, 200, 0, 255]
            Image.fromarray(img, "RGBA").save(buf, format="PNG")
            info = tarfile.TarInfo(name)
            info.size = len(buf.getvalue())
            tar.addfile(info, io.BytesIO(buf.getvalue()))
    dest = tmp_path / "emoji" / "images"
    assert sources.emoji_layout(tarball, dest) == 2
    files = sorted((dest / "emoji").iterdir())
    assert [f.name for f in files] == ["1f600.png", "1f601.png"]
    with Image.open(files[0]) as im:
        assert im.mode == "RGB" and im.getpixel((0, 0)) == (255, 255, 255) and im.getpixel((30, 30)) == (255, 200, 0)
    with pytest.raises(MindganError, match="does not match its published sha512"):
        sources.verify_sha512(tarball, sources.NPM_EMOJI_SHA512)


def test_data_kind_mismatch_is_clear():
    from mindgan.data import sources

    with pytest.raises(MindganError, match="gives images data; this model reads mnist data"):
        sources.resolve("emoji", "mnist")


# --- model, training, checkpoints ----------------------------------------------------------------

def test_tutorial_networks_layer_for_layer():
    from mindspore import nn

    from mindgan.models import create_model

    gan = create_model(quick_cfg(model="dcgan", image_size=64, model_args={"ngf": 64, "ndf": 64}))
    g = [type(c).__name__ for c in gan.generator.generator.cells()]
    assert g == ["Conv2dTranspose", "BatchNorm2d", "ReLU"] * 4 + ["Conv2dTranspose", "Tanh"]
    d = [type(c).__name__ for c in gan.discriminator.discriminator.cells()]
    assert d == ["Conv2d", "LeakyReLU"] + ["Conv2d", "BatchNorm2d", "LeakyReLU"] * 3 + ["Conv2d"]
    convs = [c for c in gan.generator.generator.cells() if isinstance(c, nn.Conv2dTranspose)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(100, 512), (512, 256), (256, 128), (128, 64), (64, 3)]
    w = np.concatenate([c.weight.asnumpy().ravel() for c in convs])
    assert abs(w.mean()) < 2e-3 and 0.018 < w.std() < 0.022  # Normal(0, 0.02)
    gamma = np.concatenate([c.gamma.asnumpy() for c in gan.discriminator.discriminator.cells()
                            if isinstance(c, nn.BatchNorm2d)])
    assert abs(gamma.mean() - 1) < 5e-3 and 0.015 < gamma.std() < 0.025  # Normal(1, 0.02)
    assert gan.latent_shape == (100, 1, 1) and gan.image_shape == (3, 64, 64)
    assert sum(p.size for p in gan.generator.trainable_params()) == 3576704  # the tutorial's generator


@pytest.mark.trains
def test_one_epoch_finite_losses_and_checkpoint_round_trip(tmp_path):
    import mindspore as ms

    from mindgan.api import load_generator
    from mindgan.generation import generate

    folder = write_mixed(tmp_path / "d" / "c", n=32).parent
    trainer, summary = fit(quick_cfg(model="dcgan", data=str(folder), **TINY), tmp_path / "run")
    assert summary["step"] == 4 and not summary["stopped"]
    losses = np.loadtxt(tmp_path / "run" / "losses.csv", delimiter=",", skiprows=1)[:, 2:]
    assert losses.shape == (4, 2) and np.isfinite(losses).all()
    assert (tmp_path / "run" / "images" / "epoch_0001.png").is_file()

    gan, meta = load_generator(summary["checkpoint"])
    assert meta["model"] == "dcgan" and meta["latent_shape"] == [100, 1, 1]
    noise = np.random.default_rng(5).standard_normal((3, 100, 1, 1)).astype(np.float32)
    np.testing.assert_allclose(gan.generator(ms.Tensor(noise)).asnumpy(), trainer.sample(noise), atol=1e-5)
    out = generate(gan, 3, seed=1)
    assert out.shape == (3, 3, 16, 16) and np.abs(out).max() <= 1


@pytest.mark.subprocess
def test_train_and_generate_cli(tmp_path, monkeypatch):
    """The real commands, as a user runs them: grids, GIF, loss curve, checkpoints, then generate."""
    folder = write_mixed(tmp_path / "imgs", n=24)  # a flat folder of mixed-mode images
    out = tmp_path / "run"
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")  # as a user who never heard of it
    r = run_cli("mindgan.train", "--model", "dcgan", "--data", folder, "--device", "CPU", "--epochs", "2",
                "--image-size", "16", "--batch-size", "8", "--grid-rows", "2", "--grid-cols", "2",
                "--set", "model_args={ngf: 8, ndf: 8}", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count("oneDNN ISA: AVX2 cap (convolutions") == 1  # the startup line says why
    assert sorted(p.name for p in (out / "images").iterdir()) == ["epoch_0001.png", "epoch_0002.png"]
    with Image.open(out / "progress.gif") as gif:
        assert gif.n_frames == 2
    assert (out / "loss_curve.png").is_file()
    ckpt = sorted((out / "checkpoints").glob("dcgan_e0002.ckpt"))[0]
    r = run_cli("mindgan.generate", "--ckpt", ckpt, "--num", "4", "--device", "CPU", "--out", tmp_path / "gen")
    assert r.returncode == 0, r.stderr[-2000:]
    samples = np.load(tmp_path / "gen" / "samples.npy")
    assert samples.shape == (4, 3, 16, 16) and (tmp_path / "gen" / "grid.png").is_file()


# --- oneDNN -----------------------------------------------------------------------------------------

@pytest.mark.subprocess
def test_onednn_fast_convolution_in_effect(tmp_path):
    """With mindgan imported, oneDNN runs convolutions with a jit kernel, not its reference one (`ref`),
    which it picks under the AVX-512 default on this CPU (~200x slower). oneDNN names the kernel it ran
    (ONEDNN_VERBOSE), so this needs no clock."""
    probe = ("import numpy as np, mindgan, mindspore as ms\n"
             "from mindspore import nn\n"
             "nn.Conv2d(8, 8, 3)(ms.Tensor(np.ones((2, 8, 8, 8), np.float32))).asnumpy()\n")
    kernels = [k for k, _ in onednn_convolutions(probe, tmp_path)]
    assert not [k for k in kernels if "ref" in k], kernels
