"""Reports without a worker process: requesting, rendering (the service the task calls), pages, API, verify."""

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from pypdf import PdfReader

from governance.models import AuditEvent, Report, ReportStatus, RiskTier
from governance.reports import services, verify
from tests.governance.inventory_factories import AIModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(content))
    # Table cells wrap: compare with whitespace collapsed.
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    return text, len(reader.pages)


@pytest.fixture
def inventory(organisation, model_owner):
    return [
        AIModelFactory(
            organisation=organisation, owner=model_owner, name="Credit Scorer", risk_tier=RiskTier.HIGH
        ),
        AIModelFactory(organisation=organisation, owner=model_owner, name="Churn Predictor"),
    ]


@pytest.fixture
def rendered_report(organisation, auditor, inventory):
    report = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    return services.generate_report(report.pk)


def test_request_report_queues_and_audits(organisation, auditor, inventory):
    report = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")

    assert report.status == ReportStatus.QUEUED
    assert report.title == "Model inventory report"
    assert AuditEvent.objects.filter(action="report.requested", object_id=str(report.pk)).exists()


def test_request_report_rejects_subject_of_another_organisation(organisation, other_organisation, auditor):
    foreign = AIModelFactory(organisation=other_organisation)

    with pytest.raises(ValidationError) as exc:
        services.request_report(
            actor=auditor, organisation=organisation, kind="model_dossier", subject_id=foreign.pk
        )

    assert "subject_id" in exc.value.message_dict
    assert not Report.objects.exists()


def test_request_report_refuses_a_kind_no_app_registered(organisation, auditor):
    with pytest.raises(ValidationError) as exc:
        services.request_report(actor=auditor, organisation=organisation, kind="board_pack")
    message = exc.value.message_dict["kind"][0]
    assert "Unknown report kind “board_pack”" in message and "model_inventory" in message
    assert not Report.objects.exists()


def test_outsider_cannot_request(organisation, outsider):
    with pytest.raises(Http404):
        services.request_report(actor=outsider, organisation=organisation, kind="model_inventory")


def test_unknown_role_action_is_denied(organisation, auditor, monkeypatch):
    from governance.core import roles

    monkeypatch.setitem(roles.PERMISSIONS, "report.request", frozenset({roles.Role.ADMIN}))
    with pytest.raises(PermissionDenied):
        services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")


def test_inventory_pdf_has_cover_models_footer_and_hash(rendered_report, organisation):
    assert rendered_report.status == ReportStatus.SUCCEEDED
    assert rendered_report.progress == 100
    content = rendered_report.file.read()
    text, pages = pdf_text(content)

    assert "Model inventory report" in text
    assert "Credit Scorer" in text and "Churn Predictor" in text
    assert organisation.name in text
    assert f"Page 1 of {pages}" in text
    assert "Confidential" in text
    assert "Sign-off" in text
    assert rendered_report.page_count == pages
    assert rendered_report.byte_size == len(content)
    assert rendered_report.sha256 == hashlib.sha256(content).hexdigest()
    assert verify.stored_file_matches(rendered_report)


def test_generate_is_idempotent(rendered_report):
    again = services.generate_report(rendered_report.pk)

    assert again.file.name == rendered_report.file.name
    assert again.attempts == 1


def test_dossier_of_deleted_model_fails_with_clear_error(organisation, risk_officer):
    model = AIModelFactory(organisation=organisation, name="Doomed Model")
    ModelVersionFactory(model=model)
    report = services.request_report(
        actor=risk_officer, organisation=organisation, kind="model_dossier", subject_id=model.pk
    )
    model.delete()

    result = services.generate_report(report.pk)

    assert result.status == ReportStatus.FAILED
    assert f"AI model #{report.subject_id} does not exist" in result.error
    assert not result.file


def test_dossier_renders_model_details(organisation, risk_officer):
    model = AIModelFactory(
        organisation=organisation, name="Fraud Detector", vendor="Acme AI", third_party=True
    )
    ModelVersionFactory(model=model, version="2.1.0")
    report = services.request_report(
        actor=risk_officer, organisation=organisation, kind="model_dossier", subject_id=model.pk
    )

    text, _ = pdf_text(services.generate_report(report.pk).file.read())

    assert "Model dossier: Fraud Detector" in text
    assert "2.1.0" in text and "Acme AI" in text


def test_tampered_file_no_longer_verifies(rendered_report):
    with open(rendered_report.file.path, "ab") as handle:
        handle.write(b"%tampered")
    assert not verify.stored_file_matches(rendered_report)


