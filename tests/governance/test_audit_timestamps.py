"""Optional external anchoring: checkpoints timestamped by an RFC 3161 authority (here OpenSSL's own TSA, started
by the test on 127.0.0.1; never the network)."""

import hashlib
import logging
import socket
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from governance.core import timestamping
from governance.core.audit import checkpoint_payload, record_event, verify_chain, write_checkpoint
from governance.models import AuditCheckpoint, BusinessUnit
from governance.models.actions import GovernanceAction
from tests.governance.audit_helpers import tamper

OPENSSL = "/usr/bin/openssl"

TSA_CONFIG = """\
[ tsa ]
default_tsa = test_tsa

[ test_tsa ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.4146.2.3
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        ).add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _throwaway_ca(directory: Path, name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate(name, key, name, key, ca=True)
    (directory / "ca.pem").write_bytes(_pem(certificate))
    return certificate, key


@pytest.fixture
def tsa(tmp_path):
    """OpenSSL's TSA (``openssl ts -reply``) behind http.server on a free local port, with a throwaway CA and a TSA
    certificate (extendedKeyUsage critical timeStamping) it issued. Yields the URL; ``tsa.ca_file`` is the CA."""
    directory = tmp_path / "tsa"
    directory.mkdir()
    ca, ca_key = _throwaway_ca(directory, "Plumbline Test TSA Root")
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    (directory / "tsa.key").write_bytes(
        tsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    tsa_certificate = _certificate("Plumbline Test TSA", tsa_key, "Plumbline Test TSA Root", ca_key, ca=False)
    (directory / "tsa.pem").write_bytes(_pem(tsa_certificate))
    (directory / "serial").write_text("01\n")
    # The response carries the TSA's certificate only (cert_req); the CA comes from AUDIT_TIMESTAMP_CA_FILE. With
    # "certs =" OpenSSL would add the chain in a SET OF not in DER order, which rfc3161-client's parser refuses.
    config = directory / "tsa.cnf"
    config.write_text(TSA_CONFIG.format(dir=directory))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers["Content-Type"] != "application/timestamp-query":
                self.send_error(415)
                return
            reply = subprocess.run(
                [
                    OPENSSL,
                    "ts",
                    "-reply",
                    "-config",
                    str(config),
                    "-queryfile",
                    "/dev/stdin",
                    "-out",
                    "/dev/stdout",
                ],
                input=query,
                capture_output=True,
                check=True,
            ).stdout
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format, *args):
            pass

    # One request at a time, as OpenSSL's serial file wants.
    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    yield type("TSA", (), {"url": url, "ca_file": directory / "ca.pem", "root": ca})
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def timestamped(settings, tsa, signing_key_file):
    settings.AUDIT_TIMESTAMP_URL = tsa.url
    settings.AUDIT_TIMESTAMP_CA_FILE = str(tsa.ca_file)
    return tsa


def _event(organisation, actor, name: str = "Treasury"):
    unit = BusinessUnit.objects.create(organisation=organisation, name=name)
    return record_event(
        organisation=organisation, actor=actor, action=GovernanceAction.MODEL_CREATE, obj=unit
    )


def test_a_checkpoint_is_timestamped_by_the_tsa_and_verifies(organisation, admin_user_member, timestamped):
    _event(organisation, admin_user_member)
    checkpoint = AuditCheckpoint.objects.get(pk=write_checkpoint(organisation).pk)

    token = bytes(checkpoint.timestamp_token)
    digest = hashlib.sha256(checkpoint_payload(checkpoint)).digest()
    assert digest == bytes.fromhex(checkpoint.hash)
    gen_time = timestamping.verify_token(token, digest, timestamped.ca_file.read_bytes())
    assert abs(gen_time - datetime.now(UTC)) < timedelta(minutes=1)
    assert checkpoint.timestamped_at == gen_time == timestamping.token_gen_time(token)
    assert verify_chain() == []


def test_a_token_from_another_tsa_does_not_verify_against_the_configured_ca(
    organisation, admin_user_member, timestamped, tmp_path
):
    _event(organisation, admin_user_member)
    checkpoint = write_checkpoint(organisation)
    other = tmp_path / "other"
    other.mkdir()
    _throwaway_ca(other, "Plumbline Test TSA Root")  # the same name, another key

    digest = bytes.fromhex(checkpoint.hash)
    with pytest.raises(timestamping.TimestampError, match="does not verify"):
        timestamping.verify_token(bytes(checkpoint.timestamp_token), digest, (other / "ca.pem").read_bytes())
    # Without a CA file only the digest is checked, and it matches.
    assert (
        timestamping.verify_token(bytes(checkpoint.timestamp_token), digest, None)
        == checkpoint.timestamped_at
    )


def test_a_token_swapped_from_another_checkpoint_is_reported(organisation, admin_user_member, timestamped):
    _event(organisation, admin_user_member)
    first = write_checkpoint(organisation)
    _event(organisation, admin_user_member, name="Markets")
    second = write_checkpoint(organisation)
    tamper(
        "UPDATE governance_auditcheckpoint SET timestamp_token = %s, timestamped_at = %s WHERE id = %s",
        [bytes(first.timestamp_token), first.timestamped_at, second.pk],
    )

    problems = [str(problem) for problem in verify_chain()]
    assert len(problems) == 1, problems
    assert f"checkpoint #{second.pk}: its RFC 3161 timestamp does not cover it" in problems[0]


def test_a_tsa_that_is_down_costs_the_token_not_the_checkpoint(
    organisation, admin_user_member, settings, signing_key_file, caplog
):
    with socket.socket() as probe:  # a port nobody listens on once this closes
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.AUDIT_TIMESTAMP_URL = f"http://127.0.0.1:{closed_port}/tsa"
    _event(organisation, admin_user_member)

    with caplog.at_level(logging.WARNING, logger="governance.core.audit"):
        checkpoint = write_checkpoint(organisation)

    saved = AuditCheckpoint.objects.get(pk=checkpoint.pk)
    assert saved.sequence == 1
    assert saved.timestamp_token is None and saved.timestamped_at is None
    assert "without an RFC 3161 timestamp" in caplog.text and str(closed_port) in caplog.text
    assert verify_chain() == []


def test_without_a_tsa_nothing_is_asked_and_nothing_changes(
    organisation, admin_user_member, settings, signing_key_file
):
    assert settings.AUDIT_TIMESTAMP_URL == ""
    _event(organisation, admin_user_member)
    checkpoint = AuditCheckpoint.objects.get(pk=write_checkpoint(organisation).pk)

    assert checkpoint.timestamp_token is None and checkpoint.timestamped_at is None
    assert checkpoint.hash == hashlib.sha256(checkpoint_payload(checkpoint)).hexdigest()
    assert verify_chain() == []


def test_an_exported_token_verifies_with_openssl_alone(
    organisation, admin_user_member, timestamped, tmp_path
):
    """What README's "For auditors" tells an auditor to do with a checkpoint's token from an evidence bundle."""
    import base64
    import io
    import json
    import zipfile

    from governance.services.audit_bundles import write_audit_bundle

    _event(organisation, admin_user_member)
    write_checkpoint(organisation)
    buffer = io.BytesIO()
    write_audit_bundle(buffer, organisation=organisation)
    with zipfile.ZipFile(buffer) as bundle:
        (checkpoint,) = [json.loads(line) for line in bundle.read("checkpoints.jsonl").splitlines()]
    token = tmp_path / "checkpoint.tsr"
    token.write_bytes(base64.b64decode(checkpoint["timestamp_token"]))
    command = [OPENSSL, "ts", "-verify", "-digest", checkpoint["hash"], "-in", str(token)]
    verified = subprocess.run([*command, "-CAfile", str(timestamped.ca_file)], capture_output=True, text=True)
    assert verified.returncode == 0 and "Verification: OK" in verified.stdout, verified.stderr
    other = subprocess.run(
        [
            OPENSSL,
            "ts",
            "-verify",
            "-digest",
            "00" * 32,
            "-in",
            str(token),
            "-CAfile",
            str(timestamped.ca_file),
        ],
        capture_output=True,
        text=True,
    )
    assert other.returncode != 0
