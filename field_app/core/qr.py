"""Reading an enrolment QR code from a picture: a camera photo or a PNG file.

    if can_read_pictures():                    # else hide "Read a QR code picture"
        read_enrolment_from_camera(app.camera, photo_path,
                                   mainthread(show))    # kivy.clock.mainthread
    decode_qr_file(path)                       # the text of the code in a picture

Decoders, the first one importable wins: pyzbar with the zbar library (python-for-android
has recipes for both: the tablet), then zxing-cpp (desktop; no recipe). Pictures are read
with Pillow (camera JPEGs; large photos decoded at a reduced scale, which QR codes
survive), or, without Pillow, as PNG with zlib here.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from field_app.core.app_state import BadEnrolmentError, Enrolment, parse_enrolment
from field_app.core.devices import Camera
from field_app.core.i18n import _

#: Longest side a picture is decoded at: a QR code filling a tenth of a 12-megapixel
#: photo still has ~5 pixels per module there, and zbar is 10x faster than at full size.
DECODE_PIXELS = 1600


class QrError(ValueError):
    """The picture could not be read, or holds no QR code."""


def _pyzbar():  # -> the pyzbar.pyzbar module, or None (no zbar library)
    try:
        from pyzbar import pyzbar
    except ImportError:  # pyzbar missing, or installed without libzbar
        return None
    return pyzbar


def _zxing():  # -> the zxingcpp module, or None
    try:
        import zxingcpp
    except ImportError:
        return None
    return zxingcpp


def can_read_pictures() -> bool:
    """True when some QR decoder works here (the UI hides picture reading otherwise)."""
    return _pyzbar() is not None or _zxing() is not None


qr_available = can_read_pictures  # the name the enrolment screen used first


def read_png_gray(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, 8-bit gray pixels) of a non-interlaced 8-bit PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise QrError(_("This is not a PNG picture."))
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    if header is None:
        raise QrError(_("This PNG picture is damaged."))
    width, height, depth, color, _c, _f, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise QrError(_("This kind of PNG cannot be read: save it as an ordinary PNG."))
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    if channels == 1:
        return width, height, b"".join(rows)
    gray = bytearray()
    for line in rows:
        for x in range(0, stride, channels):
            if channels >= 3:
                gray.append((line[x] * 30 + line[x + 1] * 59 + line[x + 2] * 11) // 100)
            else:
                gray.append(line[x])
    return width, height, bytes(gray)


def write_png_gray(width: int, height: int, pixels: bytes) -> bytes:
    """An 8-bit gray PNG (for tests and screenshots of codes)."""
    raw = b"".join(b"\0" + pixels[y * width:(y + 1) * width] for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                                0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_gray(path: str | Path) -> tuple[int, int, bytes]:
    """(width, height, 8-bit gray pixels) of a picture, at most DECODE_PIXELS wide/high."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QrError(_("Could not open {name}: {why}").format(
            name=path.name, why=exc.strerror)) from exc
    try:
        from PIL import Image
    except ImportError:
        return read_png_gray(data)
    import io

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("L", (DECODE_PIXELS, DECODE_PIXELS))
            gray = image.convert("L")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise QrError(_("This is not a picture that can be read.")) from exc
    gray.thumbnail((DECODE_PIXELS, DECODE_PIXELS))
    return gray.width, gray.height, gray.tobytes()


def decode_qr_file(path: str | Path) -> str:
    """The text of the QR code in the picture at `path` (JPEG, PNG...)."""
    pyzbar, zxingcpp = _pyzbar(), _zxing()
    if pyzbar is None and zxingcpp is None:
        raise QrError(_("Reading QR pictures is not available on this device: type the "
                        "address and code instead."))
    width, height, gray = read_gray(path)
    if pyzbar is not None:
        found = pyzbar.decode((gray, width, height), symbols=[pyzbar.ZBarSymbol.QRCODE])
        texts = [f.data.decode("utf-8", "replace") for f in found]
    else:
        view = zxingcpp.ImageView(gray, width, height, zxingcpp.ImageFormat.Lum)
        texts = [f.text for f in zxingcpp.read_barcodes(
            view, formats=zxingcpp.BarcodeFormat.QRCode)]
    if not texts:
        raise QrError(_("No QR code found in this picture. Hold the tablet so the whole "
                        "code is in the picture, sharp and not too small."))
    return texts[0]


@dataclass(frozen=True)
class QrReading:
    """What reading the enrolment QR by camera gave: `enrolment` on success; otherwise
    `message` in plain words ("" when the person cancelled the camera)."""

    enrolment: Enrolment | None
    message: str = ""


def read_enrolment_from_camera(camera: Camera, filename: str | Path,
                               on_done: Callable[[QrReading], None]) -> None:
    """Take a picture with `camera` into `filename` and read the enrolment QR code in it.
    `on_done` is called once, maybe on another thread (wrap it with Kivy's `mainthread`)."""

    def taken(path: str | None) -> None:
        if path is None:
            on_done(QrReading(None))
            return
        try:
            reading = QrReading(parse_enrolment(decode_qr_file(path)))
        except (QrError, BadEnrolmentError) as exc:
            reading = QrReading(None, str(exc))
        Path(path).unlink(missing_ok=True)  # the picture served its purpose
        on_done(reading)

    camera.take_picture(str(filename), taken, lambda message: on_done(QrReading(None,
                                                                                message)))


def make_qr_png(text: str, scale: int = 6) -> bytes:
    """A PNG of a QR code holding `text` (needs zxing-cpp)."""
    import zxingcpp

    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    image = memoryview(zxingcpp.write_barcode_to_image(code, scale=scale))
    height, width = image.shape
    return write_png_gray(width, height, image.tobytes())
