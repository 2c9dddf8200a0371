"""File helpers every writer shares: atomic replace and content hashes."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def write_atomic(path: Path, write) -> None:
    """write(tmp) then fsync and rename over `path`: a kill leaves the old file or the new, never half."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    if os.path.lexists(tmp):
        os.unlink(tmp)  # a leftover, or a link planted there: write a new file, never through it
    write(tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
