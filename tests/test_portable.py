"""mindgan on every OS MindSpore ships for: the portable helpers, and the whole package imported and trained
with the POSIX-only modules taken away (tests/windows_like), so a Windows-only break fails on Linux."""
from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mindgan import portable
from mindgan.errors import MindganError

REPO = Path(__file__).resolve().parent.parent
WINDOWS_LIKE = Path(__file__).resolve().parent / "windows_like"
POSIX_ONLY = {"fcntl", "resource", "pwd", "grp", "termios", "tty", "pty", "syslog", "crypt", "spwd", "nis", "posix"}
# Attributes Windows' os and signal modules lack: written as os.X / signal.X they fail there when reached.
NOT_ON_WINDOWS = {"os": {"O_NOFOLLOW", "O_DIRECTORY", "sched_getaffinity", "pread", "pwrite", "getuid", "geteuid",
                         "killpg", "getpgid", "setsid", "fork", "fchmod", "fchown", "getloadavg", "uname"},
                  "signal": {"SIGHUP", "SIGKILL", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGCHLD", "SIGPIPE"}}


def _sources():
    return sorted((REPO / "mindgan").rglob("*.py"))


def test_no_posix_only_module_or_name_outside_portable():
    """Only mindgan/portable.py may touch a POSIX-only module (inside a function, with a fallback) or name
    an os/signal attribute Windows lacks; everything else asks portable."""
    found = []
    for path in _sources():
        rel = path.relative_to(REPO)
        tree = ast.parse(path.read_text(), str(rel))
        for node in ast.walk(tree):
            names = [a.name.split(".")[0] for a in node.names] if isinstance(node, ast.Import) else \
                [(node.module or "").split(".")[0]] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                if name in POSIX_ONLY and rel.name != "portable.py":
                    found.append(f"{rel}:{node.lineno} imports {name}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.attr in NOT_ON_WINDOWS.get(node.value.id, ()) and rel.name != "portable.py":
                found.append(f"{rel}:{node.lineno} uses {node.value.id}.{node.attr}")
        if rel.name == "portable.py":  # its own POSIX imports sit inside functions, never at module level
            found += [f"{rel}:{n.lineno} imports at module level" for n in tree.body
                      if isinstance(n, (ast.Import, ast.ImportFrom))
                      and any(a.name.split(".")[0] in POSIX_ONLY for a in n.names)]
    assert not found, "POSIX-only uses outside mindgan/portable.py (use its helpers):\n" + "\n".join(found)


def test_cache_dir_follows_the_platform(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    if portable.LINUX:  # today's location stays the Linux default
        assert portable.cache_dir() == tmp_path / ".cache" / "mindgan"
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert portable.cache_dir() == tmp_path / "xdg" / "mindgan"


def test_data_cache_is_mindgan_data_else_under_the_cache_dir(monkeypatch, tmp_path):
    from mindgan.data import sources

    monkeypatch.setenv("MINDGAN_DATA", str(tmp_path / "mine"))
    assert sources.cache_root() == tmp_path / "mine"
    monkeypatch.delenv("MINDGAN_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sources.cache_root() == portable.cache_dir() / "data"


def test_folder_lock_names_its_holder_and_leaves_nothing(tmp_path):
    first = portable.FolderLock(tmp_path / ".lock")
    first.acquire()
    assert (tmp_path / ".lock.pid").read_text() == str(os.getpid())
    with pytest.raises(portable.LockBusy) as busy:
        portable.FolderLock(tmp_path / ".lock").acquire()
    assert busy.value.holder == str(os.getpid())
    first.release()
    assert list(tmp_path.iterdir()) == []
    with portable.FolderLock(tmp_path / ".lock") as again:  # free again
        assert again.held


def test_folder_lock_refuses_a_symlinked_lock_file(tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / ".lock").symlink_to(victim)
    with pytest.raises(OSError, match="symbolic link"):
        portable.FolderLock(folder / ".lock").acquire()
    assert victim.read_text() == "keep me"


@pytest.mark.subprocess
def test_folder_lock_is_released_when_its_holder_is_killed(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from mindgan import portable
        lock = portable.FolderLock(__import__("pathlib").Path({str(tmp_path / ".lock")!r}))
        lock.acquire()
        print("held", flush=True)
        time.sleep(600)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(portable.LockBusy) as busy:
            portable.FolderLock(tmp_path / ".lock").acquire()
        assert busy.value.holder == str(holder.pid)
        assert portable.kill(holder.pid)
        holder.wait(timeout=60)
        with portable.FolderLock(tmp_path / ".lock") as lock:  # no stale lock after a kill
            assert lock.held
    finally:
        holder.kill()
        holder.wait()
    assert not portable.kill(holder.pid)  # gone: False, no exception


def test_stop_signals_are_those_this_os_has():
    sigs = portable.stop_signals()
    assert signal.SIGINT in sigs and signal.SIGTERM in sigs
    assert (signal.SIGHUP in sigs) == hasattr(signal, "SIGHUP")
    assert all(isinstance(s, signal.Signals) for s in sigs)


def test_require_linux_refuses_in_one_line_elsewhere(monkeypatch):
    portable.require_linux("msrun", "train on one worker")  # this machine is Linux
    monkeypatch.setattr(portable, "LINUX", False)
    monkeypatch.setattr(portable, "WINDOWS", True)
    with pytest.raises(MindganError, match=r"^msrun runs on Linux only, not on Windows: train on one worker$"):
        portable.require_linux("msrun", "train on one worker")


def test_launch_refuses_off_linux_in_one_line(monkeypatch, capsys):
    from mindgan.cli import launch

    monkeypatch.setattr(portable, "LINUX", False)
    monkeypatch.setattr(portable, "MACOS", True)
    with pytest.raises(SystemExit) as exit_:
        launch.main(["--workers", "2", "--dry-run", "--", "--model", "gan"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("error: data-parallel training (MindSpore's msrun, python -m mindgan.launch) "
                                       "runs on Linux only, not on macOS: train on one worker with python -m "
                                       "mindgan.train\n")


def test_link_or_copy_falls_back_to_a_copy(tmp_path, monkeypatch):
    src = tmp_path / "a.png"
    src.write_bytes(b"png")
    portable.link_or_copy(src, tmp_path / "link.png")
    assert (tmp_path / "link.png").is_symlink()

    def refused(*a, **k):
        raise OSError(1, "A required privilege is not held by the client")  # Windows without developer mode

    monkeypatch.setattr(os, "symlink", refused)
    monkeypatch.setattr(os, "link", refused)
    portable.link_or_copy(src, tmp_path / "copy.png")
    assert (tmp_path / "copy.png").read_bytes() == b"png" and not (tmp_path / "copy.png").is_symlink()


def test_memory_figures():
    assert portable.peak_memory_mb() > 1
    assert portable.available_memory_bytes() > 0


CHILD = textwrap.dedent("""
    import importlib, json, os, pkgutil, sys
    from pathlib import Path
    import numpy as np
    assert os.environ.get("MINDGAN_WINDOWS_LIKE") == "1", "tests/windows_like/sitecustomize.py did not run"
    import locale
    assert locale.getpreferredencoding(False).lower() not in ("utf-8", "utf8")
    import mindgan
    modules = []
    for info in pkgutil.walk_packages(mindgan.__path__, "mindgan."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
            modules.append(info.name)
    from mindgan import api, portable
    from mindgan.data import idx
    out, data = Path(sys.argv[1]), Path(sys.argv[2])
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (40, 28, 28)).astype(np.uint8), rng.integers(0, 10, 40).astype(np.uint8)
    idx.write_split(data, "train", images[:32], labels[:32])
    idx.write_split(data, "test", images[32:], labels[32:])
    summary = api.train(out=out, config_file=sys.argv[3], data=str(data), epochs=1, max_steps=1, batch_size=8,
                        grid_rows=2, grid_cols=2, progress=False, device="CPU")
    print("RESULT " + json.dumps({"modules": modules, "step": summary["step"],
                                  "signals": [s.name for s in portable.stop_signals()],
                                  "peak_mb": portable.peak_memory_mb()}))
    """)


@pytest.mark.subprocess
def test_every_module_imports_and_trains_without_posix_only_modules(tmp_path):
    """...and with a locale whose encoding is not UTF-8 (Windows: cp1252, GBK), from a recipe a learner saved
    in Notepad: Chinese comments after a UTF-8 byte-order mark."""
    recipe = tmp_path / "my_gan.yaml"
    recipe.write_bytes("\ufeff# 生成对抗网络 (MLP GAN) on my laptop\nmodel: gan\n".encode("utf-8"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(WINDOWS_LIKE), str(REPO)]), PYTHONUNBUFFERED="1",
               LC_ALL="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0")  # open() without encoding= reads ASCII
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "run"), str(tmp_path / "digits"), str(recipe)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    result = json.loads(proc.stdout.split("RESULT ", 1)[1])
    expected = {f"mindgan.{p.relative_to(REPO / 'mindgan').with_suffix('').as_posix().replace('/', '.')}"
                for p in _sources() if p.name not in ("__init__.py", "__main__.py")}
    assert expected <= set(result["modules"])
    assert result["step"] == 1
    assert "SIGHUP" not in result["signals"] and {"SIGINT", "SIGTERM"} <= set(result["signals"])
    assert result["peak_mb"] and result["peak_mb"] > 1  # from psutil: resource is refused
    assert list((tmp_path / "run" / "checkpoints").glob("*.ckpt"))
    assert not (tmp_path / "run" / ".lock").exists()
