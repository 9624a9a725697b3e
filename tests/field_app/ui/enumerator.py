"""Scenarios of an enumerator filling a household (run by driver.py in their own process):
Next / Finish and the missing list, reaching a question, swiping, the overview, the
members list, the Back key, scrolling past the top, GPS accuracy, shapes, photos."""

from __future__ import annotations

import threading
import time
from typing import Any

from uikit import (
    HOUSEHOLD,
    MEMBERS,
    answer,
    back_key,
    choices_in,
    drag,
    find_button,
    in_view,
    new_household,
    new_record,
    popups,
    result,
    screen,
    tap,
    unlock,
)

from field_app.core import records
from field_app.core.devices import Fix, StillCamera
from field_app.ui import headless as h
from field_app.ui.app import HesabuApp
from field_app.ui.widgets import ProblemButton

HOUSEHOLD_FORM = "sdi_household_enumeration"


def key(path: tuple) -> str:
    return "/".join(map(str, path))


def errors_shown(form: Any) -> dict[str, str]:
    return {key(v.path): v.error_text for v in form.views if v.error_text}


def some_answer(form: Any, path: tuple) -> Any:
    """What to answer where the plan says nothing: the first choice, or a number."""
    if path in HOUSEHOLD:
        return HOUSEHOLD[path]
    view = form.view(path)
    if hasattr(view, "buttons"):
        return next(iter(view.buttons))
    return "1" if view.node.type in ("integer", "decimal") else "x"


def scenario_finish(args: dict) -> None:
    """Start refuses without a structure; Next/Finish follow relevance; "answer needed"
    only once passed; Finish lists what is missing; a tap reaches the question; the list
    shrinks with every answer and goes when empty."""
    app = h.start(HesabuApp(store_path=args["store"]))
    unlock(app, args["pin"])
    facts: dict[str, Any] = {}
    start = new_record(app, HOUSEHOLD_FORM)
    tap(choices_in(start.ids.settlements)[0])
    facts["structures_listed"] = [b.text for b in choices_in(start.ids.structures)]
    tap(start.ids.begin)
    facts["refused"] = [app.root.current, start.message]
    tap(start.ids.number)
    h.type_into(start.ids.number, "msh-142")
    facts["picked"] = start.picked_text
    tap(start.ids.begin)
    form = screen(app)
    nxt = form.ids.next
    facts["page1"] = [nxt.text, nxt.tone, round(form.progress, 3), form.progress_text]
    answer(form, ("consent",), "yes")
    facts["after_consent"] = [nxt.text, nxt.tone, form.progress_text]
    tap(nxt)
    facts["fresh_page"] = [form.nav.title(), errors_shown(form)]
    tap(nxt)  # moved on without answering
    facts["skipped_to"] = form.nav.title()
    tap(form.ids.back)
    facts["passed_page_errors"] = errors_shown(form)
    answer(form, ("household", "members_count"), "2")
    while not form.nav.at_end:
        tap(nxt)
    facts["last_page"] = [form.nav.title(), round(form.progress, 3), nxt.text]
    tap(nxt)  # Finish, with answers missing
    items = [w for w in form.ids.issues.children if isinstance(w, ProblemButton)][::-1]
    facts["finish"] = [app.root.current, form.showing_issues, form.problems_left, len(items)]
    facts["first_items"] = [i.text for i in items[:3]]
    facts["finish_button_after_tap"] = [nxt.text, nxt.tone, list(nxt.background_color)]
    target = (*MEMBERS, 1, "member_name")
    tap(next(i for i in items if i.problem_path == target))
    h.pump(3)
    view = form.view(target)
    facts["reached"] = [form.nav.title(), in_view(view, form.ids.scroll), view.highlight,
                        view.field.focus, form.showing_issues, form.ids.banner.height > 0]
    before = form.problems_left
    h.type_into(view.field, "Juma")
    facts["after_one"] = [before, form.problems_left]
    visits = []
    for _ in range(60):
        if not form.problems_left:
            break
        tap(form.ids.next_problem)
        h.pump(2)
        lit = [v for v in form.views if v.highlight]
        assert len(lit) == 1, [key(v.path) for v in lit]
        path = lit[0].path
        focus = lit[0].field.focus if hasattr(lit[0], "field") else None
        visits.append([key(path), in_view(lit[0], form.ids.scroll), focus])
        count = form.problems_left
        answer(form, path, some_answer(form, path))
        assert form.problems_left <= count + 2, (path, count, form.problems_left)
    facts["visits"] = visits
    facts["all_answered"] = [form.problems_left, form.ids.banner.height,
                             len(form.ids.banner.children), form.showing_issues]
    record_id = form.nav.session.record_id
    form.nav.go(len(form.nav.pages) - 1)
    form.show_page()
    tap(nxt)  # Finish
    facts["finished"] = [app.root.current, records.get_record(app.store, record_id)["status"]]
    app.stop()
    result(facts)


