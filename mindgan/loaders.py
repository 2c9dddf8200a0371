"""Where a generator comes from: a mindgan checkpoint, a checkpoint written by the MindSpore tutorials'
own code (no .json beside it), or a MindIR file written by `python -m mindgan.export`.

Every source gives (gan, meta): `gan` is a `models.Generator` (latent_shape, image_shape, value_range,
conditional, sample(z, labels), noise(num, seed)): a checkpoint's `GAN` or an `ExportedGenerator`;
`meta` has `model`, `epoch`, `conditional` and the recipe under `config`, as a mindgan checkpoint's .json does.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import mindspore as ms
import numpy as np
from mindspore import nn

from . import checkpoint, config, writes
from .errors import MindganError
from .models import GAN, VALUE_RANGES, batchnorm, check_inputs, create_model, noise

# How the tutorials' own Generator classes name their parameters, by the path inside mindgan's generator
# (its "generator." prefix removed). The GAN tutorial calls net_g.update_parameters_name('generator')
# (no dot), giving "generatormodel.0.weight"; the DCGAN tutorial renames only its optimisers, so its
# Generator keeps "generator.0.weight" (its SequentialCell attribute is called generator, as mindgan's).
TUTORIAL_PREFIX = {"gan": "generator", "dcgan": ""}
# Both tutorials then call optimizer_g.update_parameters_name('optim_g' / 'optim_g.'), which renames the
# generator's trainable weights too (not BatchNorm's moving statistics): their saved checkpoints carry
# "optim_ggeneratormodel.0.weight" / "optim_g.generator.0.weight", and a Generator built afresh for
# inference (no optimiser) does not take those names.
TUTORIAL_OPTIM = {"gan": "optim_g", "dcgan": "optim_g."}
OUR_PREFIX = "generator."


def tutorial_names(model: str, params) -> dict:
    """{mindgan parameter name: [the tutorial Generator's names for it]}: the fresh Generator's name and,
    for a trainable weight, the name it has in the tutorial's notebook after its optimiser was built."""
    if model not in TUTORIAL_PREFIX:
        raise MindganError(f"{model} has no MindSpore tutorial Generator class to write names for; "
                           f"tutorial names exist for {', '.join(TUTORIAL_PREFIX)}")
    out = {}
    for p in params:
        fresh = TUTORIAL_PREFIX[model] + p.name[len(OUR_PREFIX):]
        out[p.name] = [fresh] + ([TUTORIAL_OPTIM[model] + fresh] if p.requires_grad else [])
    return out


def match_names(targets, params: dict, path: Path) -> dict:
    """{target name: key in the file} where a key ends with the target's path inside the generator.

    The suffix is the structural name ("model.0.weight"); what stands before it is whatever prefix the
    saving code gave (`generator`, `generator.`, `optim_g...` after renaming an optimiser that holds the
    weights). Optimiser moments are never weights; where two keys still fit, one naming the generator wins.
    """
    keys = [k for k in params if "moment" not in k and not k.startswith(("beta1_power", "beta2_power"))]
    found = {}
    for name in targets:
        tail = name[len(OUR_PREFIX):]
        hits = [k for k in keys if k.endswith(tail)]
        if len(hits) > 1:
            hits = [k for k in hits if "gen" in k[: len(k) - len(tail)].lower()] or hits
        if not hits:
            raise MindganError(f"{path} does not hold this generator: no parameter ending in {tail!r} "
                               f"(the file has e.g. {', '.join(list(keys)[:3]) or 'nothing'}); is --model right?")
        if len(hits) > 1 and all(np.array_equal(params[k].asnumpy(), params[hits[0]].asnumpy()) for k in hits):
            hits = hits[:1]  # one weight under several names (export --format TUTORIAL writes both)
        if len(hits) > 1:
            raise MindganError(f"{path}: parameters {', '.join(hits[:3])} all fit {tail!r}; save the generator "
                               f"alone (mindspore.save_checkpoint(net_g, ...)) as the tutorials do")
        found[name] = hits[0]
    return found


def load_foreign(ckpt: Path, model: str):
    """A generator checkpoint without mindgan's .json (the tutorials' Generator.ckpt / generator.ckpt):
    the networks come from the model's recipe, the weights by their names' structural tails."""
    cfg = config.load(model=model)
    gan = create_model(cfg)
    params = checkpoint.load_params(ckpt)
    targets = [p.name for p in gan.generator.get_parameters()]
    found = match_names(targets, params, ckpt)
    checkpoint.assign(gan.generator.get_parameters(), {t: params[k] for t, k in found.items()},
                      f"{model} generator (recipe {config.recipe_path(model).name})", ckpt)
    gan.generator.set_train(False)
    meta = {"model": model, "epoch": None, "conditional": gan.conditional, "config": cfg,
            "source": "a checkpoint without mindgan metadata, read with the recipe's settings"}
    return gan, meta


class ExportedGenerator:
    """A generator exported to MindIR, run through nn.GraphCell: no network code is built. A models.Generator,
    as a checkpoint's GAN is: the same noise and labels give the same images."""

    def __init__(self, path: Path, meta: dict):
        try:
            self.cell = nn.GraphCell(ms.load(str(path)))
        except (RuntimeError, ValueError, TypeError, OSError) as err:
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
            raise MindganError(f"{path} is not a readable MindIR file ({first}); export it again") from None
        z = meta["inputs"][0]
        self.batch = z["shape"][0]  # None: any batch
        self.latent_shape = tuple(z["shape"][1:])
        self.image_shape = tuple(meta["outputs"][0]["shape"][1:])
        self.value_range = meta["value_range"]
        self.conditional = meta["conditional"]
        self.num_classes = meta["config"]["num_classes"] if self.conditional else None
        self.truncation = meta["config"]["truncation"]
        self._probe(path)

    def _probe(self, path: Path) -> None:
        """Run one batch of zeros: a .json that describes another model is found now, as one line,
        before generate makes its --out folder."""
        n = self.batch or 1
        try:
            images = self.sample(np.zeros((n, *self.latent_shape), np.float32), np.zeros(n, np.int32))
        except MindganError:
            raise
        except (RuntimeError, ValueError, TypeError, IndexError) as err:
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise MindganError(f"{path} does not take the inputs its {path.name}.json describes "
                               f"({writes.short(first, 80)}): the .json belongs to another export; export the "
                               f"model again") from None
        if tuple(images.shape[1:]) != self.image_shape:
            raise MindganError(f"{path} makes images of shape {tuple(images.shape[1:])}, its {path.name}.json says "
                               f"{self.image_shape}: the .json belongs to another export; export the model again")

    def noise(self, num: int, seed: int) -> np.ndarray:
        return noise(self.latent_shape, num, seed, self.truncation)

    def sample(self, z: np.ndarray, labels=None) -> np.ndarray:
        """Images for noise z (and labels); a fixed-batch file runs in chunks, the last one padded."""
        z, labels = check_inputs(z, labels, self.latent_shape, self.conditional, self.num_classes)
        n = len(z)
        step = self.batch or n
        out = []
        for i in range(0, n, step):
            zc = z[i: i + step]
            pad = step - len(zc)
            args = [np.concatenate([zc, np.zeros((pad, *zc.shape[1:]), zc.dtype)]) if pad else zc]
            if self.conditional:
                lc = np.asarray(labels, np.int32)[i: i + step]
                args.append(np.concatenate([lc, np.zeros(pad, np.int32)]) if pad else lc)
            out.append(self.cell(*[ms.Tensor(a) for a in args]).asnumpy()[: len(zc)])
        return np.concatenate(out)


def _shape(value, rank_min: int) -> bool:
    return (isinstance(value, list) and len(value) >= rank_min and (value[0] is None or _count(value[0]))
            and all(_count(v) for v in value[1:]))


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 65536


def _bad_export_field(meta: dict) -> str | None:
    """What is wrong with an export's metadata (None when it is whole)."""
    if meta.get("value_range") not in VALUE_RANGES:
        return f"value_range must be {' or '.join(VALUE_RANGES)}, got {writes.short(meta.get('value_range'), 40)}"
    if not isinstance(meta.get("conditional"), bool):
        return f"conditional must be true or false, got {writes.short(meta.get('conditional'), 40)}"
    ins, outs = meta.get("inputs"), meta.get("outputs")
    if not (isinstance(ins, list) and len(ins) == 1 + meta["conditional"] and all(isinstance(i, dict) for i in ins)
            and _shape(ins[0].get("shape"), 2)):
        return "inputs must list z (and labels for a conditional model) with their shapes"
    if not (isinstance(outs, list) and outs and isinstance(outs[0], dict) and _shape(outs[0].get("shape"), 4)
            and outs[0]["shape"][1] in (1, 3)):
        return "outputs must list images with a shape [batch, channels 1 or 3, height, width]"
    if not isinstance(meta.get("model"), str) or not isinstance(meta.get("config", {}), dict):
        return "model must be a name and config a mapping"
    return None


def read_export_meta(path: Path) -> dict:
    side = Path(str(path) + ".json")
    if not os.path.lexists(side):
        raise MindganError(f"{path} has no metadata file {side.name} beside it: give a file written by "
                           f"python -m mindgan.export (its .json must stay next to it)")
    text = writes.read_text(side, "model file metadata", 4 << 20)
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise MindganError(f"{side} is not valid JSON ({writes.short(str(err), 60)}); export the model again") from None
    if not isinstance(meta, dict) or meta.get("format") != "MINDIR":
        raise MindganError(f"{side} does not describe a MindIR export; generate runs .mindir files "
                           f"(ONNX files run in onnxruntime)")
    bad = _bad_export_field(meta)
    if bad:
        raise MindganError(f"{side}: {bad}; the file was edited or belongs to something else: export the model again")
    meta["config"] = {**config.defaults(), **config.validate(meta.get("config", {}), str(side))}
    return meta


def load_model_file(path) -> tuple[ExportedGenerator, dict]:
    path = writes.regular_file(path, "model file", fix="; give a .mindir written by python -m mindgan.export")
    meta = read_export_meta(path)
    return ExportedGenerator(path, meta), meta


def peek_meta(ckpt=None, model_file=None, model=None) -> dict | None:
    """The metadata generate checks --label and --num against, without loading weights (None when it
    needs the networks built: a checkpoint without .json)."""
    if model_file is not None:
        return read_export_meta(writes.regular_file(model_file, "--model-file"))
    ckpt = writes.regular_file(ckpt, "--ckpt", fix="; give a .ckpt file")
    if (model is not None and not ckpt.with_suffix(".json").is_file()):
        return None
    _need_meta(ckpt)
    return checkpoint.read_meta(ckpt)


def _need_meta(ckpt: Path) -> None:
    if not ckpt.with_suffix(".json").is_file():
        raise MindganError(f"{ckpt} has no metadata file {ckpt.with_suffix('.json').name} beside it: for a "
                           f"checkpoint written by the tutorials' own code add --model gan or --model dcgan")


def open_generator(ckpt=None, model_file=None, model=None):
    """(gan, meta) from any source; a checkpoint with mindgan's .json ignores --model."""
    if model_file is not None:
        return load_model_file(model_file)
    ckpt = Path(ckpt)
    if model is not None and ckpt.is_file() and not ckpt.with_suffix(".json").is_file():
        return load_foreign(ckpt, model)
    if ckpt.is_file():
        _need_meta(ckpt)
    return load_generator(ckpt)


def load_generator(path: str | Path, ema: bool = True) -> tuple[GAN, dict]:
    """The generator a checkpoint was trained with, rebuilt from its metadata and loaded (the averaged
    weights when the run kept an average, unless ema=False), in eval mode. Returns (gan, metadata)."""
    path = writes.regular_file(path, "checkpoint", fix="; give a .ckpt file")
    meta = checkpoint.read_meta(path)
    params = checkpoint.load_params(path)
    cfg = {**config.defaults(), **config.validate(meta["config"], f"{path.with_suffix('.json')}")}
    gan = create_model(cfg)
    if meta.get("ema") and ema:
        params = {**params, **{k[len("ema."):]: v for k, v in params.items() if k.startswith("ema.")}}
    checkpoint.load_into(gan.generator, params, "generator.", f"{cfg['model']} generator", path)
    if meta.get("ema") and ema:  # the checkpoint's BatchNorm statistics belong to the live weights
        batchnorm.recompute(gan, cfg["num_classes"], seed=cfg["seed"])
    gan.generator.set_train(False)
    meta["weights"] = "ema" if meta.get("ema") and ema else "live"
    return gan, meta
