r"""The value rules of the SCORM data models, one table per version and edition.

ONE source for the server and the browser: player.cmi.validation checks every committed value with
:meth:`RuleSet.check`, and the runtime frame gets :meth:`RuleSet.for_browser` (a JSON
table) so that runtime.js refuses the same values at SetValue, with the same SCORM error,
before scorm-again stores them (player/static/rules.js). A value the browser lets
through is therefore one the server accepts.

Each rule is a regular expression matched against the whole value, written in the part
of the syntax Python's ``re`` and ECMAScript read alike (no flags, no ``\\d``/``\\s``/``\\w``
shorthand, whose meaning differs between the two; explicit classes instead), a length
limit and, for numbers, a range. An empty value passes every leaf rule: which elements
must not be empty (an array entry's ``id``) is a rule of the structure (player.cmi).

References: SCORM 2004 RTE §4.1 (data types), §4.2 (elements; 4th ed. v1.1 2009, 3rd ed.
2006, 2nd ed. RTE 1.3.1 2004); SCORM 1.2 RTE §3.4.2 (CMI data types and elements).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from player.cmi.values import (
    COMPLETION,
    DEFAULT_TEXT_CAP,
    LESSON_STATUS,
    SCORM12,
    SCORM2004,
    SUCCESS,
    TIME_LIMIT_ACTIONS,
)

EDITIONS_2004 = ("2nd", "3rd", "4th")

# Unicode white space (Python's str.isspace() and ECMAScript's \s, united) and the C0/C1
# control characters, spelt out so both engines read the same class.
_BLANK = (
    "\\x00-\\x20\\x7f-\\x9f\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
_C0 = "\\x00-\\x1f\\x7f"
_LANG = "[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*"
_URN = "[Uu][Rr][Nn]:"
_DECIMAL = "-?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)"

#: The data types. ``long_identifier`` differs per edition (see _identifier_types).
TYPES: dict[str, str] = {
    "characterstring": "[\\s\\S]*",
    # localized_string_type: an optional {lang=<tag>} delimiter, then any text (§4.1.x).
    "localized": f"(?!\\{{lang=)[\\s\\S]*|\\{{lang={_LANG}\\}}[\\s\\S]*",
    "language": _LANG,
    "decimal": _DECIMAL,
    "integer": "-?[0-9]+",
    # 2004 time (second,10,0): YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]], 1970..2038.
    "time": (
        "(?:19[7-9][0-9]|20[0-2][0-9]|203[0-8])"
        "(?:-(?:0[1-9]|1[0-2])"
        "(?:-(?:0[1-9]|[12][0-9]|3[01])"
        "(?:T(?:[01][0-9]|2[0-3])"
        "(?::[0-5][0-9]"
        "(?::[0-5][0-9](?:\\.[0-9]{1,7})?"
        "(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?)?)?)?)?)?"
    ),
    # 2004 timeinterval (second,10,2): ISO 8601 P[nY][nM][nD][T[nH][nM][n[.n]S]], no weeks.
    "timeinterval": (
        "P(?=[0-9T])(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?"
        "(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\\.[0-9]+)?S)?)?"
    ),
    # 1.2 CMITimespan HHHH:MM:SS.SS and CMITime HH:MM:SS.SS (RTE §3.4.2).
    "timespan12": "[0-9]{2,4}:[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,2})?",
    "time12": "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,2})?",
    # 1.2 CMIIdentifier. The book says "no white space"; scorm-again's 1.2 API accepts any
    # string of up to 255 characters and content relies on it, so only an empty, blank or
    # control-character value is refused.
    "identifier12": f"(?=[\\s\\S]*[^{_BLANK}])[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]+",
}

_STRICT_IDENTIFIER = f"(?!{_URN})[^{_BLANK}]+|{_URN}[A-Za-z0-9][A-Za-z0-9-]{{0,31}}:[^{_BLANK}]+"
# 2nd and 3rd edition: "a long_identifier_type value shall not be an empty
# characterstring and cannot contain all white space characters" (3rd ed. RTE §4.1.x).
# What Storyline 360 ("SL360 LMS SCORM 2004" as an objective id), Captivate ("chapter
# 1_Test") and others write, with inner spaces, is accepted, as scorm-again accepts it in
# every edition (its CMILongIdentifier ends in a ".{1,4000}" branch). Control characters
# are still refused.
_LENIENT_IDENTIFIER = f"(?=[\\s\\S]*[^{_BLANK}])[^{_C0}]+"


def _identifier_types(edition: str) -> dict[str, str]:
    """long_identifier_type per edition.

    4th edition states the value space as "a characterstring (SPM: 4000) that represents a
    valid URI as per RFC 3986" (RTE §4.2.9.1, cmi.interactions.n.id; quoted in
    adlnet/xAPI-Spec#195): no white space, and a ``urn:`` needs ``urn:<NID>:<NSS>``
    (RFC 2141). short_identifier_type (the items of a learner_response) keeps that rule in
    every edition, as scorm-again's CMIShortIdentifier does.
    """
    lenient = edition in ("2nd", "3rd")
    return {
        "long_identifier": _LENIENT_IDENTIFIER if lenient else _STRICT_IDENTIFIER,
        "short_identifier": _STRICT_IDENTIFIER,
    }


_TYPE_NAMES = {
    "characterstring": "a characterstring",
    "localized": "a localized_string_type (malformed {lang=} delimiter)",
    "language": "a language tag",
    "decimal": "a decimal number",
    "integer": "an integer",
    "time": "an ISO 8601 time (1970-2038)",
    "timeinterval": "an ISO 8601 duration (timeinterval)",
    "timespan12": "a CMITimespan (HHHH:MM:SS.SS)",
    "time12": "a CMITime (HH:MM:SS(.SS))",
    "identifier12": "a CMIIdentifier",
    "long_identifier": "a long_identifier_type",
    "short_identifier": "a short_identifier_type",
}


@dataclass(frozen=True)
class Rule:
    """How one data model element's value is checked.

    ``type``: a key of the rule set's types, or "vocabulary" (``words``) or "result"
    (``words`` or a decimal). ``spm``: the smallest permitted maximum (characters).
    ``low``/``high``: the range of a number. ``write``: the SCO may set it (the others
    are read-only; scorm-again answers SetValue on them with 404/403 itself).
    """

    type: str
    spm: int = 255
    low: float | None = None
    high: float | None = None
    words: tuple[str, ...] = ()
    write: bool = True


def _vocab(*words: str, write: bool = True) -> Rule:
    return Rule("vocabulary", 255, words=words, write=write)


def _ro(rule: Rule) -> Rule:
    return Rule(rule.type, rule.spm, rule.low, rule.high, rule.words, write=False)


TYPES_12 = (
    "true-false",
    "choice",
    "fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
)
TYPES_2004 = (*TYPES_12, "long-fill-in", "other")
RESULT_12 = ("correct", "wrong", "unanticipated", "neutral")
RESULT_2004 = ("correct", "incorrect", "unanticipated", "neutral")


def _score(prefix: str, version: str) -> dict[str, Rule]:
    if version == SCORM12:
        # CMIDecimal 0..100 or blank (1.2 RTE §3.4.2, cmi.core.score.*).
        return {f"{prefix}.{k}": Rule("decimal", low=0, high=100) for k in ("raw", "min", "max")}
    rules = {f"{prefix}.{k}": Rule("decimal") for k in ("raw", "min", "max")}
    rules[f"{prefix}.scaled"] = Rule("decimal", low=-1, high=1)  # RTE §4.2.20.1
    return rules


def _elements_12() -> dict[str, Rule]:
    """SCORM 1.2 RTE §3.4.2 (element, type, SPM)."""
    text255, text4096 = Rule("characterstring", 255), Rule("characterstring", 4096)
    return {
        "cmi.core.student_id": _ro(text255),
        "cmi.core.student_name": _ro(text255),
        "cmi.core.lesson_location": text255,
        "cmi.core.credit": _vocab("credit", "no-credit", write=False),
        "cmi.core.lesson_status": _vocab(*LESSON_STATUS),
        "cmi.core.entry": _vocab("ab-initio", "resume", "", write=False),
        **_score("cmi.core.score", SCORM12),
        "cmi.core.total_time": _ro(Rule("timespan12")),
        "cmi.core.lesson_mode": _vocab("browse", "normal", "review", write=False),
        "cmi.core.exit": _vocab("time-out", "suspend", "logout", ""),
        "cmi.core.session_time": Rule("timespan12"),
        "cmi.suspend_data": text4096,
        "cmi.launch_data": _ro(text4096),
        "cmi.comments": text4096,
        "cmi.comments_from_lms": _ro(text4096),
        "cmi.student_data.mastery_score": _ro(Rule("decimal", low=0, high=100)),
        "cmi.student_data.max_time_allowed": _ro(Rule("timespan12")),
        "cmi.student_data.time_limit_action": _vocab(*TIME_LIMIT_ACTIONS, write=False),
        "cmi.student_preference.audio": Rule("integer", low=-1, high=100),
        "cmi.student_preference.language": text255,
        "cmi.student_preference.speed": Rule("integer", low=-100, high=100),
        "cmi.student_preference.text": Rule("integer", low=-1, high=1),
        "cmi.objectives.n.id": Rule("identifier12"),
        **_score("cmi.objectives.n.score", SCORM12),
        "cmi.objectives.n.status": _vocab(*LESSON_STATUS),
        "cmi.interactions.n.id": Rule("identifier12"),
        "cmi.interactions.n.objectives.n.id": Rule("identifier12"),
        "cmi.interactions.n.time": Rule("time12"),
        "cmi.interactions.n.type": _vocab(*TYPES_12),
        "cmi.interactions.n.correct_responses.n.pattern": text255,
        "cmi.interactions.n.weighting": Rule("decimal"),
        "cmi.interactions.n.student_response": text255,
        "cmi.interactions.n.result": Rule("result", words=RESULT_12),
        "cmi.interactions.n.latency": Rule("timespan12"),
    }


def _elements_2004(edition: str) -> dict[str, Rule]:
    """SCORM 2004 RTE §4.2 (element, type, SPM) of one edition."""
    rules: dict[str, Rule] = {}
    for name, write in (("comments_from_learner", True), ("comments_from_lms", False)):
        prefix = f"cmi.{name}.n"
        rules[f"{prefix}.comment"] = Rule("localized", 4000, write=write)
        rules[f"{prefix}.location"] = Rule("characterstring", 250, write=write)
        rules[f"{prefix}.timestamp"] = Rule("time", write=write)
    rules.update(
        {
            "cmi.completion_status": _vocab(*COMPLETION),
            "cmi.completion_threshold": _ro(Rule("decimal", low=0, high=1)),
            "cmi.credit": _vocab("credit", "no-credit", write=False),
            "cmi.entry": _vocab("ab-initio", "resume", "", write=False),
            # "logout" is deprecated in 4th edition but still legal (RTE §4.2.8).
            "cmi.exit": _vocab("time-out", "suspend", "logout", "normal", ""),
            "cmi.launch_data": _ro(Rule("characterstring", 4000)),
            "cmi.learner_id": _ro(Rule("characterstring", 4000)),
            "cmi.learner_name": _ro(Rule("localized", 250)),
            "cmi.learner_preference.audio_level": Rule("decimal", low=0),
            "cmi.learner_preference.language": Rule("language", 250),
            "cmi.learner_preference.delivery_speed": Rule("decimal", low=0),
            "cmi.learner_preference.audio_captioning": _vocab("-1", "0", "1"),
            "cmi.location": Rule("characterstring", 1000),
            "cmi.max_time_allowed": _ro(Rule("timeinterval")),
            "cmi.mode": _vocab("browse", "normal", "review", write=False),
            "cmi.progress_measure": Rule("decimal", low=0, high=1),
            "cmi.scaled_passing_score": _ro(Rule("decimal", low=-1, high=1)),
            **_score("cmi.score", SCORM2004),
            "cmi.session_time": Rule("timeinterval"),
            "cmi.success_status": _vocab(*SUCCESS),
            # SPM 4000 in 2nd and 3rd edition, 64000 in 4th (stored up to the text cap
            # in every edition: Storyline's suspend_data often passes 4000).
            "cmi.suspend_data": Rule("characterstring", 64000 if edition == "4th" else 4000),
            "cmi.time_limit_action": _vocab(*TIME_LIMIT_ACTIONS, write=False),
            "cmi.total_time": _ro(Rule("timeinterval")),
            "cmi.objectives.n.id": Rule("long_identifier", 4000),
            **_score("cmi.objectives.n.score", SCORM2004),
            "cmi.objectives.n.success_status": _vocab(*SUCCESS),
            "cmi.objectives.n.completion_status": _vocab(*COMPLETION),
            "cmi.objectives.n.progress_measure": Rule("decimal", low=0, high=1),
            "cmi.objectives.n.description": Rule("localized", 250),
            "cmi.interactions.n.id": Rule("long_identifier", 4000),
            "cmi.interactions.n.type": _vocab(*TYPES_2004),
            "cmi.interactions.n.objectives.n.id": Rule("long_identifier", 4000),
            "cmi.interactions.n.timestamp": Rule("time"),
            # The format of a pattern or response depends on the type (player.cmi).
            "cmi.interactions.n.correct_responses.n.pattern": Rule("characterstring", 4000),
            "cmi.interactions.n.weighting": Rule("decimal"),
            "cmi.interactions.n.learner_response": Rule("characterstring", 4000),
            "cmi.interactions.n.result": Rule("result", words=RESULT_2004),
            "cmi.interactions.n.latency": Rule("timeinterval"),
            "cmi.interactions.n.description": Rule("localized", 250),
        }
    )
    return rules


_INDEX = re.compile(r"\.[0-9]+(?=\.|$)")


def pattern_of(path: str) -> str:
    """``cmi.interactions.3.objectives.0.id`` → ``cmi.interactions.n.objectives.n.id``."""
    return _INDEX.sub(".n", path)


def _text(value: Any) -> str | None:
    """A leaf value as the API sees it (a string), or None when it cannot be one."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _regex(rule: Rule, types: Mapping[str, str]) -> str:
    if rule.type in ("vocabulary", "result"):
        return _words_regex(rule.type, rule.words)
    return types[rule.type]


