"""The tablet's camera and picture picker through Android intents, on pyjnius.

    camera = AndroidCamera()
    camera.take_picture(path, on_done, on_error)   # the camera app writes `path`
    camera.pick_picture(path, on_done, on_error)   # a picture from shared storage, copied

The camera app gets a `content://` URI from our FileProvider (authority
`<package>.fileprovider`, declared by apk/p4a_hook.py; it shares the app's files and
cache folders), never a `file://` URI, which Android 7+ refuses with an exception
(plyer 2.1.0 still passes one). The picker (ACTION_OPEN_DOCUMENT) lets the enumerator
choose a picture anywhere in shared storage; its content is copied into `path`, so the
record never points at a file the app may lose access to.

Every failure, whether Java raises it or the result is empty, ends in `on_error` with a
plain message, never an exception out of the app. Exactly one callback is called per
request: `on_done(path)`, `on_done(None)` (cancelled), or `on_error(message)`. Results
come on Android's UI thread: the UI marshals them (Kivy's `mainthread`). Without `on_error`
a failure is reported as `on_done(None)`.

`jnius` and `android.activity` are parameters so tests can play the Android side.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from field_app.core.i18n import _

OnDone = Callable[[str | None], None]
OnError = Callable[[str], None]

AUTHORITY_SUFFIX = ".fileprovider"  # as apk/p4a_hook.py declares it
REQUEST_CAPTURE = 0x4E51
REQUEST_PICK = 0x4E52
RESULT_OK = -1  # android.app.Activity.RESULT_OK
COPY_BLOCK = 1 << 20


def camera_refused_message(java_class: str) -> str:
    """Plain words for a Java exception raised while starting the camera or picker."""
    if java_class.endswith("SecurityException"):
        return _("Hesabu may not use the camera. Allow it in the tablet's Settings: Apps, "
                 "Hesabu, Permissions, Camera.")
    if java_class.endswith("ActivityNotFoundException"):
        return _("This tablet has no app for this. Type or choose the answer another way.")
    return _("The camera could not be opened. Try again, or choose a picture instead.")


class AndroidCamera:
    """Photos through the camera app, pictures through the system picker."""

    available = True

    def __init__(self, jnius: Any = None, activity_events: Any = None) -> None:
        if jnius is None:
            import jnius
        if activity_events is None:
            from android import activity as activity_events
        self._jnius = jnius
        self._events = activity_events
        self._pending: dict[int, Callable[[int, Any], None]] = {}
        autoclass = jnius.autoclass
        self._activity = autoclass("org.kivy.android.PythonActivity").mActivity
        self._Intent = autoclass("android.content.Intent")
        self._File = autoclass("java.io.File")
        self._FileProvider = autoclass("androidx.core.content.FileProvider")
        self._MediaStore = autoclass("android.provider.MediaStore")
        self._events.bind(on_activity_result=self._on_result)

    # -- the camera ---------------------------------------------------------------------
    def take_picture(self, filename: str, on_done: OnDone,
                     on_error: OnError | None = None) -> None:
        """Open the camera app; it writes the photo to `filename` (in the app's files or
        cache folder, which the FileProvider shares)."""
        fail = _reporter(on_done, on_error)
        target = Path(filename)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)  # a stale file must not pass for a new photo
        except OSError as exc:
            fail(_("The photo cannot be stored: {why}.").format(why=exc.strerror or exc))
            return

        def finished(result: int, _intent: Any) -> None:
            taken = target.exists() and target.stat().st_size > 0
            if result == RESULT_OK and taken:
                on_done(str(target))
            elif result == RESULT_OK:
                fail(_("The camera app did not save the photo. Try again."))
            else:
                with contextlib.suppress(OSError):
                    target.unlink(missing_ok=True)  # some camera apps leave an empty file
                on_done(None)

        def start() -> None:
            context = self._activity.getApplicationContext()
            uri = self._FileProvider.getUriForFile(
                context, context.getPackageName() + AUTHORITY_SUFFIX,
                self._File(str(target)))
            intent = self._Intent(self._MediaStore.ACTION_IMAGE_CAPTURE)
            intent.putExtra(self._MediaStore.EXTRA_OUTPUT,
                            self._jnius.cast("android.os.Parcelable", uri))
            intent.addFlags(self._Intent.FLAG_GRANT_WRITE_URI_PERMISSION
                            | self._Intent.FLAG_GRANT_READ_URI_PERMISSION)
            self._activity.startActivityForResult(intent, REQUEST_CAPTURE)

        self._start(REQUEST_CAPTURE, start, finished, fail)

    # -- the picker ---------------------------------------------------------------------
    def pick_picture(self, filename: str, on_done: OnDone,
                     on_error: OnError | None = None) -> None:
        """Let the enumerator choose a picture from shared storage (the system picker);
        its content is copied to `filename`."""
        fail = _reporter(on_done, on_error)

        def finished(result: int, intent: Any) -> None:
            uri = intent.getData() if (result == RESULT_OK and intent is not None) else None
            if uri is None:
                on_done(None)
                return
            try:
                self._copy(uri, Path(filename))
            except OSError as exc:
                fail(_("The picture could not be copied: {why}.").format(
                    why=exc.strerror or exc))
            except (self._jnius.JavaException, LookupError):
                fail(_("The picture could not be opened. Choose another one."))
            else:
                on_done(filename)

        def start() -> None:
            intent = self._Intent(self._Intent.ACTION_OPEN_DOCUMENT)
            intent.addCategory(self._Intent.CATEGORY_OPENABLE)
            intent.setType("image/*")
            self._activity.startActivityForResult(intent, REQUEST_PICK)

        self._start(REQUEST_PICK, start, finished, fail)

    def _copy(self, uri: Any, target: Path) -> None:
        """Copy the picked document into `target` through a file descriptor we own (read
        with Python's own I/O, not byte arrays across JNI), via a temporary file."""
        resolver = self._activity.getApplicationContext().getContentResolver()
        descriptor = resolver.openFileDescriptor(uri, "r")
        if descriptor is None:  # the provider has nothing (any more) for this URI
            raise LookupError(uri)
        fd = descriptor.detachFd()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        try:
            with os.fdopen(fd, "rb") as source, partial.open("wb") as out:
                while block := source.read(COPY_BLOCK):
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    # -- one request at a time per kind ---------------------------------------------------
    def _start(self, code: int, start: Callable[[], None],
               finished: Callable[[int, Any], None], fail: OnError) -> None:
        self._pending[code] = finished
        try:
            start()
        except self._jnius.JavaException as exc:
            self._pending.pop(code, None)
            fail(camera_refused_message(getattr(exc, "classname", "") or ""))
        except Exception:  # a bug here must not close the app mid-form
            self._pending.pop(code, None)
            fail(camera_refused_message(""))

    def _on_result(self, request: int, result: int, intent: Any) -> None:
        """Called by python-for-android for every activity result (on Android's thread)."""
        finished = self._pending.pop(request, None)
        if finished is None:
            return  # another part of the app asked for this one
        with contextlib.suppress(Exception):  # nothing may escape into Android's thread
            finished(result, intent)


def _reporter(on_done: OnDone, on_error: OnError | None) -> OnError:
    """Where failures go: `on_error`, or `on_done(None)` for a caller without one."""
    if on_error is not None:
        return on_error
    return lambda _message: on_done(None)
