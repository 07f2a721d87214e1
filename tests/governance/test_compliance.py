"""Compliance records: services (validation, evidence limits, audit), coverage math, pages, API, role and tenant
denials, evidence downloads and query-count bounds."""

import hashlib
import io
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfWriter

from governance.compliance_catalogue import load_framework
from governance.models import (
    AIModel,
    AuditEvent,
    ComplianceRecord,
    ComplianceStatus,
    Framework,
    LifecycleStage,
    Requirement,
)
from governance.selectors import compliance as selectors
from governance.selectors.compliance import Coverage, coverage
from governance.services import compliance as services
from tests.governance.inventory_factories import AIModelFactory

C, P, N, NA, NOT = (
    ComplianceStatus.COMPLIANT,
    ComplianceStatus.PARTIAL,
    ComplianceStatus.NON_COMPLIANT,
    ComplianceStatus.NOT_APPLICABLE,
    ComplianceStatus.NOT_ASSESSED,
)
LINK = "https://dms.example.com/evidence/1"
# session, user, memberships + the page's own reads (constant in the number of models and records).
OVERVIEW_QUERIES = 7  # + frameworks with requirements, models, records, the Annex IV panel's high-risk models
# + framework, frameworks menu, requirements, figures (models per rule group, records by status), the page's
# models and their records
FRAMEWORK_QUERIES = 10
MODEL_QUERIES = 9  # + model, framework, requirements, records, summary (requirements, records)
API_LIST_QUERIES = 5  # token, its last use (written at most once a minute), memberships, count, page