@functools.lru_cache(maxsize=256)
def _words_regex(kind: str, words: tuple[str, ...]) -> str:
    """The pattern of a vocabulary (or result) rule, built once: every commit checks them."""
    if kind == "vocabulary":
        return "|".join(re.escape(w) for w in words) or "(?!)"
    return "|".join((*(re.escape(w) for w in words), _DECIMAL))


@dataclass(frozen=True, eq=False)
class RuleSet:
    """The rules of one SCORM version and edition."""

    version: str
    edition: str
    types: Mapping[str, str]
    elements: Mapping[str, Rule]

    @property
    def type_code(self) -> int:
        """1.2 reports type and range alike as 405 (ADL 1.2 CTS); 2004 has 406."""
        return 405 if self.version == SCORM12 else 406

    @property
    def range_code(self) -> int:
        """407 (2004 "data model element value out of range"), 405 in 1.2."""
        return 405 if self.version == SCORM12 else 407

    def rule(self, path: str) -> Rule | None:
        """The rule of an element path (indices as numbers or ``n``)."""
        return self.elements.get(pattern_of(path))

    def limit(self, rule: Rule, text_cap: int = DEFAULT_TEXT_CAP) -> int:
        """The longest value stored: the text cap, never below the element's SPM."""
        return max(text_cap, rule.spm)

    def children(self, path: str) -> frozenset[str]:
        """The names defined under a parent element (``cmi.core`` → student_id, ...)."""
        return _children(self, pattern_of(path))

    def check(
        self, path: str, value: Any, *, text_cap: int = DEFAULT_TEXT_CAP
    ) -> tuple[int, str] | None:
        """``(SCORM error code, why)`` when ``value`` breaks the element's rule, else None.

        Elements without a rule pass (player.cmi reports undefined ones).
        """
        rule = self.rule(path)
        if rule is None or value is None or value == "":
            return None
        text = _text(value)
        if text is None:
            return self.type_code, "must be a string"
        limit = self.limit(rule, text_cap)
        if len(text) > limit:
            return self.type_code, f"{len(text)} characters is over the cap of {limit}"
        if not _matches(_regex(rule, self.types), text):
            return self.type_code, _why(rule, text)
        if rule.low is not None or rule.high is not None:
            number = float(text)
            if (rule.low is not None and number < rule.low) or (
                rule.high is not None and number > rule.high
            ):
                return self.range_code, f"{text} is outside {_bound(rule.low)}..{_bound(rule.high)}"
        return None

    def for_browser(self, text_cap: int = DEFAULT_TEXT_CAP) -> dict[str, Any]:
        """The writable elements' rules as JSON for player/static/rules.js."""
        elements = {}
        for pattern, rule in self.elements.items():
            if not rule.write:
                continue
            entry: dict[str, Any] = {
                "re": _regex(rule, self.types),
                "max": self.limit(rule, text_cap),
            }
            if rule.low is not None:
                entry["low"] = rule.low
            if rule.high is not None:
                entry["high"] = rule.high
            elements[pattern] = entry
        return {
            "version": self.version,
            "edition": self.edition,
            "typeCode": self.type_code,
            "rangeCode": self.range_code,
            "elements": elements,
        }


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(f"(?:{pattern})")


