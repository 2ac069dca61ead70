"""JSON values at the edges: stored exactly on both databases, or refused with a 400.

Statement bodies are read and written with orjson (core/jsoncodec.py), which differs
from the json module on integers beyond 64 bits; RFC 8259 §6 allows numbers of any
size, so those must come back as they were sent.  Numbers that no float can hold are
refused, as NaN and Infinity are, and so are strings with an unpaired surrogate (RFC 8259
§8.2), which PostgreSQL's jsonb cannot store (it was a 500 there).
"""

from __future__ import annotations

import json

import pytest

EXT = "http://example.org/ext/value"
HUGE = 123456789012345678901234567890


def _stored(xapi, statement_id):
    response = xapi.get("statements", query={"statementId": statement_id})
    assert response.status_code == 200
    return response.json


@pytest.mark.parametrize("value", [HUGE, -HUGE, 2**64, [1, 2**70, {"n": -(2**65)}]])
def test_lrs_json_integers_beyond_64_bits_come_back_exact(xapi, make_statement, value):
    statement = make_statement(result={"extensions": {EXT: value}})
    assert xapi.post("statements", statement).status_code == 200
    assert _stored(xapi, statement["id"])["result"]["extensions"][EXT] == value
    # ... in a query page and in a batch too (the bulk insert path)
    batch = [make_statement(result={"extensions": {EXT: value}}) for _ in range(12)]
    assert xapi.post("statements", batch).status_code == 200
    page = xapi.get("statements", query={"limit": 20}).json["statements"]
    assert [s["result"]["extensions"][EXT] for s in page] == [value] * 13


def test_lrs_json_unicode_and_floats_round_trip(xapi, make_statement):
    floats = [0.1, 1e-300, 1.5e300, -0.0, 1e16]
    value = {"text": "Räddningstjänst 🚒 \u00e9\u0301", "floats": floats}
    statement = make_statement(result={"extensions": {EXT: value}})
    assert xapi.post("statements", statement).status_code == 200
    stored = _stored(xapi, statement["id"])["result"]["extensions"][EXT]
    assert stored["text"] == value["text"]
    # The same JSON numbers (PostgreSQL's jsonb writes 1.5e300 out in digits).
    assert [float(x) for x in stored["floats"]] == floats


@pytest.mark.parametrize("number", ["1e400", "-1E+999", "9" * 400 + ".5"])
def test_lrs_json_numbers_too_large_for_a_float_are_400(xapi, make_statement, number):
    body = json.dumps(make_statement(result={"extensions": {EXT: 0}}))
    body = body.replace(f'"{EXT}": 0', f'"{EXT}": {number}')
    response = xapi.request(
        "POST", "statements", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["errors"][0] == {"path": "body", "message": "invalid JSON"}
    assert "too large" in response.json["message"]
    assert xapi.get("statements").json["statements"] == []


def test_lrs_json_large_exponents_that_fit_are_accepted(xapi, make_statement):
    body = json.dumps(make_statement(result={"extensions": {EXT: 0}}))
    body = body.replace(f'"{EXT}": 0', f'"{EXT}": 1.7e308')
    response = xapi.request(
        "POST", "statements", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    stored = _stored(xapi, response.json[0])
    assert float(stored["result"]["extensions"][EXT]) == 1.7e308


@pytest.mark.parametrize("escaped", ["a\\ud800b", "\\udfff", "\\ude00\\ud83d"])
def test_lrs_json_lone_surrogates_are_400(xapi, make_statement, escaped):
    body = json.dumps(make_statement(result={"extensions": {EXT: "x"}}))
    body = body.replace(f'"{EXT}": "x"', f'"{EXT}": "{escaped}"')
    response = xapi.request(
        "POST", "statements", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "unpaired surrogate" in response.json["message"]
    assert xapi.get("statements").json["statements"] == []


def test_lrs_json_surrogate_pairs_are_one_character(xapi, make_statement):
    body = json.dumps(make_statement(result={"extensions": {EXT: "x"}}))
    body = body.replace(f'"{EXT}": "x"', f'"{EXT}": "\\ud83d\\ude92 \\\\ud800"')
    response = xapi.request(
        "POST", "statements", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    stored = _stored(xapi, response.json[0])
    assert stored["result"]["extensions"][EXT] == "\U0001f692 \\ud800"
