"""Blueprints stay thin: queries live in services, so api/ never touches the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_FILES = sorted((ROOT / "server" / "api").glob("*.py"))


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", API_FILES, ids=lambda p: p.name)
def test_blueprints_do_not_query(path: Path) -> None:
    bad = {m for m in imports(path)
           if m.startswith(("sqlalchemy", "server.models", "server.extensions"))}
    assert not bad, f"{path.name} imports {sorted(bad)}: move the query to server/services/"


def test_services_do_not_import_blueprints() -> None:
    for path in (ROOT / "server" / "services").glob("*.py"):
        assert not {m for m in imports(path) if m.startswith("server.api")}, path.name
