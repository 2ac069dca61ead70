"""The Swedish catalogue holds every text the code marks for translation, translated.

Extracts the messages the way scripts/translations.sh does (same folders, same keywords)
and compares with the committed catalogue: a text added or moved into a folder the
script does not read would otherwise show in English with nobody noticing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "portal" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"


def _folders() -> list[str]:
    script = (ROOT / "scripts" / "translations.sh").read_text()
    extract = re.search(r"extract .* -o \S+ (.+)$", script, re.MULTILINE)
    assert extract is not None
    return extract.group(1).split()


def test_catalogue_has_every_marked_text_translated(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    pybabel = str(Path(sys.executable).parent / "pybabel")
    subprocess.run(  # noqa: S603  (our own venv's pybabel, fixed arguments)
        [
            pybabel,
            "-q",
            "extract",
            "-F",
            "portal/babel.cfg",
            "-k",
            "N_",
            "-o",
            str(pot),
            *_folders(),
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with PO.open("rb") as f:
        catalogue = read_po(f, locale="sv")
    missing = sorted(str(m) for m in wanted if not getattr(catalogue.get(m), "string", None))
    assert missing == [], "untranslated or not in the catalogue (run scripts/translations.sh)"


def test_catalogue_reads_every_area_with_texts() -> None:
    marked = {
        path.relative_to(ROOT).parts[0]
        for path in ROOT.glob("*/**/*.py")
        if path.parts[len(ROOT.parts)] not in {"tests", "migrations", "bench", ".venv"}
        and re.search(r"(?<!def )\bN_\(|\bgettext\(|\blazy_gettext\(", path.read_text())
    }
    assert marked <= set(_folders()), "scripts/translations.sh must extract these areas too"
