"""Reading an enrolment QR code from a picture (a PNG file or camera photo).

Decoding uses zxing-cpp when it is installed (desktop; there is no python-for-android
recipe for it, so on a tablet the enumerator types the address and code, or the
camera app's own QR reader hands the text over). PNG files are read here with zlib, so
no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from field_app.core.i18n import _


class QrError(ValueError):
    """The picture could not be read, or holds no QR code."""


def qr_available() -> bool:
    try:
        import zxingcpp  # noqa: F401
    except ImportError:
        return False
    return True


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


def decode_qr_file(path: str | Path) -> str:
    """The text of the QR code in the PNG at `path`."""
    try:
        import zxingcpp
    except ImportError as exc:
        raise QrError(_("Reading QR pictures is not available on this device: type the "
                        "address and code instead.")) from exc
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise QrError(_("Could not open {name}: {why}").format(
            name=Path(path).name, why=exc.strerror)) from exc
    width, height, gray = read_png_gray(data)
    view = zxingcpp.ImageView(gray, width, height, zxingcpp.ImageFormat.Lum)
    found = zxingcpp.read_barcodes(view, formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:
        raise QrError(_("No QR code found in this picture."))
    return found[0].text


def make_qr_png(text: str, scale: int = 6) -> bytes:
    """A PNG of a QR code holding `text` (needs zxing-cpp)."""
    import zxingcpp

    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    image = memoryview(zxingcpp.write_barcode_to_image(code, scale=scale))
    height, width = image.shape
    return write_png_gray(width, height, image.tobytes())