# --- Real small files --------------------------------------------------------------------------------------


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def ooxml_bytes(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(main_part, '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- Fixtures ----------------------------------------------------------------------------------------------


# ``frameworks`` (the catalogue loaded) and ``high_risk`` come from tests/governance/conftest.py.


@pytest.fixture
def vendor_model(organisation, model_owner):
    return AIModelFactory(
        organisation=organisation,
        owner=model_owner,
        name="KYC document OCR",
        eu_ai_act_category="minimal",
        third_party=True,
        vendor="OCR Corp",
        lifecycle_stage=LifecycleStage.PRODUCTION,
    )


@pytest.fixture
def foreign_model(other_organisation, outsider):
    return AIModelFactory(
        organisation=other_organisation, owner=outsider, name="Foreign model", eu_ai_act_category="high_risk"
    )


def req(framework: Framework, ref: str) -> Requirement:
    return framework.requirements.get(ref=ref)


def future(days: int = 90):
    return timezone.localdate() + timedelta(days=days)


def record(actor, model, requirement, status=C, **kwargs) -> ComplianceRecord:
    defaults = {
        "evidence_link": LINK if status == C else "",
        "notes": "Gap noted." if status in (P, N) else "",
    }
    if status == NA:
        defaults["not_applicable_reason"] = "Out of scope for this model."
    return services.update_record(
        actor=actor, model=model, requirement=requirement, status=status, **{**defaults, **kwargs}
    )


# --- Applicability and coverage ------------------------------------------------------------------------------


def test_applicable_requirements_follow_the_rules(frameworks, high_risk, vendor_model):
    eu, sr = frameworks["eu-ai-act"], frameworks["sr-11-7"]
    high_refs = {r.ref for r in services.applicable_requirements(high_risk, eu)}
    assert {"Art. 9", "Art. 14", "Art. 17", "Art. 27", "Art. 50", "Art. 5"} <= high_refs
    vendor_refs = {r.ref for r in services.applicable_requirements(vendor_model, eu)}
    assert vendor_refs == {"Art. 4", "Art. 5", "Art. 6"}
    # Vendor-model expectations of SR 11-7 only for third-party models.
    assert "V.6" in {r.ref for r in services.applicable_requirements(vendor_model, sr)}
    assert "V.6" not in {r.ref for r in services.applicable_requirements(high_risk, sr)}
    high_risk.third_party = True
    assert "Art. 17" not in {r.ref for r in services.applicable_requirements(high_risk, eu)}


def test_coverage_math_by_hand():
    cov = coverage([C, C, C, P, P, N, NOT, NOT, NA, NA])
    assert cov == Coverage(compliant=3, partial=2, non_compliant=1, not_assessed=2, not_applicable=2)
    # (3 + 0.5 * 2) / (10 - 2) = 4 / 8
    assert (cov.total, cov.in_scope, cov.assessed, cov.percent) == (10, 8, 8, 50.0)
    assert coverage([C, P, N]).percent == 50.0
    assert coverage([C, C, NOT]).percent == pytest.approx(66.7)
    assert coverage([]).percent is None
    assert coverage([NA, NA]).percent is None
    assert (coverage([C]) + coverage([N, NA])).percent == 50.0


def test_review_state():
    today = timezone.localdate()
    assert selectors.review_state(None, today) == ""
    assert selectors.review_state(today - timedelta(days=1), today) == "overdue"
    assert selectors.review_state(today, today) == "due"
    assert selectors.review_state(today + timedelta(days=selectors.REVIEW_DUE_SOON_DAYS), today) == "due"
    assert selectors.review_state(today + timedelta(days=selectors.REVIEW_DUE_SOON_DAYS + 1), today) == ""


# --- Services ------------------------------------------------------------------------------------------------


def test_update_record_creates_then_updates_with_audit(frameworks, high_risk, risk_officer):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    created = record(
        risk_officer, high_risk, art9, P, notes="Residual risk not signed off.", next_review_due=future()
    )
    assert created.reviewer == risk_officer and created.reviewed_at is not None
    assert created.organisation_id == high_risk.organisation_id
    event = AuditEvent.objects.get(action="compliance.create")
    assert event.object_id == str(created.pk)
    assert event.changes["status"] == [None, "partial"]

    updated = record(risk_officer, high_risk, art9, C, evidence_link=LINK)
    assert updated.pk == created.pk
    assert ComplianceRecord.objects.count() == 1
    event = AuditEvent.objects.get(action="compliance.update")
    assert event.changes["status"] == ["partial", "compliant"]
    assert event.changes["evidence_link"] == ["", LINK]


@pytest.mark.parametrize(
    ("status", "kwargs", "field"),
    [
        (NA, {"not_applicable_reason": ""}, "not_applicable_reason"),
        (C, {"evidence_link": ""}, "evidence_link"),
        (C, {"evidence_link": ""}, "evidence_file"),
        (P, {"notes": ""}, "notes"),
        (N, {"notes": "  "}, "notes"),
        (C, {"evidence_link": "ftp://files.example.com/x"}, "evidence_link"),
        (C, {"next_review_due": timezone.localdate() - timedelta(days=1)}, "next_review_due"),
        ("bogus", {}, "status"),
    ],
)
def test_invalid_reviews_are_refused_and_nothing_is_saved(
    frameworks, high_risk, risk_officer, status, kwargs, field
):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    with pytest.raises(ValidationError) as excinfo:
        record(risk_officer, high_risk, art9, status, **kwargs)
    assert field in excinfo.value.message_dict
    assert ComplianceRecord.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="compliance.").exists()


def test_not_applicable_reason_is_kept_only_for_not_applicable(frameworks, high_risk, risk_officer):
    art50 = req(frameworks["eu-ai-act"], "Art. 50")
    saved = record(risk_officer, high_risk, art50, NA, not_applicable_reason="No interaction with people.")
    assert saved.not_applicable_reason == "No interaction with people."
    saved = record(risk_officer, high_risk, art50, C, not_applicable_reason="stale")
    assert saved.not_applicable_reason == ""


def test_requirement_must_apply_to_the_model_and_be_current(
    frameworks, vendor_model, high_risk, risk_officer, tmp_path
):
    with pytest.raises(ValidationError) as excinfo:
        record(risk_officer, vendor_model, req(frameworks["eu-ai-act"], "Art. 9"))
    assert "does not apply" in str(excinfo.value.message_dict["requirement"])
    # A superseded version cannot be recorded against.
    eu = frameworks["eu-ai-act"]
    old_art4 = req(eu, "Art. 4")
    Framework.objects.filter(pk=eu.pk).update(is_current=False)
    with pytest.raises(ValidationError) as excinfo:
        record(risk_officer, high_risk, Requirement.objects.select_related("framework").get(pk=old_art4.pk))
    assert "superseded" in str(excinfo.value.message_dict["requirement"])


def test_retired_models_are_out_of_scope(frameworks, high_risk, risk_officer, login):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    record(risk_officer, high_risk, art9, C)
    high_risk.lifecycle_stage = LifecycleStage.RETIRED
    high_risk.save()
    client = login(risk_officer)
    body = client.get(
        reverse("governance:compliance-model", args=[high_risk.pk, "eu-ai-act"])
    ).content.decode()
    assert (
        "retired" in body
        and reverse("governance:compliance-record-edit", args=[high_risk.pk, art9.pk]) not in body
    )
    assert (
        client.get(reverse("governance:compliance-record-edit", args=[high_risk.pk, art9.pk])).status_code
        == 404
    )
    with pytest.raises(ValidationError) as excinfo:
        record(risk_officer, high_risk, req(frameworks["sr-11-7"], "IV.1"))
    assert "model" in excinfo.value.message_dict
    assert selectors.model_summary(high_risk) == []


def test_roles_and_tenancy_are_enforced(
    frameworks, high_risk, auditor, model_owner, executive, outsider, admin_user_member
):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    for user in (auditor, model_owner, executive):
        with pytest.raises(PermissionDenied):
            record(user, high_risk, art9)
    with pytest.raises(Http404):
        record(outsider, high_risk, art9)
    assert ComplianceRecord.objects.count() == 0
    assert record(admin_user_member, high_risk, art9).pk


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("validation-report.pdf", pdf_bytes()),
        ("screenshot.png", image_bytes("PNG")),
        ("photo.jpg", image_bytes("JPEG")),
        ("photo.jpeg", image_bytes("JPEG")),
        ("minutes.docx", ooxml_bytes("word/document.xml")),
        ("backtest.xlsx", ooxml_bytes("xl/workbook.xml")),
        ("results.csv", b"month,gini\n2025-01,0.61\n"),
        ("notes.txt", "Überprüft am 1. März.\n".encode()),
        ("README.md", b"# Evidence\n\nAll good.\n"),
    ],
)
def test_accepted_evidence_files_are_stored_with_their_hash(
    frameworks, high_risk, risk_officer, settings, name, content
):
    saved = record(
        risk_officer,
        high_risk,
        req(frameworks["eu-ai-act"], "Art. 11"),
        C,
        evidence_link="",
        evidence_file=upload(name, content),
    )
    assert saved.evidence_sha256 == hashlib.sha256(content).hexdigest()
    assert Path(saved.evidence_file.path).read_bytes() == content
    assert Path(saved.evidence_file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    assert (
        AuditEvent.objects.get(action="compliance.create").changes["evidence_sha256"][1]
        == saved.evidence_sha256
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", "not accepted"),
        ("report.pdf", image_bytes("PNG"), "not a valid .pdf"),
        ("screenshot.png", pdf_bytes(), "not a valid .png"),
        ("photo.jpg", image_bytes("PNG"), "not a valid .jpg"),
        ("minutes.docx", ooxml_bytes("xl/workbook.xml"), "not a valid .docx"),
        ("backtest.xlsx", b"PK\x03\x04 not really a zip", "not a valid .xlsx"),
        ("notes.txt", b"binary\x00data", "not a valid .txt"),
        ("notes.csv", b"\xff\xfe\xfa", "not a valid .csv"),
        ("empty.pdf", b"", "empty"),
        # Right first bytes, wrong file: a "PDF" that goes on as a web page, an image cut short.
        ("report.pdf", b"%PDF-1.7\n<html><script>alert(1)</script></html>", "not a valid .pdf"),
        ("screenshot.png", image_bytes("PNG")[:40], "not a valid .png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0<html></html>", "not a valid .jpg"),
    ],
)
def test_rejected_evidence_files(frameworks, high_risk, risk_officer, settings, name, content, message):
    with pytest.raises(ValidationError) as excinfo:
        record(
            risk_officer,
            high_risk,
            req(frameworks["eu-ai-act"], "Art. 11"),
            C,
            evidence_link="",
            evidence_file=upload(name, content),
        )
    assert message in " ".join(excinfo.value.message_dict["evidence_file"])
    assert ComplianceRecord.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_evidence_size_limit_comes_from_settings(frameworks, high_risk, risk_officer, settings):
    settings.COMPLIANCE_EVIDENCE_MAX_BYTES = 1024
    art11 = req(frameworks["eu-ai-act"], "Art. 11")
    with pytest.raises(ValidationError) as excinfo:
        record(risk_officer, high_risk, art11, C, evidence_file=upload("big.txt", b"x" * 1025))
    assert "limit is 1,024 bytes" in " ".join(excinfo.value.message_dict["evidence_file"])
    assert record(
        risk_officer, high_risk, art11, C, evidence_file=upload("ok.txt", b"x" * 1024)
    ).evidence_file
    assert services.evidence_max_bytes() == 1024
    del settings.COMPLIANCE_EVIDENCE_MAX_BYTES
    assert services.evidence_max_bytes() == 10 * 1024 * 1024


