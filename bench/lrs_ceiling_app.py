"""The ceiling of a single statement POST: a bare Flask endpoint, no database (issue 12).

``lrs_load.py`` serves it with the same gunicorn settings as the service
(``gunicorn.conf.py``: worker class and connections; the Makefile's worker count) on a
port of its own, and sends it the same requests as ``post-single``.  It does only what
no LRS can skip: check HTTP Basic credentials against a constant (``CEILING_KEY`` and
``CEILING_SECRET``), parse the JSON body, answer one id per statement.  Nothing of the
service is imported, so whatever the LRS does beyond this shows up as the gap to it.
"""

from __future__ import annotations

import base64
import hmac
import os
import uuid

from flask import Flask, Response, abort, jsonify, request

app = Flask(__name__)
_KEY = os.environ.get("CEILING_KEY", "key")
_SECRET = os.environ.get("CEILING_SECRET", "secret")
_EXPECTED = "Basic " + base64.b64encode(f"{_KEY}:{_SECRET}".encode()).decode()


@app.post("/xapi/statements")
def post_statements() -> Response:
    """One id per statement of the body (a statement or a list)."""
    if not hmac.compare_digest(request.headers.get("Authorization", ""), _EXPECTED):
        abort(401)
    body = request.get_json()
    statements = body if isinstance(body, list) else [body]
    return jsonify([s.get("id") or str(uuid.uuid4()) for s in statements])
