"""One exception type for mistakes a user can fix; entry points print it as one line."""
import functools
import sys
from pathlib import Path


class MindganError(Exception):
    """A problem with the user's input or machine, with the fix in the message."""


def check_path(path, what: str, kind: str) -> Path:
    """A path the user gave must exist and be a file (kind "file") or a folder ("folder"): say which
    it is when it is the other, rather than "does not exist"."""
    from .writes import kind as kind_of, regular_file

    path = Path(path)
    if not path.exists():
        what_is = kind_of(path)
        raise MindganError(f"{what} {path} " + ("does not exist" if what_is == "missing" else
                                                 "is a symbolic link to nothing (or a loop of links)"))
    if kind == "folder" and not path.is_dir():
        raise MindganError(f"{what} {path} is {kind_of(path.resolve())}; give a folder")
    if kind == "file" and path.is_dir():
        raise MindganError(f"{what} {path} is a folder; give a file")
    if not path.is_dir():
        regular_file(path, what)  # a FIFO would block the read forever
    return path


def cli_entry(main):
    """Wrap a CLI main(): MindganError becomes `error: ...` on stderr and exit status 2."""

    @functools.wraps(main)
    def wrapper(argv=None):
        try:
            return main(argv)
        except MindganError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            sys.exit(130)

    return wrapper