def test_replacing_and_removing_evidence_keeps_old_files(frameworks, high_risk, risk_officer):
    art11 = req(frameworks["eu-ai-act"], "Art. 11")
    first = record(risk_officer, high_risk, art11, C, evidence_file=upload("v1.txt", b"first"))
    first_path = Path(first.evidence_file.path)
    second = record(risk_officer, high_risk, art11, C, evidence_file=upload("v2.txt", b"second"))
    assert first_path.exists()  # the audit trail still names it
    assert second.evidence_sha256 == hashlib.sha256(b"second").hexdigest()
    # Keeping the stored file counts as evidence for compliant.
    kept = record(risk_officer, high_risk, art11, C, evidence_link="")
    assert kept.evidence_file.name == second.evidence_file.name
    with pytest.raises(ValidationError):
        record(risk_officer, high_risk, art11, C, evidence_link="", clear_evidence_file=True)
    cleared = record(risk_officer, high_risk, art11, P, clear_evidence_file=True)
    assert not cleared.evidence_file and cleared.evidence_sha256 == ""


def test_delete_record_is_audited(frameworks, high_risk, risk_officer, auditor):
    saved = record(risk_officer, high_risk, req(frameworks["sr-11-7"], "IV.1"))
    with pytest.raises(PermissionDenied):
        services.delete_record(actor=auditor, record=saved)
    services.delete_record(actor=risk_officer, record=saved)
    assert not ComplianceRecord.objects.exists()
    event = AuditEvent.objects.get(action="compliance.delete")
    assert event.changes["status"] == ["compliant", None]


# --- Selectors -----------------------------------------------------------------------------------------------


