"""The companion notebooks: the code they show is the package's, and each runs top to bottom on tiny data.

- `shown-source` cells must hold exactly `inspect.getsource` of the package object they name (fast);
- every notebook executes headless (nbclient + ipykernel) at short settings, and its literal
  plain-MindSpore cells (pipeline, training step, checkpoint load) print that they match the package.
"""
from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

from helpers import REPO, digit_images, pattern
from mindgan.data import idx

sys.path.insert(0, str(REPO / "notebooks"))  # run_notebooks, build_notebooks, course
from run_notebooks import execute  # noqa: E402

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
FENCE = re.compile(r"```python\n(.*)\n```", re.S)


from build_notebooks import resolve as _object  # noqa: E402  ('package.module:Qual.name' -> the object)


def shown_cells(nb):
    return [c for c in nb.cells if "shown-source" in c.metadata.get("tags", [])]


def test_one_notebook_per_tutorial_and_wgan_gp():
    models = sorted(nbformat.read(p, 4).metadata["mindgan"]["model"] for p in NOTEBOOKS)
    assert models == ["cgan", "convgan", "dcgan", "gan", "minimal", "wgan_gp"]


def drifted(nb) -> list[str]:
    """The package objects whose source a notebook shows differently from the package."""
    return [c.metadata["mindgan"]["source"] for c in shown_cells(nb)
            if FENCE.search(c.source).group(1) != inspect.getsource(_object(c.metadata["mindgan"]["source"])).rstrip("\n")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_shown_source_is_the_package_source(path):
    """A notebook's shown code drifts from the package's: rebuild it (python notebooks/build_notebooks.py)."""
    nb = nbformat.read(path, 4)
    assert not drifted(nb), (f"{path.name} shows other code than the package for {drifted(nb)}: run python "
                             f"notebooks/build_notebooks.py {path.stem} and run the notebook again")
    text = "\n".join(c.source for c in nb.cells)
    for plain in ("class Generator", "value_and_grad", "@ms.jit", "course.load_into", "course.train_loop"):
        assert plain in text, f"{path.name} does not show {plain}"


def test_the_first_notebook_shows_the_shared_code():
    """01 teaches once what the others reuse from course.py: the pipeline, the loop, the optimisers' names."""
    nb = nbformat.read(NOTEBOOKS[0], 4)
    assert {c.metadata["mindgan"]["source"] for c in shown_cells(nb)} >= {
        "course:mnist_pipeline", "course:train_loop", "course:name_apart"}
    text = "\n".join(c.source for c in nb.cells)
    for plain in ("load_checkpoint", "save_checkpoint", "load_param_into_net"):
        assert plain in text


def test_drift_is_caught():
    """A one-character change to shown code, or the code changed under a notebook, is caught."""
    nb = nbformat.read(NOTEBOOKS[0], 4)
    cell = next(c for c in shown_cells(nb) if c.metadata["mindgan"]["source"] == "course:train_loop")
    cell.source = cell.source.replace("losses = []", "losses = [ ]")
    assert drifted(nb) == ["course:train_loop"]


def test_notebooks_are_built_from_their_sources():
    """notebooks/src/NAME.py (Jupytext percent) is each notebook's source: the committed notebook is what it
    builds, cell by cell (python notebooks/build_notebooks.py --check)."""
    import build_notebooks

    assert sorted(p.stem for p in (REPO / "notebooks" / "src").glob("*.py")) == [p.stem for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        assert build_notebooks.differences(build_notebooks.build(path.stem), nbformat.read(path, 4)) == [], path.name


def test_a_build_mends_shown_code_and_keeps_outputs():
    """A drifted shown cell is re-rendered from the package, an edited cell is reported, and every unchanged
    code cell keeps its outputs."""
    import build_notebooks

    nb = nbformat.read(NOTEBOOKS[0], 4)
    code_before = [(c.source, c.get("outputs")) for c in nb.cells if c.cell_type == "code"]
    cell = next(c for c in shown_cells(nb) if c.metadata["mindgan"]["source"] == "course:train_loop")
    cell.source = cell.source.replace("losses = []", "losses = [ ]")
    text = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c not in shown_cells(nb))
    nb.cells[text].source += " (edited)"
    built = build_notebooks.build(NOTEBOOKS[0].stem)
    assert build_notebooks.differences(built, nb) == [f"cell {min(text, nb.cells.index(cell))}",
                                                       f"cell {max(text, nb.cells.index(cell))}"]
    merged = build_notebooks.merge(built, nb)
    assert not drifted(merged) and build_notebooks.differences(merged, nbformat.read(NOTEBOOKS[0], 4)) == []
    assert [(c.source, c.get("outputs")) for c in merged.cells if c.cell_type == "code"] == code_before


# A cell draws when it calls display(), plt.show() or imshow, ends on a grid (outputs.grid(...) or
# course.look(...), shown as its value), or calls a course function that displays (show_run, compare).
DRAWS = re.compile(r"\bdisplay\(|\bplt\.show\(|\.imshow\(|^outputs\.grid\(|^course\.look\(|"
                   r"\bcourse\.(show_run|compare)\(", re.M)


def undrawn(nb) -> list[int]:
    """Indices of the code cells that draw but have no image among their outputs."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and DRAWS.search(c.source)
            and not any(k.startswith("image/") for o in c.get("outputs", []) for k in o.get("data", {}))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_drawing_cell_of_the_shipped_notebook_shows_its_figure(path):
    """The executed notebooks in git are what a reader sees: each cell that draws has its picture."""
    nb = nbformat.read(path, 4)
    assert sum(bool(DRAWS.search(c.source)) for c in nb.cells if c.cell_type == "code") >= 4
    assert undrawn(nb) == [], f"{path.name}: cells {undrawn(nb)} draw but show no image"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_missing_figure_is_caught(path):
    """Every drawing cell given a picture passes; the loss-curve cell (or 02's and 04's comparison) without
    its picture is named."""
    nb = nbformat.read(path, 4)
    for c in nb.cells:
        if c.cell_type == "code" and DRAWS.search(c.source):
            c.outputs = [nbformat.v4.new_output("display_data", {"image/png": "iVBORw0KGgo="})]
    assert undrawn(nb) == []
    cell = next(c for c in nb.cells if c.cell_type == "code" and re.search(r"course\.(compare|show_run)\(", c.source))
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="FID 12.3\n")]
    assert undrawn(nb) == [nb.cells.index(cell)]


def write_faces(folder: Path, n: int = 48, side: int = 40) -> None:
    """RGB PNG 'faces' in one class folder: what ImageFolderDataset and the package read the same way. A disc
    on a gradient, so that which way up an image is can be learnt (the folder judge's feature net is refused
    at chance, and a centred square looks the same every way up)."""
    (folder / "faces").mkdir(parents=True)
    for i in range(n):
        Image.fromarray(pattern(i, side, side)).save(folder / "faces" / f"{i:03d}.png")


@pytest.mark.subprocess  # a Jupyter kernel
@pytest.mark.trains
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch, isolated_cache):
    monkeypatch.setenv("MINDGAN_DATA", str(isolated_cache))  # the kernel inherits it
    model = nbformat.read(path, 4).metadata["mindgan"]["model"]
    if model == "dcgan":
        data = tmp_path / "images"
        write_faces(data)
    else:
        data = tmp_path / "digits"
        idx.write_split(data, "train", *digit_images(128, 0))
        idx.write_split(data, "test", *digit_images(64, 1))
    params = {"EPOCHS": 1, "MAX_STEPS": 5 if model == "wgan_gp" else 2, "BATCH_SIZE": 8,
              "DATA": str(data), "EVAL_NUM": 20, "OUT": "run", "DEVICE": "CPU"}
    execute(path, params, tmp_path / path.name, timeout=600, cwd=tmp_path)  # raises on any cell error
    nb = nbformat.read(tmp_path / path.name, 4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert undrawn(nb) == [], f"{path.name}: cells {undrawn(nb)} draw but show no image"
    if any("show_run(" in c.source or "progress.gif" in c.source for c in nb.cells if c.cell_type == "code"):
        assert any("image/gif" in o.get("data", {}) for o in outputs)  # the run's animation is shown
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    checks = ["the same batches as mindgan.build_dataset: True", "same parameter names and shapes: True",
              "same images after save and load (plain MindSpore and mindgan.load_generator): True",
              "generator parameters not loaded: []", "FID", "python -m mindgan.train --config configs/"]
    if model != "convgan":  # its D's Dropout masks are drawn in the graph (test_the_tutorial_step_... checks it)
        checks.append("steps are the package run's first")
    for check in checks:
        assert check in text, f"{path.name}: no {check!r} in the outputs"
    assert "Get realpath failed" not in text, "a jit function defined in a cell logged MindSpore's source-file error"
    assert not re.findall(r".*: False$", text, re.M), f"{path.name}: a check printed False"
    assert str(tmp_path) not in text.replace(str(data), "DATA"), "a machine path in the outputs"
    assert (tmp_path / "run" / "loss_curve.png").is_file()


# --- the tutorial's code in each notebook computes what the package computes ------------------------------
# Cells tagged `tutorial` in notebooks/src/NAME.py hold a tutorial's own code: its Generator and
# Discriminator classes (built as `net_g`, `net_d`) and its loss and jit step (`train_step(batch, step)`, a
# numpy batch of the pipeline -> (loss_d, loss_g)). They read only `cfg`. The tests run them outside a kernel.
SOURCES = sorted(p.stem for p in (REPO / "notebooks" / "src").glob("*.py"))


def tutorial_code(name: str, source: str | None = None) -> str:
    import jupytext

    text = source if source is not None else (REPO / "notebooks" / "src" / f"{name}.py").read_text()
    nb = jupytext.reads(text, fmt="py:percent")
    return "\n\n".join(c.source for c in nb.cells if "tutorial" in c.metadata.get("tags", []))


def notebook_cfg(name: str, data: Path, **over):
    """The recipe a notebook's parameters cell names, on the test's tiny data."""
    from mindgan import config

    recipe = re.search(r'^RECIPE = "([^"]+)"', (REPO / "notebooks" / "src" / f"{name}.py").read_text(), re.M)[1]
    return config.load(path=config.CONFIG_DIR / recipe, overrides={"data": str(data), **over})


def run_tutorial_code(code: str, cfg: dict, folder: Path) -> dict:
    """Execute a notebook's tutorial cells from a real file (MindSpore reads a jit function's source file)."""
    import types

    path = folder / "tutorial_cells.py"
    path.write_text(code)
    module = types.ModuleType(f"tutorial_cells_{folder.name}")  # a real module: jit resolves names through it
    module.__file__, module.cfg = str(path), cfg
    sys.modules[module.__name__] = module
    exec(compile(code, str(path), "exec"), module.__dict__)
    return module.__dict__


def tiny_data(folder: Path, model: str) -> Path:
    if model == "dcgan":
        write_faces(folder / "images")
        return folder / "images"
    idx.write_split(folder / "digits", "train", *digit_images(128, 0))
    idx.write_split(folder / "digits", "test", *digit_images(64, 1))
    return folder / "digits"


def layout(net) -> list[tuple]:
    return sorted((p.name, tuple(p.shape)) for p in net.get_parameters())


def model_of(name: str) -> str:
    return re.search(r"^#     model: (\w+)", (REPO / "notebooks" / "src" / f"{name}.py").read_text(), re.M)[1]


@pytest.mark.parametrize("name", SOURCES)
def test_the_tutorial_networks_are_the_package_networks(name, tmp_path, isolated_cache):
    """Each notebook's Generator and Discriminator classes (the tutorial's layers, written out in the notebook)
    have the package's parameters, name for name and shape for shape, so weights load across both ways."""
    import mindgan

    cfg = notebook_cfg(name, tiny_data(tmp_path, model_of(name)), batch_size=8)
    ns = run_tutorial_code(tutorial_code(name), cfg, tmp_path)
    gan = mindgan.create_model(cfg)
    assert layout(ns["net_g"]) == layout(gan.generator)
    assert layout(ns["net_d"]) == layout(gan.discriminator)


