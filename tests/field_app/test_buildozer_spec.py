"""The Android build description stays buildable: only packages python-for-android can
package, and the code the tablet runs imports nothing else at module level."""

from __future__ import annotations

import ast
import configparser
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: What buildozer.spec may list: python-for-android recipes and pure-Python packages.
ALLOWED = {"python3", "libbz2", "kivy", "sqlite3", "pyjnius", "android", "cryptography", "plyer",
           "sqlite-utils", "click", "click-default-group", "tabulate", "python-dateutil",
           "six", "pluggy", "sqlite-fts4"}
#: Import names of those packages (what device code may import at the top of a module).
IMPORTABLE = {"kivy", "plyer", "sqlite_utils", "cryptography", "android", "jnius", "field_app",
              "forms", "sync", "hesabu"}


#: Standard modules that python-for-android's python3 builds only when the recipe of
#: their C library is in the requirements (its `opt_depends`).
NEEDS_RECIPE = {"bz2": "libbz2", "lzma": "liblzma", "sqlite3": "sqlite3", "ctypes": "libffi"}


def spec() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "buildozer.spec")
    return parser


def test_requirements_have_android_recipes_or_are_pure_python() -> None:
    names = {r.split("==")[0].strip() for r in spec()["app"]["requirements"].split(",")}
    assert names <= ALLOWED, names - ALLOWED
    assert {"orjson", "zstandard", "zxing-cpp", "numpy"}.isdisjoint(names)
    assert (ROOT / "main.py").exists()
    assert spec()["app"]["orientation"] == "portrait"
    permissions = spec()["app"]["android.permissions"]
    assert "ACCESS_FINE_LOCATION" in permissions and "CAMERA" in permissions


def test_device_code_imports_only_what_the_build_ships() -> None:
    stdlib = set(sys.stdlib_module_names)
    files = [*sorted((ROOT / "field_app").rglob("*.py")), *sorted((ROOT / "sync").rglob("*.py")),
             *sorted((ROOT / "forms").rglob("*.py")), ROOT / "main.py"]
    requirements = {r.split("==")[0].strip() for r in spec()["app"]["requirements"].split(",")}
    bad = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level: what importing the module needs
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in stdlib and top not in IMPORTABLE and top != "__future__":
                    bad.append(f"{path.relative_to(ROOT)}: {name}")
                elif NEEDS_RECIPE.get(top, "python3") not in requirements:
                    bad.append(f"{path.relative_to(ROOT)}: {name} needs the "
                               f"{NEEDS_RECIPE[top]} recipe in buildozer.spec")
    assert not bad, bad
