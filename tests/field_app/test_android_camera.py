"""The Android camera and picker against a fake of the Android boundary (pyjnius and
python-for-android's activity events), the one place the project fakes a part: every
path ends in exactly one callback, failures in plain words, never an exception.

The fake plays Android's rules that matter here: FileProvider refuses files outside its
configured folders and foreign authorities; the camera app writes through the content
URI it was given; results arrive later on another thread; the picker's document is read
through a real file descriptor."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image

from field_app.core.android_camera import AUTHORITY_SUFFIX, RESULT_OK, AndroidCamera
from field_app.core.devices import NoCamera, StillCamera, default_devices

PACKAGE = "org.sdinet.hesabu"


class JavaException(Exception):
    def __init__(self, classname: str) -> None:
        super().__init__(classname)
        self.classname = classname


@dataclass
class Uri:
    text: str
    path: Path


class Intent:
    """android.content.Intent, with Java's method names."""

    ACTION_OPEN_DOCUMENT = "android.intent.action.OPEN_DOCUMENT"
    CATEGORY_OPENABLE = "android.intent.category.OPENABLE"
    FLAG_GRANT_READ_URI_PERMISSION = 1
    FLAG_GRANT_WRITE_URI_PERMISSION = 2

    def __init__(self, action: str) -> None:
        self.action, self.extras, self.flags = action, {}, 0
        self.categories: list[str] = []
        self.type = self.data = None

    def putExtra(self, key: str, value: Any) -> None:
        self.extras[key] = value

    def addFlags(self, flags: int) -> None:
        self.flags |= flags

    def addCategory(self, category: str) -> None:
        self.categories.append(category)

    def setType(self, kind: str) -> None:
        self.type = kind

    def getData(self) -> Uri | None:
        return self.data


@dataclass
class FakeAndroid:
    """pyjnius (`autoclass`, `cast`, `JavaException`) and `android.activity` (`bind`)."""

    files_dir: Path
    shared: Path
    next_app: str = "camera"  # what the started activity does, see start()
    started: list[Intent] = field(default_factory=list)
    on_result: Any = None
    JavaException = JavaException

    # -- jnius ---------------------------------------------------------------------------
    def autoclass(self, name: str) -> Any:
        return {"org.kivy.android.PythonActivity": SimpleNamespace(mActivity=self),
                "android.content.Intent": Intent,
                "java.io.File": lambda path: SimpleNamespace(path=Path(path)),
                "androidx.core.content.FileProvider": SimpleNamespace(
                    getUriForFile=self.get_uri_for_file),
                "android.provider.MediaStore": SimpleNamespace(
                    ACTION_IMAGE_CAPTURE="android.media.action.IMAGE_CAPTURE",
                    EXTRA_OUTPUT="output")}[name]

    def cast(self, java_class: str, value: Any) -> Any:
        assert java_class == "android.os.Parcelable"
        return value

    # -- android.activity ----------------------------------------------------------------
    def bind(self, on_activity_result: Any) -> None:
        self.on_result = on_activity_result

    # -- the activity and its context ----------------------------------------------------
    def getApplicationContext(self) -> FakeAndroid:
        return self

    def getPackageName(self) -> str:
        return PACKAGE

    def getContentResolver(self) -> FakeAndroid:
        return self

    def openFileDescriptor(self, uri: Uri, mode: str) -> Any:
        assert mode == "r"
        if not uri.path.exists():
            raise JavaException("java.io.FileNotFoundException")
        return SimpleNamespace(detachFd=lambda: os.open(uri.path, os.O_RDONLY))

    def get_uri_for_file(self, context: Any, authority: str, file: Any) -> Uri:
        if authority != PACKAGE + AUTHORITY_SUFFIX:
            raise JavaException("java.lang.IllegalArgumentException")
        if not file.path.is_relative_to(self.files_dir):
            raise JavaException("java.lang.IllegalArgumentException")  # no configured root
        return Uri(f"content://{authority}/files/{file.path.name}", file.path)

    def startActivityForResult(self, intent: Intent, request: int) -> None:
        """The other app: refuses at once, or answers later on another thread."""
        self.started.append(intent)
        app = self.next_app
        if app in ("java.lang.SecurityException", "android.content.ActivityNotFoundException"):
            raise JavaException(app)
        result, data = RESULT_OK, None
        if app == "camera":
            out = intent.extras["output"].path
            Image.new("RGB", (64, 48), "green").save(out, "JPEG")
        elif app == "camera saves nothing":
            pass
        elif app == "camera cancelled":
            intent.extras["output"].path.write_bytes(b"")
            result = 0
        elif app.startswith("picker:"):
            data = Intent("result")
            data.data = Uri("content://media/1", self.shared / app.split(":", 1)[1])
        elif app == "picker cancelled":
            result = 0
        threading.Thread(target=self.on_result, args=(request, result, data)).start()


