"""Execute the companion notebooks headless with nbclient and write their outputs back.

    python notebooks/run_notebooks.py                 # all, at the settings in their parameter cells
    python notebooks/run_notebooks.py 01_gan_mnist    # one (or several), by name
    python notebooks/run_notebooks.py --set EPOCHS=1 --set MAX_STEPS=3 --out-dir /tmp/nb   # quick, elsewhere

`--set NAME=VALUE` overrides a parameter (a Python literal) by inserting a cell after the one tagged
`parameters`, as papermill does; the notebook itself is not changed.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def with_parameters(nb, overrides: dict):
    if not overrides:
        return nb
    idx = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    src = "# injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in overrides.items())
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(idx + 1, cell)
    return nb


def _last_drawn(line: str) -> str:
    """The last state of a line redrawn with carriage returns (a bar cleared at its end keeps its 100%)."""
    drawn = [seg for seg in line.split("\r") if seg.strip()]
    return drawn[-1] if drawn else ""


def squash_streams(nb):
    """Merge consecutive stream outputs and keep what a terminal shows after each carriage return, so a
    progress bar is stored as its final state rather than as every redraw."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for out in cell.outputs:
            if out.output_type == "stream" and merged and merged[-1].output_type == "stream" \
                    and merged[-1].name == out.name:
                merged[-1].text += out.text
            else:
                merged.append(out)
        for out in merged:
            if out.output_type == "stream":
                out.text = "\n".join(_last_drawn(line) for line in out.text.split("\n"))
        cell.outputs = [o for o in merged if o.output_type != "stream" or o.text.strip()]
    return nb


def execute(path: Path, overrides: dict, out_path: Path, timeout: int = 3600, cwd: Path = HERE) -> float:
    nb = with_parameters(nbformat.read(path, as_version=4), overrides)
    cwd.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    # the kernel imports course.py from this folder wherever it runs (a test runs it in a temporary folder)
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), before]))
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = before
    out_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(squash_streams(nb), out_path)
    return time.time() - t0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", help="notebook names (default: all)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--out-dir", default=None, help="write executed notebooks here (default: in place)")
    args = p.parse_args()
    import ast

    overrides = {}
    for item in args.set:
        k, sep, v = item.partition("=")
        if not sep or not k.isidentifier():
            p.error(f"--set {item[:60]!r}: expected NAME=VALUE, e.g. --set EPOCHS=1")
        try:
            overrides[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            overrides[k] = v
    known = sorted(HERE.glob("[0-9]*.ipynb"))
    paths = [HERE / f"{Path(n).name.removesuffix('.ipynb')}.ipynb" for n in args.names] or known
    unknown = [p.stem for p in paths if p not in known]
    if unknown:
        p.error(f"no notebook {', '.join(unknown)}; notebooks: {', '.join(k.stem for k in known)}")
    for path in paths:
        out = Path(args.out_dir) / path.name if args.out_dir else path
        seconds = execute(path, overrides, out, cwd=Path(args.out_dir) if args.out_dir else HERE)
        print(f"{path.name}: ran in {seconds / 60:.1f} minutes -> {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
