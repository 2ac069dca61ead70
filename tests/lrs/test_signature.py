"""Signed statements through HTTP (xAPI Data 2.6; conformance E.Data2.6, XAPI-00115..00117)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from lrs.multipart import build
from lrs.signature import statements_equivalent

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
    "HS256": hashes.SHA256,
}


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(
    subject_key: rsa.RSAPrivateKey, name: str, issuer_key: Any = None, issuer: str = ""
) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or name)]))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(issuer_key or subject_key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def pki() -> dict[str, Any]:
    """A signer key with a self-signed certificate, a CA-issued one, and a stranger's."""
    signer, ca, stranger = _key(), _key(), _key()
    return {
        "key": signer,
        "self": _cert(signer, "signer"),
        "leaf": _cert(signer, "signer", ca, "ca"),
        "ca": _cert(ca, "ca"),
        "stranger": _cert(stranger, "stranger"),
    }


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def jws(
    key: rsa.RSAPrivateKey,
    payload: Any,
    alg: str = "RS256",
    chain: list[x509.Certificate] | None = None,
) -> bytes:
    """A JWS Compact Serialization (RFC 7515 7.1) signed with ``key``."""
    header: dict[str, Any] = {"alg": alg}
    if chain:
        header["x5c"] = [der(cert) for cert in chain]
    encoded = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(encoded)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), HASHES[alg]())
    return f"{signing_input}.{b64url(signature)}".encode()


def statement() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}},
        "object": {"id": "http://example.org/exam", "definition": {"name": {"en-US": "Exam"}}},
        "result": {"success": True, "duration": "PT20M"},
        "timestamp": "2026-11-26T10:00:00.000Z",
    }


def post_signed(
    xapi: Any,
    received: dict[str, Any],
    signature: bytes,
    content_type: str = "application/octet-stream",
    claimed_sha2: str | None = None,
) -> Any:
    """POST ``received`` with ``signature`` attached the way the conformance suite does.

    ``claimed_sha2`` replaces the signature's hash, in the statement and the part header.
    """
    sha2 = claimed_sha2 or hashlib.sha256(signature).hexdigest()
    body = dict(received)
    body["attachments"] = [
        {
            "usageType": SIGNATURE,
            "display": {"en-US": "Signature"},
            "contentType": content_type,
            "length": len(signature),
            "sha2": sha2,
        }
    ]
    payload, multipart_type = build(
        [
            ({"Content-Type": "application/json"}, json.dumps(body).encode()),
            (
                {
                    "Content-Type": content_type,
                    "Content-Transfer-Encoding": "binary",
                    "X-Experience-API-Hash": sha2,
                },
                signature,
            ),
        ]
    )
    return xapi.request(
        "POST", "statements", data=payload, headers={"Content-Type": multipart_type}
    )


def _json_serialization(compact: bytes) -> bytes:
    header, payload, signature = compact.decode().split(".")
    return json.dumps({"payload": payload, "protected": header, "signature": signature}).encode()


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize(
    "case",
    [
        "rs256",
        "rs384",
        "rs512",
        "x5c_self_signed",
        "x5c_chain",
        "payload_without_id",
        "timestamp_other_zone",
        "payload_without_optional_object_type",
    ],
)
def test_lrs_signature_valid_accepted(xapi, pki, version, case):
    xapi.version = version
    signed = statement()
    received = copy.deepcopy(signed)
    key = pki["key"]
    if case == "rs384":
        signature = jws(key, signed, "RS384")
    elif case == "rs512":
        signature = jws(key, signed, "RS512")
    elif case == "x5c_self_signed":
        signature = jws(key, signed, chain=[pki["self"]])
    elif case == "x5c_chain":
        signature = jws(key, signed, chain=[pki["leaf"], pki["ca"]])
    elif case == "payload_without_id":  # the id may be assigned later (Data 2.3.1)
        signature = jws(key, {k: v for k, v in signed.items() if k != "id"})
    elif case == "timestamp_other_zone":  # same instant, other serialization (Data 4.5)
        signature = jws(key, {**signed, "timestamp": "2026-11-26T12:00:00+02:00"})
    elif case == "payload_without_optional_object_type":
        signature = jws(key, {**signed, "actor": {"name": "Ada", "mbox": "mailto:ada@EXAMPLE.org"}})
    else:
        signature = jws(key, signed)
    response = post_signed(xapi, received, signature)
    assert response.status_code == 200, response.json
    assert response.json == [received["id"]]


