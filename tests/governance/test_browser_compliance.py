"""A compliance review in a real browser.

A risk & compliance officer opens a high-risk model's EU AI Act matrix, records a requirement as compliant with
an uploaded PDF and notes, sees the record with its evidence (name and hash) and the model's coverage move, and
downloads the file back unchanged; a renamed executable and a file whose content does not match its extension
are refused with a clear error and nothing saved. An auditor, in a browser of their own, finds the model's
status on the framework matrix and has no edit control anywhere.
"""

import hashlib
import io
from pathlib import Path

import pytest
from pypdf import PdfWriter

from governance.models import AuditEvent, ComplianceRecord, ComplianceStatus
from governance.selectors import compliance as selectors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRAMEWORK = "eu-ai-act"
MODEL_NAME = "Retail credit scorecard"  # the ``high_risk`` fixture's model


def _write_pdf(path: Path) -> bytes:
    """A real one-page PDF at ``path``; returns its bytes."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def _coverage_text(page) -> str:
    """The model page's headline coverage figure, e.g. "6.7 %"."""
    return (
        page.locator("section[aria-labelledby=cov-h] .dash-stats li", has_text="coverage")
        .locator(".dash-number")
        .inner_text()
    )


def _stored_files(media_root: str) -> list[Path]:
    return sorted(p for p in Path(media_root).rglob("*") if p.is_file())


