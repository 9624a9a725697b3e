"""No import cycles among the project's own modules, counting imports inside functions.

An import placed inside a function to dodge a cycle still makes a cycle: the two modules
still need each other, only the order in which Python loads them has been made to work.
So the graph built here takes every import a module can run:

- module-level imports, and imports inside functions, methods, classes and `try:` blocks;
- relative imports (`from .x import y`, `from .. import x`), resolved against the module;
- `from pkg import name` points at `pkg.name` when that is a module, else at `pkg`;
- `importlib.import_module("a.b")` with a literal name, or an f-string's literal start
  (`f"field_app.ui.screens.{name}"`: every module under it);
- the packages Python runs on the way: importing `server.auth.roles` from
  `server.services.accounts` runs `server/auth/__init__.py` first, so whatever that file
  imports is needed too. A module's own packages are not counted: they are already
  being run when it is imported.

Imports under `if TYPE_CHECKING:` are left out: they never run, so they cannot make one
module need another while the program runs; they only name types for the checker.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The project's packages whose modules must not import each other in a circle.
#: `client/` is checked once it exists; `bench/` and `tools/` are scripts, not checked.
PACKAGES = ("forms", "sync", "client", "field_app", "server", "hesabu")

Graph = Mapping[str, Iterable[str]]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Every module of the given packages, by dotted name."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node that can run, skipping the bodies of `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _imports(tree: ast.AST, name: str, is_package: bool) -> Iterable[tuple[str, list[str]]]:
    """(module named, names taken from it) for each import that can run."""
    package = name if is_package else name.rpartition(".")[0]
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            yield base, [alias.name for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
        ):
            name_arg = node.args[0]
            if isinstance(name_arg, ast.Constant) and isinstance(name_arg.value, str):
                yield name_arg.value, []
            elif (isinstance(name_arg, ast.JoinedStr) and name_arg.values
                  and isinstance(name_arg.values[0], ast.Constant)):
                yield f"{name_arg.values[0].value}*", []  # every module under this start


def _packages_above(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:end]) for end in range(1, len(parts))}


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """module -> the project modules it imports (itself excluded)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: set[str] = set()
        for base, taken in _imports(tree, name, path.name == "__init__.py"):
            if base.endswith("*"):
                targets |= {module for module in modules if module.startswith(base[:-1])}
                continue
            submodules = {f"{base}.{item}" for item in taken} & modules.keys()
            targets |= submodules
            # `import pkg`, or `from pkg import function`: the arrow goes to `pkg` itself
            if base in modules and (not taken or len(submodules) < len(taken)):
                targets.add(base)
        own = _packages_above(name)
        for target in list(targets):
            targets |= (_packages_above(target) - own) & modules.keys()
        graph[name] = targets - {name}
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0

    for start in sorted(graph):
        if start in index:
            continue
        # iterative depth-first search: (node, iterator over its successors)
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def a_cycle(graph: Graph, component: Iterable[str]) -> list[str]:
    """The shortest cycle through the component's first module, in import order."""
    members = set(component)
    start = min(members)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in sorted(graph.get(node, ())):
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if succ in members and succ not in previous:
                    previous[succ] = node
                    following.append(succ)
        frontier = following
    raise ValueError(f"{sorted(members)} is not a cycle")


def cycles(graph: Graph) -> list[str]:
    """One line per import cycle: `a -> b -> a`, plus the size of the tangle it is in."""
    found = []
    for component in strongly_connected(graph):
        cycle = a_cycle(graph, component)
        line = " -> ".join(cycle)
        if len(component) > len(cycle) - 1:
            line += f"  (one of the cycles among {len(component)} modules: {component})"
        found.append(line)
    return found


# -- the project ----------------------------------------------------------------------


def test_the_project_has_no_import_cycle() -> None:
    graph = import_graph(project_modules(ROOT))
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(found)


