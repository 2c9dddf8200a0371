"""The rules of a run folder (`--out`): what a run writes there, when it may start, continue or replace
one, and a lock so that two trainings never write into one folder at once.

Nothing here deletes a file mindgan did not write (mindgan/writes.py has the rule): `--overwrite`
refuses a folder holding anything else, at any depth, and moves the old run into `.replaced/` until
the new one has finished its first full epoch and written that epoch's checkpoint. A new run that ends
before that, however it ends, gives the old run back: at once when it can (an error, Ctrl-C, SIGTERM,
SIGHUP), or at the next command in the folder after a SIGKILL (`settle`).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
from pathlib import Path

from . import writes
from .errors import MindganError
from .portable import FolderLock, LockBusy, stop_signals

ASIDE = ".replaced"
DONE = ".replaced.done"  # the replaced run after the new one committed, while it is being deleted
# Everything a training run writes into its folder, and, per sub-folder, the names it writes there.
RUN_FILES = {"config.yaml", "fixed_noise.npy", "losses.csv", "loss_curve.png", "metrics.csv", "metrics.png",
             "progress.gif", "images", "checkpoints", "generated", "eval", ".lock", ".lock.pid", ASIDE, DONE,
             writes.WRITTEN}
_TMP = r"(\.[\w.-]+\.tmp\.\w+|[\w.-]+\.tmp(\.\w+)?)"
SUBFOLDER_FILES = {
    "images": re.compile(rf"(epoch_\d+\.png|{_TMP})$"),
    "checkpoints": re.compile(rf"([\w.-]+\.(ckpt|json|mindir|onnx)|{re.escape(writes.WRITTEN)}|{_TMP})$"),
    "generated": re.compile(rf"(grid\.png|samples\.npy|interpolation\.(png|npy)|images|{re.escape(writes.WRITTEN)}|{_TMP})$"),
    "generated/images": re.compile(r"(\d+\.png|\.mindgan-generated(\.tmp)?)$"),
    "eval": re.compile(rf"([\w.-]+\.(json|png)|{_TMP})$"),
}
LOCK = ".lock"
LOCK_FILES = {LOCK, LOCK + ".pid"}  # the lock and its holder's pid (portable.FolderLock)
TOP_LEVEL = re.compile(r"evaluation_[\w.-]+\.json$")  # evaluate --ckpt <run>/checkpoints/x.ckpt writes these


def holds_run(out: Path) -> bool:
    return (out / "config.yaml").is_file() or (out / "checkpoints").is_dir()


def check_name(out: Path) -> None:
    """A path the file system can hold (checked before anything looks at it)."""
    full = Path(os.path.abspath(out))
    if len(str(full)) > 3000 or any(len(p.encode()) > 200 for p in full.parts):
        raise MindganError(f"--out {str(out)[:60]}... is too long a path: choose a shorter --out")


def foreign(out: Path) -> list[str]:
    """Files in `out` a run did not write (top level and inside its sub-folders), as relative paths."""
    found = []
    for p in sorted(out.iterdir()):
        if p.name not in RUN_FILES and not TOP_LEVEL.match(p.name):
            found.append(p.name)
    for sub, pattern in SUBFOLDER_FILES.items():
        folder = out / sub
        if folder.is_dir() and not folder.is_symlink():
            found += [f"{sub}/{p.name}" for p in sorted(folder.iterdir()) if not pattern.match(p.name)]
    return found


def _names(paths: list[str]) -> str:
    return ", ".join(writes.short(p, 60) for p in paths[:5]) + (", ..." if len(paths) > 5 else "")


def check(out: Path, resume: bool, overwrite: bool) -> None:
    """Refuse what would mix, lose or not find a run (writes nothing)."""
    check_name(out)
    if resume and overwrite:
        raise MindganError("--resume and --overwrite contradict each other: choose one")
    if os.path.islink(out) and not out.exists():
        raise MindganError(f"--out {writes.short(str(out))} is a symbolic link to nothing (or a loop of links): "
                           f"remove it or choose another --out")
    try:
        if out.exists() and not out.is_dir():
            raise MindganError(f"--out {out} is {writes.kind(out.resolve())}, not a folder: choose another --out")
    except OSError as err:  # a loop of links, a component that is a file, ...
        raise MindganError(f"--out {writes.short(str(out))} is not usable as a folder ({err.strerror}): choose "
                           f"another --out") from None
    if resume and not holds_run(out):
        raise MindganError(f"--resume: {out} holds no run to continue (no config.yaml or checkpoints/): "
                           f"drop --resume to start one there")
    if holds_run(out) and not (resume or overwrite):
        raise MindganError(f"{out} already holds a run: add --resume to continue it, --overwrite to replace "
                           f"it, or choose another --out")
    if out.is_dir():
        writes.refuse_links_inside(out, RUN_FILES)
    if out.is_dir() and not holds_run(out):  # a folder of the user's: a run must not mix its files in
        clash = sorted(p.name for p in out.iterdir() if p.name in RUN_FILES - LOCK_FILES - {writes.WRITTEN})
        if clash:
            raise MindganError(f"--out {out} is not a run folder but holds {_names(clash)}, names a run writes; "
                               f"mindgan would replace or mix into them: choose another --out (a new or empty folder)")
    if overwrite and out.is_dir():
        others = foreign(out)
        if others:
            raise MindganError(f"--overwrite: {out} also holds files mindgan did not write ({_names(others)}); "
                               f"move them or choose another --out")


def _take_lock(out: Path) -> FolderLock:
    lock = FolderLock(out / LOCK)  # its holder's pid goes in .lock.pid
    try:  # released by the OS when the process ends, however it ends: a killed run leaves no stale lock
        out.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except LockBusy as busy:
        raise MindganError(f"{out} is in use by another training (pid {writes.short(busy.holder, 12)}): wait for "
                           f"it to end, or choose another --out") from None
    except OSError as err:
        if "symbolic link" in str(err):
            writes.refuse_link(Path(err.filename or out / LOCK))
        raise MindganError(f"cannot write to output folder {out} ({err.strerror}): choose another --out") from None
    return lock


def _run_entries(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if p.name in RUN_FILES and p.name not in LOCK_FILES | {ASIDE, DONE}]


def _restore(out: Path) -> None:
    """Put the run in .replaced/ back, removing the unfinished run that replaced it (all files a run
    wrote: foreign files were refused before it started)."""
    aside = out / ASIDE
    for p in _run_entries(out):
        shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    for p in aside.iterdir():
        os.replace(p, out / p.name)
    aside.rmdir()


def settle(out: Path) -> None:
    """Finish what a killed run left half done in `out` (call before reading the folder): a replaced
    run whose successor never finished an epoch is restored; a committed one is deleted."""
    out = Path(out)
    if not ((out / ASIDE).is_dir() or (out / DONE).is_dir()) or (out / ASIDE).is_symlink():
        return
    lock = _take_lock(out)
    try:
        if (out / DONE).is_dir():
            shutil.rmtree(out / DONE)
        if (out / ASIDE).is_dir():
            _restore(out)
            print(f"mindgan: {out}: an earlier --overwrite's new run stopped before its first full epoch and "
                  f"checkpoint, so the run it replaced (kept in {ASIDE}/) is restored and the unfinished one removed")
    except OSError as err:
        raise MindganError(f"{out}: could not restore the replaced run from {out / ASIDE} ({err.strerror}); "
                           f"it is still there: move its files back into {out} by hand") from None
    finally:
        lock.release()


class RunFolder:
    """Holds the folder's lock while a run writes into it; `with RunFolder(out, overwrite): ...`."""

    def __init__(self, out: Path, overwrite: bool = False):
        self.out, self.overwrite, self._lock, self.aside = Path(out), overwrite, None, None
        self._old_handlers = {}

    def __enter__(self):
        self._lock = _take_lock(self.out)
        try:
            writes.refuse_links_inside(self.out, RUN_FILES - LOCK_FILES)  # again, now that nobody else writes
            if self.overwrite and holds_run(self.out):
                self._move_aside()
        except BaseException:
            self._lock.release()
            self._lock = None
            raise
        return self

    def _move_aside(self) -> None:
        """The old run goes into .replaced/ until the new one has a full epoch and its checkpoint."""
        aside = self.out / ASIDE
        if aside.exists():  # settle() restores one before any command starts; one left now is not ours
            raise MindganError(f"--overwrite: {aside} already exists (an earlier replaced run): move it away or "
                               f"delete it, then run again")
        aside.mkdir()
        for p in _run_entries(self.out):
            os.replace(p, aside / p.name)
        self.aside = aside
        # A SIGTERM or SIGHUP before the loop's own handlers would end the process at once, with the
        # old run still aside: make them an exception, so __exit__ puts it back.
        for s in [s for s in stop_signals() if s != signal.SIGINT]:  # Ctrl-C is a KeyboardInterrupt already
            try:
                self._old_handlers[s] = signal.signal(s, _raise_interrupt)
            except ValueError:  # not the main thread
                pass
        print(f"mindgan: --overwrite: the old run is kept in {aside} until the new run has finished its first "
              f"full epoch and written its checkpoint")

    def committed(self, full_epoch: bool = True) -> None:
        """The new run has a checkpoint at the end of an epoch: the replaced one can go."""
        if self.aside is None or not full_epoch:
            return
        done = self.out / DONE
        if done.exists():
            shutil.rmtree(done)
        os.replace(self.aside, done)  # one rename: a kill after it never brings the old run back
        self.aside = None
        shutil.rmtree(done, ignore_errors=True)

    def __exit__(self, exc_type, exc, tb):
        for s, h in self._old_handlers.items():
            signal.signal(s, h)
        if self.aside is not None:  # the new run ended before its first full epoch: put the old one back
            try:
                _restore(self.out)
                print(f"mindgan: the new run stopped before its first full epoch and checkpoint; the old run in "
                      f"{self.out} is restored (the unfinished run's files are removed)", flush=True)
            except OSError as err:
                print(f"mindgan: the new run stopped before its first full epoch; restoring the old run failed "
                      f"({err.strerror}): it is kept in {self.aside}; the next command in {self.out} restores it",
                      flush=True)
        if self._lock is not None:
            self._lock.release()  # removes .lock and .lock.pid
            self._lock = None
        return False


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)
