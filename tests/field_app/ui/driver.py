"""Drives the real app offscreen in its own process (Kivy wants one app per process).

    python driver.py <scenario> <json arguments>

Each scenario uses the widgets the way a person does (touches on buttons, typing into
text fields) and prints one line `RESULT <json>` for the test to check. A failing
step raises, so the process exits non-zero with the traceback on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from field_app.core import records

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from field_app.ui.headless import offscreen_environment  # noqa: E402

offscreen_environment(os.environ.get("KIVY_HOME"))

from uikit import (  # noqa: E402
    HOUSEHOLD,
    MEMBERS,
    answer,
    fill,
    find_button,
    new_household,
    result,
    screen,
    tap,
    unlock,
)

from field_app.ui import headless as h  # noqa: E402
from field_app.ui.app import HesabuApp  # noqa: E402


def scenario_full(args: dict) -> None:
    from field_app.core.devices import StillCamera

    camera = StillCamera(args["not_qr"])  # the tablet's camera, pointed at a cat first
    app = h.start(HesabuApp(store_path=args["store"], camera=camera))
    assert app.root.current == "language"
    tap(screen(app).ids.en)
    enrol = screen(app)
    assert enrol.name == "enrol"
    # A picture that is not a QR code says so; the leader's QR code fills both fields,
    # taken with the camera or chosen among the tablet's pictures.
    tap(enrol.ids.scan)
    assert h.wait_for(lambda: bool(enrol.message), 10)
    facts_qr = {"not_qr_message": enrol.message}
    camera.picture = Path(args["qr"])
    tap(enrol.ids.scan)
    assert h.wait_for(lambda: bool(enrol.ids.code.text), 10), enrol.message
    facts_qr["qr_filled"] = [enrol.ids.server.text, enrol.ids.code.text]
    enrol.ids.server.text = enrol.ids.code.text = ""
    tap(enrol.ids.qr)
    assert h.wait_for(lambda: bool(enrol.ids.code.text), 10), enrol.message
    facts_qr["qr_picked"] = [enrol.ids.server.text, enrol.ids.code.text]
    # Connecting happens off the UI thread: the screen says so and keeps drawing.
    enrol.ids.enrol.dispatch("on_release")
    facts_qr["connecting"] = [enrol.busy, app.root.current, enrol.ids.enrol.text]
    assert h.wait_for(lambda: app.root.current == "pin_set"), (app.root.current,
                                                                enrol.message)
    assert h.wait_for(lambda: not app.sync_task.running), "the first sync never ended"
    pin = screen(app)
    h.type_into(pin.ids.pin, "2468")
    h.type_into(pin.ids.repeat, "2468")
    tap(pin.ids.save)
    # The PIN encrypted the store: its recovery key is shown once, for the leader.
    recovery = [app.root.current, pin.ids.recovery.text, pin.ids.save.text]
    tap(pin.ids.save)
    assert app.root.current == "home"
    form = new_household(app)
    facts: dict[str, Any] = {"prefilled_number": form.nav.session.answers.get(
        "structure_number"), "recovery": recovery, **facts_qr}
    # A constraint message appears next to the question, and goes once corrected.
    answer(form, ("household_in_structure",), "500")
    facts["constraint_message"] = form.view(("household_in_structure",)).error_text
    seen = fill(form, HOUSEHOLD, before={(*MEMBERS, 1, "member_age"): ["30"]})
    facts["constraint_after_fix"] = form.view(("household_in_structure",)).error_text \
        if ("household_in_structure",) in form.nav.page.questions else ""
    facts["pages"] = seen["pages"]
    facts["questions_age_30"] = seen["after 30 at household/members/1/member_age"]
    facts["questions_age_3"] = ["/".join(map(str, p)) for p in form.nav.pages[3].questions]
    # Typing an age that shows and then hides questions keeps the keyboard on the field.
    form.jump((*MEMBERS, 1, "member_age"))
    age = form.view((*MEMBERS, 1, "member_age")).field
    tap(age)
    age.text = "40"
    h.pump(2)
    facts["focus_when_shown"] = [age.focus, "/".join(map(str, (*MEMBERS, 1, "schooling")))
                                 in ["/".join(map(str, v.path)) for v in form.views]]
    age.text = "3"
    h.pump(2)
    facts["focus_when_hidden"] = [age.focus, len(form.views)]
    age.focus = False
    # Add a third member by mistake, then remove them (after confirming).
    tap(form.ids.add_one)
    facts["after_add"] = form.nav.title()
    tap(form.ids.remove_one)
    from kivy.uix.popup import Popup

    popup = next(w for w in app.root_window.children if isinstance(w, Popup))
    h.tap(find_button(popup, "Remove"))
    h.pump(3)
    facts["after_remove"] = form.nav.title()
    form.nav.go(len(form.nav.pages) - 1)
    form.show_page()
    record_id = form.nav.session.record_id
    tap(form.ids.next)  # Finish
    assert app.root.current == "home", form.ids.issues.children
    home = screen(app)
    tap(home.ids.sync)
    sync = screen(app)
    assert h.wait_for(lambda: not sync.running), "sync never finished"
    facts["sync_headline"] = sync.headline
    record = records.get_record(app.store, record_id)
    facts.update(record_id=record_id, status=record["status"], answers=record["answers"])
    app.stop()
    result(facts)


def scenario_partial(args: dict) -> None:
    """Unlock, start a household, answer part of it, then wait to be killed."""
    app = h.start(HesabuApp(store_path=args["store"]))
    unlock(app, args["pin"])
    form = new_household(app)
    plan = {k: v for k, v in HOUSEHOLD.items()}
    fill(form, plan, stop_after=args["answers"])
    result({"record_id": form.nav.session.record_id, "title": form.nav.title()})
    while True:  # still running, mid-form, until SIGKILL
        h.pump(1)
        time.sleep(0.02)


def scenario_resume(args: dict) -> None:
    app = h.start(HesabuApp(store_path=args["store"]))
    unlock(app, args["pin"])
    # The app was killed with the record open: it opens again, on its page.
    reopened = [app.root.current, screen(app).nav.title() if app.root.current == "form"
                else None]
    # Paused and resumed (switching apps): still there.
    app.dispatch("on_pause")
    app.dispatch("on_resume")
    h.pump(2)
    reopened.append([app.root.current, screen(app).nav.title()])
    tap(screen(app).ids.close)
    tap(screen(app).ids.records)
    records = screen(app)
    assert records.name == "records"
    marks = [w.text for w in records.ids.list.walk(restrict=True)
             if getattr(w, "text", "").startswith("! ")]
    tap(find_button(records.ids.list, "Continue"))
    form = screen(app)
    assert form.name == "form"
    shown: dict[str, Any] = {"title": form.nav.title(), "marks": marks,
                             "notice": form.notice, "reopened": reopened}
    form.nav.go(0)
    form.show_page()
    while True:
        h.pump(1)
        for view in form.views:
            key = "/".join(map(str, view.path))
            if hasattr(view, "buttons"):
                chosen = [n for n, b in view.buttons.items() if b.state == "down"]
                if chosen:
                    shown[key] = chosen if view.multiple else chosen[0]
            elif hasattr(view, "field") and view.field.text:
                shown[key] = view.field.text
        if form.nav.at_end:
            break
        tap(form.ids.next)
    app.stop()
    result(shown)


def scenario_types(args: dict) -> None:
    """One question of every type, answered through its widget; prints the record."""
    from kivy.uix.filechooser import FileChooserListView
    from kivy.uix.popup import Popup

    from field_app.core.devices import FakeGps, Fix

    app = h.start(HesabuApp(store_path=args["store"],
                            gps=FakeGps([Fix(-1.3133, 36.7876, 1701.0, 12.0),
                                         Fix(-1.31331, 36.78761, 1701.0, 4.0)])))
    unlock(app, args["pin"])
    home = screen(app, "home")
    home.prepare()
    h.pump(2)
    tap(find_button(home.ids.forms, "New record"))
    tap(screen(app).ids.begin)
    form = screen(app)
    facts: dict[str, Any] = {}
    answer(form, ("name",), "Amina")
    answer(form, ("rooms",), "0")
    facts["rooms_message"] = form.view(("rooms",)).error_text
    answer(form, ("rooms",), "3")
    facts["double_rooms_shown"] = form.view(("double_rooms",)).value_label.text
    answer(form, ("rent",), "1500.5")
    visit = form.view(("visit",))
    for part, value in (("day", "30"), ("month", "02"), ("year", "2025")):
        visit.pickers[part].text = value  # what choosing in the spinner's list does
        h.pump(1)
    facts["visit_field"] = visit.field.text
    tap(find_button(form.view(("at",)), "Now"))
    form.view(("at",)).pickers["minute"].text = "15"
    facts["wards_before"] = list(form.view(("ward",)).buttons)
    answer(form, ("district",), "mathare")
    facts["wards_mathare"] = list(form.view(("ward",)).buttons)
    answer(form, ("ward",), "mabatini")
    answer(form, ("assets",), ["radio", "fridge"])
    facts["note"] = form.view(("remember",)).label_text
    gps = form.view(("gps",))
    tap(find_button(gps, "Find my position"))
    assert h.wait_for(lambda: gps.fix is not None and gps.fix.accuracy == 4.0, 10)
    facts["gps_status"] = gps.status.text  # 4 m is within 5 m: taken on its own
    shape = form.view(("boundary",))
    for point in ("-1.3130 36.7870", "-1.3130 36.7880", "-1.3140 36.7880"):
        tap(shape.manual)
        h.type_into(shape.manual, point)
        tap(find_button(shape, "Add this point"))
    facts["shape_points"] = shape.value_label.text
    photo = form.view(("photo",))
    tap(find_button(photo, "Choose a picture"))
    popup = next(w for w in app.root_window.children if isinstance(w, Popup))
    chooser = next(w for w in popup.walk() if isinstance(w, FileChooserListView))
    chooser.selection = [args["photo"]]
    h.tap(find_button(popup, "Use this file"))
    assert h.wait_for(lambda: bool(form.nav.session.answers.get("photo")), 10)
    tap(find_button(form.view(("consent",)), "OK, done"))
    answer(form, ("tag",), "HH-000123")
    record_id = form.nav.session.record_id
    tap(form.ids.next)  # Finish: everything required is there
    facts["screen_after_finish"] = app.root.current
    record = records.get_record(app.store, record_id)
    facts.update(status=record["status"], answers=record["answers"])
    facts["attachments"] = app.store.query("SELECT path, size FROM attachments")
    # Settings: a larger text size and Swahili apply at once, everywhere.
    tap(screen(app).ids.settings)
    settings = screen(app)
    before = settings.ids.about.font_size
    tap(settings.ids.large)
    facts["font_growth"] = round(settings.ids.about.font_size / before, 2)
    tap(settings.ids.sw)
    facts["settings_title_sw"] = settings.children[0].children[-1].text
    facts["sync_button_sw"] = screen(app, "home").ids.sync.text
    app.stop()
    result(facts)


def scenario_pin_recovery(args: dict) -> None:
    """A forgotten PIN: the leader's recovery key opens the app, a new PIN is chosen.
    Then (a second store) an old store in clear is encrypted by its PIN at unlock."""
    app = h.start(HesabuApp(store_path=args["store"]))
    unlock_screen = screen(app)
    facts: dict[str, Any] = {"first": app.root.current}
    h.type_into(unlock_screen.ids.pin, "0000")
    tap(unlock_screen.ids.unlock)
    facts["wrong_pin"] = [app.root.current, unlock_screen.message]
    tap(unlock_screen.ids.forgot)
    h.type_into(unlock_screen.ids.recovery, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    tap(unlock_screen.ids.unlock)
    facts["wrong_key"] = [app.root.current, unlock_screen.message]
    h.type_into(unlock_screen.ids.recovery, args["recovery"].lower())
    tap(unlock_screen.ids.unlock)
    pin = screen(app)
    facts["after_key"] = app.root.current
    h.type_into(pin.ids.pin, "8642")
    h.type_into(pin.ids.repeat, "8642")
    tap(pin.ids.save)
    facts["after_new_pin"] = app.root.current
    tap(screen(app).ids.settings)
    screen(app).lock()
    unlock(app, "8642")
    facts["unlocked_with_new_pin"] = app.root.current
    # The leader lost the key: Settings makes a new one, shown once.
    tap(screen(app).ids.settings)
    tap(screen(app).ids.recovery)
    facts["new_key"] = [app.root.current, pin.ids.recovery.text]
    tap(pin.ids.save)
    facts["after_new_key"] = app.root.current
    app.stop()
    result(facts)


def scenario_pin_upgrade(args: dict) -> None:
    """A store left in clear by an app before encryption, with its PIN hash."""
    app = h.start(HesabuApp(store_path=args["store"]))
    unlock_screen = screen(app)
    h.type_into(unlock_screen.ids.pin, args["pin"])
    # What the screen says as the work starts, kept when it says it: the worker may be
    # done (and the screen clear again) by the time the tap returns.
    said: list[list[Any]] = []
    unlock_screen.bind(message=lambda shown, text: said.append([shown.busy, text]))
    tap(unlock_screen.ids.unlock)
    facts: dict[str, Any] = {"busy": said[0] if said else [unlock_screen.busy, ""]}
    assert h.wait_for(lambda: app.root.current == "pin_set", 30), unlock_screen.message
    h.pump(3)  # the screen shown from the worker's callback is laid out before a touch
    pin = screen(app)
    facts["shown"] = [app.root.current, pin.ids.recovery.text, app.store.encrypted]
    tap(pin.ids.save)
    facts["then"] = app.root.current
    app.stop()
    result(facts)


def find_scenario(name: str) -> Any:
    """`scenario_<name>` from this module or one of the scenario modules next to it."""
    import enumerator
    import records_screens

    for module in (sys.modules[__name__], enumerator, records_screens):
        found = getattr(module, f"scenario_{name}", None)
        if found is not None:
            return found
    raise SystemExit(f"no scenario {name!r}")


if __name__ == "__main__":
    import faulthandler

    faulthandler.dump_traceback_later(float(os.environ.get("DRIVER_TIMEOUT", "100")), exit=True)
    find_scenario(sys.argv[1])(json.loads(sys.argv[2]))
