"""The pure modules import nothing from Django, and the scoring maths mirrors Django's
activity types.

A module is pure when neither it nor anything it imports (at the top or inside a
function) imports Django. The import contract "pure modules import no Django" in
pyproject.toml lists every one: each is imported here in a fresh interpreter where
Django cannot be imported, and the project's imports, read with ``ast``, must find
exactly these pure — a new pure module joins the list, and a listed one that starts
importing Django fails."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("bench", "funnel", "leads", "sla", "smarketing")
# Top-level names that are Django or import it (Celery's Django fix-up imports Django
# when DJANGO_SETTINGS_MODULE is set, as smarketing.celery sets it).
DJANGO = ("celery", "django", "django_filters", "drf_spectacular", "rest_framework")


def _pure_contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["name"].startswith("pure modules"))


PURE_MODULES = tuple(_pure_contract()["source_modules"])


@pytest.mark.parametrize("module", PURE_MODULES)
def test_a_pure_module_imports_without_django(module):
    code = (
        "import sys\n"
        "sys.modules['django'] = None  # Django is absent: importing it fails\n"
        f"import {module}\n"
        f"names = {DJANGO!r}\n"
        "loaded = sorted(m for m, v in sys.modules.items() if v and m.split('.')[0] in names)\n"
        "print(','.join(loaded) or 'none')\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                parts = path.relative_to(ROOT).with_suffix("").parts
                name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
                found[name] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` names in an import statement, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _pure_by_their_imports() -> set[str]:
    """The project's modules (not packages' ``__init__``, not empty files) that import
    Django neither themselves nor through another module of the project."""
    modules = _modules()
    edges: dict[str, set[str]] = {}
    django: set[str] = set()
    for name, path in modules.items():
        edges[name] = {p for p in (name.rsplit(".", i)[0] for i in range(1, name.count(".") + 1))}
        for imported in _imports(name, path):
            if imported.split(".")[0] in DJANGO:
                django.add(name)
            while imported and imported not in modules:  # "from pkg import name": pkg
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                edges[name].add(imported)
    changed = True
    while changed:
        changed = False
        for name, targets in edges.items():
            if name not in django and targets & django:
                django.add(name)
                changed = True
    return {
        name
        for name, path in modules.items()
        if name not in django
        and path.name != "__init__.py"
        and ast.parse(path.read_text(encoding="utf-8")).body
    }


def test_every_pure_module_is_listed():
    assert _pure_by_their_imports() == set(PURE_MODULES)


def test_activity_types_mirror_the_django_choices():
    from leads.models import ActivityType
    from leads.scoring.engine import ACTIVITY_TYPES

    assert list(ACTIVITY_TYPES) == list(ActivityType.values)
