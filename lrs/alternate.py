"""The 1.0.3 alternate request syntax (Communication §1.3), rewritten before Flask sees it.

https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Communication.md#alternate-request-syntax

``POST /xapi/...?method=PUT`` with a form body stands for the request the form describes:
headers, query parameters and the ``content`` in form fields.  The rewrite must read the
body before any view runs, so it reads it with care: the form (which carries no
attachments) has its own cap, XAPI_ALTERNATE_MAX_LENGTH, and never more than
MAX_CONTENT_LENGTH; a declared Content-Length above it is refused before a byte is read,
a chunked body stops at it; an Authorization header, when the client sent one, is
checked before the body is read; and the form is decoded as it arrives, so the worker
holds the content once, not the body and several copies of it.

Refusals are not answered here: the request goes on to Flask, where ``lrs._before``
raises the stored error, so it gets the LRS's JSON error body and headers.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import IO, Any
from urllib.parse import parse_qsl, unquote_to_bytes, urlencode

from flask import Flask
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from core.errors import AppError, BadRequest, PayloadTooLarge
from lrs.auth import authenticate

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# environ keys read by ``lrs._before``.
ALTERNATE = "kompetens.alt_syntax"
REFUSAL = "kompetens.alt_refusal"

_HEADER_FIELDS = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
}
_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "HEAD"})
_CHUNK = 64 * 1024


class FormDecoder:
    """Decode an application/x-www-form-urlencoded body as it is read.

    Fields split on "&", names from values on the first "=", "+" is a space and %XX an
    octet, as ``urllib.parse.parse_qsl(keep_blank_values=True)`` reads them.  The value of
    ``content`` goes, decoded, into ``content`` and nowhere else; an escape cut by a
    chunk boundary waits for the next chunk.
    """

    def __init__(self) -> None:
        self.fields: list[tuple[bytes, bytes]] = []
        self.content = io.BytesIO()
        self._name = bytearray()
        self._value = bytearray()
        self._in_value = False
        self._is_content = False
        self._pending = b""
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        """Decode the next piece of the body."""
        data = self._pending + chunk if self._pending else chunk
        self._pending = b""
        start, size = 0, len(data)
        while start < size:
            amp = data.find(b"&", start)
            end = size if amp < 0 else amp
            if not self._in_value:
                equals = data.find(b"=", start, end)
                self._name += data[start : end if equals < 0 else equals]
                if equals >= 0:
                    self._start_value()
                    start = equals + 1
            if self._in_value:
                segment = data[start:end]
                if amp < 0:
                    # Keep an escape ("%" or "%X") cut at the end for the next chunk.
                    cut = segment.find(b"%", len(segment) - 2)
                    if cut >= 0:
                        self._pending, segment = segment[cut:], segment[:cut]
                self._write(segment)
            if amp < 0:
                return
            self._end_field()
            start = amp + 1

    def close(self) -> None:
        """End the body: the last field ends too."""
        if self._pending:
            self._write(self._pending)  # an incomplete escape stays as it was written
            self._pending = b""
        self._end_field()
        self.size = self.content.tell()
        self.content.seek(0)

    @staticmethod
    def _decode(raw: bytes | bytearray) -> bytes:
        return unquote_to_bytes(bytes(raw).replace(b"+", b" "))

    def _start_value(self) -> None:
        self._in_value = True
        self._is_content = self._decode(self._name) == b"content"
        if self._is_content:  # a repeated field: the last one counts
            self.content.seek(0)
            self.content.truncate()

    def _write(self, segment: bytes) -> None:
        if segment:
            decoded = self._decode(segment)
            if self._is_content:
                self.content.write(decoded)
            else:
                self._value += decoded

    def _end_field(self) -> None:
        if self._in_value and not self._is_content:
            self.fields.append((self._decode(self._name), bytes(self._value)))
        elif not self._in_value and self._name:
            self.fields.append((self._decode(self._name), b""))
        self._name.clear()
        self._value.clear()
        self._in_value = self._is_content = False


def read_form(stream: IO[bytes], chunk_size: int = _CHUNK) -> FormDecoder:
    """Read and decode a whole form body from ``stream`` (already limited by the caller)."""
    decoder = FormDecoder()
    while chunk := stream.read(chunk_size):
        decoder.feed(chunk)
    decoder.close()
    return decoder


class AlternateSyntaxMiddleware:
    """Rewrite ``POST /xapi/...?method=PUT`` form requests into the request they stand for."""

    def __init__(self, app: WsgiApp, flask_app: Flask) -> None:
        self.app = app
        self.flask_app = flask_app

    def __call__(  # noqa: D102  (the WSGI protocol)
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        if (
            environ.get("PATH_INFO", "").startswith("/xapi/")
            and "method=" in query
            and environ.get("REQUEST_METHOD") == "POST"
        ):
            params = parse_qsl(query, keep_blank_values=True)
            if any(name == "method" for name, _ in params):
                environ[ALTERNATE] = True
                try:
                    self._rewrite(environ, params)
                except AppError as exc:
                    # The unread body stays on the connection: close it rather than
                    # have the server read and discard it.
                    exc.headers.setdefault("Connection", "close")
                    environ[REFUSAL] = exc
                    # Refused: nothing below reads the body (core/bodies.py would).
                    environ["wsgi.input"] = io.BytesIO(b"")
                    environ["CONTENT_LENGTH"] = "0"
                    environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def _limit(self) -> int:
        """The largest form body: XAPI_ALTERNATE_MAX_LENGTH, within MAX_CONTENT_LENGTH."""
        config = self.flask_app.config
        limit = int(config["XAPI_ALTERNATE_MAX_LENGTH"])
        overall = config.get("MAX_CONTENT_LENGTH")
        return limit if overall is None else min(limit, int(overall))

    def _rewrite(self, environ: dict[str, Any], params: list[tuple[str, str]]) -> None:
        """Check the request, then replace method, headers, query and body by the form's."""
        method = _check_request(environ, params)
        limit = self._limit()
        too_large = PayloadTooLarge(
            f"The form body of the alternate request syntax may be at most {limit} bytes",
            errors=[{"path": "body", "message": f"larger than {limit} bytes"}],
        )
        try:
            # Refuses a declared Content-Length above the limit before reading; a chunked
            # body is cut at the limit; without either the body is empty (Werkzeug).
            stream = get_input_stream(environ, max_content_length=limit)
        except RequestEntityTooLarge:
            raise too_large from None
        header = environ.get("HTTP_AUTHORIZATION")
        if header is not None:
            # Only an authenticated client may make the worker read up to the limit.
            with self.flask_app.app_context():
                authenticate(header)
        try:
            form = read_form(stream)
        except RequestEntityTooLarge:
            raise too_large from None
        except ClientDisconnected:
            raise BadRequest(
                "The form body ended before its Content-Length",
                errors=[{"path": "body", "message": "incomplete"}],
            ) from None
        _apply(environ, method, form)


