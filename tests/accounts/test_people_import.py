"""People from an HR export: `flask users import FILE [--dry-run] [--json]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import db

SWEDISH = (
    "Anställningsnummer;Förnamn;Efternamn;E-post;Enhetskod;Chef;Titel\n"
    "1001;Åsa;Öberg;asa.oberg@kommun.se;SOC;;Förvaltningschef\n"
    "1002;Lea;Lund;lea.lund@kommun.se;SOC-AO;1001;Undersköterska\n"
    "1003;Ali;Hassan;ali.hassan@kommun.se;SOC-AO;1001;Sjuksköterska\n"
)


@pytest.fixture
def units(app):
    from accounts import service

    with app.app_context():
        top = service.create_unit("SOC", "Socialförvaltningen")
        service.create_unit("SOC-AO", "Äldreomsorg", "section", top.id)
        db.session.commit()


def run(runner, tmp_path: Path, content: bytes | str, *args: str):
    path = tmp_path / "people.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = runner.invoke(args=["users", "import", str(path), "--json", *args])
    return result.exit_code, json.loads(result.output)


def people(app) -> dict[str | None, tuple]:
    from accounts.models import User

    with app.app_context():
        return {
            u.employee_number: (
                u.name,
                u.email,
                u.unit.code if u.unit else None,
                u.manager.employee_number if u.manager else None,
                u.title,
            )
            for u in db.session.scalars(select(User).where(User.employee_number.is_not(None)))
        }


def test_people_import_swedish_excel_file_with_bom(app, runner, tmp_path, units):
    code, report = run(runner, tmp_path, b"\xef\xbb\xbf" + SWEDISH.encode())
    assert code == 0, report
    assert (report["applied"], report["rows"], len(report["created"])) == (True, 3, 3)
    assert people(app) == {
        "1001": ("Åsa Öberg", "asa.oberg@kommun.se", "SOC", None, "Förvaltningschef"),
        "1002": ("Lea Lund", "lea.lund@kommun.se", "SOC-AO", "1001", "Undersköterska"),
        "1003": ("Ali Hassan", "ali.hassan@kommun.se", "SOC-AO", "1001", "Sjuksköterska"),
    }


def test_people_import_dry_run_reports_and_changes_nothing(app, runner, tmp_path, units):
    code, report = run(runner, tmp_path, SWEDISH, "--dry-run")
    assert code == 0
    assert report["dry_run"] is True
    assert report["applied"] is False
    assert [p["employee_number"] for p in report["created"]] == ["1001", "1002", "1003"]
    assert people(app) == {}


def test_people_import_comma_file_in_english(app, runner, tmp_path, units):
    text = "Employee number,Name,E-mail,Unit,Manager,Title\n7,Sam Berg,sam@kommun.se,SOC,,\n"
    code, report = run(runner, tmp_path, text)
    assert code == 0, report
    assert people(app) == {"7": ("Sam Berg", "sam@kommun.se", "SOC", None, None)}


def test_people_import_second_run_changes_only_what_changed(app, runner, tmp_path, units):
    run(runner, tmp_path, SWEDISH)
    changed = SWEDISH.replace(
        "1002;Lea;Lund;lea.lund@kommun.se;SOC-AO;1001;Undersköterska",
        "1002;Lea;Lund;lea.l@kommun.se;SOC;;Enhetschef",
    )
    code, report = run(runner, tmp_path, changed)
    assert code == 0
    assert (len(report["created"]), report["unchanged"]) == (0, 2)
    [update] = report["updated"]
    assert update["employee_number"] == "1002"
    assert update["changes"]["title"] == ["Undersköterska", "Enhetschef"]
    assert update["changes"]["manager"] == ["1001", None]
    # Matched by employee number although the e-mail address changed.
    assert people(app)["1002"] == ("Lea Lund", "lea.l@kommun.se", "SOC", None, "Enhetschef")


def test_people_import_rejected_rows_are_all_named_and_nothing_is_stored(
    app, runner, tmp_path, units
):
    text = (
        "Anställningsnummer;Namn;E-post;Enhet;Chef\n"
        "1;Ok Person;ok@kommun.se;SOC;\n"
        "2;Bad Unit;bad@kommun.se;NOPE;\n"
        "1;Twice;twice@kommun.se;SOC;\n"
        "3;No Mail;not-an-address;SOC;\n"
        "4;Lost;lost@kommun.se;SOC;999\n"
        ";;;;\n"
        "5;;empty@kommun.se;SOC;\n"
    )
    code, report = run(runner, tmp_path, text)
    assert code == 1
    assert report["applied"] is False
    assert [(r["row"], r["column"]) for r in report["rejected"]] == [
        (3, "unit"),
        (4, "employee_number"),
        (5, "email"),
        (6, "manager"),
        (8, "name"),
    ]
    assert "NOPE" in report["rejected"][0]["reason"]
    assert "row 2" in report["rejected"][1]["reason"]
    assert people(app) == {}


def test_people_import_address_of_another_person_is_refused(app, runner, tmp_path, units):
    run(runner, tmp_path, SWEDISH)
    text = "Anställningsnummer;Namn;E-post;Enhet\n1003;Ali Hassan;lea.lund@kommun.se;SOC\n"
    code, report = run(runner, tmp_path, text)
    assert code == 1
    assert report["rejected"][0]["column"] == "email"
    assert "1002" in report["rejected"][0]["reason"]


@pytest.mark.parametrize(
    ("content", "column", "fragment"),
    [
        (b"Namn;E-post;Enhet\nA;a@kommun.se;SOC\n", "employee_number", "missing"),
        ("Anställningsnummer;Namn;E-post;Enhet\n1;Åsa;a@k.se;SOC\n".encode("latin-1"), "", "UTF-8"),
        (b"", "", "empty"),
    ],
)
def test_people_import_unreadable_files_say_why(
    app, runner, tmp_path, units, content, column, fragment
):
    code, report = run(runner, tmp_path, content)
    assert code == 1
    assert report["rejected"][0]["column"] == column
    assert fragment in report["rejected"][0]["reason"]


def test_people_import_people_can_be_found_and_managed_in_the_portal(app, runner, tmp_path, units):
    run(runner, tmp_path, SWEDISH)
    from accounts import service

    with app.app_context():
        lea = service.find_user("lea.lund@kommun.se")
        assert lea is not None
        assert lea.role == "learner"
        assert lea.active


def long_file(rows: int, extra: str = "") -> str:
    """``rows`` people over several chunks; the first one's manager is the last row."""
    lines = ["Anställningsnummer;Namn;E-post;Enhetskod;Chef"]
    for n in range(1, rows + 1):
        manager = str(rows) if n == 1 else "1"
        lines.append(f"{n};Person {n};p{n}@kommun.se;SOC;{manager if n != rows else ''}")
    return "\n".join(lines) + "\n" + extra