def scenario_moving(args: dict) -> None:
    """Swipes between pages, the overview, the members list, the Back key, and a pull
    past the top of a long page on slow frames."""
    from kivy.uix.popup import Popup

    app = h.start(HesabuApp(store_path=args["store"]))
    unlock(app, args["pin"])
    facts: dict[str, Any] = {}
    form = new_household(app, number="MSH-0142")
    answer(form, ("consent",), "yes")
    # A swipe that starts on a choice turns the page and does not choose.
    no = form.view(("consent",)).buttons["no"]
    drag(no, -300, 10)
    facts["swipe_left"] = form.nav.title()
    drag(form.ids.scroll, 300, -10)
    facts["swipe_right"] = [form.nav.title(), form.nav.session.answers.get("consent")]
    tap(form.ids.next)
    answer(form, ("household", "members_count"), "3")
    for i, (name, age) in enumerate((("Amina Wanjiru", "34"), ("Juma", "3"))):
        form.go_member(MEMBERS, i)
        answer(form, (*MEMBERS, i, "member_name"), name)
        answer(form, (*MEMBERS, i, "member_age"), age)
    # The members list: who is who, open one, remove one (after confirming).
    tap(form.ids.members)
    [listed] = [p for p in popups() if isinstance(p, Popup)]
    rows = listed.member_rows
    facts["members"] = [line.children[-1].text for line in rows.children[::-1]]
    facts["members_button"] = form.ids.members.text
    tap(rows.children[::-1][1].children[-1])  # "2. Juma, 3"
    h.settle(0.3)  # the list fades out
    facts["opened"] = form.nav.title()
    tap(form.ids.members)
    [listed] = popups()
    tap(listed.member_rows.children[::-1][2].children[0])  # Remove, on the third
    [asked] = [p for p in popups() if p is not listed]
    tap(find_button(asked, "Remove"))
    h.settle(0.3)
    facts["after_remove"] = [[line.children[-1].text
                              for line in listed.member_rows.children[::-1]],
                             len(form.nav.instances(MEMBERS)), form.nav.title()]
    listed.dismiss()
    h.settle(0.3)
    # The overview: every member and question; a row goes there; the first problem.
    tap(form.ids.overview)
    overview = screen(app)
    facts["overview"] = [overview.name, len(overview.rows), overview.problems]
    facts["overview_members"] = [r.label for r in overview.rows if r.kind == "instance"]
    tap(overview.ids.only_problems)
    h.pump(3)
    shown = overview.ids.list.data
    facts["only_problems"] = [len(shown), all(
        d["row"].kind != "question" or d["row"].state in ("missing", "error") for d in shown)]
    listing = overview.ids.list
    bottom = listing.to_window(listing.x, listing.y)[1]
    row = next(w for w in listing.children[0].children[::-1]
               if w.row is not None and w.row.kind == "question" and w.reachable
               and bottom < w.to_window(*w.center)[1] < bottom + listing.height)
    target = row.row.path
    tap(row)
    h.pump(3)
    facts["overview_row"] = [app.root.current, key(target), target in form.nav.page.questions,
                             [key(v.path) for v in form.views if v.highlight],
                             form.nav.title()]
    tap(form.ids.overview)
    tap(screen(app).ids.first_problem)
    h.pump(3)
    lit = [key(v.path) for v in form.views if v.highlight]
    facts["first_problem"] = [app.root.current, lit]
    # The Back key: the page before, then a question before leaving the record.
    form.go_member(MEMBERS, 1)
    before = form.nav.title()
    back_key(app)
    facts["back_page"] = [before, form.nav.title()]
    form.nav.go(0)
    form.show_page()
    back_key(app)
    facts["back_on_first"] = [app.root.current, [p.title for p in popups()]]
    back_key(app)  # closes the question, stays in the record
    facts["back_closes_popup"] = [app.root.current, len(popups())]
    back_key(app)
    tap(find_button(popups()[-1], "Leave"))
    facts["left"] = app.root.current
    # A pull past the top of a long page, with slow frames (a busy tablet): the page
    # settles back at its top instead of staying shifted or blank.
    app.go("records")
    tap(find_button(screen(app).ids.list, "Continue"))
    form = screen(app)
    form.nav.go(len(form.nav.pages) - 1)
    form.show_page()
    h.pump(5)
    scroll = form.ids.scroll
    facts["long_page"] = form.ids.questions.height > 2 * scroll.height
    drag(scroll, 0, -360, steps=6, start=scroll.to_window(scroll.center_x, scroll.top - 80))
    trace = []
    for _ in range(10):
        time.sleep(0.4)
        h.pump(1)
        trace.append(round(scroll.scroll_y, 3))
    facts["pull_past_top"] = [trace, in_view(form.views[0], scroll)]
    # An ordinary scroll still scrolls (it is not a swipe).
    drag(scroll, 0, 400, steps=8)
    h.settle(0.5)
    facts["scrolled"] = [scroll.scroll_y < 0.95, form.nav.title()]
    app.stop()
    result(facts)


