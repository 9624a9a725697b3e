"""`hesabu forms ...`: check, outline and convert XLSForms."""

from __future__ import annotations

import click


@click.group()
def forms() -> None:
    """Work with XLSForm definitions."""
