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
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

# A run of 20 digits may be an integer orjson would read as a float (beyond 2**64).  Found
# by mapping every digit to "0" (bytes.translate, a C table lookup): a regular
# expression searching for it cost more than orjson's parse of the whole statement.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_TWENTY_DIGITS = b"0" * 20


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
    """Read JSON text as ``json.loads`` would, integers of any size kept exact."""
    if isinstance(text, memoryview):
        text = bytes(text)
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if _TWENTY_DIGITS in raw.translate(_DIGITS_TO_ZERO):
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # a lone surrogate escape, or rows json wrote earlier
        return json.loads(text)


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
