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

    settlement = store.create_record("sdi_settlement_profile",
                                     versions["sdi_settlement_profile"],
                                     sample("sdi_settlement_profile", "mashimoni_nairobi"))
    records.finalize(store, settlement)
    structure = store.create_record(
        "sdi_structure_numbering", versions["sdi_structure_numbering"],
        {**sample("sdi_structure_numbering", "msh_0142_residential"),
         "settlement_id": settlement}, settlement_id=settlement)
    records.finalize(store, structure)
    from field_app.core.session import with_instance_ids

    household = with_instance_ids(sample("sdi_household_enumeration",
                                         "msh_0142_tenant_family"))
    household["structure_id"] = structure
    done = store.create_record("sdi_household_enumeration",
                               versions["sdi_household_enumeration"], household,
                               settlement_id=settlement, structure_id=structure)
    records.finalize(store, done)
    store.db.execute("UPDATE outbox SET sent_at = ? WHERE record_id IN (?, ?)",
                     [store.now(), settlement, structure])
    store.set_server("http://127.0.0.1:9", token="demo-token")
    state = AppState(store)
    state.set_pin("2468")
    state.language = "en"
    ids = {"settlement": settlement, "structure": structure, "household": done}
    store.close()
    return ids


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
    from field_app.ui.app import HesabuApp

    ids = demo_store(work / "tablet.db")
    app = headless.start(HesabuApp(store_path=work / "tablet.db"))
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
        shot("start", lang)
        form = app.go("form", form_id="sdi_household_enumeration",
                      settlement_id=ids["settlement"], structure_id=ids["structure"])
        form.answer(("household_in_structure",), 2)
        form.answer(("consent",), "yes")
        form.nav.next()
        form.show_page()
        form.answer(("household", "head_name"), "Grace Wambui")
        form.answer(("household", "members_count"), 2)
        form.nav.next()
        form.show_page()
        form.answer(("household", "members", 0, "member_name"), "Grace Wambui")
        form.answer(("household", "members", 0, "member_age"), 130)
        shot("form", lang)
        form.finish()
        shot("form_missing", lang)
        app.go("records")
        shot("records", lang)
        sync = app.go("sync", start=True)
        headless.wait_for(lambda s=sync: not s.running, 30)
        shot("sync", lang)
        app.go("settings")
        shot("settings", lang)
    app.stop()
    return written
