"""`hesabu app --screenshots DIR`: every main screen in English and Swahili, as PNG."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

SCREENS = ("language", "enrol", "pin_set", "pin_unlock", "home", "start", "form",
           "form_missing", "form_reached", "members", "overview", "structure", "records",
           "records_reference", "sync", "settings")


def test_every_main_screen_in_english_and_swahili(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    proc = subprocess.run(
        [sys.executable, "-m", "hesabu.cli", "app", "--screenshots", str(out),
         "--size", "480x800"], capture_output=True, text=True, timeout=240,
        env={**os.environ, "KIVY_HOME": str(tmp_path / "kivy")})
    assert proc.returncode == 0, proc.stderr[-4000:]
    for screen in SCREENS:
        for lang in ("en", "sw"):
            png = (out / f"{screen}-{lang}.png").read_bytes()
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            assert struct.unpack(">II", png[16:24]) == (480, 800)
    # The texts really change language (the language screen is the same in both).
    assert (out / "home-en.png").read_bytes() != (out / "home-sw.png").read_bytes()
    assert (out / "sync-en.png").read_bytes() != (out / "sync-sw.png").read_bytes()