def test_lrs_signature_json_serialization_accepted_in_1_0_3(xapi, pki):
    signed = statement()
    response = post_signed(xapi, signed, _json_serialization(jws(pki["key"], signed)))
    assert response.status_code == 200, response.json


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize(
    "case",
    [
        "hs256",
        "alg_none",
        "other_statement",
        "payload_not_json",
        "payload_not_object",
        "not_a_jws",
        "bad_base64",
        "x5c_other_key",
        "x5c_broken_chain",
        "x5c_not_base64",
        "signature_tampered",
    ],
)
def test_lrs_signature_malformed_rejected(xapi, pki, version, case):
    xapi.version = version
    signed = statement()
    key = pki["key"]
    signature = jws(key, signed)
    if case == "hs256":
        signature = jws(key, signed, "HS256")
    elif case == "alg_none":
        header = b64url(json.dumps({"alg": "none"}).encode())
        signature = f"{header}.{b64url(json.dumps(signed).encode())}.".encode()
    elif case == "other_statement":
        signature = jws(key, {**signed, "result": {"success": False, "duration": "PT20M"}})
    elif case == "payload_not_json":  # the suite's "breakJson": a quote swapped
        signature = jws(key, json.dumps(signed).replace('"', "'", 1).encode())
    elif case == "payload_not_object":
        signature = jws(key, [signed])
    elif case == "not_a_jws":
        signature = b"this is not a signature"
    elif case == "bad_base64":
        signature = b"a+b.c/d.e=f"
    elif case == "x5c_other_key":
        signature = jws(key, signed, chain=[pki["stranger"]])
    elif case == "x5c_broken_chain":
        signature = jws(key, signed, chain=[pki["leaf"], pki["stranger"]])
    elif case == "x5c_not_base64":
        header = b64url(json.dumps({"alg": "RS256", "x5c": ["%%%"]}).encode())
        signature = f"{header}.{b64url(json.dumps(signed).encode())}.{b64url(b'sig')}".encode()
    elif case == "signature_tampered":
        head, body, _ = jws(key, signed, chain=[pki["self"]]).decode().split(".")
        signature = f"{head}.{body}.{b64url(b'0' * 256)}".encode()
    response = post_signed(xapi, signed, signature)
    assert response.status_code == 400, response.json
    assert response.json["message"]


def test_lrs_signature_json_serialization_rejected_in_2_0(xapi, pki):
    xapi.version = "2.0.0"
    signed = statement()
    response = post_signed(xapi, signed, _json_serialization(jws(pki["key"], signed)))
    assert response.status_code == 400


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_lrs_signature_content_type_not_octet_stream_rejected(xapi, pki, version):
    xapi.version = version
    signed = statement()
    response = post_signed(xapi, signed, jws(pki["key"], signed), content_type="text/plain")
    assert response.status_code == 400
    assert [e["path"].endswith("attachments[0].contentType") for e in response.json["errors"]] == [
        True
    ]


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_lrs_signature_part_not_matching_its_hash_is_400(xapi, pki, version):
    xapi.version = version
    signed = statement()
    signature = jws(pki["key"], signed)
    received = copy.deepcopy(signed)
    body_attachment_hash = hashlib.sha256(b"something else").hexdigest()
    response = post_signed(xapi, received, signature, claimed_sha2=body_attachment_hash)
    assert response.status_code == 400, response.json
    assert [row["path"] for row in response.json["errors"]] == ["[0].attachments[0].sha2"]
    assert xapi.get("statements", query={"statementId": signed["id"]}).status_code == 404


# -- The comparison rules themselves (Data 2.3.1) ----------------------------------------

COMPARED = statement()


@pytest.mark.parametrize(
    ("changes", "same"),
    [
        ({"authority": {"mbox": "mailto:lrs@example.org"}, "stored": "2026-01-01T00:00:00Z"}, True),
        ({"version": "1.0.0", "attachments": []}, True),
        ({"timestamp": "2026-11-26T05:00:00.0004-05:00"}, True),
        (
            {
                "verb": {
                    "id": "http://adlnet.gov/expapi/verbs/passed",
                    "display": {"sv-SE": "klarade"},
                }
            },
            True,
        ),
        ({"object": {"objectType": "Activity", "id": "http://example.org/exam"}}, True),
        ({"result": {"success": True, "duration": "PT20M"}, "id": COMPARED["id"].upper()}, True),
        ({"timestamp": "2026-11-26T10:00:01Z"}, False),
        ({"actor": {"mbox": "mailto:ADA@example.org"}}, False),
        ({"result": {"success": True, "duration": "PT1200S"}}, False),
        ({"object": {"id": "http://example.org/Exam"}}, False),
        ({"context": {"registration": str(uuid.uuid4())}}, False),
    ],
    ids=[
        "authority_stored",
        "version_attachments",
        "timestamp_zone",
        "verb_display",
        "definition",
        "uuid_case",
        "timestamp_instant",
        "mbox_local_part",
        "duration_string",
        "iri_case",
        "added_context",
    ],
)
def test_lrs_signature_statement_comparison(changes, same):
    assert statements_equivalent(COMPARED, {**COMPARED, **changes}) is same


def test_lrs_signature_comparison_group_member_order():
    group = {
        "objectType": "Group",
        "member": [{"mbox": "mailto:a@x.org"}, {"mbox": "mailto:b@x.org"}],
    }
    flipped = {"objectType": "Group", "member": group["member"][::-1]}
    assert statements_equivalent({**COMPARED, "actor": group}, {**COMPARED, "actor": flipped})


def test_lrs_signature_comparison_context_activities_object_or_array():
    one = {"contextActivities": {"parent": {"id": "http://example.org/p"}}}
    many = {"contextActivities": {"parent": [{"id": "http://example.org/p"}]}}
    assert statements_equivalent({**COMPARED, "context": one}, {**COMPARED, "context": many})