def _check_request(environ: dict[str, Any], params: list[tuple[str, str]]) -> str:
    """Check what the query string and Content-Type alone tell; return the method."""
    path = "query:method"
    if [name for name, _ in params] != ["method"]:
        raise BadRequest(
            "With the alternate request syntax, parameters other than method go in the form body",
            errors=[{"path": path, "message": "other query parameters given"}],
        )
    method = params[0][1].upper()
    if method not in _METHODS:
        raise BadRequest(
            f"Unsupported method {method!r}", errors=[{"path": path, "message": "unsupported"}]
        )
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise BadRequest(
            "The alternate request syntax needs an application/x-www-form-urlencoded body",
            errors=[{"path": "header:Content-Type", "message": content_type or "missing"}],
        )
    return method


def _apply(environ: dict[str, Any], method: str, form: FormDecoder) -> None:
    """Make ``environ`` the request the form describes."""
    try:
        fields = [(name.decode(), value.decode()) for name, value in form.fields]
    except UnicodeDecodeError:
        raise BadRequest(
            "The form body is not valid UTF-8",
            errors=[{"path": "body", "message": "invalid UTF-8"}],
        ) from None
    query: list[tuple[str, str]] = []
    environ["CONTENT_TYPE"] = "application/json"
    for name, value in fields:
        key = _HEADER_FIELDS.get(name.lower())
        if key is not None:
            environ[key] = value
        else:
            query.append((name, value))
    environ["REQUEST_METHOD"] = method
    environ["QUERY_STRING"] = urlencode(query)
    # The new body is the decoded content, whose length is known.
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["CONTENT_LENGTH"] = str(form.size)
    environ["wsgi.input"] = form.content
