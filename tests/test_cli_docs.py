"""Every `hesabu` command and subcommand is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from hesabu.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "hesabu") -> list[str]:
    paths = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        paths.append(path)
        if isinstance(cmd, click.Group):
            paths.extend(command_paths(cmd, path))
    return paths


def test_every_command_is_in_the_readme() -> None:
    missing = [p for p in command_paths(main) if f"`{p}" not in README]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_every_command_has_help_text() -> None:
    runner = CliRunner()
    for path in command_paths(main):
        args = [*path.split()[1:], "--help"]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "hesabu" in result.output
