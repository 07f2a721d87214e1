"""RFC 3161 timestamps of audit checkpoints: optional external anchoring (the ``rfc3161-client`` library).

When ``AUDIT_TIMESTAMP_URL`` names a time-stamping authority (TSA), each checkpoint's hash is sent to it before the
checkpoint is saved, and the TSA's token is kept with the checkpoint: a third party's signed statement that the
checkpoint existed at the token's genTime, which even the holder of our signing key cannot forge or backdate.

A token here is the TSA's whole DER ``TimeStampResp`` (its status and the ``TimeStampToken``), as the TSA sent it:
the form this library parses, and ``openssl ts -reply -in FILE -text`` / ``openssl ts -verify -in FILE`` read.
Its message imprint is the SHA-256 of the checkpoint's signed payload, that is ``bytes.fromhex(checkpoint.hash)``.
"""

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

SHA256_OID = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")


class TimestampError(Exception):
    """A TSA that could not be reached or refused, or a token that does not cover what it should."""


def request_token(data: bytes, *, url: str, timeout: float) -> bytes:
    """Ask the TSA at ``url`` to timestamp SHA-256(``data``); its DER answer, checked to grant this very request
    (the nonce we sent) and to cover that digest.

    The library hashes what it is given, so this takes the checkpoint's payload rather than its digest.
    """
    request = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    try:
        answer = requests.post(
            url,
            data=request.as_bytes(),
            headers={"Content-Type": "application/timestamp-query"},
            timeout=timeout,
        )
    except requests.RequestException as error:
        raise TimestampError(f"the time-stamping authority at {url} could not be reached: {error}") from error
    if answer.status_code != 200:
        raise TimestampError(f"the time-stamping authority at {url} answered HTTP {answer.status_code}")
    token = answer.content
    response = _granted(token)
    if response.tst_info.nonce != request.nonce:
        raise TimestampError("the time-stamping authority's token answers another request (nonce mismatch)")
    _check_imprint(response, hashlib.sha256(data).digest())
    return token


def verify_token(token: bytes, digest: bytes, ca_pem: bytes | None) -> datetime:
    """The token's genTime, once it is shown to cover ``digest`` (a SHA-256) and, given the TSA's certificates
    (``ca_pem``: every certificate in it is trusted), to be signed by a time-stamping certificate they issued.
    Raises TimestampError otherwise."""
    response = _granted(token)
    _check_imprint(response, digest)
    if ca_pem is not None:
        try:
            builder = VerifierBuilder()
            for certificate in _unique(x509.load_pem_x509_certificates(ca_pem)):
                builder = builder.add_root_certificate(certificate)
            builder.build().verify(response, digest)
        except (VerificationError, ValueError) as error:
            raise TimestampError(
                f"its signature does not verify against the TSA's certificates: {error}"
            ) from error
    return _gen_time(response)


def token_gen_time(token: bytes) -> datetime:
    """When the TSA says it timestamped the token (genTime, aware UTC); nothing verified."""
    return _gen_time(_granted(token))


def trusted_ca_pem() -> bytes | None:
    """The certificates of ``AUDIT_TIMESTAMP_CA_FILE``, or None when it is not set."""
    path = settings.AUDIT_TIMESTAMP_CA_FILE
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ImproperlyConfigured(f"AUDIT_TIMESTAMP_CA_FILE {path} cannot be read: {error}") from error


def _granted(token: bytes) -> TimeStampResponse:
    try:
        response = decode_timestamp_response(token)
    except ValueError as error:
        raise TimestampError(f"not an RFC 3161 timestamp response: {error}") from error
    if response.status != PKIStatus.GRANTED:
        reason = "; ".join(response.status_string) or f"status {response.status}"
        raise TimestampError(f"the time-stamping authority did not grant the timestamp: {reason}")
    return response


def _check_imprint(response: TimeStampResponse, digest: bytes) -> None:
    imprint = response.tst_info.message_imprint
    if imprint.hash_algorithm != SHA256_OID or imprint.message != digest:
        raise TimestampError("the token timestamps another digest")


def _gen_time(response: TimeStampResponse) -> datetime:
    gen_time = response.tst_info.gen_time
    return gen_time if gen_time.tzinfo else gen_time.replace(tzinfo=UTC)


def _unique(certificates: list[x509.Certificate]) -> list[x509.Certificate]:
    # The library refuses the same root twice; a chain file may repeat one.
    return list(
        {certificate.public_bytes(Encoding.DER): certificate for certificate in certificates}.values()
    )
