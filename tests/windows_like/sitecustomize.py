"""Makes this Linux Python look like Windows to mindgan: on PYTHONPATH (tests/test_portable.py puts it there),
Python imports this file at start-up. mindgan's modules cannot import the POSIX-only modules, and the signals
and os functions Windows lacks are gone, so code that would fail on a learner's Windows laptop fails here.

MindSpore and other libraries keep their own imports (their Linux code paths import fcntl, and their Windows
wheels have other ones): only an import made from a mindgan module is refused."""
import builtins
import os
import signal

POSIX_ONLY = {"fcntl", "resource", "pwd", "grp", "termios", "tty", "pty", "syslog", "crypt", "spwd", "nis",
              "posix_ipc", "_posixshmem", "posix"}
# Names Windows' signal and os modules do not have (SIGKILL stays: MindSpore's dataset workers use it on Linux).
GONE = {signal: ["SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGWINCH"],
        os: ["O_NOFOLLOW", "O_DIRECTORY", "sched_getaffinity", "pread", "pwrite", "getuid", "geteuid",
             "killpg", "getpgid", "setsid", "fchmod", "fchown", "getloadavg"]}
_import = builtins.__import__


def _windows_import(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {}).get("__name__") or ""
    if level == 0 and name.split(".")[0] in POSIX_ONLY and importer.split(".")[0] == "mindgan":
        raise ModuleNotFoundError(f"No module named {name!r} (tests/windows_like: {importer} imports a "
                                  f"module Windows does not have)", name=name)
    return _import(name, globals, locals, fromlist, level)


builtins.__import__ = _windows_import
for _module, _names in GONE.items():
    for _n in _names:
        if hasattr(_module, _n):
            delattr(_module, _n)
os.environ["MINDGAN_WINDOWS_LIKE"] = "1"  # the child's proof that this file ran
