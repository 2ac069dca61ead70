"""SCORM times (player/cmi/times.py): 1.2 CMITimespan, 2004 timeinterval."""

from __future__ import annotations

from typing import Any

import pytest

from player.cmi import (
    format_iso_duration,
    parse_iso_duration,
    parse_scorm12_time,
)
from player.cmi.times import format_scorm12_time

# -- time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0001:02:03.5", 3723.5),
        ("00:00:00", 0.0),
        ("0000:00:00.00", 0.0),
        ("99:59:59.99", 359999.99),
        ("9999:00:00", 35996400.0),
        ("12:30:00.05", 45000.05),
    ],
)
def test_player_cmi_parse_scorm12_time_ok(text: str, seconds: float) -> None:
    assert parse_scorm12_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1:02:03",
        "00:60:00",
        "00:00:60",
        "00:00:00.123",
        "-01:00:00",
        "00000:00:00",
        "PT1S",
        "ab",
    ],
)
def test_player_cmi_parse_scorm12_time_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="CMITimespan"):
        parse_scorm12_time(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0000:00:00.00"),
        (3723.5, "0001:02:03.50"),
        (0.004, "0000:00:00.00"),
        (59.999, "0000:01:00.00"),
        (10**9, "9999:59:59.99"),
    ],
)
def test_player_cmi_format_scorm12_time(seconds: float, text: str) -> None:
    assert format_scorm12_time(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1H2M3.5S", 3723.5),
        ("PT1.5S", 1.5),
        ("P1DT2H", 93600.0),
        ("PT0H0M1S", 1.0),
        ("PT0S", 0.0),
        ("P1Y", 365 * 86400.0),
        ("P1M", 30 * 86400.0),
        ("PT10M", 600.0),
        ("P0D", 0.0),
        ("PT0.25S", 0.25),
        ("PT1.234S", 1.234),
    ],
)
def test_player_cmi_parse_iso_duration_ok(text: str, seconds: float) -> None:
    assert parse_iso_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "PT1H30",
        "P1W",
        "-PT1S",
        "PT1.S",
        "PT.5S",
        "1H",
        "PT1S2M",
        "P1DT",
        "pt1s",
        "PT1,5S",
    ],
)
def test_player_cmi_parse_iso_duration_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_iso_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "PT0S"),
        (3723.5, "PT1H2M3.5S"),
        (0.5, "PT0.5S"),
        (60, "PT1M"),
        (3600, "PT1H"),
        (90061.25, "PT25H1M1.25S"),
        (1.004, "PT1S"),
        (59.999, "PT1M"),
    ],
)
def test_player_cmi_format_iso_duration(seconds: float, text: str) -> None:
    assert format_iso_duration(seconds) == text


@pytest.mark.parametrize("fmt", [format_iso_duration, format_scorm12_time])
def test_player_cmi_format_time_negative(fmt: Any) -> None:
    with pytest.raises(ValueError, match="negative"):
        fmt(-1)


@pytest.mark.parametrize("seconds", [0, 0.01, 1.5, 59.99, 3599.99, 86400, 123456.78])
def test_player_cmi_time_round_trip(seconds: float) -> None:
    assert parse_iso_duration(format_iso_duration(seconds)) == pytest.approx(seconds)
    assert parse_scorm12_time(format_scorm12_time(seconds)) == pytest.approx(seconds)
