"""The home page's maturity panel: the organisation-wide latest approved score (never a unit's) with its change
and trend, and each business unit's latest beside it, in two queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.core.registry import HomeContext
from governance.models import BusinessUnit
from maturity.models import Assessment, AssessmentStatus
from maturity.panels import maturity_change, maturity_panel
from maturity.selectors import latest_approved_by_scope, previous_approved
from tests.maturity.page_fixtures import QuestionnaireFactory

pytestmark = pytest.mark.django_db


def approved(organisation, unit, days_ago: int, score: float) -> Assessment:
    return Assessment.objects.create(
        organisation=organisation,
        business_unit=unit,
        questionnaire=QuestionnaireFactory(),
        title=f"{unit or 'Organisation'} -{days_ago}d",
        status=AssessmentStatus.APPROVED,
        approved_at=timezone.now() - timedelta(days=days_ago),
        overall_score=score,
    )


def panel_of(organisation) -> dict:
    home = HomeContext(organisation=organisation, user=None, role="executive", today=timezone.localdate())
    return maturity_panel(home)


def test_each_scope_has_its_latest_with_the_change_since_the_previous_of_the_same_scope(
    organisation, other_organisation, django_assert_num_queries
):
    retail, wholesale = (
        BusinessUnit.objects.create(organisation=organisation, name=n) for n in ("Retail", "Wholesale")
    )
    approved(organisation, None, 300, 1.0)
    latest_organisation = approved(organisation, None, 250, 2.5)
    approved(organisation, retail, 200, 2.0)
    latest_wholesale = approved(organisation, wholesale, 100, 4.5)
    approved(other_organisation, retail, 50, 0.5)
    latest_retail = approved(organisation, retail, 10, 3.0)

    with django_assert_num_queries(1):
        scopes = latest_approved_by_scope(organisation)

    assert scopes == [latest_organisation, latest_retail, latest_wholesale]  # the whole organisation first
    for latest in scopes:
        expected = previous_approved(latest)
        assert latest.previous_score == (expected.overall_score if expected else None)
    assert [maturity_change(latest) for latest in scopes] == [pytest.approx(1.5), pytest.approx(1.0), None]


def test_home_shows_the_organisation_wide_score_not_the_latest_unit_s(
    organisation, django_assert_num_queries
):
    """Issue 14: home showed a unit's 1.77 as "the" maturity score while the organisation's latest was 2.81."""
    retail = BusinessUnit.objects.create(organisation=organisation, name="Retail")
    approved(organisation, None, 300, 2.0)
    whole = approved(organisation, None, 40, 2.81)
    unit = approved(organisation, retail, 1, 1.77)  # approved after the organisation-wide one

    with django_assert_num_queries(2):  # the latest of each scope, the organisation-wide trend
        panel = panel_of(organisation)

    assert panel["latest"] == whole and panel["change"] == pytest.approx(0.81)
    assert [score for _, score, _ in panel["trend"]] == [2.0, 2.81]  # the unit's score is not in it
    assert "from 2.00 on" in panel["summary"] and "to 2.81 on" in panel["summary"]
    assert [(row["assessment"], row["change"]) for row in panel["units"]] == [(unit, None)]


def test_a_unit_only_organisation_has_no_headline_score(organisation):
    retail = BusinessUnit.objects.create(organisation=organisation, name="Retail")
    approved(organisation, retail, 10, 3.0)

    panel = panel_of(organisation)

    assert panel["latest"] is None and panel["change"] is None and panel["figure"] is None
    assert [row["assessment"].overall_score for row in panel["units"]] == [3.0]


def test_a_first_assessment_has_no_change(organisation):
    assert panel_of(organisation)["latest"] is None and maturity_change(None) is None
    approved(organisation, None, 10, 2.0)
    panel = panel_of(organisation)
    assert panel["change"] is None
    assert panel["figure"] is None  # one point is no trend
