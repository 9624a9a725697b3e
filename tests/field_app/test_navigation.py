"""Moving through the SDI household form page by page, as the form screen does."""

from __future__ import annotations

from pathlib import Path

import pytest

from field_app.core import listing, outbox, records
from field_app.core.navigation import Navigator, form_language
from field_app.core.session import SurveySession
from field_app.core.store import Store, open_store
from forms.loader import load_form
from forms.spec import FormSpec, Node

FORMS = Path(__file__).resolve().parents[2] / "forms" / "definitions"
MEMBERS = ("household", "members")


@pytest.fixture(scope="module")
def household() -> dict:
    return load_form(FORMS / "sdi_household_enumeration.xlsx").to_dict()


@pytest.fixture
def device(store: Store, household: dict) -> Store:
    store.save_form(household)
    return store


def titles(nav: Navigator) -> list[str]:
    return [f"{p.title}:{p.index}" if p.repeat else p.title for p in nav.pages]


def test_groups_and_members_are_pages_and_follow_consent(device: Store) -> None:
    nav = Navigator(SurveySession.start(device, "sdi_household_enumeration"))
    assert titles(nav) == ["SDI household enumeration"]  # nothing applies before consent
    assert nav.page.questions == (("structure_number",), ("household_in_structure",),
                                  ("consent_statement",), ("consent",))  # links hidden
    nav.set_answer(("consent",), "yes")
    assert titles(nav) == ["SDI household enumeration", "Household",
                           "Household member:None", "Household"]
    nav.set_answer(("household", "members_count"), 2)  # the count adds two members
    assert titles(nav) == ["SDI household enumeration", "Household", "Household member:0",
                           "Household member:1", "Household"]
    nav.set_answer(("consent",), "no")
    assert titles(nav) == ["SDI household enumeration"]
    assert ("consent_refused",) in nav.page.questions


def test_relevance_hides_a_question_on_the_page_live(device: Store) -> None:
    nav = Navigator(SurveySession.start(device, "sdi_household_enumeration"))
    nav.set_answer(("consent",), "yes")
    nav.add_instance(MEMBERS)
    member = (*MEMBERS, 0)
    assert nav.page.where == member
    nav.set_answer((*member, "member_age"), 30)
    assert (*member, "occupation") in nav.page.questions
    nav.set_answer((*member, "member_age"), 3)
    assert (*member, "schooling") not in nav.page.questions
    assert (*member, "occupation") not in nav.page.questions


def test_progress_next_back_and_resume_where_they_stopped(device: Store) -> None:
    session = SurveySession.start(device, "sdi_household_enumeration")
    nav = Navigator(session)
    assert nav.counts() == (0, 3)  # number, household in structure, consent (a note: no)
    nav.set_answer(("consent",), "yes")
    nav.set_answer(("household", "members_count"), 1)
    answered, total = nav.counts()
    assert answered == 2 and total > 20 and nav.progress == pytest.approx(2 / total)
    nav.next()
    nav.next()
    assert nav.page.where == (*MEMBERS, 0) and nav.progress == pytest.approx(2 / total)
    nav.go(len(nav.pages) - 1)  # the last page reached is not "done"
    assert nav.at_end and nav.progress < 0.2
    nav.go(2)
    nav.back()
    assert nav.page.where == ("household",)
    nav.next()
    again = Navigator(SurveySession.open(device, session.record_id))
    assert again.page.where == (*MEMBERS, 0)


def test_add_remove_and_jump_between_members(device: Store) -> None:
    nav = Navigator(SurveySession.start(device, "sdi_household_enumeration"))
    nav.set_answer(("consent",), "yes")
    for i, name in enumerate(["Amina", "Juma", "Zawadi"]):
        nav.add_instance(MEMBERS)
        nav.set_answer((*MEMBERS, i, "member_name"), name)
    assert nav.page.index == 2 and nav.page.count == 3
    nav.jump_to((*MEMBERS, 1, "member_name"))
    assert nav.page.index == 1
    nav.remove_instance()  # Juma goes; Zawadi keeps her answers and id
    members = nav.session.answers["household"]["members"]
    assert [m["member_name"] for m in members] == ["Amina", "Zawadi"]
    assert nav.page.index == 0
    stored = records.get_record(nav.session.store, nav.session.record_id)["answers"]
    assert [m["member_name"] for m in stored["household"]["members"]] == ["Amina", "Zawadi"]