def test_model_matrix_and_summary(frameworks, high_risk, risk_officer):
    eu = frameworks["eu-ai-act"]
    applicable = services.applicable_requirements(high_risk, eu)
    record(risk_officer, high_risk, req(eu, "Art. 9"), C)
    record(risk_officer, high_risk, req(eu, "Art. 10"), P)
    record(risk_officer, high_risk, req(eu, "Art. 15"), N)
    record(risk_officer, high_risk, req(eu, "Art. 50"), NA)
    matrix = selectors.model_matrix(high_risk, eu)
    assert [c.requirement.ref for c in matrix.cells] == [r.ref for r in applicable]
    n = len(applicable)
    assert matrix.coverage.not_assessed == n - 4
    assert matrix.coverage.percent == round(100 * 1.5 / (n - 1), 1)
    by_ref = {c.requirement.ref: c for c in matrix.cells}
    assert (
        by_ref["Art. 9"].status == C and by_ref["Art. 11"].status == NOT and by_ref["Art. 11"].record is None
    )
    summary = {s.framework.key: s for s in selectors.model_summary(high_risk)}
    assert summary["eu-ai-act"].coverage == matrix.coverage
    assert summary["sr-11-7"].coverage.percent == 0.0
    assert set(summary) == {"eu-ai-act", "nist-ai-rmf", "iso-iec-42001", "sr-11-7"}


def test_framework_matrix_across_the_inventory(
    frameworks, organisation, high_risk, vendor_model, foreign_model, risk_officer, model_owner, outsider
):
    eu = frameworks["eu-ai-act"]
    retired = AIModelFactory(
        organisation=organisation, owner=model_owner, lifecycle_stage=LifecycleStage.RETIRED
    )
    record(risk_officer, high_risk, req(eu, "Art. 9"), C)
    record(risk_officer, vendor_model, req(eu, "Art. 5"), P)
    record(outsider, foreign_model, req(eu, "Art. 9"), N)
    record(risk_officer, high_risk, req(eu, "Art. 12"), C, next_review_due=future(10))
    ComplianceRecord.objects.filter(requirement__ref="Art. 12").update(next_review_due=future(-3))

    matrix = selectors.framework_matrix(organisation, eu)
    assert [row.model for row in matrix.rows] == [
        vendor_model,
        high_risk,
    ]  # by name; retired and foreign left out
    assert retired not in [row.model for row in matrix.rows]
    vendor_row = matrix.rows[0]
    columns = [r.ref for r in matrix.requirements]
    assert vendor_row.cells[columns.index("Art. 9")] is None  # does not apply
    assert vendor_row.cells[columns.index("Art. 5")].status == P
    assert vendor_row.coverage.percent == round(100 * 0.5 / 3, 1)
    assert matrix.rows[1].overdue == 1 and matrix.overdue == 1
    assert matrix.coverage == matrix.rows[0].coverage + matrix.rows[1].coverage
    assert matrix.coverage.non_compliant == 0  # the other organisation's failure does not count
    assert sum(span for _, span in matrix.sections) == len(matrix.requirements)


def test_compliance_overview_numbers(frameworks, organisation, high_risk, vendor_model, risk_officer):
    eu = frameworks["eu-ai-act"]
    record(risk_officer, high_risk, req(eu, "Art. 9"), N, next_review_due=future(5))
    record(risk_officer, vendor_model, req(eu, "Art. 5"), C)
    summaries = {s.framework.key: s for s in selectors.compliance_overview(organisation)}
    assert set(summaries) == {"eu-ai-act", "nist-ai-rmf", "iso-iec-42001", "sr-11-7"}
    eu_summary = summaries["eu-ai-act"]
    total = len(services.applicable_requirements(high_risk, eu)) + 3
    assert eu_summary.models_in_scope == 2
    assert eu_summary.coverage.total == total
    assert eu_summary.coverage.percent == round(100 / total, 1)
    assert (eu_summary.non_compliant, eu_summary.due_soon, eu_summary.overdue) == (1, 1, 0)
    assert summaries["sr-11-7"].coverage.percent == 0.0


# --- Pages ---------------------------------------------------------------------------------------------------


