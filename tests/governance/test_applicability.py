"""The ISO/IEC 42001 Statement of Applicability: decisions per Annex A control, issuing, the diff between two
issues, spreadsheets, the PDF (read back) and review reminders."""

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from governance.models import AuditEvent, ControlApplicability, IssuedStatement
from governance.models.actions import GovernanceAction
from governance.rules.applicability import entries_sha256, statement_changes
from governance.selectors.applicability import annex_a_controls, statement_rows, statement_summary
from governance.services.applicability import applicability_update, statement_issue
from governance.services.reminders import APPLICABILITY_REVIEW, collect_reminders
from tests.governance.test_compliance import pdf_bytes
from tests.governance.test_report_kinds import read_pdf, render, unbroken

pytestmark = pytest.mark.django_db


@pytest.fixture
def iso(frameworks):
    return frameworks["iso-iec-42001"]


@pytest.fixture
def controls(iso):
    return list(annex_a_controls(iso).select_related("framework"))


def decide_all(actor, organisation, controls, owner, *, excluded=("A.10.3",)):
    for control in controls:
        applicable = control.ref not in excluded
        applicability_update(
            actor=actor,
            organisation=organisation,
            control=control,
            applicable=applicable,
            justification=f"{'Treats' if applicable else 'No supplier builds AI for us, so'} {control.title}.",
            implementation_status="implemented" if applicable else "not_started",
            owner=owner if applicable else None,
            evidence_link=f"https://dms.example.com/aims/{control.ref}" if applicable else "",
        )


# --- Rules ---------------------------------------------------------------------------------------------------


def test_the_diff_names_each_changed_field_and_catalogue_changes():
    older = [
        {"ref": "A.2.2", "title": "AI policy", "applicable": True, "implementation_status": "planned"},
        {"ref": "A.2.3", "title": "Alignment", "applicable": True, "implementation_status": "implemented"},
        {"ref": "A.9.9", "title": "Gone", "applicable": False},
    ]
    newer = [
        {"ref": "A.2.2", "title": "AI policy", "applicable": True, "implementation_status": "implemented"},
        {"ref": "A.2.3", "title": "Alignment", "applicable": False, "implementation_status": ""},
        {"ref": "A.10.4", "title": "Customers", "applicable": True},
    ]
    changes = {c.ref: c for c in statement_changes(older, newer)}
    assert changes["A.2.2"].status_changed and not changes["A.2.2"].applicability_changed
    assert changes["A.2.3"].applicability_changed
    assert changes["A.10.4"].kind == "added" and changes["A.9.9"].kind == "removed"
    assert statement_changes(newer, newer) == []


def test_the_hash_is_over_canonical_json():
    a = [{"ref": "A.2.2", "applicable": True, "justification": "é"}]
    b = [{"justification": "é", "applicable": True, "ref": "A.2.2"}]
    assert entries_sha256(a) == entries_sha256(b) != entries_sha256([{**a[0], "applicable": False}])


# --- Services ------------------------------------------------------------------------------------------------


def test_a_decision_needs_a_justification_either_way_an_owner_and_evidence_when_implemented(
    organisation, risk_officer, controls
):
    with pytest.raises(ValidationError) as caught:
        applicability_update(
            actor=risk_officer,
            organisation=organisation,
            control=controls[0],
            applicable=None,
            justification="",
        )
    assert {"applicable", "justification"} <= set(caught.value.message_dict)
    with pytest.raises(ValidationError) as caught:
        applicability_update(
            actor=risk_officer,
            organisation=organisation,
            control=controls[0],
            applicable=True,
            justification="Our AI policy is the anchor of the AIMS.",
            implementation_status="implemented",
        )
    assert {"owner", "evidence_file", "evidence_link"} <= set(caught.value.message_dict)
    assert not ControlApplicability.objects.exists()


def test_an_outsider_cannot_be_owner_and_a_model_owner_cannot_decide(
    organisation, risk_officer, model_owner, outsider, controls
):
    with pytest.raises(ValidationError) as caught:
        applicability_update(
            actor=risk_officer,
            organisation=organisation,
            control=controls[0],
            applicable=True,
            justification="Needed.",
            owner=outsider,
        )
    assert "member of the organisation" in str(caught.value.message_dict["owner"])
    with pytest.raises(PermissionDenied):
        applicability_update(
            actor=model_owner,
            organisation=organisation,
            control=controls[0],
            applicable=False,
            justification="x",
        )


