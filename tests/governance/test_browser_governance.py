"""A model's governance journey in a real browser.

The owner registers a model through the form, defines a KPI and records a breaching value (the dashboard marks
the model), then asks for validation and production; a risk officer and an executive, each in a browser of
their own, approve; the owner can neither see an approve button nor force a decision; the auditor finds every
step in the audit log.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.core.roles import Role
from governance.models import AIModel, ApprovalRequest, ApprovalStatus, KPIDefinition, LifecycleStage

# The release checks have a browser test of their own (tests/governance/release/); here people decide.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("permissive_release_policy"),
]


def _request_stage(page, stage: str, justification: str) -> None:
    stage_form = page.locator("form[action$='/stage/']")
    stage_form.locator("#id_requested_stage").select_option(stage)
    stage_form.locator("#id_justification").fill(justification)
    stage_form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Stage change requested; it waits for an approver.")


def _approve(page, live_server, model_name: str, comment: str) -> None:
    page.goto(f"{live_server.url}/approvals/")
    page.locator("tr", has_text=model_name).locator("text=Review readiness and decide").click()
    page.wait_for_selector("#readiness")
    page.fill("#id_comment", comment)
    page.click("button[value=approve]")
    page.wait_for_selector(f"text=Request approved: {model_name}.")


def test_register_request_approve_and_audit(browser_login, browser_login_elsewhere, live_server, make_member):
    owner = make_member(Role.MODEL_OWNER, username="browser-owner")
    risk_officer = make_member(Role.RISK_OFFICER, username="browser-risk")
    executive = make_member(Role.EXECUTIVE, username="browser-cio")
    auditor = make_member(Role.AUDITOR, username="browser-auditor")
    page = browser_login(owner)

    # The owner registers a model through the form.
    page.goto(f"{live_server.url}/models/new/")
    page.select_option("#id_lifecycle_stage", "development")
    page.fill("#id_name", "Browser credit scorer")
    page.fill("#id_purpose", "Scores small-business loan applications.")
    page.select_option("#id_owner", str(owner.pk))
    page.select_option("#id_eu_ai_act_category", "minimal")  # no silent default: chosen on purpose
    page.select_option("#id_decisions_about_people", "none")
    page.fill("#id_materiality", "4")
    page.click("button:has-text('Save')")
    page.wait_for_selector("h1:has-text('Browser credit scorer')")
    model = AIModel.objects.get(name="Browser credit scorer")
    assert (model.owner, model.lifecycle_stage) == (owner, LifecycleStage.DEVELOPMENT)

    # ... defines a KPI, records a value past the critical threshold and sees the model marked on the dashboard.
    page.click("a:has-text('Add KPI')")
    page.fill("#id_name", "AUC")
    page.fill("#id_target", "0.85")
    page.fill("#id_warning_threshold", "0.9")  # wrong way round for "higher is better": refused
    page.click("button:has-text('Save')")
    page.wait_for_selector("#id_warning_threshold_error")
    assert page.input_value("#id_name") == "AUC"
    assert not KPIDefinition.objects.exists()
    page.fill("#id_warning_threshold", "0.8")
    page.fill("#id_critical_threshold", "0.7")
    page.click("button:has-text('Save')")
    page.wait_for_selector("h1:has-text('AUC')")
    measured = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#id_measured_at", measured)
    page.fill("#id_value", "0.62")
    page.click("button:has-text('Record')")
    page.wait_for_selector("text=Measurement recorded.")
    assert page.inner_text(".status") == "Critical"
    page.goto(f"{live_server.url}/")
    # The owner's home lists their KPIs in breach.
    breaches = page.locator("section[aria-labelledby=my-kpis-h]")
    assert "Browser credit scorer" in breaches.inner_text()
    assert breaches.locator(".badge.critical").inner_text() == "Critical"
    assert "0.62" in breaches.inner_text()

    # Validation needs an approval: the owner asks, a risk officer approves in a browser of their own.
    page.goto(f"{live_server.url}/models/{model.pk}/")
    _request_stage(page, "validation", "Back-tested on 2024 applications.")
    risk_page = browser_login_elsewhere(risk_officer)
    _approve(risk_page, live_server, "Browser credit scorer", "Validation plan is sound.")
    model.refresh_from_db()
    assert model.lifecycle_stage == LifecycleStage.VALIDATION

    # Production: the owner asks and cannot decide it, neither on the page nor by posting the decision.
    page.goto(f"{live_server.url}/models/{model.pk}/")
    assert "Validation" in page.inner_text("section[aria-labelledby=card-h]")
    _request_stage(page, "production", "Independent validation passed.")
    production = ApprovalRequest.objects.get(model=model, requested_stage="production")
    page.goto(f"{live_server.url}/approvals/")
    row = page.locator("tr", has_text="Browser credit scorer")
    assert row.count() == 1
    assert row.locator("button[value=approve]").count() == 0
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    forced = page.request.post(
        f"{live_server.url}/approvals/{production.pk}/decide/",
        form={"csrfmiddlewaretoken": csrf, "decision": "approve"},
        headers={"Referer": f"{live_server.url}/approvals/"},
    )
    assert forced.status == 403
    production.refresh_from_db()
    assert production.status == ApprovalStatus.PENDING

    # An executive approves it in a third browser.
    cio_page = browser_login_elsewhere(executive)
    _approve(cio_page, live_server, "Browser credit scorer", "Go live.")
    production.refresh_from_db()
    assert (production.status, production.decided_by) == (ApprovalStatus.APPROVED, executive)
    page.goto(f"{live_server.url}/models/{model.pk}/")
    assert "Production" in page.inner_text("section[aria-labelledby=card-h]")

    # The auditor sees every step, each a sentence that starts with who did it, its action beneath.
    audit_page = browser_login_elsewhere(auditor)
    audit_page.goto(f"{live_server.url}/audit/")
    people = {owner: "owner", risk_officer: "risk", executive: "cio"}
    rows = []
    for row in audit_page.locator("table.audit-log > tbody > tr").all():
        summary = row.locator(".summary").inner_text()
        action = row.locator(".summary > .help").first.inner_text().rsplit(" · ", 1)[-1]
        who = next(
            (name for user, name in people.items() if summary.startswith(user.get_full_name() + " ")), None
        )
        rows.append((who, action))
    assert ("owner", "model.create") in rows
    assert ("owner", "kpi.create") in rows
    assert rows.count(("owner", "approval.request")) == 2
    assert ("risk", "approval.approve") in rows
    assert ("cio", "approval.approve") in rows
    assert rows.count(("cio", "model.stage_change")) == 1
    assert ("owner", "approval.approve") not in rows
    # The recorded fields unfold with their labels.
    first = audit_page.locator("table.audit-log details").first
    first.locator("summary").click()
    assert "Before" in first.inner_text() and "After" in first.inner_text()


def test_the_api_docs_render_under_the_content_security_policy(page, live_server):
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
    assert "/api/v1/models/" in page.inner_text(".swagger-ui")
