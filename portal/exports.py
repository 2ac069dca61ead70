"""Tables as files: CSV for programs, and a CSV that Excel opens as it is.

Excel in a Swedish locale reads a semicolon-separated file, expects a byte order mark to
know it is UTF-8, and takes ``2026-03-01`` and ``12,5`` as a date and a number only in
the locale's own forms: so the Excel file writes dates and decimals as the user's locale
does, the plain CSV in ISO forms with a dot.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

# A cell starting with one of these is a formula to a spreadsheet.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4g}"
    return _safe(value)


def _local(value: Any, locale: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "yyyy-MM-dd HH:mm", locale=locale)
    if isinstance(value, date):
        return format_date(value, "short", locale=locale)
    if isinstance(value, float):
        return format_decimal(value, format="0.##", locale=locale)
    return _safe(value)


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in _FORMULA:
        return "'" + value  # no formula injection when opened in a spreadsheet
    return value


def table_file(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], excel: bool = False, locale: str = "en"
) -> bytes:
    """The header and rows as CSV (UTF-8) or, with ``excel``, Excel's CSV for ``locale``."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow([_safe(c) for c in columns])
    for row in rows:
        writer.writerow([_local(v, locale) if excel else _plain(v) for v in row])
    text = out.getvalue()
    return ("\ufeff" + text).encode("utf-8") if excel else text.encode("utf-8")
