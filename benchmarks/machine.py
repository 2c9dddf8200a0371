"""What the benchmark scripts say about the machine they run on, and which interpreter runs their PyTorch part.

torch stays out of the project's venv, so the scripts take `--torch-python PATH` (or `$TORCH_PYTHON`), e.g.
~/torchenv/bin/python from `python3 -m venv ~/torchenv && ~/torchenv/bin/pip install torch==2.13.0 "numpy<2"`."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

_CPUINFO = Path("/proc/cpuinfo")


def cpu_model() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo; platform.processor() elsewhere)."""
    info = _CPUINFO.read_text() if _CPUINFO.exists() else ""
    return next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")),
                platform.processor() or "?")


def has_avx512() -> bool:
    return _CPUINFO.exists() and " avx512f" in _CPUINFO.read_text()


def load_average() -> float | None:
    """The 1-minute load average at the start, recorded beside timings (None where the OS has none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def add_argument(parser, what: str = "the PyTorch parts") -> None:
    parser.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON"), metavar="PYTHON",
                        help=f"interpreter with torch and numpy<2 for {what} (default: $TORCH_PYTHON, else this one)")


def find(args, what: str) -> str | None:
    """The interpreter to run `what` with, or None (and a line on stderr) when it cannot import torch."""
    python = args.torch_python or sys.executable
    if subprocess.run([python, "-c", "import torch"], capture_output=True).returncode != 0:
        print(f"{what}: skipped, {python} cannot import torch (pip install torch==2.13.0 there, or pass "
              "--torch-python PATH of an interpreter that can)", file=sys.stderr)
        return None
    return python
