"""oneDNN's ISA limit per run (mindgan/env.py): the AVX2 cap wherever a convolution may run, AVX512_CORE for a
one-job command whose run has none, the user's ONEDNN_MAX_CPU_ISA always, and the startup line saying which."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from helpers import run_cli
from mindgan import api, config, device, env
from mindgan.models import convolves, get_model, list_models
from mindgan.cli import bench as bench_cli
from mindgan.cli import train as train_cli


def has_convolution(cell) -> bool:
    return any("Conv" in type(c).__name__ for _, c in cell.cells_and_names())


@pytest.mark.parametrize("model", list_models())
def test_each_model_declares_whether_its_nets_convolve(model):
    """A model that says convolutions=False would run its convolutions in oneDNN's reference kernel: the
    declaration must match the nets its recipe builds."""
    spec = get_model(model)
    cfg = config.load(model=model)
    gan = spec.build(cfg, spec.model_args(cfg["model_args"]))
    assert spec.convolutions == (has_convolution(gan.generator) or has_convolution(gan.discriminator))


def test_the_mlp_models_are_the_ones_without_convolutions():
    assert sorted(m for m in list_models() if not get_model(m).convolutions) == ["cgan", "gan", "minimal"]


def test_a_run_convolves_through_its_model_or_its_evaluation():
    assert not convolves(config.load(model="gan"))
    assert convolves(config.load(model="gan", overrides={"eval_every": 1}))  # LeNet-5 judge, feature net
    assert convolves(config.load(model="dcgan")) and convolves(config.load(model="wgan_gp"))


@pytest.fixture
def mindgan_chose(monkeypatch):
    """The process state after `import mindgan` in a shell without ONEDNN_MAX_CPU_ISA."""
    monkeypatch.setattr(env, "ONEDNN_DEFAULTED", True)
    monkeypatch.setattr(env, "_why", "")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", env.CAP)


def test_a_run_without_convolutions_lifts_the_cap_and_says_so(mindgan_chose, monkeypatch):
    monkeypatch.setattr(env, "LIFT_WITHOUT_CONVOLUTIONS", True)
    line = env.choose("gan", convolves=False)
    assert os.environ["ONEDNN_MAX_CPU_ISA"] == "AVX512_CORE"
    assert line.startswith("oneDNN ISA: AVX512_CORE (gan has no convolutions")
    assert env.isa_line() == line


def test_where_avx512_measured_no_faster_the_cap_stays_and_the_line_says_why(mindgan_chose, monkeypatch):
    monkeypatch.setattr(env, "LIFT_WITHOUT_CONVOLUTIONS", False)
    line = env.choose("gan", convolves=False)
    assert os.environ["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    assert line.startswith("oneDNN ISA: AVX2 cap (gan has no convolutions, but its AVX-512 matrix products measured")


def test_a_run_with_convolutions_keeps_the_cap_and_says_so(mindgan_chose):
    line = env.choose("dcgan", convolves=True)
    assert os.environ["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    assert line.startswith("oneDNN ISA: AVX2 cap (convolutions")


def test_a_config_convolves_through_its_evaluation_too(mindgan_chose, monkeypatch):
    monkeypatch.setattr(env, "LIFT_WITHOUT_CONVOLUTIONS", True)
    line = api.choose_isa(config.load(model="gan", overrides={"eval_every": 1}))
    assert os.environ["ONEDNN_MAX_CPU_ISA"] == "AVX2" and line.startswith("oneDNN ISA: AVX2 cap (convolutions")
    assert api.choose_isa(config.load(model="gan")).startswith("oneDNN ISA: AVX512_CORE (gan has no")


def test_the_users_setting_always_wins(monkeypatch):
    monkeypatch.setattr(env, "ONEDNN_DEFAULTED", False)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2_VNNI")
    assert env.choose("gan", convolves=False) == "oneDNN ISA: AVX2_VNNI (your ONEDNN_MAX_CPU_ISA)"
    assert os.environ["ONEDNN_MAX_CPU_ISA"] == "AVX2_VNNI"


def test_the_train_command_asks_for_the_choice_and_the_api_does_not(monkeypatch, tmp_path):
    """Only a process that runs one job may lift the cap: a notebook's next cell may convolve."""
    import inspect

    assert inspect.signature(api.train).parameters["isa_per_run"].default is False
    seen = {}

    def fake_train(*args, **kwargs):
        seen.update(kwargs)
        return {"out": tmp_path, "stopped": True}

    monkeypatch.setattr(api, "train", fake_train)
    assert train_cli.main(["--model", "gan", "--out", str(tmp_path / "run")]) == 130
    assert seen["isa_per_run"] is True


