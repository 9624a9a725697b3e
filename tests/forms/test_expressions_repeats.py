"""References inside and across repeats, paths, predicates and the evaluation context."""

from __future__ import annotations

import pytest

from forms.expressions import ExpressionError, compile_expression, evaluate
from forms.spec import FormSpec, Node


def q(name: str, *parents: str, type: str = "text") -> Node:
    return Node("question", type, name, (*parents, name))


FORM = FormSpec(
    id="enumeration",
    version="1",
    title="Household enumeration",
    children=(
        q("head"),
        q("hh_size", type="integer"),
        Node("group", "begin_group", "location", ("location",), children=(
            q("city", "location"),
        )),
        Node("repeat", "begin_repeat", "members", ("members",), children=(
            q("name", "members"),
            q("age", "members", type="integer"),
            q("total_income", "members", type="calculate"),
            Node("repeat", "begin_repeat", "jobs", ("members", "jobs"), children=(
                q("job", "members", "jobs"),
                q("income", "members", "jobs", type="integer"),
            )),
        )),
        Node("repeat", "begin_repeat", "visits", ("visits",), children=(q("visitor", "visits"),)),
    ),
)

ANSWERS = {
    "head": "Amina",
    "hh_size": 3,
    "location": {"city": "Nairobi"},
    "members": [
        {"name": "Amina", "age": 34, "jobs": [{"job": "trader", "income": 100},
                                               {"job": "tailor", "income": 50}]},
        {"name": "Juma", "age": 36, "jobs": [{"job": "driver", "income": 200}]},
        {"name": "Neema", "age": 9, "jobs": []},
    ],
}

# Every test runs with the form and without it: both must agree.
WITH_AND_WITHOUT_FORM = pytest.mark.parametrize("form", [FORM, None], ids=["form", "no-form"])


def ev(source: str, context: object = None, form: FormSpec | None = FORM,
       answers: dict | None = None) -> object:
    return evaluate(source, ANSWERS if answers is None else answers, context=context, form=form)


@WITH_AND_WITHOUT_FORM
def test_a_sibling_in_the_same_repeat_instance(form: FormSpec | None) -> None:
    assert ev("${age}", ("members", 1, "name"), form) == 36
    assert ev("${age}", "members[2]/name", form) == 36
    assert ev("${name}", "/data/members[3]/age", form) == "Neema"
    assert ev("${age} >= 18", ("members", 2, "name"), form) is False


@WITH_AND_WITHOUT_FORM
def test_from_outside_a_repeat_refs_mean_every_instance(form: FormSpec | None) -> None:
    assert ev("sum(${age})", None, form) == 79
    assert ev("count(${members})", ("hh_size",), form) == 3
    assert ev("${name}", None, form) == ["Amina", "Juma", "Neema"]
    assert ev("count(${members}) = ${hh_size}", ("hh_size",), form) is True


@WITH_AND_WITHOUT_FORM
def test_the_repeat_itself_from_inside_means_all_instances(form: FormSpec | None) -> None:
    assert ev("count(${members})", ("members", 0, "name"), form) == 3


@WITH_AND_WITHOUT_FORM
def test_outside_questions_from_inside_a_repeat(form: FormSpec | None) -> None:
    assert ev("${head} = ${name}", ("members", 0, "age"), form) is True
    assert ev("${head} = ${name}", ("members", 1, "age"), form) is False
    assert ev("${city}", ("members", 1, "age"), form) == "Nairobi"


@WITH_AND_WITHOUT_FORM
def test_nested_repeat_resolves_through_the_common_ancestor(form: FormSpec | None) -> None:
    # From a member: that member's jobs only.
    assert ev("sum(${income})", ("members", 0, "total_income"), form) == 150
    assert ev("sum(${income})", ("members", 1, "total_income"), form) == 200
    assert ev("count(${jobs})", ("members", 2, "total_income"), form) == 0
    # From inside a job: that job; the member's own fields are in reach too.
    assert ev("${income}", ("members", 0, "jobs", 1, "job"), form) == 50
    assert ev("concat(${name}, ':', ${job})", ("members", 0, "jobs", 1, "income"), form) == \
        "Amina:tailor"
    # From the top: every job of every member.
    assert ev("sum(${income})", None, form) == 350
    assert ev("count(${jobs})", None, form) == 3


@WITH_AND_WITHOUT_FORM
def test_dot_and_relative_paths(form: FormSpec | None) -> None:
    age = ("members", 1, "age")
    assert ev(".", age, form) == 36
    assert ev(". >= 0 and . < 120", age, form) is True
    assert ev("../name", age, form) == "Juma"
    assert ev("../../head", age, form) == "Amina"
    assert ev("count(../jobs)", age, form) == 1
    assert ev("./../name", age, form) == "Juma"
    assert ev("../jobs/income", age, form) == 200


@WITH_AND_WITHOUT_FORM
def test_position_of_the_repeat_instance(form: FormSpec | None) -> None:
    assert ev("position(..)", ("members", 1, "age"), form) == 2
    assert ev("position(..)", "members[3]/name", form) == 3
    job = ("members", 0, "jobs", 1, "job")
    assert ev("position(..)", job, form) == 2
    assert ev("position(../../..)", job, form) == 1
    assert ev("concat('member ', position(..), ' of ', count(${members}))",
              ("members", 1, "name"), form) == "member 2 of 3"


