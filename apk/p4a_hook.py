"""python-for-android hook (buildozer.spec: `p4a.hook = apk/p4a_hook.py`).

The sdl2 bootstrap's AndroidManifest template has no place for a `<provider>` inside
`<application>` nor for the activity's `windowSoftInputMode`, so after python-for-android
has rendered the manifest (`after_apk_build`, run in the dist folder before gradle) this
hook adds:

- a FileProvider (androidx.core) with authority `<package>.fileprovider`, sharing the folders
  in `apk/res/xml/hesabu_file_paths.xml` (copied to res/xml by `android.res_xml`): the
  camera app writes photos through a `content://` URI (a `file://` URI is refused since
  Android 7), see field_app/core/android_camera.py;
- `android:windowSoftInputMode="adjustResize"` on the main activity, so the on-screen
  keyboard shrinks the window instead of covering the field being typed.

It runs inside python-for-android on the build machine: standard library only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

#: What field_app/core/android_camera.py expects: the authority and the XML resource.
AUTHORITY_SUFFIX = ".fileprovider"
PATHS_RESOURCE = "hesabu_file_paths"
MANIFESTS = ("src/main/AndroidManifest.xml", "AndroidManifest.xml")

PROVIDER = f"""
        <provider android:name="androidx.core.content.FileProvider"
                  android:authorities="${{applicationId}}{AUTHORITY_SUFFIX}"
                  android:exported="false"
                  android:grantUriPermissions="true">
            <meta-data android:name="android.support.FILE_PROVIDER_PATHS"
                       android:resource="@xml/{PATHS_RESOURCE}" />
        </provider>
"""


class ManifestError(RuntimeError):
    """The rendered manifest does not look like the sdl2 bootstrap's: stop the build."""


def patch_manifest(text: str, activity: str = "org.kivy.android.PythonActivity") -> str:
    """The manifest with the FileProvider and the keyboard mode added (idempotent)."""
    if "androidx.core.content.FileProvider" not in text:
        if text.count("</application>") != 1:
            raise ManifestError("expected one </application> in the manifest")
        text = text.replace("</application>", PROVIDER + "    </application>")
    if "android:windowSoftInputMode" not in text:
        opening = re.search(r'<activity\s+android:name="' + re.escape(activity) + '"', text)
        if opening is None:
            raise ManifestError(f"no <activity android:name=\"{activity}\"> in the manifest")
        at = opening.end()
        text = text[:at] + '\n                  android:windowSoftInputMode="adjustResize"' \
            + text[at:]
    return text


def after_apk_build(toolchain: Any) -> None:
    """python-for-android calls this in the dist folder, after rendering the manifest."""
    entry = getattr(getattr(toolchain, "args", None), "android_entrypoint", None)
    for name in MANIFESTS:
        path = Path(name)
        if path.exists():
            path.write_text(patch_manifest(path.read_text(encoding="utf-8"),
                                           entry or "org.kivy.android.PythonActivity"),
                            encoding="utf-8")
