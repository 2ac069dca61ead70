"""Every table of a page sits in a named, focusable region that scrolls on a phone.

portal/table_regions.py rewrites the templates' sources when they are compiled; the
browser test (tests/browser/test_portal_mobile.py) checks the result at 375 px.
"""

from __future__ import annotations

import re
from pathlib import Path

from portal.table_regions import TableRegions, wrap_tables

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [*ROOT.glob("portal/templates/**/*.html"), *ROOT.glob("player/templates/**/*.html")]


def test_table_regions_wrap_a_table_named_by_its_caption() -> None:
    source = (
        '<p>x</p>\n<table class="a">\n  <caption class="c">{{ t }}</caption>'
        "<tr><td>1</td></tr>\n</table>"
    )
    wrapped = wrap_tables(source)
    assert wrapped == (
        '<p>x</p>\n<div class="scroll-region" tabindex="0" role="region"'
        ' aria-labelledby="{{ table_region() }}"><table class="a">\n'
        '  <caption id="{{ table_caption() }}" class="c">{{ t }}</caption>'
        "<tr><td>1</td></tr>\n</table></div>"
    )


def test_table_regions_wrap_every_table_and_leave_the_rest() -> None:
    source = "<table><caption>A</caption></table><div></div><table><tr></tr></table>"
    wrapped = wrap_tables(source)
    assert wrapped.count('<div class="scroll-region"') == 2
    # The second has no caption: it still scrolls, with no name to point at.
    assert wrapped.endswith(
        '<div class="scroll-region" tabindex="0"><table><tr></tr></table></div>'
    )
    assert wrap_tables("<tablet></tablet>") == "<tablet></tablet>"


def test_table_regions_leave_mail_templates_alone(app) -> None:
    extension = TableRegions(app.jinja_env)
    source = "<table><caption>A</caption></table>"
    assert extension.preprocess(source, "mail/notice.html") == source
    assert extension.preprocess(source, "reports.html") != source


def test_table_regions_every_table_in_the_templates_has_a_caption() -> None:
    """The caption names the region (WCAG 4.1.2); without one the region has no name."""
    missing = []
    for path in TEMPLATES:
        for table in re.findall(r"<table\b.*?</table>", path.read_text(), re.DOTALL):
            if "<caption" not in table:
                missing.append(str(path.relative_to(ROOT)))
    assert TEMPLATES
    assert missing == []


def test_table_regions_on_a_page_have_ids_of_their_own(portal, login) -> None:
    """Admin → Jobs draws four tables from one loop: four regions, four captions."""
    admin = portal.user("ada@example.org", role="admin")
    page = login(admin).get("/admin/jobs").get_data(as_text=True)
    regions = re.findall(r'<div class="scroll-region" [^>]*aria-labelledby="([^"]+)"', page)
    captions = re.findall(r'<caption id="([^"]+)"', page)
    assert len(regions) == 4
    assert regions == captions
    assert len(set(regions)) == 4
