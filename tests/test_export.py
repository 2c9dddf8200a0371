"""Export and deployment: MindIR and ONNX for every registered model, checkpoints written and read by
the MindSpore tutorials' own code, and what generate writes (--num cap, --out checks, stale images)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import REPO, assert_one_line_error, run_cli, write_mixed

from mindgan.models import list_models
from mindgan.registry import MODELS

# per-model settings that keep a one-step training run to seconds (conv nets at 16x16, thin)
TINY = {"dcgan": ["--image-size", "16", "--set", "model_args={ngf: 8, ndf: 8}"],
        "wgan_gp": ["--set", "model_args={ngf: 8, ndf: 8}"]}


def train_cli(model, data, out, tiny=True):
    r = run_cli("mindgan.train", "--model", model, "--data", data, "--epochs", 1, "--max-steps", 1,
                "--batch-size", 4, "--grid-rows", 2, "--grid-cols", 2, "--device", "CPU", "--no-progress",
                "--out", out, *(TINY.get(model, []) if tiny else []))
    assert r.returncode == 0, r.stderr[-2000:]
    return next((out / "checkpoints").glob("*.ckpt"))


@pytest.fixture(scope="module")
def ckpt_of(tiny_mnist, tmp_path_factory):
    """model -> a checkpoint trained one step through the CLI (made on first use)."""
    from mindgan.models import get_model

    cache, images = {}, tmp_path_factory.mktemp("imgs")
    write_mixed(images / "cls", n=16)

    def get(model):
        if model not in cache:
            kind = get_model(model).data[0]
            data = images if kind == "images" else tiny_mnist
            cache[model] = train_cli(model, data, tmp_path_factory.mktemp(model))
        return cache[model]

    return get


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.subprocess
@pytest.mark.parametrize("model", list_models())
def test_mindir_generates_the_checkpoints_grid(model, ckpt_of, tmp_path):
    ckpt = ckpt_of(model)
    r = run_cli("mindgan.export", "--ckpt", ckpt, "--format", "MINDIR", "--out", tmp_path / "g.mindir",
                "--device", "CPU")
    assert r.returncode == 0, r.stderr[-2000:]
    meta = json.loads((tmp_path / "g.mindir.json").read_text())
    assert meta["model"] == model and meta["source"]["sha256"] == sha256(ckpt)
    assert meta["inputs"][0]["name"] == "z" and meta["inputs"][0]["shape"][0] is None
    assert [i["name"] for i in meta["inputs"]][1:] == (["labels"] if meta["conditional"] else [])
    runs = {}
    for how, src in (("ckpt", ["--ckpt", ckpt]), ("mindir", ["--model-file", tmp_path / "g.mindir"])):
        r = run_cli("mindgan.generate", *src, "--num", 6, "--seed", 3, "--out", tmp_path / how, "--device", "CPU")
        assert r.returncode == 0, r.stderr[-2000:]
        runs[how] = tmp_path / how
    a, b = (np.load(runs[h] / "samples.npy") for h in ("ckpt", "mindir"))
    diff = float(np.abs(a - b).max())
    assert diff <= 1e-6 and (runs["ckpt"] / "grid.png").read_bytes() == (runs["mindir"] / "grid.png").read_bytes()


@pytest.mark.subprocess
@pytest.mark.parametrize("model", list_models())
def test_onnx_equals_mindspore_in_onnxruntime(model, ckpt_of, tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime comes with the [dev] extra")
    import mindspore as ms

    from mindgan.api import load_generator

    ckpt, batch = ckpt_of(model), 4
    r = run_cli("mindgan.export", "--ckpt", ckpt, "--format", "ONNX", "--batch", batch,
                "--out", tmp_path / "g.onnx", "--device", "CPU")
    assert r.returncode == 0, r.stderr[-2000:]  # the README's table says every model exports to ONNX
    meta = json.loads((tmp_path / "g.onnx.json").read_text())
    session = ort.InferenceSession(str(tmp_path / "g.onnx"))
    assert [i.name for i in session.get_inputs()] == [i["name"] for i in meta["inputs"]]
    assert [list(i.shape) for i in session.get_inputs()] == [i["shape"] for i in meta["inputs"]]
    gan, _ = load_generator(ckpt)
    rng = np.random.default_rng(7)
    feed = {"z": rng.standard_normal((batch, *gan.latent_shape)).astype(np.float32)}
    if gan.conditional:
        feed["labels"] = rng.integers(0, 10, batch).astype(np.int32)
    (got,) = session.run(["images"], feed)
    want = gan.generator(*[ms.Tensor(v) for v in feed.values()]).asnumpy()
    diff = float(np.abs(got - want).max())
    assert got.shape == tuple(meta["outputs"][0]["shape"]) and diff < 1e-5


@pytest.mark.subprocess
def test_fixed_batch_mindir_runs_any_count(ckpt_of, tmp_path):
    """A --batch 3 file runs 7 images in chunks (the last padded) with the same result."""
    from mindgan import loaders
    from mindgan.api import load_generator
    from mindgan.generation import generate
    from mindgan.models import Generator

    ckpt = ckpt_of("cgan")
    run_cli("mindgan.export", "--ckpt", ckpt, "--batch", 3, "--out", tmp_path / "b3.mindir", "--device", "CPU")
    fixed, meta = loaders.load_model_file(tmp_path / "b3.mindir")
    assert isinstance(fixed, Generator) and isinstance(load_generator(ckpt)[0], Generator)  # one protocol
    assert fixed.batch == 3 and meta["inputs"][1]["shape"] == [3]
    labels = np.arange(7) % 10
    np.testing.assert_allclose(generate(fixed, 7, 5, labels), generate(load_generator(ckpt)[0], 7, 5, labels),
                               atol=1e-6)


def test_operator_without_onnx_mapping_is_named(monkeypatch, tmp_path, capsys):
    """A model with an operator MindSpore 2.10 cannot write to ONNX (Mish): one line naming it."""
    from mindspore import nn

    from mindgan import checkpoint, config, exporting, models
    from mindgan.cli import export as export_cli
    from mindgan.models import GAN, create_model

    class MishGenerator(nn.Cell):
        def __init__(self):
            super().__init__()
            self.fc, self.act, self.out = nn.Dense(8, 16), nn.Mish(), nn.Tanh()  # Tanh: the model's range

        def construct(self, z):
            return self.out(self.act(self.fc(z))).reshape(-1, 1, 4, 4)

    def build(cfg, args):
        return GAN(MishGenerator(), nn.Dense(16, 1), latent_shape=(8,), image_shape=(1, 4, 4))

    hidden = {k: models.Arg("ints", [1]) for k in ("g_hidden", "d_hidden")}  # the borrowed recipe's keys
    monkeypatch.setitem(MODELS.items, "mish", models.ModelSpec("mish", build, "gan_mnist.yaml", "test", args=hidden))
    cfg = config.load(model="mish", overrides={"latent_size": 8, "image_size": 4})
    gan = create_model(cfg)
    ckpt = tmp_path / "mish.ckpt"
    checkpoint.save(gan.generator, ckpt, {"model": "mish", "epoch": 1, "step": 1, "batch_in_epoch": 0, "config": cfg,
                                          "conditional": False})
    with pytest.raises(SystemExit) as exit_:
        export_cli.main(["--ckpt", str(ckpt), "--format", "ONNX", "--device", "CPU"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and "operator Mish" in err[0], err
    assert not list(tmp_path.glob("*.onnx*")) and not (REPO / "rank_0").exists()
    assert exporting.export(ckpt, "MINDIR").is_file()  # the same model exports to MindIR


# --- the tutorials' own code, both directions -----------------------------------------------------------

def tutorial(*args):
    """benchmarks/tutorial_ckpt.py: the tutorial's networks and save/load calls, no mindgan import."""
    env = dict(os.environ, ONEDNN_MAX_CPU_ISA="AVX2", GLOG_v="3")
    env.pop("PYTHONPATH", None)  # the tutorial code must run without mindgan
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "tutorial_ckpt.py"), *map(str, args)],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