def test_a_drifted_tutorial_network_is_caught(tmp_path, isolated_cache):
    """One layer of 01's Generator changed in the notebook's source: its parameters no longer match."""
    import mindgan

    source = (REPO / "notebooks" / "src" / "01_gan_mnist.py").read_text()
    drifted = source.replace("nn.Dense(512, 1024))", "nn.Dense(512, 1000))", 1).replace(
        "nn.BatchNorm1d(1024)", "nn.BatchNorm1d(1000)").replace("nn.Dense(1024, img", "nn.Dense(1000, img")
    assert drifted != source
    cfg = notebook_cfg("01_gan_mnist", tiny_data(tmp_path, "gan"), batch_size=8)
    ns = run_tutorial_code(tutorial_code("01_gan_mnist", drifted), cfg, tmp_path)
    assert layout(ns["net_g"]) != layout(mindgan.create_model(cfg).generator)


STEPS = 3  # graph steps compared (per notebook: the package's run and the tutorial's step)


@pytest.mark.trains  # compiles the tutorial's step and the package's for every notebook: minutes on 2 cores
@pytest.mark.parametrize("name", SOURCES)
def test_the_tutorial_step_computes_the_package_losses(name, tmp_path, isolated_cache):
    """The notebook's networks, given the package's initial weights for the recipe's seed, and its jit step on
    the package's first batches give the package run's first losses (rel 1e-5)."""
    import mindspore as ms

    import mindgan
    from helpers import fit, losses

    cfg = notebook_cfg(name, tiny_data(tmp_path, model_of(name)), batch_size=8, epochs=1, max_steps=STEPS)
    if "dropout" in cfg["model_args"]:  # Dropout's masks are drawn in the graph: two runs agree only without it
        cfg["model_args"] = {**cfg["model_args"], "dropout": 0.0}
    _, summary = fit(cfg, tmp_path / "run")
    package = np.array([(d, g) for _, _, d, g in losses(tmp_path / "run")])
    ns = run_tutorial_code(tutorial_code(name), cfg, tmp_path)
    ms.set_seed(cfg["seed"])  # the trainer's initial weights
    gan = mindgan.create_model(cfg)
    for mine, theirs in ((ns["net_g"], gan.generator), (ns["net_d"], gan.discriminator)):
        assert ms.load_param_into_net(mine, {p.name: p for p in theirs.get_parameters()})[0] == []
    data, _ = mindgan.build_dataset(cfg, gan, seed_offset=1)
    batches = [b for _, b in zip(range(STEPS), data.create_dict_iterator(output_numpy=True, num_epochs=1))]
    ns["net_g"].set_train(True)
    ns["net_d"].set_train(True)
    mine = np.array([[float(v) for v in ns["train_step"](b, i)] for i, b in enumerate(batches)])
    assert mine.shape == package.shape == (STEPS, 2)
    np.testing.assert_allclose(mine, package, rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_shipped_outputs_name_no_build_machine_path(path):
    """What a reader sees holds no folder of the machine that ran it (a warning once printed the package's
    path in every notebook) and no MindSpore recompile warning, which the package's own graphs no longer cause."""
    outputs = [str(o) for c in nbformat.read(path, 4).cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if "/work/" in o or "has been compiled again" in o]


def _losses(folder: Path, rows) -> Path:
    folder.mkdir()
    with open(folder / "losses.csv", "w") as f:
        f.write("epoch,step,loss_d,loss_g\n")
        f.writelines(f"{e},{i},{d},{g}\n" for i, (e, d, g) in enumerate(rows))
    return folder


@pytest.mark.parametrize("loss_d, loss_g, verdict", [
    (0.36, 1.65, "D is ahead: it scores G's images 0.19"),  # notebook 05's first run: D's score 0.19
    (1.25, 1.02, "D is a little ahead (0.36 against 0.5)"),  # notebook 01's run
    (1.38, 0.70, "the game is level"),
    (1.60, 0.30, "G is ahead"),
    (0.01, 6.00, "loss_d near 0"),
])
def test_the_loss_reading_goes_by_ds_score_of_gs_images(tmp_path, capsys, loss_d, loss_g, verdict):
    import course

    out = _losses(tmp_path / "run", [(1, 1.3, 0.8), (2, loss_d, loss_g), (2, loss_d, loss_g)])
    assert course.read_losses(out, {"d_loss_scale": 1.0}) == pytest.approx((loss_d, loss_g))
    reading = capsys.readouterr().out.splitlines()[-1]
    assert reading.startswith(f"reading of the last epoch: {verdict}"), reading


def test_the_plain_loop_check_allows_float_order_but_not_another_recipe(tmp_path, capsys):
    """course.same_losses, which prints whether a notebook's plain loop gave the package run's first losses:
    the drift of summing in another order passes (1e-3 relative, and 1e-4 absolute where a loss crosses 0, as
    measured over 50 WGAN-GP steps), a change of recipe within a few steps does not."""
    import course

    out = _losses(tmp_path / "run", [(1, 9.63072, 0.0138226), (1, 9.32211, -0.00754543), (1, -7.30762, -14.6779)])
    drift = [(9.630723, 0.01382255), (9.32208061, -0.00752612), (-7.3077054, -14.68825245)]  # measured in 06
    assert course.same_losses(out, drift) is True
    assert course.same_losses(out, [(d * 1.01, g) for d, g in drift]) is False  # e.g. another learning rate
    assert course.same_losses(out, drift[:2] + [(-7.3077054, -14.60)]) is False
    assert "the plain loop's 3 steps are the package run's first 3: True" in capsys.readouterr().out