def test_people_import_long_file_is_read_in_chunks_with_managers_further_down(
    app, runner, tmp_path, units
):
    from accounts import people_import

    rows = people_import.CHUNK * 2 + people_import.DETAIL_LIMIT // 4 + 1
    code, report = run(runner, tmp_path, long_file(rows))
    assert code == 0, report["rejected"][:3]
    assert (report["rows"], report["created_count"]) == (rows, rows)
    assert len(report["created"]) == min(rows, people_import.DETAIL_LIMIT)
    found = people(app)
    assert len(found) == rows
    assert found["1"][3] == str(rows)  # a manager defined two chunks later
    assert found[str(rows)][3] is None
    assert found["700"][3] == "1"
    # Again, with one change in the last chunk: one update, nothing else touched.
    changed = long_file(rows).replace(f"{rows};Person {rows};", f"{rows};Person Renamed;")
    code, report = run(runner, tmp_path, changed)
    assert code == 0
    assert (report["created_count"], report["updated_count"], report["unchanged"]) == (
        0,
        1,
        rows - 1,
    )
    assert people(app)[str(rows)][0] == "Person Renamed"


def test_people_import_duplicate_in_a_later_chunk_rejects_the_whole_file(
    app, runner, tmp_path, units
):
    from accounts import people_import

    rows = people_import.CHUNK + 10
    text = long_file(rows, extra="2;Someone Else;else@kommun.se;SOC;\n")
    code, report = run(runner, tmp_path, text)
    assert code == 1
    assert [(r["row"], r["column"]) for r in report["rejected"]] == [(rows + 2, "employee_number")]
    assert "row 3" in report["rejected"][0]["reason"]
    assert people(app) == {}