def test_overview_and_framework_pages(frameworks, login, auditor, high_risk, risk_officer):
    record(risk_officer, high_risk, req(frameworks["eu-ai-act"], "Art. 9"), C)
    client = login(auditor)
    response = client.get(reverse("governance:compliance-overview"))
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("EU AI Act", "NIST AI Risk Management Framework", "ISO/IEC 42001", "SR 11-7"):
        assert name in body
    response = client.get(reverse("governance:compliance-framework", args=["eu-ai-act"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Retail credit scorecard" in body and "Art. 14" in body
    assert reverse("governance:compliance-model", args=[high_risk.pk, "eu-ai-act"]) in body
    assert client.get(reverse("governance:compliance-framework", args=["no-such"])).status_code == 404


def test_model_page_shows_records_and_edit_links_by_role(frameworks, login, auditor, risk_officer, high_risk):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    saved = record(risk_officer, high_risk, art9, C, evidence_file=upload("risk-file.pdf", pdf_bytes()))
    url = reverse("governance:compliance-model", args=[high_risk.pk, "eu-ai-act"])
    edit = reverse("governance:compliance-record-edit", args=[high_risk.pk, art9.pk])
    body = login(auditor).get(url).content.decode()
    assert "Risk management system" in body and "Compliant" in body
    assert reverse("governance:compliance-evidence", args=[saved.pk]) in body
    assert "/media/" not in body
    assert risk_officer.get_username() in body or risk_officer.get_full_name() in body
    assert edit not in body
    assert edit in login(risk_officer).get(url).content.decode()


def test_model_pages_deny_other_organisations(frameworks, login, outsider, high_risk):
    client = login(outsider)
    assert (
        client.get(reverse("governance:compliance-model", args=[high_risk.pk, "eu-ai-act"])).status_code
        == 404
    )
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    assert (
        client.get(reverse("governance:compliance-record-edit", args=[high_risk.pk, art9.pk])).status_code
        == 404
    )


def test_model_detail_links_to_compliance(frameworks, login, auditor, high_risk, risk_officer):
    record(risk_officer, high_risk, req(frameworks["sr-11-7"], "IV.1"), C)
    body = login(auditor).get(reverse("governance:model-detail", args=[high_risk.pk])).content.decode()
    assert 'id="compliance-h"' in body
    assert reverse("governance:compliance-model", args=[high_risk.pk, "sr-11-7"]) in body


def test_edit_page_roles(frameworks, login, auditor, model_owner, risk_officer, high_risk, vendor_model):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    url = reverse("governance:compliance-record-edit", args=[high_risk.pk, art9.pk])
    assert login(auditor).get(url).status_code == 403
    assert login(model_owner).get(url).status_code == 403
    assert login(risk_officer).get(url).status_code == 200
    not_applying = reverse("governance:compliance-record-edit", args=[vendor_model.pk, art9.pk])
    assert login(risk_officer).get(not_applying).status_code == 404
    assert login(auditor).post(url, {"status": C, "evidence_link": LINK}).status_code == 403
    assert not ComplianceRecord.objects.exists()


def test_edit_page_shows_the_current_review(frameworks, login, risk_officer, high_risk):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    record(
        risk_officer, high_risk, art9, P, notes="Residual risk sign-off pending.", next_review_due=future(45)
    )
    response = login(risk_officer).get(
        reverse("governance:compliance-record-edit", args=[high_risk.pk, art9.pk])
    )
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert "Residual risk sign-off pending." in body
    assert f'value="{future(45).isoformat()}"' in body
    assert '<option value="partial" selected>' in body


def test_edit_page_saves_a_review_with_an_uploaded_file(frameworks, login, risk_officer, high_risk):
    art11 = req(frameworks["eu-ai-act"], "Art. 11")
    url = reverse("governance:compliance-record-edit", args=[high_risk.pk, art11.pk])
    content = pdf_bytes()
    response = login(risk_officer).post(
        url,
        {
            "status": C,
            "evidence_file": upload("annex-iv.pdf", content, "application/pdf"),
            "notes": "Annex IV pack v3.",
            "next_review_due": future(180).isoformat(),
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(
        reverse("governance:compliance-model", args=[high_risk.pk, "eu-ai-act"])
    )
    saved = ComplianceRecord.objects.get()
    assert (saved.status, saved.notes, saved.next_review_due) == (C, "Annex IV pack v3.", future(180))
    assert saved.evidence_sha256 == hashlib.sha256(content).hexdigest()
    assert AuditEvent.objects.filter(action="compliance.create", object_id=str(saved.pk)).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"status": NA, "notes": "Keep this text"}, "not_applicable_reason", "Say why"),
        ({"status": C, "notes": "Keep this text"}, "evidence_link", "needs evidence"),
        (
            {"status": P, "notes": "Keep this text", "next_review_due": "2001-01-01"},
            "next_review_due",
            "past",
        ),
        ({"status": "nonsense", "notes": "Keep this text"}, "status", "valid choice"),
        (
            {"status": C, "notes": "Keep this text", "evidence_link": "not a url"},
            "evidence_link",
            "valid URL",
        ),
    ],
)
def test_edit_page_bad_input_keeps_input_and_saves_nothing(
    frameworks, login, risk_officer, high_risk, data, field, message
):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    url = reverse("governance:compliance-record-edit", args=[high_risk.pk, art9.pk])
    response = login(risk_officer).post(url, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors and message in " ".join(form.errors[field])
    body = response.content.decode()
    assert "Keep this text" in body
    assert f'id="id_{field}_error"' in body
    assert not ComplianceRecord.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="compliance.").exists()


def test_edit_page_rejects_a_disguised_file(frameworks, login, risk_officer, high_risk):
    art11 = req(frameworks["eu-ai-act"], "Art. 11")
    url = reverse("governance:compliance-record-edit", args=[high_risk.pk, art11.pk])
    response = login(risk_officer).post(
        url, {"status": C, "evidence_file": upload("report.pdf", b"MZ\x90 not a pdf")}
    )
    assert response.status_code == 400
    assert "not a valid .pdf" in " ".join(response.context["form"].errors["evidence_file"])
    assert not ComplianceRecord.objects.exists()


def test_evidence_download_checks_tenancy(
    frameworks, login, auditor, outsider, risk_officer, high_risk, client
):
    content = image_bytes("PNG")
    saved = record(
        risk_officer,
        high_risk,
        req(frameworks["eu-ai-act"], "Art. 11"),
        C,
        evidence_file=upload("chart.png", content),
    )
    url = reverse("governance:compliance-evidence", args=[saved.pk])
    response = login(auditor).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]
    assert login(outsider).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    no_file = record(risk_officer, high_risk, req(frameworks["eu-ai-act"], "Art. 9"), C)
    assert login(auditor).get(reverse("governance:compliance-evidence", args=[no_file.pk])).status_code == 404


