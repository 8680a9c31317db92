"""The shape of the code (DEVELOPERS.md, "The map"): no import cycle anywhere, the
core small, every package's templates found.

The allowed directions between packages are import-linter's contracts
(``pyproject.toml``, run by ``make lint``); this file checks what a contract cannot
say: that no two modules import each other, directly or around a circle, counting
imports written inside functions (grimp, import-linter's graph, reads every import
statement of a module, wherever it stands).
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("leads", "sla", "funnel", "smarketing")
MAX_CORE_MODULES = 25


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
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
                        found.append(sorted(component))
    return found


def _graph():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def test_no_module_imports_itself_around_a_circle():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle(tmp_path, monkeypatch):
    """The check above can fail: a circle hidden inside a function is found."""
    package = tmp_path / "circle"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circle import b\n")
    (package / "b.py").write_text("def later():\n    from circle import a\n")
    (package / "c.py").write_text("from circle import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _cycles(grimp.build_graph("circle", cache_dir=None)) == [["circle.a", "circle.b"]]


def test_the_core_of_leads_stays_small():
    modules = sorted(p.name for p in (ROOT / "leads").glob("*.py"))
    assert len(modules) <= MAX_CORE_MODULES, modules


def test_every_package_template_folder_is_found():
    listed = {Path(d) for d in settings.TEMPLATES[0]["DIRS"]}
    folders = {p for p in (ROOT / "leads").glob("*/templates") if p.is_dir()}
    assert folders <= listed, folders - listed
