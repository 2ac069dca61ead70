"""``flask bootstrap`` and ``flask users ...``: secrets are printed once and stored nowhere."""

from __future__ import annotations

import re
from pathlib import Path

from core.db import db
from tests.conftest import basic, match
from tests.portal.conftest import sign_in

PASSWORD_LINE = re.compile(r"admin@example\.org\s+password: (\S+)")
LRS_LINE = re.compile(r"key (\S+)\s+secret (\S+)")


def _files_holding(root: Path, *secrets: str) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_size < 10_000_000:
            data = path.read_bytes()
            if any(s.encode() in data for s in secrets):
                found.append(path)
    return found


def test_portal_bootstrap_prints_the_secrets_once_and_stores_them_nowhere(app, runner, client):
    first = runner.invoke(args=["bootstrap"])
    assert first.exit_code == 0, first.output
    password = match(PASSWORD_LINE, first.output).group(1)
    key, secret = match(LRS_LINE, first.output).groups()
    instance = Path(app.config["INSTANCE_PATH"])
    assert not (instance / "first-run.json").exists()
    assert _files_holding(instance, password, secret) == []

    again = runner.invoke(args=["bootstrap"])
    assert again.exit_code == 0, again.output
    assert password not in again.output
    assert secret not in again.output
    assert "users reset-password" in again.output
    assert "credentials create" in again.output

    # What was printed works.
    assert sign_in(client, "admin@example.org", password).status_code == 302
    response = client.get(
        "/xapi/statements",
        headers={"Authorization": basic(key, secret), "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 200


def test_portal_bootstrap_removes_an_old_first_run_file(app, runner):
    path = Path(app.config["INSTANCE_PATH"]) / "first-run.json"
    path.write_text('{"admin": {"email": "admin@example.org", "password": "old-secret"}}')
    try:
        result = runner.invoke(args=["bootstrap"])
        assert result.exit_code == 0, result.output
        assert not path.exists()
        assert "old-secret" not in result.output
    finally:
        path.unlink(missing_ok=True)


def test_portal_cli_reset_password_prints_a_new_one_once(app, runner, portal, client):
    portal.user("lea@example.org", password="correct horse")
    with app.app_context():
        from sqlalchemy import update

        from accounts.models import User

        db.session.execute(update(User).values(failed_logins=3))
        db.session.commit()
    result = runner.invoke(args=["users", "reset-password", "LEA@example.org"])
    assert result.exit_code == 0, result.output
    password = match(r"new password: (\S+)", result.output).group(1)
    assert len(password) >= 12
    assert sign_in(client, "lea@example.org", "correct horse").status_code == 401
    assert sign_in(client, "lea@example.org", password).status_code == 302


def test_portal_cli_reset_password_takes_a_given_password(runner, portal, client):
    portal.user("lea@example.org")
    result = runner.invoke(
        args=["users", "reset-password", "lea@example.org", "--password", "chosen one!"]
    )
    assert result.exit_code == 0, result.output
    assert "chosen one!" not in result.output
    assert sign_in(client, "lea@example.org", "chosen one!").status_code == 302


def test_portal_cli_reset_password_refusals(runner, portal):
    portal.user("lea@example.org")
    unknown = runner.invoke(args=["users", "reset-password", "nobody@example.org"])
    assert unknown.exit_code != 0
    assert "No account" in unknown.output
    short = runner.invoke(args=["users", "reset-password", "lea@example.org", "--password", "x"])
    assert short.exit_code != 0
    assert "at least 8 characters" in short.output