# --- Pages ---------------------------------------------------------------------------------------


def test_list_page_shows_reports_and_progress(login, auditor, organisation, django_assert_max_num_queries):
    for _ in range(3):
        services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    client = login(auditor)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("governance:report-list"))

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-report-id="') == 3
    assert "Queued" in body
    assert "plumbline/reports.js" in body


def test_list_page_request_form(login, auditor, organisation, inventory):
    client = login(auditor)

    response = client.post(reverse("governance:report-list"), {"kind": "model_inventory"})

    assert response.status_code == 302
    assert Report.objects.get().status == ReportStatus.QUEUED


def test_list_page_form_error_keeps_input(login, auditor, organisation):
    client = login(auditor)

    response = client.post(reverse("governance:report-list"), {"kind": "model_dossier"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose what the report is about." in body
    assert 'value="model_dossier" selected' in body


def test_list_page_requests_assessment_report(login, executive, organisation):
    from tests.maturity.page_fixtures import AssessmentFactory, build_questionnaire

    assessment = AssessmentFactory(organisation=organisation, questionnaire=build_questionnaire())
    client = login(executive)

    response = client.post(
        reverse("governance:report-list"), {"kind": "assessment", "assessment": assessment.pk}
    )

    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.kind, report.subject_id) == ("assessment", assessment.pk)


def test_status_endpoint_reports_progress(login, auditor, rendered_report, outsider):
    url = reverse("governance:report-status") + f"?id={rendered_report.pk}"

    body = login(auditor).get(url).json()
    assert body["reports"][0]["status"] == "succeeded"
    assert body["reports"][0]["progress"] == 100
    assert body["reports"][0]["download_url"].endswith(f"/reports/{rendered_report.pk}/download/")

    assert login(outsider).get(url).json() == {"reports": []}


def test_download_serves_pdf_only_when_succeeded(login, auditor, organisation, rendered_report):
    client = login(auditor)
    response = client.get(reverse("governance:report-download", args=[rendered_report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")

    queued = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    assert client.get(reverse("governance:report-download", args=[queued.pk])).status_code == 404


def test_download_of_another_organisation_is_404(login, outsider, rendered_report):
    response = login(outsider).get(reverse("governance:report-download", args=[rendered_report.pk]))
    assert response.status_code == 404


def test_verify_page_by_upload_and_id(login, auditor, rendered_report):
    client = login(auditor)
    url = reverse("governance:report-verify")
    content = rendered_report.file.read()

    match = client.post(url, {"file": SimpleUploadedFile("r.pdf", content, "application/pdf")})
    assert "Match." in match.content.decode()
    assert f"report #{rendered_report.pk}" in match.content.decode()

    other = client.post(url, {"file": SimpleUploadedFile("r.pdf", content + b"x", "application/pdf")})
    assert "No match." in other.content.decode()

    by_id = client.post(url, {"report_id": rendered_report.pk})
    assert "Match." in by_id.content.decode()

    empty = client.post(url, {})
    assert "Give a report id or upload a PDF." in empty.content.decode()


# --- API -----------------------------------------------------------------------------------------


def test_api_request_returns_202(api_client, auditor, organisation, inventory):
    response = api_client(auditor).post("/api/v1/reports/", {"kind": "model_inventory"}, format="json")

    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    report_id = response.json()["id"]
    detail = api_client(auditor).get(f"/api/v1/reports/{report_id}/")
    assert detail.status_code == 200
    assert detail.json()["kind"] == "model_inventory"


def test_api_bad_input_is_400(api_client, auditor, organisation):
    client = api_client(auditor)
    assert client.post("/api/v1/reports/", {"kind": "nonsense"}, format="json").status_code == 400
    response = client.post("/api/v1/reports/", {"kind": "model_dossier", "subject_id": 999999}, format="json")
    assert response.status_code == 400
    assert "subject_id" in response.json()["errors"]


def test_api_tenancy_is_404(api_client, outsider, rendered_report, organisation):
    client = api_client(outsider)
    assert client.get(f"/api/v1/reports/{rendered_report.pk}/").status_code == 404
    assert client.get(f"/api/v1/reports/{rendered_report.pk}/download/").status_code == 404
    # Another organisation's id in a body reads as one that does not exist: nothing tells which ids are in use.
    foreign = client.post(
        "/api/v1/reports/", {"kind": "model_inventory", "organisation": organisation.pk}, format="json"
    )
    missing = client.post(
        "/api/v1/reports/", {"kind": "model_inventory", "organisation": 10**9}, format="json"
    )
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["errors"]["organisation"] == [
        f'Invalid pk "{organisation.pk}" - object does not exist.'
    ]
    assert missing.json()["errors"]["organisation"] == [f'Invalid pk "{10**9}" - object does not exist.']


def test_api_download_and_verify(api_client, auditor, organisation, rendered_report):
    client = api_client(auditor)
    download = client.get(f"/api/v1/reports/{rendered_report.pk}/download/")
    content = b"".join(download.streaming_content)
    assert download.status_code == 200

    verified = client.post("/api/v1/reports/verify/", {"file": io.BytesIO(content)}, format="multipart")
    assert verified.json()["match"] is True
    assert verified.json()["report"]["id"] == rendered_report.pk

    forged = client.post("/api/v1/reports/verify/", {"file": io.BytesIO(content[:-10])}, format="multipart")
    assert forged.json() == {"match": False, "report": None}

    stored = client.get(f"/api/v1/reports/{rendered_report.pk}/verify/")
    assert stored.json()["match"] is True

    queued = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    assert client.get(f"/api/v1/reports/{queued.pk}/download/").status_code == 409


def test_assessment_report_shows_scores_and_roadmap(organisation, executive, assessor):
    from tests.maturity.page_fixtures import AssessmentFactory, answer_all, build_questionnaire

    assessment = AssessmentFactory(
        organisation=organisation,
        questionnaire=build_questionnaire(),
        title="Q3 platform review",
        created_by=assessor,
    )
    answer_all(assessment, level=2, user=assessor)
    report = services.request_report(
        actor=executive, organisation=organisation, kind="assessment", subject_id=assessment.pk
    )

    report = services.generate_report(report.pk)

    assert report.status == ReportStatus.SUCCEEDED, report.error
    text, pages = pdf_text(report.file.read())
    assert "Maturity assessment: Q3 platform review" in text
    assert "Strategy" in text and "Governance" in text
    assert "Improvement roadmap" in text
    assert f"Page {pages} of {pages}" in text


def test_stalled_sweep_requeues_only_reports_past_the_grace_period(organisation, auditor):
    from datetime import timedelta

    from django.utils import timezone

    fresh = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    stuck = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    beating = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    now = timezone.now()
    Report.objects.filter(pk=stuck.pk).update(
        status=ReportStatus.RUNNING,
        started_at=now - timedelta(minutes=5),
        heartbeat_at=now - timedelta(seconds=61),
    )
    # Started long ago, but its worker still beats: a long render, not a lost one.
    Report.objects.filter(pk=beating.pk).update(
        status=ReportStatus.RUNNING,
        started_at=now - timedelta(hours=1),
        heartbeat_at=now - timedelta(seconds=5),
    )

    assert services.requeue_stalled_reports() == [stuck.pk]
    assert fresh.pk not in services.requeue_stalled_reports()


def test_a_report_that_lost_its_worker_twice_fails_instead_of_looping(organisation, auditor):
    """A report that kills its worker (out of memory) would otherwise be handed from one worker to the next."""
    from datetime import timedelta

    from django.utils import timezone

    once = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    twice = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    lost = timezone.now() - timedelta(minutes=5)
    Report.objects.filter(pk=once.pk).update(status=ReportStatus.RUNNING, attempts=1, heartbeat_at=lost)
    Report.objects.filter(pk=twice.pk).update(status=ReportStatus.RUNNING, attempts=2, heartbeat_at=lost)

    assert services.requeue_stalled_reports() == [once.pk]

    twice = Report.objects.get(pk=twice.pk)
    assert twice.status == ReportStatus.FAILED
    assert "stopped twice" in twice.error and "not tried again" in twice.error
    # A redelivered message for it (Redis's visibility timeout) is not rendered either.
    assert services.generate_report(twice.pk).status == ReportStatus.FAILED
    # The one lost once is rendered by the next worker.
    assert services.generate_report(once.pk).status == ReportStatus.SUCCEEDED


def test_a_redelivered_message_of_a_twice_lost_report_fails_it(organisation, auditor):
    report = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, attempts=2)

    report = services.generate_report(report.pk)

    assert report.status == ReportStatus.FAILED
    assert "stopped twice" in report.error
    assert not report.file


def test_a_render_error_does_not_count_as_a_lost_worker(organisation, auditor, monkeypatch):
    from governance.reports import render

    report = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(render, "render_pdf", broken)
    with pytest.raises(OSError):
        services.generate_report(report.pk)

    # Back in the queue for the task's retry, not "running" for the sweep to count as a lost worker.
    assert Report.objects.get(pk=report.pk).status == ReportStatus.QUEUED