class StepGps:
    """A GPS receiver the scenario feeds one fix at a time (from another thread, as a
    real receiver calls back)."""

    available = True

    def __init__(self) -> None:
        self.on_fix: Any = None
        self.running = False

    def start(self, on_fix: Any, on_status: Any) -> None:
        self.on_fix, self.running = on_fix, True

    def stop(self) -> None:
        self.running = False

    def send(self, accuracy: float) -> None:
        fix = Fix(-1.3133, 36.7876, 1701.0, accuracy)
        thread = threading.Thread(target=self.on_fix, args=(fix,))
        thread.start()
        thread.join()
        h.pump(3)


def scenario_gps_photo(args: dict) -> None:
    """A geopoint judged against the form's accuracy (capture 5 m, warning 20 m); a
    shape drawn and measured; a photo's thumbnail, retake and remove."""
    gps = StepGps()
    app = h.start(HesabuApp(store_path=args["store"], gps=gps,
                            camera=StillCamera(args["photo"])))
    unlock(app, args["pin"])
    start = new_record(app, "types")
    tap(start.ids.begin)
    form = screen(app)
    facts: dict[str, Any] = {}
    point = form.view(("gps",))

    def state() -> list:
        return [point.status.text, point.use.text, point.use.disabled,
                form.nav.session.answers.get("gps")]

    tap(find_button(point, "Find my position"))
    gps.send(48.0)
    facts["poor"] = state()
    tap(point.use)
    tap(find_button(popups()[-1], "Keep waiting"))
    facts["kept_waiting"] = state()
    gps.send(12.0)
    facts["fair"] = state()
    gps.send(4.0)
    facts["good"] = [*state(), gps.running]
    tap(find_button(point, "Find my position"))
    gps.send(48.0)
    tap(point.use)
    tap(find_button(popups()[-1], "Use it"))
    facts["poor_confirmed"] = state()
    shape = form.view(("boundary",))
    for typed in args["corners"]:
        tap(shape.manual)
        h.type_into(shape.manual, typed)
        tap(find_button(shape, "Add this point"))
    drawing = shape.drawing
    facts["shape"] = [shape.value_label.text, len(drawing.canvas.children) > 6,
                      getattr(drawing, "bar_metres", None)]
    photo = form.view(("photo",))
    tap(photo.take)
    assert h.wait_for(lambda: bool(form.nav.session.answers.get("photo")), 10)
    h.pump(3)
    stored = form.nav.session.answers["photo"]
    facts["photo"] = [stored, list(photo.thumbnail.texture.size), photo.thumbnail.height > 0,
                      photo.take.text, photo.remove.opacity, photo.remove.disabled,
                      sorted(p.name for p in photo.folder.iterdir())]
    import io

    from PIL import Image

    from field_app.core.attachments import SEALED_FILE, file_bytes

    # The store is encrypted (types_tablet chose a PIN): the photo and its thumbnail are
    # sealed on disk, and open only through the store.
    facts["sealed"] = [p.read_bytes().startswith(SEALED_FILE)
                       for p in sorted(photo.folder.iterdir())]
    with Image.open(io.BytesIO(file_bytes(app.store, photo.folder / stored))) as image:
        facts["photo_size"] = list(image.size)
    tap(photo.remove)
    tap(find_button(popups()[-1], "Remove"))
    facts["removed"] = [form.nav.session.answers.get("photo"), photo.thumbnail.height,
                        photo.take.text, photo.remove.disabled]
    app.stop()
    result(facts)
