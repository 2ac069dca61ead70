"""Mail over STARTTLS and implicit TLS, with a sign-in, to aiosmtpd with its own CA.

The relay's certificate is made here (cryptography), trusted through MAIL_CA_FILE; a
relay whose certificate is not trusted gets nothing, and a refused password is recorded
without the password.
"""

# ruff: noqa: F811  (the fixture imported from test_requirements is a parameter here)

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask

from accounts.models import User
from core.db import db
from portal import notices
from portal.notice_models import OutboxMessage
from tests.portal.mail_helpers import Sink, free_port
from tests.portal.test_requirements import org  # noqa: F401

# The implicit-TLS relay offers AUTH without STARTTLS (its connection is TLS already).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

PASSWORD = "relay-secret-7f3a"  # the test relay's


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test relay")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "relay.pem", directory / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _authenticate(
    _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == b"kompetens"
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


@pytest.fixture(params=["starttls", "ssl"])
def relay(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Iterator[Sink]:
    cert, key = _certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    sink, port = Sink(), free_port()
    options: dict[str, Any] = {
        "authenticator": _authenticate,
        "auth_required": True,
    }
    if request.param == "ssl":
        # aiosmtpd sees no STARTTLS on an implicit-TLS port: its AUTH is offered anyway.
        options["auth_require_tls"] = False
        controller = Controller(
            sink, hostname="127.0.0.1", port=port, ssl_context=server_context, **options
        )
    else:
        controller = Controller(
            sink,
            hostname="127.0.0.1",
            port=port,
            tls_context=server_context,
            require_starttls=True,
            **options,
        )
    saved = dict(app.config)
    app.config.update(
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=port,
        MAIL_TLS=request.param,
        MAIL_USER="kompetens",
        MAIL_PASSWORD=PASSWORD,
        MAIL_CA_FILE=str(cert),
    )
    controller.start()
    yield sink
    controller.stop()
    app.config.clear()
    app.config.update(saved)


def _message_to(app: Flask, user_id: int) -> int:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        (message_id,) = notices.store(
            [notices.Draft("reminder", "tls:1", user, {"what": "GDPR", "due": "2030-01-31"})]
        )
        db.session.commit()
        return message_id


def test_mail_goes_over_tls_with_a_sign_in(app, org, relay):
    message_id = _message_to(app, org["lea"])
    with app.app_context():
        assert notices.deliver(message_id) is True
    (message,) = relay.to("lea@example.org")
    assert message["Subject"] == "Påminnelse: GDPR ska vara klar senast 31 januari 2030"


def test_a_refused_password_is_recorded_without_it(app, org, relay):
    app.config["MAIL_PASSWORD"] = "wrong-" + PASSWORD
    message_id = _message_to(app, org["lea"])
    with app.app_context():
        with pytest.raises(Exception, match=r"535|Authentication"):
            notices.deliver(message_id)
        row = db.session.get(OutboxMessage, message_id)
        assert row is not None
        assert (row.status, row.attempts) == ("pending", 1)
        assert "SMTPAuthenticationError" in row.last_error
        assert PASSWORD not in row.last_error
    assert relay.received == []


def test_a_relay_with_an_untrusted_certificate_gets_nothing(app, org, relay):
    app.config["MAIL_CA_FILE"] = ""  # the system's CAs do not know the test relay's
    message_id = _message_to(app, org["lea"])
    with app.app_context(), pytest.raises(ssl.SSLCertVerificationError):
        notices.deliver(message_id)
    assert relay.received == []
