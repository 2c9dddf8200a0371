"""A trained generator as one file (`python -m mindgan.export --ckpt PATH --format MINDIR|ONNX|TUTORIAL`).

MINDIR runs in MindSpore (`mindspore.load` + `nn.GraphCell`, MindSpore Lite, serving) and in
`python -m mindgan.generate --model-file`; ONNX runs in onnxruntime and other ONNX runtimes; TUTORIAL
writes a generator checkpoint with the parameter names of the MindSpore tutorials' own Generator classes.
A JSON file beside a MINDIR/ONNX export (FILE.json) says what to feed it and what comes out.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import mindspore as ms
import numpy as np

from . import checkpoint, generation, loaders, writes
from .errors import MindganError

SUFFIX = {"MINDIR": ".mindir", "ONNX": ".onnx", "TUTORIAL": ".ckpt"}
RANGES = {"tanh": [-1.0, 1.0], "sigmoid": [0.0, 1.0]}
# MindSpore's exporter names the operator it has no ONNX mapping for in one of these phrases
_NO_MAPPING = (re.compile(r"Exporting (\w+) operator is not yet supported"),
               re.compile(r"Can not find key (\w+) in convert map"))


def _atomic_target(out: Path, suffix: str) -> Path:
    """A temp name beside `out` that MindSpore will not re-suffix."""
    return out.with_name(f".{out.name}.tmp{suffix}")


class _InTempDir:
    """Run MindSpore's exporter in a scratch folder: a failed compile writes rank_0/om/analyze_fail.ir
    into the working directory, which is the user's."""

    def __enter__(self):
        self.old, self.tmp = os.getcwd(), tempfile.TemporaryDirectory(prefix="mindgan-export-")
        os.chdir(self.tmp.name)

    def __exit__(self, *exc):
        os.chdir(self.old)
        self.tmp.cleanup()


def io_spec(gan, cfg: dict, batch: int | None) -> tuple[list, list]:
    """(inputs, outputs) as JSON-able dicts: name, shape (None = any batch), dtype."""
    inputs = [{"name": "z", "shape": [batch, *gan.latent_shape], "dtype": "float32",
               "about": "standard normal noise"}]
    if gan.conditional:
        inputs.append({"name": "labels", "shape": [batch], "dtype": "int32",
                       "about": f"class of each image, 0 to {cfg['num_classes'] - 1}"})
    outputs = [{"name": "images", "shape": [batch, *gan.image_shape], "dtype": "float32",
                "about": f"NCHW images in [{RANGES[gan.value_range][0]:g}, {RANGES[gan.value_range][1]:g}]"}]
    return inputs, outputs


def _example_inputs(inputs: list, batch: int):
    rng = np.random.default_rng(0)
    z = ms.Tensor(rng.standard_normal((batch, *inputs[0]["shape"][1:])).astype(np.float32))
    return [z] + ([ms.Tensor(np.zeros(batch, np.int32))] if len(inputs) > 1 else [])


def _blocking_op(err: Exception) -> str | None:
    for pattern in _NO_MAPPING:
        m = pattern.search(str(err))
        if m:
            return m.group(1)
    return None


def fix_onnx(path: Path, inputs: list) -> None:
    """Make MindSpore 2.10's ONNX file valid and self-describing, in place.

    - ConvTranspose: MindSpore writes output_shape as (N, C, H, W); ONNX wants the spatial (H, W) only,
      and onnxruntime refuses the file otherwise. Its pads / auto_pad already give the same size.
    - Inputs get the names in the metadata (z, labels), the output is called images.
    The batch stays fixed: MindSpore writes it into BatchNorm1d's reshapes.
    """
    import onnx  # the optional [export] extra: only ONNX exports need it

    model = onnx.load(str(path))
    graph = model.graph
    init = {t.name for t in graph.initializer}
    rename = {v.name: spec["name"] for v, spec in zip([i for i in graph.input if i.name not in init], inputs)}
    rename[graph.output[0].name] = "images"
    for value in list(graph.input) + list(graph.output):
        value.name = rename.get(value.name, value.name)
    for node in graph.node:
        node.input[:] = [rename.get(n, n) for n in node.input]
        node.output[:] = [rename.get(n, n) for n in node.output]
        if node.op_type == "ConvTranspose":
            for attr in node.attribute:
                if attr.name == "output_shape" and len(attr.ints) == 4:
                    attr.ints[:] = attr.ints[2:]
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _export_graph(gan, name: str, inputs: list, fmt: str, batch: int | None, tmp: Path) -> None:
    model = gan.generator
    if fmt == "MINDIR":
        if batch is None:
            args = [ms.Tensor(shape=[None, *i["shape"][1:]], dtype=getattr(ms, i["dtype"])) for i in inputs]
        else:
            args = _example_inputs(inputs, batch)
        with _InTempDir():
            ms.export(model, *args, file_name=str(tmp), file_format="MINDIR")
        return
    try:
        import onnx  # noqa: F401  (checked before the export runs)
    except ImportError:
        raise MindganError("ONNX export needs the onnx package, to repair MindSpore 2.10's ConvTranspose nodes "
                           "and name the inputs: pip install onnx (or the package's [export] extra)") from None
    try:
        with _InTempDir():
            ms.export(model, *_example_inputs(inputs, batch), file_name=str(tmp), file_format="ONNX")
    except (RuntimeError, ValueError, TypeError) as err:
        op = _blocking_op(err)
        if op is None:
            raise
        raise MindganError(f"{name} cannot be exported to ONNX with MindSpore {ms.__version__}: operator "
                           f"{op} has no ONNX mapping; --format MINDIR works") from None
    fix_onnx(tmp, inputs)


