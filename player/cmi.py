"""Server-side SCORM 1.2 and 2004 run-time data model (pure: no Flask, no database).

The browser runs scorm-again, which enforces the API state machine and most data-model
rules client-side. The server never trusts it: every committed CMI tree is validated
again here, and the values only the LMS may compute (``total_time``, the evaluated
``completion_status`` / ``success_status`` / ``lesson_status``, the next ``entry``) are
computed here.

References (section numbers as in ``docs/SCORM_CHECKS.md``):

- SCORM 2004 4th Edition RTE v1.1 (2009), §4.1 data types, §4.2.x elements:
  https://adlnet.gov/projects/scorm/ (4.2.3 completion_status, 4.2.4 completion_threshold
  with the evaluation table 4.2.4.1, 4.2.7 entry, 4.2.8 exit, 4.2.9 interactions,
  4.2.17 objectives, 4.2.21 session_time, 4.2.22 success_status, 4.2.25 total_time).
- SCORM 1.2 RTE §3.4 (API, error codes) and §3.4.2 / p. 3-24 (``cmi.core.lesson_status``
  and ``cmi.student_data.mastery_score``).

Tree shape
----------
A CMI tree here is the object under ``"cmi"`` in scorm-again's ``json`` commit body
(``dataCommitFormat: "json"``), i.e. ``{"core": {"lesson_status": ...}, ...}`` for 1.2 and
``{"completion_status": ..., "score": {"scaled": ...}, ...}`` for 2004. All leaf values are
strings (empty string = not set), arrays (``interactions``, ``objectives``,
``correct_responses``, ``comments_from_learner``...) are lists. scorm-again sends arrays as
objects keyed ``"0"``, ``"1"``...; :func:`normalise_commit` turns a commit body in any of
the three ``dataCommitFormat`` shapes (``json``, ``flattened``, ``params``) into this form.
:func:`initial_cmi` returns the same shape, which scorm-again's ``loadFromJSON`` accepts
as is (it recurses into objects and walks lists by index).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from player import cmi_rules

SCORM12 = "1.2"
SCORM2004 = "2004"
VERSIONS = (SCORM12, SCORM2004)

#: Hard cap on any one string value (characters), configurable per call. The SPMs in
#: the RTE are *smallest permitted maxima*; storing longer values is the friendlier choice
#: (SCORM_CHECKS §3.2), notably SCORM 1.2 ``suspend_data`` beyond 4096 characters from
#: Storyline / Rise. What others do: Articulate documents that it puts no limit on suspend
#: data and that "many LMSs don't enforce" the 4096 limit
#: (https://access.articulate.com/support/article/exceeding-scorm-suspend-data-limits);
#: Evolve recommends LMSs allow at least 64 KB; scorm-again 3.4.3 itself accepts 1.2
#: suspend_data up to 64000 characters (its ``scorm12_regex.CMIString64000`` note; checked
#: by running it). So every string is stored up to 64 KiB (never below its SPM), which is
#: at least what the browser lets through, and refused above.
DEFAULT_TEXT_CAP = 64 * 1024
#: Hard cap on the number of entries in any one CMI array.
DEFAULT_ARRAY_CAP = 1000

# -- problems and outcomes --------------------------------------------------------------


@dataclass(frozen=True)
class CmiProblem:
    """One rule a committed CMI tree breaks, with the SCORM error code of the version."""

    path: str
    code: int
    message: str


@dataclass(frozen=True)
class Status:
    """Evaluated status of a SCO attempt (what the LMS reports, not just what the SCO set).

    ``completion``: completed / incomplete / not attempted / unknown.
    ``success``: passed / failed / unknown. ``lesson_status`` is the 1.2 value the LMS
    stores (``None`` for 2004).
    """

    completion: str
    success: str
    score_scaled: float | None = None
    score_raw: float | None = None
    score_min: float | None = None
    score_max: float | None = None
    progress_measure: float | None = None
    lesson_status: str | None = None


@dataclass(frozen=True)
class SessionOutcome:
    """What :func:`finish_session` decided for one ended session.

    ``cmi`` is the tree to store for the attempt: ``total_time`` accumulated,
    ``session_time`` and ``exit`` cleared, the evaluated statuses written back and
    ``entry`` set to ``next_entry``.
    """

    total_seconds: float
    session_seconds: float
    wallclock_seconds: float
    session_time_reported: bool
    completion: str
    success: str
    score_scaled: float | None
    score_raw: float | None
    score_min: float | None
    score_max: float | None
    attempt_ended: bool
    next_entry: str
    suspended: bool
    exit: str
    lesson_status: str | None = None
    cmi: dict[str, Any] = field(default_factory=dict)


# -- time -------------------------------------------------------------------------------

# SCORM 1.2 CMITimespan: HHHH:MM:SS.SS, hours 2-4 digits, optional 1-2 decimals (RTE §3.4.2).
_TIMESPAN_12 = re.compile(r"^(\d{2,4}):([0-5]\d):([0-5]\d)(?:\.(\d{1,2}))?$")
# SCORM 1.2 CMITime: HH:MM:SS.SS, a time of day.
_TIME_12 = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,2})?$")
# SCORM 2004 timeinterval (second,10,2), ISO 8601 duration P[nY][nM][nD][T[nH][nM][n[.n]S]]
# (RTE §4.1 data types, "timeinterval"); weeks are not part of SCORM's ISO 8601 profile.
_ISO_DURATION = re.compile(
    r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
# SCORM 2004 time (second,10,0): YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]], year 1970..2038.
_ISO_TIME = re.compile(
    r"^(19[7-9]\d|20[0-2]\d|203[0-8])"
    r"(?:-(0[1-9]|1[0-2])"
    r"(?:-(0[1-9]|[12]\d|3[01])"
    r"(?:T([01]\d|2[0-3])"
    r"(?::([0-5]\d)"
    r"(?::([0-5]\d)(?:\.\d{1,7})?"
    r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?)?)?)?)?)?$"
)


def parse_scorm12_time(value: str) -> float:
    """Seconds in a SCORM 1.2 CMITimespan ``HHHH:MM:SS(.SS)``; malformed → ValueError."""
    match = _TIMESPAN_12.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"not a SCORM 1.2 CMITimespan (HHHH:MM:SS.SS): {value!r}")
    hours, minutes, seconds, fraction = match.groups()
    total = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return total + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


def format_scorm12_time(seconds: float) -> str:
    """Format seconds as SCORM 1.2 ``HHHH:MM:SS.SS`` (hours capped at 9999:59:59.99)."""
    if seconds < 0 or math.isnan(seconds):
        raise ValueError(f"negative or NaN duration: {seconds!r}")
    hundredths = min(round(seconds * 100), (9999 * 3600 + 59 * 60 + 59) * 100 + 99)
    whole, frac = divmod(hundredths, 100)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:04d}:{minutes:02d}:{secs:02d}.{frac:02d}"


def parse_iso_duration(value: str) -> float:
    """Seconds in a SCORM 2004 timeinterval (ISO 8601 duration, RTE §4.1 "timeinterval").

    Years count 365 days and months 30 days (SCORM content uses neither in practice).
    Malformed (``P``, ``PT``, ``PT1H30``, ``P1W``, negative) → ValueError.
    """
    match = _ISO_DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"not an ISO 8601 duration (timeinterval): {value!r}")
    years, months, days, hours, minutes, seconds = match.groups()
    total = float(seconds) if seconds else 0.0
    for part, factor in (
        (years, 365 * 86400),
        (months, 30 * 86400),
        (days, 86400),
        (hours, 3600),
        (minutes, 60),
    ):
        if part:
            total += int(part) * factor
    return total


def format_iso_duration(seconds: float) -> str:
    """Format seconds as ``PT#H#M#S`` with at most 2 decimals (2004 timeinterval)."""
    if seconds < 0 or math.isnan(seconds):
        raise ValueError(f"negative or NaN duration: {seconds!r}")
    hundredths = round(seconds * 100)
    whole, frac = divmod(hundredths, 100)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if frac:
        out += f"{secs}.{frac:02d}".rstrip("0") + "S"
    elif secs or out == "PT":
        out += f"{secs}S"
    return out


