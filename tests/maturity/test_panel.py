"""The home page's maturity panel: the latest approved score and its change within the same scope, in one query."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import BusinessUnit
from maturity.models import Assessment, AssessmentStatus
from maturity.panels import latest_maturity, maturity_change
from maturity.selectors import previous_approved
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


def test_the_change_compares_with_the_previous_assessment_of_the_same_scope(
    organisation, other_organisation, django_assert_num_queries
):
    retail, wholesale = (
        BusinessUnit.objects.create(organisation=organisation, name=n) for n in ("Retail", "Wholesale")
    )
    approved(organisation, None, 300, 1.0)
    approved(organisation, retail, 200, 2.0)
    approved(organisation, wholesale, 100, 4.5)
    approved(other_organisation, retail, 50, 0.5)
    latest_retail = approved(organisation, retail, 10, 3.0)

    with django_assert_num_queries(1):
        latest = latest_maturity(organisation)

    assert latest == latest_retail
    assert latest.previous_score == previous_approved(latest).overall_score == 2.0
    assert maturity_change(latest) == pytest.approx(1.0)


def test_organisation_wide_assessments_compare_with_each_other(organisation):
    unit = BusinessUnit.objects.create(organisation=organisation, name="Retail")
    approved(organisation, None, 300, 1.5)
    approved(organisation, unit, 200, 4.0)
    latest = approved(organisation, None, 10, 2.0)

    assert latest_maturity(organisation) == latest and latest_maturity(organisation).previous_score == 1.5
    assert maturity_change(latest_maturity(organisation)) == pytest.approx(0.5)


def test_a_first_assessment_has_no_change(organisation):
    assert latest_maturity(organisation) is None and maturity_change(None) is None
    approved(organisation, None, 10, 2.0)
    assert maturity_change(latest_maturity(organisation)) is None