def test_every_answer_is_saved_at_once(store_path: Path, household: dict) -> None:
    store = open_store(store_path)
    store.save_form(household)
    nav = Navigator(SurveySession.start(store, "sdi_household_enumeration"))
    nav.set_answer(("structure_number",), "KB-045")
    record_id = nav.session.record_id
    store.close()  # no save() call: the answer must already be on disk
    reopened = open_store(store_path)
    assert records.get_record(reopened, record_id)["answers"]["structure_number"] == "KB-045"
    reopened.close()


def test_missing_answers_block_finalize_and_say_where(device: Store) -> None:
    nav = Navigator(SurveySession.start(device, "sdi_household_enumeration"))
    nav.set_answer(("consent",), "yes")
    nav.set_answer(("household", "members_count"), 1)
    nav.set_answer(("structure_number",), "kb 45")
    missing = nav.missing()
    codes = {(p.path, p.code) for p, _ in missing}
    assert (("structure_number",), "constraint") in codes
    assert (("household", "members", 0, "member_name"), "required") in codes
    assert nav.session.finalize() != []
    page = dict((p.path, i) for p, i in missing)[("household", "members", 0, "member_age")]
    nav.go(page)
    assert nav.page.where == (*MEMBERS, 0)
    assert nav.question_label((*MEMBERS, 0, "member_age")) == "Age in years (1)"


def test_constraint_message_comes_from_the_form_in_its_language(device: Store) -> None:
    form = FormSpec.from_dict(device.form("sdi_household_enumeration"))
    session = SurveySession.start(device, form.id,
                                  language=form_language(form.languages, "fr"))
    session.set_answer(("household_in_structure",), 500)
    [problem] = session.problems
    assert problem.code == "constraint"
    assert problem.message == session.problem_at(("household_in_structure",)).message
    assert problem.message and "1" in problem.message


DEFAULTS = FormSpec(id="defaults", version="1", title="Defaults", children=(
    Node(kind="question", type="text", name="city", path=("city",), default="Nairobi"),
    Node(kind="question", type="integer", name="rooms", path=("rooms",), default="1"),
    Node(kind="question", type="date", name="day", path=("day",), default="today()"),
    Node(kind="repeat", type="repeat", name="people", path=("people",), children=(
        Node(kind="question", type="select_one", name="sex", path=("people", "sex"),
             default="female", list_name="sex"),
    )),
))


def test_defaults_apply_when_a_record_and_a_member_start(store: Store) -> None:
    store.save_form(DEFAULTS.to_dict())
    session = SurveySession.start(store, "defaults")
    assert session.answers["city"] == "Nairobi" and session.answers["rooms"] == 1
    assert "day" not in session.answers  # expressions are not literal defaults
    assert records.get_record(store, session.record_id)["answers"]["city"] == "Nairobi"
    index, _ = session.add_instance(("people",))
    assert session.answers["people"][index]["sex"] == "female"


def test_finalize_then_edit_makes_new_changes(device: Store) -> None:
    from test_survey_session import fill_household

    session = SurveySession.start(device, "sdi_household_enumeration")
    fill_household(session)
    assert session.finalize() == []
    assert records.get_record(device, session.record_id)["status"] == "finalized"
    nav = Navigator(SurveySession.open(device, session.record_id))
    device.db.execute("UPDATE outbox SET sent_at = 'x'")  # as if synced
    assert listing.list_records(device)[0].status == listing.SENT
    nav.set_answer(("household", "head_name"), "Amina W.")
    saved = records.get_record(device, session.record_id)
    assert saved["answers"]["household"]["head_name"] == "Amina W."
    assert records.get_record(device, session.record_id)["status"] == "finalized"
    # The correction is queued to be sent at the next sync.
    assert listing.list_records(device)[0].status == listing.WAITING
    [op] = outbox.pending_queued(device)
    assert "Amina W." in op.text
