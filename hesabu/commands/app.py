"""`hesabu app`: the field app on a desktop (the same code as on a tablet)."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_STORE = Path.home() / ".hesabu" / "tablet.db"


@click.command("app")
@click.option("--store", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_STORE, show_default=True,
              help="The tablet's data file (created on first start).")
@click.option("--screenshots", type=click.Path(file_okay=False, path_type=Path),
              help="Render every main screen in English and Swahili to PNG files here "
                   "(offscreen, with demo data) and exit.")
@click.option("--size", default="540x960", show_default=True,
              help="Window size WIDTHxHEIGHT (portrait phone; try 800x1280 for a tablet).")
def app_command(store: Path, screenshots: Path | None, size: str) -> None:
    """Start the field app on this computer."""
    try:
        width, height = (int(x) for x in size.lower().split("x"))
    except ValueError as exc:
        raise click.BadParameter("use WIDTHxHEIGHT, like 540x960", param_hint="--size") from exc
    if screenshots is not None:
        from field_app.ui.screenshots import render_screenshots

        for path in render_screenshots(screenshots, size=(width, height)):
            click.echo(path)
        return
    import os

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from field_app.ui.headless import window_size

    window_size(width, height)
    from field_app.ui.app import HesabuApp

    store.parent.mkdir(parents=True, exist_ok=True)
    HesabuApp(store_path=store).run()
