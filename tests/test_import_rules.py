"""The layering rules of ``past/``, read from the source: it imports nothing from ``backend/`` or ``studio/``
(not even by a module-name string), and its modules import each other without cycles."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("backend", "studio")


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package`` under ``root``."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imports(module: str, path: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """``(line, module, names)`` of every import anywhere in the file (module level, inside functions, in
    ``TYPE_CHECKING`` blocks; ``names`` are those of ``from module import names``) and of every string
    passed to ``importlib.import_module``/``__import__``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            yield node.lineno, base, tuple(alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value, ()


def module_name_strings(path: Path, modules: dict[str, Path]) -> Iterator[tuple[int, str]]:
    """String constants that name one of ``modules`` (a module path kept in a list and imported later)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in modules:
            yield node.lineno, node.value


def forbidden_imports(root: Path) -> list[str]:
    outside = {}
    for package in FORBIDDEN:
        if (root / package).is_dir():
            outside.update(module_files(root, package))
    found = []
    for module, path in module_files(root, "past").items():
        hits = [(line, name) for line, name, _ in imports(module, path)]
        for line, name in [*hits, *module_name_strings(path, outside)]:
            if name.split(".")[0] in FORBIDDEN:
                found.append(f"{path.relative_to(root)}:{line} {name}")
    return sorted(set(found))


def import_graph(root: Path) -> dict[str, set[str]]:
    """Edges module -> module inside ``past/``. ``from a import b`` is an edge to ``a.b`` when that is a
    module, else to ``a``; the implicit import of parent packages is not an edge (a package's
    ``__init__`` re-exporting its submodules would otherwise be a cycle with each of them)."""
    modules = module_files(root, "past")
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for _, name, names in imports(module, path):
            targets = [f"{name}.{n}" if f"{name}.{n}" in modules else name for n in names] or [name]
            graph[module].update(t for t in targets if t in modules and t != module)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a closed path) per strongly connected component of more than one module."""
    nodes = list(graph)
    edges = {m: sorted(graph[m]) for m in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in nodes:
        if v not in index:
            connect(v)
    return [closed_path(c, edges) for c in components]


def closed_path(component: list[str], edges: dict[str, list[str]]) -> list[str]:
    """A cycle through the first module of a strongly connected component, found by breadth-first search."""
    start, members = component[0], set(component)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in edges[v]:
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, v, start]
                if w in members and w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    return component


def test_past_imports_nothing_from_backend_or_studio() -> None:
    assert forbidden_imports(ROOT) == []


def test_past_has_no_import_cycle() -> None:
    """Every import counts, including those inside functions and ``TYPE_CHECKING`` blocks: a function-level
    import hides a cycle from the interpreter's start-up, not from the design (decode <-> generation was one,
    as was pipeline adapt -> build_skill -> compare -> adapt). No module is exempt."""
    cycles = find_cycles(import_graph(ROOT))
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    """The two rules above on a small tree that breaks both: so they cannot pass by finding nothing."""
    files = {
        "past/__init__.py": "",
        "past/a.py": "from past import b\n",
        "past/b.py": "def f():\n    from past.c import g\n",
        "past/c.py": "import past.a\ng = 1\n",
        "past/d.py": "import importlib\n\ndef load():\n    return importlib.import_module('backend.jobs')\n",
        "past/e.py": "PLUGINS = ['studio.app']\nDB = 'studio.sqlite'\n",
        "past/f.py": "from backend.store import Store\n",
        "backend/__init__.py": "",
        "studio/__init__.py": "",
        "studio/app.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert forbidden_imports(tmp_path) == [
        "past/d.py:4 backend.jobs",
        "past/e.py:1 studio.app",
        "past/f.py:1 backend.store",
    ]
    assert find_cycles(import_graph(tmp_path)) == [["past.a", "past.b", "past.c", "past.a"]]
