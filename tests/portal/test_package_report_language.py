"""The validation report of a package in the author's language: a refused upload's
problems, the warnings kept with a version, values and numbers put into the text."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from flask import Flask

from packages.report import Problem
from portal.i18n import problem_message
from tests.portal.conftest import MANIFEST_12, package_zip, post

SV = {"Accept-Language": "sv"}
EN = {"Accept-Language": "en"}
# The launch file is missing (an error); a file the resource lists is missing (a warning).
MISSING_LAUNCH = MANIFEST_12.format(title="Brandskydd").replace(
    'href="index.html">', 'href="start.html">'
)
MISSING_LISTED = MANIFEST_12.format(title="Brandskydd").replace(
    '<file href="index.html"/>', '<file href="index.html"/><file href="story.html"/>'
)


def upload(client: Any, manifest: str, headers: dict[str, str]) -> Any:
    return post(
        client,
        "/author",
        {"file": (io.BytesIO(package_zip(manifest=manifest)), "brandskydd.zip")},
        content_type="multipart/form-data",
        headers=headers,
    )


def report_rows(page: str) -> list[str]:
    section = re.search(r'<section aria-labelledby="h-validation".*?</section>', page, re.DOTALL)
    assert section is not None, "no validation report"
    rows = re.findall(r"<tr>(.*?)</tr>", section.group(0))
    return [html.unescape(re.sub(r"<[^>]+>", "|", row)) for row in rows]


@pytest.mark.parametrize(
    ("headers", "heading", "message"),
    [
        (
            SV,
            "Valideringsrapport",
            "Startfilen 'start.html' för resursen 'r1' finns inte i paketet",
        ),
        (EN, "Validation report", "Resource 'r1' launch file 'start.html' is not in the package"),
    ],
)
def test_refused_package_report_in_the_authors_language(
    portal: Any, login: Any, headers: dict[str, str], heading: str, message: str
) -> None:
    author = login(portal.user("ann@example.org", role="author"))
    response = upload(author, MISSING_LAUNCH, headers)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert heading in page
    (row,) = report_rows(page)[1:]  # the header row, then the one error
    assert row == f"|{'Fel' if headers is SV else 'Error'}||imsmanifest.xml||13||{message}|"


def test_refused_package_swedish_report_holds_no_english(portal: Any, login: Any) -> None:
    author = login(portal.user("ann@example.org", role="author"))
    broken = '<?xml version="1.0"?>\n<manifest identifier="m">\n<organizations>\n<broken>'
    page = upload(author, broken, SV).get_data(as_text=True)
    rows = report_rows(page)[1:]
    assert rows
    # The parser's own detail (lxml's words) is the only English left, in its place.
    assert all("är inte välformad XML: " in r for r in rows), rows
    assert "is not well-formed" not in page
    assert "Paketet avvisades; inget sparades." in page


def test_version_warnings_kept_and_shown_in_swedish(portal: Any, login: Any) -> None:
    author = login(portal.user("ann@example.org", role="author"))
    response = upload(author, MISSING_LISTED, SV)
    assert response.status_code == 302
    course_page = author.get(response.headers["Location"].split("?")[0], headers=SV)
    text = html.unescape(course_page.get_data(as_text=True))
    assert "Filen 'story.html' finns inte i paketet (listad i resursen 'r1')" in text
    english = author.get(response.headers["Location"].split("?")[0], headers=EN)
    assert "File 'story.html' is not in the package (listed in resource 'r1')" in (
        html.unescape(english.get_data(as_text=True))
    )


def test_problem_message_numbers_in_the_locale_and_old_warnings(app: Flask) -> None:
    limit = Problem("big.zip", None, "The file is larger than %(limit)s bytes", "error")
    limit = Problem(limit.file, None, limit.text, params={"limit": 16777216})
    assert limit.message == "The file is larger than 16777216 bytes"  # the CLI and the API
    with app.test_request_context("/", headers=SV):
        assert problem_message(limit) == "Filen är större än 16\u00a0777\u00a0216 byte"
        # A warning as stored (the JSON shape), and one stored before texts had values.
        assert problem_message(limit.as_dict()) == "Filen är större än 16\u00a0777\u00a0216 byte"
        assert problem_message(
            {"file": None, "line": None, "message": "The upload is not a zip file"}
        ) == ("Den uppladdade filen är ingen zip-fil")
        assert problem_message({"message": "Something said before 2026"}) == (
            "Something said before 2026"
        )
        assert problem_message({"message": ""}) == ""
        # Values that do not fit the text (a row stored by hand): the stored message.
        odd = {"message": "As stored", "text": "Symbolic link in zip: %(name)r", "params": {"x": 1}}
        assert problem_message(odd) == "As stored"
