"""The import graph of ``past/`` and ``backend/``, read from the source with ``ast``, and the rules it must keep.

Every import counts: module level, inside functions, in ``TYPE_CHECKING`` blocks, relative ones (``from . import
x``), module names passed to ``importlib.import_module``/``__import__`` and module names kept as strings to be
imported later (a job-kind registry). A function-level import hides a cycle from the interpreter's start-up, not
from the design. The rules:

- ``past/`` imports nothing from ``backend/`` or ``studio/``; ``backend/`` nothing from ``studio/``;
- no cycle between packages: a package is ``past.X``/``backend.X`` (a subpackage or a top-level module), and each
  file of ``backend/jobs`` is its own node (the runner, the executors and the gateway are separate parts);
- no cycle between the modules of ``past/``;
- the low layers (``past.datasets``, ``past.documents``) import only what lies below them;
- the evaluator is handed a retriever and never imports ``past.retrieval``;
- ``studio/`` never imports ``past.pipeline``: estimates and runs go through backend services and jobs;
- every package of ``past/`` has a row in the layer table of ``docs/architecture.md`` and imports only packages of
  its own row or of rows before it;
- ``docs/architecture.md`` (and ``CONTRIBUTING.md``) name only files that exist, and functions those files define;
- the studio starts without torch, transformers, peft or trl (the ``past`` CLI's start: ``tests/test_cli.py``).
"""

from __future__ import annotations

import ast
import itertools
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("past", "backend")
OUTSIDE_OF = {"past": ("backend", "studio"), "backend": ("studio",)}
FILE_LEVEL = ("backend", "jobs")  # inside this package every file is a node of the package graph
# what lies below everything: a low layer may import these and nothing else but the layers below it
FOUNDATION = {"past", "past.errors", "past.paths", "past.settings", "past.progress", "past.device"}
LOW_LAYERS = {"past.datasets": set(), "past.documents": {"past.datasets"}}
NEVER = {("past.evaluation", "past.retrieval")}  # the evaluator is handed a retriever (``retriever=``)
STUDIO_NEVER = ("past.pipeline",)  # the studio asks backend services and jobs (backend/estimates.py), never these
ARCHITECTURE = ROOT / "docs" / "architecture.md"

Edges = dict[str, dict[str, list[str]]]  # node -> node -> where ("path:line") the imports are


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
    """``(line, module, names)`` of every import anywhere in the file (``names`` are those of ``from module import
    names``; relative imports resolved against ``module``) and of every string passed to
    ``importlib.import_module``/``__import__``."""
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


