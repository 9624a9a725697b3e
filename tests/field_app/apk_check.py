"""Will buildozer.spec build an APK that runs? The checks a build would only fail late.

python-for-android (pinned in the dev extra) resolves the spec's requirements with its own
recipe graph, without the SDK or NDK. Then, with no network:

- every requirement with a recipe is either unpinned or pinned to the version the recipe
  builds (another version downloads sources the recipe's patches were not written for);
- every requirement without a recipe is pinned `==` and is pure Python. The proof is the
  distribution installed in this venv: same version, and `Root-Is-Purelib` in its WHEEL
  (or a `.py` beside each extension module, which is what runs on the tablet: a host
  `.so` never loads there). The dev extra pins the same versions, so a fresh venv has them;
- nothing arrives unpinned: every dependency of those packages (markers evaluated for
  Python 3.14 on Android) and every pure package a recipe pulls in is pinned in the spec;
  python-for-android would add the newest release of anything missing at build time;
- pure names are written as python-for-android's build-time resolver compares them
  (lower case, `_` for `-`): it skips a requirement only under that spelling, otherwise it
  adds the newest wheel as well and pip refuses two versions of one package;
- every module the tablet imports, following `main.py` through the project's own modules
  including imports inside functions and `#:import` lines of kv files, is in the
  standard library of the device's Python (3.14: modules removed in 3.12 and 3.13 count
  as missing), built by a recipe that is in the graph, or provided by a requirement. An
  import inside `try: ... except ImportError` is optional and may be missing.

`problems(spec_path, root)` lists what is wrong, in words naming the requirement or
module; `python tests/field_app/apk_check.py` prints them.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import importlib.metadata as metadata
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]

#: Standard modules removed in Python 3.12 and 3.13 (PEP 594, distutils, imp): present in
#: the 3.11 that runs these tests, absent from the 3.14 that python-for-android builds.
REMOVED_FROM_STDLIB = {
    "distutils", "imp", "asynchat", "asyncore", "smtpd",                        # 3.12
    "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap",   # 3.13
    "msilib", "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau",
    "telnetlib", "uu", "xdrlib", "lib2to3",
}
#: Standard modules the python3 recipe does not build for Android (no readline, ncurses,
#: gdbm or Tk); its `stdlib_dir_blacklist` (tkinter, idlelib, ensurepip...) adds to these.
NOT_BUILT_ON_ANDROID = {"readline", "curses", "_curses", "_curses_panel", "_tkinter",
                        "_gdbm", "_dbm", "dbm.gnu", "dbm.ndbm"}
#: Standard modules built only when the recipe of their C library is in the graph.
NEEDS_RECIPE = {"bz2": "libbz2", "lzma": "liblzma", "sqlite3": "sqlite3", "ctypes": "libffi",
                "ssl": "openssl", "hashlib": "openssl"}
#: The project's own top-level packages (followed into, not looked up as requirements).
PROJECT_PACKAGES = ("field_app", "client", "forms", "sync", "hesabu")
#: Outside modules that device code imports only inside functions the tablet never calls,
#: with the files allowed to do so and why. A module-level import of them still fails.
DESKTOP_ONLY = {
    "pyxform": ({"forms/loader.py", "forms/spec_builder.py", "forms/form_checks.py"},
                "reading XLSForm files; tablets receive forms as JSON"),
    "zxingcpp": ({"field_app/core/qr.py"}, "make_qr_png draws codes for tests and screenshots"),
}


@dataclass(frozen=True)
class Pin:
    """One entry of the spec's `requirements`: a name and its `==` version, if any."""

    name: str
    version: str | None

    def __str__(self) -> str:
        return f"{self.name}=={self.version}" if self.version else self.name