def _time_seconds(version: str, value: str) -> float:
    return parse_scorm12_time(value) if version == SCORM12 else parse_iso_duration(value)


def _format_time(version: str, seconds: float) -> str:
    return format_scorm12_time(seconds) if version == SCORM12 else format_iso_duration(seconds)


def _canonical_time(version: str, value: Any) -> str | None:
    """Return a duration in the version's canonical format, or None if blank/malformed."""
    if _is_blank(value):
        return None
    try:
        return _format_time(version, _time_seconds(version, str(value)))
    except ValueError:
        return None


# -- commit bodies ----------------------------------------------------------------------


def _listify(node: Any) -> Any:
    """Objects whose keys are all array indices become lists (gaps stay as ``None``)."""
    if isinstance(node, list):
        return [_listify(v) for v in node]
    if not isinstance(node, dict):
        return node
    # _count / _children / _version are keywords, not data (1.2 RTE §3.4.3, 2004 §4.1).
    data_keys = [k for k in node if not (isinstance(k, str) and k.startswith("_"))]
    if not data_keys and "_count" in node:
        return []
    if data_keys and all(isinstance(k, str) and k.isdigit() for k in data_keys):
        size = max(int(k) for k in data_keys) + 1
        if size > 100_000:
            raise ValueError("array index out of range")
        items: list[Any] = [None] * size
        for key in data_keys:
            items[int(key)] = _listify(node[key])
        return items
    return {k: _listify(v) for k, v in node.items()}


def _unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in flat.items():
        parts = str(key).split(".")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"conflicting keys at {key!r}")
            node = child
        if parts[-1] in node and isinstance(node[parts[-1]], dict) and value == {}:
            continue
        node[parts[-1]] = value
    return root


def normalise_commit(body: Any) -> dict[str, Any]:
    """Return the CMI tree of a scorm-again commit body in any ``dataCommitFormat``.

    - ``json``: ``{"cmi": {"core": {...}, "interactions": {"0": {...}}}}``;
    - ``flattened``: ``{"cmi.core.exit": "suspend", "cmi.interactions.0.id": "q1", ...}``;
    - ``params``: ``["cmi.core.exit=suspend", ...]``;
    - ``renderCommonCommitFields``: the above under ``"runtimeData"``.

    Array objects keyed ``"0"``, ``"1"``... become lists. A tree already without the
    ``cmi`` wrapper is returned normalised. Malformed bodies → ValueError.
    """
    if isinstance(body, list):
        flat: dict[str, Any] = {}
        for item in body:
            if not isinstance(item, str) or "=" not in item:
                raise ValueError("params commit items must be 'name=value' strings")
            name, _, value = item.partition("=")
            flat[name] = value
        body = flat
    if not isinstance(body, Mapping):
        raise ValueError("commit body must be a JSON object or a list of params")
    if "runtimeData" in body and isinstance(body["runtimeData"], (Mapping, list)):
        return normalise_commit(body["runtimeData"])
    if any(isinstance(k, str) and k.startswith("cmi.") for k in body):
        body = _unflatten(body)
    tree = body.get("cmi", body) if "cmi" in body else body
    if not isinstance(tree, Mapping):
        raise ValueError("'cmi' must be an object")
    result = _listify(dict(tree))
    assert isinstance(result, dict)  # noqa: S101 - a Mapping stays a dict
    return result


# -- value types ------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DECIMAL = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
_LANG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
_SHORT_ID = cmi_rules.ruleset(SCORM2004).types["short_identifier"]


def _number(value: Any) -> float | None:
    """Return a CMIDecimal / real(10,7) as float, or None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        return float(value.strip())
    return None


def _is_blank(value: Any) -> bool:
    return value is None or value == ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_identifier(value: str, limit: int) -> bool:
    """short_identifier_type (2004 RTE §4.1; player.cmi_rules): no white space, URN form."""
    return bool(value) and len(value) <= limit and re.fullmatch(_SHORT_ID, value) is not None


def _strip_lang(value: str) -> str | None:
    """Return a localized_string_type's text after an optional ``{lang=xx}`` (None if bad)."""
    if value.startswith("{lang="):
        end = value.find("}")
        if end < 0 or not _LANG.match(value[6:end]):
            return None
        return value[end + 1 :]
    return value


# -- validation -------------------------------------------------------------------------


