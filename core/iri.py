"""IRIs as RFC 3987 §2.2 defines them, as one regular expression built from its ABNF.

Used by the LRS (every IRI of a statement) and by package import (cmi5 and xAPI
activity ids, which become statements' IRIs). Pure: no Flask.

https://www.rfc-editor.org/rfc/rfc3987#section-2.2 (which takes ``scheme``, ``port``,
``IP-literal``, ``IPv4address``, ``pct-encoded``, ``unreserved`` and ``sub-delims`` from
RFC 3986 §3 and Appendix A).  xAPI values are IRIs, never relative references, so the
rule is ``IRI``: ``scheme ":" ihier-part [ "?" iquery ] [ "#" ifragment ]``.

Each piece below is one ABNF rule, under its name.  No text can be matched by a
repetition in two ways, so a match, or a failed one, takes time linear in the length.
"""

from __future__ import annotations

import re

# RFC 3986 §2: the ASCII classes, as regular-expression character-class contents.
_ALPHA = "A-Za-z"
_DIGIT = "0-9"
_HEXDIG = "0-9A-Fa-f"
_UNRESERVED = _ALPHA + _DIGIT + r"\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT_ENCODED = f"%[{_HEXDIG}]{{2}}"

# RFC 3987 §2.2: the non-ASCII characters an IRI may hold.
_UCSCHAR = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
    "\U00010000-\U0001fffd\U00020000-\U0002fffd\U00030000-\U0003fffd"
    "\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    "\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd"
    "\U000a0000-\U000afffd\U000b0000-\U000bfffd\U000c0000-\U000cfffd"
    "\U000d0000-\U000dfffd\U000e1000-\U000efffd"
)
_IPRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_IUNRESERVED = _UNRESERVED + _UCSCHAR


def _run(chars: str, at_least_one: bool = False) -> str:
    """``*( <chars> / pct-encoded )`` (``1*`` if ``at_least_one``), written unrolled.

    ``[c]*(?:%HH[c]*)*`` rather than ``(?:[c]|%HH)*``: a run of plain characters is one
    tight loop.  Possessive (``*+``, Python 3.11), as what follows a run in an IRI (":",
    "/", "?", "#", "@", "]" or the end) is never a character of it: giving characters
    back could never help, and a failed match stays linear.
    """
    unrolled = f"[{chars}]*+(?:{_PCT_ENCODED}[{chars}]*+)*+"
    return f"(?=[{chars}%]){unrolled}" if at_least_one else unrolled


_ISEGMENT = _run(_IUNRESERVED + _SUB_DELIMS + ":@")  # *ipchar
_ISEGMENT_NZ = _run(_IUNRESERVED + _SUB_DELIMS + ":@", at_least_one=True)  # 1*ipchar
_IQUERY = _run(_IUNRESERVED + _SUB_DELIMS + ":@/?" + _IPRIVATE)
_IFRAGMENT = _run(_IUNRESERVED + _SUB_DELIMS + ":@/?")

# RFC 3986 §3.2.2: hosts.
_DEC_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
_IPV4ADDRESS = rf"{_DEC_OCTET}(?:\.{_DEC_OCTET}){{3}}"
_H16 = f"[{_HEXDIG}]{{1,4}}"
_LS32 = f"(?:{_H16}:{_H16}|{_IPV4ADDRESS})"


def _ipv6address() -> str:
    """RFC 3986 §3.2.2 ``IPv6address``: its nine forms, n groups before "::" at most."""

    def groups(count: int) -> str:  # count( h16 ":" )
        return f"(?:{_H16}:){{{count}}}" if count else ""

    forms = [f"{groups(6)}{_LS32}", f"::{groups(5)}{_LS32}"]
    tails = [f"{groups(4)}{_LS32}", f"{groups(3)}{_LS32}", f"{groups(2)}{_LS32}"]
    tails += [f"{_H16}:{_LS32}", _LS32, _H16, ""]
    for before, tail in enumerate(tails):
        # [ *before( h16 ":" ) h16 ] "::" tail
        head = f"(?:(?:{_H16}:){{0,{before}}}{_H16})?"
        forms.append(f"{head}::{tail}")
    return "(?:" + "|".join(forms) + ")"


_IPVFUTURE = rf"v[{_HEXDIG}]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+"
_IP_LITERAL = rf"\[(?:{_ipv6address()}|{_IPVFUTURE})\]"
_IREG_NAME = _run(_IUNRESERVED + _SUB_DELIMS)
_IHOST = f"(?:{_IP_LITERAL}|{_IPV4ADDRESS}|{_IREG_NAME})"
_IUSERINFO = _run(_IUNRESERVED + _SUB_DELIMS + ":")
_PORT = f"[{_DIGIT}]*"
_IAUTHORITY = f"(?:{_IUSERINFO}@)?{_IHOST}(?::{_PORT})?"

# RFC 3987 §2.2: paths and the IRI.
# (Possessive too: "?", "#" or the end follows a path, never "/".)
_IPATH_ABEMPTY = f"(?:/{_ISEGMENT})*+"
_IPATH_ABSOLUTE = f"/(?:{_ISEGMENT_NZ}(?:/{_ISEGMENT})*+)?"
_IPATH_ROOTLESS = f"{_ISEGMENT_NZ}(?:/{_ISEGMENT})*+"
_IHIER_PART = f"(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_ROOTLESS}|)"
_SCHEME = rf"[{_ALPHA}][{_ALPHA}{_DIGIT}+\-.]*"

IRI = re.compile(rf"{_SCHEME}:{_IHIER_PART}(?:\?{_IQUERY})?(?:#{_IFRAGMENT})?")


def is_iri(value: str) -> bool:
    """Tell whether ``value`` is an IRI (RFC 3987 §2.2 ``IRI``: absolute, with a scheme)."""
    return IRI.fullmatch(value) is not None
