"""The 1.0.3 alternate request syntax (Communication 1.3): ``POST ...?method=PUT`` forms.

The form is read before any view runs, so it is read with care: a cap of its own
(XAPI_ALTERNATE_MAX_LENGTH, within MAX_CONTENT_LENGTH) checked before reading, an
Authorization header checked before reading, and the form decoded as it arrives.
"""

from __future__ import annotations

import base64
import io
import json
import random
import tracemalloc
from urllib.parse import parse_qsl, urlencode

import pytest

from lrs.alternate import read_form
from tests.conftest import basic


def alternate(
    client, method: str, auth: str, version: str, content: str | None = None, **params: str
):
    form = {"Authorization": auth, "X-Experience-API-Version": version, **params}
    if content is not None:
        form["content"] = content
        form["Content-Type"] = "application/json"
    return client.post(
        f"/xapi/statements?method={method}",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )


def test_lrs_alternate_syntax_put_and_get_under_1_0_3(client, make_credential, make_statement):
    auth = basic(*make_credential(["all"]))
    statement = make_statement()
    statement_id = statement.pop("id")
    put = alternate(client, "PUT", auth, "1.0.3", json.dumps(statement), statementId=statement_id)
    assert put.status_code == 204
    got = alternate(client, "GET", auth, "1.0.3", statementId=statement_id)
    assert got.status_code == 200
    assert got.json["id"] == statement_id


def test_lrs_alternate_syntax_refused_under_2_0_0(client, make_credential):
    auth = basic(*make_credential(["all"]))
    response = alternate(client, "GET", auth, "2.0.0")
    assert response.status_code == 400


def test_lrs_alternate_syntax_rejects_extra_query_parameters(client, make_credential):
    auth = basic(*make_credential(["all"]))
    response = client.post(
        "/xapi/statements?method=GET&limit=1",
        data=urlencode({"Authorization": auth, "X-Experience-API-Version": "1.0.3"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


# -- The alternate syntax reads bounded bodies, and only for a valid Authorization header --


class Body(io.RawIOBase):
    """A request body of ``size`` bytes that counts how many were read."""

    def __init__(self, size: int, fill: bytes = b"content=" + b"a" * 64) -> None:
        self.size, self.fill, self.read_bytes = size, fill, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.size - self.read_bytes)
        data = (self.fill * (count // len(self.fill) + 1))[:count]
        buffer[:count] = data
        self.read_bytes += count
        return count


def alternate_raw(client, body: Body, length: int | None, headers: dict[str, str] | None = None):
    """POST ?method=PUT with ``body`` as the form; ``length`` None means chunked."""
    environ: dict[str, object] = {"wsgi.input": body, "wsgi.input_terminated": True}
    if length is None:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(length)
    return client.post(
        "/xapi/statements?method=PUT",
        content_type="application/x-www-form-urlencoded",
        headers=headers or {},
        environ_overrides=environ,
    )


def _refused(response, status: int) -> None:
    assert response.status_code == status
    assert response.json["status"] == status
    assert response.json["message"]
    assert response.headers["X-Experience-API-Version"]


def test_lrs_alternate_syntax_has_its_own_cap(app):
    assert app.config["XAPI_ALTERNATE_MAX_LENGTH"] == 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("alternate_cap", "max_content"),
    [(None, None), (1000, None), (10**9, 1000)],
    ids=["default", "alternate_cap", "max_content_length"],
)
def test_lrs_alternate_syntax_declared_length_over_cap_is_413_unread(
    app, client, monkeypatch, alternate_cap, max_content
):
    if alternate_cap is not None:
        monkeypatch.setitem(app.config, "XAPI_ALTERNATE_MAX_LENGTH", alternate_cap)
    if max_content is not None:
        monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", max_content)
    cap = min(app.config["XAPI_ALTERNATE_MAX_LENGTH"], app.config["MAX_CONTENT_LENGTH"])
    body = Body(300 * 1024 * 1024)
    response = alternate_raw(client, body, length=cap + 1)
    _refused(response, 413)
    assert body.read_bytes == 0


def test_lrs_alternate_syntax_chunked_body_stops_at_the_cap(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "XAPI_ALTERNATE_MAX_LENGTH", 100_000)
    body = Body(300 * 1024 * 1024)
    response = alternate_raw(client, body, length=None)
    _refused(response, 413)
    assert 100_000 <= body.read_bytes <= 100_000 + 64 * 1024


@pytest.mark.parametrize(
    "authorization",
    ["Basic " + base64.b64encode(b"nokey:nosecret").decode(), "Bearer x", "Basic !!!"],
)
def test_lrs_alternate_syntax_bad_authorization_header_is_401_unread(client, authorization):
    body = Body(10 * 1024 * 1024)
    response = alternate_raw(
        client, body, length=body.size, headers={"Authorization": authorization}
    )
    _refused(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert body.read_bytes == 0


def test_lrs_alternate_syntax_good_authorization_header_reads_the_form(
    client, make_credential, make_statement
):
    auth = basic(*make_credential(["all"]))
    statement = make_statement()
    statement_id = statement.pop("id")
    form = urlencode(
        {
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
            "statementId": statement_id,
            "content": json.dumps(statement),
        }
    )
    response = client.post(
        "/xapi/statements?method=PUT",
        data=form,
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": auth},
    )
    assert response.status_code == 204, response.json


def test_lrs_alternate_syntax_reads_with_bounded_memory(client, make_credential):
    # The form is decoded as it is read: the content once, not the body and several copies.
    size = 8 * 1024 * 1024
    auth = basic(*make_credential(["all"]))
    # A version the LRS refuses: the request stops after the rewrite, before any view reads.
    head = urlencode({"Authorization": auth, "X-Experience-API-Version": "0.9"})
    body = (head + "&content=" + "%22" + "a" * size + "%22").encode()
    tracemalloc.start()
    try:
        response = client.post(
            "/xapi/statements?method=PUT",
            data=body,
            content_type="application/x-www-form-urlencoded",
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 400
    assert peak < 2 * size, f"peak {peak / size:.1f} times the content"


# -- The form decoder reads what parse_qsl reads, whatever the chunks -----------------

FORMS = [
    "",
    "a=1",
    "a=1&b=2&a=3",
    "content=%7B%22a%22%3A+1%7D&Content-Type=application%2Fjson",
    "flag&empty=&=novalue&&x=%",
    "content=%E2%9C%93+%2B+plus&content=second",
    "k%20ey=v%2Fa+l%25ue&content=%25%32%30",
    "bad=%zz%4&trail=%",
    "content=" + "%22" + "x" * 300 + "%22",
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64 * 1024])
def test_lrs_alternate_form_decoder_matches_parse_qsl(form, chunk_size):
    decoded = read_form(io.BytesIO(form.encode()), chunk_size)
    expected = parse_qsl(form, keep_blank_values=True, encoding="latin-1")
    fields = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in decoded.fields]
    assert fields == [(k, v) for k, v in expected if k != "content"]
    contents = [v for k, v in expected if k == "content"]
    assert decoded.content.read().decode("latin-1") == (contents[-1] if contents else "")
    assert decoded.size == len((contents[-1] if contents else "").encode("latin-1"))


def test_lrs_alternate_form_decoder_random_forms():
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    alphabet = "ab=&%+2F0z"
    for _ in range(300):
        form = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        test_lrs_alternate_form_decoder_matches_parse_qsl(form, rng.randint(1, 9))