def _bulk(organisation, owner, frameworks, risk_officer, count: int) -> None:
    models = AIModel.objects.bulk_create(
        [
            AIModel(
                organisation=organisation,
                owner=owner,
                name=f"Bulk {i:04d}",
                purpose="Bulk.",
                lifecycle_stage=LifecycleStage.PRODUCTION,
                eu_ai_act_category="high_risk" if i % 3 == 0 else "minimal",
                third_party=i % 4 == 0,
            )
            for i in range(count)
        ]
    )
    requirements = list(Requirement.objects.filter(framework__is_current=True))
    statuses = [C, P, N, NA]
    ComplianceRecord.objects.bulk_create(
        [
            ComplianceRecord(
                organisation=organisation,
                model=model,
                requirement=requirement,
                status=statuses[(i + j) % 4],
                reviewer=risk_officer,
                reviewed_at=timezone.now(),
                next_review_due=future((i + j) % 60 - 20),
                evidence_link=LINK,
            )
            for i, model in enumerate(models)
            for j, requirement in enumerate(requirements)
            if selectors.applies_to_model(requirement, model) and (i + j) % 5
        ]
    )


@pytest.mark.parametrize("count", [2, 40])
def test_page_query_bounds_hold_at_any_size(
    frameworks, login, organisation, model_owner, risk_officer, count, django_assert_max_num_queries
):
    _bulk(organisation, model_owner, frameworks, risk_officer, count)
    client = login(risk_officer)
    model = AIModel.objects.filter(organisation=organisation, eu_ai_act_category="high_risk").first()
    pages = [
        (reverse("governance:compliance-overview"), OVERVIEW_QUERIES),
        (reverse("governance:compliance-framework", args=["iso-iec-42001"]), FRAMEWORK_QUERIES),
        (reverse("governance:compliance-framework", args=["eu-ai-act"]), FRAMEWORK_QUERIES),
        (reverse("governance:compliance-model", args=[model.pk, "eu-ai-act"]), MODEL_QUERIES),
    ]
    for url, bound in pages:
        with django_assert_max_num_queries(bound):
            response = client.get(url)
        assert response.status_code == 200, url
    matrix = client.get(reverse("governance:compliance-framework", args=["sr-11-7"])).context["matrix"]
    assert matrix.models_in_scope == count and len(matrix.rows) == min(count, 50)


def test_framework_matrix_pages_through_models_but_counts_them_all(
    frameworks, login, organisation, model_owner, risk_officer
):
    _bulk(organisation, model_owner, frameworks, risk_officer, 55)
    client = login(risk_officer)
    url = reverse("governance:compliance-framework", args=["sr-11-7"])

    first = client.get(url)
    last = client.get(url, {"page": "2"})
    garbage = client.get(url, {"page": "not-a-number"})

    assert first.context["matrix"].coverage == last.context["matrix"].coverage  # figures cover all 55
    assert first.context["matrix"].models_in_scope == 55
    assert [len(r.context["matrix"].rows) for r in (first, last, garbage)] == [50, 5, 50]
    assert "Models 1\u201350 of 55." in first.content.decode()
    assert 'page=2#matrix">Next</a>' in first.content.decode()
    shown = {row.model.pk for row in first.context["matrix"].rows} | {
        row.model.pk for row in last.context["matrix"].rows
    }
    assert len(shown) == 55


# --- API -----------------------------------------------------------------------------------------------------

RECORDS = "/api/v1/compliance-records/"


