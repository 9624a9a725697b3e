"""The sync screen with a change the server refused earlier (issue 19), run in its own
process by test_sync_screen.py:

    python sync_screen.py <json arguments>

Unlock, sync: the screen says a change is kept aside and why, and offers to send it
again; the button sends it. Prints `RESULT <json>`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from field_app.ui.headless import offscreen_environment  # noqa: E402

offscreen_environment(os.environ.get("KIVY_HOME"))

from uikit import result, screen, tap, unlock  # noqa: E402

from field_app.ui import headless as h  # noqa: E402
from field_app.ui.app import HesabuApp  # noqa: E402


def shown(sync) -> dict:
    button = sync.ids.send_again
    return {"headline": sync.headline, "advice": sync.advice,
            "button": [button.text, button.opacity, button.disabled]}


def main(args: dict) -> None:
    app = h.start(HesabuApp(store_path=args["store"]))
    unlock(app, args["pin"])
    tap(screen(app).ids.sync)
    sync = screen(app)
    assert h.wait_for(lambda: not sync.running), "sync never finished"
    facts = {"before": shown(sync)}
    tap(sync.ids.send_again)
    assert h.wait_for(lambda: not sync.running), "sync never finished"
    facts["after"] = shown(sync)
    app.stop()
    result(facts)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
