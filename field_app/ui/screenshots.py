"""`hesabu app --screenshots DIR`: every main screen, in English and Swahili, as PNG.

Renders offscreen (no display needed) from a throwaway store filled with the SDI
forms and a few realistic records, so the pictures show what an enumerator sees.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

FORMS = Path(__file__).resolve().parents[2] / "forms" / "definitions"
RECORDS = Path(__file__).resolve().parents[2] / "forms" / "examples"
LANGUAGES = ("en", "sw")
#: A structure's outline as walked around it (four corners, about 9 m by 6 m).
FOOTPRINT = ("-1.31330 36.78760 0 4;-1.31330 36.78768 0 4;-1.31336 36.78768 0 4;"
             "-1.31336 36.78760 0 4;-1.31330 36.78760 0 4")


def demo_store(path: Path) -> dict[str, str]:
    """A tablet store with the SDI forms, a settlement, structures, records in each state."""
    from field_app.core import records
    from field_app.core.app_state import AppState
    from field_app.core.store import open_store
    from forms.loader import load_form

    store = open_store(path, device_name="Mashimoni tablet 3")
    versions = {}
    for xlsx in sorted(FORMS.glob("sdi_*.xlsx")):
        spec = load_form(xlsx)
        store.save_form(spec.to_dict())
        versions[spec.id] = spec.version

    def sample(form_id: str, name: str) -> dict[str, Any]:
        return json.loads((RECORDS / form_id / f"{name}.json").read_text(encoding="utf-8"))

    settlement = records.create_record(store, "sdi_settlement_profile",
                                       versions["sdi_settlement_profile"],
                                       sample("sdi_settlement_profile", "mashimoni_nairobi"))
    records.finalize(store, settlement)
    structure = records.create_record(store,
        "sdi_structure_numbering", versions["sdi_structure_numbering"],
        {**sample("sdi_structure_numbering", "msh_0142_residential"),
         "settlement_id": settlement}, settlement_id=settlement)
    records.finalize(store, structure)
    from field_app.core.session import with_instance_ids

    household = with_instance_ids(sample("sdi_household_enumeration",
                                         "msh_0142_tenant_family"))
    household["structure_id"] = structure
    done = records.create_record(store, "sdi_household_enumeration",
                                 versions["sdi_household_enumeration"], household,
                                 settlement_id=settlement, structure_id=structure)
    records.finalize(store, done)
    store.db.execute("UPDATE outbox SET sent_at = ? WHERE record_id IN (?, ?)",
                     [store.now(), settlement, structure])
    _received(store, path.parent / "other-tablet.db", versions["sdi_household_enumeration"],
              {**with_instance_ids(sample("sdi_household_enumeration",
                                          "msh_0142_second_household_refused")),
               "structure_id": structure}, settlement, structure)
    store.set_server("http://127.0.0.1:9", token="demo-token")
    state = AppState(store)
    state.set_pin("2468")
    state.language = "en"
    ids = {"settlement": settlement, "structure": structure, "household": done}
    store.close()
    return ids


def _received(store: Any, other_path: Path, version: str, answers: dict[str, Any],
              settlement: str, structure: str) -> str:
    """A household another enumerator's tablet made, as a sync brings it here."""
    from field_app.core import outbox, records
    from field_app.core.store import open_store
    from sync.ops import Op

    other = open_store(other_path, device_name="Mashimoni tablet 5")
    for row in store.query("SELECT spec FROM forms"):
        other.save_form(json.loads(row["spec"]))
    record_id = records.create_record(other, "sdi_household_enumeration", version, answers,
                                      settlement_id=settlement, structure_id=structure)
    records.finalize(other, record_id)
    with store.transaction():
        for op in outbox.pending(other):
            records.apply_op(store, Op.from_wire(op))
    other.close()
    other_path.unlink()
    return record_id


def render_screenshots(out_dir: str | Path, languages: tuple[str, ...] = LANGUAGES,
                       size: tuple[int, int] | None = None) -> list[Path]:
    """Write `<screen>-<lang>.png` for every main screen; returns the files."""
    from field_app.ui import headless

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hesabu-shots-"))
    headless.offscreen_environment(work / "kivy")
    if size is not None:
        headless.window_size(*size)
    from kivy.core.window import Window

    from field_app.ui.app import HesabuApp
    from field_app.ui.dialogs import open_popups

    ids = demo_store(work / "tablet.db")
    app = headless.start(HesabuApp(store_path=work / "tablet.db"))
    if not app.state.check_pin("2468"):  # the demo store is encrypted under this PIN
        raise RuntimeError("the demo store did not open with its PIN 2468")
    written: list[Path] = []

    def shot(name: str, lang: str) -> None:
        headless.pump(3)
        written.append(headless.screenshot(out / f"{name}-{lang}.png"))

    for lang in languages:
        app.set_language(lang)
        app.go("language")
        shot("language", lang)
        app.go("enrol")
        shot("enrol", lang)
        app.go("pin_set")
        shot("pin_set", lang)
        app.go("pin_unlock")
        shot("pin_unlock", lang)
        app.go("home")
        shot("home", lang)
        start = app.go("start", form_id="sdi_household_enumeration")
        start.pick_settlement(ids["settlement"])
        start.ids.number.text = "142"
        shot("start", lang)
        form = app.go("form", form_id="sdi_household_enumeration",
                      settlement_id=ids["settlement"], structure_id=ids["structure"])
        form.answer(("household_in_structure",), 2)
        form.answer(("consent",), "yes")
        form.next_page()
        form.answer(("household", "head_name"), "Grace Wambui")
        form.answer(("household", "members_count"), 2)
        form.next_page()
        form.answer(("household", "members", 0, "member_name"), "Grace Wambui")
        form.answer(("household", "members", 0, "member_age"), 130)
        shot("form", lang)
        form.finish()
        shot("form_missing", lang)
        form.jump(("household", "members", 1, "member_name"))
        shot("form_reached", lang)
        form.show_members()
        shot("members", lang)
        for popup in open_popups(Window):
            popup.dismiss(animation=False)
        form.show_overview()
        shot("overview", lang)
        structure = app.go("form", form_id="sdi_structure_numbering",
                           settlement_id=ids["settlement"])
        structure.answer(("structure_number",), "MSH-0143")
        structure.answer(("gps",), "-1.31331 36.78761 1701 4")
        structure.answer(("footprint",), FOOTPRINT)
        structure.jump(("footprint",), focus=False)
        headless.pump(3)
        shot("structure", lang)
        app.go("records")
        shot("records", lang)
        records_screen = app.root.get_screen("records")
        records_screen.set_mine(False)
        shot("records_reference", lang)
        records_screen.set_mine(True)
        sync = app.go("sync", start=True)
        headless.wait_for(lambda s=sync: not s.running, 30)
        shot("sync", lang)
        app.go("settings")
        shot("settings", lang)
    app.stop()
    return written
