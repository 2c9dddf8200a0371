"""A plain install (not the editable one) finds its recipes: they ship in the wheel as package data."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest
from helpers import REPO

pytestmark = pytest.mark.subprocess  # every test here starts processes


def test_wheel_ships_every_recipe_and_package(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
                        str(tmp_path / "dist"), str(REPO)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("mindgan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    recipes = sorted(p.name for p in (REPO / "configs").glob("*.yaml"))
    assert recipes and all(f"mindgan/configs/{n}" in names for n in recipes), sorted(names)
    modules = [p.relative_to(REPO).as_posix() for p in (REPO / "mindgan").rglob("*.py")]
    assert all(m in names for m in modules), [m for m in modules if m not in names]  # pyproject's package list

    # installed (not editable), run from another folder: every model's recipe loads from inside the package
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target),
                        str(wheel)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    code = ("import mindgan, mindgan.config as c, mindgan.models as m; "
            "assert mindgan.__file__.startswith(%r), mindgan.__file__; "
            "print(c.CONFIG_DIR); [c.load(model=n) for n in m.list_models()]" % str(target))
    env = dict(os.environ, PYTHONPATH=str(target))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == str(target / "mindgan" / "configs")