def read_spec(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    return parser["app"]


def spec_pins(path: Path) -> list[Pin]:
    """The requirements of a buildozer.spec, in order."""
    pins = []
    for item in read_spec(path)["requirements"].split(","):
        name, _, version = item.strip().partition("==")
        if name:
            pins.append(Pin(name.strip(), version.strip() or None))
    return pins


@dataclass(frozen=True)
class Graph:
    """What python-for-android makes of the requirements: recipes in build order (name ->
    recipe object), and the names it would install with pip (pure Python)."""

    recipes: dict[str, object]
    pure: set[str]
    python_version: str


def resolve(names: Iterable[str]) -> Graph:
    """Resolve requirement names with python-for-android's recipe graph (sdl2 bootstrap,
    the one buildozer uses for Kivy). Needs no SDK, NDK or network."""
    from pythonforandroid.bootstrap import Bootstrap
    from pythonforandroid.build import Context
    from pythonforandroid.graph import get_recipe_order_and_bootstrap
    from pythonforandroid.recipe import Recipe

    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context()
        ctx.setup_dirs(tmp)
        bootstrap = Bootstrap.get_bootstrap("sdl2", ctx)
        order, pure, _bs = get_recipe_order_and_bootstrap(ctx, list(names), bootstrap)
        recipes = {name: Recipe.get_recipe(name, ctx) for name in order}
    return Graph(recipes, set(pure), str(recipes["python3"].version))


def resolver_spelling(name: str) -> str:
    """How python-for-android's build-time resolver compares a distribution's name."""
    return name.lower().replace("-", "_")


def device_environment(python_version: str) -> dict[str, str]:
    """PEP 508 marker values on the tablet (python3 recipe's version, Android, arm64)."""
    return {"python_version": ".".join(python_version.split(".")[:2]),
            "python_full_version": python_version, "sys_platform": "android",
            "platform_system": "Android", "os_name": "posix", "implementation_name": "cpython",
            "platform_python_implementation": "CPython", "platform_machine": "aarch64",
            "platform_release": "", "platform_version": "", "implementation_version":
            python_version, "extra": ""}


def installed(name: str) -> metadata.Distribution | None:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def runs_as_pure_python(dist: metadata.Distribution) -> bool:
    """True if the wheel is purelib, or every extension module has its `.py` beside it
    (optional speed-ups, e.g. the mypyc builds of chardet and charset-normalizer; mypyc's
    own runtime library `*__mypyc.*.so` is only loaded by those modules)."""
    if "Root-Is-Purelib: true" in (dist.read_text("WHEEL") or ""):
        return True
    files = {str(f) for f in dist.files or ()}
    extensions = [f for f in files if f.endswith((".so", ".pyd"))
                  and "__mypyc." not in Path(f).name]
    return all(f"{f.split('.', 1)[0]}.py" in files for f in extensions)


# -- requirements -----------------------------------------------------------------------
def requirement_problems(pins: list[Pin], graph: Graph) -> list[str]:
    bad = []
    for pin in pins:
        recipe = graph.recipes.get(pin.name.lower())
        if recipe is not None:
            built = getattr(recipe, "version", None)
            if pin.version and built and pin.version != str(built):
                bad.append(f"{pin}: the python-for-android recipe builds {pin.name} {built}; "
                           f"pin that version or none")
            continue
        if pin.version is None:
            bad.append(f"{pin.name}: no python-for-android recipe and not pinned: pin an "
                       f"exact version ({pin.name}==...), or the build takes the newest")
            continue
        if pin.name != resolver_spelling(pin.name):
            bad.append(f"{pin}: write it {resolver_spelling(pin.name)}=={pin.version}: "
                       "python-for-android's resolver would not recognise this spelling "
                       "and would add the newest release besides the pinned one")
        dist = installed(pin.name)
        if dist is None:
            bad.append(f"{pin}: not installed in this venv, so nothing shows it is pure "
                       f"Python: add {pin} to the dev extra of pyproject.toml")
        elif dist.version != pin.version:
            bad.append(f"{pin}: the venv has {pin.name} {dist.version}; pin the same version "
                       "in buildozer.spec and the dev extra of pyproject.toml")
        elif not runs_as_pure_python(dist):
            bad.append(f"{pin}: has no python-for-android recipe and is not pure Python "
                       "(its wheel is platlib with compiled modules): it cannot go in the APK")
    return bad


def pulled_in_problems(pins: list[Pin], graph: Graph) -> list[str]:
    """Everything the pure packages and the recipes pull in must be pinned in the spec."""
    pinned = {canonicalize_name(p.name): p for p in pins if p.version}
    recipes = {canonicalize_name(n) for n in graph.recipes}
    env = device_environment(graph.python_version)
    bad = []
    for name in sorted(graph.pure):
        if canonicalize_name(name) not in pinned and name not in {p.name for p in pins}:
            by = sorted(r for r, recipe in graph.recipes.items()
                        if name in getattr(recipe, "python_depends", ()) or
                        name in (getattr(recipe, "depends", None) or ()))
            bad.append(f"{name}: pulled in by the {', '.join(by) or '?'} recipe but not "
                       f"pinned in buildozer.spec: pin it ({resolver_spelling(name)}==...)")
    for pin in pins:
        dist = installed(pin.name) if pin.version else None
        if dist is None or canonicalize_name(pin.name) in recipes:
            continue
        for line in dist.requires or ():
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            key = canonicalize_name(req.name)
            if key in recipes:
                continue
            wanted = pinned.get(key)
            if wanted is None:
                bad.append(f"{pin} requires {req}, which buildozer.spec does not pin: "
                           f"python-for-android would add the newest {req.name}; pin it")
            elif wanted.version not in req.specifier:
                bad.append(f"{pin} requires {req}, but buildozer.spec pins {wanted}")
    return bad


# -- imports ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Import:
    """One import in device code: the module, where, and whether a failure is handled."""

    module: str
    where: str
    optional: bool
    in_function: bool = False


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = []
    kind = handler.type
    for node in (kind.elts if isinstance(kind, ast.Tuple) else [kind]):
        if isinstance(node, ast.Name):
            names.append(node.id)
    return bool({"ImportError", "ModuleNotFoundError"} & set(names))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_in(source: str, module: str, where: str, is_package: bool) -> Iterator[Import]:
    """Every import a module can run, at any depth (functions, methods, branches);
    `if TYPE_CHECKING:` blocks never run and are skipped."""
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST, optional: bool, deep: bool) -> Iterator[Import]:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from visit(child, optional, deep)
            return
        if isinstance(node, ast.Try):
            guarded = optional or any(_catches_import_error(h) for h in node.handlers)
            for child in node.body:
                yield from visit(child, guarded, deep)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                yield from visit(child, optional, deep)
            return
        at = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, at, optional, deep)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            if base != "__future__":
                yield Import(base, at, optional, deep)
                for alias in node.names:  # `from pkg import submodule` imports it too
                    yield Import(f"{base}.{alias.name}", at, True, deep)
        inner = deep or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            yield from visit(child, optional, inner)

    yield from visit(ast.parse(source), False, False)