def test_a_decision_is_audited_with_its_changes_and_evidence_file_hashed(
    organisation, risk_officer, controls
):
    pdf = pdf_bytes()
    entry = applicability_update(
        actor=risk_officer,
        organisation=organisation,
        control=controls[0],
        applicable=True,
        justification="The AI policy is approved by the board.",
        implementation_status="implemented",
        owner=risk_officer,
        evidence_file=SimpleUploadedFile("ai-policy.pdf", pdf, content_type="application/pdf"),
        next_review_due=date.today() + timedelta(days=365),
    )
    assert entry.ref == controls[0].ref and len(entry.evidence_sha256) == 64
    event = AuditEvent.objects.get(action=GovernanceAction.APPLICABILITY_UPDATE)
    assert event.changes["applicable"] == [None, True]
    applicability_update(
        actor=risk_officer,
        organisation=organisation,
        control=controls[0],
        applicable=False,
        justification="Superseded by the group AI policy.",
    )
    entry.refresh_from_db()
    assert entry.implementation_status == "not_started"  # an excluded control claims no implementation
    latest = AuditEvent.objects.filter(action=GovernanceAction.APPLICABILITY_UPDATE).order_by("-sequence")[0]
    assert latest.changes["applicable"] == [True, False]


def test_issuing_is_refused_until_every_control_is_decided(organisation, risk_officer, controls):
    applicability_update(
        actor=risk_officer,
        organisation=organisation,
        control=controls[0],
        applicable=False,
        justification="Group policy covers it.",
    )
    with pytest.raises(ValidationError) as caught:
        statement_issue(actor=risk_officer, organisation=organisation)
    assert controls[1].ref in caught.value.messages[0]
    assert not IssuedStatement.objects.exists()


def test_issues_are_numbered_frozen_and_hashed(organisation, risk_officer, controls):
    decide_all(risk_officer, organisation, controls, risk_officer)
    first = statement_issue(actor=risk_officer, organisation=organisation, note="Stage 1 audit")
    assert first.number == 1 and len(first.entries) == len(controls)
    assert first.sha256 == entries_sha256(first.entries)
    excluded = next(e for e in first.entries if e["ref"] == "A.10.3")
    assert excluded["applicable"] is False and excluded["justification"]
    # A later decision changes the live statement, never the issued copy.
    applicability_update(
        actor=risk_officer,
        organisation=organisation,
        control=controls[0],
        applicable=True,
        justification="Policy under revision.",
        implementation_status="partial",
        owner=risk_officer,
    )
    first.refresh_from_db()
    assert first.entries[0]["implementation_status"] == "implemented"
    second = statement_issue(actor=risk_officer, organisation=organisation)
    assert second.number == 2
    changes = statement_changes(first.entries, second.entries)
    assert [c.ref for c in changes] == [controls[0].ref]
    assert changes[0].status_changed
    event = AuditEvent.objects.filter(action=GovernanceAction.APPLICABILITY_ISSUE).order_by("-sequence")[0]
    assert event.changes["sha256"] == [None, second.sha256]


# --- Pages ---------------------------------------------------------------------------------------------------


def test_the_statement_page_lists_every_control_and_a_decision_can_be_saved(
    organisation, risk_officer, controls, login
):
    client = login(risk_officer)
    page = client.get(reverse("governance:applicability"))
    assert page.status_code == 200
    body = page.content.decode()
    for control in controls:
        assert control.ref in body
    assert "Not decided" in body
    url = reverse("governance:applicability-control-edit", args=[controls[0].pk])
    bad = client.post(url, {"applicable": "yes", "justification": "", "implementation_status": "planned"})
    assert bad.status_code == 400 and "Say why the control is included or excluded" in bad.content.decode()
    ok = client.post(
        url,
        {
            "applicable": "yes",
            "justification": "The board approved the AI policy.",
            "implementation_status": "planned",
            "owner": risk_officer.pk,
        },
    )
    assert ok.status_code == 302
    assert ControlApplicability.objects.get(requirement=controls[0]).applicable is True


def test_readers_see_the_statement_but_cannot_edit_or_issue(organisation, model_owner, controls, login):
    client = login(model_owner)
    page = client.get(reverse("governance:applicability"))
    assert page.status_code == 200 and "Issue the statement</button>" not in page.content.decode()
    edit = reverse("governance:applicability-control-edit", args=[controls[0].pk])
    assert client.get(edit).status_code == 403
    assert client.post(reverse("governance:applicability-issue")).status_code == 403


def test_another_organisations_issues_and_evidence_answer_404(
    organisation, other_organisation, outsider, risk_officer, controls, login
):
    decide_all(risk_officer, organisation, controls, risk_officer)
    issued = statement_issue(actor=risk_officer, organisation=organisation)
    entry = ControlApplicability.objects.filter(organisation=organisation).first()
    client = login(outsider)
    assert client.get(reverse("governance:applicability-issued", args=[issued.number])).status_code == 404
    assert client.get(reverse("governance:applicability-evidence", args=[entry.pk])).status_code == 404
    assert client.get(reverse("governance:applicability-issued-export-xlsx", args=[1])).status_code == 404


