"""The first losses of every model, recorded before a refactor (scripts/record_losses.py), stay equal within a
few float32 ulps."""
from __future__ import annotations

import importlib.util
import json
import math

import pytest

from helpers import REPO

_spec = importlib.util.spec_from_file_location("record_losses", REPO / "scripts" / "record_losses.py")
record = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record)
RECORDED = json.loads(record.RECORD.read_text())


# The losses were recorded with MindSpore 2.10: there they must stay within a few float32 ulps (1e-6): not
# bit for bit, as oneDNN's convolutions differ in the last bit between CPUs of one family (dcgan, 1 ulp on
# another 2-core AMD EPYC, 2026-12-08), while any change to the numerics moves them by far more. MindSpore
# 2.8.0's CPU kernels differ from 2.10's a little more (scripts/compat.sh 2.8.0): other versions get 1e-5.
RECORDED_WITH = "2.10."


def _close(got: list, want: list, rel: float) -> bool:
    return len(got) == len(want) and all(
        len(g) == len(w) and all(math.isclose(a, b, rel_tol=rel) if isinstance(b, float) else a == b
                                 for a, b in zip(g, w))
        for g, w in zip(got, want))


@pytest.mark.parametrize("model", sorted(RECORDED))
def test_first_losses_unchanged(model):
    import mindspore

    got = record.first_losses(model)
    rel = 1e-6 if mindspore.__version__.startswith(RECORDED_WITH) else 1e-5
    assert _close(got, RECORDED[model], rel), (got, RECORDED[model])


def test_every_registered_model_is_recorded():
    from mindgan.models import list_models

    assert set(list_models()) <= set(RECORDED)
