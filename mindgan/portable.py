"""The one place for what differs between Linux, macOS and Windows (the systems MindSpore ships wheels for).

Every other mindgan module imports no POSIX-only module (fcntl, resource, pwd, termios, ...) and names no
signal that Windows lacks: it asks here, and each helper degrades with a clear message where an OS lacks
something. tests/test_portable.py imports every module and trains a step with those modules made
unimportable, so a Windows-only break shows on Linux.

- cache_dir(): the platform's cache folder (platformdirs): ~/.cache/mindgan on Linux ($XDG_CACHE_HOME/mindgan
  when set), ~/Library/Caches/mindgan on macOS, %LOCALAPPDATA%\\mindgan\\Cache on Windows.
- FolderLock: an exclusive lock held until released or the process ends however it ends (filelock: flock on
  Linux/macOS, msvcrt.locking on Windows); the holder's pid sits beside it so "in use" can name it.
- stop_signals(): the signals that ask a run to stop: SIGINT, SIGTERM, SIGHUP (a closed terminal; not on
  Windows), SIGBREAK (Ctrl-Break; Windows only).
- cpu_cores(), peak_memory_mb(), available_memory_bytes(), kill(pid), link_or_copy(src, dst), require_linux(what).
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

from .errors import MindganError

LINUX = sys.platform.startswith("linux")
WINDOWS = os.name == "nt"
MACOS = sys.platform == "darwin"


def system_name() -> str:
    return "Linux" if LINUX else "Windows" if WINDOWS else "macOS" if MACOS else sys.platform


# --- where files go -----------------------------------------------------------------------------
def cache_dir() -> Path:
    """mindgan's cache folder by the platform's convention (the data cache is cache_dir()/data unless
    $MINDGAN_DATA names another)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("mindgan", appauthor=False))


def link_or_copy(src: Path, dst: Path) -> None:
    """dst becomes src's content: a symbolic link where the OS allows one (Windows needs developer mode or
    admin rights for them), else a hard link (same volume), else a copy."""
    try:
        os.symlink(src, dst)
        return
    except (OSError, NotImplementedError):
        pass
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


# --- stopping a run -----------------------------------------------------------------------------
def stop_signals() -> list[signal.Signals]:
    """The signals this OS has that ask a process to stop (the trainer saves a checkpoint on each)."""
    return [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK") if hasattr(signal, n)]


def kill(pid: int) -> bool:
    """End process pid at once (SIGKILL; TerminateProcess on Windows); False when it was already gone."""
    try:
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))  # on Windows os.kill terminates outright
        return True
    except (ProcessLookupError, PermissionError):
        return False
    except OSError:  # Windows: no such process
        return False


def require_linux(what: str, instead: str) -> None:
    """Refuse, in one line, a feature that exists only on Linux (MindSpore's msrun launcher)."""
    if not LINUX:
        raise MindganError(f"{what} runs on Linux only, not on {system_name()}: {instead}")


def cpu_cores() -> int:
    """Cores this process may use: its affinity mask on Linux (a container can have fewer than
    os.cpu_count()), the machine's count where the OS has no such call (Windows, macOS)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


# --- memory -------------------------------------------------------------------------------------
def peak_memory_mb() -> float | None:
    """This process's peak resident memory in MiB; None where the OS does not report it."""
    try:
        import resource  # POSIX only
    except ImportError:
        resource = None
    if resource is not None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1 << 20) if MACOS else peak / 1024  # macOS reports bytes, Linux KiB
    try:
        import psutil  # a MindSpore dependency; on Windows it reads the peak working set

        info = psutil.Process().memory_info()
        return getattr(info, "peak_wset", info.rss) / (1 << 20)
    except Exception:  # noqa: BLE001  (no psutil, or it cannot read this process)
        return None


def available_memory_bytes(default: int = 8 << 30) -> int:
    """Memory free for new allocations (psutil; /proc/meminfo on Linux without it); `default` if unknown."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001
        pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return default


# --- the run lock ---------------------------------------------------------------------------------
class LockBusy(Exception):
    """Another process holds the lock; `holder` is its pid as written beside the lock ("?" if unknown)."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


class FolderLock:
    """An exclusive, non-blocking lock on `path` (e.g. out/.lock), released when the holder releases it or
    its process ends, however it ends (a killed run leaves no stale lock). The holder writes its pid to
    `path`.pid, which the lock file itself cannot carry: a process that fails to take the lock may
    truncate the lock file on some filelock versions and OSes.

    A lock file that is a symbolic link is refused (the lock never follows a link out of its folder)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.pid_path = self.path.with_name(self.path.name + ".pid")
        self._lock = None

    def acquire(self) -> None:
        from filelock import FileLock, Timeout

        for p in (self.path, self.pid_path):
            if p.is_symlink():
                raise OSError(40, "the lock file is a symbolic link; remove it", str(p))
        lock = FileLock(str(self.path), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise LockBusy(self.holder()) from None
        self._lock = lock
        try:
            self._write_pid()
        except OSError:
            self.release()
            raise

    def _write_pid(self) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        if self.pid_path.is_symlink():  # where O_NOFOLLOW is missing (Windows)
            raise OSError(40, "the lock's pid file is a symbolic link; remove it", str(self.pid_path))
        fd = os.open(self.pid_path, flags, 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))

    def holder(self) -> str:
        try:
            if not self.pid_path.is_symlink():
                return self.pid_path.read_text(errors="replace").strip()[:12] or "?"
        except OSError:
            pass
        return "?"

    @property
    def held(self) -> bool:
        return self._lock is not None

    def release(self) -> None:
        """Remove the pid file and the lock file, then let go. On Linux/macOS the lock file goes while still
        held (nobody else can be using it); Windows cannot delete an open file, so it goes after."""
        if self._lock is None:
            return
        lock, self._lock = self._lock, None
        self.pid_path.unlink(missing_ok=True)
        if not WINDOWS:
            self.path.unlink(missing_ok=True)
        lock.release(force=True)
        if WINDOWS:
            try:
                self.path.unlink(missing_ok=True)
            except OSError:  # another process has just opened it to take the lock
                pass

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
        return False
