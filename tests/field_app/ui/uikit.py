"""What the UI tests do with the real widgets, as a person would: touches on buttons,
typing into fields, drags, the Back key. Imported by the scenario modules that
`driver.py` runs in their own process (after `offscreen_environment`)."""

from __future__ import annotations

import json
from typing import Any

from field_app.ui import headless as h
from field_app.ui.app import HesabuApp

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
    if isinstance(scroller, ScrollView) and not hasattr(scroller, "viewclass"):
        # (a RecycleView's rows are widgets only while they are on screen: no scrolling)
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
    # Home, or the record that was open when the app was last stopped.
    assert app.root.current in ("home", "form"), app.root.current


def choices_in(box: Any) -> list[Any]:
    """The pickable buttons in a start screen list, top first."""
    return [w for w in box.children if hasattr(w, "record_id")][::-1]


def new_record(app: HesabuApp, form_id: str) -> Any:
    """Home, then New record on that form's card: the start screen."""
    home = screen(app, "home")
    home.prepare()
    h.pump(2)
    cards = [c for c in home.ids.forms.children
             if any(getattr(w, "form_id", "") == form_id for w in c.children)]
    assert cards, f"{form_id} is not on the home screen"
    tap(find_button(cards[0], "New record"))
    start = screen(app)
    assert start.name == "start"
    return start


def new_household(app: HesabuApp, number: str | None = None) -> Any:
    """Start a household: the first settlement, and the structure typed by its painted
    number (or the first one listed)."""
    start = new_record(app, "sdi_household_enumeration")
    tap(choices_in(start.ids.settlements)[0])
    h.pump(2)
    if number is None:
        tap(choices_in(start.ids.structures)[0])
    else:
        tap(start.ids.number)
        h.type_into(start.ids.number, number)
    tap(start.ids.begin)
    assert app.root.current == "form", start.message
    return screen(app)


def drag(widget: Any, dx: float, dy: float, steps: int = 8, start: tuple | None = None,
         pause: float = 0.01) -> None:
    """A finger put down on `widget` (or at window point `start`), moved by (dx, dy)
    in `steps`, then lifted: a swipe or a scroll."""
    import time

    from kivy.tests.common import UnitTestTouch

    x, y = start or widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    h.pump(1)
    for i in range(1, steps + 1):
        touch.touch_move(x + dx * i / steps, y + dy * i / steps)
        h.pump(1)
        time.sleep(pause)
    touch.touch_up()
    h.settle(0.1)


def back_key(app: HesabuApp) -> bool:
    """The hardware Back key (Escape: key code 27), through the window like a real one."""
    from kivy.core.window import Window

    handled = Window.dispatch("on_keyboard", 27, 0, "", [])
    h.pump(2)
    return bool(handled)


def popups() -> list[Any]:
    """The popups open now, topmost last (waits out one still fading in or out)."""
    from kivy.core.window import Window

    h.settle(0.15)

    from field_app.ui.dialogs import open_popups

    return open_popups(Window)


def in_view(widget: Any, scroller: Any) -> bool:
    """Whether the top of the widget (a question's label) is in the visible part of its
    scroll view."""
    bottom = scroller.to_window(scroller.x, scroller.y)[1]
    high = widget.to_window(widget.x, widget.top)[1]
    return bottom + 1 <= high <= bottom + scroller.height + 1


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