@WITH_AND_WITHOUT_FORM
def test_indexed_repeat(form: FormSpec | None) -> None:
    assert ev("indexed-repeat(${name}, ${members}, 2)", None, form) == "Juma"
    # From inside another instance it still means the instance asked for.
    assert ev("indexed-repeat(${name}, ${members}, 3)", ("members", 0, "age"), form) == "Neema"
    assert ev("indexed-repeat(${name}, ${members}, position(..) - 1)",
              ("members", 1, "age"), form) == "Amina"
    assert ev("indexed-repeat(${name}, ${members}, 9)", None, form) == ""
    assert ev("indexed-repeat(${job}, ${members}, 1, ${jobs}, 2)", None, form) == "tailor"
    assert ev("indexed-repeat(${income}, ${members}, 2, ${jobs}, 1) * 2", None, form) == 400


@WITH_AND_WITHOUT_FORM
def test_predicates(form: FormSpec | None) -> None:
    assert ev("count(${members}[age > 18])", None, form) == 2
    assert ev("${members}[age > 18]/name", None, form) == ["Amina", "Juma"]
    assert ev("/data/members[position() = 2]/age", None, form) == 36
    assert ev("/data/members[2]/name", None, form) == "Juma"
    assert ev("/data/members[last()]/name", None, form) == "Neema"
    assert ev("/data/members[age < 18][1]/name", None, form) == "Neema"
    assert ev("sum(/data/members/jobs[income >= 100]/income)", None, form) == 300
    # current() stays the question while `.` moves through the predicate.
    assert ev("count(/data/members[age > current()])", ("members", 0, "age"), form) == 1
    assert ev("count(/data/members[age > current()/../age])", ("members", 2, "name"), form) == 2


@WITH_AND_WITHOUT_FORM
def test_absolute_paths_are_contextualised_like_refs(form: FormSpec | None) -> None:
    assert ev("/data/members/age", ("members", 2, "name"), form) == 9
    assert ev("/data/members/age", None, form) == [34, 36, 9]
    assert ev("/data/location/city", None, form) == "Nairobi"
    assert ev("/enumeration/head", None, form) == "Amina"  # any root name is the record


@WITH_AND_WITHOUT_FORM
def test_descendants_and_wildcards(form: FormSpec | None) -> None:
    assert ev("count(//income)", None, form) == 3
    assert ev("sum(//age)", None, form) == 79
    assert ev("count(/data/members[1]/*)", None, form) == 4  # name, age, and two jobs


def test_unanswered_question_in_a_repeat_instance() -> None:
    answers = {"members": [{"name": "A"}, {"name": "B", "age": 5}]}
    assert evaluate("${age} = ''", answers, context=("members", 0, "name"), form=FORM) is True
    assert evaluate("${age} = ''", answers, context=("members", 0, "name")) is True
    assert evaluate("count-non-empty(${age})", answers, form=FORM) == 1
    assert evaluate("count(${age})", answers, form=FORM) == 2


def test_a_context_past_the_last_instance_reads_as_empty() -> None:
    assert ev(". = ''", ("members", 7, "age")) is True


def test_repeats_that_do_not_exist_yet_are_empty_with_a_form() -> None:
    assert ev("count(${visits})", None, FORM, {}) == 0
    assert ev("count(${visitor})", None, FORM, {}) == 0
    assert ev("${visitor} = ''", None, FORM, {}) is False  # no node to compare


def test_unknown_reference_with_a_form_is_an_error() -> None:
    with pytest.raises(ExpressionError, match=r"\$\{nobody\} refers to no question"):
        ev("${nobody} + 1")


def test_unknown_reference_without_a_form_is_an_empty_answer() -> None:
    assert ev("${nobody} = ''", None, None) is True


def test_duplicate_names_in_a_form_are_ambiguous() -> None:
    form = FormSpec(id="d", version="1", title="D", children=(
        q("x"), Node("group", "begin_group", "g", ("g",), children=(q("x", "g"),))))
    with pytest.raises(ExpressionError, match="ambiguous"):
        evaluate("${x}", {}, form=form)


@pytest.mark.parametrize("bad", ["members[0]/age", "members[x]/age", ("members", 1.5)])
def test_bad_context_is_rejected(bad: object) -> None:
    with pytest.raises(ExpressionError):
        ev(".", bad)


def test_the_form_index_is_built_once_per_form() -> None:
    from forms.xpath.tree import form_index

    assert form_index(FORM) is form_index(FORM)
    other = FormSpec.from_json(FORM.to_json())
    assert form_index(other) is not form_index(FORM)
    assert form_index(other).steps("income") == (("members", True), ("jobs", True),
                                                  ("income", False))


def test_evaluate_boolean_reads_expressions_as_relevance_does() -> None:
    c = compile_expression("${head}")
    assert c.evaluate_boolean({"head": "Amina"}) is True
    assert c.evaluate_boolean({"head": ""}) is False
    assert compile_expression("${age}").evaluate_boolean(ANSWERS, context="members[1]/name",
                                                         form=FORM) is True


def test_answers_may_be_any_mapping() -> None:
    from types import MappingProxyType

    frozen = MappingProxyType({"head": "Amina", "members": [{"age": 3}, {"age": 4}]})
    assert evaluate("concat(${head}, ':', sum(${age}))", frozen) == "Amina:7"
