"""Registries: the extension points by name. A model, a loss or an update schedule is added by registering
it from any module (the package's own, or a user's); recipes then name it.

    MODELS     mindgan/models/   a ModelSpec (the build function and its contract), via @register_model
    LOSSES     mindgan/losses.py a loss class, via @register_loss
    SCHEDULES  mindgan/training/schedule.py  a Schedule subclass, via @register_schedule

The built-in entries register when their module is imported; a registry imports it (by name, with
importlib) the first time it is asked, so this module and config.py stay light (no MindSpore) and the
config's choices are the registries' names.
"""
from __future__ import annotations

import importlib
import pkgutil

from .errors import MindganError


class Registry:
    """Names -> registered objects for one kind of part; `builtins` names the module (or package, all of
    whose modules) that registers the built-in ones."""

    def __init__(self, kind: str, builtins: str, hint: str = ""):
        self.kind, self.builtins, self.hint = kind, builtins, hint
        self.items: dict[str, object] = {}
        self._loaded = False

    def register(self, name: str, item):
        """Add `item` under `name`; a name taken by another object is refused (re-registering the same
        class, e.g. when its module is imported again, replaces it)."""
        if not isinstance(name, str) or not name.isidentifier():
            raise MindganError(f"cannot register {self.kind} {name!r}: a name is a Python identifier "
                               f"(letters, digits, _), e.g. my_{self.kind}")
        old = self.items.get(name)
        if old is not None and _origin(old) != _origin(item):
            raise MindganError(f"cannot register {self.kind} {name!r} from {_origin(item)}: the name is taken "
                               f"by {_origin(old)}; choose another name")
        self.items[name] = item
        return item

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        module = importlib.import_module(self.builtins)
        for sub in pkgutil.iter_modules(getattr(module, "__path__", [])):  # a package: every module in it
            importlib.import_module(f"{self.builtins}.{sub.name}")

    def names(self) -> tuple:
        self._load()
        return tuple(sorted(self.items))

    def get(self, name: str):
        self._load()
        if name not in self.items:
            raise MindganError(f"unknown {self.kind} {name!r}; registered {self.kind}s: {', '.join(sorted(self.items))}"
                               + (f" ({self.hint})" if self.hint else ""))
        return self.items[name]

    def __contains__(self, name) -> bool:
        self._load()
        return name in self.items


def _origin(item) -> str:
    """Where an object was defined, to tell a re-import of the same class from a clash."""
    obj = getattr(item, "build", item)  # a ModelSpec: its build function
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"


MODELS = Registry("model", "mindgan.models", "python -m mindgan.train --list-models")
LOSSES = Registry("loss", "mindgan.losses", "python -m mindgan.train --list-models")
SCHEDULES = Registry("schedule", "mindgan.training.schedule", "python -m mindgan.train --list-models")
