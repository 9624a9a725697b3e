"""Reading the enrolment QR code from a picture: real QR PNGs and camera-like JPEGs,
decoded with pyzbar (the tablet's decoder; `make test` installs the zbar library) and
with zxing-cpp (the desktop's), and by camera through `read_enrolment_from_camera`."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageFilter

from field_app.core import qr
from field_app.core.app_state import Enrolment
from field_app.core.devices import NoCamera, StillCamera
from field_app.core.qr import (
    QrError,
    QrReading,
    can_read_pictures,
    decode_qr_file,
    make_qr_png,
    read_enrolment_from_camera,
)

TEXT = "hesabu://enrol?server=http://10.0.0.5:5000&code=ABCD-EFGH-JKLM"


@pytest.fixture(params=["pyzbar", "zxing-cpp"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test once per decoder: the other one made unavailable."""
    assert qr._pyzbar() is not None, "pyzbar needs the zbar library: apt-get install libzbar0"
    assert qr._zxing() is not None
    if request.param == "zxing-cpp":
        monkeypatch.setattr(qr, "_pyzbar", lambda: None)
    else:
        monkeypatch.setattr(qr, "_zxing", lambda: None)
    return request.param


def camera_photo(path: Path, text: str = TEXT) -> Path:
    """A 12-megapixel camera JPEG with the code printed on paper, a bit blurred, in one
    part of the picture (as a tablet photographs a leader's screen or sheet)."""
    photo = Image.effect_noise((4000, 3000), 40).convert("RGB")
    code = Image.open(io.BytesIO(make_qr_png(text, scale=12))).convert("RGB")
    photo.paste(code.resize((900, 900)), (1700, 900))
    photo.filter(ImageFilter.GaussianBlur(1.5)).save(path, "JPEG", quality=88)
    return path


def test_a_qr_png_is_read(tmp_path: Path, decoder: str) -> None:
    picture = tmp_path / "code.png"
    picture.write_bytes(make_qr_png(TEXT))
    assert can_read_pictures()
    assert decode_qr_file(picture) == TEXT


def test_a_camera_photo_of_the_code_is_read(tmp_path: Path, decoder: str) -> None:
    assert decode_qr_file(camera_photo(tmp_path / "photo.jpg")) == TEXT


def test_a_picture_without_a_code_says_what_to_do(tmp_path: Path, decoder: str) -> None:
    blank = tmp_path / "wall.jpg"
    Image.effect_noise((800, 600), 30).save(blank, "JPEG")
    with pytest.raises(QrError, match=r"^No QR code found in this picture\. Hold the tablet"):
        decode_qr_file(blank)


def test_a_file_that_is_no_picture(tmp_path: Path) -> None:
    (tmp_path / "x.jpg").write_bytes(b"hello")
    with pytest.raises(QrError, match=r"^This is not a picture that can be read\.$"):
        decode_qr_file(tmp_path / "x.jpg")
    with pytest.raises(QrError, match=r"^Could not open missing\.png"):
        decode_qr_file(tmp_path / "missing.png")


def test_without_a_decoder_pictures_cannot_be_read(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qr, "_pyzbar", lambda: None)
    monkeypatch.setattr(qr, "_zxing", lambda: None)
    assert not can_read_pictures()
    with pytest.raises(QrError, match="type the address and code instead"):
        decode_qr_file(tmp_path / "any.png")


class Readings:
    def __init__(self) -> None:
        self.got: list[QrReading] = []
        self.event = threading.Event()

    def __call__(self, reading: QrReading) -> None:
        self.got.append(reading)
        self.event.set()

    def one(self) -> QrReading:
        assert self.event.wait(10)
        assert len(self.got) == 1
        return self.got[0]


def test_enrolment_by_camera(tmp_path: Path) -> None:
    readings = Readings()
    shot = tmp_path / "qr-shot.jpg"
    read_enrolment_from_camera(StillCamera(camera_photo(tmp_path / "photo.jpg")), shot,
                               readings)
    assert readings.one() == QrReading(Enrolment("http://10.0.0.5:5000", "ABCD-EFGH-JKLM"))
    assert not shot.exists()  # the picture is not kept


def test_enrolment_by_camera_with_another_code_or_cancelled(tmp_path: Path) -> None:
    readings = Readings()
    read_enrolment_from_camera(StillCamera(camera_photo(tmp_path / "p.jpg", "hello")),
                               tmp_path / "shot.jpg", readings)
    reading = readings.one()
    assert reading.enrolment is None and reading.message
    cancelled = Readings()
    read_enrolment_from_camera(NoCamera(), tmp_path / "shot.jpg", cancelled)
    assert cancelled.one() == QrReading(None, "")


def test_a_camera_failure_is_the_reading_message(tmp_path: Path) -> None:
    readings = Readings()
    read_enrolment_from_camera(StillCamera(tmp_path / "no-such-picture.jpg"),
                               tmp_path / "shot.jpg", readings)
    reading = readings.one()
    assert reading.enrolment is None and "No such file" in reading.message
