"""compare.py's README tables, one per CPU and date, each naming them; and that the timers time the training
step (fast tier, no process started)."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from helpers import REPO

sys.path.insert(0, str(REPO / "benchmarks"))  # as when the script runs: its folder is on the path (machine)
_spec = importlib.util.spec_from_file_location("compare", REPO / "benchmarks" / "compare.py")
compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare)


def run(cpu, date, model, ours, torch, rounds=1):
    step = {"ms": ours, "min_ms": ours * 0.9, "compile_s": 2.0}
    return {"model": model, "batch": 128, "device": "CPU", "cpu": cpu, "cores": 2, "date": date, "rounds": rounds,
            "mindspore": "2.10.0", "torch": "2.13.0+cpu",
            "ms_per_step": {"mindgan": step, "pytorch": {"ms": torch, "min_ms": torch, "compile_s": 0.0}}}


def test_one_table_per_cpu_and_date_each_naming_it():
    text = compare.table([run("AMD EPYC", "2026-11-29", "gan", 21.5, 21.8),
                          run("Intel Xeon", "2026-12-01", "gan", 28.0, 18.0),
                          run("AMD EPYC", "2026-11-29", "dcgan", 2200.0, 1100.0)])
    tables = ["Measured" + t.strip() for t in text.split("Measured")[1:]]
    assert len(tables) == 2
    amd, intel = tables
    assert "AMD EPYC" in amd and "2026-11-29" in amd and "Intel" not in amd
    assert "Intel Xeon" in intel and "2026-12-01" in intel
    assert "| `gan` |" in amd and "| `dcgan` |" in amd and "| `dcgan` |" not in intel
    assert amd.splitlines()[-1].endswith("| 2.00 |")  # mindgan / PyTorch
    assert intel.splitlines()[-1].endswith("| 1.56 |")


def test_alternating_rounds_combine_to_the_median_and_the_fastest():
    runs = [{"ms": 30.0, "min_ms": 25.0, "compile_s": 2.0}, None, {"ms": 20.0, "min_ms": 19.0, "compile_s": 3.0},
            {"ms": 22.0, "min_ms": 21.0, "compile_s": 2.5}]
    got = compare.combine(runs)
    assert got["ms"] == 22.0 and got["min_ms"] == 19.0 and got["runs_ms"] == [30.0, 20.0, 22.0]
    assert compare.combine([None, None]) is None
    text = compare.table([run("AMD EPYC", "2026-12-03", "gan", 20.0, 21.0, rounds=4)])
    assert "alternating runs x4" in text and "20.0 ms (18.0)" in text


@pytest.mark.parametrize("timer", ["time_steps", "random_batches"])
def test_the_timed_step_is_the_training_step(timer):
    """What `mindgan.bench`, compare.py and profile_step.py time is the step `fit` runs: the nets in training
    mode. A MindSpore Cell starts in inference mode, where BatchNorm uses its running statistics (and never
    updates them) and Dropout is off: a cheaper graph than training's (the gan step 32 against 43 ms)."""
    from mindgan.benchmark import time_steps, trainer_on_random_batches

    trainer, batches = trainer_on_random_batches("gan", 8, steps_per_call=1)
    if timer == "time_steps":
        trainer.gan.generator.set_train(False)  # as a Trainer built outside fit leaves it
        trainer.gan.discriminator.set_train(False)
        time_steps(trainer, batches, steps=1, warmup=0)
    else:
        trainer.schedule.run(batches, 0)  # profile_step.py's own call
    means = [p.asnumpy() for p in trainer.gan.generator.get_parameters() if "moving_mean" in p.name]
    assert means and all(abs(m).max() > 0 for m in means), "BatchNorm kept its initial statistics: inference mode"
