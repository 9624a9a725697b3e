"""The app's sync against the real server on loopback: enrol, statuses, plain errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flaskhub import FlaskHub

from field_app.core import listing
from field_app.core.session import SurveySession
from field_app.core.store import Store, open_store
from field_app.core.sync_task import SyncTask, enrol_device, sync_once
from forms.loader import load_form

FORMS = Path(__file__).resolve().parents[2] / "forms" / "definitions"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskHub]:
    h = FlaskHub(tmp_path_factory.mktemp("hub"), forms=[])
    from server.services.forms import publish_form
    with h.app.app_context():
        publish_form(load_form(FORMS / "sdi_household_enumeration.xlsx"))
    yield h
    h.close()


@pytest.fixture
def tablet(tmp_path: Path, hub: FlaskHub) -> Iterator[Store]:
    store = open_store(tmp_path / "tablet.db", device_name="tablet-3")
    assert enrol_device(store, hub.url, hub.new_code()).ok
    yield store
    store.close()


def test_records_go_from_draft_to_waiting_to_sent(tablet: Store, hub: FlaskHub) -> None:
    from test_survey_session import fill_household

    first = sync_once(tablet)
    assert first.ok, first
    assert tablet.form("sdi_household_enumeration") is not None
    session = SurveySession.start(tablet, "sdi_household_enumeration")
    fill_household(session)
    session.save()
    [row] = listing.list_records(tablet)
    assert row.status == listing.DRAFT and row.title == "KB-045/1 Amina Wanjiru"
    assert session.finalize() == []
    assert listing.list_records(tablet)[0].status == listing.WAITING
    summary = listing.home_summary(tablet)
    assert [(f.form_id, f.drafts, f.waiting, f.sent) for f in summary.forms] == [
        ("sdi_household_enumeration", 0, 1, 0)]
    outcome = sync_once(tablet)
    assert outcome.ok and outcome.headline.startswith("Sent: 1. Received:")
    assert listing.list_records(tablet, status=listing.SENT)[0].record_id == session.record_id
    assert listing.list_records(tablet, search="amina")
    assert not listing.list_records(tablet, search="nobody")
    assert listing.home_summary(tablet).last_sync is not None


def test_no_connection_is_said_plainly(tmp_path: Path) -> None:
    store = open_store(tmp_path / "t.db")
    store.set_server("http://127.0.0.1:9", token="x")
    outcome = sync_once(store)
    assert not outcome.ok
    assert outcome.headline == "No connection to the server."
    assert "Your records are safe" in outcome.advice
    store.close()


def test_a_wrong_enrolment_code_says_what_to_do(tmp_path: Path, hub: FlaskHub) -> None:
    store = open_store(tmp_path / "t.db")
    outcome = enrol_device(store, hub.url, "NOPE-NOPE-NOPE")
    assert not outcome.ok and "code" in outcome.headline.lower()
    assert not store.device.enrolled
    store.close()


def test_background_sync_reports_on_the_posting_thread_and_cancels(
        tablet: Store, hub: FlaskHub) -> None:
    posted: list[tuple[str, object]] = []
    done = threading.Event()

    def post(fn, *args):  # what the Kivy clock does: run later, elsewhere
        posted.append((threading.current_thread().name, fn))
        fn(*args)

    outcomes = []
    task = SyncTask(tablet.path, post)
    task.cancel()  # a cancel before start does not stop the next sync
    def on_done(outcome):
        outcomes.append(outcome)
        done.set()

    assert task.start(lambda *a: None, on_done)
    assert not task.start(lambda *a: None, on_done)  # one at a time
    assert done.wait(20)
    assert outcomes[0].ok, outcomes[0]
    # A cancelled sync ends with "stopped" and loses nothing.
    session = SurveySession.start(tablet, "sdi_household_enumeration")
    session.set_answer(("consent",), "no")
    session.set_answer(("structure_number",), "KB-1")
    session.set_answer(("household_in_structure",), 1)
    assert session.finalize() == []
    done.clear()
    task2 = SyncTask(tablet.path, post)
    task2.start(lambda phase, *a: task2.cancel(),  # the Cancel button, as sending starts
                lambda o: (outcomes.append(o), done.set()))
    assert done.wait(20)
    task2.join(5)
    assert outcomes[1].headline == "Sync stopped."
    assert outcomes[1].advice == "Nothing was lost. Press Sync to continue later."
    [waiting] = listing.list_records(tablet, status=listing.WAITING)
    assert waiting.record_id == session.record_id
    assert {name for name, _ in posted} == {"hesabu-sync"}


def test_a_screen_can_follow_a_sync_that_is_already_running(tablet: Store) -> None:
    release = threading.Event()
    finished = threading.Event()

    def post(fn, *args):
        release.wait(10)  # hold the worker until the second screen attached
        fn(*args)

    first: list = []
    second: list = []
    task = SyncTask(tablet.path, post)
    assert task.start(lambda *a: None, first.append)
    assert not task.start(lambda *a: None, lambda o: (second.append(o), finished.set()))
    release.set()
    assert finished.wait(20)
    task.join(5)
    assert first == [] and second[0].ok


def test_an_enrolled_tablet_enrols_again_by_signing_with_its_key(tablet: Store,
                                                                  hub: FlaskHub) -> None:
    """Re-enrolling an id needs proof that the request comes from that tablet (issue
    14): the app signs the enrolment with its bundle key and sends no old token."""
    first = tablet.device.token
    outcome = enrol_device(tablet, hub.url, hub.new_code())
    assert outcome.ok, outcome
    assert tablet.device.token != first
    assert sync_once(tablet).ok
