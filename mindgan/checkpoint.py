"""Checkpoints: atomic .ckpt files with MindSpore's CRC, and a JSON sidecar with what generate needs."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import mindspore as ms

from .errors import MindganError


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    write(tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save(cell, path: Path, meta: dict) -> None:
    """Write `cell`'s parameters to path (.ckpt) and `meta` to path.json, each via temp file + rename.

    The sidecar is written last, so a checkpoint without one (a run killed mid-save) is incomplete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, lambda tmp: ms.save_checkpoint(cell, str(tmp), crc_check=True))
    meta = dict(meta, sha256=_sha256(path), file=path.name)
    _write_atomic(path.with_suffix(".json"), lambda tmp: tmp.write_text(json.dumps(meta, indent=1)))


def read_meta(path: Path) -> dict:
    side = Path(path).with_suffix(".json")
    if not side.is_file():
        raise MindganError(f"{path} has no metadata file {side.name} beside it: give a checkpoint written "
                           f"by mindgan.train (its .json must stay next to the .ckpt)")
    try:
        return json.loads(side.read_text())
    except json.JSONDecodeError as err:
        raise MindganError(f"{side} is not valid JSON ({err}); the checkpoint's metadata is damaged") from None


def load_params(path: Path) -> dict:
    """Read a .ckpt into {name: Parameter}, checking its CRC; damaged files become one-line errors."""
    path = Path(path)
    if not path.is_file():
        raise MindganError(f"checkpoint {path} does not exist")
    try:
        return ms.load_checkpoint(str(path), crc_check=True)
    except (ValueError, RuntimeError, TypeError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise MindganError(f"{path} is not a readable MindSpore checkpoint (truncated or another file type: "
                           f"{first[:160]})") from None


def is_complete(path: Path) -> bool:
    """A checkpoint whose sidecar exists and whose bytes match the hash recorded there."""
    try:
        return read_meta(path).get("sha256") == _sha256(path)
    except (MindganError, OSError):
        return False


def load_into(cell, params: dict, prefix: str, what: str, path: Path) -> None:
    """Load the parameters under `prefix` into `cell`; a shape or name mismatch is one line."""
    assign(cell.get_parameters(), {k: v for k, v in params.items() if k.startswith(prefix)}, what, path)


def assign(parameters, params: dict, what: str, path: Path) -> None:
    """Copy params[p.name] into each parameter, by exact name.

    Exact names on purpose: `load_param_into_net` also matches names with a prefix removed, which loads
    an optimiser's `moment1.generator.x` into the generator's own `generator.x`.
    """
    parameters = list(parameters)
    missing = [p.name for p in parameters if p.name not in params]
    if missing:
        raise MindganError(f"{path} does not fit this {what}: {len(missing)} parameter(s) missing, e.g. "
                           f"{missing[0]}")
    for p in parameters:
        src = params[p.name]
        if tuple(src.shape) != tuple(p.shape):
            raise MindganError(f"{path} does not fit this {what}: {p.name} has shape "
                               f"{tuple(src.shape)} in the file, {tuple(p.shape)} in the model")
        p.set_data(src.astype(p.dtype) if src.dtype != p.dtype else src)
