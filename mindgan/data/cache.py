"""The data cache: where fetched sources and prepared folders live, and the check that it can be written.
Its own module so that sources.py (which fetches into it) and imagefolder.py (which builds folder views
in it) both import it, and not each other's functions back and forth."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .. import portable
from ..errors import MindganError


def cache_root() -> Path:
    """The data cache: $MINDGAN_DATA, or data/ in mindgan's cache folder (~/.cache/mindgan/data on Linux,
    ~/Library/Caches/mindgan/data on macOS, %LOCALAPPDATA%\\mindgan\\Cache\\data on Windows: mindgan.portable).
    It may be read-only once filled."""
    root = Path(os.environ.get("MINDGAN_DATA") or portable.cache_dir() / "data")
    if root.exists() and not root.is_dir():
        raise MindganError(f"the data cache {root} (MINDGAN_DATA) is a file, not a folder: set MINDGAN_DATA "
                           f"to a folder")
    return root


def writable(folder: Path, root: Path | None = None) -> Path:
    """Create `folder` inside the cache and check that files can be written there, before any work that
    would write them; an error naming the cache (MINDGAN_DATA) if not."""
    root = root or cache_root()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as err:
        raise MindganError(f"cannot write to the data cache {root} (MINDGAN_DATA): {err.strerror} for "
                           f"{err.filename or folder}; set MINDGAN_DATA to a writable folder") from None
    return folder
