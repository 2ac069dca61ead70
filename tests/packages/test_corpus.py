"""Every package of ../shared/corpus/scorm is parsed (pure parser, no database).

The import through the CLI and the HTTP API is tested in test_cli.py / test_views.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from packages.extract import open_package
from packages.manifest import ParsedPackage, read_package
from packages.report import PackageRefused
from tests.packages.conftest import CORPUS

# file, kind, edition, number of launch entries, first launch href
GOOD = [
    ("adapt_scorm12_gowning_course.zip", "scorm12", "1.2", 1, "index.html"),
    ("captivate_scorm12_chapter1.zip", "scorm12", "1.2", 1, "index_scorm.html"),
    ("cmi5_catapult_pre_post_test_framed.zip", "cmi5", "1.0", 6, "pre1.html"),
    ("golf_2004v2_cp_single_sco.zip", "scorm2004", "2nd", 1, "shared/launchpage.html"),
    ("golf_2004v3_runtime_advanced_calls.zip", "scorm2004", "3rd", 1, "shared/launchpage.html"),
    ("golf_2004v3_runtime_basic_calls.zip", "scorm2004", "3rd", 1, "shared/launchpage.html"),
    (
        "golf_2004v3_seq_forced_sequential.zip",
        "scorm2004",
        "3rd",
        5,
        "shared/launchpage.html?content=playing",
    ),
    (
        "golf_2004v3_seq_pre_or_posttest_rollup.zip",
        "scorm2004",
        "3rd",
        6,
        "shared/launchpage.html?content=assessment",
    ),
    (
        "golf_2004v3_seq_random_test.zip",
        "scorm2004",
        "3rd",
        8,
        "shared/launchpage.html?content=playing",
    ),
    (
        "golf_2004v3_seq_simple_remediation.zip",
        "scorm2004",
        "3rd",
        8,
        "shared/launchpage.html?content=playing",
    ),
    (
        "golf_2004v4_seq_posttest_rollup_4thed.zip",
        "scorm2004",
        "4th",
        5,
        "shared/launchpage.html?content=playing",
    ),
    ("golf_scorm12_cp_one_file_per_sco.zip", "scorm12", "1.2", 18, "Playing/Playing.html"),
    ("golf_scorm12_cp_single_sco.zip", "scorm12", "1.2", 1, "shared/launchpage.html"),
    ("golf_scorm12_runtime_basic_calls.zip", "scorm12", "1.2", 1, "shared/launchpage.html"),
    ("hostile_scorm2004_parent_dom_access.zip", "scorm2004", "4th", 1, "sco.html"),
    ("ispring_scorm2004v4_quiz.zip", "scorm2004", "4th", 1, "res/index.html"),
    ("lectora_tincan_xapi.zip", "xapi", "1.0", 1, "a001index.html"),
    ("moodle_complexscorm.zip", "scorm12", "1.2", 8, "index.html"),
    ("moodle_singlescobasic_missingorg.zip", "scorm12", "1.2", 1, "sso/launchpage.html"),
    ("rise360_cmi5.zip", "cmi5", "1.0", 1, "scormdriver/indexAPI.html"),
    ("storyline360_scorm12_crossword.zip", "scorm12", "1.2", 1, "index_lms.html"),
    ("stress_cmi5_lts101_1000_aus.zip", "cmi5", "1.0", 1001, "http://example.com/index.html"),
]

# file, a fragment of the refusal message (the reason SOURCES.md gives)
BAD = [
    (
        "bad_2004v4_adl_cm01_broken_default_org.zip",
        "default='NONEXISTENT_ORG' names no organization",
    ),
    ("bad_cmi5_lts205_duplicated_au.zip", "must be unique (13.1.4.0-1)"),
    ("bad_cmi5_lts209_not_a_zip.zip", "not a zip file"),
    (
        "bad_scorm12_item_bad_identifierref.zip",
        "resource 'non_existent_resource', which does not exist",
    ),
    ("bad_scorm12_malformed_xml.zip", "not well-formed XML: Opening and ending tag mismatch"),
    ("bad_scorm12_missing_files.zip", "'content/nonexistent.html' is not in the package"),
    ("moodle_badscorm.zip", "no root element"),
    ("moodle_invalid.zip", "not a course package"),
]


def _parse(name: str) -> ParsedPackage:
    with open_package(CORPUS / name) as package:
        return read_package(package)


@pytest.fixture(scope="module")
def corpus() -> dict[str, ParsedPackage]:
    """Each corpus package parsed once for the whole module (the 1000-AU one included)."""
    return {name: _parse(name) for name, *_ in GOOD}


def test_packages_corpus_table_covers_every_zip():
    listed = {row[0] for row in GOOD} | {row[0] for row in BAD}
    assert listed == {p.name for p in CORPUS.glob("*.zip")}


@pytest.mark.parametrize(("name", "kind", "edition", "count", "first"), GOOD)
def test_packages_corpus_good_package_parses(corpus, name, kind, edition, count, first):
    result = corpus[name]
    assert result.report.errors == []
    assert (result.kind, result.edition) == (kind, edition)
    assert len(result.launch) == count
    assert result.launch[0]["href"] == first
    assert result.title


@pytest.mark.parametrize(("name", "fragment"), BAD)
def test_packages_corpus_bad_package_refused(name, fragment):
    try:
        errors = _parse(name).report.errors
    except PackageRefused as exc:
        errors = exc.errors
    assert errors
    assert any(fragment in e.message for e in errors), [e.message for e in errors]


def _titles(items: list[dict[str, Any]]) -> list[Any]:
    return [(i["title"], _titles(i["items"])) if i["items"] else i["title"] for i in items]


def test_packages_corpus_golf_one_file_per_sco_tree(corpus):
    result = corpus["golf_scorm12_cp_one_file_per_sco.zip"]
    org = result.structure["organizations"][0]
    tree = _titles(org["items"])
    assert [t[0] for t in tree] == ["Playing the Game", "Etiquette", "Handicapping", "Having Fun"]
    assert all(not item["identifierref"] for item in org["items"])  # aggregations
    assert {e["type"] for e in result.launch} == {"asset"}
    quiz = next(e for e in result.launch if e["id"] == "playing_quiz_item")
    assert quiz["href"].endswith("?questions=Playing")
    shared = [r for r in result.structure["resources"] if r["dependencies"]]
    assert shared
    assert all(r["dependencies"] for r in shared)


def test_packages_corpus_complexscorm_quirks(corpus):
    result = corpus["moodle_complexscorm.zip"]
    assert any("first organization is used" in w.message for w in result.report.warnings)
    items = result.structure["organizations"][0]["items"]
    nested = items[3]
    assert nested["items"][0]["items"][0]["title"] == "Sub-Sub-SCO"
    assert items[4]["isvisible"] is False
    assert items[2]["scorm_type"] == "asset"
    assert items[5]["prerequisites"]["type"] == "aicc_script"
    assert "&" in items[5]["prerequisites"]["value"]


def test_packages_corpus_forced_sequential_sequencing(corpus):
    result = corpus["golf_2004v3_seq_forced_sequential.zip"]
    org = result.structure["organizations"][0]
    assert org["sequencing"]["controlMode"]["choice"] is True
    assert org["sequencing"]["controlMode"]["flow"] is True
    assert result.structure["sequencing_collection"]
    rules = [i["sequencing"] for i in org["items"] if "sequencingRules" in i.get("sequencing", {})]
    actions = {
        r["ruleAction"]["action"]
        for s in rules
        for r in s["sequencingRules"].get("preConditionRule", [])
    }
    assert "disabled" in actions


def test_packages_corpus_random_test_limits(corpus):
    result = corpus["golf_2004v3_seq_random_test.zip"]
    found = []

    def walk(items):
        for item in items:
            seq = item.get("sequencing", {})
            if "randomizationControls" in seq:
                found.append(seq)
            walk(item["items"])

    walk(result.structure["organizations"][0]["items"])
    assert found[0]["randomizationControls"] == {
        "reorderChildren": True,
        "randomizationTiming": "onEachNewAttempt",
    }
    assert found[0]["limitConditions"]["attemptLimit"] == 2


def test_packages_corpus_4th_edition_features(corpus):
    result = corpus["golf_2004v4_seq_posttest_rollup_4thed.zip"]
    org = result.structure["organizations"][0]
    assert org["shared_data_global_to_system"] is False
    first = org["items"][0]
    assert first["completion_threshold"] == {"progressWeight": 0.5}
    assert first["shared_data"][0]["readSharedData"] is True
    assert "adlseq:objectives" in first["sequencing"]


def test_packages_corpus_cmi5_catapult_blocks(corpus):
    result = corpus["cmi5_catapult_pre_post_test_framed.zip"]
    blocks = result.structure["children"]
    assert [b["type"] for b in blocks] == ["block", "block"]
    assert [len(b["children"]) for b in blocks] == [3, 3]
    assert {e["moveOn"] for e in result.launch} == {"Passed", "CompletedOrPassed"}


def test_packages_corpus_rise_cmi5(corpus):
    result = corpus["rise360_cmi5.zip"]
    au = result.launch[0]
    assert au["launchMethod"] == "OwnWindow"
    assert au["moveOn"] == "Passed"
    assert au["launchParameters"]
    assert len(result.structure["objectives"]) == 7


def test_packages_corpus_storyline_quirk_is_warning(corpus):
    result = corpus["storyline360_scorm12_crossword.zip"]
    assert any("story.html" in w.message for w in result.report.warnings)


def test_packages_corpus_adapt_masteryscore_is_commented_out(corpus):
    # SOURCES.md says 70, but the manifest has <!-- <adlcp:masteryscore>70</...> -->.
    result = corpus["adapt_scorm12_gowning_course.zip"]
    item = result.structure["organizations"][0]["items"][0]
    assert "masteryscore" not in item
