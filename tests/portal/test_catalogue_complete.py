"""The Swedish catalogue holds every text the code marks for translation, translated.

Extracts the messages the way scripts/translations.sh does (same folders, same keywords)
and compares with the committed catalogue: a text added or moved into a folder the
script does not read would otherwise show in English with nobody noticing.  Texts that
are never marked (words typed straight into a template, a package problem built with an
f-string) are caught by reading the templates and the package checks themselves.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "portal" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"
SCRIPT = (ROOT / "scripts" / "translations.sh").read_text()
EXTRACT = re.search(r"extract -F \S+ (.*?) -o \S+ (.+)$", SCRIPT, re.MULTILINE)
assert EXTRACT is not None
KEYWORDS = EXTRACT.group(1).split()  # ["-k", "N_", "-k", "NC_:1c,2"]
FOLDERS = EXTRACT.group(2).split()
TEMPLATES = [
    path
    for folder in ("portal/templates", "player/templates")
    for path in sorted((ROOT / folder).rglob("*.html"))
]
# Words a template may show as they are: the product's name, and entities for arrows.
ALLOWED_WORDS = {"Kompetens", "larr", "rarr"}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdrf]")


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="sv")


@pytest.fixture(scope="module")
def wanted(tmp_path_factory: pytest.TempPathFactory) -> list[Message]:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = str(Path(sys.executable).parent / "pybabel")
    subprocess.run(  # noqa: S603  (our own venv's pybabel, arguments from our script)
        [pybabel, "-q", "extract", "-F", "portal/babel.cfg", *KEYWORDS, "-o", str(pot), *FOLDERS],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as f:
        return [m for m in read_po(f) if m.id]


def _translated(message: Message | None) -> bool:
    if message is None:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(strings) and all(strings)


def _label(message: Message) -> str:
    text = message.id[0] if isinstance(message.id, tuple) else message.id
    return f"{message.context}: {text}" if message.context else str(text)


def test_catalogue_has_every_marked_text_translated(wanted, catalogue) -> None:
    missing = sorted(
        _label(m) for m in wanted if not _translated(catalogue.get(m.id, context=m.context))
    )
    assert missing == [], "untranslated or not in the catalogue (run scripts/translations.sh)"


def test_catalogue_has_no_fuzzy_entry(catalogue) -> None:
    # pybabel compile leaves fuzzy entries out: they would show in English.
    assert [_label(m) for m in catalogue if m.id and m.fuzzy] == []


def test_catalogue_translations_keep_the_texts_values(catalogue) -> None:
    """A Swedish text names the same %(name)s values as the English one (or it fails)."""
    wrong = []
    for m in catalogue:
        if not m.id or not _translated(m):
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        names = {n for i in ids for n in _PLACEHOLDER.findall(i)}
        for string in strings:
            # A plural form may leave %(num)s out ("en kurs"); it may name nothing else.
            found = set(_PLACEHOLDER.findall(string))
            if not found <= names or not (names - {"num"}) <= found:
                wrong.append(_label(m))
    assert wrong == []


def test_catalogue_reads_every_area_with_texts() -> None:
    # core only defines the markers (core/i18n.py); it shows no text of its own.
    marked = {
        path.relative_to(ROOT).parts[0]
        for path in ROOT.glob("*/**/*.py")
        if path.parts[len(ROOT.parts)] not in {"tests", "migrations", "bench", ".venv", "core"}
        and re.search(r"(?<!def )\bNC?_\(|\bp?gettext\(|\blazy_gettext\(", path.read_text())
    }
    assert marked <= set(FOLDERS), "scripts/translations.sh must extract these areas too"


def _visible_text(template: str) -> str:
    """What a template shows besides its ``{{ }}`` expressions: text and shown attributes."""
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", template, flags=re.DOTALL)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.DOTALL)
    shown = re.findall(r'\b(?:title|aria-label|alt|placeholder)="([^"]*)"', text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r'[\w-]+="[^"]*"', " ", text)  # attributes a macro writes into a tag
    return " ".join([text, *shown])


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_templates_show_no_words_outside_the_catalogue(path: Path) -> None:
    """Every word a page shows goes through _() (or comes from data): none typed in."""
    words = set(re.findall(r"[A-Za-zÅÄÖåäö][\w'-]*", _visible_text(path.read_text())))
    assert words - ALLOWED_WORDS == set()


def _problem_texts() -> list[tuple[str, int, str]]:
    """Package problems whose text is not a marked catalogue text (file, line, code)."""
    found = []
    for path in sorted((ROOT / "packages").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            is_report = isinstance(func, ast.Attribute) and func.attr in ("error", "warn")
            is_problem = isinstance(func, ast.Name) and func.id == "Problem"
            if is_report and node.args:
                text = node.args[0]
            elif is_problem and len(node.args) >= 3:
                text = node.args[2]
            else:
                continue
            # A literal must be marked N_(...); a name holds a marked text (checked where
            # it is set: an unmarked literal there is extracted by nobody and caught by
            # the completeness test only if it happens to be marked elsewhere).
            if isinstance(text, ast.JoinedStr | ast.BinOp) or (
                isinstance(text, ast.Constant) and path.name != "cli.py"
            ):
                found.append((str(path.relative_to(ROOT)), node.lineno, ast.unparse(text)))
    return found


def test_catalogue_package_problems_are_marked_texts() -> None:
    """The validation report is shown in the user's language: every problem's text is
    an ``N_`` catalogue text with its values apart (packages/report.py), never an
    f-string (the CLI's own messages excepted: it speaks English)."""
    assert _problem_texts() == []