def test_frameworks_api(frameworks, api_client, auditor):
    client = api_client(auditor)
    response = client.get("/api/v1/frameworks/", {"current": "true"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert {f["key"] for f in results} == {"eu-ai-act", "nist-ai-rmf", "iso-iec-42001", "sr-11-7"}
    eu = next(f for f in results if f["key"] == "eu-ai-act")
    art50 = next(r for r in eu["requirements"] if r["ref"] == "Art. 50")
    assert set(art50["applies_to"]["eu_ai_act_category"]) == {"limited", "high_risk"}
    detail = client.get(f"/api/v1/frameworks/{eu['id']}/")
    assert detail.status_code == 200 and detail.json()["version"] == eu["version"]
    assert client.post("/api/v1/frameworks/", {}).status_code == 405
    assert api_client().get("/api/v1/frameworks/").status_code in (401, 403)


def test_api_create_update_and_upsert(frameworks, api_client, risk_officer, high_risk):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    client = api_client(risk_officer)
    payload = {"model": high_risk.pk, "requirement": art9.pk, "status": P, "notes": "Sign-off pending."}
    response = client.post(RECORDS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["framework"], body["requirement_ref"], body["reviewer"]) == (
        "eu-ai-act",
        "Art. 9",
        "risk-officer",
    )
    assert AuditEvent.objects.filter(action="compliance.create").count() == 1

    again = client.post(RECORDS, {**payload, "status": C, "evidence_link": LINK}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert ComplianceRecord.objects.count() == 1

    patched = client.patch(
        f"{RECORDS}{body['id']}/", {"next_review_due": future(30).isoformat()}, format="json"
    )
    assert patched.status_code == 200
    saved = ComplianceRecord.objects.get()
    assert (saved.status, saved.evidence_link, saved.next_review_due) == (C, LINK, future(30))
    assert AuditEvent.objects.filter(action="compliance.update").count() == 2


def test_api_multipart_upload_and_download(frameworks, api_client, risk_officer, high_risk):
    art11 = req(frameworks["eu-ai-act"], "Art. 11")
    content = ooxml_bytes("xl/workbook.xml")
    response = api_client(risk_officer).post(
        RECORDS,
        {
            "model": high_risk.pk,
            "requirement": art11.pk,
            "status": C,
            "evidence_file": upload("tests.xlsx", content),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["evidence_sha256"] == hashlib.sha256(content).hexdigest()
    assert body["evidence_name"].endswith(".xlsx")
    assert body["evidence_url"].endswith(reverse("governance:compliance-evidence", args=[body["id"]]))
    assert "evidence_file" not in body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": NA}, "not_applicable_reason"),
        ({"status": C}, "evidence_link"),
        ({"status": "bogus"}, "status"),
        ({"next_review_due": "2001-01-01"}, "next_review_due"),
        ({"next_review_due": "not a date"}, "next_review_due"),
        ({"evidence_link": "javascript:alert(1)"}, "evidence_link"),
        ({"requirement": 999999}, "requirement"),
    ],
)
def test_api_bad_input_is_400_per_field_and_saves_nothing(
    frameworks, api_client, risk_officer, high_risk, change, field
):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    payload = {"model": high_risk.pk, "requirement": art9.pk, "status": P, "notes": "Gap.", **change}
    response = api_client(risk_officer).post(RECORDS, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ComplianceRecord.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="compliance.").exists()


def test_api_bad_file_and_requirement_not_applying(
    frameworks, api_client, risk_officer, vendor_model, high_risk
):
    client = api_client(risk_officer)
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    response = client.post(
        RECORDS,
        {"model": vendor_model.pk, "requirement": art9.pk, "status": C, "evidence_link": LINK},
        format="json",
    )
    assert response.status_code == 400 and "requirement" in response.json()["errors"]
    response = client.post(
        RECORDS,
        {"model": high_risk.pk, "requirement": art9.pk, "status": C, "evidence_file": upload("x.exe", b"MZ")},
        format="multipart",
    )
    assert response.status_code == 400 and "evidence_file" in response.json()["errors"]
    assert not ComplianceRecord.objects.exists()


def test_api_roles_and_tenancy(
    frameworks, api_client, risk_officer, auditor, model_owner, outsider, high_risk, foreign_model
):
    art9 = req(frameworks["eu-ai-act"], "Art. 9")
    ours = record(risk_officer, high_risk, art9, C)
    theirs = record(outsider, foreign_model, art9, N)
    payload = {"model": high_risk.pk, "requirement": art9.pk, "status": P, "notes": "x"}
    for user in (auditor, model_owner):
        client = api_client(user)
        assert client.post(RECORDS, payload, format="json").status_code == 403
        assert (
            client.patch(f"{RECORDS}{ours.pk}/", {"status": P, "notes": "x"}, format="json").status_code
            == 403
        )
        assert client.delete(f"{RECORDS}{ours.pk}/").status_code == 403
    listing = api_client(auditor).get(RECORDS)
    assert [r["id"] for r in listing.json()["results"]] == [ours.pk]
    assert api_client(auditor).get(f"{RECORDS}{theirs.pk}/").status_code == 404
    # Another organisation's model is not a valid choice; its records are not found.
    other = api_client(risk_officer)
    response = other.post(RECORDS, {**payload, "model": foreign_model.pk}, format="json")
    assert response.status_code == 400 and "model" in response.json()["errors"]
    assert other.patch(f"{RECORDS}{theirs.pk}/", {"notes": "x"}, format="json").status_code == 404
    assert other.delete(f"{RECORDS}{theirs.pk}/").status_code == 404
    assert ComplianceRecord.objects.get(pk=ours.pk).status == C


def test_api_filters_and_delete(frameworks, api_client, risk_officer, high_risk, vendor_model):
    eu, sr = frameworks["eu-ai-act"], frameworks["sr-11-7"]
    a = record(risk_officer, high_risk, req(eu, "Art. 9"), C)
    b = record(risk_officer, high_risk, req(sr, "IV.1"), P)
    c = record(risk_officer, vendor_model, req(sr, "V.6"), P)
    client = api_client(risk_officer)

    def ids(**params):
        response = client.get(RECORDS, params)
        assert response.status_code == 200
        return {r["id"] for r in response.json()["results"]}

    assert ids(framework="sr-11-7") == {b.pk, c.pk}
    assert ids(status=P) == {b.pk, c.pk}
    assert ids(model=high_risk.pk) == {a.pk, b.pk}
    assert ids(model=high_risk.pk, framework="eu-ai-act") == {a.pk}
    assert client.get(RECORDS, {"status": "bogus"}).status_code == 400
    assert client.delete(f"{RECORDS}{a.pk}/").status_code == 204
    assert AuditEvent.objects.filter(action="compliance.delete", object_id=str(a.pk)).exists()
    assert ids() == {b.pk, c.pk}


def test_api_list_query_count_is_constant(
    frameworks, api_client, organisation, model_owner, risk_officer, django_assert_max_num_queries
):
    client = api_client(risk_officer)
    for count in (2, 30):
        _bulk(organisation, model_owner, frameworks, risk_officer, count)
        with django_assert_max_num_queries(API_LIST_QUERIES):
            assert client.get(RECORDS).status_code == 200
        ComplianceRecord.objects.all().delete()
        AIModel.objects.filter(name__startswith="Bulk").delete()


def test_schema_documents_compliance_endpoints(api_client, auditor):
    response = api_client(auditor).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/compliance-records/{id}/" in paths and "/api/v1/frameworks/" in paths
    create = paths["/api/v1/compliance-records/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in create


def test_new_framework_version_moves_pages_to_it(frameworks, tmp_path, organisation, high_risk, risk_officer):
    import yaml

    from governance.compliance_catalogue import DATA_DIR, read_catalogue

    old_art9 = req(frameworks["eu-ai-act"], "Art. 9")
    record(risk_officer, high_risk, old_art9, C)
    data = read_catalogue(DATA_DIR / "eu-ai-act.yaml")
    data["version"] = "2099.1"
    path = tmp_path / "eu-next.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    new, created = load_framework(path)
    assert created and new.is_current
    matrix = selectors.model_matrix(high_risk, new)
    assert all(cell.record is None for cell in matrix.cells)  # the old version's record no longer counts
    assert ComplianceRecord.objects.filter(requirement=old_art9).exists()  # but it is kept


def test_the_database_counts_what_the_rules_select(frameworks, organisation, model_owner, risk_officer):
    """The figures the database counts (applies_to rules as filters) equal those of evaluating every rule on
    every model in Python, for every framework: the pages and the PDF reports agree."""
    _bulk(organisation, model_owner, frameworks, risk_officer, 37)
    AIModel.objects.filter(organisation=organisation, name__endswith="5").update(
        lifecycle_stage=LifecycleStage.RETIRED, processes_personal_data=True
    )
    AIModel.objects.filter(organisation=organisation, name__endswith="7").update(
        decisions_about_people="makes", risk_tier="critical"
    )
    today = timezone.localdate()
    overview = {
        summary.framework.key: summary for summary in selectors.compliance_overview(organisation, today)
    }
    assert set(overview) == set(frameworks)
    for key, framework in frameworks.items():
        reference = selectors.framework_matrix(organisation, framework, today=today)
        page = selectors.framework_page(organisation, framework, 1, 50, today=today)
        assert page.coverage == reference.coverage == overview[key].coverage, key
        assert page.models_in_scope == len(reference.rows) == overview[key].models_in_scope, key
        assert (page.overdue, page.due_soon) == (reference.overdue, reference.due_soon), key
        assert (overview[key].overdue, overview[key].due_soon) == (reference.overdue, reference.due_soon), key
        assert [row.coverage for row in page.rows] == [row.coverage for row in reference.rows[:50]], key


def test_framework_matrix_downloads_as_xlsx_one_row_per_applicable_requirement(
    login, auditor, frameworks, high_risk, vendor_model, foreign_model, risk_officer, monkeypatch
):
    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 1)  # the chunked walk, with two models
    framework = frameworks["eu-ai-act"]
    first = framework.requirements.order_by("position").first()
    record(
        risk_officer, high_risk, first, evidence_link="https://evidence.example/1", next_review_due=future()
    )
    applicable = {
        model.pk: sum(selectors.applies_to_model(r, model) for r in framework.requirements.all())
        for model in (high_risk, vendor_model)
    }

    response = login(auditor).get(
        reverse("governance:compliance-framework-export-xlsx", args=[framework.key])
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.getvalue())).worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == sum(applicable.values())
    assert {r["model"] for r in rows} <= {high_risk.name, vendor_model.name}  # never another organisation's
    recorded = next(r for r in rows if r["model"] == high_risk.name and r["requirement"] == first.ref)
    assert (recorded["status"], recorded["evidence_link"]) == ("compliant", "https://evidence.example/1")
    assert recorded["next_review_due"] == datetime.combine(future(), datetime.min.time())
    assert {r["status"] for r in rows if r is not recorded} == {"not_assessed"}

    csv_response = login(auditor).get(reverse("governance:compliance-framework-export", args=[framework.key]))
    assert csv_response.getvalue().decode().count("\n") == len(rows) + 1