def check_out(out: Path, ckpt: Path, force: bool = False, sidecar: bool = True) -> None:
    """--out (and its .json) must be new files, or files mindgan wrote (or --force); never a link."""
    try:
        if out.is_dir():
            raise MindganError(f"--out {out} is a folder: give a file name, e.g. {out / ('generator' + out.suffix)}")
        writes.may_write(out, force, "--out")
        if sidecar:
            writes.may_write(Path(str(out) + ".json"), force, "--out's metadata")
        if out.resolve() == ckpt.resolve():
            raise MindganError(f"--out {out} is the checkpoint itself: give another file name")
    except (OSError, RuntimeError) as err:  # a loop of links, a name too long, ...
        raise MindganError(f"--out {writes.short(str(out))}: not usable as a file name "
                           f"({getattr(err, 'strerror', None) or err}); give another path") from None
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".mindgan-probe-"):
            pass
    except OSError as err:
        raise MindganError(f"--out {out}: cannot write in {parent} ({err.strerror or err}); give a writable "
                           f"place") from None


MAX_BATCH = 65536  # a fixed batch larger than this is not a deployment size (and 1e8 would need 75 GiB)


def export(ckpt, fmt: str = "MINDIR", batch: int | None = None, out=None, model: str | None = None,
           force: bool = False) -> Path:
    """Write the generator of checkpoint `ckpt` as `fmt`; returns the file written (its .json beside it).
    A file at `out` that mindgan did not write is replaced only with force."""
    fmt = fmt.upper()
    if fmt not in SUFFIX:
        raise MindganError(f"--format {fmt}: use one of {', '.join(SUFFIX)}")
    if batch is not None and not 1 <= batch <= MAX_BATCH:
        raise MindganError(f"--batch must be between 1 and {MAX_BATCH}, got {batch} (leave it out for a MindIR file "
                           f"that takes any batch)")
    if out is not None and str(out).endswith(("/", os.sep)):
        raise MindganError(f"--out {writes.short(str(out))} ends with a slash, so it names a folder: give a file "
                           f"name, e.g. {writes.short(str(out) + 'generator' + SUFFIX[fmt])}")
    if fmt == "ONNX" and batch is None:
        batch = 1  # MindSpore 2.10 writes the batch into BatchNorm1d's reshapes: ONNX files are fixed-batch
    ckpt = writes.regular_file(ckpt, "checkpoint", fix="; give a .ckpt file")
    default = ckpt.with_name(ckpt.stem + ("_tutorial" if fmt == "TUTORIAL" else "") + SUFFIX[fmt])
    out = Path(out) if out else default
    if out.suffix.lower() != SUFFIX[fmt]:  # MindSpore appends its own suffix to any other name
        raise MindganError(f"--out {writes.short(str(out))}: a {fmt} file must end in {SUFFIX[fmt]}, e.g. "
                           f"{writes.short(str(out.with_suffix(SUFFIX[fmt])))}")
    check_out(out, ckpt, force, sidecar=fmt != "TUTORIAL")
    gan, meta = loaders.open_generator(ckpt, model=model)
    if batch is not None:
        generation.check_count(batch, meta, "--batch")
    if fmt == "TUTORIAL":
        writes.record(out)
        write_tutorial_ckpt(gan, meta["model"], out)
        return out
    inputs, outputs = io_spec(gan, meta["config"], batch)
    tmp = _atomic_target(out, SUFFIX[fmt])
    if os.path.lexists(tmp):
        os.unlink(tmp)  # a leftover, or a planted link: never written through
    try:
        _export_graph(gan, meta["model"], inputs, fmt, batch, tmp)
        writes.record(out)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    info = {"format": fmt, "file": out.name, "model": meta["model"], "epoch": meta.get("epoch"),
            "conditional": gan.conditional, "inputs": inputs, "outputs": outputs,
            "value_range": gan.value_range, "range": RANGES[gan.value_range],
            "to_unit_range": "(x + 1) / 2" if gan.value_range == "tanh" else "x",
            "source": {"checkpoint": str(ckpt.resolve()), "sha256": checkpoint.sha256(ckpt)},
            "mindspore": ms.__version__, "config": meta["config"]}
    side = Path(str(out) + ".json")
    writes.record(side)
    checkpoint.write_atomic(side, lambda t: t.write_text(json.dumps(info, indent=1)))
    return out


def write_tutorial_ckpt(gan, model: str, out: Path) -> None:
    """The generator's weights under the tutorial Generator's names: its own inference code
    (`load_checkpoint` + `load_param_into_net`) reads the file as if the tutorial had trained it, into
    the notebook's net_g after training and into a Generator built afresh (each weight is stored under
    both names, see loaders.TUTORIAL_OPTIM)."""
    params = list(gan.generator.get_parameters())
    names = loaders.tutorial_names(model, params)
    data = [{"name": name, "data": p.data} for p in params for name in names[p.name]]
    checkpoint.write_atomic(out, lambda tmp: ms.save_checkpoint(data, str(tmp)))
