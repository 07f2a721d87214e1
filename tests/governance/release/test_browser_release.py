"""In a real browser: an executive opens a request whose checks fail, sees why, cannot approve without writing
an override justification, then approves with one."""

import pytest

from governance.models import ApprovalStatus
from governance.services import inventory as inventory_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_approver_sees_the_failing_checks_and_must_justify_an_override(
    browser_login, live_server, executive, model_owner, new_high_risk_model
):
    request = inventory_services.request_stage_change(
        actor=model_owner, model=new_high_risk_model, stage="production", justification="Business wants it."
    )
    page = browser_login(executive)
    page.goto(f"{live_server.url}/approvals/")
    page.locator("tr", has_text=new_high_risk_model.name).locator("text=Review readiness and decide").click()
    page.wait_for_selector("#readiness")
    failing = page.locator("table.readiness tr.check-fail th").all_inner_texts()
    assert "Risk assessment recorded" in failing and "Independent validation approved" in failing
    assert "No risk is recorded for this model" in page.inner_text("table.readiness")

    page.click("button[value=approve]")
    page.wait_for_selector("text=Checks that fail")
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING

    page.fill(
        "#id_override_justification", "Regulatory deadline; the gaps are tracked in remediation plan RP-7."
    )
    page.click("button[value=approve]")
    page.wait_for_selector(f"text=Request approved: {new_high_risk_model.name}.")
    request.refresh_from_db()
    assert (request.status, request.overridden) == (ApprovalStatus.APPROVED, True)
    page.goto(f"{live_server.url}/")
    assert new_high_risk_model.name in page.inner_text("section[aria-labelledby=release-h]")
