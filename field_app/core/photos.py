"""Photos as the form wants them: turned upright, no larger than `max-pixels`, and a
thumbnail beside each one for the form screen.

    photo = prepare_photo(taken, photos_dir, max_pixels(node.parameters))
    photo.path, photo.thumbnail, photo.width, photo.height
    thumbnail_jpeg(photo_bytes, name)     # a thumbnail of a photo read as bytes

`max-pixels` has ODK Collect's meaning: the longest side in pixels; a picture is only
ever made smaller, never larger. A 12-megapixel camera JPEG (~4 MB) at max-pixels=1024
is ~200 KB: over EDGE (128 kbit/s) that is seconds instead of minutes. The camera's EXIF
orientation is applied to the pixels (the server and the review pages then show it
upright without reading EXIF), and the stored JPEG carries no EXIF at all: no camera
serial, no second position besides the form's own geopoint.

A JPEG that needs neither turning nor shrinking is copied byte for byte (no second
compression). Files are written to a temporary name and renamed, so a crash leaves the
old file or the new one, never half of one. Any picture that cannot be read raises
`PhotoError` with a plain message.
"""

from __future__ import annotations

import io
import os
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from field_app.core.i18n import _

#: Longest side of a thumbnail, in pixels (a form row shows it ~100-200 dp wide).
THUMBNAIL_PIXELS = 320
THUMBNAIL_SUFFIX = ".thumb.jpg"
#: JPEG quality of resized photos: what ODK Collect and phone cameras use, about.
QUALITY = 85
#: EXIF tag holding the camera's orientation (1 = upright).
ORIENTATION = 0x0112


class PhotoError(ValueError):
    """The picture could not be read or stored; the message says so in plain words."""


@dataclass(frozen=True)
class PreparedPhoto:
    """The stored photo (register `path` as the attachment), its thumbnail, its size."""

    path: Path
    thumbnail: Path
    width: int
    height: int


def max_pixels(parameters: Mapping[str, str] | None) -> int | None:
    """The `max-pixels` parameter of an image question (`Node.parameters`), or None when
    absent or not a positive whole number (then the photo keeps its size)."""
    raw = (parameters or {}).get("max-pixels")
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def thumbnail_path(path: str | Path) -> Path:
    """Where the thumbnail of the photo at `path` lives (beside it)."""
    path = Path(path)
    return path.with_name(path.stem + THUMBNAIL_SUFFIX)


def _open(src: Path | BinaryIO, name: str = ""):  # -> PIL.Image.Image (PIL is imported
    # lazily: app start stays fast). `src`: a file, or its bytes opened; `name` for messages.
    from PIL import Image

    name = name or Path(getattr(src, "name", "")).name
    try:
        image = Image.open(src)
        image.size  # noqa: B018  (the header is read; a file that is no image fails here)
    except FileNotFoundError as exc:
        raise PhotoError(_("The photo {name} is not there any more.").format(
            name=name)) from exc
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PhotoError(_("{name} is not a picture that can be read. Take the photo "
                           "again.").format(name=name)) from exc
    return image


def _fit(width: int, height: int, longest: int | None) -> tuple[int, int]:
    """(width, height) scaled so the longest side is at most `longest`; never larger."""
    if longest is None or max(width, height) <= longest:
        return width, height
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _upright_rgb(image, longest: int | None, name: str = ""):
    """Decode `image` turned upright, in RGB, with its longest side at most `longest`;
    `name` for messages (else the image's file name)."""
    from PIL import Image, ImageOps

    turned = image.getexif().get(ORIENTATION, 1) in (5, 6, 7, 8)
    width, height = image.size
    target = _fit(*((height, width) if turned else (width, height)), longest)
    # JPEG can decode at 1/2, 1/4 or 1/8 scale directly: most of the speed of resizing
    # a 12-megapixel photo. draft() keeps the decoded size at least the target.
    image.draft("RGB", (target[1], target[0]) if turned else target)
    try:
        upright = ImageOps.exif_transpose(image)
        if upright.mode != "RGB":
            background = Image.new("RGB", upright.size, "white")  # transparency -> white
            rgba = upright.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            upright = background
        if upright.size != target:
            upright = upright.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt pixel data
        raise PhotoError(_("{name} is damaged and cannot be read. Take the photo "
                           "again.").format(name=name or Path(image.filename or "").name)
                         ) from exc
    return upright


def write_atomically(dest: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write `dest` through a temporary file in its folder (made if needed), then rename."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=dest.suffix, dir=dest.parent)
    except OSError as exc:
        raise _not_saved(exc) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _not_saved(exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _not_saved(exc: OSError) -> PhotoError:
    return PhotoError(_("The photo could not be saved: {why}. Free some space and take it "
                        "again.").format(why=exc.strerror or exc))


def _save_jpeg(image, dest: Path) -> None:
    write_atomically(dest, lambda f: image.save(f, "JPEG", quality=QUALITY))


def _save_thumbnail(image, photo: Path) -> Path:
    small = image.copy()
    small.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
    dest = thumbnail_path(photo)
    _save_jpeg(small, dest)
    return dest


def prepare_photo(src: str | Path, dest_dir: str | Path, max_pixels: int | None,
                  name: str | None = None) -> PreparedPhoto:
    """Store the picture at `src` in `dest_dir` as `<name>.jpg` (default: a new unique
    name): upright, longest side at most `max_pixels` (None: full size), plus its
    thumbnail. `src` is left as it was. Raises PhotoError with a plain message."""
    src, dest_dir = Path(src), Path(dest_dir)
    dest = dest_dir / f"{name or uuid.uuid4().hex}.jpg"
    with _open(src) as image:
        width, height = image.size
        keep_bytes = (image.format == "JPEG" and _fit(width, height, max_pixels) ==
                      (width, height) and image.getexif().get(ORIENTATION, 1) == 1)
        upright = _upright_rgb(image, max_pixels)
    if keep_bytes and src.resolve() != dest.resolve():
        write_atomically(dest, lambda f: f.write(src.read_bytes()))
    elif not keep_bytes:
        _save_jpeg(upright, dest)
    thumb = _save_thumbnail(upright, dest)
    return PreparedPhoto(dest, thumb, *upright.size)


def thumbnail_jpeg(data: bytes, name: str = "") -> bytes:
    """A thumbnail (JPEG bytes) of a photo given as bytes (a sealed photo, opened)."""
    with _open(io.BytesIO(data), name) as image:
        small = _upright_rgb(image, THUMBNAIL_PIXELS, name)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()