def test_the_bench_command_chooses_for_its_run(monkeypatch, mindgan_chose):
    monkeypatch.setattr(env, "LIFT_WITHOUT_CONVOLUTIONS", True)
    from mindgan.errors import MindganError

    def stop(*args, **kwargs):
        raise MindganError("stopped after the choice")

    monkeypatch.setattr(device, "setup", stop)
    with pytest.raises(SystemExit):
        bench_cli.main(["--model", "minimal"])
    assert os.environ["ONEDNN_MAX_CPU_ISA"] == "AVX512_CORE"
    assert api.choose_isa(config.load(model="dcgan")).startswith("oneDNN ISA: AVX512_CORE")  # stays lifted


def command(*args) -> subprocess.CompletedProcess:
    """`python -m mindgan.X` in a shell without ONEDNN_MAX_CPU_ISA (as a user who never heard of it),
    oneDNN reporting its ISA and every primitive it runs."""
    return run_cli(*args, env_extra={"ONEDNN_VERBOSE": "1"}, unset=("ONEDNN_MAX_CPU_ISA",))


def onednn_isa(stdout: str) -> str:
    lines = [ln for ln in stdout.splitlines() if ln.startswith("onednn_verbose") and ",info,cpu,isa:" in ln]
    assert len(lines) == 1, stdout[-2000:]
    return lines[0]


@pytest.mark.subprocess
def test_train_command_runs_an_mlp_model_as_its_startup_line_says_in_onednn_itself(tmp_path, tiny_mnist):
    """The startup line and oneDNN's own report of the ISA it runs with agree, so the choice came before
    oneDNN's first primitive (lifted or kept, as env.LIFT_WITHOUT_CONVOLUTIONS was measured to be)."""
    r = command("mindgan.train", "--model", "gan", "--data", tiny_mnist, "--device", "CPU", "--epochs", "1",
                "--max-steps", "2", "--batch-size", "8", "--out", tmp_path / "run", "--no-progress")
    assert r.returncode == 0, r.stderr[-2000:]
    isa = onednn_isa(r.stdout)
    avx512 = " avx512f" in (Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else "")
    matmuls = {ln.split(",")[6] for ln in r.stdout.splitlines() if ",exec,cpu,matmul," in ln}
    if env.LIFT_WITHOUT_CONVOLUTIONS:
        assert r.stdout.count("oneDNN ISA: AVX512_CORE (gan has no convolutions") == 1, r.stdout[-2000:]
        assert ("AVX-512" in isa) == avx512, isa  # oneDNN never goes above what the CPU has
        assert any("avx512" in m for m in matmuls) == avx512, matmuls
    else:
        assert r.stdout.count("oneDNN ISA: AVX2 cap (gan has no convolutions, but") == 1, r.stdout[-2000:]
        assert "AVX-512" not in isa and not any("avx512" in m for m in matmuls), (isa, matmuls)
    assert ",exec,cpu,convolution," not in r.stdout  # nothing in the run convolved


@pytest.mark.subprocess
def test_bench_command_keeps_the_cap_for_a_convolutional_model_and_says_so(tiny_mnist):
    r = command("mindgan.bench", "--model", "dcgan", "--data", tiny_mnist, "--device", "CPU", "--image-size", "16",
                "--channels", "1",
                "--batch-size", "8", "--steps", "1", "--batches", "2", "--set", "model_args={ngf: 8, ndf: 8}",
                "--set", "steps_per_call=1")
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count("oneDNN ISA: AVX2 cap (convolutions") == 1, r.stdout[-2000:]
    assert "AVX-512" not in onednn_isa(r.stdout)