def test_the_graph_sees_the_whole_project() -> None:
    """A guard for the checker itself: it finds the modules and the arrows between them,
    those inside functions too."""
    graph = import_graph(project_modules(ROOT))
    assert {"forms", "sync.messages", "field_app.core.store", "server.app", "hesabu.cli"} \
        <= graph.keys()
    assert {"server.api", "server.web", "server.migrate"} <= graph["server.app"]
    # `hesabu` imports the server only inside its commands (an optional dependency)
    assert "server.app" in graph["hesabu.commands.options"]
    assert {f"field_app.ui.screens.{name}" for name in ("home", "form")} \
        <= graph["field_app.ui.app"]


# -- the checker, on small made-up packages --------------------------------------------


def write(root: Path, files: Mapping[str, str]) -> dict[str, Path]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return project_modules(root, packages=["pkg"])


def test_a_cycle_is_named_in_import_order() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == ["a -> b -> c -> a"]


def test_no_cycle_no_finding() -> None:
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_a_tangle_names_one_cycle_and_all_its_modules() -> None:
    graph = {"a": {"b"}, "b": {"a", "c"}, "c": {"a"}}
    (line,) = cycles(graph)
    assert line.startswith("a -> b -> a")
    assert "['a', 'b', 'c']" in line


def test_imports_inside_functions_count(tmp_path: Path) -> None:
    modules = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/one.py": "from pkg import two\n",
        "pkg/two.py": "def late():\n    from pkg.one import thing\n    return thing\n",
    })
    assert cycles(import_graph(modules)) == ["pkg.one -> pkg.two -> pkg.one"]


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    modules = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "from . import leaf\n",
        "pkg/sub/leaf.py": "from ..top import value\n",
        "pkg/top.py": "import importlib\nimportlib.import_module('pkg.sub')\n",
    })
    graph = import_graph(modules)
    assert graph["pkg.sub"] == {"pkg.sub.leaf"}
    assert graph["pkg.sub.leaf"] == {"pkg.top"}
    assert cycles(graph) == ["pkg.sub -> pkg.sub.leaf -> pkg.top -> pkg.sub"]


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    modules = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/one.py": "import pkg.two\n",
        "pkg/two.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from pkg.one import Thing\n"
            "else:\n    import pkg.three\n"
        ),
        "pkg/three.py": "",
    })
    graph = import_graph(modules)
    assert graph["pkg.two"] == {"pkg.three"}
    assert cycles(graph) == []


def test_a_package_run_on_the_way_counts(tmp_path: Path) -> None:
    """`pkg.low` imports `pkg.auth.roles`: Python runs `pkg/auth/__init__.py`, which
    imports `pkg.low` back (the cycle once hidden between server.auth and accounts)."""
    modules = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/low.py": "from pkg.auth.roles import Role\n",
        "pkg/auth/__init__.py": "from pkg.auth.roles import Role\nfrom pkg.low import find\n",
        "pkg/auth/roles.py": "Role = 1\n",
    })
    graph = import_graph(modules)
    assert graph["pkg.low"] == {"pkg.auth", "pkg.auth.roles"}
    assert graph["pkg.auth.roles"] == set()  # its own package is already running
    assert cycles(graph) == ["pkg.auth -> pkg.low -> pkg.auth"]


def test_a_dynamic_import_points_at_every_module_it_may_name(tmp_path: Path) -> None:
    modules = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/app.py": "import importlib\n"
                      "def build(name):\n"
                      "    return importlib.import_module(f'pkg.screens.{name}')\n",
        "pkg/screens/__init__.py": "",
        "pkg/screens/home.py": "from pkg.app import helper\n",
    })
    graph = import_graph(modules)
    assert graph["pkg.app"] == {"pkg.screens", "pkg.screens.home"}
    assert cycles(graph) == ["pkg.app -> pkg.screens.home -> pkg.app"]


def test_from_package_import_a_name_points_at_the_package(tmp_path: Path) -> None:
    modules = write(tmp_path, {
        "pkg/__init__.py": "from pkg.one import helper\n",
        "pkg/one.py": "def helper():\n    from pkg import other\n",
        "pkg/two.py": "from pkg import helper\n",
    })
    graph = import_graph(modules)
    assert graph["pkg.two"] == {"pkg"}
    assert graph["pkg.one"] == {"pkg"}
    assert cycles(graph) == ["pkg -> pkg.one -> pkg"]
