"""An enumerator's day with the real widgets offscreen (touches, drags, the Back key):
what ODK Collect users expect, and what was seen going wrong (issue 12).

Each scenario runs in its own process (driver.py); the tests read what it saw.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_app_flow import run_driver

from field_app.core import encryption, geo, outbox, records
from field_app.core.store import open_store
from field_app.ui.screenshots import demo_store
from sync.ops import Op

MEMBERS = "household/members"


@pytest.fixture(scope="module")
def tablet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A tablet with the SDI forms and its own work (demo_store: a settlement, structure
    MSH-0142, a finalized household), more structures, a draft, a household a leader
    returned, and one another enumerator made (received for reference)."""
    tmp = tmp_path_factory.mktemp("tablet")
    path = tmp / "tablet.db"
    ids = demo_store(path)
    store = open_store(path)
    assert encryption.unlock(store, "2468")  # demo_store chose the PIN, which encrypted the store
    versions = {r["form_id"]: r["version"] for r in store.query(
        "SELECT form_id, version FROM forms")}
    for number in ("MSH-0007", "MSH-0140", "MSH-1420"):
        records.finalize(store, records.create_record(store,
            "sdi_structure_numbering", versions["sdi_structure_numbering"], {
                "settlement_id": ids["settlement"], "structure_number": number},
            settlement_id=ids["settlement"]))
    household = versions["sdi_household_enumeration"]
    draft = records.create_record(store, "sdi_household_enumeration", household, {
        "structure_number": "MSH-0007", "household_in_structure": 1,
        "household": {"head_name": "Zawadi Achieng"}}, settlement_id=ids["settlement"])
    returned = records.create_record(store, "sdi_household_enumeration", household, {
        "structure_number": "MSH-0140", "household_in_structure": 1,
        "household": {"head_name": "Peter Mwangi"}}, settlement_id=ids["settlement"])
    records.finalize(store, returned)
    with store.transaction() as db:
        db.execute("INSERT INTO review_notes (record_id, state, comment, reviewer, reviewed_at,"
                   " seq) VALUES (?, 'has_issues', 'Count the children again', 'leader',"
                   " '2026-11-20T10:00:00Z', 3)", [returned])
    other = open_store(tmp / "other.db", now_ms=lambda: 1_780_000_000_000)
    for spec in store.query("SELECT spec FROM forms"):
        other.save_form(json.loads(spec["spec"]))
    theirs = records.create_record(other, "sdi_household_enumeration", household, {
        "structure_number": "MSH-1420", "household_in_structure": 1,
        "household": {"head_name": "Grace Njeri"}}, settlement_id=ids["settlement"])
    records.finalize(other, theirs)
    with store.transaction():
        for op in outbox.pending(other):
            records.apply_op(store, Op.from_wire(op))
    other.close()
    store.close()
    return {"path": path, "draft": draft, "returned": returned, "theirs": theirs, **ids}


def run(scenario: str, tablet: dict[str, Any], tmp: Path, **args: Any) -> dict[str, Any]:
    copy = tmp / f"{scenario}.db"
    shutil.copy(tablet["path"], copy)
    return run_driver(scenario, {"store": str(copy), "pin": "2468", **args}, tmp)