LATENT = {"gan": (100,), "dcgan": (100, 1, 1)}


@pytest.mark.subprocess
@pytest.mark.parametrize("model", ["gan", "dcgan"])
def test_tutorial_written_checkpoint_generates(model, tmp_path):
    tutorial("train", model, tmp_path / "tut", "--steps", 2, "--batch", 4)
    ckpt = next((tmp_path / "tut").glob("*.ckpt"))  # Generator0.ckpt / generator.ckpt, no .json
    r = run_cli("mindgan.generate", "--ckpt", ckpt, "--model", model, "--num", 4, "--seed", 1,
                "--out", tmp_path / "gen", "--device", "CPU")
    assert r.returncode == 0, r.stderr[-2000:]
    # the tutorial's own inference on the same noise gives the same images
    np.save(tmp_path / "noise.npy", np.random.default_rng(1).standard_normal((4, *LATENT[model])).astype(np.float32))
    tutorial("infer", model, ckpt, tmp_path / "noise.npy", tmp_path / "tut.npz")
    theirs = np.clip((np.load(tmp_path / "tut.npz")["session"] + 1) / 2, 0, 1)
    np.testing.assert_allclose(np.load(tmp_path / "gen" / "samples.npy"), theirs, atol=1e-5)


@pytest.mark.subprocess
@pytest.mark.parametrize("model", ["gan", "dcgan"])
def test_mindgan_checkpoint_loads_into_the_tutorial_generator(model, tiny_mnist, tmp_path):
    import mindspore as ms

    from mindgan.api import load_generator

    # the recipe's own networks, which are the tutorial's (dcgan: 64x64, ngf = ndf = 64)
    data = write_mixed(tmp_path / "imgs" / "cls", n=8, size=(72, 64)).parent if model == "dcgan" else tiny_mnist
    ckpt = train_cli(model, data, tmp_path / "run", tiny=False)
    r = run_cli("mindgan.export", "--ckpt", ckpt, "--format", "TUTORIAL", "--out", tmp_path / "Generator.ckpt",
                "--device", "CPU")
    assert r.returncode == 0, r.stderr[-2000:]
    noise = np.random.default_rng(2).standard_normal((3, *LATENT[model])).astype(np.float32)
    np.save(tmp_path / "noise.npy", noise)
    tutorial("infer", model, tmp_path / "Generator.ckpt", tmp_path / "noise.npy", tmp_path / "tut.npz")
    ours = load_generator(ckpt)[0].generator(ms.Tensor(noise)).asnumpy()
    for net in ("session", "fresh"):  # the notebook's net_g after training, and one built for inference
        np.testing.assert_allclose(np.load(tmp_path / "tut.npz")[net], ours, atol=1e-6)


