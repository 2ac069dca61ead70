"""Attachment parts are what their statements say they are (xAPI Data 2.4.11, Communication 1.5.2).

An attachment's bytes are stored once under their ``sha2`` and served to every statement
that names that hash, so a part whose bytes do not hash to the value claimed for them
would be served, later, to another statement that claims the same hash.  Each received
part is checked against its ``X-Experience-API-Hash`` (and so against the ``sha2`` of the
attachment it is matched to); a refused request stores nothing.

Also here: the multipart/mixed answers of ``GET ?attachments=true`` carry a boundary
that TinCanJS can read (it cuts the Content-Type after ``boundary=``, quotes and all).
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.lrs.test_statements import attachment_for, multipart_body, part_headers

BOTH = ("1.0.3", "2.0.0")
DATA = b"Certifikat: Brandskydd, godkand \x00\xff"
OTHER = b"Certifikat: forfalskat"


def _post(xapi, statements, parts, method="POST", query=None):
    body, content_type = multipart_body(json.dumps(statements).encode(), parts)
    return xapi.request(
        method, "statements", data=body, headers={"Content-Type": content_type}, query=query
    )


def _paths(response) -> list[str]:
    return [row["path"] for row in response.json.get("errors", [])]


def _served(xapi, statement_id: str) -> bytes:
    got = xapi.get("statements", query={"statementId": statement_id, "attachments": "true"})
    assert got.status_code == 200
    return got.data


@pytest.mark.parametrize("version", BOTH)
def test_lrs_attachment_part_not_matching_its_hash_is_400_and_stores_nothing(
    xapi, make_statement, version
):
    xapi.version = version
    forged = make_statement(attachments=[attachment_for(DATA)])
    # The part claims DATA's hash but carries other bytes.
    response = _post(xapi, forged, [(OTHER, part_headers(DATA))])
    assert response.status_code == 400, response.json
    assert _paths(response) == ["[0].attachments[0].sha2"]
    message = response.json["errors"][0]["message"]
    assert "does not match" in message
    assert hashlib.sha256(OTHER).hexdigest() in message
    assert xapi.get("statements", query={"statementId": forged["id"]}).status_code == 404
    # A later, honest statement with that hash gets its own bytes, not the forged ones.
    honest = make_statement(attachments=[attachment_for(DATA)])
    assert _post(xapi, honest, [(DATA, part_headers(DATA))]).status_code == 200
    served = _served(xapi, honest["id"])
    assert DATA in served
    assert OTHER not in served


@pytest.mark.parametrize("version", BOTH)
def test_lrs_attachment_forged_part_in_batch_names_the_attachment(xapi, make_statement, version):
    xapi.version = version
    first = make_statement(attachments=[attachment_for(OTHER)])
    second = make_statement(attachments=[attachment_for(b"x"), attachment_for(DATA)])
    parts = [
        (OTHER, part_headers(OTHER)),
        (b"x", part_headers(b"x")),
        (OTHER, part_headers(DATA)),
    ]
    response = _post(xapi, [first, second], parts)
    assert response.status_code == 400, response.json
    assert _paths(response) == ["[1].attachments[1].sha2"]
    assert xapi.get("statements", query={"statementId": first["id"]}).status_code == 404


@pytest.mark.parametrize("version", BOTH)
def test_lrs_attachment_forged_part_on_put_is_400(xapi, make_statement, version):
    xapi.version = version
    forged = make_statement(attachments=[attachment_for(DATA)])
    response = _post(
        xapi,
        forged,
        [(OTHER, part_headers(DATA))],
        method="PUT",
        query={"statementId": forged["id"]},
    )
    assert response.status_code == 400, response.json
    assert _paths(response) == ["[0].attachments[0].sha2"]
    assert xapi.get("statements", query={"statementId": forged["id"]}).status_code == 404


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("sha224", hashlib.sha224),
        ("sha256", hashlib.sha256),
        ("sha384", hashlib.sha384),
        ("sha512", hashlib.sha512),
    ],
)
def test_lrs_attachment_other_sha2_lengths_are_checked(xapi, make_statement, algorithm, digest):
    # "SHOULD use SHA-256, SHA-384, or SHA-512" (Communication 1.5.2): the digest's length
    # says which SHA-2 function made it.
    good_hash = digest(DATA).hexdigest()
    good = make_statement(attachments=[attachment_for(DATA, sha2=good_hash)])
    headers = part_headers(DATA, **{"X-Experience-API-Hash": good_hash})
    assert _post(xapi, good, [(DATA, headers)]).status_code == 200, algorithm
    bad = make_statement(attachments=[attachment_for(DATA, sha2=good_hash)])
    response = _post(xapi, bad, [(OTHER, headers)])
    assert response.status_code == 400
    assert _paths(response) == ["[0].attachments[0].sha2"]


def test_lrs_attachment_hash_of_unknown_length_is_400(xapi, make_statement):
    claimed = "ab" * 20  # 40 hex digits: SHA-1, not SHA-2
    statement_ = make_statement(attachments=[attachment_for(DATA, sha2=claimed)])
    response = _post(
        xapi, statement_, [(DATA, part_headers(DATA, **{"X-Experience-API-Hash": claimed}))]
    )
    assert response.status_code == 400
    assert _paths(response) == ["[0].attachments[0].sha2"]


def test_lrs_attachment_hash_compares_case_insensitively(xapi, make_statement):
    upper = hashlib.sha256(DATA).hexdigest().upper()
    statement_ = make_statement(attachments=[attachment_for(DATA, sha2=upper)])
    headers = part_headers(DATA, **{"X-Experience-API-Hash": upper})
    assert _post(xapi, statement_, [(DATA, headers)]).status_code == 200


@pytest.mark.parametrize("version", BOTH)
def test_lrs_attachment_part_length_header_must_match_the_attachment(xapi, make_statement, version):
    # A part's Content-Length is the parameter that corresponds to the attachment's length;
    # "the value of these parameters and properties MUST match" (Communication 1.5.2).
    xapi.version = version
    wrong = make_statement(attachments=[attachment_for(DATA, length=len(DATA) + 1)])
    headers = part_headers(DATA, **{"Content-Length": str(len(DATA))})
    response = _post(xapi, wrong, [(DATA, headers)])
    assert response.status_code == 400, response.json
    assert _paths(response) == ["[0].attachments[0].length"]
    assert xapi.get("statements", query={"statementId": wrong["id"]}).status_code == 404


def test_lrs_attachment_part_length_header_must_match_the_bytes(xapi, make_statement):
    claimed = make_statement(attachments=[attachment_for(DATA)])
    headers = part_headers(DATA, **{"Content-Length": str(len(DATA) + 5)})
    response = _post(xapi, claimed, [(DATA, headers)])
    assert response.status_code == 400
    assert _paths(response) == ["[0].attachments[0].length"]


def test_lrs_attachment_length_without_part_header_follows_the_conformance_suite(
    xapi, make_statement
):
    # The ADL conformance suite (XAPI-00127, 1.0.3 and 2.0.0) posts a JPEG as hex text with
    # the binary file's length and expects 200: the hash, checked above, is what binds
    # the bytes; ``length`` is only compared with a Content-Length the part declares.
    data = DATA.hex().encode()
    statement_ = make_statement(attachments=[attachment_for(data, length=len(DATA))])
    assert _post(xapi, statement_, [(data, part_headers(data))]).status_code == 200


# -- multipart/mixed answers (Communication 1.5.2, RFC 2046 5.1.1) ------------------------


def test_lrs_attachment_answer_boundary_is_an_unquoted_token(xapi, make_statement):
    statement_ = make_statement(attachments=[attachment_for(DATA)])
    assert _post(xapi, statement_, [(DATA, part_headers(DATA))]).status_code == 200
    got = xapi.get("statements", query={"statementId": statement_["id"], "attachments": "true"})
    content_type = got.headers["Content-Type"]
    # TinCanJS 0.50 (src/LRS.js _processGetStatementResult) takes everything after
    # "boundary=" as the boundary.
    boundary = content_type.split("boundary=")[1]
    assert '"' not in boundary
    assert b"--" + boundary.encode() + b"\r\n" in got.data
    assert got.data.rstrip().endswith(b"--" + boundary.encode() + b"--")
    assert DATA in got.data


@pytest.mark.parametrize(
    "content_type",
    [
        'multipart/mixed; boundary="xyzBOUNDARYxyz"',
        "multipart/mixed; boundary=xyzBOUNDARYxyz",
        'multipart/mixed;boundary="xyzBOUNDARYxyz"; charset=utf-8',
    ],
)
def test_lrs_attachment_request_boundary_quoted_or_not(xapi, make_statement, content_type):
    statement_ = make_statement(attachments=[attachment_for(DATA)])
    body, _ = multipart_body(json.dumps(statement_).encode(), [(DATA, part_headers(DATA))])
    response = xapi.request("POST", "statements", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.json
    assert DATA in _served(xapi, statement_["id"])
