"""Photos stored as the form asks: upright, no larger than max-pixels, with a thumbnail;
real JPEG and PNG files made with Pillow, and broken ones giving a plain error."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from field_app.core.attachments import thumbnail_bytes
from field_app.core.photos import (
    THUMBNAIL_PIXELS,
    PhotoError,
    max_pixels,
    prepare_photo,
    thumbnail_path,
)
from field_app.core.store import open_store
from forms.spec import Node

RED, BLUE = (220, 20, 20), (20, 20, 220)


def two_colour_jpeg(path: Path, size: tuple[int, int], orientation: int = 1) -> Path:
    """Left half red, right half blue, as a camera stores it (EXIF orientation tag)."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Camera maker"
    image.save(path, "JPEG", quality=95, exif=exif)
    return path


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True))


def test_max_pixels_reads_the_question_parameter() -> None:
    node = Node(kind="question", type="image", name="q", path=("q",),
                parameters={"max-pixels": "1024"})
    assert max_pixels(node.parameters) == 1024
    assert max_pixels({}) is None and max_pixels(None) is None
    assert max_pixels({"max-pixels": "big"}) is None and max_pixels({"max-pixels": "0"}) is None


def test_a_large_photo_is_resized_to_max_pixels_with_a_thumbnail(tmp_path: Path) -> None:
    src = two_colour_jpeg(tmp_path / "camera.jpg", (2000, 1500))
    photo = prepare_photo(src, tmp_path / "photos", 1024, name="house")
    assert photo.path == tmp_path / "photos" / "house.jpg"
    assert (photo.width, photo.height) == (1024, 768)
    with Image.open(photo.path) as stored:
        assert stored.format == "JPEG" and stored.size == (1024, 768)
        assert not stored.getexif()  # no camera metadata leaves the tablet
    assert photo.thumbnail == thumbnail_path(photo.path) == tmp_path / "photos/house.thumb.jpg"
    with Image.open(photo.thumbnail) as thumb:
        assert thumb.size == (THUMBNAIL_PIXELS, 240)
    assert src.exists()  # the original is left alone


def test_exif_orientation_is_applied_to_the_pixels(tmp_path: Path) -> None:
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise, so the
    # stored left (red) half shows at the top.
    src = two_colour_jpeg(tmp_path / "turned.jpg", (800, 400), orientation=6)
    photo = prepare_photo(src, tmp_path / "out", 600)
    assert (photo.width, photo.height) == (300, 600)
    with Image.open(photo.path) as stored:
        assert stored.getexif().get(0x0112) is None
        assert near(stored.getpixel((150, 100)), RED)
        assert near(stored.getpixel((150, 500)), BLUE)
    with Image.open(photo.thumbnail) as thumb:
        assert thumb.size == (160, 320)


def test_a_small_photo_is_never_enlarged_and_kept_byte_for_byte(tmp_path: Path) -> None:
    src = two_colour_jpeg(tmp_path / "small.jpg", (640, 480))
    photo = prepare_photo(src, tmp_path / "out", 1024)
    assert (photo.width, photo.height) == (640, 480)
    assert photo.path.read_bytes() == src.read_bytes()
    assert prepare_photo(src, tmp_path / "full", None).path.read_bytes() == src.read_bytes()


def test_a_png_with_transparency_becomes_a_jpeg(tmp_path: Path) -> None:
    src = tmp_path / "drawing.png"
    Image.new("RGBA", (3000, 1000), (0, 0, 0, 0)).save(src)
    photo = prepare_photo(src, tmp_path / "out", 1500)
    assert (photo.width, photo.height) == (1500, 500)
    with Image.open(photo.path) as stored:
        assert stored.format == "JPEG" and near(stored.getpixel((10, 10)), (255, 255, 255))


def test_a_photo_without_a_thumbnail_gets_one_kept_beside_it(tmp_path: Path) -> None:
    """Photos taken before thumbnails existed, or received from another tablet."""
    store = open_store(tmp_path / "t.db")
    old = two_colour_jpeg(tmp_path / "old.jpg", (1200, 900), orientation=8)
    data = thumbnail_bytes(store, old)
    thumb = tmp_path / "old.thumb.jpg"
    assert thumb.read_bytes() == data
    with Image.open(thumb) as made:
        assert made.size == (240, 320)
    stamp = thumb.stat().st_mtime_ns
    assert thumbnail_bytes(store, old) == data and thumb.stat().st_mtime_ns == stamp
    store.close()


@pytest.mark.parametrize(("content", "message"), [
    (b"", "broken.jpg is not a picture that can be read. Take the photo again."),
    (b"this is a text file, not a photo\n", "broken.jpg is not a picture that can be read. "
     "Take the photo again."),
])
def test_a_file_that_is_no_picture_is_a_plain_error(tmp_path: Path, content: bytes,
                                                   message: str) -> None:
    src = tmp_path / "broken.jpg"
    src.write_bytes(content)
    with pytest.raises(PhotoError) as err:
        prepare_photo(src, tmp_path / "out", 1024)
    assert str(err.value) == message
    assert not (tmp_path / "out").exists()  # nothing half-written is left


def test_a_truncated_jpeg_is_a_plain_error(tmp_path: Path) -> None:
    whole = two_colour_jpeg(tmp_path / "whole.jpg", (1600, 1200)).read_bytes()
    src = tmp_path / "cut.jpg"
    src.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(PhotoError, match=r"^cut.jpg is damaged and cannot be read"):
        prepare_photo(src, tmp_path / "out", 1024)
    store = open_store(tmp_path / "t.db")
    with pytest.raises(PhotoError, match=r"^cut.jpg is damaged"):
        thumbnail_bytes(store, src)
    store.close()


def test_a_missing_file_is_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(PhotoError, match=r"^The photo gone.jpg is not there any more\.$"):
        prepare_photo(tmp_path / "gone.jpg", tmp_path / "out", 1024)


def test_a_folder_that_cannot_be_written_is_a_plain_error(tmp_path: Path) -> None:
    src = two_colour_jpeg(tmp_path / "big.jpg", (2000, 1000))
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(PhotoError, match=r"^The photo could not be saved: "):
        prepare_photo(src, tmp_path / "a-file" / "photos", 1024)
