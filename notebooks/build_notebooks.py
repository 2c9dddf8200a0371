"""Build the companion notebooks from their sources: notebooks/src/NAME.py, one Jupytext percent file per
notebook (`# %%` code cells, `# %% [markdown]` text cells), which a reviewer reads and diffs as Python.

    python notebooks/build_notebooks.py             # write every NAME.ipynb from src/NAME.py
    python notebooks/build_notebooks.py 01_gan_mnist  # only these
    python notebooks/build_notebooks.py --check     # exit 1 when a notebook differs from its source
    python notebooks/run_notebooks.py [NAME ...]    # then execute them at their documented settings

A markdown cell tagged `shown-source` holds only its title line in the source; the build appends the
package's code of the object named in its metadata (`mindgan.source`, inspect.getsource), so a notebook
shows the code as it is and tests/test_notebooks.py catches drift. A build keeps the outputs (and cell ids)
of every cell whose source is unchanged, so rebuilding an executed notebook loses nothing it still shows.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
SHOWN = "shown-source"  # the tag of cells that show a package object's source
COMPARED = ("tags", "mindgan")  # the cell metadata a notebook and its source must agree on


def resolve(ref: str):
    """'package.module:Qual.name' -> the object."""
    mod, _, qual = ref.partition(":")
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def shown_text(title: str, ref: str) -> str:
    """A shown-source cell: its title line, then the package's source of `ref` in a fence."""
    return title + "\n\n```python\n" + inspect.getsource(resolve(ref)).rstrip("\n") + "\n```"


def build(name: str) -> nbformat.NotebookNode:
    """The notebook as its source file says, shown-source cells filled in from the package."""
    nb = jupytext.read(SRC / f"{name}.py", fmt="py:percent")
    nb.metadata.pop("jupytext", None)
    for cell in nb.cells:
        if SHOWN in cell.metadata.get("tags", []):
            cell.source = shown_text(cell.source.split("\n\n```python", 1)[0], cell.metadata["mindgan"]["source"])
    return nb


def key(cell) -> tuple:
    return cell.cell_type, cell.source, tuple(repr(cell.metadata.get(k)) for k in COMPARED)


def differences(built, old) -> list[str]:
    """Where two notebooks differ, cell by cell (type, source, tags and mindgan metadata)."""
    out = [f"cell {i}" for i, (a, b) in enumerate(zip(built.cells, old.cells)) if key(a) != key(b)]
    if len(built.cells) != len(old.cells):
        out.append(f"{len(built.cells)} cells in the source, {len(old.cells)} in the notebook")
    if built.metadata.get("mindgan") != old.metadata.get("mindgan"):
        out.append("the notebook's mindgan metadata")
    return out


def merge(built, old):
    """`built`, with the outputs, execution counts and ids of `old`'s cells that are unchanged (each old cell
    matched once, the first unused one with the same type, source and metadata: a moved cell keeps its
    outputs), and old's notebook metadata under the source's."""
    if old is None:
        return built
    pool, edited = list(old.cells), []
    for i, cell in enumerate(built.cells):
        match = next((c for c in pool if key(c) == key(cell)), None)
        if match is not None:
            pool.remove(match)
            cell.id = match.get("id", cell.get("id"))
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = match.outputs, match.execution_count
            cell.metadata = match.metadata
        else:
            edited.append(i)
    taken = {c.get("id") for c in built.cells}
    for i in edited:  # an edited cell keeps its place's id (not its outputs) unless a matched cell took it
        place = old.cells[i].get("id") if i < len(old.cells) and old.cells[i].cell_type == built.cells[i].cell_type else None
        if place and place not in taken:
            built.cells[i].id = place
            taken.add(place)
    built.metadata = {**old.metadata, **built.metadata}
    return built


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", help="notebooks to build (default: every src/*.py)")
    p.add_argument("--check", action="store_true", help="compare only; exit 1 when a notebook differs")
    args = p.parse_args(argv)
    names = args.names or sorted(f.stem for f in SRC.glob("*.py"))
    bad = 0
    for name in names:
        if not (SRC / f"{name}.py").is_file():
            p.error(f"no source src/{name}.py; sources: {', '.join(sorted(f.stem for f in SRC.glob('*.py')))}")
        path = HERE / f"{name}.ipynb"
        old = nbformat.read(path, as_version=4) if path.is_file() else None
        built = build(name)
        diff = differences(built, old) if old is not None else ["no notebook yet"]
        if args.check:
            bad += bool(diff)
            print(f"{path.name}: " + (f"differs from src/{name}.py: {', '.join(diff)}" if diff else "matches its source"))
            continue
        nbformat.write(merge(built, old), path)
        print(f"{path.name}: " + (f"rebuilt ({', '.join(diff)})" if diff else "unchanged"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