def known(name: str, modules: dict[str, Path]) -> str | None:
    """``name`` or its longest prefix that is one of ``modules`` (``import a.b.attr`` imports ``a.b``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def module_edges(root: Path, packages: tuple[str, ...] = PACKAGES) -> Edges:
    """Edges module -> module among ``packages``. ``from a import b`` is an edge to ``a.b`` when that is a module,
    else to ``a``; the implicit import of parent packages is not an edge (a package's ``__init__`` re-exporting its
    submodules would otherwise be a cycle with each of them)."""
    modules: dict[str, Path] = {}
    for package in packages:
        if (root / package).is_dir():
            modules.update(module_files(root, package))
    edges: Edges = {m: defaultdict(list) for m in modules}
    for module, path in modules.items():
        hits = [*imports(module, path), *((line, name, ()) for line, name in module_name_strings(path, modules))]
        for line, name, names in hits:
            targets = [f"{name}.{n}" if f"{name}.{n}" in modules else name for n in names] or [name]
            for target in {known(t, modules) for t in targets} - {None, module}:
                edges[module][target].append(f"{path.relative_to(root)}:{line}")
    return edges


def node_of(module: str) -> str:
    """The package-graph node of a module: ``past.X``/``backend.X``, or the module itself inside ``backend/jobs``."""
    parts = module.split(".")
    return module if tuple(parts[: len(FILE_LEVEL)]) == FILE_LEVEL else ".".join(parts[:2])


def package_edges(root: Path, packages: tuple[str, ...] = PACKAGES) -> Edges:
    graph: Edges = defaultdict(lambda: defaultdict(list))
    for module, targets in module_edges(root, packages).items():
        graph[node_of(module)]
        for target, where in targets.items():
            if node_of(target) != node_of(module):
                graph[node_of(module)][node_of(target)].extend(where)
    return graph


def find_cycles(edges: Edges) -> list[list[str]]:
    """One cycle (as a closed path) per strongly connected component of more than one node, sorted."""
    graph = {v: sorted(edges[v]) for v in edges}
    for targets in list(graph.values()):
        for w in targets:
            graph.setdefault(w, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
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

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(closed_path(c, graph) for c in components)


def closed_path(component: list[str], graph: dict[str, list[str]]) -> list[str]:
    """A shortest cycle through the first node of a strongly connected component (breadth-first search)."""
    start, members = component[0], set(component)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in graph[v]:
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


def describe(cycles: list[list[str]], edges: Edges) -> str:
    """Each cycle with the first import that makes each of its steps, e.g. ``a -> b (a/x.py:3) -> a (b/y.py:9)``."""
    return "; ".join(
        cycle[0] + "".join(f" -> {b} ({edges[a][b][0]})" for a, b in itertools.pairwise(cycle)) for cycle in cycles
    )


def check_acyclic(edges: Edges, what: str) -> None:
    cycles = find_cycles(edges)
    if cycles:
        raise AssertionError(f"import cycles between {what}: " + describe(cycles, edges))


def forbidden_imports(root: Path) -> list[str]:
    """``path:line name`` of every import (or module-name string) from a package into one above it."""
    found = []
    for package, above in OUTSIDE_OF.items():
        if not (root / package).is_dir():
            continue
        outside = {}
        for name in above:
            if (root / name).is_dir():
                outside.update(module_files(root, name))
        for module, path in module_files(root, package).items():
            hits = [(line, name) for line, name, _ in imports(module, path)]
            for line, name in [*hits, *module_name_strings(path, outside)]:
                if name.split(".")[0] in above:
                    found.append(f"{path.relative_to(root)}:{line} {name}")
    return sorted(set(found))


def studio_violations(root: Path) -> list[str]:
    """``path:line name`` of every import by a studio module of a package listed in ``STUDIO_NEVER``."""
    found = []
    for module, path in module_files(root, "studio").items() if (root / "studio").is_dir() else ():
        for line, name, names in imports(module, path):
            targets = [name, *(f"{name}.{n}" for n in names)]
            if any(t == p or t.startswith(f"{p}.") for t in targets for p in STUDIO_NEVER):
                found.append(f"{path.relative_to(root)}:{line} {name}")
    return sorted(set(found))


def layer_violations(edges: Edges) -> list[str]:
    """Imports by a low layer of anything but what lies below it, and the imports listed in ``NEVER``."""
    found = []
    for node, targets in edges.items():
        for target, where in targets.items():
            allowed = LOW_LAYERS.get(node)
            if (allowed is not None and target not in FOUNDATION | allowed) or (node, target) in NEVER:
                found.append(f"{where[0]} {node} -> {target}")
    return sorted(found)


def documented_layers(text: str) -> list[set[str]]:
    """The rows of the page's layer table (``| layer | packages | rule |``), bottom first: the ``past.X`` packages
    each row's second cell names (as ``past/X/`` or ``past/X.py``)."""
    rows: list[set[str]] = []
    lines = iter(text.splitlines())
    for line in lines:
        if line.replace(" ", "").startswith("|layer|packages|"):
            break
    for line in lines:
        if not line.startswith("|"):
            break
        cells = line.split("|")
        if len(cells) > 2 and not set(cells[2]) <= set("- :"):
            rows.append({f"past.{m}" for m in re.findall(r"`past/(\w+)(?:/|\.py)`", cells[2])})
    return rows


def layer_order_violations(edges: Edges, layers: list[set[str]]) -> list[str]:
    """Packages of ``past/`` in no row of the table, and imports of a package from a later row."""
    row = {package: n for n, packages in enumerate(layers) for package in packages} | {"past": 0}
    found = [
        f"{node} has no row in the layer table" for node in sorted(edges) if node.startswith("past") and node not in row
    ]
    for node, targets in edges.items():
        for target, where in targets.items():
            if node in row and target in row and row[target] > row[node]:
                found.append(f"{where[0]} {node} (row {row[node] + 1}) -> {target} (row {row[target] + 1})")
    return sorted(found)