def kv_imports(text: str, where: str) -> Iterator[Import]:
    """`#:import alias module` lines of a kv file (Builder imports them when loading); the
    name may end in an attribute (`module.Class`), like `from module import Class`."""
    for number, line in enumerate(text.splitlines(), 1):
        found = re.match(r"#:import\s+\S+\s+(\S+)", line.strip())
        if found:
            name, at = found.group(1), f"{where}:{number}"
            yield Import(name.rpartition(".")[0] or name, at, False)
            if "." in name:
                yield Import(name, at, True)


def module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def import_closure(root: Path, entry: str = "main.py") -> tuple[list[Path], list[Import]]:
    """The project files the app runs, from `entry`, and every outside import they make."""
    files: list[Path] = []
    outside: list[Import] = []
    todo: list[tuple[str, Path]] = [("__main__", root / entry)]
    seen: set[Path] = set()
    while todo:
        module, path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        files.append(path)
        rel = str(path.relative_to(root))
        found = list(imports_in(path.read_text(encoding="utf-8"), module, rel,
                                path.name == "__init__.py"))
        if path.name == "__init__.py":  # a package's kv files load with its modules
            for kv in sorted(path.parent.glob("*.kv")):
                found.extend(kv_imports(kv.read_text(encoding="utf-8"),
                                        str(kv.relative_to(root))))
        for imp in found:
            top = imp.module.split(".")[0]
            if top not in PROJECT_PACKAGES:
                if imp.module == top or not imp.optional:
                    outside.append(imp)
                continue
            parts = imp.module.split(".")
            for n in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
                name = ".".join(parts[:n])
                target = module_file(root, name)
                if target is not None:
                    todo.append((name, target))
                elif not imp.optional:
                    outside.append(Import(name, imp.where, False))
    return files, outside


