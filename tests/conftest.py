"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    return ROOT


#: The test modules that take longest (tens of seconds each on the 2-core machines), most
#: costly first. `make test` runs modules on two workers (`--dist loadscope`), which take
#: them in collection order: starting with the long ones keeps one worker from running a
#: long module alone at the end while the other waits.
SLOW_MODULES = (
    "tests/field_app/ui/test_enumerator.py",
    "tests/server/test_api_fuzz.py",
    "tests/field_app/ui/test_app_flow.py",
    "tests/web/test_browser.py",
    "tests/bundles/test_return_stream.py",
    "tests/server/test_demo.py",
    "tests/server/test_sqlite_logins_while_syncing.py",
    "tests/field_app/test_device_crash_safety.py",
    "tests/field_app/ui/test_screenshots.py",
    "tests/openrosa/test_enketo.py",
    "tests/server/test_roles_matrix.py",
    "tests/server/test_exports_streaming.py",
    "tests/server/test_accounts_login.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(SLOW_MODULES)}

    def key(item: pytest.Item) -> int:
        module = item.nodeid.split("::", 1)[0]
        return rank.get(module, len(SLOW_MODULES))

    items.sort(key=key)  # stable: the other modules keep their order
