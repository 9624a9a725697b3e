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

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from field_app.ui.headless import offscreen_environment  # noqa: E402

offscreen_environment(os.environ.get("KIVY_HOME"))

from field_app.ui import headless as h  # noqa: E402
from field_app.ui.app import HesabuApp  # noqa: E402

MEMBERS = ("household", "members")
#: A household of two, answer by answer (member 2's age is first typed as 30, then 3).
HOUSEHOLD = {
    ("household_in_structure",): "1", ("consent",): "yes",
    ("household", "head_name"): "Amina Wanjiru", ("household", "phone"): "+254712345678",
    ("household", "members_count"): "2",
    (*MEMBERS, 0, "member_name"): "Amina Wanjiru", (*MEMBERS, 0, "member_age"): "34",
    (*MEMBERS, 0, "member_sex"): "female", (*MEMBERS, 0, "relationship"): "head",
    (*MEMBERS, 0, "schooling"): "secondary", (*MEMBERS, 0, "occupation"): "self_employed",
    (*MEMBERS, 1, "member_name"): "Juma", (*MEMBERS, 1, "member_age"): "3",
    (*MEMBERS, 1, "member_sex"): "male", (*MEMBERS, 1, "relationship"): "child",
    ("household", "tenure"): "tenant", ("household", "monthly_rent"): "1500",
    ("household", "years_in_settlement"): "6", ("household", "water_source"): "shared_tap",
    ("household", "toilet"): "shared", ("household", "electricity"): "none",
    ("household", "income_band"): "half_to_one_min_wage", ("household", "disasters"): ["fires"],
    ("household", "evicted_before"): "no", ("household", "savings_member"): "yes",
}


def result(value: Any) -> None:
    print("RESULT " + json.dumps(value), flush=True)


def screen(app: HesabuApp, name: str | None = None) -> Any:
    return app.root.get_screen(name or app.root.current)


def tap(widget: Any) -> None:
    from kivy.uix.scrollview import ScrollView

    scroller, seen = widget.parent, set()
    while scroller is not None and id(scroller) not in seen and not isinstance(
            scroller, ScrollView):
        seen.add(id(scroller))
        scroller = scroller.parent
    if isinstance(scroller, ScrollView):
        # Nested layouts settle over a few frames after a page is rebuilt: scroll until
        # the widget really is inside the visible part, as a person would.
        for _ in range(30):
            h.pump(1)
            scroller.scroll_to(widget, padding=20, animate=False)
            h.pump(1)
            bottom = scroller.to_window(scroller.x, scroller.y)[1]
            y = widget.to_window(*widget.center)[1]
            if bottom < y < bottom + scroller.height:
                break
        else:
            raise AssertionError(f"could not scroll to {widget}")
    h.tap(widget)


def find_button(box: Any, text: str) -> Any:
    for widget in box.walk(restrict=True):
        if getattr(widget, "text", None) == text and hasattr(widget, "state"):
            return widget
    raise AssertionError(f"no button {text!r} in {box}")


def answer(form: Any, path: tuple, value: Any) -> None:
    view = form.view(path)
    if hasattr(view, "buttons"):
        for name in value if isinstance(value, list) else [value]:
            tap(view.buttons[name])
            button = view.buttons[name]
            assert button.state == "down", (path, name, button.to_window(*button.center),
                                             button.size, button.disabled,
                                             [b.state for b in view.buttons.values()])
    else:
        tap(view.field)  # a touch focuses the field, as on a tablet
        h.type_into(view.field, str(value))


def unlock(app: HesabuApp, pin: str) -> None:
    assert app.root.current == "pin_unlock", app.root.current
    unlock_screen = screen(app)
    h.type_into(unlock_screen.ids.pin, pin)
    tap(unlock_screen.ids.unlock)
    assert app.root.current == "home", app.root.current


def new_household(app: HesabuApp) -> Any:
    home = screen(app, "home")
    home.prepare()
    h.pump(2)
    cards = [c for c in home.ids.forms.children
             if any(getattr(w, "form_id", "") == "sdi_household_enumeration"
                    for w in c.children)]
    assert cards, "the household form is not on the home screen"
    tap(find_button(cards[0], "New record"))
    start = screen(app)
    assert start.name == "start"
    tap(start.ids.settlements.children[-1])
    h.pump(2)
    tap(start.ids.structures.children[-1])
    tap(start.ids.begin)
    assert app.root.current == "form"
    return screen(app)


