"""Scenarios around the records (run by driver.py in their own process): my work apart
from records received for reference, dates, order, the returned filter, deleting a
draft; home counts; Settings and form titles in Swahili; the QR button where it works."""

from __future__ import annotations

from typing import Any

from uikit import back_key, find_button, popups, result, screen, tap, unlock

from field_app.core import records
from field_app.ui import headless as h
from field_app.ui.app import HesabuApp
from field_app.ui.widgets import Body, Card


def cards(records_screen: Any) -> list[list[str]]:
    """Each record card's texts, top first."""
    return [[w.text for w in card.children[::-1] if isinstance(w, Body)]
            for card in records_screen.ids.list.children[::-1] if isinstance(card, Card)]


def scenario_records(args: dict) -> None:
    app = h.start(HesabuApp(store_path=args["store"]))
    unlock(app, args["pin"])
    facts: dict[str, Any] = {}
    home = screen(app)
    household_card = next(c for c in home.ids.forms.children
                          if any(getattr(w, "form_id", "") == "sdi_household_enumeration"
                                 for w in c.children))
    facts["home_household"] = [w.text for w in household_card.children[::-1]
                               if isinstance(w, Body)]
    tap(home.ids.records)
    records_screen = screen(app)
    facts["my_work"] = cards(records_screen)
    tap(records_screen.ids.reference)
    facts["reference"] = cards(records_screen)
    tap(records_screen.ids.my_work)
    tap(records_screen.ids.returned)
    facts["returned"] = [c[0] for c in cards(records_screen)]
    records_screen.set_status("all")
    tap(records_screen.ids.sort_name)
    facts["by_name"] = [c[0] for c in cards(records_screen)]
    tap(records_screen.ids.sort_made)
    facts["by_made"] = [c[0] for c in cards(records_screen)]
    tap(records_screen.ids.drafts)
    drafts_before = cards(records_screen)
    tap(find_button(records_screen.ids.list, "Delete this draft"))
    facts["delete_question"] = [p.title for p in popups()]
    tap(find_button(popups()[-1], "Delete"))
    facts["drafts"] = [drafts_before, cards(records_screen), records.get_record(app.store,
                                                                                args["draft"])]
    back_key(app)
    facts["back_from_records"] = app.root.current
    # Settings: Kiswahili applies at once, to the About text and the form titles too.
    tap(screen(app).ids.settings)
    settings = screen(app)
    tap(settings.ids.sw)
    facts["about_sw"] = settings.ids.about.text
    back_key(app)
    home = screen(app)
    facts["home_sw"] = [home.name] + [c.children[-1].text for c in home.ids.forms.children[::-1]
                                      if isinstance(c, Card)]
    # The QR picture button only where a decoder exists.
    import field_app.ui.screens.enrol as enrol_screen

    shown = {}
    for available in (True, False):
        enrol_screen.qr_available = lambda a=available: a
        enrol = app.go("enrol")
        enrol.on_pre_enter()
        h.pump(2)
        shown[str(available)] = [enrol.ids.qr.height > 0, enrol.ids.qr.opacity,
                                 enrol.ids.qr.disabled]
    facts["qr_button"] = shown
    app.stop()
    result(facts)
