"""Property: any well-formed form loads with every question where and as it was written.

Hypothesis writes random forms (types, names, labels in 0-3 languages, groups and
repeats, selects with their lists) as a dict of sheets; the FormSpec must hold each
question at its path with its canonical type, label, expressions and row number, and
its JSON must round-trip exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms import FormSpec, load_form
from forms.spec import DEFAULT_LANG

LANGUAGES = ["English (en)", "Français (fr)", "Kiswahili (sw)"]
SIMPLE_TYPES = {
    "text": "text", "integer": "integer", "decimal": "decimal", "date": "date",
    "geopoint": "geopoint", "note": "note", "select_one fruit": "select_one",
    "select_multiple fruit": "select_multiple", "rank fruit": "rank", "int": "integer",
    "image": "image", "barcode": "barcode",
}

words = st.lists(
    st.text(alphabet="abcdefghijklmnoprstuvwyzéñü", min_size=1, max_size=8),
    min_size=1, max_size=4,
).map(" ".join)
names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: n not in {"meta", "data", "fruit"} and not n.endswith(("_other", "_count"))
)


@dataclass(frozen=True)
class Question:
    written: str
    name: str
    labels: tuple[str, ...]
    relevant: str | None


@st.composite
def forms(draw):
    languages = draw(st.sampled_from([[], LANGUAGES[:1], LANGUAGES[:2], LANGUAGES]))
    label_columns = [f"label::{lang}" for lang in languages] or ["label"]
    question_names = draw(st.lists(names, min_size=1, max_size=12, unique=True))
    questions = []
    for i, name in enumerate(question_names):
        written = draw(st.sampled_from(sorted(SIMPLE_TYPES)))
        labels = tuple(draw(words) for _ in label_columns)
        # Refer back to an earlier question now and then.
        relevant = (f"${{{question_names[i - 1]}}} != ''"
                    if i and draw(st.booleans()) else None)
        questions.append(Question(written, name, labels, relevant))
    # Wrap a slice of the questions in a group or a repeat (or not).
    wrap = draw(st.sampled_from([None, "group", "repeat"]))
    start = draw(st.integers(0, len(questions) - 1))
    end = draw(st.integers(start + 1, len(questions)))
    return languages, label_columns, questions, wrap, start, end


def to_sheets(languages, label_columns, questions, wrap, start, end):
    survey, expected = [], {}
    container = None
    for i, q in enumerate(questions):
        if wrap and i == start:
            container = "wrapper"
            survey.append({"type": f"begin {wrap}", "name": container,
                           **dict(zip(label_columns, q.labels, strict=True))})
        row = {"type": q.written, "name": q.name, **dict(zip(label_columns, q.labels, strict=True))}
        if q.relevant:
            row["relevant"] = q.relevant
        survey.append(row)
        path = (container, q.name) if container else (q.name,)
        expected[path] = (q, len(survey) + 1)  # +1: row 1 holds the column names
        if wrap and i == end - 1:
            survey.append({"type": f"end {wrap}"})
            container = None
    choice_labels = [dict(zip(label_columns, (f"{n} {c}" for c in label_columns), strict=True))
                     for n in ("mango", "papaya")]
    choices = [{"list_name": "fruit", "name": n, **labels}
               for n, labels in zip(("mango", "papaya"), choice_labels, strict=True)]
    sheets = {"survey": survey, "choices": choices,
              "settings": [{"form_id": "random_form", "version": "1"}]}
    if languages:
        sheets["settings"][0]["default_language"] = languages[0]
    return sheets, expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forms())
def test_random_forms_load_completely(form) -> None:
    languages = form[0]
    sheets, expected = to_sheets(*form)
    spec = load_form(sheets)
    assert spec.languages == tuple(languages)
    for path, (q, row) in expected.items():
        node = spec.node(path)
        assert node.type == SIMPLE_TYPES[q.written]
        assert node.row == row
        keys = languages or [DEFAULT_LANG]
        assert node.label == dict(zip(keys, q.labels, strict=True))
        assert node.relevant == q.relevant
        if node.type in ("select_one", "select_multiple", "rank"):
            assert node.list_name == "fruit"
    assert {n.path for n in spec.questions if n.row is not None} == set(expected)
    assert FormSpec.from_json(spec.to_json()) == spec
