"""The model contract: a model registered from this file alone trains, generates and evaluates; configs
that break a model's contract are one-line errors before anything is built."""
from __future__ import annotations

import numpy as np
import pytest
from mindspore import nn, ops

import mindgan
from helpers import quick_cfg, run_cli
from mindgan import models
from mindgan.errors import MindganError
from mindgan.models import Arg, GAN, register_model
from mindgan.registry import MODELS


class TinyG(nn.Cell):
    def __init__(self, nz, width):
        super().__init__()
        self.net = nn.SequentialCell([nn.Dense(nz, width), nn.ReLU(), nn.Dense(width, 784), nn.Tanh()])

    def construct(self, z):
        return ops.reshape(self.net(z), (-1, 1, 28, 28))


class TinyD(nn.Cell):
    def __init__(self, width):
        super().__init__()
        self.net = nn.SequentialCell([nn.Flatten(), nn.Dense(784, width), nn.LeakyReLU(0.2), nn.Dense(width, 1),
                                      nn.Sigmoid()])

    def construct(self, x):
        return self.net(x)


@pytest.fixture
def tiny_model(tmp_path, monkeypatch):
    """A model and its recipe, from this test alone: the two things a new model adds."""
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "tiny_test.yaml").write_text("model: tiny_test\nbatch_size: 32\nmodel_args: {width: 8}\n")
    from mindgan import config

    monkeypatch.setattr(config, "CONFIG_DIR", tmp_path / "recipes")

    @register_model("tiny_test", recipe="tiny_test.yaml", args={"width": Arg(int, 16, 1)},
                    about="a model registered by a test")
    def build(cfg, args):
        return GAN(TinyG(cfg["latent_size"], args["width"]), TinyD(args["width"]), latent_shape=(cfg["latent_size"],),
                   image_shape=(1, 28, 28))

    yield "tiny_test"
    MODELS.items.pop("tiny_test")


@pytest.mark.trains
def test_a_model_registered_from_a_test_trains_generates_and_evaluates(tmp_path, tiny_mnist, tiny_model):
    summary = mindgan.train(tiny_model, tmp_path / "run", data=str(tiny_mnist), epochs=1, max_steps=1,
                            grid_rows=2, grid_cols=2, progress=False)
    assert summary["step"] == 1 and (tmp_path / "run" / "images" / "epoch_0001.png").is_file()
    gan, meta = mindgan.load_generator(summary["checkpoint"])
    images = gan.sample(gan.noise(64, seed=0))
    assert images.shape == (64, 1, 28, 28) and meta["model"] == tiny_model
    from mindgan.data import sources
    from mindgan.metrics import report

    judge = report.judge_for(gan, sources.resolve(str(tiny_mnist)), 32, quiet=True)
    res = judge(models.to_unit(images, gan.value_range))
    assert np.isfinite(res["fid"]) and res["fid"] > res["fid_floor"]


def test_registry_finds_every_module_by_itself():
    """Every module in mindgan/models/ that registers a model is found without being imported by hand."""
    import pkgutil
    import re

    folder = models.__path__[0]
    registered = set()
    for mod in pkgutil.iter_modules([folder]):
        text = open(f"{folder}/{mod.name}.py").read()
        registered |= set(re.findall(r'@register_model\(\s*"(\w+)"', text))
    assert registered and registered == set(models.list_models())


@pytest.mark.parametrize("name", models.list_models())
def test_every_recipe_fits_its_model(name):
    from mindgan import config

    cfg = config.load(model=name)
    spec = models.get_model(name)
    assert cfg["loss"] in spec.losses
    assert set(cfg["model_args"]) <= set(spec.args)


@pytest.mark.parametrize("over,needle", [
    ({"model": "wgan_gp", "loss": "bce"}, "trains with loss hinge or lsgan or wgan_gp"),
    ({"model": "gan", "loss": "wgan_gp"}, "trains with loss bce"),
    ({"model": "gan", "model_args": {"g_hiden": [64]}}, "unknown model_args g_hiden; valid: g_hidden, d_hidden"),
    ({"model": "dcgan", "model_args": {"ngf": 0}}, "model_args.ngf of dcgan must be at least 1"),
    ({"model": "dcgan", "model_args": {"ngf": "wide"}}, "model_args.ngf of dcgan must be int"),
    ({"model": "gan", "model_args": {"g_hidden": 128}}, "must be a non-empty list of integers"),
    ({"model": "gan", "lr_g": -1.0}, "'lr_g' must be between"),
    ({"model": "gan", "lr_g": float("nan")}, "must be a finite number"),
    ({"model": "gan", "latent_size": 0}, "'latent_size' must be between"),
    ({"model": "gan", "seed": -1}, "'seed' must be between"),
    ({"model": "gan", "keep_checkpoint_max": 0}, "'keep_checkpoint_max' must be between 1"),
    ({"model": "gan", "ckpt_every": 0}, "'ckpt_every' must be between 1"),
    ({"model": "gan", "steps_per_call": 0}, "'steps_per_call' must be between 1"),
    ({"model": "gan", "image_size": 0}, "'image_size' must be between"),
    ({"model": "gan", "schedule": "random"}, "'schedule' must be one of d_then_g, g_then_d"),
])
def test_contract_and_range_errors_name_the_key(over, needle):
    with pytest.raises(MindganError) as err:
        quick_cfg(**over)
    assert needle in str(err.value)


@pytest.mark.trains
def test_data_is_a_choice_of_the_run(tmp_path, tiny_mnist):
    """dcgan (an image-folder model) reads MNIST digits when the run asks for them."""
    summary = mindgan.train("dcgan", tmp_path / "run", data=str(tiny_mnist), image_size=32, channels=1, epochs=1,
                            batch_size=16, max_steps=2, grid_rows=2, grid_cols=2, model_args={"ngf": 8, "ndf": 8},
                            progress=False)
    assert summary["step"] == 2


def test_model_data_mismatch_is_one_line(tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    from PIL import Image

    for i in range(4):
        Image.new("RGB", (28, 28), (i * 60, 0, 0)).save(folder / f"{i}.png")
    with pytest.raises(MindganError, match="holds images data; this model reads mnist data"):
        mindgan.train("cgan", tmp_path / "run", data=str(folder), progress=False)
    assert not (tmp_path / "run").exists()


@pytest.mark.subprocess
def test_list_models_shows_each_contract():
    proc = run_cli("mindgan.train", "--list-models")
    assert proc.returncode == 0
    for name in models.list_models():
        assert f"\n{name} " in "\n" + proc.stdout
    assert "loss hinge/lsgan/wgan_gp" in proc.stdout and "model_args ngf=64, ndf=64" in proc.stdout
    assert "lsgan (D gives a score)" in proc.stdout and "schedules: d_then_g, g_then_d" in proc.stdout


@pytest.mark.subprocess
def test_unknown_model_lists_the_registered_ones():
    proc = run_cli("mindgan.train", "--model", "nosuch", "--epochs", "1")
    err = proc.stderr.strip()
    assert proc.returncode == 2 and err.startswith("error: unknown model 'nosuch'")
    assert f"registered models: {', '.join(models.list_models())} (" in err  # every one, not an echo of the name
