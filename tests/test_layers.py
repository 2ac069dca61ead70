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
    "packages/manifest",
    "packages/serving.py",
    "player/cmi",
    "player/cmi_salvage.py",
    "player/translate.py",
    "player/sequencing",
]
# Inside the player, a module imports only modules on a later line (docs/ARCHITECTURE.md,
# "A SCORM commit's path"): a commit and a navigation request read top-down. The last
# line (models, request bodies, pure rules) may import each other.
PLAYER = [
    ["views"],
    ["navigation"],
    ["review"],
    ["launch"],
    ["runtime", "shell_state"],
    ["rollup"],
    ["cmi5"],
    ["outcome", "ownership", "progress", "refusals", "shared_data"],
    ["attempt_archive", "attempts", "course_tree", "deactivation", "lms", "retention"],
    ["models", "schemas", "signals", "cmi", "cmi_salvage", "translate", "sequencing"],
]
# The same rule among the modules of a player package (its __init__ re-exports them).
PLAYER_PACKAGES = {
    "cmi5": [["__init__"], ["launch", "waivers"], ["sessions"], ["moveon"], ["statements"]],
    "cmi": [
        ["__init__"],
        ["validation"],
        ["scorm12", "scorm2004", "session", "shared_data"],
        ["checker", "launch", "readonly", "status"],
        ["rules", "times", "tree"],
        ["values"],
    ],
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


def _player_level(module: str) -> int | None:
    """The line of PLAYER a ``player.x[.y]`` module is on (None: the package itself)."""
    parts = module.split(".")
    if parts[0] != "player" or len(parts) < 2:
        return None
    for level, names in enumerate(PLAYER):
        if parts[1] in names:
            return level
    raise AssertionError(f"{module} is missing from PLAYER in tests/test_layers.py")


def _player_imports(path: Path) -> list[str]:
    """The player modules a file imports (``from player import x`` names x)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "player" and not node.level:
            found += [f"player.{alias.name}" for alias in node.names if alias.name != "bp"]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [module for module in found if module.startswith("player.")]


def test_layers_player_modules_import_only_modules_below() -> None:
    wrong = []
    last = len(PLAYER) - 1
    for path in _sources("player"):
        relative = path.relative_to(ROOT)
        if relative.name == "__init__.py" and relative.parent.name == "player":
            continue  # the blueprint and init_app
        level = _player_level(".".join(relative.with_suffix("").parts))
        assert level is not None
        for module in _player_imports(path):
            other = _player_level(module)
            same_package = module.split(".")[1] == relative.with_suffix("").parts[1]
            if other is None or same_package or (level == other == last):
                continue
            if other <= level:
                wrong.append(f"{relative} imports {module}")
    assert wrong == []


def _package_level(package: str, module: str) -> int:
    for level, names in enumerate(PLAYER_PACKAGES[package]):
        if module in names:
            return level
    raise AssertionError(f"player.{package}.{module} is missing from PLAYER_PACKAGES")


@pytest.mark.parametrize("package", sorted(PLAYER_PACKAGES))
def test_layers_player_package_modules_import_only_modules_below(package: str) -> None:
    wrong = []
    for path in _sources(f"player/{package}"):
        level = _package_level(package, path.stem)
        for module in _player_imports(path):
            parts = module.split(".")
            if parts[1] != package or len(parts) < 3:
                continue
            if _package_level(package, parts[2]) <= level:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_layers_the_check_sees_a_reverse_import(tmp_path: Path) -> None:
    # The walk finds an import of a higher area, also one inside a function.
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from portal import views\n")
    assert _modules(sample)[0][0] == "portal"
