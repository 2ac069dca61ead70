"""multipart/mixed bodies for statements with attachments (xAPI 1.0.3 Communication §1.5.2).

Parsing is strict on what the spec requires of each part (first part JSON, later parts
with ``X-Experience-API-Hash`` and ``Content-Transfer-Encoding: binary``) and tolerant of
what it does not (line endings inside the part headers, optional preamble/epilogue).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.errors import BadRequest


@dataclass
class Part:
    """One body part: lower-cased headers and raw bytes."""

    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def _error(message: str) -> BadRequest:
    return BadRequest(message, errors=[{"path": "body", "message": message}])


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a multipart Content-Type header."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if value:
                return value
    raise _error("multipart/mixed needs a boundary parameter in Content-Type")


def parse(body: bytes, content_type: str) -> list[Part]:
    """Split a multipart/mixed body into parts (RFC 2046 §5.1.1)."""
    boundary = boundary_of(content_type).encode("latin-1")
    delimiter = b"--" + boundary
    if delimiter not in body:
        raise _error("The body does not contain the multipart boundary")
    chunks = body.split(delimiter)
    parts: list[Part] = []
    closed = False
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            closed = True
            break
        # Drop the line break after the delimiter and the one before the next delimiter.
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        elif chunk.startswith(b"\n"):
            chunk = chunk[1:]
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        elif chunk.endswith(b"\n"):
            chunk = chunk[:-1]
        head, sep, payload = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = chunk.partition(b"\n\n")
        if not sep:
            if chunk.startswith((b"\r\n", b"\n")):
                head, payload = b"", chunk.lstrip(b"\r\n")
            else:
                raise _error("A multipart part has no header/body separator")
        headers: dict[str, str] = {}
        for line in head.replace(b"\r\n", b"\n").split(b"\n"):
            if not line.strip():
                continue
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                raise _error(f"Malformed part header line {line[:60]!r}")
            headers[name.strip().lower()] = value.strip()
        parts.append(Part(headers, payload))
    if not closed:
        raise _error("The multipart body is not closed with the final boundary")
    if not parts:
        raise _error("The multipart body has no parts")
    return parts


def build(parts: Iterable[tuple[dict[str, str], bytes]]) -> tuple[bytes, str]:
    """Build a multipart/mixed body; returns it and its Content-Type header value.

    The boundary is sent unquoted: quotes are legal (RFC 2045 §5.1), but TinCanJS 0.50
    takes everything after "boundary=" as the boundary (src/LRS.js,
    ``_processGetStatementResult``) and cannot read the answer then.  So the boundary is
    made of characters that are both RFC 2046 §5.1.1 ``bchars`` and an RFC 2045 ``token``
    (letters, digits and "-"), which needs no quotes.
    """
    boundary = "kompetens-" + secrets.token_hex(16)
    out = bytearray()
    for headers, payload in parts:
        out += b"--" + boundary.encode() + b"\r\n"
        for name, value in headers.items():
            out += f"{name}: {value}\r\n".encode()
        out += b"\r\n" + payload + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return bytes(out), f"multipart/mixed; boundary={boundary}"
