"""Anyone holding a Plumbline PDF can check it without an account; issuing it is an audit event sealed by a signed
checkpoint."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from governance.core.audit import verify_chain
from governance.models import AuditEvent
from governance.reports import services
from tests.governance.test_reports import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(organisation, auditor, signing_key_file):
    report = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    return services.generate_report(report.pk)


@pytest.fixture
def signing_key_file(settings, tmp_path):
    from governance.core import signing

    settings.AUDIT_SIGNING_KEY = ""
    settings.VAR_DIR = str(tmp_path)
    signing.signing_key.cache_clear()
    yield
    signing.signing_key.cache_clear()


def test_issuing_a_report_is_an_audit_event_sealed_by_a_checkpoint(issued):
    event = AuditEvent.objects.get(action="report.issued", object_id=str(issued.pk))
    assert event.changes["sha256"] == [None, issued.sha256] and event.actor_label == "system"
    assert issued.issued_checkpoint is not None and issued.issued_checkpoint.sequence == event.sequence
    assert verify_chain() == []


def test_the_pdf_says_where_to_verify_it(issued, settings):
    text, _ = pdf_text(issued.file.read())
    assert f"{settings.SITE_URL}/verify/" in "".join(text.split())


def test_anyone_can_verify_a_pdf_without_an_account_and_learns_only_what_it_is(client, issued):
    issued.file.open("rb")
    content = issued.file.read()
    response = client.post(reverse("public-verify"), {"file": SimpleUploadedFile("r.pdf", content)})
    html = response.content.decode()
    assert response.status_code == 200 and "Issued by Plumbline" in html
    assert issued.title in html and f"#{issued.pk}" in html and issued.organisation.name in html
    assert f"#{issued.issued_checkpoint.sequence}, signed by key" in html
    assert issued.issued_checkpoint.hash in html  # for --expect-checkpoint against an evidence bundle
    assert issued.requested_by.get_username() not in html  # who asked for it is not revealed
    by_hash = client.post(reverse("public-verify"), {"sha256": hashlib.sha256(content).hexdigest().upper()})
    assert "Issued by Plumbline" in by_hash.content.decode()


def test_a_changed_file_or_unknown_hash_is_not_issued(client, issued):
    changed = client.post(
        reverse("public-verify"), {"file": SimpleUploadedFile("r.pdf", b"%PDF-1.7 changed")}
    )
    assert "issued no report with this content" in changed.content.decode()
    bad = client.post(reverse("public-verify"), {"sha256": "not-a-hash"})
    assert bad.status_code == 400 and "64 hexadecimal digits" in bad.content.decode()
    empty = client.post(reverse("public-verify"), {})
    assert empty.status_code == 400 and "Upload the PDF or paste its SHA-256" in empty.content.decode()


def test_verification_is_rate_limited_per_address(client, settings, db):
    settings.PUBLIC_VERIFY_RATE = "2/h"
    for _ in range(2):
        assert client.post(reverse("public-verify"), {"sha256": "0" * 64}).status_code == 200
    limited = client.post(reverse("public-verify"), {"sha256": "0" * 64})
    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
