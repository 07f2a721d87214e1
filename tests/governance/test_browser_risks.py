"""The risk heat maps in a real browser: both charts draw from local plotly.js and a cell opens its risks."""

import pytest

from governance.services import risks as services
from tests.governance.inventory_factories import AIModelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clicking_a_heat_map_cell_lists_its_risks(
    browser_login, live_server, organisation, risk_officer, auditor
):
    model = AIModelFactory(organisation=organisation, owner=risk_officer, name="Credit scorecard")
    for title, likelihood, impact in (("Drift", 3, 3), ("Bias", 3, 3), ("Outage", 1, 5)):
        services.create_risk(
            actor=risk_officer,
            organisation=organisation,
            model=model,
            title=title,
            category="operational",
            likelihood=likelihood,
            impact=impact,
        )
    page = browser_login(auditor)
    page.goto(f"{live_server.url}/risks/")
    page.wait_for_selector("#inherent-chart .nsewdrag")
    page.wait_for_selector("#residual-chart .nsewdrag")
    # The plot area is the 5x5 grid: its centre is likelihood 3, impact 3.
    box = page.locator("#inherent-chart .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/risks/?*likelihood=3*")
    titles = page.locator("table.risk-register tbody tr td:first-child").all_inner_texts()
    assert sorted(titles) == ["Bias", "Drift"]
    assert "Showing one heat map cell" in page.inner_text("main")
