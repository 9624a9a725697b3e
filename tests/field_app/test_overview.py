"""The record overview (ODK's form hierarchy), progress by questions, and when an
unanswered question says so: on the SDI household form, through the real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from field_app.core.navigation import Navigator
from field_app.core.overview import (
    ANSWERED,
    EMPTY,
    ERROR,
    GROUP,
    INFO,
    INSTANCE,
    MISSING,
    NOT_RELEVANT,
    QUESTION,
    REPEAT,
    first_problem,
    overview,
    problem_count,
)
from field_app.core.session import SurveySession
from field_app.core.store import Store
from forms.loader import load_form

FORMS = Path(__file__).resolve().parents[2] / "forms" / "definitions"
MEMBERS = ("household", "members")


@pytest.fixture
def nav(store: Store) -> Navigator:
    store.save_form(load_form(FORMS / "sdi_household_enumeration.xlsx").to_dict())
    nav = Navigator(SurveySession.start(store, "sdi_household_enumeration"))
    nav.set_answer(("structure_number",), "MSH-0142")
    nav.set_answer(("household_in_structure",), 1)
    nav.set_answer(("consent",), "yes")
    nav.set_answer(("household", "members_count"), 2)
    nav.set_answer((*MEMBERS, 0, "member_name"), "Amina Wanjiru")
    nav.set_answer((*MEMBERS, 0, "member_age"), 34)
    nav.set_answer((*MEMBERS, 0, "member_sex"), "female")
    nav.set_answer((*MEMBERS, 1, "member_age"), 3)
    return nav


def rows_by_path(nav: Navigator) -> dict:
    return {row.path: row for row in overview(nav)}


def test_every_group_member_and_question_with_its_state(nav: Navigator) -> None:
    rows = rows_by_path(nav)
    assert rows[("structure_number",)].state == ANSWERED
    assert rows[("structure_number",)].detail == "MSH-0142"
    assert rows[("consent_statement",)].state == INFO  # a note: nothing to answer
    assert rows[("consent",)].detail == "Yes"  # the choice's label, not its name
    assert rows[("consent_refused",)].state == NOT_RELEVANT
    assert rows[("consent_refused",)].page is None  # nowhere to go
    household = rows[("household",)]
    assert household.kind == GROUP and household.state == MISSING
    assert rows[("household", "phone")].state == EMPTY  # optional, unanswered
    assert rows[("household", "head_name")].state == MISSING
    assert rows[MEMBERS].kind == REPEAT and rows[MEMBERS].detail == "2"
    first, second = rows[(*MEMBERS, 0)], rows[(*MEMBERS, 1)]
    assert first.kind == INSTANCE and first.label == "Household member 1: Amina Wanjiru, 34"
    assert second.label == "Household member 2: 3"  # only the age is known yet
    assert rows[(*MEMBERS, 1, "schooling")].state == NOT_RELEVANT  # a 3-year-old
    assert rows[(*MEMBERS, 0, "member_sex")].detail == "Female"
    # Each row goes to the page showing it; an instance to its own page.
    assert nav.pages[first.page].where == (*MEMBERS, 0)
    assert nav.pages[second.page].where == (*MEMBERS, 1)
    assert nav.pages[rows[("household", "tenure")].page].where == ("household",)
    assert ("meta",) not in rows  # a group with nothing to show is not listed


def test_depth_follows_the_form_tree(nav: Navigator) -> None:
    rows = rows_by_path(nav)
    assert rows[("consent",)].depth == 0
    assert rows[("household", "head_name")].depth == 1
    assert rows[MEMBERS].depth == 1 and rows[(*MEMBERS, 0)].depth == 2
    assert rows[(*MEMBERS, 0, "member_name")].depth == 3


def test_a_broken_rule_is_an_error_and_the_first_problem_is_in_form_order(
        nav: Navigator) -> None:
    nav.set_answer((*MEMBERS, 0, "member_age"), 500)
    rows = overview(nav)
    by_path = {r.path: r for r in rows}
    assert by_path[(*MEMBERS, 0, "member_age")].state == ERROR
    assert by_path[(*MEMBERS, 0)].state == ERROR  # the member shows it too
    problem = first_problem(rows)
    assert problem is not None and problem.path == ("household", "head_name")
    assert problem.kind == QUESTION and problem.state == MISSING
    before = problem_count(rows)
    nav.set_answer(("household", "head_name"), "Amina Wanjiru")
    rows = overview(nav)
    assert problem_count(rows) == before - 1
    assert first_problem(rows).path == (*MEMBERS, 0, "member_age")


def test_progress_counts_questions_that_apply(nav: Navigator) -> None:
    answered, total = nav.counts()
    rows = overview(nav)
    to_answer = [r for r in rows if r.kind == QUESTION and r.state not in (NOT_RELEVANT, INFO)
                 and nav.engine.node(r.path).type != "calculate"]
    # Number, household number, consent, count; member 1 name, age, sex; member 2 age.
    assert answered == 8 == len([r for r in to_answer if r.state == ANSWERED])
    assert total == len(to_answer) and nav.progress == pytest.approx(8 / total)
    nav.set_answer(("consent",), "no")  # nothing else applies: the rest does not count
    assert nav.counts() == (3, 3) and nav.progress == 1.0


def test_answer_needed_shows_only_once_passed_or_asked_to_finish(nav: Navigator) -> None:
    head = ("household", "head_name")
    tenure = ("household", "tenure")
    assert not nav.needs_attention(head)
    nav.go(nav.page_of(head))
    assert not nav.needs_attention(head)  # on its page, not yet passed
    nav.next()  # moved on without answering
    assert nav.needs_attention(head)
    assert not nav.needs_attention(tenure)  # that page is not reached yet
    nav.ask_to_finish()
    assert nav.needs_attention(tenure)


def test_removing_a_member_moves_the_marks_of_those_after(nav: Navigator) -> None:
    nav.add_instance(MEMBERS)  # a third member
    nav.go_instance(MEMBERS, 2)
    nav.next()
    assert nav.needs_attention((*MEMBERS, 2, "member_name"))
    nav.remove_instance_at(MEMBERS, 1)
    assert nav.needs_attention((*MEMBERS, 1, "member_name"))
    assert not nav.needs_attention((*MEMBERS, 2, "member_name"))
    assert [nav.instance_summary(MEMBERS, i) for i in nav.instances(MEMBERS)] == [
        "Amina Wanjiru, 34", ""]