class _Checker:
    """Collects problems for one tree.

    The value rules come from player.cmi_rules; the structure (arrays, dependencies,
    unique ids, response formats) from the code below.
    """

    def __init__(
        self, version: str, text_cap: int, array_cap: int, edition: str | None = None
    ) -> None:
        self.version = version
        self.rules = cmi_rules.ruleset(version, edition)
        self.text_cap = text_cap
        self.array_cap = array_cap
        self.problems: list[CmiProblem] = []
        self.type_code = self.rules.type_code
        self.undefined_code = 401
        #: An array index past ``_count``: 1.2 answers 201 (invalid argument), 2004 351.
        self.set_failure_code = 201 if version == SCORM12 else 351

    def add(self, path: str, code: int, message: str) -> None:
        self.problems.append(CmiProblem(path, code, message))

    def leaf(self, path: str, value: Any) -> str | None:
        """Check one element's value by its rule; return it as text when it passes."""
        problem = self.rules.check(path, value, text_cap=self.text_cap)
        if problem is not None:
            self.add(path, *problem)
            return None
        return None if value is None else _text(value)

    def string(self, path: str, value: Any, spm: int) -> str | None:
        """A characterstring outside the CMI tables (``adl.data.n.store``)."""
        if value is None:
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.add(path, self.type_code, "must be a string")
            return None
        text = _text(value)
        limit = max(self.text_cap, spm)
        if len(text) > limit:
            self.add(path, self.type_code, f"{len(text)} characters is over the cap of {limit}")
            return None
        return text

    def required_id(self, path: str, value: Any) -> None:
        """An array entry's id must be set (its value is checked with the entry's group)."""
        if _is_blank(value):
            self.add(path, self.type_code, "identifier must not be empty")

    def group(self, path: str, value: Any) -> dict[str, Any]:
        """A parent element (``cmi.core``, an array entry...): an object, its leaves checked.

        Names the version does not define are 401; keywords (``_count``...) are skipped.
        """
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            self.add(path, self.type_code, "must be an object")
            return {}
        children = self.rules.children(path)
        for key, child in value.items():
            if key.startswith("_"):
                continue  # _version, _count, _children: keywords, not data
            if key not in children:
                self.add(f"{path}.{key}", self.undefined_code, "undefined data model element")
            elif self.rules.rule(f"{path}.{key}") is not None:
                self.leaf(f"{path}.{key}", child)
        return value

    def array(self, path: str, value: Any) -> list[tuple[int, dict[str, Any]]]:
        """Entries of an array element (list), checking shape, gaps and the cap."""
        if value is None or value == {} or value == []:
            return []
        if isinstance(value, dict):
            try:
                value = _listify(value)
            except ValueError:
                value = None
            if isinstance(value, dict):
                self.add(path, self.type_code, "must be an array")
                return []
        if not isinstance(value, list):
            self.add(path, self.type_code, "must be an array")
            return []
        if len(value) > self.array_cap:
            self.add(path, self.set_failure_code, f"more than {self.array_cap} entries")
            return []
        entries: list[tuple[int, dict[str, Any]]] = []
        for index, item in enumerate(value):
            if item is None:
                # Arrays grow one index at a time (an index may be at most _count); a hole means an
                # out-of-order creation, which the API refuses with 351 (201 in 1.2).
                self.add(f"{path}.{index}", self.set_failure_code, "array has a gap")
            elif not isinstance(item, dict):
                self.add(f"{path}.{index}", self.type_code, "array entries must be objects")
            else:
                entries.append((index, item))
        return entries

    def entries(self, path: str, value: Any) -> list[tuple[str, dict[str, Any]]]:
        """An array's entries as groups (their leaves checked): ``(path, entry)``."""
        return [(f"{path}.{i}", self.group(f"{path}.{i}", e)) for i, e in self.array(path, value)]


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


_LESSON_STATUS = ("passed", "completed", "failed", "incomplete", "browsed", "not attempted")
_TIME_LIMIT_ACTIONS = ("exit,message", "exit,no message", "continue,message", "continue,no message")
_COMPLETION = ("completed", "incomplete", "not attempted", "unknown")
_SUCCESS = ("passed", "failed", "unknown")


def _validate_12(c: _Checker, cmi: Mapping[str, Any]) -> None:
    """SCORM 1.2 RTE §3.4.2: every element's value, the arrays and their ids."""
    c.group("cmi", cmi)
    core = c.group("cmi.core", cmi.get("core"))
    c.group("cmi.core.score", core.get("score"))
    c.group("cmi.student_data", cmi.get("student_data"))
    c.group("cmi.student_preference", cmi.get("student_preference"))
    for path, obj in c.entries("cmi.objectives", cmi.get("objectives")):
        c.required_id(f"{path}.id", obj.get("id"))
        c.group(f"{path}.score", obj.get("score"))
    for path, item in c.entries("cmi.interactions", cmi.get("interactions")):
        c.required_id(f"{path}.id", item.get("id"))
        for ref_path, ref in c.entries(f"{path}.objectives", item.get("objectives")):
            c.required_id(f"{ref_path}.id", ref.get("id"))
        c.entries(f"{path}.correct_responses", item.get("correct_responses"))


# 2004 RTE §4.2.9.1 / §4.2.9.2: learner_response and correct_responses.n.pattern formats.
_MAX_NODES = {"choice": 36, "fill-in": 10, "matching": 36, "performance": 250, "sequencing": 36}
_SINGLE_PATTERN = ("true-false", "likert", "numeric", "other")


def _split(value: str, delimiter: str) -> list[str]:
    return value.split(delimiter)


def _strip_cr_delimiters(value: str) -> str:
    """Drop leading ``{case_matters=..}`` / ``{order_matters=..}`` / ``{lang=..}`` (§4.2.9.1)."""
    while True:
        match = re.match(r"^\{(case_matters|order_matters)=(true|false)\}", value)
        if not match:
            return value
        value = value[match.end() :]


def response_problem(kind: str, value: str, *, pattern: bool = False) -> str | None:
    """Why ``value`` is not a valid 2004 learner_response (or correct pattern) of ``kind``.

    Returns None when it is valid (RTE §4.2.9.1 correct_responses, §4.2.9.2
    learner_response format tables).
    """

    def short(s: str) -> bool:
        return _is_identifier(s, 250)

    if pattern:
        value = _strip_cr_delimiters(value)
    if kind == "true-false":
        return None if value in ("true", "false") else "must be 'true' or 'false'"
    if kind in ("likert",):
        return None if short(value) else "must be one short_identifier_type"
    if kind == "numeric":
        if pattern:
            low, sep, high = value.partition("[:]")
            parts = [low, high] if sep else [value]
            if not all(p == "" or _number(p) is not None for p in parts) or value in ("", "[:]"):
                return "must be a number or a 'min[:]max' range"
            if sep and low and high and float(low) > float(high):
                return "range minimum is greater than maximum"
            return None
        return None if _number(value) is not None else "must be a real number"
    if kind == "other":
        return None
    if kind == "long-fill-in":
        return None if _strip_lang(value) is not None else "malformed {lang=} delimiter"
    nodes = _split(value, "[,]")
    if len(nodes) > _MAX_NODES.get(kind, 36):
        return f"more than {_MAX_NODES.get(kind, 36)} items"
    if kind == "choice":
        if value == "":
            return None  # no choice selected
        if not all(short(n) for n in nodes):
            return "items must be short_identifier_type separated by '[,]'"
        if len(set(nodes)) != len(nodes):
            return "choice items must be unique"
        return None
    if kind == "sequencing":
        return None if all(short(n) for n in nodes) else "items must be short identifiers"
    if kind == "fill-in":
        return None if all(_strip_lang(n) is not None for n in nodes) else "malformed {lang=}"
    if kind == "matching":
        for node in nodes:
            source, sep, target = node.partition("[.]")
            if not sep or not short(source) or not short(target):
                return "items must be 'source[.]target' short identifiers separated by '[,]'"
        return None
    if kind == "performance":
        for node in nodes:
            name, sep, answer = node.partition("[.]")
            if not sep or (name and not short(name)) or (not name and not answer):
                return "steps must be 'step_name[.]step_answer' separated by '[,]'"
        return None
    return None


