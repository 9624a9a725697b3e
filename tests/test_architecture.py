"""The rules between packages: `forms/` and `sync/` are pure (no I/O frameworks); the two
shells, `field_app/` (the tablet) and `server/`, never import each other; the sync client
`client/` they share imports neither of them, nor Kivy (see docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Top-level modules a pure package must never import.
FORBIDDEN = {
    "flask", "flask_sqlalchemy", "flask_smorest", "werkzeug", "kivy", "sqlalchemy",
    "alembic", "sqlite3", "sqlite_utils", "psycopg", "psycopg2", "socket", "socketserver",
    "ssl", "http", "urllib", "urllib3", "requests", "httpx", "aiohttp", "asyncio",
    "server", "field_app", "plyer", "gunicorn",
}
PURE_PACKAGES = ["forms", "sync"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value).split(".")[0])
    return names


def pure_files() -> list[Path]:
    return sorted(p for pkg in PURE_PACKAGES for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", pure_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_packages_import_no_io_framework(path: Path) -> None:
    bad = imported_modules(path) & FORBIDDEN
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}; forms/ and sync/ are pure"


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import sqlite3\nfrom flask import Flask\nimport json\n")
    assert imported_modules(sample) & FORBIDDEN == {"sqlite3", "flask"}


def test_field_app_core_imports_no_kivy() -> None:
    core = ROOT / "field_app" / "core"
    for path in core.rglob("*.py"):
        assert "kivy" not in imported_modules(path), f"{path} imports kivy"


#: Package -> top-level modules it must never import, at module level or in a function.
SHELL_RULES = {
    "server": {"field_app", "kivy"},
    "field_app": {"server", "flask", "flask_sqlalchemy", "sqlalchemy"},
    "client": {"field_app", "server", "kivy", "plyer", "flask", "sqlalchemy"},
}


def shell_files() -> list[tuple[str, Path]]:
    return sorted((pkg, p) for pkg in SHELL_RULES for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize(("package", "path"), shell_files(),
                         ids=lambda v: v if isinstance(v, str) else str(v.relative_to(ROOT)))
def test_the_shells_do_not_import_each_other(package: str, path: Path) -> None:
    bad = imported_modules(path) & SHELL_RULES[package]
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}; {package}/ must not"


def test_the_shell_rules_cover_the_shared_client() -> None:
    assert (ROOT / "client" / "api.py").exists() and (ROOT / "client" / "transport.py").exists()
    assert len([p for pkg, p in shell_files() if pkg == "client"]) >= 5


def test_the_checker_counts_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "hub.py"
    sample.write_text("def relay():\n    from field_app.core.api import SyncApi\n"
                      "    import server.models\n    return SyncApi\n")
    assert imported_modules(sample) & SHELL_RULES["client"] == {"field_app", "server"}
    assert imported_modules(sample) & SHELL_RULES["server"] == {"field_app"}
