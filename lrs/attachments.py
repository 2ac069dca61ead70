"""Attachment parts of a multipart statement request, checked against their statements.

xAPI 1.0.3 Communication §1.5.2 ("Requirements for Attachment Statement Batches"):
https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Communication.md#requirements-for-attachment-statement-batches
and Data §2.4.11 (the Attachment object).  An attachment's bytes are stored once under
their ``sha2`` and served to every statement that names that hash (``lrs.queries``), so
bytes are only taken when they really have the hash claimed for them: otherwise a later
statement claiming the same hash would be served someone else's bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import BadRequest
from lrs.multipart import Part
from lrs.schemas.rules import SIGNATURE_USAGE
from lrs.signature import verify_signature


@dataclass
class RawAttachment:
    """One attachment part from a multipart request.

    ``declared_length`` is the part's own Content-Length header, when it has one.
    """

    sha2: str
    content_type: str
    data: bytes
    declared_length: int | None = None


# The SHA-2 function that made a hex digest, told by its length.  "A Learning Record
# Provider SHOULD use SHA-256, SHA-384, or SHA-512" (Communication §1.5.2); SHA-224 is a
# SHA-2 function too.  (SHA-512/224 and SHA-512/256 digests read as SHA-224 and SHA-256.)
_SHA2_BY_HEX_LENGTH: dict[int, Callable[[bytes], Any]] = {
    56: hashlib.sha224,
    64: hashlib.sha256,
    96: hashlib.sha384,
    128: hashlib.sha512,
}


def _error(message: str, path: str, detail: str) -> BadRequest:
    return BadRequest(message, errors=[{"path": path, "message": detail}])


def raw_attachments(parts: Sequence[Part]) -> list[RawAttachment]:
    """The attachment parts (every part after the first) of a multipart/mixed request.

    Each needs ``X-Experience-API-Hash`` and ``Content-Transfer-Encoding: binary``
    (Communication §1.5.2); paths name the part, ``body[1]`` for the first attachment.
    """
    attachments = []
    for index, part in enumerate(parts[1:], start=1):
        path = f"body[{index}]"
        sha2 = part.headers.get("x-experience-api-hash")
        if not sha2:
            raise _error(
                "Every attachment part needs an X-Experience-API-Hash header",
                path,
                "X-Experience-API-Hash missing",
            )
        if part.headers.get("content-transfer-encoding", "").lower() != "binary":
            raise _error(
                "Every attachment part needs Content-Transfer-Encoding: binary",
                path,
                "Content-Transfer-Encoding missing",
            )
        declared = part.headers.get("content-length")
        if declared is not None and not declared.strip().isdigit():
            raise _error(
                "A part's Content-Length must be a number of octets",
                path,
                f"Content-Length {declared[:40]!r}",
            )
        attachments.append(
            RawAttachment(
                sha2=sha2,
                content_type=part.headers.get("content-type", "application/octet-stream"),
                data=part.body,
                declared_length=None if declared is None else int(declared),
            )
        )
    return attachments


def _check_hash(part: RawAttachment, path: str) -> None:
    """The part's bytes have the hash its X-Experience-API-Hash (and ``sha2``) claims."""
    digest = _SHA2_BY_HEX_LENGTH.get(len(part.sha2))
    if digest is None:
        raise _error(
            "An attachment's sha2 must be a SHA-2 digest in hex",
            f"{path}.sha2",
            "expected 56, 64, 96 or 128 hex digits (SHA-224, -256, -384, -512)",
        )
    actual = digest(part.data).hexdigest()
    if actual != part.sha2.lower():
        raise _error(
            "An attachment part's data does not have the hash claimed for it",
            f"{path}.sha2",
            f"does not match the data received in its part (which hashes to {actual})",
        )


def _check_length(part: RawAttachment, attachment: dict[str, Any], path: str) -> None:
    """A part's Content-Length, when given, equals the attachment's ``length`` and its data.

    Content-Length is the part parameter that corresponds to ``length``, and "the value
    of these parameters and properties MUST match" (Communication §1.5.2).  A ``length``
    that differs from the data of a part declaring no Content-Length is accepted: the
    ADL conformance suite (XAPI-00127, 1.0.3 and 2.0.0) posts a JPEG as hex text with the
    binary file's length and expects 200.  The hash is what binds the bytes.
    """
    declared = part.declared_length
    if declared is not None and not (declared == len(part.data) == attachment["length"]):
        raise _error(
            "An attachment part's Content-Length differs from the attachment's length "
            "or from the data received",
            f"{path}.length",
            f"length {attachment['length']}, part Content-Length {declared}, "
            f"data {len(part.data)} octets",
        )


def check_attachments(
    statements: Sequence[dict[str, Any]],
    raw: dict[str, RawAttachment],
    version: str,
) -> None:
    """Every attachment needs a fileUrl or a valid raw part; every raw part a statement.

    Raises:
        BadRequest: naming the attachment (``[i].attachments[j]``) whose part is missing,
            does not hash to its ``sha2``, declares another length, or (a signature,
            Data §2.6) does not verify; or a part that no attachment names.

    """
    used: set[str] = set()
    for index, statement in enumerate(statements):
        for position, attachment in enumerate(statement.get("attachments") or ()):
            sha2 = attachment["sha2"]
            path = f"[{index}].attachments[{position}]"
            if sha2 in raw:
                if sha2 not in used:  # (a part named by several attachments: hashed once)
                    _check_hash(raw[sha2], path)
                _check_length(raw[sha2], attachment, path)
                used.add(sha2)
            elif "fileUrl" not in attachment:
                raise _error(
                    "An attachment has neither a fileUrl nor a matching multipart part",
                    f"{path}.sha2",
                    "no part with this hash",
                )
            if attachment["usageType"] == SIGNATURE_USAGE:
                # (Its contentType is checked by the schema.)
                if sha2 not in raw:
                    raise _error(
                        "A signature attachment must be sent as a multipart part",
                        path,
                        "signature data missing",
                    )
                verify_signature(statement, raw[sha2].data, version)
    extra = set(raw) - used
    if extra:
        raise _error(
            "A multipart part matches no attachment of any statement",
            "body",
            f"unused part {sorted(extra)[0]}",
        )