def _validate_2004(c: _Checker, cmi: Mapping[str, Any]) -> None:
    """SCORM 2004 RTE §4.2: every element's value, the arrays, their ids and dependencies."""
    c.group("cmi", cmi)
    for name in ("comments_from_learner", "comments_from_lms"):
        c.entries(f"cmi.{name}", cmi.get(name))
    c.group("cmi.learner_preference", cmi.get("learner_preference"))
    c.group("cmi.score", cmi.get("score"))
    seen: dict[str, int] = {}
    for i, (path, obj) in enumerate(c.entries("cmi.objectives", cmi.get("objectives"))):
        ident = obj.get("id")
        if _is_blank(ident):
            # Any other value set without an id: dependency not established (RTE §4.2.17).
            touched = [
                k for k, v in obj.items() if k != "id" and not _is_default_objective_value(k, v)
            ]
            if touched:
                c.add(f"{path}.{touched[0]}", 408, "objective data set before its id")
        elif _text(ident) in seen:
            # Objective ids are unique within cmi.objectives (RTE §4.2.17 / §4.1.5).
            first = seen[_text(ident)]
            c.add(f"{path}.id", 351, f"duplicate objective id {ident!r} (also at {first})")
        else:
            seen[_text(ident)] = i
        c.group(f"{path}.score", obj.get("score"))
    for path, item in c.entries("cmi.interactions", cmi.get("interactions")):
        _validate_interaction_2004(c, path, item)


def _is_default_objective_value(key: str, value: Any) -> bool:
    if key in ("success_status", "completion_status"):
        return value in ("", None, "unknown")
    if key == "score":
        return not isinstance(value, dict) or all(_is_blank(v) for v in value.values())
    return _is_blank(value)


def _valid_text(c: _Checker, path: str, value: Any) -> str | None:
    """The value as text when its element rule holds (the problem is reported once)."""
    if _is_blank(value) or c.rules.check(path, value, text_cap=c.text_cap) is not None:
        return None
    return _text(value)


def _validate_interaction_2004(c: _Checker, path: str, item: Mapping[str, Any]) -> None:
    ident = item.get("id")
    if _is_blank(ident):
        touched = [k for k, v in item.items() if k != "id" and v not in ("", None, {}, [])]
        if touched:
            # RTE §4.2.9: the id must be set before any other interaction element.
            c.add(f"{path}.{touched[0]}", 408, "interaction data set before its id")
        return
    refs: set[str] = set()
    for ref_path, ref in c.entries(f"{path}.objectives", item.get("objectives")):
        c.required_id(f"{ref_path}.id", ref.get("id"))
        if _text(ref.get("id")) in refs:
            c.add(f"{ref_path}.id", 351, "duplicate interaction objective id")
        refs.add(_text(ref.get("id")))
    patterns = c.entries(f"{path}.correct_responses", item.get("correct_responses"))
    response = item.get("learner_response")
    kind = _valid_text(c, f"{path}.type", item.get("type")) or ""
    if (patterns or not _is_blank(response)) and _is_blank(item.get("type")):
        # learner_response and correct_responses need the type (RTE §4.2.9, 408).
        where = "learner_response" if not _is_blank(response) else "correct_responses"
        c.add(f"{path}.{where}", 408, "set before the interaction type")
        return
    if not kind:
        return
    if kind in _SINGLE_PATTERN and len(patterns) > 1:
        c.add(f"{path}.correct_responses", 351, f"a {kind} interaction has one correct pattern")
    seen: set[str] = set()
    for ppath, resp in patterns:
        text = _valid_text(c, f"{ppath}.pattern", resp.get("pattern"))
        if text is None:
            continue
        why = response_problem(kind, text, pattern=True)
        if why:
            c.add(f"{ppath}.pattern", 406, why)
        if kind == "choice" and text in seen:
            c.add(f"{ppath}.pattern", 351, "duplicate choice pattern")
        seen.add(text)
    text = _valid_text(c, f"{path}.learner_response", response)
    why = response_problem(kind, text) if text is not None else None
    if why:
        c.add(f"{path}.learner_response", 406, why)


def validate_cmi(
    version: str,
    cmi: Mapping[str, Any],
    *,
    text_cap: int = DEFAULT_TEXT_CAP,
    array_cap: int = DEFAULT_ARRAY_CAP,
    edition: str | None = None,
) -> list[CmiProblem]:
    """Every rule a committed CMI tree breaks, with the version's SCORM error code.

    The value of each element is checked by the version's and edition's rules
    (player.cmi_rules, the same the browser applies at SetValue); here also the arrays
    (gaps, duplicate ids, ids before data) and learner_response formats. Read-only values
    are compared separately by :func:`check_readonly`. Codes: 1.2 — 401 undefined
    element, 405 type or range (ADL 1.2 CTS reports out-of-range as 405), 201 array gap or
    too many entries; 2004 — 401, 406 type mismatch, 407 out of range, 408 dependency not
    established, 351 general set failure (duplicate objective id, array gap, too many
    patterns or entries).

    Strings over their SPM are accepted up to ``text_cap`` characters (SCORM_CHECKS §3.2).
    ``edition``: "2nd", "3rd" or "4th" for 2004 (default 4th: its rules are the strictest).
    """
    _require_version(version)
    c = _Checker(version, text_cap, array_cap, edition)
    tree = cmi.get("cmi", cmi) if isinstance(cmi.get("cmi"), Mapping) else cmi
    if version == SCORM12:
        _validate_12(c, tree)
    else:
        _validate_2004(c, tree)
    return c.problems


# -- read-only values -------------------------------------------------------------------

