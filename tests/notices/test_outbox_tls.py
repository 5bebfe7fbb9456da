"""Mail over STARTTLS checks the relay's certificate and name before sending the password (SPEC §3 MAIL_USE_TLS).

A real aiosmtpd server on loopback that requires STARTTLS and a login,
with a certificate from a throwaway certificate authority: the worker
delivers when that authority is trusted (``SSL_CERT_FILE``, as OpenSSL
reads it), and when it isn't, nothing is sent, no password leaves the
process, and the message waits in the outbox for its retry.
Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.notices.test_outbox import book
from tests.notices.test_outbox_support import NOW, SmtpSink, free_port, outbox_rows, pair, run_worker  # noqa: F401  (fixture)

USERNAME, PASSWORD = "relay-user", "relay-password"


def _certificate(subject: str, issuer_key, issuer_name, public_key, *, ca: bool, names=()) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # Valid for years either side: OpenSSL checks it against the machine's clock, which a run with a
        # moved clock (--clock, any_instant) doesn't move.
        .not_valid_before(now - timedelta(days=3 * 365))
        .not_valid_after(now + timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False), critical=True)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tls_relay(tmp_path: Path):
    """(port, sink, ca_file, logins): an SMTP relay on 127.0.0.1 requiring STARTTLS, then AUTH."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test relay CA")])
    ca_cert = _certificate("Test relay CA", ca_key, ca_name, ca_key.public_key(), ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _certificate("127.0.0.1", ca_key, ca_name, server_key.public_key(), ca=False,
                               names=[x509.IPAddress(ip_address("127.0.0.1"))])
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.pem").write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.key").write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")

    logins: list[tuple[str, str]] = []

    def authenticate(_server, _session, _envelope, _mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=(auth_data.login, auth_data.password) == (USERNAME.encode(), PASSWORD.encode()))

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), tls_context=server_context,
                            require_starttls=True, authenticator=authenticate, auth_require_tls=True)
    controller.start()
    yield controller.port, sink, ca_file, logins
    controller.stop()


def relay_app(make_app, port: int):
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=True,
                    MAIL_USERNAME=USERNAME, MAIL_PASSWORD=PASSWORD)


def test_mail_goes_through_starttls_when_the_relays_certificate_is_trusted(make_app, pair, tls_relay, monkeypatch):
    port, sink, ca_file, logins = tls_relay
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    app = relay_app(make_app, port)
    volunteer, learner = pair
    book(app, learner, volunteer)
    assert run_worker(app) == 2
    assert len(sink.received) == 2
    assert logins == [(USERNAME, PASSWORD)]  # one connection, one login, after STARTTLS
    assert all(row.sent_at is not None for row in outbox_rows(app))


def test_an_untrusted_certificate_gets_neither_the_password_nor_the_mail(make_app, pair, tls_relay, monkeypatch):
    port, sink, _ca_file, logins = tls_relay
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system's authorities: they never signed this one
    app = relay_app(make_app, port)
    volunteer, learner = pair
    book(app, learner, volunteer)
    assert run_worker(app) == 0
    assert sink.received == [] and logins == []
    rows = outbox_rows(app)
    assert len(rows) == 2
    assert all(row.sent_at is None and row.attempts == 1 for row in rows)
    assert all("certificate" in (row.last_error or "").lower() for row in rows), [row.last_error for row in rows]
