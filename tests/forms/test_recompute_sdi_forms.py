"""On the real SDI forms, one change at a time gives what a full recompute gives."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

from forms import load_form
from forms.answers import get, set_value
from forms.recompute import FormEngine

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "forms" / "definitions"


def bench_module():
    # The bench knows how to make plausible answers for every question type.
    spec = importlib.util.spec_from_file_location("bench_forms", ROOT / "bench" / "forms.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["sdi_settlement_profile", "sdi_household_enumeration",
                                  "generated"])
def test_random_changes_on_real_forms(name: str) -> None:
    bench = bench_module()
    if name == "generated":
        form = bench.synthetic_form()
    else:
        path = DEFINITIONS / f"{name}.xlsx"
        assert path.exists(), f"{path.name} is missing from forms/definitions/"
        form = load_form(path)
    engine = FormEngine.for_form(form)
    rng = random.Random(2026)
    answers = bench.filled(form, engine, rng)
    singles = bench.answerable(form)
    in_repeats = bench.repeat_questions(form)
    applied = 0
    while applied < 100:
        if in_repeats and rng.random() < 0.3:
            rep, child = rng.choice(in_repeats)
            count = len(get(answers, rep.path) or [])
            path = (*rep.path, rng.randint(0, count), *child.path[len(rep.path):])
            node = child
        else:
            node = rng.choice(singles)
            path = node.path
        if not engine.is_relevant(answers, path, now=bench.NOW):
            continue
        value = bench.random_value(node, form, rng)
        incremental, _ = engine.set_answer(answers, path, value, now=bench.NOW)
        full = engine.recompute_all(set_value(answers, path, value), now=bench.NOW)
        assert incremental == full, (path, value)
        answers = incremental
        applied += 1
