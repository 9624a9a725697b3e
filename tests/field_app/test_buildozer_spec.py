"""The Android build description stays buildable, and the app it packages can run: every
requirement resolved by python-for-android's recipe graph, every import of the device code
followed (see apk_check.py). Each kind of mistake is shown to be caught on a broken copy."""

from __future__ import annotations

import configparser
import importlib.metadata as metadata
import importlib.util
import shutil
from pathlib import Path
from types import ModuleType, SimpleNamespace
from xml.etree import ElementTree

import apk_check
import pytest

ROOT = apk_check.ROOT
SPEC = ROOT / "buildozer.spec"


def spec() -> configparser.SectionProxy:
    return apk_check.read_spec(SPEC)


def test_the_spec_and_the_device_code_have_no_packaging_problems() -> None:
    assert apk_check.problems() == []


def test_the_app_settings_a_tablet_needs() -> None:
    app = spec()
    assert (ROOT / "main.py").exists()
    assert app["orientation"] == "portrait"
    permissions = app["android.permissions"]
    assert "ACCESS_FINE_LOCATION" in permissions and "CAMERA" in permissions
    names = {p.name for p in apk_check.spec_pins(SPEC)}
    assert {"orjson", "zstandard", "zxing-cpp", "zxingcpp", "numpy"}.isdisjoint(names)
    assert {"pillow", "pyzbar", "libzbar", "certifi"} <= names


def test_the_device_runs_the_python_the_recipe_builds() -> None:
    graph = apk_check.resolve(p.name for p in apk_check.spec_pins(SPEC))
    assert graph.python_version.startswith("3.14")
    assert metadata.version("python-for-android") == "2026.5.9"


