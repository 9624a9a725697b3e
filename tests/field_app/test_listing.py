"""What the home and records screens list, from a real device store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from field_app.core import listing, records
from field_app.core.store import Store, open_store
from forms.spec import FormSpec, Node
from sync.ops import Op

SETTLEMENT = FormSpec(id="sdi_settlement_profile", version="1", title="Settlement profile")
STRUCTURE = FormSpec(id="sdi_structure_numbering", version="1", title="Structures")
HOUSEHOLD = FormSpec(id="sdi_household_enumeration", version="1", title="Households",
                     children=(Node(kind="question", type="text", name="structure_number",
                                    path=("structure_number",)),))


def test_settlements_structures_and_links(store: Store) -> None:
    for spec in (SETTLEMENT, STRUCTURE, HOUSEHOLD):
        store.save_form(spec.to_dict())
    mashimoni = records.create_record(store, "sdi_settlement_profile", "1", {
        "section_B": {"B7_Settlement_Name_Community": "Mashimoni"}})
    chaisa = records.create_record(store, "sdi_settlement_profile", "1",
                                   {"settlement_name": "Chaisa"})
    kb = records.create_record(store, "sdi_structure_numbering", "1", {
        "settlement_id": mashimoni, "structure_number": "MSH-0142"}, settlement_id=mashimoni)
    records.create_record(store, "sdi_structure_numbering", "1", {
        "settlement_id": chaisa, "structure_number": "CHS-2210"}, settlement_id=chaisa)
    assert listing.settlements(store) == [(chaisa, "Chaisa"), (mashimoni, "Mashimoni")]
    assert listing.structures(store, mashimoni) == [(kb, "MSH-0142")]
    assert listing.link_answers(store, mashimoni, kb) == {
        "settlement_id": mashimoni, "structure_id": kb, "structure_number": "MSH-0142"}
    summary = listing.home_summary(store)
    assert [(f.title, f.drafts) for f in summary.forms] == [
        ("Households", 0), ("Settlement profile", 2), ("Structures", 2)]
    assert summary.settlements[0][1] == "Chaisa" and summary.last_sync is None


def test_review_comments_and_conflicts_are_marked(store: Store) -> None:
    store.save_form(HOUSEHOLD.to_dict())
    plain = records.create_record(store, "sdi_household_enumeration", "1",
                                  {"structure_number": "A-1"})
    reviewed = records.create_record(store, "sdi_household_enumeration", "1",
                                     {"structure_number": "A-2"})
    conflicted = records.create_record(store, "sdi_household_enumeration", "1",
                                       {"structure_number": "A-3"})
    for record_id in (plain, reviewed, conflicted):
        records.finalize(store, record_id)
    with store.transaction() as db:
        db.execute("INSERT INTO review_notes (record_id, state, comment, reviewer, reviewed_at,"
                   " seq) VALUES (?, 'has_issues', 'Ages of the children look swapped',"
                   " 'leader', '2026-11-20T10:00:00Z', 7)", [reviewed])
        db.execute("UPDATE fields SET conflict = 1 WHERE record_id = ? AND path = ?",
                   [conflicted, "structure_number"])
    rows = {r.record_id: r for r in listing.list_records(store)}
    assert not rows[plain].flagged
    assert rows[reviewed].flagged and rows[reviewed].review_comment == (
        "Ages of the children look swapped")
    assert rows[conflicted].flagged and rows[conflicted].conflicts == ("structure_number",)
    assert {r.status for r in rows.values()} == {listing.WAITING}
    assert [r.record_id for r in listing.list_records(store, search="a-2")] == [reviewed]
    assert listing.list_records(store, status=listing.DRAFT) == []
    assert [r.review_state for r in listing.list_records(store, record_id=reviewed)] == [
        "has_issues"]


#: The other tablet's wall clock (ms), set by each test.
OTHER_CLOCK = [0]


def received(store: Store, other: Store, form_id: str, answers: dict, at_ms: int,
             **links: str) -> str:
    """A record another tablet made at `at_ms`, arriving here as a sync would bring it."""
    OTHER_CLOCK[0] = at_ms
    record_id = records.create_record(other, form_id, "1", answers, **links)
    records.finalize(other, record_id)
    from field_app.core import outbox

    with store.transaction():
        for op in outbox.pending(other):
            if op["record_id"] == record_id:
                records.apply_op(store, Op.from_wire(op))
    return record_id


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "other.db", device_name="tablet-99",
                   now_ms=lambda: OTHER_CLOCK[0])
    yield s
    s.close()


def test_my_work_is_apart_from_records_received_for_reference(store: Store,
                                                              other: Store) -> None:
    for spec in (SETTLEMENT, STRUCTURE, HOUSEHOLD):
        store.save_form(spec.to_dict())
    made_at = 1_780_000_000_000  # 2026-05-28T20:26:40Z, long before this test runs
    theirs = received(store, other, "sdi_household_enumeration", {"structure_number": "B-7"},
                      made_at)
    mine = records.create_record(store, "sdi_household_enumeration", "1",
                                 {"structure_number": "A-1"})
    rows = {r.record_id: r for r in listing.list_records(store)}
    assert rows[mine].mine and not rows[theirs].mine
    assert rows[theirs].made_at == rows[theirs].changed_at == "2026-05-28T20:26:40.000Z"
    assert rows[theirs].updated_at > rows[theirs].made_at  # stored here at sync time
    assert [r.record_id for r in listing.list_records(store, mine=True)] == [mine]
    assert [r.record_id for r in listing.list_records(store, mine=False)] == [theirs]
    households = next(f for f in listing.home_summary(store).forms if f.title == "Households")
    assert (households.drafts, households.sent, households.reference) == (1, 0, 1)


def test_dates_and_orders_of_the_records_list(store: Store, other: Store) -> None:
    store.save_form(HOUSEHOLD.to_dict())
    old = received(store, other, "sdi_household_enumeration", {"structure_number": "MSH-10"},
                   1_780_000_000_000)
    new = received(store, other, "sdi_household_enumeration", {"structure_number": "MSH-2"},
                   1_790_000_000_000)
    # The old one is corrected later by its author: it becomes the last changed.
    OTHER_CLOCK[0] = 1_795_000_000_000
    records.save_answer(other, old, "structure_number", "MSH-10")  # unchanged value: no op
    op_id = records.save_answer(other, old, "head_name", "Grace")
    from field_app.core import outbox

    with store.transaction():
        records.apply_op(store, Op.from_wire(
            next(o for o in outbox.pending(other) if o["op_id"] == op_id)))
    assert [r.record_id for r in listing.list_records(store)] == [old, new]
    assert [r.record_id for r in listing.list_records(store, sort="made")] == [new, old]
    assert [r.title for r in listing.list_records(store, sort="name")] == ["MSH-2", "MSH-10"]
    with pytest.raises(ValueError, match="sort"):
        listing.list_records(store, sort="size")


def test_returned_records_are_a_filter_of_their_own(store: Store) -> None:
    store.save_form(HOUSEHOLD.to_dict())
    back = records.create_record(store, "sdi_household_enumeration", "1",
                                 {"structure_number": "A-2"})
    records.create_record(store, "sdi_household_enumeration", "1", {"structure_number": "A-3"})
    with store.transaction() as db:
        db.execute("INSERT INTO review_notes (record_id, state, comment, reviewer, reviewed_at,"
                   " seq) VALUES (?, 'rejected', 'Wrong structure', 'leader',"
                   " '2026-11-20T10:00:00Z', 7)", [back])
    assert [r.record_id for r in listing.list_records(store, status=listing.RETURNED)] == [back]
    assert listing.home_summary(store).forms[0].returned == 1


def test_structures_are_found_by_their_painted_number_and_recent_ones_come_first(
        store: Store) -> None:
    for spec in (SETTLEMENT, STRUCTURE, HOUSEHOLD):
        store.save_form(spec.to_dict())
    place = records.create_record(store, "sdi_settlement_profile", "1",
                                  {"settlement_name": "Mashimoni"})
    ids = {}
    for n in (7, 42, 142, 1420, 10):
        number = f"MSH-{n:04d}"
        ids[number] = records.create_record(store, "sdi_structure_numbering", "1", {
            "settlement_id": place, "structure_number": number}, settlement_id=place)
    every = listing.structure_choices(store, place)
    assert [n for _, n in every.found] == ["MSH-0007", "MSH-0010", "MSH-0042", "MSH-0142",
                                          "MSH-1420"]
    assert every.recent == [] and every.matched == 5
    for typed in ("MSH-0142", "msh-142", "142", "0142"):
        found = listing.structure_choices(store, place, typed)
        assert found.exact == ids["MSH-0142"], typed
        assert found.found[0][1] == "MSH-0142"
    assert [n for _, n in listing.structure_choices(store, place, "14").found] == [
        "MSH-0142", "MSH-1420"]
    assert listing.structure_choices(store, place, "999").found == []
    assert listing.structure_choices(store, place, limit=2).matched == 5
    # A household recorded in MSH-0042, then one in MSH-0007: most recent first, even
    # when both were stored within the same millisecond (a fast tablet, a coarse clock).
    same_moment = store._now_ms()
    store._now_ms = lambda: same_moment
    for number in ("MSH-0042", "MSH-0007"):
        records.create_record(store, "sdi_household_enumeration", "1", {"structure_number": number},
                              settlement_id=place, structure_id=ids[number])
    assert [n for _, n in listing.structure_choices(store, place).recent] == [
        "MSH-0007", "MSH-0042"]