#: Elements the SCO may read but not write (1.2 RTE §3.4.2, 2004 RTE §4.2 tables).
#: ``total_time`` is omitted on purpose: scorm-again puts its own running total into the
#: terminate commit; the server ignores it and computes the total in finish_session.
READ_ONLY = {
    SCORM12: (
        "core.student_id",
        "core.student_name",
        "core.credit",
        "core.entry",
        "core.lesson_mode",
        "launch_data",
        "comments_from_lms",
        "student_data.mastery_score",
        "student_data.max_time_allowed",
        "student_data.time_limit_action",
    ),
    SCORM2004: (
        "learner_id",
        "learner_name",
        "credit",
        "entry",
        "mode",
        "launch_data",
        "completion_threshold",
        "scaled_passing_score",
        "max_time_allowed",
        "time_limit_action",
    ),
}
#: Values scorm-again fills in itself when the LMS sent nothing.
_CLIENT_DEFAULTS = {
    "core.credit": "credit",
    "core.lesson_mode": "normal",
    "credit": "credit",
    "mode": "normal",
    "time_limit_action": "continue,no message",
}


def _get(tree: Mapping[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _same(a: Any, b: Any) -> bool:
    if _is_blank(a) and _is_blank(b):
        return True
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return math.isclose(na, nb, abs_tol=1e-9)
    return _text(a) == _text(b)


def check_readonly(
    version: str, sent: Mapping[str, Any], committed: Mapping[str, Any]
) -> list[CmiProblem]:
    """Read-only values the committed tree changed compared with what the LMS sent.

    Code 403 in 1.2 ("element is read only"), 404 in 2004. Also: ``comments_from_lms``
    entries, 1.2 ``lesson_status`` set back to "not attempted" (the SCO may not set it,
    RTE §3.4.2: 405), and 2004 objective/interaction ids that changed at an index the LMS
    had sent (ids are immutable once set, RTE §4.1.5/4.1.6: 351).
    """
    _require_version(version)
    sent = _unwrap(sent)
    committed = _unwrap(committed)
    code = 403 if version == SCORM12 else 404
    problems: list[CmiProblem] = []
    for dotted in READ_ONLY[version]:
        expected = _get(sent, dotted)
        actual = _get(committed, dotted)
        if dotted.endswith("max_time_allowed"):
            # scorm-again re-formats timespans ("0000:30:00.00" comes back as "00:30:00").
            expected = _canonical_time(version, expected) or expected
            actual = _canonical_time(version, actual) or actual
        if expected is None:
            if actual is None or _same(actual, "") or _same(actual, _CLIENT_DEFAULTS.get(dotted)):
                continue
        elif actual is None or _same(actual, expected):
            continue
        problems.append(
            CmiProblem(f"cmi.{dotted}", code, f"read-only: sent {expected!r}, got {actual!r}")
        )
    if version == SCORM2004:
        sent_comments = sent.get("comments_from_lms") or []
        got_comments = committed.get("comments_from_lms") or []
        if _listify(sent_comments) != _listify(got_comments) and got_comments not in ({}, []):
            problems.append(CmiProblem("cmi.comments_from_lms", 404, "read-only array changed"))
        for name in ("objectives", "interactions"):
            before = _listify(sent.get(name) or [])
            after = _listify(committed.get(name) or [])
            if not isinstance(before, list) or not isinstance(after, list):
                continue
            for i, old in enumerate(before):
                old_id = _obj(old).get("id")
                new_id = _obj(after[i]).get("id") if i < len(after) else None
                if old_id and not _same(old_id, new_id):
                    problems.append(
                        CmiProblem(
                            f"cmi.{name}.{i}.id", 351, f"id {old_id!r} changed to {new_id!r}"
                        )
                    )
    else:
        status = _get(committed, "core.lesson_status")
        before = _get(sent, "core.lesson_status") or "not attempted"
        if status == "not attempted" and before != "not attempted":
            problems.append(
                CmiProblem("cmi.core.lesson_status", 405, "the SCO may not set 'not attempted'")
            )
    return problems


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def restore_readonly(
    version: str, sent: Mapping[str, Any], committed: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the committed tree with every read-only value put back as the LMS sent it.

    Includes ``total_time``: scorm-again's terminate commit carries its own running total
    (total + session), which must not be accumulated again; the LMS's stored total is
    the one :func:`finish_session` adds the session to. Also restores 2004
    ``comments_from_lms``. Call this on every commit before storing it.
    """
    _require_version(version)
    sent_tree = _unwrap(sent)
    tree = copy.deepcopy(_unwrap(committed))
    total = "core.total_time" if version == SCORM12 else "total_time"
    for dotted in (*READ_ONLY[version], total):
        value = _get(sent_tree, dotted)
        if value is None:
            if dotted == total:
                _set(tree, dotted, _format_time(version, 0.0))
            continue
        _set(tree, dotted, value)
    if version == SCORM2004:
        tree["comments_from_lms"] = copy.deepcopy(sent_tree.get("comments_from_lms") or [])
    return tree


def _unwrap(tree: Mapping[str, Any]) -> dict[str, Any]:
    inner = tree.get("cmi")
    result = _listify(dict(inner if isinstance(inner, Mapping) else tree))
    return result if isinstance(result, dict) else {}


def _require_version(version: str) -> None:
    if version not in VERSIONS:
        raise ValueError(f"unknown SCORM version {version!r}; use {SCORM12!r} or {SCORM2004!r}")


# -- launch -----------------------------------------------------------------------------


def _fmt_number(value: float) -> str:
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def _sequencing_for(
    item: Mapping[str, Any], collection: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Merge the item's imsss:sequencing over the collection entry it refers to (SN §5.1)."""
    seq = item.get("sequencing")
    seq = seq[0] if isinstance(seq, list) and seq else seq
    if not isinstance(seq, Mapping):
        return {}
    merged: dict[str, Any] = {}
    ref = seq.get("IDRef")
    if ref and collection and isinstance(collection.get(ref), Mapping):
        merged.update(collection[ref])
    merged.update(seq)
    return merged


def _objective_ids(seq: Mapping[str, Any]) -> list[str]:
    objectives = _obj(seq.get("objectives"))
    ids: list[str] = []
    primary = _obj(objectives.get("primaryObjective"))
    if primary.get("objectiveID"):
        ids.append(str(primary["objectiveID"]))
    for obj in objectives.get("objective") or []:
        if isinstance(obj, Mapping) and obj.get("objectiveID") and obj["objectiveID"] not in ids:
            ids.append(str(obj["objectiveID"]))
    return ids


def scaled_passing_score(seq: Mapping[str, Any]) -> float | None:
    """``cmi.scaled_passing_score`` from the primary objective (RTE §4.2.19, SN §5.1.4).

    Defined only when ``satisfiedByMeasure="true"``; ``minNormalizedMeasure`` defaults to 1.0.
    """
    primary = _obj(_obj(seq.get("objectives")).get("primaryObjective"))
    if primary.get("satisfiedByMeasure") is not True:
        return None
    measure = primary.get("minNormalizedMeasure")
    value = _obj(measure).get("value", 1.0) if isinstance(measure, Mapping) else measure
    number = _number(value if value is not None else 1.0)
    return 1.0 if number is None else number


def completion_threshold(item: Mapping[str, Any]) -> float | None:
    """``cmi.completion_threshold`` from ``adlcp:completionThreshold`` (RTE §4.2.4).

    3rd edition: the element's text. 4th edition: ``minProgressMeasure`` (default 1.0),
    used only when ``completedByMeasure="true"``.
    """
    data = item.get("completion_threshold")
    if not isinstance(data, Mapping):
        return None
    if "completedByMeasure" in data or "minProgressMeasure" in data:
        if data.get("completedByMeasure") is not True:
            return None
        number = _number(data.get("minProgressMeasure", 1.0))
        return 1.0 if number is None else number
    return _number(data.get("value"))


def initial_cmi(
    version: str,
    *,
    learner_id: str,
    learner_name: str,
    item: Mapping[str, Any],
    entry: str,
    previous: Mapping[str, Any] | None,
    mode: str = "normal",
    credit: str = "credit",
    sequencing_collection: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the CMI tree the LMS hands the SCO at launch (scorm-again ``loadFromJSON``).

    ``item`` is an item dict from ``packages.manifest`` (keys ``masteryscore``,
    ``datafromlms``, ``maxtimeallowed``, ``timelimitaction``, ``completion_threshold``,
    ``sequencing``); ``sequencing_collection`` is the package's
    ``structure["sequencing_collection"]`` for items whose sequencing has an ``IDRef``.
    ``previous`` is the stored tree of the attempt (``SessionOutcome.cmi``). With
    ``entry`` "resume" (or "" — same attempt, 2004 RTE §4.2.7) location, suspend_data,
    statuses, score, objectives, interactions, comments and total_time carry over; with
    "ab-initio" a new attempt starts from zero. Learner preferences always carry over.
    All values are strings; unset values are omitted (loadFromJSON skips falsy values).
    """
    _require_version(version)
    if entry not in ("ab-initio", "resume", ""):
        raise ValueError(f"entry must be 'ab-initio', 'resume' or '', not {entry!r}")
    if mode not in ("normal", "browse", "review"):
        raise ValueError(f"mode must be normal, browse or review, not {mode!r}")
    if credit not in ("credit", "no-credit"):
        raise ValueError(f"credit must be credit or no-credit, not {credit!r}")
    prev = _unwrap(previous) if previous else {}
    same_attempt = bool(prev) and entry in ("resume", "")
    launch_data = _text(item.get("datafromlms"))
    if version == SCORM12:
        return _initial_12(
            learner_id, learner_name, item, entry, prev, same_attempt, mode, credit, launch_data
        )
    seq = _sequencing_for(item, sequencing_collection)
    tree: dict[str, Any] = {
        "learner_id": learner_id,
        "learner_name": learner_name,
        "credit": credit,
        "mode": mode,
        "entry": entry,
        "launch_data": launch_data,
        "total_time": "PT0S",
    }
    threshold = completion_threshold(item)
    if threshold is not None:
        tree["completion_threshold"] = _fmt_number(threshold)
    passing = scaled_passing_score(seq)
    if passing is not None:
        tree["scaled_passing_score"] = _fmt_number(passing)
    limit = _obj(seq.get("limitConditions")).get("attemptAbsoluteDurationLimit")
    # An unusable limit (the manifest report warns about it) is no limit.
    tree["max_time_allowed"] = _canonical_time(SCORM2004, limit) or ""
    if item.get("timelimitaction") in _TIME_LIMIT_ACTIONS:
        tree["time_limit_action"] = item["timelimitaction"]
    pref = _obj(prev.get("learner_preference"))
    kept_pref = {k: _text(v) for k, v in pref.items() if not _is_blank(v)}
    if kept_pref:
        tree["learner_preference"] = kept_pref
    objectives: list[dict[str, Any]] = []
    if same_attempt:
        for key in (
            "location",
            "suspend_data",
            "completion_status",
            "success_status",
            "progress_measure",
        ):
            if not _is_blank(prev.get(key)):
                tree[key] = _text(prev[key])
        score = {k: _text(v) for k, v in _obj(prev.get("score")).items() if not _is_blank(v)}
        if score:
            tree["score"] = score
        tree["total_time"] = _canonical_time(SCORM2004, prev.get("total_time")) or "PT0S"
        objectives = [_prune(o) for o in prev.get("objectives") or [] if isinstance(o, dict)]
        interactions = [_prune(i) for i in prev.get("interactions") or [] if isinstance(i, dict)]
        if interactions:
            tree["interactions"] = interactions
        comments = [
            _prune(x) for x in prev.get("comments_from_learner") or [] if isinstance(x, dict)
        ]
        if comments:
            tree["comments_from_learner"] = comments
    # Objectives are pre-populated with the sequencing objective ids (RTE §4.2.17).
    known = {o.get("id") for o in objectives}
    for ident in _objective_ids(seq):
        if ident not in known:
            objectives.append({"id": ident})
    if objectives:
        tree["objectives"] = objectives
    return {k: v for k, v in tree.items() if v not in ("", None)}


def _initial_12(
    learner_id: str,
    learner_name: str,
    item: Mapping[str, Any],
    entry: str,
    prev: Mapping[str, Any],
    same_attempt: bool,
    mode: str,
    credit: str,
    launch_data: str,
) -> dict[str, Any]:
    core: dict[str, Any] = {
        "student_id": learner_id,
        "student_name": learner_name,
        "credit": credit,
        "entry": entry,
        "lesson_mode": mode,
        "lesson_status": "not attempted",
        "total_time": "0000:00:00.00",
    }
    tree: dict[str, Any] = {"core": core, "launch_data": launch_data}
    data: dict[str, str] = {}
    mastery = _number(item.get("masteryscore"))
    if mastery is not None:
        data["mastery_score"] = _fmt_number(mastery)
    max_time = _canonical_time(SCORM12, item.get("maxtimeallowed"))
    if max_time:
        data["max_time_allowed"] = max_time
    if item.get("timelimitaction") in _TIME_LIMIT_ACTIONS:
        data["time_limit_action"] = item["timelimitaction"]
    if data:
        tree["student_data"] = data
    pref = {
        k: _text(v) for k, v in _obj(prev.get("student_preference")).items() if not _is_blank(v)
    }
    if pref:
        tree["student_preference"] = pref
    if same_attempt:
        pcore = _obj(prev.get("core"))
        for key in ("lesson_location", "lesson_status"):
            if not _is_blank(pcore.get(key)):
                core[key] = _text(pcore[key])
        score = {k: _text(v) for k, v in _obj(pcore.get("score")).items() if not _is_blank(v)}
        if score:
            core["score"] = score
        core["total_time"] = _canonical_time(SCORM12, pcore.get("total_time")) or "0000:00:00.00"
        for key in ("suspend_data", "comments"):
            if not _is_blank(prev.get(key)):
                tree[key] = _text(prev[key])
        objectives = [_prune(o) for o in prev.get("objectives") or [] if isinstance(o, dict)]
        if objectives:
            tree["objectives"] = objectives
        interactions = [_prune(i) for i in prev.get("interactions") or [] if isinstance(i, dict)]
        if interactions:
            tree["interactions"] = interactions
    return {k: v for k, v in tree.items() if v not in ("", None)}


def _prune(node: Any) -> Any:
    """Drop empty values (loadFromJSON skips them anyway) and stringify numbers."""
    if isinstance(node, dict):
        out = {k: _prune(v) for k, v in node.items() if not k.startswith("_")}
        return {k: v for k, v in out.items() if v not in ("", None, {}, [])}
    if isinstance(node, list):
        return [_prune(v) for v in node if v is not None]
    return _text(node)


# -- status evaluation ------------------------------------------------------------------


def _score(tree: Mapping[str, Any], version: str) -> dict[str, float | None]:
    score = _obj(_obj(tree.get("core")).get("score") if version == SCORM12 else tree.get("score"))
    return {k: _number(score.get(k)) for k in ("scaled", "raw", "min", "max")}


def _completion_2004(tree: Mapping[str, Any]) -> str:
    """RTE §4.2.4.1: the completion threshold overrides when a progress measure exists."""
    threshold = _number(tree.get("completion_threshold"))
    progress = _number(tree.get("progress_measure"))
    if threshold is not None:
        if progress is not None:
            return "completed" if progress >= threshold else "incomplete"
        return "unknown"
    status = tree.get("completion_status")
    return status if status in _COMPLETION else "unknown"


def _success_2004(tree: Mapping[str, Any]) -> str:
    """RTE §4.2.22: scaled_passing_score overrides when a scaled score exists."""
    passing = _number(tree.get("scaled_passing_score"))
    scaled = _number(_obj(tree.get("score")).get("scaled"))
    if passing is not None:
        if scaled is not None:
            return "passed" if scaled >= passing else "failed"
        return "unknown"
    status = tree.get("success_status")
    return status if status in _SUCCESS else "unknown"


def _lesson_status_12(tree: Mapping[str, Any], *, finishing: bool) -> str:
    """Evaluate the 1.2 lesson_status the LMS stores (1.2 RTE p. 3-24).

    1. ``lesson_mode`` "browse" and no status set by the SCO → "browsed".
    2. ``credit`` "credit", a mastery score and a raw score → passed if raw ≥ mastery,
       else failed (the LMS may override; it must not without a mastery score).
    3. Otherwise the SCO's value. **LMSFinish without a status** (still "not attempted"):
       "incomplete" — the learner was in the SCO but nothing says it was finished. This is
       scorm-again's default (``autoCompleteLessonStatus: false``, so the browser and the
       server agree); auto-completing would mark SCOs complete that merely failed to
       report. During the session (``finishing=False``) "not attempted" is reported as is.
    """
    core = _obj(tree.get("core"))
    status = core.get("lesson_status") or "not attempted"
    if status not in _LESSON_STATUS:
        status = "not attempted"
    mode = core.get("lesson_mode") or "normal"
    if mode == "browse" and status == "not attempted":
        return "browsed"
    mastery = _number(_obj(tree.get("student_data")).get("mastery_score"))
    raw = _number(_obj(core.get("score")).get("raw"))
    credit = (core.get("credit") or "credit") == "credit"
    if credit and mode == "normal" and mastery is not None and raw is not None:
        return "passed" if raw >= mastery else "failed"
    if finishing and status == "not attempted":
        return "incomplete"
    return status


def _status_12(tree: Mapping[str, Any], *, finishing: bool) -> tuple[str, str, str]:
    lesson = _lesson_status_12(tree, finishing=finishing)
    completion = {
        "passed": "completed",
        "completed": "completed",
        "failed": "completed",  # failed means the SCO was finished, with a failing score
        "incomplete": "incomplete",
        "browsed": "incomplete",
        "not attempted": "not attempted",
    }[lesson]
    success = lesson if lesson in ("passed", "failed") else "unknown"
    return lesson, completion, success


def status_of(version: str, cmi: Mapping[str, Any]) -> Status:
    """Evaluate the status of a committed tree without ending the session (for commits)."""
    _require_version(version)
    tree = _unwrap(cmi)
    return _status(version, tree, finishing=False)


def _status(version: str, tree: Mapping[str, Any], *, finishing: bool) -> Status:
    score = _score(tree, version)
    if version == SCORM12:
        lesson, completion, success = _status_12(tree, finishing=finishing)
        raw, high = score["raw"], score["max"]
        low = score["min"] if score["min"] is not None else 0.0
        scaled = None
        if raw is not None:
            top = high if high is not None else 100.0
            if top > low and low <= raw <= top:
                scaled = (raw - low) / (top - low)
        return Status(
            completion=completion,
            success=success,
            score_scaled=scaled,
            score_raw=raw,
            score_min=score["min"],
            score_max=score["max"],
            lesson_status=lesson,
        )
    return Status(
        completion=_completion_2004(tree),
        success=_success_2004(tree),
        score_scaled=score["scaled"],
        score_raw=score["raw"],
        score_min=score["min"],
        score_max=score["max"],
        progress_measure=_number(tree.get("progress_measure")),
    )


def finish_session(
    version: str, cmi: Mapping[str, Any], *, wallclock_seconds: float
) -> SessionOutcome:
    """End one session (Terminate / LMSFinish / unload): time, exit/entry and status.

    - Time (2004 RTE §4.2.21, 1.2 ``cmi.core.session_time``): the last ``session_time``
      the SCO set is added to ``total_time``; when it never set one (or set a malformed
      one), the server's ``wallclock_seconds`` since launch is used instead. Call once
      per session, never per commit.
    - Exit (2004 RTE §4.2.8, 1.2 ``cmi.core.exit``): "suspend" → the attempt continues,
      next entry "resume". Anything else ends the attempt → next entry "ab-initio" and a
      new ``total_time``. ("logout", deprecated in 2004 4th edition, ends it too.)
    - Status: :func:`status_of` rules with ``finishing=True`` (1.2 LMSFinish without a
      status → "incomplete"; see ``_lesson_status_12``).

    ``cmi.total_time`` must be the LMS's stored total, not the one in scorm-again's
    terminate commit (which already includes the session): pass the committed tree
    through :func:`restore_readonly` first. The SCO's reported time wins even when it
    disagrees with the clock (RTE §4.2.21); ``wallclock_seconds`` is kept in the outcome
    for audit.
    """
    _require_version(version)
    if wallclock_seconds < 0 or math.isnan(wallclock_seconds):
        raise ValueError("wallclock_seconds must be a non-negative number")
    tree = copy.deepcopy(_unwrap(cmi))
    core = tree.setdefault("core", {}) if version == SCORM12 else tree
    if not isinstance(core, dict):
        core = tree["core"] = {}
    reported = core.get("session_time")
    try:
        session = _time_seconds(version, str(reported)) if not _is_blank(reported) else None
    except ValueError:
        session = None
    session_reported = session is not None
    if session is None:
        session = float(wallclock_seconds)
    try:
        before = (
            _time_seconds(version, str(core.get("total_time") or ""))
            if core.get("total_time")
            else 0.0
        )
    except ValueError:
        before = 0.0
    total = before + session
    exit_value = core.get("exit") or ""
    suspended = exit_value == "suspend"
    status = _status(version, tree, finishing=True)
    next_entry = "resume" if suspended else "ab-initio"
    core["total_time"] = _format_time(version, total)
    core["session_time"] = ""
    core["exit"] = ""
    core["entry"] = next_entry
    if version == SCORM12:
        core["lesson_status"] = status.lesson_status
    else:
        tree["completion_status"] = status.completion
        tree["success_status"] = status.success
    return SessionOutcome(
        total_seconds=total,
        session_seconds=session,
        wallclock_seconds=float(wallclock_seconds),
        session_time_reported=session_reported,
        completion=status.completion,
        success=status.success,
        score_scaled=status.score_scaled,
        score_raw=status.score_raw,
        score_min=status.score_min,
        score_max=status.score_max,
        attempt_ended=not suspended,
        next_entry=next_entry,
        suspended=suspended,
        exit=exit_value,
        lesson_status=status.lesson_status,
        cmi=tree,
    )


def iter_interactions(version: str, cmi: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, interaction) pairs of a tree, skipping holes and non-objects."""
    _require_version(version)
    items = _unwrap(cmi).get("interactions") or []
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


# -- shared data (adl.data) -------------------------------------------------------------

#: ``adl.data.n.store`` is a characterstring with an SPM of 64000 (SCORM 2004 4th Ed. RTE,
#: the shared data model ``adl.data``); as for ``suspend_data`` (same SPM), longer values
#: are accepted up to the hard cap (SCORM_CHECKS §3.2).
SHARED_DATA_SPM = 64000


@dataclass(frozen=True)
class SharedDataMap:
    """One ``adlcp:map`` of an item: ``adl.data.n`` of the SCO, in manifest order."""

    target_id: str
    read: bool = True
    write: bool = False


def shared_data_maps(item: Mapping[str, Any]) -> list[SharedDataMap]:
    """The ``adlcp:data/adlcp:map`` entries of a manifest item (``packages.manifest``).

    Defaults from ADL's adlcp_v1p3.xsd (4th Ed. CAM §3.4.1.x, ``<adlcp:map>``):
    ``readSharedData`` true, ``writeSharedData`` false. A map without a targetID is
    skipped; a repeated targetID keeps its first map (one bucket is one adl.data.n).
    """
    maps: list[SharedDataMap] = []
    seen: set[str] = set()
    for raw in item.get("shared_data") or []:
        if not isinstance(raw, Mapping):
            continue
        target = _text(raw.get("targetID")).strip()
        if not target or target in seen:
            continue
        seen.add(target)
        maps.append(
            SharedDataMap(
                target,
                read=raw.get("readSharedData", True) is not False,
                write=raw.get("writeSharedData", False) is True,
            )
        )
    return maps


def initial_adl_data(
    maps: Iterable[SharedDataMap], buckets: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The ``adl.data`` entries handed to a SCO at launch, one per map, in map order.

    ``{"id", "read", "write"}`` plus ``"store"`` only when the bucket was written and the
    map may read it: an unwritten store answers 403 (not initialized) and an unreadable
    one 405 (write-only) to GetValue, so its value never leaves the server.
    """
    entries: list[dict[str, Any]] = []
    for m in maps:
        entry: dict[str, Any] = {"id": m.target_id, "read": m.read, "write": m.write}
        if m.read and m.target_id in buckets:
            entry["store"] = buckets[m.target_id]
        entries.append(entry)
    return entries


def check_adl_data(
    sent: list[dict[str, Any]],
    committed: Any,
    *,
    text_cap: int = DEFAULT_TEXT_CAP,
) -> tuple[list[CmiProblem], dict[str, str]]:
    """Validate the ``adl`` part of a commit; return its problems and the stores to write.

    ``sent`` is what :func:`initial_adl_data` handed the session; ``committed`` is the
    commit's ``adl`` object, ``{"data": {"0": {"id", "store"}, ...}}`` as scorm-again
    renders it (a list works too). ``adl.data.n.id`` is read-only (404); a store is
    written only when it differs from what was sent, and only through a map with
    ``writeSharedData`` (else 404, read-only). Entries past the SCO's maps: 351. A store
    the SCO never set is rendered as "" and is not a write, so an empty string set on an
    unwritten bucket is not stored (the bucket stays "not initialized").
    """
    if committed is None:
        return [], {}
    if not isinstance(committed, Mapping):
        return [CmiProblem("adl", 406, "must be an object")], {}
    data = _listify(committed.get("data"))
    if data is None or data == {}:
        return [], {}
    if not isinstance(data, list):
        return [CmiProblem("adl.data", 406, "must be an array")], {}
    c = _Checker(SCORM2004, text_cap, DEFAULT_ARRAY_CAP)
    writes: dict[str, str] = {}
    for index, entry in enumerate(data):
        path = f"adl.data.{index}"
        if entry is None:
            continue
        if not isinstance(entry, Mapping):
            c.add(path, 406, "must be an object")
            continue
        if index >= len(sent):
            c.add(path, 351, f"the SCO has {len(sent)} adl.data entries")
            continue
        known = sent[index]
        if "id" in entry and not _same(entry.get("id"), known["id"]):
            # Not this entry's bucket: its store is not written (the rest of the commit is).
            c.add(f"{path}.id", 404, f"read-only: sent {known['id']!r}, got {entry.get('id')!r}")
            continue
        store = c.string(f"{path}.store", entry.get("store"), SHARED_DATA_SPM)
        if store is None:
            continue
        before = known.get("store")
        if store == (before if before is not None else ""):
            continue
        if not known.get("write"):
            c.add(f"{path}.store", 404, "read-only: the map has writeSharedData false")
            continue
        writes[str(known["id"])] = store
    return c.problems, writes
