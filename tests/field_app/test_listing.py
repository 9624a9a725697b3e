"""What the home and records screens list, from a real device store."""

from __future__ import annotations

from field_app.core import listing, records
from field_app.core.store import Store
from forms.spec import FormSpec, Node

SETTLEMENT = FormSpec(id="sdi_settlement_profile", version="1", title="Settlement profile")
STRUCTURE = FormSpec(id="sdi_structure_numbering", version="1", title="Structures")
HOUSEHOLD = FormSpec(id="sdi_household_enumeration", version="1", title="Households",
                     children=(Node(kind="question", type="text", name="structure_number",
                                    path=("structure_number",)),))


def test_settlements_structures_and_links(store: Store) -> None:
    for spec in (SETTLEMENT, STRUCTURE, HOUSEHOLD):
        store.save_form(spec.to_dict())
    mashimoni = store.create_record("sdi_settlement_profile", "1", {
        "section_B": {"B7_Settlement_Name_Community": "Mashimoni"}})
    chaisa = store.create_record("sdi_settlement_profile", "1", {"settlement_name": "Chaisa"})
    kb = store.create_record("sdi_structure_numbering", "1", {
        "settlement_id": mashimoni, "structure_number": "MSH-0142"}, settlement_id=mashimoni)
    store.create_record("sdi_structure_numbering", "1", {
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
    plain = store.create_record("sdi_household_enumeration", "1", {"structure_number": "A-1"})
    reviewed = store.create_record("sdi_household_enumeration", "1",
                                   {"structure_number": "A-2"})
    conflicted = store.create_record("sdi_household_enumeration", "1",
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
