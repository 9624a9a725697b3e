"""App settings, PIN, enrolment QR codes and typed answers, without Kivy."""

from __future__ import annotations

from pathlib import Path

import pytest

from field_app.core import inputs
from field_app.core.app_state import (
    AppState,
    BadEnrolmentError,
    BadPinError,
    check_server_address,
    parse_enrolment,
)
from field_app.core.qr import QrError, decode_qr_file, make_qr_png
from field_app.core.store import Store, open_store
from forms.spec import Node


def test_first_screens_then_pin_unlock(store_path: Path) -> None:
    store = open_store(store_path)
    state = AppState(store)
    assert state.first_screen() == "language"
    state.language = "sw"
    assert state.first_screen() == "enrol"
    store.set_server("http://127.0.0.1:5000", token="t0ken")
    assert state.first_screen() == "pin_set"
    state.set_pin("2468", "2468")
    store.close()
    again = AppState(open_store(store_path))
    assert again.first_screen() == "pin_unlock" and again.language == "sw"
    assert again.check_pin("2468") and not again.check_pin("1357")
    assert "2468" not in (again._pin_hash() or "")
    again.store.close()


def test_bad_pins_are_refused_plainly(store: Store) -> None:
    state = AppState(store)
    with pytest.raises(BadPinError, match="4 to 8 digits"):
        state.set_pin("12a4")
    with pytest.raises(BadPinError, match="not the same"):
        state.set_pin("1234", "1243")
    assert not state.has_pin


def test_text_size_and_language_are_remembered(store: Store) -> None:
    state = AppState(store)
    state.text_size = "large"
    assert state.font_scale == 1.25
    with pytest.raises(ValueError):
        state.language = "de"


@pytest.mark.parametrize("text", [
    "hesabu://enrol?server=http%3A%2F%2F10.0.0.5%3A5000&code=ABCD-EFGH-JKLM",
    "hesabu://enrol?server=http://10.0.0.5:5000/&code=ABCD-EFGH-JKLM",
    '{"server": "http://10.0.0.5:5000", "code": "ABCD-EFGH-JKLM"}',
])
def test_enrolment_payloads(text: str) -> None:
    got = parse_enrolment(text)
    assert (got.server, got.code) == ("http://10.0.0.5:5000", "ABCD-EFGH-JKLM")


@pytest.mark.parametrize("text", ["", "ABCD", "hesabu://enrol?code=X", '{"server": "ftp://x"}'])
def test_not_an_enrolment(text: str) -> None:
    with pytest.raises(BadEnrolmentError, match="not a Hesabu enrolment code"):
        parse_enrolment(text)


def test_server_address_gets_a_scheme() -> None:
    assert check_server_address("192.168.1.10:5000/") == "http://192.168.1.10:5000"
    with pytest.raises(BadEnrolmentError):
        check_server_address("  ")


def test_a_qr_picture_is_read(tmp_path: Path) -> None:
    text = "hesabu://enrol?server=http://10.0.0.5:5000&code=ABCD-EFGH-JKLM"
    picture = tmp_path / "code.png"
    picture.write_bytes(make_qr_png(text))
    assert decode_qr_file(picture) == text
    blank = tmp_path / "blank.png"
    from field_app.core.qr import write_png_gray
    blank.write_bytes(write_png_gray(40, 40, b"\xff" * 1600))
    with pytest.raises(QrError, match="No QR code"):
        decode_qr_file(blank)
    (tmp_path / "x.png").write_bytes(b"hello")
    with pytest.raises(QrError, match="not a picture that can be read"):
        decode_qr_file(tmp_path / "x.png")


def q(kind: str) -> Node:
    return Node(kind="question", type=kind, name="x", path=("x",))


@pytest.mark.parametrize(("kind", "text", "value"), [
    ("integer", " 12 ", 12), ("decimal", "12,5", 12.5), ("decimal", "3", 3.0),
    ("date", "2026-03-31", "2026-03-31"), ("time", "9:05", None), ("time", "09:05", "09:05"),
    ("geopoint", "-1.3133, 36.7876", "-1.3133 36.7876 0 0"), ("text", "  ", None),
    ("barcode", "ABC123", "ABC123"),
])
def test_typed_text_becomes_an_answer(kind: str, text: str, value: object) -> None:
    parsed = inputs.parse_text(q(kind), text)
    assert parsed.value == value
    assert (parsed.error is None) == (value is not None or not text.strip())


def test_a_word_in_a_number_box_says_what_to_type() -> None:
    assert inputs.parse_text(q("integer"), "twelve").error == "Enter a whole number, like 12."
    assert inputs.parse_text(q("geopoint"), "95 10").error


def test_walking_a_shape() -> None:
    shape = None
    for point in ("1 1 0 3", "1 2 0 3", "2 2 0 3"):
        shape = inputs.add_point(shape, point)
    assert inputs.remove_last_point(shape) == "1 1 0 3;1 2 0 3"
    assert inputs.close_shape(shape) == "1 1 0 3;1 2 0 3;2 2 0 3;1 1 0 3"
    assert inputs.accuracy_of(inputs.point_answer(-1.3, 36.8, 1700, 4.5)) == 4.5


def test_date_and_time_pickers() -> None:
    from datetime import date

    today = date(2026, 11, 27)
    assert [p for p, _ in inputs.picker_parts("date", today)] == ["day", "month", "year"]
    assert inputs.picker_parts("date", today)[2][1][0] == "2027"
    assert inputs.picked("date", "", "month", "02", today) == "2026-02-27"
    assert inputs.picked("date", "2024-01-31", "month", "02", today) == "2024-02-29"
    assert inputs.picked("time", "09:05", "minute", "30") == "09:30"
    assert inputs.picker_values("date", "2024-02-29") == {"day": "29", "month": "02",
                                                          "year": "2024"}
    assert inputs.picker_values("time", "nonsense") == {}


def test_the_servers_qr_payload_is_understood() -> None:
    from server.services.device_accounts import enrolment_payload

    text = enrolment_payload("https://hesabu.example.org:8443/", "ABCD-EFGH-JKLM")
    got = parse_enrolment(text)
    assert (got.server, got.code) == ("https://hesabu.example.org:8443", "ABCD-EFGH-JKLM")