# -- a broken copy of the spec fails, naming what is wrong --------------------------------
def with_requirements(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of buildozer.spec with one requirement replaced (`new` "" removes it)."""
    text = SPEC.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("requirements ="))
    items = [i.strip() for i in line.split("=", 1)[1].split(",")]
    assert old in items, old
    items = [new if i == old else i for i in items]
    path = tmp_path / "buildozer.spec"
    path.write_text(text.replace(line, "requirements = " + ",".join(i for i in items if i)),
                    encoding="utf-8")
    return path


def problems_of(tmp_path: Path, old: str, new: str) -> list[str]:
    return apk_check.problems(with_requirements(tmp_path, old, new), ROOT)


def test_a_compiled_package_without_a_recipe_fails(tmp_path: Path) -> None:
    orjson = f"orjson=={metadata.version('orjson')}"
    found = problems_of(tmp_path, "filetype==1.2.0", f"filetype==1.2.0,{orjson}")
    assert len(found) == 1 and found[0].startswith(
        f"{orjson}: has no python-for-android recipe and is not pure Python")


BROKEN = [  # (requirement in the spec, what replaces it, the one problem reported)
    ("plyer==2.1.0", "plyer", "plyer: no python-for-android recipe and not pinned: pin an "
     "exact version (plyer==...), or the build takes the newest"),
    ("pip==26.3", "", "sqlite_utils==4.2.1 requires pip, which buildozer.spec does not pin: "
     "python-for-android would add the newest pip; pin it"),
    ("chardet==7.7.0", "", "chardet: pulled in by the kivy recipe but not pinned in "
     "buildozer.spec: pin it (chardet==...)"),
    ("kivy==2.3.1", "kivy==2.3.0", "kivy==2.3.0: the python-for-android recipe builds kivy "
     "2.3.1; pin that version or none"),
]


@pytest.mark.parametrize(("old", "new", "problem"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_requirement_fails_naming_it(tmp_path: Path, old: str, new: str,
                                              problem: str) -> None:
    assert problems_of(tmp_path, old, new) == [problem]


def test_a_pin_too_old_for_what_requires_it_fails(tmp_path: Path) -> None:
    # sqlite-utils 4.2.1 wants click>=8.3.1; the venv check fails first, so both show.
    found = problems_of(tmp_path, "click==8.5.1", "click==8.1.0")
    assert "click==8.1.0: the venv has click 8.5.1; pin the same version in buildozer.spec " \
           "and the dev extra of pyproject.toml" in found
    assert "sqlite_utils==4.2.1 requires click>=8.3.1, but buildozer.spec pins click==8.1.0" \
           in found


def test_a_hyphenated_pure_name_fails(tmp_path: Path) -> None:
    found = problems_of(tmp_path, "sqlite_utils==4.2.1", "sqlite-utils==4.2.1")
    assert any(f.startswith("sqlite-utils==4.2.1: write it sqlite_utils==4.2.1") for f in found)


def test_bz2_needs_the_libbz2_recipe(tmp_path: Path) -> None:
    found = problems_of(tmp_path, "libbz2", "")
    assert any("imports bz2, which Python on the tablet has only with the libbz2 recipe"
               in f for f in found), found


# -- imports of the device code, on a small project tree ----------------------------------
def project(tmp_path: Path, core: str, main: str = "import field_app.core\n") -> Path:
    """A project tree with the real spec, main.py and one module field_app/core.py."""
    shutil.copy(SPEC, tmp_path / "buildozer.spec")
    (tmp_path / "main.py").write_text(main, encoding="utf-8")
    (tmp_path / "field_app").mkdir()
    (tmp_path / "field_app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "field_app" / "core.py").write_text(core, encoding="utf-8")
    return tmp_path


def import_problems(root: Path) -> list[str]:
    return apk_check.problems(root / "buildozer.spec", root)


def test_a_removed_stdlib_module_inside_a_function_fails(tmp_path: Path) -> None:
    root = project(tmp_path, "import json\n\n\ndef old():\n    import cgi\n    import imp\n")
    assert import_problems(root) == [
        "field_app/core.py:5: imports cgi, which is not in Python 3.14.2 on the tablet "
        "(removed, or not built for Android)",
        "field_app/core.py:6: imports imp, which is not in Python 3.14.2 on the tablet "
        "(removed, or not built for Android)"]


def test_an_import_no_requirement_provides_fails_unless_handled(tmp_path: Path) -> None:
    root = project(tmp_path, "from PIL import Image\nimport kivy\n\n\ndef f():\n"
                             "    try:\n        import zstandard\n    except ImportError:\n"
                             "        pass\n    import orjson\n")
    assert import_problems(root) == [
        "field_app/core.py:10: imports orjson, which no requirement in buildozer.spec provides"]


def test_desktop_only_modules_only_inside_functions_of_their_files(tmp_path: Path) -> None:
    root = project(tmp_path, "import zxingcpp\n")
    assert import_problems(root) == [
        "field_app/core.py:1: imports zxingcpp, which no requirement in buildozer.spec "
        "provides"]


def test_imports_are_followed_through_relative_imports_and_kv_files(tmp_path: Path) -> None:
    root = project(tmp_path, "from . import ui\n")
    ui = root / "field_app" / "ui"
    ui.mkdir()
    (ui / "__init__.py").write_text("", encoding="utf-8")
    (ui / "screen.kv").write_text("#:import dp kivy.metrics.dp\n#:import x telnetlib\n",
                                  encoding="utf-8")
    assert import_problems(root) == [
        "field_app/ui/screen.kv:2: imports telnetlib, which is not in Python 3.14.2 on the "
        "tablet (removed, or not built for Android)"]


def test_a_project_module_left_out_of_the_apk_fails(tmp_path: Path) -> None:
    root = project(tmp_path, "", main="import field_app.core\nfrom hesabu import cli\n")
    (root / "hesabu").mkdir()
    (root / "hesabu" / "__init__.py").write_text("", encoding="utf-8")
    (root / "hesabu" / "cli.py").write_text("", encoding="utf-8")
    assert import_problems(root) == [
        "hesabu/cli.py: the app imports it, but buildozer.spec leaves it out of the APK "
        "(source.exclude_dirs / source.exclude_patterns)"]


def test_the_sync_client_ships_in_the_apk(tmp_path: Path) -> None:
    files, _ = apk_check.import_closure(ROOT)
    shipped = {p.relative_to(ROOT).as_posix() for p in files}
    assert {"client/api.py", "client/transport.py", "client/network.py",
            "client/uploads.py", "client/errors.py"} <= shipped
    text = SPEC.read_text(encoding="utf-8")
    assert ",client/*," in text
    (tmp_path / "buildozer.spec").write_text(text.replace(",client/*,", ","), encoding="utf-8")
    assert ("client/api.py: the app imports it, but buildozer.spec does not name it in "
            "source.include_patterns (the list of what the tablet runs)"
            ) in apk_check.source_problems(tmp_path / "buildozer.spec", ROOT, files)


@pytest.mark.parametrize("module", ["readline", "tkinter", "distutils", "asynchat"])
def test_modules_the_tablet_lacks(module: str) -> None:
    graph = apk_check.resolve(["python3"])
    assert module in apk_check.missing_stdlib(graph)


# -- the manifest hook: FileProvider and keyboard mode ------------------------------------
def load_hook() -> ModuleType:
    module_spec = importlib.util.spec_from_file_location("p4a_hook", ROOT / "apk/p4a_hook.py")
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def rendered_manifest() -> str:
    """python-for-android's own sdl2 manifest template, rendered as a build would."""
    import jinja2
    import pythonforandroid

    folder = Path(pythonforandroid.__file__).parent / "bootstraps/_sdl_common/build/templates"
    args = SimpleNamespace(
        numeric_version=1, version="0.1.0", min_sdk_version=24, permissions=[],
        wakelock=False, billing_pubkey=None, extra_manifest_xml="", backup_rules="",
        allow_backup="false", extra_manifest_application_arguments="", window=True,
        android_apptheme="@android:style/Theme.NoTitleBar", android_used_libs=[],
        meta_data=[], android_entrypoint="org.kivy.android.PythonActivity",
        manifest_orientation="portrait", activity_launch_mode="singleTask", launcher=False,
        home_app=False, intent_filters=None, service_class_name="", add_activity=[])
    template = jinja2.Environment(loader=jinja2.FileSystemLoader(folder)).get_template(
        "AndroidManifest.tmpl.xml")
    return template.render(args=args, android_api=34, debug=False, url_scheme="kivy",
                           service=False, service_data=[], native_services=[])


ANDROID = "{http://schemas.android.com/apk/res/android}"


def test_the_hook_adds_the_file_provider_and_the_keyboard_mode(tmp_path: Path,
                                                               monkeypatch) -> None:
    hook = load_hook()
    (tmp_path / "src/main").mkdir(parents=True)
    manifest = tmp_path / "src/main/AndroidManifest.xml"
    manifest.write_text(rendered_manifest(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    hook.after_apk_build(SimpleNamespace(args=SimpleNamespace()))
    hook.after_apk_build(SimpleNamespace(args=SimpleNamespace()))  # twice: no change
    root = ElementTree.fromstring(manifest.read_text(encoding="utf-8"))
    application = root.find("application")
    provider = application.find("provider")
    assert provider.get(f"{ANDROID}name") == "androidx.core.content.FileProvider"
    assert provider.get(f"{ANDROID}authorities") == "${applicationId}.fileprovider"
    assert provider.get(f"{ANDROID}exported") == "false"
    assert provider.get(f"{ANDROID}grantUriPermissions") == "true"
    paths = provider.find("meta-data").get(f"{ANDROID}resource")
    assert paths == "@xml/hesabu_file_paths"
    assert len(application.findall("provider")) == 1
    activity = application.find("activity")
    assert activity.get(f"{ANDROID}windowSoftInputMode") == "adjustResize"
    # The resource the provider names is the one buildozer copies to res/xml.
    assert spec()["android.res_xml"] == "apk/res/xml/hesabu_file_paths.xml"
    shared = ElementTree.parse(ROOT / spec()["android.res_xml"]).getroot()
    assert {e.tag for e in shared} == {"files-path", "cache-path"}
    assert spec()["p4a.hook"] == "apk/p4a_hook.py"
    assert "androidx.core:core:" in spec()["android.gradle_dependencies"]


def test_the_hook_stops_the_build_on_a_manifest_it_does_not_know() -> None:
    hook = load_hook()
    with pytest.raises(hook.ManifestError, match="application"):
        hook.patch_manifest("<manifest></manifest>")
