"""The one writing rule, and the checks every file read goes through.

mindgan writes only files it created: in a run folder it owns (`--out` of mindgan.train), or files
named by an explicit flag (generate/export/evaluate `--out`, `--json`). It never replaces a file it did
not write unless told so with `--force`; it records what it wrote in each folder it writes into
(`.mindgan-written`), so a second call may replace its own files and nothing else. It never writes
through a symbolic link out of the folder it writes into, and it deletes only what it wrote (a run's
checkpoints are pruned only when the run's own list names them).

Every file a command reads (recipes, run files, checkpoints, samples) goes through `regular_file`
first: a FIFO would block forever, a device or a huge file would exhaust memory. Every value shown
in a message goes through `short`, so a hostile file cannot make a message of gigabytes.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .errors import MindganError

WRITTEN = ".mindgan-written"  # in a folder mindgan writes into: the names it wrote there, one a line
MAX_LINE = 100  # the most characters of a value a message shows


def short(value, limit: int = MAX_LINE) -> str:
    """repr(value), cut to one short line: a message never prints a whole hostile value."""
    try:
        text = value if isinstance(value, str) else repr(value)
    except RecursionError:
        text = f"<a {type(value).__name__} nested too deeply>"
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 12] + f"... ({len(text)} chars)"


def kind(path: Path) -> str:
    """What a path is, in words: 'a file', 'a folder', 'a FIFO (named pipe)', 'a symbolic link', ..."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "missing"
    for test, words in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"),
                        (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                        (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return words
    return "not a regular file"


def regular_file(path, what: str, max_bytes: int | None = None, fix: str = "") -> Path:
    """`path` must be a regular file (links to one are fine for reading) of at most max_bytes."""
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise MindganError(f"{what} {short(str(path))} is a loop of symbolic links{fix}") from None
        if os.path.lexists(path):
            raise MindganError(f"{what} {short(str(path))} is a symbolic link to nothing{fix}") from None
        raise MindganError(f"{what} {short(str(path))} does not exist{fix}") from None
    if not stat.S_ISREG(st.st_mode):
        words = "a folder" if stat.S_ISDIR(st.st_mode) else kind(os.path.realpath(path))
        raise MindganError(f"{what} {short(str(path))} is {words}, not a regular file{fix or '; give a file'}")
    if max_bytes is not None and st.st_size > max_bytes:
        raise MindganError(f"{what} {short(str(path))} is {st.st_size / 2**20:.1f} MiB, more than such a file "
                           f"can be ({max_bytes / 2**20:.1f} MiB){fix or '; it is not the file mindgan expects'}")
    return path


def read_text(path, what: str, max_bytes: int, fix: str = "") -> str:
    """A small text file, after the type and size checks; undecodable bytes are one line. UTF-8 whatever the
    locale says (cp1252 or GBK on Windows), a leading byte-order mark (Notepad writes one) dropped."""
    path = regular_file(path, what, max_bytes, fix)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise MindganError(f"{what} {short(str(path))} is not text (it holds binary bytes){fix}") from None


# --- links --------------------------------------------------------------------------------------------
def refuse_link(path: Path, what: str = "") -> None:
    if os.path.islink(path):
        raise MindganError(f"{what or ''}{short(str(path))} is a symbolic link: mindgan never writes through a link "
                           f"(it could point at any file of yours); remove the link or choose another folder")


def refuse_links_inside(folder: Path, names=None) -> None:
    """No symbolic link among the entries mindgan may write in `folder` (all when names is None),
    looked at recursively in sub-folders that are not themselves links."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for entry in os.scandir(folder):
        if names is not None and entry.name not in names:
            continue
        path = Path(entry.path)
        refuse_link(path)
        if entry.is_dir(follow_symlinks=False):
            refuse_links_inside(path)


def open_nofollow(path: Path, flags: int, mode: int = 0o644) -> int:
    """os.open that refuses a symbolic link at `path` instead of writing through it."""
    refuse_link(Path(path))  # where the OS has no O_NOFOLLOW (Windows), this check is the guard
    try:
        return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), mode)
    except OSError as err:
        if err.errno == errno.ELOOP:
            refuse_link(Path(path))
        raise


# --- what mindgan wrote -------------------------------------------------------------------------------
def written(folder: Path) -> set[str]:
    """The names mindgan recorded writing in `folder`."""
    book = Path(folder) / WRITTEN
    if not book.is_file() or book.is_symlink() or book.stat().st_size > 1 << 20:
        return set()
    try:
        return {n for n in book.read_text().split("\n") if n and "/" not in n}
    except (OSError, UnicodeDecodeError):
        return set()


def record(path: Path) -> None:
    """Add path's name to the record of its folder (atomic rewrite, never through a link)."""
    path = Path(path)
    names = written(path.parent) | {path.name}
    book = path.parent / WRITTEN
    refuse_link(book)
    tmp = book.with_name(WRITTEN + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = open_nofollow(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(sorted(names)) + "\n")
    os.replace(tmp, book)


def owned(path: Path) -> bool:
    return Path(path).name in written(Path(path).parent)


def may_write(path: Path, force: bool, flag: str, owner: bool = False) -> None:
    """Refuse to replace an existing `path` mindgan did not write (unless force), and any symbolic
    link there (even with force: replacing a link would be the user's to do). `owner`: the folder is
    mindgan's own (a run folder), whose files are all its."""
    path = Path(path)
    refuse_link(path, f"{flag} ")
    if not os.path.lexists(path) or force or owner or owned(path):
        return
    raise MindganError(f"{flag} {short(str(path))} already exists and mindgan did not write it: add --force to "
                       f"replace it, or choose another {flag}")


def inside(child: Path, parent: Path) -> bool:
    """Whether `child` is `parent` or lies in it (links resolved, so a link cannot hide it)."""
    try:
        child, parent = Path(child).resolve(), Path(parent).resolve()
    except (OSError, RuntimeError):
        return False
    return child == parent or parent in child.parents


def out_not_in_data(out: Path, data: Path | None) -> None:
    """A run's folder inside its training data would turn its files into training images next time."""
    if data is not None and Path(data).is_dir() and inside(out, data):
        raise MindganError(f"--out {short(str(out))} is inside the training data {short(str(data))}: the run's images "
                           f"would be read as training images next time; choose an --out outside the data")


def check_path(path, what: str, want: str) -> Path:
    """A path the user gave must exist and be a file (want "file") or a folder ("folder"): say which
    it is when it is the other, rather than "does not exist" (`want`: "file", "folder" or "any")."""
    path = Path(path)
    if not path.exists():
        what_is = kind(path)
        raise MindganError(f"{what} {path} " + ("does not exist" if what_is == "missing" else
                                                 "is a symbolic link to nothing (or a loop of links)"))
    if want == "folder" and not path.is_dir():
        raise MindganError(f"{what} {path} is {kind(path.resolve())}; give a folder")
    if want == "file" and path.is_dir():
        raise MindganError(f"{what} {path} is a folder; give a file")
    if not path.is_dir():
        regular_file(path, what)  # a FIFO would block the read forever
    return path
