"""The areas depend on each other in one direction only (docs/ARCHITECTURE.md).

core <- accounts <- lrs <- packages <- player <- portal: an area imports itself and the
areas before it, never one after it. The app factory (core/__init__.py ``create_app``)
and an area's ``init_app`` are the only places that import project modules inside a
function; elsewhere such an import would hide a cycle. Pure modules (parsing, rules,
translation, sequencing) import neither Flask nor the database.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["core", "accounts", "lrs", "packages", "player", "portal"]
PURE = [
    "core/iri.py",
    "core/vocabulary.py",
    "core/i18n.py",
    "packages/extract.py",
    "packages/manifest.py",
    "packages/serving.py",
    "player/cmi",
    "player/translate.py",
    "player/sequencing",
]
# Function-level imports still to be removed by the player's split into modules (issue
# 12); the list may only shrink.
NOT_YET = {
    "player/service.py",
    "player/sequencing/sequencer.py",
    "player/sequencing/simple.py",
}
WEB_OR_DB = {"flask", "flask_babel", "flask_sqlalchemy", "werkzeug", "sqlalchemy", "core.db"}


def _modules(path: Path) -> list[tuple[str, ast.AST | None]]:
    """(imported module, the function it is imported in, or None) for each import."""
    found: list[tuple[str, ast.AST | None]] = []

    def walk(node: ast.AST, function: ast.AST | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                walk(child, child)
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                found.append((child.module, function))
            walk(child, function)

    walk(ast.parse(path.read_text()), None)
    return found


def _sources(area: str) -> list[Path]:
    return sorted((ROOT / area).rglob("*.py"))


@pytest.mark.parametrize("area", ORDER)
def test_layers_areas_import_only_areas_below(area: str) -> None:
    allowed = set(ORDER[: ORDER.index(area) + 1])
    wrong = []
    for path in _sources(area):
        for module, function in _modules(path):
            top = module.split(".")[0]
            in_factory = path == ROOT / "core/__init__.py" and getattr(function, "name", "") in (
                "create_app",
            )
            if top in ORDER and top not in allowed and not in_factory:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


@pytest.mark.parametrize("area", ORDER)
def test_layers_no_project_import_hides_in_a_function(area: str) -> None:
    hidden = []
    for path in _sources(area):
        for module, function in _modules(path):
            name = getattr(function, "name", "")
            if function is None or module.split(".")[0] not in ORDER:
                continue
            if name == "init_app" or (path == ROOT / "core/__init__.py" and name == "create_app"):
                continue
            if str(path.relative_to(ROOT)) in NOT_YET:
                continue
            hidden.append(f"{path.relative_to(ROOT)}: {name} imports {module}")
    assert hidden == []


@pytest.mark.parametrize("pure", PURE)
def test_layers_pure_modules_use_neither_flask_nor_the_database(pure: str) -> None:
    target = ROOT / pure
    paths = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    used = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in paths
        for module, _function in _modules(path)
        if module in WEB_OR_DB or module.split(".")[0] in WEB_OR_DB
    ]
    assert used == []


def test_layers_the_check_sees_a_reverse_import(tmp_path: Path) -> None:
    # The walk finds an import of a higher area, also one inside a function.
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from portal import views\n")
    assert _modules(sample)[0][0] == "portal"
