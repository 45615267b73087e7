"""The ``community`` package imports one way: no module reaches back, directly or through others, to a module
that imports it (accounts at the bottom, features above, API, demo and CLI on top).

Every ``import`` counts, at module level or inside a function: a late import hides a circle from Python but
not from the design. The one edge left out is a submodule importing its own package (``from
community.council import bp`` in ``council/views.py``): Python has already run the package's ``__init__`` up to
that point, and it is how a Flask blueprint hands its ``bp`` to its views.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "community"


def _modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``module`` imports (a ``from a import b`` counts as ``a.b`` when b is a module)."""
    is_package = path.name == "__init__.py"
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[:len(here) - node.level + 1]
                base = ".".join(here + ([node.module] if node.module else []))
            names += [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
    found = set()
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != module and not module.startswith(name + "."):
            found.add(name)
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the package's modules it imports, for every module under ``root``."""
    modules = _modules(root)
    return {module: _imported(module, path, modules) for module, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circles_inside_community():
    assert circles(import_graph()) == []


def test_the_check_sees_a_circle_made_by_a_late_import(tmp_path):
    package = tmp_path / "community"
    (package / "accounts").mkdir(parents=True)
    (package / "council").mkdir()
    (package / "__init__.py").write_text("")
    (package / "accounts" / "__init__.py").write_text("")
    (package / "council" / "__init__.py").write_text("from flask import Blueprint\nbp = Blueprint('c', __name__)\n"
                                                      "from community.council import views\n")
    (package / "council" / "views.py").write_text("from community.council import bp, service\n")
    (package / "accounts" / "models.py").write_text("def has_role(user):\n"
                                                    "    from community.council.service import has_active_term\n"
                                                    "    return has_active_term(user)\n")
    (package / "council" / "service.py").write_text("from ..accounts.models import has_role\n")
    assert circles(import_graph(package)) == [["community.accounts.models", "community.council.service"]]
