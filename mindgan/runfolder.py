"""The rules of a run folder (`--out`): what a run writes there, when it may start, continue or replace
one, and a lock so that two trainings never write into one folder at once.

Nothing here deletes a file mindgan did not write: `--overwrite` refuses a folder holding anything else,
and moves the old run aside until the new one has written its first checkpoint (restored if it fails).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import MindganError
from .portable import FolderLock, LockBusy

# Everything a training run writes into its folder (generate and evaluate write into `generated/`, `eval/`).
RUN_FILES = {"config.yaml", "fixed_noise.npy", "losses.csv", "loss_curve.png", "metrics.csv", "metrics.png",
             "progress.gif", "images", "checkpoints", "generated", "eval", ".lock", ".lock.pid", ".replaced"}
ASIDE = ".replaced"


def holds_run(out: Path) -> bool:
    return (out / "config.yaml").is_file() or (out / "checkpoints").is_dir()


def check_name(out: Path) -> None:
    """A path the file system can hold (checked before anything looks at it)."""
    full = Path(os.path.abspath(out))
    if len(str(full)) > 3000 or any(len(p.encode()) > 200 for p in full.parts):
        raise MindganError(f"--out {str(out)[:60]}... is too long a path: choose a shorter --out")


def check(out: Path, resume: bool, overwrite: bool) -> None:
    """Refuse what would mix, lose or not find a run (writes nothing)."""
    check_name(out)
    if resume and overwrite:
        raise MindganError("--resume and --overwrite contradict each other: choose one")
    if out.exists() and not out.is_dir():
        raise MindganError(f"--out {out} is a file, not a folder: choose another --out")
    if resume and not holds_run(out):
        raise MindganError(f"--resume: {out} holds no run to continue (no config.yaml or checkpoints/): "
                           f"drop --resume to start one there")
    if holds_run(out) and not (resume or overwrite):
        raise MindganError(f"{out} already holds a run: add --resume to continue it, --overwrite to replace "
                           f"it, or choose another --out")
    if overwrite and out.is_dir():
        others = sorted(p.name for p in out.iterdir() if p.name not in RUN_FILES)
        if others:
            raise MindganError(f"--overwrite: {out} also holds files mindgan did not write ({', '.join(others[:5])}"
                               f"{', ...' if len(others) > 5 else ''}); move them or choose another --out")


class RunFolder:
    """Holds the folder's lock while a run writes into it; `with RunFolder(out, overwrite): ...`."""

    def __init__(self, out: Path, overwrite: bool = False):
        self.out, self.overwrite, self.aside = Path(out), overwrite, None
        self._lock = FolderLock(self.out / ".lock")  # its holder's pid goes in .lock.pid

    def __enter__(self):
        try:  # released by the OS when the process ends, however it ends: a killed run leaves no stale lock
            self.out.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except LockBusy as busy:
            raise MindganError(f"{self.out} is in use by another training (pid {busy.holder}): wait for it to end, "
                               f"or choose another --out") from None
        except OSError as err:
            raise MindganError(f"cannot write to output folder {self.out} ({err.strerror}): choose another --out") from None
        if self.overwrite and holds_run(self.out):
            self._move_aside()
        return self

    def _move_aside(self) -> None:
        """The old run goes into .replaced/ until the new one has its first checkpoint."""
        aside = self.out / ASIDE
        if aside.exists():
            shutil.rmtree(aside)  # an earlier replaced run whose successor never checkpointed
        aside.mkdir()
        for p in self.out.iterdir():
            if p.name in RUN_FILES and p.name not in (".lock", ".lock.pid", ASIDE):
                os.replace(p, aside / p.name)
        self.aside = aside
        print(f"mindgan: --overwrite: the old run is kept in {aside} until the new run's first checkpoint")

    def committed(self) -> None:
        """The new run has a checkpoint: the replaced one can go."""
        if self.aside is not None:
            shutil.rmtree(self.aside, ignore_errors=True)
            self.aside = None

    def __exit__(self, exc_type, exc, tb):
        if self.aside is not None:  # the new run failed before its first checkpoint: put the old one back
            for p in self.out.iterdir():
                if p.name in RUN_FILES and p.name not in (".lock", ".lock.pid", ASIDE):
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
            for p in self.aside.iterdir():
                os.replace(p, self.out / p.name)
            self.aside.rmdir()
            print(f"mindgan: the new run stopped before its first checkpoint; the old run in {self.out} is restored")
        self._lock.release()  # removes .lock and .lock.pid
        return False
