"""Which interpreter runs a benchmark's PyTorch part: torch stays out of the project's venv, so the scripts
take `--torch-python PATH` (or `$TORCH_PYTHON`), e.g. ~/torchenv/bin/python from
`python3 -m venv ~/torchenv && ~/torchenv/bin/pip install torch==2.13.0 "numpy<2"`."""
from __future__ import annotations

import os
import subprocess
import sys


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
