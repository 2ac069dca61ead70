"""A large package upload followed in Chromium: waiting, imported, refused.

PACKAGE_IMPORT_BACKGROUND_BYTES is lowered so the test's zips count as large. An author
uploads on the authoring page, lands on the import's page while the job waits, runs the
queue, follows the link and sees the version made (or the validation report). Every
state passes axe-core in Swedish and in English.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core import jobs
from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.portal.conftest import MANIFEST_12
from tests.portal.mail_helpers import drain
from tests.portal.test_author_import_job import big_zip

TEXTS = {
    "sv": {
        "file": "Paket (zip: SCORM 1.2, SCORM 2004, cmi5 eller xAPI)",
        "upload": "Ladda upp",
        "waiting": "Väntar på sin tur.",
        "follow": "Se hur det går",
        "imported": "Paketet importerades som version 1.",
        "refused": "Paketet avvisades; inget sparades.",
    },
    "en": {
        "file": "Package (zip: SCORM 1.2, SCORM 2004, cmi5 or xAPI)",
        "upload": "Upload",
        "waiting": "Waiting for its turn.",
        "follow": "See how it is going",
        "imported": "Package imported as version 1.",
        "refused": "The package was refused; nothing was stored.",
    },
}


@pytest.fixture
def large(app: Flask) -> Iterator[None]:
    saved = app.config["PACKAGE_IMPORT_BACKGROUND_BYTES"]
    app.config["PACKAGE_IMPORT_BACKGROUND_BYTES"] = 1000
    yield
    app.config["PACKAGE_IMPORT_BACKGROUND_BYTES"] = saved


def _in_language(page: Any, locale: str) -> None:
    page.get_by_label("Language").select_option(locale)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{locale}']")


def _upload(page: Any, url: str, text: dict[str, str], path: Path) -> None:
    page.goto(f"{url}/author")
    page.get_by_label(text["file"]).set_input_files(str(path))
    page.get_by_role("button", name=text["upload"], exact=True).click()
    page.wait_for_selector(f"text={text['waiting']}")
    assert "/author/imports/" in page.url


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_a_large_upload_is_followed_to_its_course_or_its_report(
    app: Flask, page: Any, live_server: Any, large: None, locale: str, tmp_path: Path
) -> None:
    axe, text = make_axe(), TEXTS[locale]
    portal_data(app).user("ann@example.org", role="author", name="Ann Author")
    make_sign_in(live_server)(page, "ann@example.org")
    _in_language(page, locale)
    good = tmp_path / "brandskydd.zip"
    good.write_bytes(big_zip())
    _upload(page, live_server.url, text, good)
    axe(page)

    drain(jobs.huey)
    page.get_by_role("link", name=text["follow"]).click()
    page.wait_for_selector(f"text={text['imported']}")
    axe(page)
    page.get_by_role("link", name="Brandskydd").click()
    page.wait_for_selector("h1:has-text('Brandskydd')")

    bad = tmp_path / "trasig.zip"
    manifest = MANIFEST_12.format(title="x").replace('href="index.html"', 'href="missing.html"')
    bad.write_bytes(big_zip(manifest=manifest))
    _upload(page, live_server.url, text, bad)
    drain(jobs.huey)
    page.get_by_role("link", name=text["follow"]).click()
    page.wait_for_selector(f"text={text['refused']}")
    assert page.locator("table").filter(has_text="missing.html").count() == 1
    axe(page)