class Outcome:
    """Collects the one callback a request ends with."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.done = threading.Event()

    def on_done(self, path: str | None) -> None:
        self.calls.append(("done", path))
        self.done.set()

    def on_error(self, message: str) -> None:
        self.calls.append(("error", message))
        self.done.set()

    def wait(self) -> tuple[str, str | None]:
        assert self.done.wait(10), "no callback"
        assert len(self.calls) == 1, self.calls
        return self.calls[0]


@pytest.fixture
def android(tmp_path: Path) -> FakeAndroid:
    (tmp_path / "files").mkdir()
    (tmp_path / "shared").mkdir()
    return FakeAndroid(tmp_path / "files", tmp_path / "shared")


def take(android: FakeAndroid, app: str, target: Path, with_error: bool = True) -> tuple:
    android.next_app = app
    outcome = Outcome()
    camera = AndroidCamera(jnius=android, activity_events=android)
    camera.take_picture(str(target), outcome.on_done, outcome.on_error if with_error else None)
    return outcome.wait()


def test_a_photo_goes_through_a_content_uri_of_our_file_provider(android: FakeAndroid) -> None:
    target = android.files_dir / "photos" / "house.jpg"
    assert take(android, "camera", target) == ("done", str(target))
    with Image.open(target) as photo:
        assert photo.size == (64, 48)
    [intent] = android.started
    assert intent.action == "android.media.action.IMAGE_CAPTURE"
    assert intent.extras["output"].text == (
        "content://org.sdinet.hesabu.fileprovider/files/house.jpg")
    assert intent.flags & Intent.FLAG_GRANT_WRITE_URI_PERMISSION


def test_cancelling_the_camera_is_not_an_error(android: FakeAndroid) -> None:
    target = android.files_dir / "house.jpg"
    target.write_bytes(b"an older photo")  # must not pass for the new one
    assert take(android, "camera cancelled", target) == ("done", None)
    assert not target.exists()


@pytest.mark.parametrize(("app", "message"), [
    ("java.lang.SecurityException", "Hesabu may not use the camera. Allow it in the "
     "tablet's Settings: Apps, Hesabu, Permissions, Camera."),
    ("android.content.ActivityNotFoundException", "This tablet has no app for this. Type or "
     "choose the answer another way."),
    ("camera saves nothing", "The camera app did not save the photo. Try again."),
])
def test_failures_are_plain_words(android: FakeAndroid, app: str, message: str) -> None:
    assert take(android, app, android.files_dir / "p.jpg") == ("error", message)


def test_a_file_outside_the_shared_folders_is_refused_not_a_crash(
        android: FakeAndroid, tmp_path: Path) -> None:
    assert take(android, "camera", tmp_path / "elsewhere" / "p.jpg") == (
        "error", "The camera could not be opened. Try again, or choose a picture instead.")
    assert android.started == []


def test_without_an_error_callback_a_failure_is_a_cancel(android: FakeAndroid) -> None:
    assert take(android, "java.lang.SecurityException", android.files_dir / "p.jpg",
                with_error=False) == ("done", None)


def test_the_picker_copies_the_chosen_picture_into_the_app(android: FakeAndroid) -> None:
    chosen = android.shared / "DCIM-0001.jpg"
    Image.new("RGB", (300, 200), "blue").save(chosen, "JPEG")
    android.next_app = "picker:DCIM-0001.jpg"
    outcome = Outcome()
    target = android.files_dir / "photos" / "picked.jpg"
    AndroidCamera(jnius=android, activity_events=android).pick_picture(
        str(target), outcome.on_done, outcome.on_error)
    assert outcome.wait() == ("done", str(target))
    assert target.read_bytes() == chosen.read_bytes()
    assert android.started[0].action == Intent.ACTION_OPEN_DOCUMENT
    assert android.started[0].type == "image/*"
    assert sorted(p.name for p in target.parent.iterdir()) == ["picked.jpg"]  # no .part


@pytest.mark.parametrize(("app", "expected"), [
    ("picker cancelled", ("done", None)),
    ("picker:gone.jpg", ("error", "The picture could not be opened. Choose another one.")),
])
def test_the_picker_cancelled_or_failing(android: FakeAndroid, app: str,
                                         expected: tuple) -> None:
    android.next_app = app
    outcome = Outcome()
    AndroidCamera(jnius=android, activity_events=android).pick_picture(
        str(android.files_dir / "x.jpg"), outcome.on_done, outcome.on_error)
    assert outcome.wait() == expected


def test_results_for_other_requests_are_left_alone(android: FakeAndroid) -> None:
    AndroidCamera(jnius=android, activity_events=android)
    android.on_result(1234, RESULT_OK, None)  # e.g. a permission dialog: nothing happens


def test_the_desktop_stand_ins(tmp_path: Path) -> None:
    _gps, camera = default_devices(android=False)
    assert isinstance(camera, NoCamera) and not camera.available and not camera.can_pick
    picture = tmp_path / "qr.png"
    picture.write_bytes(b"png bytes")
    outcome = Outcome()
    StillCamera(picture).take_picture(str(tmp_path / "taken.png"), outcome.on_done,
                                      outcome.on_error)
    assert outcome.wait() == ("done", str(tmp_path / "taken.png"))


def test_on_android_without_jnius_the_app_still_starts() -> None:
    _gps, camera = default_devices(android=True)  # no jnius here: stand-ins, no exception
    assert not camera.available
