"""Signed statements: check the JWS attached to a statement (xAPI Data 2.6).

https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Data.md#26-signed-statements

The signature attachment (usageType ``http://adlnet.gov/expapi/attachments/signature``,
contentType ``application/octet-stream``) holds a JWS (RFC 7515).  The LRS must decode it,
check that its payload is logically the same statement as the one received (statement
comparison rules, Data 2.3.1), that the algorithm is RS256/RS384/RS512, and verify the
signature when the header carries an X.509 chain (``x5c``).  The x5c check catches mistakes;
it is not a trust decision (Data 2.6 note), so no trust anchors are involved.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from core.errors import BadRequest
from core.jsoncodec import JSONTooDeep, check_depth
from lrs.schemas import VERSION_2, parse_timestamp

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_PATH = "attachments:signature"


def _bad(message: str) -> BadRequest:
    return BadRequest(
        f"Malformed statement signature: {message}",
        errors=[{"path": _PATH, "message": message}],
    )


def _b64url(part: str, what: str) -> bytes:
    if not _B64URL.match(part):
        raise _bad(f"the JWS {what} is not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise _bad(f"the JWS {what} is not base64url") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _json(raw: bytes, what: str) -> Any:
    try:
        check_depth(raw)
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except JSONTooDeep as exc:
        raise _bad(f"the JWS {what} {exc}") from None
    except (UnicodeDecodeError, ValueError):
        raise _bad(f"the JWS {what} is not valid JSON") from None


def _split(jws: bytes, version: str) -> tuple[str, str, str]:
    """Return (protected header, payload, signature), all still base64url."""
    try:
        text = jws.decode("ascii").strip()
    except UnicodeDecodeError:
        raise _bad("the JWS is not ASCII text") from None
    if text.startswith("{"):
        # JWS JSON Serialization: discouraged in 1.0.3 (SHOULD* use compact), forbidden
        # by 2.0.0 (Data 2.6 "Signature Requirements").
        if version == VERSION_2:
            raise _bad("xAPI 2.0 requires the JWS Compact Serialization")
        document = _json(text.encode(), "JSON serialization")
        if not isinstance(document, dict):
            raise _bad("the JWS JSON serialization is not an object")
        signatures = document.get("signatures", [document])
        if not isinstance(signatures, list) or len(signatures) != 1:
            raise _bad("exactly one signature is expected")
        entry = signatures[0] if isinstance(signatures[0], dict) else {}
        header, payload, signature = (
            entry.get("protected"),
            document.get("payload"),
            entry.get("signature"),
        )
        if not (
            isinstance(header, str) and isinstance(payload, str) and isinstance(signature, str)
        ):
            raise _bad("the JWS JSON serialization lacks protected, payload or signature")
        return header, payload, signature
    pieces = text.split(".")
    if len(pieces) != 3 or not all(pieces):
        raise _bad("expected a JWS Compact Serialization (header.payload.signature)")
    return pieces[0], pieces[1], pieces[2]


def _verify_x5c(chain: Any, algorithm: str, signing_input: bytes, signature: bytes) -> None:
    """Verify the signature with the first certificate of ``x5c`` (RFC 7515 4.1.6)."""
    if not isinstance(chain, list) or not chain or not all(isinstance(c, str) for c in chain):
        raise _bad("x5c must be a non-empty array of base64 certificates")
    try:
        certificates = [
            x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in chain
        ]
    except (binascii.Error, ValueError):
        raise _bad("x5c holds a certificate that cannot be read") from None
    key = certificates[0].public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise _bad(f"{algorithm} needs an RSA certificate")
    try:
        key.verify(signature, signing_input, padding.PKCS1v15(), _HASHES[algorithm]())
    except InvalidSignature:
        raise _bad("the signature does not verify against the x5c certificate") from None
    for child, issuer in itertools.pairwise(certificates):
        # Each certificate must be issued by the next one (RFC 7515 4.1.6).
        try:
            child.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise _bad("the x5c certificates do not form a chain") from None


def verify_signature(statement: dict[str, Any], jws: bytes, version: str) -> None:
    """Check the JWS signature of ``statement`` (Data 2.6); malformed means 400.

    Args:
        statement: the statement as received (its ``attachments`` included).
        jws: the raw bytes of the signature attachment part.
        version: "1.0.3" or "2.0.0", the rules the request follows.

    Raises:
        BadRequest: when the JWS is malformed, uses another algorithm, carries a payload
            that is not this statement, or does not verify against its x5c certificate.

    """
    header_b64, payload_b64, signature_b64 = _split(jws, version)
    header = _json(_b64url(header_b64, "header"), "header")
    if not isinstance(header, dict):
        raise _bad("the JWS header is not a JSON object")
    algorithm = header.get("alg")
    if algorithm not in _HASHES:
        raise _bad("the JWS algorithm must be RS256, RS384 or RS512")
    payload = _json(_b64url(payload_b64, "payload"), "payload")
    if not isinstance(payload, dict):
        raise _bad("the JWS payload is not a statement")
    signature = _b64url(signature_b64, "signature")
    if not signature:
        raise _bad("the JWS signature is empty")
    if not statements_equivalent(payload, statement):
        raise _bad("the JWS payload is not the statement it is attached to")
    if "x5c" in header:
        signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
        _verify_x5c(header["x5c"], algorithm, signing_input, signature)


# -- Statement comparison (Data 2.3.1) -------------------------------------------------

# Assigned or overwritten by the LRS, or not part of the statement (Data 2.3.1).
_NOT_COMPARED = ("authority", "stored", "version", "attachments")
# Compared only when both sides have them: the LRS may assign them.
_IF_BOTH = ("id", "timestamp")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SECONDS = re.compile(r"(\d+)[.,](\d+)S$")


def _timestamp_key(value: Any) -> Any:
    """Reduce a timestamp to its instant in milliseconds: zone and precision are form (Data 4.5)."""
    try:
        moment = parse_timestamp(value, "timestamp")
    except BadRequest:
        return value
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000).isoformat()


def _duration_key(value: Any) -> Any:
    """Durations compare as strings, ignoring precision below 0.01 s (Data 4.6)."""
    if not isinstance(value, str):
        return value
    return _SECONDS.sub(lambda m: f"{m.group(1)}.{m.group(2)[:2].ljust(2, '0')}S", value)


def _normal(value: Any, key: str = "") -> Any:
    """Rewrite ``value`` so that the allowed differences (Data 2.3.1) disappear."""
    if isinstance(value, list):
        items = [_normal(item, key) for item in value]
        if key == "member":  # the Agents of a Group are unordered
            items.sort(key=lambda item: json.dumps(item, sort_keys=True))
        return items
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for name, item in value.items():
        if name == "definition" or (key == "verb" and name == "display"):
            continue  # Activity definitions and verb display are not part of the statement
        if name == "objectType" and item in ("Agent", "Activity"):
            continue  # the default objectType, written or not
        if name == "contextActivities" and isinstance(item, dict):
            item = {k: v if isinstance(v, list) else [v] for k, v in item.items()}
        if name == "mbox" and isinstance(item, str) and "@" in item:
            local, _, domain = item.rpartition("@")
            item = f"{local}@{domain.lower()}"  # the mail domain is case-insensitive
        elif name in ("id", "registration") and isinstance(item, str) and _UUID.match(item):
            item = item.lower()  # UUIDs compare case-insensitively; IRIs do not
        elif name == "timestamp":
            item = _timestamp_key(item)
        elif name == "duration":
            item = _duration_key(item)
        out[name] = _normal(item, name)
    return out


def statements_equivalent(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Tell whether ``a`` and ``b`` are the same statement under the Data 2.3.1 rules."""
    left, right = dict(a), dict(b)
    for name in _NOT_COMPARED:
        left.pop(name, None)
        right.pop(name, None)
    for name in _IF_BOTH:
        if name not in left or name not in right:
            left.pop(name, None)
            right.pop(name, None)
    return bool(_normal(left) == _normal(right))