def test_issuing_on_the_page_then_comparing_two_issues(organisation, risk_officer, controls, login):
    decide_all(risk_officer, organisation, controls, risk_officer)
    client = login(risk_officer)
    response = client.post(reverse("governance:applicability-issue"), {"note": "Annual review 2025"})
    assert response.status_code == 302
    applicability_update(
        actor=risk_officer,
        organisation=organisation,
        control=controls[1],
        applicable=False,
        justification="Outsourced to the group AIMS.",
    )
    client.post(reverse("governance:applicability-issue"), {"note": "Annual review 2026"})
    diff = client.get(reverse("governance:applicability-diff") + "?from=1&to=2")
    body = diff.content.decode()
    assert diff.status_code == 200
    assert (
        controls[1].ref in body and "1 in applicability" in body and "Outsourced to the group AIMS." in body
    )
    assert controls[2].ref not in body.split("What changed", 1)[1]
    issued_page = client.get(reverse("governance:applicability-issued", args=[2])).content.decode()
    assert "Changes since issue 1" in issued_page


def test_issuing_with_open_controls_shows_the_reason_on_the_page(organisation, risk_officer, controls, login):
    response = login(risk_officer).post(reverse("governance:applicability-issue"), {"note": ""})
    assert response.status_code == 400
    assert "Decide every control" in response.content.decode()


# --- Spreadsheets --------------------------------------------------------------------------------------------


def test_the_statement_exports_as_a_typed_formula_safe_spreadsheet(
    organisation, risk_officer, controls, login
):
    decide_all(risk_officer, organisation, controls, risk_officer)
    applicability_update(
        actor=risk_officer,
        organisation=organisation,
        control=controls[0],
        applicable=True,
        justification='=HYPERLINK("https://evil.example")',
        implementation_status="planned",
        owner=risk_officer,
        next_review_due=date.today() + timedelta(days=90),
    )
    statement_issue(actor=risk_officer, organisation=organisation)
    client = login(risk_officer)
    for url in (
        reverse("governance:applicability-export-xlsx"),
        reverse("governance:applicability-issued-export-xlsx", args=[1]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:4] == ("control", "section", "title", "applicable")
        assert sheet.freeze_panes == "A2"
        assert len(rows) == len(controls) + 1
        first = rows[1]
        assert first[0] == controls[0].ref and first[3] is True
        assert isinstance(first[10], datetime) and isinstance(first[11], datetime)  # typed date cells
        assert sheet.cell(row=2, column=5).data_type == "s"  # a formula-like text stays text
        excluded = next(r for r in rows[1:] if r[0] == "A.10.3")
        assert excluded[3] is False
    csv = client.get(reverse("governance:applicability-export"))
    assert b"'=HYPERLINK" in b"".join(csv.streaming_content)


# --- PDF -----------------------------------------------------------------------------------------------------


def test_the_issued_statement_renders_as_a_pdf_with_every_control(
    organisation, risk_officer, controls, settings
):
    settings.REPORT_CHUNK_SIZE = 40
    decide_all(risk_officer, organisation, controls, risk_officer)
    first = statement_issue(actor=risk_officer, organisation=organisation)
    applicability_update(
        actor=risk_officer,
        organisation=organisation,
        control=controls[3],
        applicable=False,
        justification="No AI system of ours uses this resource.",
    )
    second = statement_issue(actor=risk_officer, organisation=organisation)
    report = render(risk_officer, organisation, "statement_of_applicability", subject_id=second.pk)
    text, _reader, _content = read_pdf(report)
    assert report.status == "succeeded", report.error
    for control in controls:
        assert control.ref in text
    assert "Statement of Applicability" in text and "issue 2" in text
    assert "Excluded controls and why" in text and "No AI system of ours uses this resource." in text
    assert f"Compared with issue {first.number}" in text
    assert second.sha256 in unbroken(text)
    assert "Sign-off" in text


def test_a_pdf_needs_an_issued_statement_of_the_organisation(organisation, other_organisation, risk_officer):
    from governance.reports import services

    with pytest.raises(ValidationError):
        services.request_report(
            actor=risk_officer, organisation=organisation, kind="statement_of_applicability", subject_id=None
        )


# --- Reminders -----------------------------------------------------------------------------------------------


def test_a_control_review_coming_due_reminds_its_owner(
    organisation, risk_officer, admin_user_member, controls
):
    applicability_update(
        actor=admin_user_member,
        organisation=organisation,
        control=controls[0],
        applicable=True,
        justification="Needed.",
        implementation_status="planned",
        owner=risk_officer,
        next_review_due=timezone.localdate() + timedelta(days=3),
    )
    reminders = collect_reminders()
    for user in (risk_officer, admin_user_member):
        items = [i for i in reminders[user.pk] if i.kind == APPLICABILITY_REVIEW]
        assert items and controls[0].ref in items[0].title


def test_the_summary_counts_decisions(organisation, risk_officer, controls, iso):
    decide_all(risk_officer, organisation, controls, risk_officer, excluded=("A.10.3", "A.10.2"))
    summary = statement_summary(statement_rows(organisation, iso))
    assert summary.excluded == 2 and summary.undecided == 0 and summary.ready_to_issue
    assert summary.applicable == len(controls) - 2 == summary.implemented
