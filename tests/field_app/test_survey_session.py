"""Filling in the SDI household form through a survey session, as the screens do."""

from __future__ import annotations

from pathlib import Path

import pytest

from field_app.core import outbox, records
from field_app.core.session import FormNotOnDeviceError, SurveySession
from field_app.core.store import Store
from forms.loader import load_form

HOUSEHOLD_FORM = (Path(__file__).resolve().parents[2] / "forms" / "definitions"
                  / "sdi_household_enumeration.xlsx")


@pytest.fixture(scope="module")
def form_dict() -> dict:
    return load_form(HOUSEHOLD_FORM).to_dict()


@pytest.fixture
def device(store: Store, form_dict: dict) -> Store:
    store.save_form(form_dict)
    return store


def fill_household(s: SurveySession) -> None:
    answers = [
        (("structure_number",), "KB-045"), (("household_in_structure",), 1),
        (("consent",), "yes"),
        (("household", "head_name"), "Amina Wanjiru"), (("household", "members_count"), 2),
        (("household", "members", 0, "member_name"), "Amina Wanjiru"),
        (("household", "members", 0, "member_age"), 34),
        (("household", "members", 0, "member_sex"), "female"),
        (("household", "members", 0, "relationship"), "head"),
        (("household", "members", 0, "schooling"), "secondary"),
        (("household", "members", 0, "occupation"), "self_employed"),
        (("household", "members", 1, "member_name"), "Juma"),
        (("household", "members", 1, "member_age"), 3),
        (("household", "members", 1, "member_sex"), "male"),
        (("household", "members", 1, "relationship"), "child"),
        (("household", "tenure"), "tenant"), (("household", "monthly_rent"), 1500),
        (("household", "years_in_settlement"), 6),
        (("household", "water_source"), "shared_tap"),
        (("household", "toilet"), "shared"), (("household", "electricity"), "none"),
        (("household", "income_band"), "half_to_one_min_wage"),
        (("household", "disasters"), ["fires"]), (("household", "evicted_before"), "no"),
        (("household", "savings_member"), "yes"),
    ]
    for path, value in answers:
        s.set_answer(path, value)


def test_a_household_filled_screen_by_screen_travels_as_one_op(device: Store,
                                                              form_dict: dict) -> None:
    s = SurveySession.start(device, "sdi_household_enumeration", settlement_id="s-kibera")
    fill_household(s)
    s.save()
    assert s.finalize() == [], [p.to_dict() for p in s.finalize()]
    record = records.get_record(device, s.record_id)
    hh = record["answers"]["household"]
    assert record["status"] == "finalized" and record["settlement_id"] == "s-kibera"
    assert hh["household_size"] == 2 and hh["children_under_5"] == 1, "calculations ran"
    assert all(m["__id"] for m in hh["members"]), "every member has a stable id"
    ops = outbox.pending(device)
    assert len(ops) == 1 and ops[0]["record_id"] == s.record_id
    assert ops[0]["meta"] == {"links": {"settlement_id": "s-kibera"}}


def test_finalize_refuses_an_incomplete_record_and_keeps_the_draft(device: Store) -> None:
    s = SurveySession.start(device, "sdi_household_enumeration")
    s.set_answer(("structure_number",), "KB-045")
    s.save()
    problems = s.finalize()
    assert any(p.code == "required" for p in problems)
    assert records.get_record(device, s.record_id)["status"] == "draft"
    assert outbox.pending(device) == []


def test_hidden_answers_are_not_saved(device: Store) -> None:
    s = SurveySession.start(device, "sdi_household_enumeration")
    fill_household(s)
    s.save()
    s.set_answer(("household", "tenure"), "owner")  # rent is no longer asked
    s.save()
    # Cleared for everyone: the answer is written as "no answer" (None), not left behind.
    saved = records.get_record(device, s.record_id)
    assert saved["answers"]["household"].get("monthly_rent") is None
    assert outbox.counts(device).held >= 1


def test_a_reopened_record_keeps_member_ids_and_corrections_are_small(device: Store) -> None:
    s = SurveySession.start(device, "sdi_household_enumeration")
    fill_household(s)
    assert s.finalize() == []
    ids = [m["__id"] for m in s.answers["household"]["members"]]
    again = SurveySession.open(device, s.record_id)
    assert [m["__id"] for m in again.answers["household"]["members"]] == ids
    again.set_answer(("household", "members", 1, "member_age"), 4)
    again.save()
    correction = outbox.pending(device)[-1]
    assert set(correction["fields"]) >= {f"household/members[{ids[1]}]/member_age"}
    assert len(correction["fields"]) <= 6, "only what changed (and what it recomputed)"


def test_constraint_problems_show_while_typing(device: Store) -> None:
    s = SurveySession.start(device, "sdi_household_enumeration")
    s.set_answer(("structure_number",), "not a number")
    assert [p.code for p in s.problems] == ["constraint"]
    s.set_answer(("structure_number",), "KB-045")
    assert s.problems == []


def test_a_form_not_yet_downloaded_says_sync_first(store: Store) -> None:
    with pytest.raises(FormNotOnDeviceError, match="sync to download"):
        SurveySession.start(store, "sdi_household_enumeration")


def test_a_calculation_conflict_settles_itself_on_the_next_save(tmp_path: Path,
                                                                form_dict: dict) -> None:
    """Two enumerators correct different members' ages of one household: both devices
    recompute 'children under five' differently. Nobody typed that field, so the next
    save of the merged record writes the recomputed value and the conflict is gone."""
    from refserver import ENROL_CODE, RefServer

    from client.api import SyncApi
    from client.transport import HttpTransport
    from field_app.core.store import open_store
    from field_app.core.sync_runner import enrol, run_sync

    server = RefServer()

    def tablet(name: str) -> Store:
        s = open_store(tmp_path / f"{name}.db", device_name=name)
        s.save_form(form_dict)
        with HttpTransport(server.url) as t:
            enrol(s, SyncApi(t), ENROL_CODE)
        return s

    def sync(s: Store) -> None:
        with HttpTransport(server.url, s.device.token) as t:
            run_sync(s, SyncApi(t))

    try:
        a, b = tablet("a"), tablet("b")
        session = SurveySession.start(a, "sdi_household_enumeration")
        fill_household(session)  # Amina 34, Juma 3: one child under five
        assert session.finalize() == []
        sync(a)
        sync(b)
        rid = session.record_id
        on_a, on_b = SurveySession.open(a, rid), SurveySession.open(b, rid)
        on_a.set_answer(("household", "members", 1, "member_age"), 6)  # a: no child < 5
        on_a.save()
        on_b.set_answer(("household", "members", 0, "member_age"), 4)  # b: two (typo fix)
        on_b.save()
        sync(a)
        sync(b)
        sync(a)
        assert "household/children_under_5" in records.get_record(a, rid)["conflicts"]
        again = SurveySession.open(a, rid)
        assert again.answers["household"]["children_under_5"] == 1  # recomputed on merge
        again.save()
        assert records.get_record(a, rid)["conflicts"] == []
        sync(a)
        sync(b)
        assert records.get_record(b, rid)["conflicts"] == []
        assert records.get_record(b, rid)["answers"]["household"]["children_under_5"] == 1
        a.close()
        b.close()
    finally:
        server.close()
