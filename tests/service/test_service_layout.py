"""The service's layout holds: imports go one way, the domain knows no HTTP, nothing is built on import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest


def _import_graph() -> dict[str, set[str]]:
    """Every listenlens.service module -> the listenlens.service modules it imports (also inside functions)."""
    import listenlens.service

    root = Path(listenlens.service.__file__).parent
    files = {}
    for f in root.rglob("*.py"):
        parts = [p for p in f.relative_to(root).with_suffix("").parts if p != "__init__"]
        files[".".join(["listenlens.service", *parts])] = f
    graph: dict[str, set[str]] = {}
    for name, f in files.items():
        package = name if f.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [base]).rstrip(".")
                targets.add(base)
                targets.update(f"{base}.{a.name}" for a in node.names)
        # Importing a submodule runs its package's __init__: not an edge worth reporting.
        graph[name] = {t for t in targets if t in files and t != name and not name.startswith(t + ".")}
    return graph


def test_service_modules_import_each_other_without_cycles():
    graph = _import_graph()
    assert "listenlens.service.domain.calls" in graph and graph["listenlens.service.api.routes.calls"]
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_domain_knows_no_http_and_pages_call_no_routes():
    graph = _import_graph()
    import listenlens.service

    root = Path(listenlens.service.__file__).parent
    for f in (root / "domain").glob("*.py"):
        text = f.read_text()
        assert "fastapi" not in text and "starlette" not in text, f.name
        module = f"listenlens.service.domain.{f.stem}".removesuffix(".__init__")
        assert not {m for m in graph[module] if m.startswith(("listenlens.service.api", "listenlens.service.ui"))}
    for module, targets in graph.items():
        if module.startswith("listenlens.service.ui"):
            assert not {t for t in targets if t.startswith("listenlens.service.api.routes")}, module


def test_the_celery_app_is_built_on_first_use_with_its_task():
    pytest.importorskip("celery")
    code = (
        "import listenlens.service.jobs.celery_app as m\n"
        "assert m._app is None, 'built at import'\n"
        "from celery.app.utils import find_app\n"
        "app = find_app('listenlens.service.jobs.celery_app')\n"
        "assert app is m.app and 'listenlens.run_job' in app.tasks\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