@pytest.fixture(scope="module")
def finish(tablet: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run("finish", tablet, tmp_path_factory.mktemp("finish"))


@pytest.fixture(scope="module")
def moving(tablet: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run("moving", tablet, tmp_path_factory.mktemp("moving"))


@pytest.fixture(scope="module")
def listed(tablet: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run("records", tablet, tmp_path_factory.mktemp("records"), draft=tablet["draft"])


# -- starting a record --------------------------------------------------------------------
def test_start_refuses_without_a_structure_and_finds_one_by_its_painted_number(
        finish: dict) -> None:
    assert finish["refused"] == [
        "start", "Choose the structure: type its painted number or pick it."]
    assert finish["picked"] == "Structure: MSH-0142"  # typed "msh-142"
    # The structure of this tablet's last household first, then all by number.
    assert finish["structures_listed"] == [
        "MSH-0142", "MSH-0007", "MSH-0140", "MSH-0142", "MSH-1420"]


# -- Next / Finish and the missing list ---------------------------------------------------
def test_the_button_says_what_it_will_do_from_what_applies_now(finish: dict) -> None:
    # Before consent nothing else applies: this page is the last, and says so, but the
    # bar is not full (1 of 3 answered: the painted number came with the structure).
    assert finish["page1"] == ["Finish", "go", 0.333, "1 of 3 answered"]
    text, tone, progress = finish["after_consent"]
    assert (text, tone) == ("Next", "primary") and progress.startswith("2 of ")


def test_answer_needed_shows_only_once_the_page_is_passed(finish: dict) -> None:
    assert finish["fresh_page"] == ["Household", {}]
    assert finish["skipped_to"] == "Household member"  # the empty members page
    assert finish["passed_page_errors"] == {
        "household/head_name": "An answer is needed here.",
        "household/members_count": "An answer is needed here."}


def test_progress_counts_questions_not_pages(finish: dict) -> None:
    title, progress, button = finish["last_page"]
    assert title == "Household" and button == "Finish"
    assert progress < 0.5  # the last page reached, most questions still unanswered


def test_finish_lists_what_is_missing_and_stays_the_finish_button(finish: dict) -> None:
    current, showing, count, items = finish["finish"]
    assert current == "form" and showing and count == items > 10
    assert finish["first_items"][0] == (
        "Household number in this structure\nAn answer is needed here.")
    text, tone, colour = finish["finish_button_after_tap"]
    assert (text, tone) == ("Finish", "go")
    assert colour[1] > colour[2]  # still green, not turned blue


def test_a_missing_item_reaches_the_question_in_a_member(finish: dict) -> None:
    title, visible, highlighted, focused, list_shown, banner = finish["reached"]
    assert title == "Household member 2/2"
    assert visible and highlighted and focused  # scrolled to, outlined, cursor in it
    assert not list_shown and banner  # the list folds into "Still to answer: N"


def test_the_missing_list_follows_every_answer_and_goes_when_empty(finish: dict) -> None:
    before, after = finish["after_one"]
    assert after == before - 1
    visits = finish["visits"]
    assert len(visits) >= 10
    assert all(visible for _, visible, _ in visits), visits
    typed = [focus for path, _, focus in visits if focus is not None]
    assert typed and all(typed), visits  # a typed question gets the cursor
    assert len({path for path, _, _ in visits}) == len(visits)  # never the same twice
    assert finish["all_answered"] == [0, 0, 0, False]  # no banner, no list
    assert finish["finished"] == ["home", "finalized"]


# -- moving around ----------------------------------------------------------------------
def test_swiping_turns_pages_without_choosing_what_is_under_the_finger(moving: dict) -> None:
    assert moving["swipe_left"] == "Household"
    assert moving["swipe_right"] == ["SDI household enumeration", "yes"]
    assert moving["scrolled"][0]  # an up-and-down drag still scrolls


def test_the_members_list_opens_and_removes_a_member(moving: dict) -> None:
    assert moving["members"] == ["1. Amina Wanjiru, 34", "2. Juma, 3", "3. (no answers yet)"]
    assert moving["members_button"] == "List (3)"
    assert moving["opened"] == "Household member 2/3"
    rows, count, title = moving["after_remove"]
    assert rows == ["1. Amina Wanjiru, 34", "2. Juma, 3"] and count == 2
    assert title == "Household member 2/2"


def test_the_overview_lists_everything_and_goes_where_tapped(moving: dict) -> None:
    name, rows, problems = moving["overview"]
    assert name == "overview" and rows > 30 and problems > 5
    assert moving["overview_members"] == ["Household member 1: Amina Wanjiru, 34",
                                          "Household member 2: Juma, 3"]
    shown, only_problems = moving["only_problems"]
    assert shown < rows and only_problems
    current, target, on_page, highlighted, title = moving["overview_row"]
    assert current == "form" and on_page and highlighted == [target], (target, title)
    assert moving["first_problem"] == ["form", ["household_in_structure"]]


def test_the_back_key_goes_back_a_page_then_asks_before_leaving(moving: dict) -> None:
    before, after = moving["back_page"]
    assert (before, after) == ("Household member 2/2", "Household member 1/2")
    assert moving["back_on_first"] == ["form", ["Leave this record?"]]
    assert moving["back_closes_popup"] == ["form", 0]
    assert moving["left"] == "home"


def test_a_pull_past_the_top_on_slow_frames_settles_at_the_top(moving: dict) -> None:
    assert moving["long_page"]
    trace, first_visible = moving["pull_past_top"]
    assert trace[-3:] == [1.0, 1.0, 1.0], trace  # back at the top, and staying there
    assert all(0 <= y <= 1 for y in trace), trace  # never shifted past the content
    assert first_visible


# -- GPS, shapes and photos -------------------------------------------------------------
@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from types_form import types_tablet

    from field_app.core.qr import write_png_gray

    tmp = tmp_path_factory.mktemp("media")
    types_tablet(tmp / "tablet.db", "2468")
    photo = tmp / "door.png"
    photo.write_bytes(write_png_gray(64, 48, bytes(range(256)) * 12))
    corners = ["-1.3130 36.7870", "-1.3130 36.7872", "-1.3132 36.7872"]
    return run_driver("gps_photo", {"store": str(tmp / "tablet.db"), "pin": "2468",
                                    "photo": str(photo), "corners": corners}, tmp)


def test_gps_accuracy_is_judged_by_the_forms_thresholds(media: dict) -> None:
    status, button, disabled, value = media["poor"]
    assert status.startswith("Accuracy: 48.0 m. Too poor: this form needs 20 m or better.")
    assert (button, disabled, value) == ("Use this position anyway", False, None)
    assert media["kept_waiting"][3] is None  # asked, and the enumerator kept waiting
    status, button, disabled, value = media["fair"]
    assert status == "Accuracy: 12.0 m. Usable; waiting for 5 m or better."
    assert (button, disabled, value) == ("Use this position", False, None)
    status, _, disabled, value, running = media["good"]
    assert status == "Accuracy: 4.0 m. Good."
    assert value == "-1.3133 36.7876 1701 4" and disabled and not running  # taken, GPS off
    assert media["poor_confirmed"][3] == "-1.3133 36.7876 1701 48"


def test_a_shape_is_drawn_to_scale_with_its_area(media: dict) -> None:
    text, drawn, bar = media["shape"]
    outline = geo.measure(";".join(f"{c} 0 0" for c in (
        "-1.3130 36.7870", "-1.3130 36.7872", "-1.3132 36.7872")), closed=True)
    assert text == (f"Points: 3   Area: {geo.describe_area(outline.area_m2)}   "
                    f"Perimeter: {geo.describe_length(outline.length_m)}")
    assert text == "Points: 3   Area: 247 m²   Perimeter: 76 m"
    assert drawn and bar == 5  # a 5 m scale bar under a shape ~22 m across


def test_a_photo_shows_as_a_thumbnail_to_retake_or_remove(media: dict) -> None:
    stored, texture, shown, take, remove_opacity, remove_disabled, files = media["photo"]
    # Stored as a JPEG no larger than the form's max-pixels (32), with its thumbnail;
    # the camera's own file is gone. Both are sealed (the tablet's store is encrypted)
    # and the thumbnail is shown from memory.
    assert stored.endswith(".jpg") and texture == [32, 24]
    assert sorted(files) == sorted([stored, stored[:-4] + ".thumb.jpg"]) and shown
    assert media["sealed"] == [True, True]
    assert media["photo_size"] == [32, 24]
    assert take == "Retake the photo" and remove_opacity == 1 and not remove_disabled
    assert media["removed"] == [None, 0, "Take a photo", True]


# -- records, home, settings --------------------------------------------------------------
def test_my_work_is_apart_from_records_received_for_reference(listed: dict,
                                                              tablet: dict) -> None:
    titles = [c[0] for c in listed["my_work"]]
    assert "MSH-1420/1 Grace Njeri" not in titles
    assert titles[0] == "MSH-0140/1 Peter Mwangi"  # returned by a leader: first
    # demo_store's household from another tablet (today), and Grace's (in May).
    assert [c[0] for c in listed["reference"]] == ["MSH-0142/2", "MSH-1420/1 Grace Njeri"]
    reference = listed["reference"][1]
    assert reference[1] == "SDI household enumeration - From the server"
    # Made when its enumerator made it (2026-05-28), not when this tablet synced.
    assert reference[2] == "Made 2026-05-28 20:26   Changed 2026-05-28 20:26"
    assert listed["returned"] == ["MSH-0140/1 Peter Mwangi"]


def test_home_counts_my_work_and_the_reference_records_apart(listed: dict) -> None:
    assert listed["home_household"] == [
        "SDI household enumeration", "Drafts: 1   Waiting: 2   Sent: 0",
        "! Returned by a leader: 1", "From the server, for reference: 2"]


def test_records_sort_by_name_or_making(listed: dict) -> None:
    by_name = listed["by_name"]
    assert by_name.index("MSH-0007/1 Zawadi Achieng") < by_name.index("MSH-0142")
    assert listed["by_made"][0] == "MSH-0140/1 Peter Mwangi"  # flagged first, then newest


def test_a_draft_is_deleted_after_confirming(listed: dict) -> None:
    assert listed["delete_question"] == ["Delete this draft"]
    before, after, stored = listed["drafts"]
    assert [c[0] for c in before] == ["MSH-0007/1 Zawadi Achieng"] and after == []
    assert stored is None
    assert listed["back_from_records"] == "home"


def test_settings_and_form_titles_follow_the_language(listed: dict) -> None:
    assert listed["about_sw"].startswith("Toleo: ")
    assert "Kitambulisho cha kifaa" in listed["about_sw"]
    assert "Uhesabuji wa kaya wa SDI" in listed["home_sw"]
    assert "SDI household enumeration" not in listed["home_sw"]


def test_the_qr_picture_button_shows_only_where_it_can_work(listed: dict) -> None:
    assert listed["qr_button"] == {"True": [True, 1, False], "False": [False, 0, True]}
