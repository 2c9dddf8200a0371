"""The shape of the package, checked statically: no import cycle between mindgan's modules, no function-local
import of a mindgan module except the few listed here with their reason, and third-party imports inside
functions only for the heavy or optional packages named here. A new lazy import must be added below, with
its reason, or moved to the top of its module."""
from __future__ import annotations

import ast
from pathlib import Path

from helpers import REPO

PACKAGE = REPO / "mindgan"

# (module, imported mindgan module): why it is imported inside a function
LOCAL_OWN_IMPORTS = {
    ("mindgan", "mindgan.api"): "the lazy public API: `import mindgan` stays light, MindSpore loads on first use",
    ("mindgan.cli.train", "mindgan.api"): "MindSpore loads after argv is parsed: --help and flag errors answer at once",
    ("mindgan.cli.generate", "mindgan.loaders"): "the same: loading a generator loads MindSpore",
    ("mindgan.cli.evaluate", "mindgan.metrics.evaluation"): "the same: evaluation loads generators (MindSpore)",
    ("mindgan.cli.export", "mindgan.exporting"): "the same: the exporter is MindSpore's",
    ("mindgan.cli.bench", "mindgan.benchmark"): "the same: it builds a trainer",
}
# third-party packages a function may import: heavy to load, optional, or present on some systems only
LOCAL_THIRD_PARTY = {
    "mindspore": "seconds to load: light modules (device, models' registry, metrics, data) take it when used",
    "matplotlib": "heavy, and its backend is chosen (Agg) right before drawing",
    "onnx": "the optional [export] extra, needed by ONNX exports only",
    "download": "needed only when a source is fetched",
    "platformdirs": "portable.py: the platform's folders, asked for when needed",
    "filelock": "portable.py: the run lock",
    "psutil": "portable.py: memory figures where the OS has no simpler source",
    "resource": "portable.py: POSIX only (Windows has no resource module)",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def resolve(mod: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The mindgan modules an import statement in `mod` loads (directly named ones only)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "mindgan"]
    if node.level:
        base = mod.split(".") if MODULES[mod].name == "__init__.py" else mod.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "mindgan":
        return []
    out = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
    return out or [target]


def imports(mod: str):
    """(top-level mindgan imports, [(function, statement)] of imports inside functions)."""
    tree = ast.parse(MODULES[mod].read_text())
    local, inside = [], set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    local.append(node)
                    inside.add(id(node))
    top = [t for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in inside
           for t in resolve(mod, node)]
    return top, local


def test_no_import_cycle():
    graph = {m: set(imports(m)[0]) & set(MODULES) for m in MODULES}
    state, cycles = {}, []

    def visit(m, path):
        state[m] = "open"
        for n in sorted(graph[m]):
            if state.get(n) == "open":
                cycles.append(path[path.index(n):] + [n])
            elif n not in state:
                visit(n, path + [n])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_function_local_imports_are_the_listed_ones():
    own, third = set(), []
    for mod in MODULES:
        for node in imports(mod)[1]:
            targets = resolve(mod, node)
            if targets:
                own |= {(mod, t) for t in targets}
            else:
                name = node.names[0].name if isinstance(node, ast.Import) else node.module
                third.append((mod, name.split(".")[0]))
    assert own == set(LOCAL_OWN_IMPORTS), (
        f"not listed: {sorted(own - set(LOCAL_OWN_IMPORTS))}; listed but gone: {sorted(set(LOCAL_OWN_IMPORTS) - own)}")
    unlisted = sorted({(m, t) for m, t in third if t not in LOCAL_THIRD_PARTY})
    assert not unlisted, f"function-local imports of {unlisted}: import them at the top of the module"


def test_the_check_catches_a_cycle_and_a_local_import(tmp_path):
    """The resolver sees the data.sources <-> data.imagefolder kind of cycle this layout removed."""
    tree = ast.parse("from .imagefolder import write_rgb_png\nfrom . import idx\n")
    assert resolve("mindgan.data.sources", tree.body[0]) == ["mindgan.data.imagefolder"]
    assert resolve("mindgan.data.sources", tree.body[1]) == ["mindgan.data.idx"]
    assert "mindgan.data.sources" not in imports("mindgan.data.imagefolder")[0]
    assert "mindgan.data.cache" in imports("mindgan.data.imagefolder")[0]


def test_no_library_module_imports_a_command_line_module():
    for mod in MODULES:
        if not mod.startswith("mindgan.cli") and mod not in {f"mindgan.{c}" for c in
                                                              ("train", "generate", "evaluate", "export", "bench",
                                                               "launch")} | {"mindgan.data.__main__"}:
            assert not [t for t in imports(mod)[0] if t.startswith("mindgan.cli")], mod


def test_the_command_lines_leave_the_api_in_place():
    """mindgan.train is the API function, also after every command-line module is imported (the console
    scripts import mindgan.cli.X, never the mindgan/X.py shims that `python -m mindgan.X` runs)."""
    import importlib

    import mindgan
    from mindgan import api

    for name in ("train", "generate", "evaluate", "export", "bench", "launch", "data"):
        importlib.import_module(f"mindgan.cli.{name}")
    assert mindgan.train is api.train and callable(mindgan.train)
