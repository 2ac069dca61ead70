"""Fast JSON for stored statements and responses: orjson, and ``json`` where they differ.

Encoding and decoding statement bodies was a tenth of the CPU a batch POST costs (the
JSON columns, the COPY rows, the GET pages); orjson does it several times faster.  It
differs from ``json`` on integers beyond 64 bits: it refuses to write them and reads them
back as floats.  JSON allows them (RFC 8259 §6) and a statement's extensions may hold
one, so such (rare) values go through ``json`` both ways and come back as they were sent.
Lone surrogates, which orjson refuses too, are refused in request bodies
(``core.schemas.parse_json``); older rows that ``json`` wrote are read by ``json``.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

# A run of 20 digits may be an integer orjson would read as a float (beyond 2**64).  Found
# by mapping every digit to "0" (bytes.translate, a C table lookup): a regular
# expression searching for it cost more than orjson's parse of the whole statement.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_TWENTY_DIGITS = b"0" * 20


# -- Nesting depth (RFC 8259 §9: "An implementation may set limits on the maximum depth
# of nesting") -----------------------------------------------------------------------

# Arrays and objects nested at most this deep, the root being level 1: the default of
# serde_json.  Every parser and recursive walker of the service handles far more (json's
# C scanner and encoder and our walkers stop near Python's recursion limit, 1000 frames
# shared with the request's own stack; orjson stops at 1024 to read, 255 to write), so
# JSON taken under this limit can be walked, stored and answered, on both databases.
MAX_DEPTH = 128

# A JSON string, escapes included: brackets inside one do not nest.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NOT_MARKS = bytes(b for b in range(256) if b not in b'"[]{}')
# Objects nest as arrays do: count both as arrays.
_FOLD = bytes.maketrans(b"{}", b"[]")
_STEP = {ord("["): 1, ord("]"): -1}
_TOO_MANY_OPEN = b"[" * (MAX_DEPTH + 1)


class JSONTooDeep(ValueError):
    """JSON text nests arrays and objects deeper than MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__(f"is nested more than {MAX_DEPTH} levels deep (arrays and objects)")


def _brackets_outside_strings(raw: bytes) -> bytes:
    """The brackets of ``raw`` that are not inside a string, objects folded into arrays."""
    if b"\\" in raw:  # an escape, maybe of a quote: only a real scan finds string ends
        return _STRING.sub(b"", raw).translate(_FOLD, _NOT_BRACKETS)
    # Quotes and brackets only.  Two quotes side by side (an empty string, or the end of
    # one string and the start of the next with no bracket between) classify no bracket:
    # dropping them keeps every bracket inside or outside; what is left splits quickly.
    marks = raw.translate(None, _NOT_MARKS).replace(b'""', b"")
    return b"".join(marks.split(b'"')[::2]).translate(_FOLD)


def check_depth(text: str | bytes | bytearray) -> None:
    """Raise JSONTooDeep when ``text`` nests arrays and objects deeper than MAX_DEPTH.

    Run before parsing, so that no parser or walker ever sees deeper JSON, and in C
    (``bytes`` methods): for a batch of statements it costs a fraction of the parse.
    Each round drops the innermost pairs of brackets, so the rounds count the nesting;
    a run of more than MAX_DEPTH opening brackets ends it at once.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return
    brackets = rest = _brackets_outside_strings(raw)
    for rounds in range(MAX_DEPTH + 1):  # noqa: B007  (read after the loop)
        if _TOO_MANY_OPEN in rest:
            raise JSONTooDeep
        inner = rest.replace(b"[]", b"")
        if len(inner) == len(rest):
            break
        rest = inner
    else:
        raise JSONTooDeep  # a pair of brackets left after MAX_DEPTH + 1 rounds
    # Unbalanced brackets (not JSON, which the parser will say) may still nest deeper:
    # what is left, "]]..[[", adds at most its "[" to the rounds.  Count exactly then.
    if rounds + rest.count(b"[") > MAX_DEPTH and (
        max(accumulate(map(_STEP.__getitem__, brackets))) > MAX_DEPTH
    ):
        raise JSONTooDeep


def dumps_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON of ``value``."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # a long integer, a lone surrogate, a type orjson lacks
        # (ASCII output: a lone surrogate stays an escape, as json always wrote it.)
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def dumps(value: Any) -> str:
    """Compact JSON text of ``value``."""
    return dumps_bytes(value).decode("utf-8")


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """Read JSON text as ``json.loads`` would, integers of any size kept exact.

    Raises:
        ValueError: for text that is not JSON, or nested too deeply for the parser (the
            RecursionError of ``json``), so that ``request.get_json`` answers 400.

    """
    if isinstance(text, memoryview):
        text = bytes(text)
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    try:
        if _TWENTY_DIGITS in raw.translate(_DIGITS_TO_ZERO):
            return json.loads(text)
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:  # a lone surrogate escape, or rows json wrote earlier
            return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to be read") from None


class FastJSONProvider(DefaultJSONProvider):
    """Flask's JSON (``jsonify``, ``request.get_json``) through orjson.

    Keys keep their order and non-ASCII stays as is, as the LRS answers statements.
    Anything orjson cannot write the same way (dates, which Flask writes as HTTP dates,
    and the cases above) goes to Flask's own provider.
    """

    sort_keys = False
    ensure_ascii = False
    _OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """``json.dumps`` with Flask's defaults, through orjson when it writes the same."""
        # (``response()`` asks for compact separators, which is all orjson writes.)
        if not kwargs or kwargs == {"separators": (",", ":")}:
            try:
                return orjson.dumps(obj, default=self.default, option=self._OPTIONS).decode()
            except orjson.JSONEncodeError:
                pass
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """``json.loads``, through orjson when no options are given."""
        return super().loads(s, **kwargs) if kwargs else loads(s)