def _matches(pattern: str, text: str) -> bool:
    # fullmatch: the whole value (Python's "$" would also match before a final newline).
    return _compiled(pattern).fullmatch(text) is not None


def _why(rule: Rule, text: str) -> str:
    shown = repr(text[:60] + ("…" if len(text) > 60 else ""))
    if rule.type in ("vocabulary", "result"):
        extra = " or a decimal" if rule.type == "result" else ""
        return f"{shown} is not one of {', '.join(repr(w) for w in rule.words)}{extra}"
    return f"{shown} is not {_TYPE_NAMES.get(rule.type, rule.type)}"


def _bound(value: float | None) -> str:
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if math.isfinite(number) and number.is_integer() else str(number)


@functools.lru_cache(maxsize=256)
def _children(rules: RuleSet, prefix: str) -> frozenset[str]:
    names = set()
    start = prefix + "."
    for pattern in rules.elements:
        if pattern.startswith(start):
            names.add(pattern[len(start) :].split(".", 1)[0])
    return frozenset(names)


def edition_of(version: str, edition: str | None) -> str:
    """The edition a rule set is chosen by: "1.2", or 2nd/3rd/4th (4th when unknown)."""
    if version == SCORM12:
        return SCORM12
    edition = (edition or "").strip().lower()
    return edition if edition in EDITIONS_2004 else "4th"


@functools.lru_cache(maxsize=8)
def ruleset(version: str, edition: str | None = None) -> RuleSet:
    """The rules of a SCORM version ("1.2" or "2004") and edition ("2nd", "3rd", "4th")."""
    if version not in (SCORM12, SCORM2004):
        raise ValueError(f"unknown SCORM version {version!r}; use {SCORM12!r} or {SCORM2004!r}")
    name = edition_of(version, edition)
    if version == SCORM12:
        return RuleSet(SCORM12, name, dict(TYPES), _elements_12())
    types = {**TYPES, **_identifier_types(name)}
    return RuleSet(SCORM2004, name, types, _elements_2004(name))
