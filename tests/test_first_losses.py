"""The first losses of every model, recorded before a refactor (scripts/record_losses.py), stay exactly equal."""
from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import REPO

_spec = importlib.util.spec_from_file_location("record_losses", REPO / "scripts" / "record_losses.py")
record = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record)
RECORDED = json.loads(record.RECORD.read_text())


@pytest.mark.parametrize("model", sorted(RECORDED))
def test_first_losses_unchanged(model):
    assert record.first_losses(model) == RECORDED[model]


def test_every_registered_model_is_recorded():
    from mindgan.models import list_models

    assert set(list_models()) <= set(RECORDED)
