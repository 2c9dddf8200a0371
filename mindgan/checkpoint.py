"""Checkpoints: atomic .ckpt files with MindSpore's CRC and a JSON sidecar (what generate needs, and the
file's sha256), and the manager that saves, keeps the last N, and finds the newest complete one."""
from __future__ import annotations

import json
import os
from pathlib import Path

import mindspore as ms

from . import writes
from .errors import MindganError
from .files import sha256, write_atomic

META_KEYS = ("model", "epoch", "step", "batch_in_epoch", "config")


def save(cell, path: Path, meta: dict) -> None:
    """Write `cell`'s parameters to path (.ckpt) and `meta` to path.json, each via temp file + rename.

    The sidecar is written last, so a checkpoint without one (a run killed mid-save) is incomplete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: ms.save_checkpoint(cell, str(tmp), crc_check=True))
    meta = dict(meta, sha256=sha256(path), file=path.name)
    write_atomic(path.with_suffix(".json"), lambda tmp: tmp.write_text(json.dumps(meta, indent=1)))


MAX_META = 4 << 20  # bytes: a checkpoint's .json is a few KiB
COUNTERS = ("epoch", "step", "batch_in_epoch")


def read_meta(path: Path) -> dict:
    side = Path(path).with_suffix(".json")
    if not os.path.lexists(side):
        raise MindganError(f"{path} has no metadata file {side.name} beside it: give a checkpoint written "
                           f"by mindgan.train (its .json must stay next to the .ckpt), or name the model "
                           f"with --model for a checkpoint saved by a tutorial's own code")
    text = writes.read_text(side, "checkpoint metadata", MAX_META)
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise MindganError(f"{side} is not valid JSON ({writes.short(str(err), 60)}); the checkpoint's metadata "
                           f"is damaged") from None
    if not isinstance(meta, dict) or any(k not in meta for k in META_KEYS) or not isinstance(meta["config"], dict):
        raise MindganError(f"{side} is not a mindgan checkpoint's metadata (it needs {', '.join(META_KEYS)}); "
                           f"the file is damaged or was replaced")
    for key in COUNTERS:
        value = meta[key]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**53:
            raise MindganError(f"{side}: {key} must be a whole number >= 0, got {writes.short(value, 40)}; the "
                               f"metadata was edited: restore it")
    if not isinstance(meta["model"], str):
        raise MindganError(f"{side}: model must be a name, got {writes.short(meta['model'], 40)}; the metadata "
                           f"was edited: restore it")
    return meta


def load_params(path: Path, verify: bool = True) -> dict:
    """Read a .ckpt into {name: Parameter}, checking its CRC and (when its sidecar records one) its
    sha256; damaged or swapped files become one-line errors."""
    path = writes.regular_file(path, "checkpoint", fix="; give a .ckpt file")
    side = path.with_suffix(".json")
    if verify and os.path.lexists(side):
        recorded = read_meta(path).get("sha256")
        if recorded and recorded != sha256(path):
            raise MindganError(f"{path} does not match the sha256 recorded in {side.name}: the checkpoint was "
                               f"changed or swapped after it was written; restore the pair or use another one")
    try:
        return ms.load_checkpoint(str(path), crc_check=True)
    except (ValueError, RuntimeError, TypeError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise MindganError(f"{path} is not a readable MindSpore checkpoint (truncated or another file type: "
                           f"{first[:160]})") from None


def is_complete(path: Path) -> bool:
    """A checkpoint whose sidecar exists and whose bytes match the hash recorded there."""
    return why_incomplete(path) is None


def why_incomplete(path: Path) -> str | None:
    """None for a complete checkpoint, else what is wrong with it, in a few words."""
    try:
        writes.regular_file(path, "checkpoint")
        recorded = read_meta(path).get("sha256")
        if recorded != sha256(path):
            return "its bytes do not match the sha256 in its .json (changed, swapped or cut short)"
        return None
    except MindganError as err:
        return str(err)
    except OSError as err:
        return f"unreadable ({err.strerror})"


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


class CheckpointManager:
    """The checkpoints of one run folder: `<model>_eNNNN[_sNNNNNNN].ckpt` + `.json`.

    Ordered by the (epoch, step) their metadata records, never by file time; keeps the newest `keep`.
    """

    def __init__(self, folder: Path, keep: int):
        self.folder, self.keep = Path(folder), keep

    def all(self) -> list[Path]:
        """Every checkpoint with readable metadata, oldest first."""
        found = []
        for path in self.folder.glob("*.ckpt"):
            if ".tmp" in path.name or not path.is_file():  # a FIFO or folder of that name is not one
                continue
            try:
                meta = read_meta(path)
                found.append(((int(meta["step"]), int(meta["epoch"]), path.name), path))
            except (MindganError, OSError, ValueError, TypeError):
                found.append(((-1, -1, path.name), path))  # unreadable: sorts first, never "newest"
        return [p for _, p in sorted(found)]

    def newest_complete(self) -> tuple[Path | None, list[tuple[Path, str]]]:
        """(the newest checkpoint whose bytes match its sidecar, [(damaged one passed over, why)])."""
        damaged = []
        for path in reversed(self.all()):
            why = why_incomplete(path)
            if why is None:
                return path, damaged
            damaged.append((path, why))
        return None, damaged

    def path_for(self, meta: dict) -> Path:
        """Where the checkpoint of these counters goes (an epoch's end, or mid-epoch with its step)."""
        done = meta["batch_in_epoch"] == 0
        return self.folder / (f"{meta['model']}_e{meta['epoch']:04d}" + ("" if done else f"_s{meta['step']:07d}")
                              + ".ckpt")

    def save(self, state, meta: dict) -> Path:
        path = self.path_for(meta)
        self.folder.mkdir(parents=True, exist_ok=True)
        writes.record(path)  # before the file exists: retention deletes only what this run's list names
        save(state, path, meta)
        mine = writes.written(self.folder)  # the run's own list: a checkpoint a user put here is never pruned
        complete = [p for p in self.all() if p.name in mine and is_complete(p)]
        for old in complete[: max(0, len(complete) - self.keep)]:  # only complete ones count and go
            if old != path:
                old.unlink(missing_ok=True)
                old.with_suffix(".json").unlink(missing_ok=True)
        return path

    def restore(self, state, model: str) -> Path:
        """Load the newest complete checkpoint into `state`; damaged newer ones are named and passed over.
        Refuses (changing nothing) a folder without a complete one, or a checkpoint of another model."""
        path, damaged = self.newest_complete()
        for bad, why in damaged:
            print(f"mindgan: skipping damaged or incomplete checkpoint {bad.name}: {writes.short(why, 200)}")
        if path is None:
            if damaged:
                bad, why = damaged[0]
                raise MindganError(f"--resume: no usable checkpoint in {self.folder}; the newest, {bad.name}: "
                                   f"{writes.short(why, 160)}. Nothing was changed: restore that file (or its .json), "
                                   f"or start the run again with --overwrite (the old run is kept until the new one's "
                                   f"first epoch)")
            raise MindganError(f"--resume: no checkpoint in {self.folder} yet (the run stopped before its first "
                               f"one); nothing was changed. Start the run again with --overwrite, or choose another --out")
        meta = read_meta(path)
        if meta["model"] != model:
            raise MindganError(f"--resume: {path.name} is a {meta['model']} checkpoint and this run trains {model}: "
                               f"resume with --model {meta['model']}, or choose another --out")
        state.restore(path, meta)
        return path