@cache
def _top_levels() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def provided_modules(pins: list[Pin], graph: Graph) -> dict[str, str]:
    """Top-level import name -> the requirement or recipe that ships it."""
    provided: dict[str, str] = {}
    for name, recipe in graph.recipes.items():
        provided[getattr(recipe, "site_packages_name", None) or name] = f"the {name} recipe"
    wanted = {canonicalize_name(p.name): str(p) for p in pins if p.version}
    wanted.update({canonicalize_name(n): n for n in graph.pure})
    for top, dists in _top_levels().items():
        for dist in dists:
            if canonicalize_name(dist) in wanted:
                provided.setdefault(top, wanted[canonicalize_name(dist)])
    return provided


def missing_stdlib(graph: Graph) -> set[str]:
    """Standard modules of the tests' Python that the tablet's Python does not have."""
    python3 = graph.recipes["python3"]
    return REMOVED_FROM_STDLIB | NOT_BUILT_ON_ANDROID | set(
        getattr(python3, "stdlib_dir_blacklist", ()))


def import_problems(spec_path: Path, root: Path, pins: list[Pin], graph: Graph) -> list[str]:
    missing = missing_stdlib(graph)
    provided = provided_modules(pins, graph)
    files, outside = import_closure(root)
    bad = []
    for imp in outside:
        top = imp.module.split(".")[0]
        gone = top in missing or imp.module in missing
        if top in sys.stdlib_module_names and not gone:
            needed = NEEDS_RECIPE.get(top)
            if needed and needed not in graph.recipes and not imp.optional:
                bad.append(f"{imp.where}: imports {imp.module}, which Python on the tablet "
                           f"has only with the {needed} recipe in buildozer.spec")
            continue
        if top in provided or imp.optional:
            continue
        allowed_in, _why = DESKTOP_ONLY.get(top, (set(), ""))
        if imp.in_function and imp.where.rpartition(":")[0] in allowed_in:
            continue
        if gone:
            bad.append(f"{imp.where}: imports {imp.module}, which is not in Python "
                       f"{graph.python_version} on the tablet (removed, or not built for "
                       "Android)")
        else:
            bad.append(f"{imp.where}: imports {imp.module}, which no requirement in "
                       "buildozer.spec provides")
    bad.extend(source_problems(spec_path, root, files))
    return bad


def source_problems(spec_path: Path, root: Path, files: list[Path]) -> list[str]:
    """Project modules the app imports but the spec leaves out of the APK, or does not
    name among what the tablet runs."""
    spec = read_spec(spec_path)
    dirs = [d.strip() for d in spec.get("source.exclude_dirs", "").split(",") if d.strip()]
    patterns = [p.strip() for p in spec.get("source.exclude_patterns", "").split(",")
                if p.strip()]
    named = [p.strip() for p in spec.get("source.include_patterns", "").split(",")
             if p.strip()]
    bad = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        if any(rel.startswith(d.rstrip("/") + "/") for d in dirs) or any(
                fnmatch.fnmatch(rel, p) for p in patterns):
            bad.append(f"{rel}: the app imports it, but buildozer.spec leaves it out of "
                       "the APK (source.exclude_dirs / source.exclude_patterns)")
        elif named and not any(fnmatch.fnmatch(rel, p) for p in named):
            bad.append(f"{rel}: the app imports it, but buildozer.spec does not name it in "
                       "source.include_patterns (the list of what the tablet runs)")
    return bad


def problems(spec_path: Path | None = None, root: Path = ROOT) -> list[str]:
    """Everything that would break the APK's build or the app on the tablet."""
    spec_path = spec_path or root / "buildozer.spec"
    pins = spec_pins(spec_path)
    graph = resolve(p.name for p in pins)
    return [*requirement_problems(pins, graph), *pulled_in_problems(pins, graph),
            *import_problems(spec_path, root, pins, graph)]


if __name__ == "__main__":
    found = problems()
    print("\n".join(found) or "buildozer.spec: no problems found")
    sys.exit(1 if found else 0)