# --- generate: what it may write (issue 17) ----------------------------------------------------------------

@pytest.mark.subprocess
def test_generate_num_is_capped_before_anything_is_written(ckpt_of, tmp_path):
    r = run_cli("mindgan.generate", "--ckpt", ckpt_of("gan"), "--num", 10_000_000, "--out", tmp_path / "g",
                "--device", "CPU")
    assert_one_line_error(r, "--num 10000000", "several times")
    assert not (tmp_path / "g").exists()


@pytest.mark.subprocess
def test_generate_out_that_is_a_file_or_unwritable(ckpt_of, tmp_path):
    (tmp_path / "file").write_text("mine")
    r = run_cli("mindgan.generate", "--ckpt", ckpt_of("gan"), "--out", tmp_path / "file", "--device", "CPU")
    assert_one_line_error(r, "is a file")
    assert (tmp_path / "file").read_text() == "mine"
    if os.geteuid() == 0:  # root writes through permission bits: use a place no one can write
        locked = "/sys/mindgan-generated"
    else:
        (tmp_path / "ro").mkdir(mode=0o555)
        locked = tmp_path / "ro" / "out"
    r = run_cli("mindgan.generate", "--ckpt", ckpt_of("gan"), "--out", locked, "--device", "CPU")
    assert_one_line_error(r, "cannot write")
    r = run_cli("mindgan.generate", "--ckpt", ckpt_of("gan"), "--out", tmp_path / ("x" * 300), "--device", "CPU")
    assert_one_line_error(r, "--out")


@pytest.mark.subprocess
def test_generate_replaces_its_own_earlier_images_only(ckpt_of, tmp_path):
    out = tmp_path / "g"
    (out / "images").mkdir(parents=True)
    (out / "images" / "mine.png").write_bytes(b"user file")
    for num in (7, 3):
        r = run_cli("mindgan.generate", "--ckpt", ckpt_of("gan"), "--num", num, "--out", out, "--device", "CPU")
        assert r.returncode == 0, r.stderr[-2000:]
    assert sorted(p.name for p in (out / "images").glob("*.png")) == ["0000.png", "0001.png", "0002.png", "mine.png"]
    assert (out / "images" / "mine.png").read_bytes() == b"user file" and len(np.load(out / "samples.npy")) == 3


@pytest.mark.subprocess
def test_model_file_errors_are_one_line(ckpt_of, tmp_path):
    (tmp_path / "x.mindir").write_bytes(b"not a model")
    r = run_cli("mindgan.generate", "--model-file", tmp_path / "x.mindir", "--device", "CPU")
    assert_one_line_error(r, "x.mindir.json", "mindgan.export")
    (tmp_path / "x.mindir.json").write_text(json.dumps({"format": "ONNX"}))
    r = run_cli("mindgan.generate", "--model-file", tmp_path / "x.mindir", "--device", "CPU")
    assert_one_line_error(r, "MindIR")
    r = run_cli("mindgan.export", "--ckpt", ckpt_of("gan"), "--model", "cgan", "--format", "TUTORIAL",
                "--out", tmp_path / "t.ckpt", "--device", "CPU")
    assert r.returncode == 0  # a checkpoint with its .json ignores --model: gan has tutorial names
    r = run_cli("mindgan.export", "--ckpt", ckpt_of("cgan"), "--format", "TUTORIAL", "--out", tmp_path / "c.ckpt",
                "--device", "CPU")
    assert_one_line_error(r, "cgan", "gan, dcgan")
