"""The release pages: the approval page with its readiness, the model page's readiness and validations, the
release policy page."""

import pytest
from django.urls import reverse

from governance.models import ApprovalStatus, ReleasePolicy
from governance.services import inventory as inventory_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_request(new_high_risk_model, model_owner):
    return inventory_services.request_stage_change(
        actor=model_owner, model=new_high_risk_model, stage="production", justification="Ready."
    )


def test_the_approver_sees_every_check_and_an_override_is_asked_for(login, executive, production_request):
    page = login(executive).get(reverse("governance:approval-detail", args=[production_request.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Risk assessment recorded" in html and "No risk is recorded for this model" in html
    assert 'name="override_justification"' in html and "approve past" in html
    refused = login(executive).post(
        reverse("governance:approval-decide", args=[production_request.pk]),
        {"decision": "approve"},
        follow=True,
    )
    assert "Checks that fail" in refused.content.decode()
    production_request.refresh_from_db()
    assert production_request.status == ApprovalStatus.PENDING
    login(executive).post(
        reverse("governance:approval-decide", args=[production_request.pk]),
        {"decision": "approve", "override_justification": "Deadline; tracked in RP-1."},
    )
    production_request.refresh_from_db()
    assert production_request.overridden and production_request.status == ApprovalStatus.APPROVED
    frozen = (
        login(executive)
        .get(reverse("governance:approval-detail", args=[production_request.pk]))
        .content.decode()
    )
    assert "Approved past failing checks" in frozen and "when decided" in frozen


def test_a_risk_officer_is_told_only_an_executive_may_override(login, risk_officer, production_request):
    html = (
        login(risk_officer)
        .get(reverse("governance:approval-detail", args=[production_request.pk]))
        .content.decode()
    )
    assert "Only an executive may approve past failing checks" in html
    assert 'name="override_justification"' not in html


def test_another_organisations_approval_answers_404(login, outsider, production_request):
    assert (
        login(outsider).get(reverse("governance:approval-detail", args=[production_request.pk])).status_code
        == 404
    )


def test_the_model_page_shows_readiness_and_lets_a_validator_record_a_validation(
    login, validator, new_high_risk_model
):
    client = login(validator)
    html = client.get(reverse("governance:model-detail", args=[new_high_risk_model.pk])).content.decode()
    assert "Readiness: enter production" in html and "Record a validation" in html
    version = new_high_risk_model.versions.get()
    response = client.post(
        reverse("governance:validation-create", args=[new_high_risk_model.pk]),
        {
            "version": version.pk,
            "scope": ["data", "performance"],
            "started_on": "2026-11-20",
            "completed_on": "2026-11-28",
            "outcome": "approved",
            "summary": "Sound.",
        },
        follow=True,
    )
    assert "Validation of version 0.1.0 recorded." in response.content.decode()
    bad = client.post(
        reverse("governance:validation-create", args=[new_high_risk_model.pk]),
        {"version": version.pk, "started_on": "2026-11-20"},
        follow=True,
    )
    assert "Scope" in bad.content.decode()


def test_the_policy_page_shows_the_policy_and_takes_a_new_version_from_admins(
    login, admin_user_member, auditor, organisation
):
    html = login(auditor).get(reverse("governance:release-policy")).content.decode()
    assert "Plumbline's default, not yet adopted" in html and "Tier 1 — critical" in html
    assert "Make a new version" not in html
    assert (
        login(auditor).post(reverse("governance:release-policy"), {"rules": "x", "note": "y"}).status_code
        == 403
    )
    client = login(admin_user_member)
    bad_yaml = client.post(reverse("governance:release-policy"), {"rules": "profiles: [", "note": "Broken."})
    assert bad_yaml.status_code == 400 and "not valid YAML" in bad_yaml.content.decode()
    bad_rules = client.post(reverse("governance:release-policy"), {"rules": "profiles: {}", "note": "Empty."})
    assert (
        bad_rules.status_code == 400
        and "Profile &#x27;critical&#x27; is missing." in bad_rules.content.decode()
    )
    form = client.get(reverse("governance:release-policy")).context["form"]
    saved = client.post(
        reverse("governance:release-policy"),
        {"rules": form.initial["rules"], "note": "Adopt the default."},
        follow=True,
    )
    assert "Release policy version 1 is in force." in saved.content.decode()
    assert ReleasePolicy.objects.get(organisation=organisation).note == "Adopt the default."


def test_a_validation_report_file_is_checked_whole_and_served_as_an_attachment(
    login, validator, outsider, new_high_risk_model
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.governance.test_compliance import pdf_bytes

    client = login(validator)
    version = new_high_risk_model.versions.get()
    url = reverse("governance:validation-create", args=[new_high_risk_model.pk])
    fields = {"version": version.pk, "scope": ["data"], "started_on": "2026-11-20"}
    fake = SimpleUploadedFile(
        "report.pdf", b"%PDF-1.7\n<html>not a pdf</html>", content_type="application/pdf"
    )
    refused = client.post(url, {**fields, "evidence_file": fake}, follow=True)
    assert "not a valid .pdf file" in refused.content.decode()
    report = SimpleUploadedFile("validation-report.pdf", pdf_bytes(), content_type="application/pdf")
    client.post(url, {**fields, "evidence_file": report})
    validation = new_high_risk_model.validations.get()
    assert len(validation.evidence_sha256) == 64
    download = client.get(reverse("governance:validation-evidence", args=[validation.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert (
        login(outsider).get(reverse("governance:validation-evidence", args=[validation.pk])).status_code
        == 404
    )
