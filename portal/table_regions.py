"""Every table of a page in a region of its own that scrolls sideways on a narrow screen.

A table wider than a phone (375 CSS px) would otherwise widen the whole page. WCAG 2.1
1.4.10 (Reflow) lets a data table keep its columns and scroll in two dimensions, but the
part that scrolls must be reachable with a keyboard (2.1.1) and named (4.1.2): so each
``<table>`` is wrapped in ``<div class="scroll-region" role="region" tabindex="0">``
named by the table's caption (``aria-labelledby``), and portal.css lets that ``div``
scroll. portal.js takes the tab stop away again from a region that fits.

The wrapping is done once, when a template is compiled (a Jinja extension's
``preprocess``), so every template, including ones written later, gets it without a
macro to remember, and rendering costs nothing more. Ids are numbered per page
(``table_region()`` makes the next one, ``table_caption()`` repeats it in the caption
that follows), so a table drawn by a macro or in a loop gets one of its own each time.
Every table needs a ``<caption>`` (tests/portal/test_table_regions.py); one without is
still wrapped, as a plain focusable box with no role.
"""

from __future__ import annotations

import re

from flask import g
from jinja2 import Environment
from jinja2.ext import Extension

# A table in a template's source, up to its end (tables are never nested in ours).
_TABLE = re.compile(r"<table\b.*?</table>", re.DOTALL)
_CAPTION = re.compile(r"<caption\b")

_OPEN = '<div class="scroll-region" tabindex="0"{name}>'
# A region is a landmark only with a name (WAI-ARIA 1.2, region).
_NAMED = ' role="region" aria-labelledby="{{ table_region() }}"'
_CLOSE = "</div>"


def wrap_tables(source: str) -> str:
    """The template source with each table in its region, named by its caption."""

    def wrap(found: re.Match[str]) -> str:
        table = found.group(0)
        if not _CAPTION.search(table):
            return _OPEN.format(name="") + table + _CLOSE
        table = _CAPTION.sub('<caption id="{{ table_caption() }}"', table, count=1)
        return _OPEN.format(name=_NAMED) + table + _CLOSE

    return _TABLE.sub(wrap, source)


def table_region() -> str:
    """The id of the next table region of this page (its caption's id)."""
    g.table_regions = int(g.get("table_regions", 0)) + 1
    return table_caption()


def table_caption() -> str:
    """The id of the table region begun last (the caption that names it)."""
    return f"table-{g.get('table_regions', 0)}"


class TableRegions(Extension):
    """Wraps the tables of every page template (not e-mails: mail clients have no CSS)."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["table_region"] = table_region
        environment.globals["table_caption"] = table_caption

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        """Rewrite the template's source before Jinja compiles it."""
        if name is not None and name.startswith("mail/"):
            return source
        return wrap_tables(source)
