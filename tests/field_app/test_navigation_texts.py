# ruff: noqa: E501  (markdown form tables are easier to read unwrapped)
"""What the form screen shows for labels, hints, titles and messages with ${name} in them."""

from __future__ import annotations

from pathlib import Path

import pytest

from field_app.core.navigation import Navigator, form_language
from field_app.core.session import SurveySession
from field_app.core.store import Store
from forms.loader import load_form
from forms.spec import FormSpec

FORMS = Path(__file__).resolve().parents[2] / "forms" / "definitions"
MEMBERS = ("household", "members")

ROSTER = """\
| survey |
| | type | name | label::English (en) | label::French (fr) | hint::English (en) | hint::French (fr) | constraint | constraint_message::English (en) | constraint_message::French (fr) |
| | integer | people | People | Personnes | | | | | |
| | select_one tenure | tenure | Tenure | Statut | | | | | |
| | begin_repeat | members | Member ${m_name} | Membre ${m_name} | | | | | |
| | text | m_name | Name | Nom | | | | | |
| | integer | age | Age of ${m_name} | Âge de ${m_name} | ${people} people, ${tenure} | ${people} personnes, ${tenure} | . < 120 | ${m_name} is not ${age} | ${m_name} n'a pas ${age} ans |
| | end_repeat | | | | | | | | |
| choices |
| | list_name | name | label::English (en) | label::French (fr) |
| | tenure | own | Owner | Propriétaire |
| | tenure | rent | Tenant | Locataire |
| settings |
| | form_id | version |
| | roster | 2026112701 |
"""


@pytest.fixture
def roster(store: Store, tmp_path: Path) -> Store:
    path = tmp_path / "roster.md"
    path.write_text(ROSTER)
    store.save_form(load_form(path).to_dict())
    return store


def test_a_label_hint_and_title_show_the_answers_they_name(roster: Store) -> None:
    session = SurveySession.start(roster, "roster", language="English (en)")
    nav = Navigator(session)
    nav.set_answer(("people",), 6)
    nav.set_answer(("tenure",), "rent")
    nav.add_instance(("members",))
    nav.set_answer(("members", 0, "m_name"), "Amina")
    nav.add_instance(("members",))
    nav.set_answer(("members", 1, "m_name"), "Baraka")
    age = ("members", 1, "age")
    assert nav.page.where == ("members", 1)
    assert nav.title() == "Member Baraka 2/2"
    assert nav.label_at(age) == "Age of Baraka"
    assert nav.hint_at(age) == "6 people, Tenant"
    assert nav.texts_change(age) and not nav.texts_change(("members", 1, "m_name"))
    assert nav.hint_at(("people",)) == ""
    # The texts follow the answers.
    nav.set_answer(("members", 1, "m_name"), "Bahati")
    nav.set_answer(("people",), 7)
    assert nav.title() == "Member Bahati 2/2"
    assert nav.label_at(age) == "Age of Bahati"
    assert nav.hint_at(age) == "7 people, Tenant"
    nav.go(nav.page_of(("members", 0, "age")))
    assert nav.title() == "Member Amina 1/2"
    assert nav.label_at(("members", 0, "age")) == "Age of Amina"


def test_a_member_without_a_name_yet_has_no_reference_in_the_title(roster: Store) -> None:
    nav = Navigator(SurveySession.start(roster, "roster", language="English (en)"))
    nav.add_instance(("members",))
    assert nav.title() == "Member 1/1"
    assert nav.label_at(("members", 0, "age")) == "Age of "


def test_messages_and_the_finish_list_show_the_answers_in_the_language(roster: Store) -> None:
    form = load_form_of(roster)
    session = SurveySession.start(roster, "roster",
                                  language=form_language(form.languages, "fr"))
    nav = Navigator(session)
    nav.set_answer(("tenure",), "own")
    nav.add_instance(("members",))
    nav.set_answer(("members", 0, "m_name"), "Amina")
    nav.set_answer(("members", 0, "age"), 150)
    assert session.problem_at(("members", 0, "age")).message == "Amina n'a pas 150 ans"
    [(problem, page)] = nav.missing()
    assert nav.pages[page].where == ("members", 0)
    assert problem.message == "Amina n'a pas 150 ans"
    assert nav.question_label(problem.path) == "Âge de Amina (1)"
    assert nav.hint_at(problem.path) == " personnes, Propriétaire"


def test_the_household_forms_head_check_note_counts_the_heads(store: Store) -> None:
    store.save_form(load_form(FORMS / "sdi_household_enumeration.xlsx").to_dict())
    nav = Navigator(SurveySession.start(store, "sdi_household_enumeration",
                                        language="English (en)"))
    nav.set_answer(("consent",), "yes")
    nav.set_answer(("household", "members_count"), 2)
    for i in range(2):
        nav.set_answer((*MEMBERS, i, "relationship"), "head")
    check = ("household", "head_check")
    assert nav.visible(check)
    assert nav.label_at(check) == (
        "Check the roster: exactly one person should be the head (now 2).")


def load_form_of(store: Store) -> FormSpec:
    return FormSpec.from_dict(store.form("roster"))


def test_a_message_naming_another_answer_follows_it(roster: Store) -> None:
    """The age constraint reads only the age, but its message names the member: renaming
    the member rebuilds the message at once, not only at finalize."""
    session = SurveySession.start(roster, "roster", language="English (en)")
    nav = Navigator(session)
    nav.add_instance(("members",))
    nav.set_answer(("members", 0, "m_name"), "Amina")
    nav.set_answer(("members", 0, "age"), 130)
    age = ("members", 0, "age")
    assert session.problem_at(age).message == "Amina is not 130"
    nav.set_answer(("members", 0, "m_name"), "Amina Otieno")
    assert session.problem_at(age).message == "Amina Otieno is not 130"