def test_officer_records_evidence_and_auditor_reads_the_matrix(
    browser_login,
    browser_login_elsewhere,
    live_server,
    settings,
    tmp_path,
    frameworks,
    high_risk,
    risk_officer,
    auditor,
):
    eu_ai_act = frameworks[FRAMEWORK]
    art11 = eu_ai_act.requirements.get(ref="Art. 11")
    art9 = eu_ai_act.requirements.get(ref="Art. 9")
    applicable = len(selectors.model_matrix(high_risk, eu_ai_act).cells)
    expected_coverage = f"{round(100 / applicable, 1):g} %"
    model_url = f"{live_server.url}/models/{high_risk.pk}/compliance/{FRAMEWORK}/"

    # The officer opens the model's matrix: every applicable requirement is listed, nothing is assessed yet.
    page = browser_login(risk_officer)
    page.goto(model_url)
    page.wait_for_selector(f"h1:has-text('{MODEL_NAME} — {eu_ai_act.name}')")
    assert page.locator("table.compliance-records tbody tr").count() == applicable
    assert _coverage_text(page) == "0 %"
    row = page.locator(f"#req-{art11.pk}")
    assert row.locator(".cstatus").inner_text() == "Not assessed"

    # ... assesses Art. 11 as compliant with a real PDF and notes.
    row.locator("a.button", has_text="Assess").click()
    page.wait_for_selector(f"h1:has-text('{MODEL_NAME}: Art. 11')")
    evidence_path = tmp_path / "annex-iv-pack.pdf"
    evidence = _write_pdf(evidence_path)
    page.select_option("#id_status", ComplianceStatus.COMPLIANT)
    page.set_input_files("#id_evidence_file", str(evidence_path))
    page.fill("#id_notes", "Annex IV technical documentation pack v3, signed off by model risk.")
    page.click("button:has-text('Save review')")
    page.wait_for_selector(f"text=Art. 11 recorded for {MODEL_NAME}.")
    assert page.url == f"{model_url}#req-{art11.pk}"

    # The row shows the status, the notes, the reviewer and the evidence file with the start of its hash.
    sha256 = hashlib.sha256(evidence).hexdigest()
    row = page.locator(f"#req-{art11.pk}")
    assert row.locator(".cstatus").inner_text() == "Compliant"
    assert "Annex IV technical documentation pack v3" in row.inner_text()
    assert risk_officer.get_full_name() in row.inner_text()
    evidence_link = row.locator("a[href$='/evidence/']")
    assert evidence_link.inner_text().endswith("annex-iv-pack.pdf")
    assert f"sha256 {sha256[:12]}" in row.inner_text()
    assert row.locator(f"span[title='SHA-256 {sha256}']").count() == 1
    assert row.locator("a.button").inner_text().startswith("Review")
    assert _coverage_text(page) == expected_coverage

    # The evidence downloads back byte for byte.
    with page.expect_download() as download_info:
        evidence_link.click()
    download = download_info.value
    assert download.suggested_filename == "annex-iv-pack.pdf"
    assert Path(download.path()).read_bytes() == evidence

    saved = ComplianceRecord.objects.get()
    assert (saved.model, saved.requirement, saved.status) == (high_risk, art11, ComplianceStatus.COMPLIANT)
    assert (saved.reviewer, saved.evidence_sha256) == (risk_officer, sha256)
    assert saved.notes == "Annex IV technical documentation pack v3, signed off by model risk."
    assert _stored_files(settings.MEDIA_ROOT) == [Path(settings.MEDIA_ROOT) / saved.evidence_file.name]
    audit_events = AuditEvent.objects.filter(action__startswith="compliance.").count()
    assert audit_events == 1

    # A renamed executable is refused by its extension; the notes stay in the form, nothing is saved.
    page.goto(model_url)
    page.locator(f"#req-{art9.pk} a.button", has_text="Assess").click()
    page.wait_for_selector(f"h1:has-text('{MODEL_NAME}: Art. 9')")
    executable = tmp_path / "risk-register-export.exe"
    executable.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" * 8)
    page.select_option("#id_status", ComplianceStatus.COMPLIANT)
    page.set_input_files("#id_evidence_file", str(executable))
    page.fill("#id_notes", "Risk management system described in the MRM policy.")
    page.click("button:has-text('Save review')")
    page.wait_for_selector("#id_evidence_file_error")
    assert page.inner_text("#id_evidence_file_error").startswith(
        "Files of this type are not accepted; allowed:"
    )
    assert "Choose the evidence file again" in page.inner_text("main form.card")
    assert page.input_value("#id_notes") == "Risk management system described in the MRM policy."
    assert page.input_value("#id_status") == ComplianceStatus.COMPLIANT

    # An executable named .pdf is refused by its content, even with everything else valid (a link given).
    disguised = tmp_path / "mrm-policy.pdf"
    disguised.write_bytes(executable.read_bytes())
    page.set_input_files("#id_evidence_file", str(disguised))
    page.fill("#id_evidence_link", "https://dms.example.com/mrm-policy")
    page.click("button:has-text('Save review')")
    page.wait_for_selector("#id_evidence_file_error")
    assert page.inner_text("#id_evidence_file_error") == "The file's content is not a valid .pdf file."
    assert page.locator(".invalid-feedback").count() == 1
    assert "Choose the evidence file again" in page.inner_text("main form.card")
    assert page.input_value("#id_evidence_link") == "https://dms.example.com/mrm-policy"

    assert ComplianceRecord.objects.get() == saved
    assert not ComplianceRecord.objects.filter(requirement=art9).exists()
    assert AuditEvent.objects.filter(action__startswith="compliance.").count() == audit_events
    assert _stored_files(settings.MEDIA_ROOT) == [Path(settings.MEDIA_ROOT) / saved.evidence_file.name]
    page.goto(model_url)
    assert page.locator(f"#req-{art9.pk} .cstatus").inner_text() == "Not assessed"
    assert _coverage_text(page) == expected_coverage

    # The auditor, in a browser of their own, finds the model's status on the framework matrix ...
    audit_page = browser_login_elsewhere(auditor)
    audit_page.goto(f"{live_server.url}/compliance/{FRAMEWORK}/")
    audit_page.wait_for_selector(f"h1:has-text('{eu_ai_act.name}')")
    model_row = audit_page.locator("table.compliance-matrix tbody tr", has_text=MODEL_NAME)
    assert model_row.count() == 1
    assert model_row.locator("td.num").inner_text() == expected_coverage
    compliant_cells = model_row.locator("td.cs-compliant")
    assert compliant_cells.count() == 1
    assert compliant_cells.get_attribute("title") == f"Art. 11 {art11.title}: Compliant"
    assert model_row.locator("td.cs-not_assessed").count() == applicable - 1
    assert audit_page.locator("main a[href*='/edit/']").count() == 0

    # ... follows it to the model's matrix: the record and its evidence, but no Assess/Review control.
    model_row.locator(f"a:has-text('{MODEL_NAME}')").click()
    audit_page.wait_for_url(model_url)
    assert audit_page.locator(f"#req-{art11.pk} .cstatus").inner_text() == "Compliant"
    assert audit_page.locator(f"#req-{art11.pk} a[href$='/evidence/']").count() == 1
    assert _coverage_text(audit_page) == expected_coverage
    assert audit_page.locator("main a[href*='/edit/']").count() == 0
    assert audit_page.locator("table.compliance-records a.button").count() == 0
    assert audit_page.locator("th", has_text="Actions").count() == 0

    # Typing the edit address is refused too.
    response = audit_page.goto(
        f"{live_server.url}/models/{high_risk.pk}/compliance/requirements/{art9.pk}/edit/"
    )
    assert response.status == 403
    assert not ComplianceRecord.objects.filter(requirement=art9).exists()