def fill(form: Any, plan: dict, before: dict | None = None, stop_after: int | None = None
         ) -> dict:
    """Answer the plan page by page with Next; returns what was seen on the way."""
    seen: dict[str, Any] = {"pages": []}
    done: set[tuple] = set()
    while True:
        seen["pages"].append(form.nav.title())
        progress = True
        while progress:
            progress = False
            for path in list(form.nav.page.questions):
                if path in plan and path not in done:
                    for early in (before or {}).get(path, []):
                        answer(form, path, early)
                        seen[f"after {early} at {'/'.join(map(str, path))}"] = [
                            "/".join(map(str, p)) for p in form.nav.page.questions]
                    answer(form, path, plan[path])
                    done.add(path)
                    progress = True
                    if stop_after is not None and len(done) >= stop_after:
                        return seen
                    break
        if form.nav.at_end:
            return seen
        tap(form.ids.next)


def scenario_full(args: dict) -> None:
    app = h.start(HesabuApp(store_path=args["store"]))
    assert app.root.current == "language"
    tap(screen(app).ids.en)
    enrol = screen(app)
    assert enrol.name == "enrol"
    # A picture that is not a QR code says so; the leader's QR picture fills both fields.
    assert not enrol.read_qr(args["not_qr"])
    facts_qr = {"not_qr_message": enrol.message}
    assert enrol.read_qr(args["qr"]), enrol.message
    facts_qr["qr_filled"] = [enrol.ids.server.text, enrol.ids.code.text]
    tap(enrol.ids.enrol)
    assert app.root.current == "pin_set", (app.root.current, enrol.message)
    assert h.wait_for(lambda: not app.sync_task.running), "the first sync never ended"
    pin = screen(app)
    h.type_into(pin.ids.pin, "2468")
    h.type_into(pin.ids.repeat, "2468")
    tap(pin.ids.save)
    assert app.root.current == "home"
    form = new_household(app)
    facts: dict[str, Any] = {"prefilled_number": form.nav.session.answers.get(
        "structure_number"), **facts_qr}
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
    record = app.store.record(record_id)
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
    tap(screen(app).ids.records)
    records = screen(app)
    assert records.name == "records"
    marks = [w.text for w in records.ids.list.walk(restrict=True)
             if getattr(w, "text", "").startswith("! ")]
    tap(find_button(records.ids.list, "Continue"))
    form = screen(app)
    assert form.name == "form"
    shown: dict[str, Any] = {"title": form.nav.title(), "marks": marks,
                             "notice": form.notice}
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
    facts["gps_status"] = gps.status.text
    tap(gps.use)
    shape = form.view(("boundary",))
    for point in ("-1.3130 36.7870", "-1.3130 36.7880", "-1.3140 36.7880"):
        tap(shape.manual)
        h.type_into(shape.manual, point)
        tap(find_button(shape, "Add this point"))
    facts["shape_points"] = shape.value_label.text
    photo = form.view(("photo",))
    tap(find_button(photo, "Choose a file"))
    popup = next(w for w in app.root_window.children if isinstance(w, Popup))
    chooser = next(w for w in popup.walk() if isinstance(w, FileChooserListView))
    chooser.selection = [args["photo"]]
    h.tap(find_button(popup, "Use this file"))
    h.pump(3)
    tap(find_button(form.view(("consent",)), "OK, done"))
    answer(form, ("tag",), "HH-000123")
    record_id = form.nav.session.record_id
    tap(form.ids.next)  # Finish: everything required is there
    facts["screen_after_finish"] = app.root.current
    record = app.store.record(record_id)
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


if __name__ == "__main__":
    import faulthandler

    faulthandler.dump_traceback_later(float(os.environ.get("DRIVER_TIMEOUT", "100")), exit=True)
    globals()[f"scenario_{sys.argv[1]}"](json.loads(sys.argv[2]))
