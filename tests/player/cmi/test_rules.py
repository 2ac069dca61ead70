"""The SCORM value rules per version and edition (player/cmi/rules.py), on the server and
in the browser's checker (player/static/rules.js), which must agree value for value."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from player.cmi import SCORM12, SCORM2004, validate_cmi
from player.cmi.rules import pattern_of, ruleset

RULES_JS = Path(__file__).resolve().parents[3] / "player" / "static" / "rules.js"

# What authoring tools write, by element: accepted in every edition.
WRITTEN_BY_TOOLS: list[tuple[str, str]] = [
    ("cmi.interactions.0.id", "Scene1_QuestionDraw01_Slide5_MultiChoice_0_0"),  # Storyline
    ("cmi.interactions.0.id", "urn:scormdriver:Question_1"),  # Captivate, scormdriver
    ("cmi.interactions.0.id", "urn:ADL:interaction-id-0001"),
    ("cmi.interactions.0.id", "Q1_1"),  # iSpring
    ("cmi.interactions.0.timestamp", "2026-12-06T21:31:05"),
    ("cmi.interactions.0.timestamp", "2026-12-06T21:31:05.0+01:00"),
    ("cmi.interactions.0.timestamp", "2026-12-06T21:31:05Z"),
    ("cmi.interactions.0.latency", "PT0H0M3.5S"),
    ("cmi.interactions.0.result", "incorrect"),
    ("cmi.interactions.0.result", "0.75"),
    ("cmi.interactions.0.description", "Which is the capital of Sweden?\nChoose one."),
    ("cmi.session_time", "PT0H1M12.53S"),  # scormdriver
    ("cmi.session_time", "PT00H01M05.00S"),  # iSpring's leading zeros
    ("cmi.session_time", "P0DT0H0M5S"),
    ("cmi.suspend_data", "x" * 60000),  # Storyline's compressed state, past the 2nd-ed. SPM
    ("cmi.location", "slide 5 of 7"),
    ("cmi.score.scaled", "0.8"),
    ("cmi.score.raw", "80"),
    ("cmi.objectives.0.id", "Quiz_1"),
]
# long_identifier_type with white space, as Storyline and Captivate write it: allowed by
# the 2nd and 3rd edition wording, not by 4th edition's "a valid URI (RFC 3986)".
SPACED_IDS: list[tuple[str, str]] = [
    ("cmi.interactions.0.objectives.0.id", "SL360 LMS SCORM 2004"),  # Storyline 360
    ("cmi.objectives.0.id", "chapter 1_Test"),  # Captivate
    ("cmi.interactions.0.id", "urn:scormdriver:Slide 5 question"),
]
# Refused in every edition (code).
REFUSED_2004: list[tuple[str, str, int]] = [
    ("cmi.interactions.0.objectives.0.id", "   ", 406),  # all white space
    ("cmi.objectives.0.id", "o\x011", 406),  # a control character
    ("cmi.session_time", "P1W", 406),  # weeks are not part of SCORM's ISO 8601 profile
    ("cmi.session_time", "00:01:00", 406),  # 1.2 notation
    ("cmi.interactions.0.timestamp", "2040-01-01", 406),  # past 2038
    ("cmi.score.scaled", "1.5", 407),
    ("cmi.progress_measure", "-0.1", 407),
    ("cmi.completion_status", "done", 406),
    ("cmi.suspend_data", "x" * (64 * 1024 + 1), 406),
    ("cmi.interactions.0.description", "{lang=}x", 406),
    ("cmi.learner_preference.language", "sv_SE", 406),
]
REFUSED_12: list[tuple[str, str, int]] = [
    ("cmi.core.lesson_status", "unknown", 405),
    ("cmi.core.session_time", "PT1M", 405),
    ("cmi.core.score.raw", "101", 405),
    ("cmi.student_preference.text", "0.5", 405),
    ("cmi.interactions.0.id", "  ", 405),
]


def nest(path: str, value: Any) -> dict[str, Any]:
    """``cmi.a.0.b`` = v as a CMI tree (arrays as lists), with ids where entries need one."""
    parts = path.split(".")[1:]
    root: dict[str, Any] = {}
    node: Any = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part.isdigit():
            entry: dict[str, Any] = {}
            if parts[i - 1] in ("objectives", "interactions") and parts[i + 1] != "id":
                entry["id"] = "x1"
            node.append(entry)
            node = entry
        elif last:
            node[part] = value
        else:
            node[part] = [] if parts[i + 1].isdigit() else {}
            node = node[part]
    return root


@pytest.mark.parametrize("edition", ["2nd", "3rd", "4th"])
@pytest.mark.parametrize(("path", "value"), WRITTEN_BY_TOOLS)
def test_cmi_rules_values_tools_write_pass(edition: str, path: str, value: str) -> None:
    assert ruleset(SCORM2004, edition).check(path, value) is None
    assert validate_cmi(SCORM2004, nest(path, value), edition=edition) == []


@pytest.mark.parametrize(("path", "value"), SPACED_IDS)
@pytest.mark.parametrize(("edition", "accepted"), [("2nd", True), ("3rd", True), ("4th", False)])
def test_cmi_rules_identifiers_with_spaces_per_edition(
    edition: str, accepted: bool, path: str, value: str
) -> None:
    problems = validate_cmi(SCORM2004, nest(path, value), edition=edition)
    assert [(p.path, p.code) for p in problems] == ([] if accepted else [(path, 406)])


@pytest.mark.parametrize("edition", ["2nd", "4th"])
@pytest.mark.parametrize(("path", "value", "code"), REFUSED_2004)
def test_cmi_rules_refused_2004(edition: str, path: str, value: str, code: int) -> None:
    assert ruleset(SCORM2004, edition).check(path, value) is not None
    problems = validate_cmi(SCORM2004, nest(path, value), edition=edition)
    assert (path, code) in [(p.path, p.code) for p in problems]


@pytest.mark.parametrize(("path", "value", "code"), REFUSED_12)
def test_cmi_rules_refused_12(path: str, value: str, code: int) -> None:
    problems = validate_cmi(SCORM12, nest(path, value))
    assert (path, code) in [(p.path, p.code) for p in problems]


def test_cmi_rules_unknown_edition_is_the_strictest() -> None:
    assert ruleset(SCORM2004, None).edition == "4th"
    assert ruleset(SCORM2004, "5th").edition == "4th"
    assert ruleset(SCORM12, "4th").edition == "1.2"


def test_cmi_rules_for_browser_has_only_what_the_sco_may_write() -> None:
    table = ruleset(SCORM2004, "2nd").for_browser()
    assert table["typeCode"] == 406
    assert table["rangeCode"] == 407
    elements = table["elements"]
    assert "cmi.interactions.n.objectives.n.id" in elements
    assert elements["cmi.score.scaled"] == {
        "re": elements["cmi.score.scaled"]["re"],
        "max": 64 * 1024,
        "low": -1,
        "high": 1,
    }
    for read_only in ("cmi.learner_id", "cmi.mode", "cmi.total_time", "cmi.entry"):
        assert read_only not in elements
    assert pattern_of("cmi.interactions.12.objectives.3.id") == "cmi.interactions.n.objectives.n.id"


def _agreement_cases() -> list[tuple[str, str, str, Any]]:
    cases: list[tuple[str, str, str, Any]] = []
    for edition in ("2nd", "3rd", "4th"):
        cases += [(SCORM2004, edition, p, v) for p, v in WRITTEN_BY_TOOLS + SPACED_IDS]
        cases += [(SCORM2004, edition, p, v) for p, v, _code in REFUSED_2004]
    cases += [(SCORM12, "1.2", p, v) for p, v, _code in REFUSED_12]
    cases += [
        (SCORM12, "1.2", "cmi.core.lesson_location", "x" * 255),
        (SCORM12, "1.2", "cmi.interactions.0.id", "q 1"),
        (SCORM12, "1.2", "cmi.core.score.raw", 55.5),
        (SCORM2004, "4th", "cmi.exit", "logout"),
        (SCORM2004, "4th", "cmi.learner_preference.audio_captioning", -1),
        (SCORM2004, "4th", "cmi.score.raw", "1e3"),
        (SCORM2004, "4th", "cmi.score.raw", ".5"),
        (SCORM2004, "4th", "cmi.objectives.0.id", "urn:x"),
        (SCORM2004, "4th", "cmi.objectives.0.id", "URN:isbn:0451450523"),
        (SCORM2004, "2nd", "cmi.objectives.0.id", "\u00a0\u3000"),
        (SCORM2004, "2nd", "cmi.objectives.0.id", "a\tb"),
        (SCORM2004, "4th", "cmi.interactions.0.timestamp", "2026-12-06T21:31:05.0+0100"),
        (SCORM2004, "4th", "cmi.interactions.0.description", "{lang=sv-SE}Fråga"),
        (SCORM2004, "4th", "cmi.interactions.0.result", "wrong"),
    ]
    return cases


def test_cmi_rules_browser_and_server_agree() -> None:
    """rules.js, run by node on the table the server sends, refuses exactly what the
    server refuses, with the same code, for every case above."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    cases = _agreement_cases()
    tables = {
        (version, edition): ruleset(version, edition).for_browser()
        for version, edition, _p, _v in cases
    }
    script = """
      const rules = require(process.argv[1]);
      const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
      const out = input.cases.map(([table, path, value]) => {
        const refusal = rules.check(input.tables[table], path, value);
        return refusal ? refusal.code : null;
      });
      process.stdout.write(JSON.stringify(out));
    """
    payload = {
        "tables": {f"{v}/{e}": t for (v, e), t in tables.items()},
        "cases": [[f"{v}/{e}", p, value] for v, e, p, value in cases],
    }
    run = subprocess.run(  # noqa: S603  (node, our own file, input from this test)
        [node, "-e", script, str(RULES_JS)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    browser = json.loads(run.stdout)
    server = []
    for version, edition, path, value in cases:
        refusal = ruleset(version, edition).check(path, value)
        server.append(refusal[0] if refusal else None)
    disagreements = [
        (case[1], case[2], str(case[3])[:40], s, b)
        for case, s, b in zip(cases, server, browser, strict=True)
        if s != b
    ]
    assert disagreements == []
    assert None in server
    assert any(server)