def architecture_references(text: str) -> list[str]:
    """The backticked file references of a markdown page: ``dir/file.py``, ``dir/``, ``file.md`` or
    ``dir/file.py:function`` (no spaces, a slash or a file suffix)."""
    refs = []
    for token in re.findall(r"`([^`\s]+)`", text):
        path = token.split(":")[0]
        if re.fullmatch(r"[\w.\-/]+", path) and ("/" in path or re.search(r"\.(py|md|toml|json|cfg|txt)$", path)):
            refs.append(token)
    return refs


def missing_references(root: Path, page: Path) -> list[str]:
    missing = []
    for ref in architecture_references(page.read_text(encoding="utf-8")):
        path, _, name = ref.partition(":")
        target = root / path
        if not target.exists():
            missing.append(f"{ref}: no such file")
        elif name and name not in defined_names(target):
            missing.append(f"{ref}: {path} defines no {name}")
    return missing


def defined_names(path: Path) -> set[str]:
    """Functions, classes and assigned names anywhere in a Python file (methods included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def test_no_layer_imports_from_the_layer_above_it() -> None:
    assert forbidden_imports(ROOT) == []


def test_past_and_backend_have_no_package_cycle() -> None:
    check_acyclic(package_edges(ROOT), "packages of past/ and backend/ (files of backend/jobs)")


def test_past_modules_have_no_import_cycle() -> None:
    """No module is exempt (decode <-> generation was one, as was pipeline adapt -> build_skill -> compare -> adapt)."""
    check_acyclic(module_edges(ROOT, ("past",)), "modules of past/")


def test_the_studio_leaves_the_pipeline_to_the_backend() -> None:
    assert studio_violations(ROOT) == []


def test_low_layers_import_only_what_lies_below_them() -> None:
    assert layer_violations(package_edges(ROOT)) == []


def test_past_keeps_the_layer_order_of_the_architecture_page() -> None:
    layers = documented_layers(ARCHITECTURE.read_text(encoding="utf-8"))
    assert len(layers) >= 5 and all(layers), "the layer table of docs/architecture.md was not found"
    assert layer_order_violations(package_edges(ROOT), layers) == []


def test_the_architecture_page_names_only_files_that_exist() -> None:
    assert ARCHITECTURE.is_file(), "docs/architecture.md is the newcomer's map"
    assert len(architecture_references(ARCHITECTURE.read_text(encoding="utf-8"))) >= 20
    assert missing_references(ROOT, ARCHITECTURE) == []
    assert missing_references(ROOT, ROOT / "CONTRIBUTING.md") == []


def plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    """Every rule above on a small tree that breaks it: so none can pass by finding nothing."""
    plant(
        tmp_path,
        {
            "past/__init__.py": "",
            "past/a.py": "from past import b\n",
            "past/b.py": "def f():\n    from past.c import g\n",
            "past/c.py": "import past.a\ng = 1\n",
            "past/d.py": "import importlib\n\ndef load():\n    return importlib.import_module('backend.jobs')\n",
            "past/e.py": "PLUGINS = ['studio.app']\nDB = 'studio.sqlite'\n",
            "past/f.py": "from backend.store import Store\n",
            # a package cycle hidden in a function and a relative import: documents -> evaluation -> documents
            "past/documents/__init__.py": "from . import ingest\n",
            "past/documents/ingest.py": "def qa():\n    from past.evaluation.qa_set import load\n",
            "past/evaluation/__init__.py": "",
            "past/evaluation/qa_set.py": "from ..documents.ingest import qa\nload = 1\n",
            "past/evaluation/closed_book.py": "def ask(r):\n    from past.retrieval import prompt\n",
            "past/retrieval/__init__.py": "prompt = 1\n",
            "past/datasets/__init__.py": "from past.errors import PastError\nfrom past.pipeline import recipe\n",
            "past/errors.py": "PastError = Exception\n",
            "past/pipeline/__init__.py": "recipe = 1\n",
            # a file-level cycle inside backend/jobs (the runner -> executor -> gateway -> runner shape)
            "backend/__init__.py": "",
            "backend/store.py": "from studio import app\n",
            "backend/jobs/__init__.py": "",
            "backend/jobs/runner.py": "def executors():\n    from backend.jobs.executors import ray\nlog_path = 1\n",
            "backend/jobs/executors/__init__.py": "",
            "backend/jobs/executors/ray.py": "from ..gateway.server import Gateway\n",
            "backend/jobs/gateway/__init__.py": "",
            "backend/jobs/gateway/server.py": "from backend.jobs.runner import log_path\nGateway = 1\n",
            "studio/__init__.py": "",
            "studio/app.py": "",
            "studio/tab.py": "def estimate():\n    from past.pipeline.cost import launch_note\n",
            "studio/other.py": "from past import pipeline\nfrom past.adapt_params import PRESETS\n",
        },
    )
    assert studio_violations(tmp_path) == ["studio/other.py:1 past", "studio/tab.py:2 past.pipeline.cost"]
    assert forbidden_imports(tmp_path) == [
        "backend/store.py:1 studio",
        "past/d.py:4 backend.jobs",
        "past/e.py:1 studio.app",
        "past/f.py:1 backend.store",
    ]
    assert find_cycles(module_edges(tmp_path, ("past",))) == [
        ["past.a", "past.b", "past.c", "past.a"],
        ["past.documents.ingest", "past.evaluation.qa_set", "past.documents.ingest"],
    ]
    packages = package_edges(tmp_path)
    assert find_cycles(packages) == [
        [
            "backend.jobs.executors.ray",
            "backend.jobs.gateway.server",
            "backend.jobs.runner",
            "backend.jobs.executors.ray",
        ],
        ["past.a", "past.b", "past.c", "past.a"],  # a top-level module is a package of its own
        ["past.documents", "past.evaluation", "past.documents"],
    ]
    with pytest.raises(AssertionError) as failed:
        check_acyclic(packages, "packages")
    assert (
        "past.documents -> past.evaluation (past/documents/ingest.py:2) -> past.documents (past/evaluation/qa_set.py:1)"
    ) in str(failed.value)
    assert (
        "-> backend.jobs.runner (backend/jobs/gateway/server.py:1)"
        " -> backend.jobs.executors.ray (backend/jobs/runner.py:2)" in str(failed.value)
    )
    assert layer_violations(packages) == [
        "past/datasets/__init__.py:2 past.datasets -> past.pipeline",
        "past/documents/ingest.py:2 past.documents -> past.evaluation",
        "past/evaluation/closed_book.py:2 past.evaluation -> past.retrieval",
    ]


def test_the_layer_table_check_finds_a_package_out_of_order(tmp_path: Path) -> None:
    plant(
        tmp_path,
        {
            "past/__init__.py": "",
            "past/errors.py": "",
            "past/documents/__init__.py": "from past.errors import E\n",
            "past/evaluation/__init__.py": "from past.documents import x\n",
            "past/models/__init__.py": "def load():\n    from past.evaluation import y\n",
            "past/extra.py": "",
        },
    )
    page = (
        "| layer | packages | rule |\n| --- | --- | --- |\n| foundation | `past/errors.py` | |\n"
        "| low | `past/documents/`, `past/models/` | |\n| methods | `past/evaluation/` | |\n\nafter the table\n"
    )
    layers = documented_layers(page)
    assert layers == [{"past.errors"}, {"past.documents", "past.models"}, {"past.evaluation"}]
    assert layer_order_violations(package_edges(tmp_path), layers) == [
        "past.extra has no row in the layer table",
        "past/models/__init__.py:2 past.models (row 2) -> past.evaluation (row 3)",
    ]


def test_the_page_check_finds_missing_files_and_names(tmp_path: Path) -> None:
    plant(tmp_path, {"past/a.py": "def adapt():\n    pass\nPRESETS = {}\n", "README.md": ""})
    page = tmp_path / "page.md"
    page.write_text(
        "Run `make check`; see `past/a.py:adapt`, `past/a.py:PRESETS`, `README.md`, `past/`,\n"
        "`past/b.py`, `past/a.py:gone` and `past.pipeline` (a module name, not a path).\n"
    )
    assert missing_references(tmp_path, page) == [
        "past/b.py: no such file",
        "past/a.py:gone: past/a.py defines no gone",
    ]


def test_the_studio_starts_without_the_training_stack() -> None:
    """Importing the studio (what ``make studio`` and every launched studio do first) loads Gradio, not torch:
    the model stacks are imported when a screen first needs them (A/B chat, a comparison)."""
    stacks = "('torch', 'transformers', 'peft', 'trl')"
    probe = f"import sys, studio.app; print(sorted(m for m in {stacks} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
