"""Checkpoints: atomic .ckpt files with MindSpore's CRC and a JSON sidecar (what generate needs, and the
file's sha256), and the manager that saves, keeps the last N, and finds the newest complete one."""
from __future__ import annotations

import json
from pathlib import Path

import mindspore as ms

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


def read_meta(path: Path) -> dict:
    side = Path(path).with_suffix(".json")
    if not side.is_file():
        raise MindganError(f"{path} has no metadata file {side.name} beside it: give a checkpoint written "
                           f"by mindgan.train (its .json must stay next to the .ckpt), or name the model "
                           f"with --model for a checkpoint saved by a tutorial's own code")
    try:
        meta = json.loads(side.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise MindganError(f"{side} is not valid JSON ({err}); the checkpoint's metadata is damaged") from None
    if not isinstance(meta, dict) or any(k not in meta for k in META_KEYS) or not isinstance(meta["config"], dict):
        raise MindganError(f"{side} is not a mindgan checkpoint's metadata (it needs {', '.join(META_KEYS)}); "
                           f"the file is damaged or was replaced")
    return meta


def load_params(path: Path, verify: bool = True) -> dict:
    """Read a .ckpt into {name: Parameter}, checking its CRC and (when its sidecar records one) its
    sha256; damaged or swapped files become one-line errors."""
    path = Path(path)
    if not path.is_file():
        raise MindganError(f"checkpoint {path} {'is a folder' if path.is_dir() else 'does not exist'}: "
                           f"give a .ckpt file")
    side = path.with_suffix(".json")
    if verify and side.is_file():
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
    try:
        return read_meta(path).get("sha256") == sha256(path)
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
            if ".tmp" in path.name:
                continue
            try:
                meta = read_meta(path)
                found.append(((int(meta["step"]), int(meta["epoch"]), path.name), path))
            except (MindganError, OSError, ValueError, TypeError):
                found.append(((-1, -1, path.name), path))  # unreadable: sorts first, never "newest"
        return [p for _, p in sorted(found)]

    def newest_complete(self) -> tuple[Path | None, list[Path]]:
        """(the newest checkpoint whose bytes match its sidecar, the damaged ones passed over)."""
        damaged = []
        for path in reversed(self.all()):
            if is_complete(path):
                return path, damaged
            damaged.append(path)
        return None, damaged

    def save(self, state, meta: dict) -> Path:
        done = meta["batch_in_epoch"] == 0
        name = f"{meta['model']}_e{meta['epoch']:04d}" + ("" if done else f"_s{meta['step']:07d}") + ".ckpt"
        path = self.folder / name
        save(state, path, meta)
        complete = [p for p in self.all() if is_complete(p)]
        for old in complete[: max(0, len(complete) - self.keep)]:  # only complete ones count and go
            if old != path:
                old.unlink(missing_ok=True)
                old.with_suffix(".json").unlink(missing_ok=True)
        return path

    def restore(self, state, model: str) -> Path:
        """Load the newest complete checkpoint into `state`; damaged newer ones are named and passed over.
        Refuses (changing nothing) a folder without a complete one, or a checkpoint of another model."""
        path, damaged = self.newest_complete()
        for bad in damaged:
            print(f"mindgan: skipping damaged or incomplete checkpoint {bad.name}")
        if path is None:
            why = " (all damaged)" if damaged else " yet (the run stopped before its first one)"
            raise MindganError(f"--resume: no complete checkpoint in {self.folder}{why}; nothing was changed. "
                               f"Start the run again with --overwrite, or choose another --out")
        meta = read_meta(path)
        if meta["model"] != model:
            raise MindganError(f"--resume: {path.name} is a {meta['model']} checkpoint and this run trains {model}: "
                               f"resume with --model {meta['model']}, or choose another --out")
        state.restore(path, meta)
        return path
