"""The dependency graph: cycles refused with a clear message, references resolved."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from forms import FormError, FormSpec, load_form
from forms.dependencies import (
    REL,
    SHARED,
    VAL,
    Item,
    build_graph,
    check_cycles,
    references,
)
from forms.spec import Node


def md_form(tmp_path: Path, text: str) -> FormSpec:
    path = tmp_path / "form.md"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_form(path)


def q(name: str, type_: str = "integer", parent: tuple[str, ...] = (), **kw: object) -> Node:
    return Node("question", type_, name, (*parent, name), **kw)  # type: ignore[arg-type]


def test_a_calculation_cycle_is_refused_when_the_form_loads(tmp_path: Path) -> None:
    form_file = tmp_path / "cycle.md"
    form_file.write_text(textwrap.dedent("""
        | survey |
        |        | type      | name        | label      | calculation                     |
        |        | integer   | households  | Households |                                 |
        |        | calculate | population  |            | ${households} * ${avg_size}     |
        |        | calculate | avg_size    |            | ${population} div ${households} |
        | settings |
        |          | version |
        |          | 1       |
    """), encoding="utf-8")
    with pytest.raises(FormError) as caught:
        load_form(form_file)
    [problem] = caught.value.problems
    assert problem.code == "form.calculation_cycle"
    assert "population -> avg_size -> population" in problem.message
    assert "survey rows 3, 4" in problem.message  # header is row 1
    assert problem.row == 3


def test_relevance_conditions_that_hide_each_other_are_a_cycle() -> None:
    form = FormSpec(id="c", version="1", title="c", children=(
        q("has_toilet", "text", relevant="${toilet_type} != ''", row=2),
        q("toilet_type", "text", relevant="${has_toilet} = 'yes'", row=3),
    ))
    with pytest.raises(FormError) as caught:
        check_cycles(form)
    message = caught.value.problems[0].message
    assert "has_toilet -> toilet_type -> has_toilet" in message
    assert "rows 2, 3" in message


def test_a_calculation_reading_itself_is_the_once_idiom_not_a_cycle() -> None:
    form = FormSpec(id="once", version="1", title="once", children=(
        q("first_seen", "calculate", calculation="if(. = '', now(), .)"),
    ))
    check_cycles(form)  # does not raise


def test_a_long_chain_without_a_circle_is_fine() -> None:
    form = FormSpec(id="chain", version="1", title="chain", children=(
        q("a"),
        q("b", "calculate", calculation="${a} + 1"),
        q("c", "calculate", calculation="${b} + ${a}"),
        q("d", relevant="${c} > 3"),
    ))
    check_cycles(form)


def test_the_order_puts_what_is_read_before_what_reads_it() -> None:
    form = FormSpec(id="order", version="1", title="order", children=(
        q("per_tap", "calculate", calculation="${population} div ${taps}"),
        q("population", "calculate", calculation="${households} * 5"),
        q("households"),
        q("taps"),
    ))
    order = build_graph(form).order
    position = {item: i for i, item in enumerate(order)}
    assert position[Item(VAL, ("households",))] < position[Item(VAL, ("population",))]
    assert position[Item(VAL, ("population",))] < position[Item(VAL, ("per_tap",))]
    assert position[Item(VAL, ("taps",))] < position[Item(VAL, ("per_tap",))]


def test_relative_paths_are_edges_that_stay_in_the_instance() -> None:
    members = ("members",)
    form = FormSpec(id="rel", version="1", title="rel", children=(
        Node("repeat", "repeat", "members", members, children=(
            q("c", "select_one", members, list_name="l"),
            q("c_other", "text", members, relevant="selected(../c, 'other')"),
        )),
        q("total", "calculate", calculation="count(/data/members/c)"),
    ))
    graph = build_graph(form)
    edges = {(e.target, e.local) for e in graph.successors[Item(VAL, ("members", "c"))]}
    assert (Item(REL, ("members", "c_other")), 1) in edges  # same member only
    assert (Item(VAL, ("total",)), 0) in edges  # every member


HH = ("hh",)
MEMBERS = ("hh", "members")
NESTED = FormSpec(id="nested", version="1", title="nested", children=(
    Node("repeat", "repeat", "hh", HH, children=(
        q("size", parent=HH),
        Node("repeat", "repeat", "members", MEMBERS, children=(
            q("age", parent=MEMBERS),
            q("c", "text", parent=MEMBERS),
            q("c_other", "text", parent=MEMBERS),
        )),
    )),
    q("country", "text"),
    q("city", "text"),
))


@pytest.mark.parametrize(
    ("expression", "context", "expected"),
    [
        # (reads path, local): local = leading names shared with the reader's instance
        ("selected(../c, 'other')", ("hh", "members", "c_other"),
         [(("hh", "members", "c"), 2)]),
        ("../../size > 3", ("hh", "members", "age"), [(("hh", "size"), 1)]),
        ("/data/hh/size", ("city",), [(("hh", "size"), 0)]),
        ("sum(/household/hh[1]/members/age)", ("city",),
         [(("hh",), 0), (("hh", "members", "age"), 0)]),  # [1] reads the list of hh
        ("current()/../country", ("city",), [(("country",), 0)]),
        (". > 0", ("hh", "members", "age"), [(("hh", "members", "age"), 3)]),
        # A predicate reads its paths relative to what it filters, in every instance.
        ("count(${members}[age < 5])", ("hh", "size"),
         [(("hh", "members"), SHARED), (("hh", "members", "age"), 1)]),
        ("instance('cities')/root/item[country = ${country}]/name", ("city",),
         [(("country",), SHARED)]),
        ("count(//age)", ("city",), []),
    ],
)
def test_references_are_resolved_from_where_they_are_written(
    expression: str, context: tuple[str, ...], expected: list
) -> None:
    names = {n.name: n for n in NESTED.walk()}
    found = references(names, expression, context)
    assert sorted((r.path, r.local) for r in found) == sorted(expected)


def test_the_household_form_loads_without_cycles(tmp_path: Path) -> None:
    form = md_form(tmp_path, """
        | survey |
        |        | type         | name    | label | calculation          | relevant        |
        |        | begin_repeat | members | Members |                    |                 |
        |        | integer      | age     | Age   |                      |                 |
        |        | calculate    | is_u5   |       | if(${age} < 5, 1, 0) |                 |
        |        | end_repeat   |         |       |                      |                 |
        |        | calculate    | u5      |       | sum(${is_u5})        |                 |
        |        | text         | clinic  | Clinic |                     | ${u5} > 0       |
    """)
    check_cycles(form)
    assert build_graph(form).acyclic
