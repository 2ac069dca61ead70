"""scim2-tester (the python-scim project's SCIM 2.0 conformance checks) against the live
server, through scim2-client over HTTP: every check passes or is skipped."""

from __future__ import annotations

import logging

import httpx2
from flask.testing import FlaskCliRunner
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.scim.conftest import make_token


def test_scim_conformance_scim2_tester_finds_no_error(
    live_url: str, runner: FlaskCliRunner
) -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    token = make_token(runner)
    with httpx2.Client(
        base_url=f"{live_url}/scim/v2", headers={"Authorization": f"Bearer {token}"}
    ) as http:
        results = check_server(SyncSCIMClient(http))
    failed = [
        f"{r.title} [{r.resource_type}]: {r.reason}"
        for r in results
        if r.status not in (Status.SUCCESS, Status.SKIPPED, Status.COMPLIANT, Status.ACCEPTABLE)
    ]
    assert results
    assert failed == [], "\n".join(failed)
