"""A small form with one question of every type the app shows (for the widget tests)."""

from __future__ import annotations

from pathlib import Path

from forms.spec import Choice, FormSpec, Node


def q(kind: str, name: str, label: str, **kw: object) -> Node:
    return Node(kind="question", type=kind, name=name, path=(name,),
                label={"default": label}, **kw)


def c(name: str, label: str, **extra: str) -> Choice:
    return Choice(name=name, label={"default": label}, extra=extra)


TYPES_FORM = FormSpec(id="types", version="1", title="Every question type", children=(
    q("text", "name", "Name", required="true()"),
    q("integer", "rooms", "Rooms", constraint=". > 0",
      constraint_message={"default": "At least one room."}),
    q("calculate", "double_rooms", "Rooms times two", calculation="${rooms} * 2"),
    q("decimal", "rent", "Rent"),
    q("date", "visit", "Visit date"),
    q("time", "at", "Time"),
    q("select_one", "district", "District", list_name="district"),
    q("select_one", "ward", "Ward", list_name="ward", choice_filter="district = ${district}"),
    q("select_multiple", "assets", "Assets", list_name="assets"),
    q("note", "remember", "Thank ${name} for the ${rooms} rooms."),  # answers shown
    q("geopoint", "gps", "Position",
      parameters={"capture-accuracy": "5", "warning-accuracy": "20"}),
    q("geoshape", "boundary", "Boundary"),
    q("image", "photo", "Photo of the door", parameters={"max-pixels": "32"}),
    q("acknowledge", "consent", "I read the statement"),
    q("barcode", "tag", "Tag number"),
), choices={
    "district": (c("kibra", "Kibra"), c("mathare", "Mathare")),
    "ward": (c("laini", "Laini Saba", district="kibra"),
             c("sarangombe", "Sarang'ombe", district="kibra"),
             c("mabatini", "Mabatini", district="mathare")),
    "assets": (c("radio", "Radio"), c("phone", "Phone"), c("fridge", "Fridge")),
})


def types_tablet(path: Path, pin: str) -> Path:
    """A tablet store holding only TYPES_FORM, enrolled (to nowhere), English, `pin`."""
    from field_app.core.app_state import AppState
    from field_app.core.store import open_store

    store = open_store(path)
    store.save_form(TYPES_FORM.to_dict())
    store.set_server("http://127.0.0.1:9", token="t")
    state = AppState(store)
    state.language = "en"
    state.set_pin(pin)
    store.close()
    return path
