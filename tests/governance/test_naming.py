"""Records named in SQL (governance.core.naming) read exactly as ``str()`` reads them."""

from datetime import date

import pytest

from governance.core.naming import name_sql
from governance.models import Validation, ValidationOutcome
from governance.selectors.audit_log import _names
from tests.factories import BusinessUnitFactory, UserFactory
from tests.governance.inventory_factories import ModelVersionFactory
from tests.governance.reminder_factories import RequirementFactory
from tests.maturity.page_fixtures import AssessmentFactory, QuestionnaireFactory

pytestmark = pytest.mark.django_db


def _records():
    version = ModelVersionFactory()
    model = version.model
    validations = [
        Validation.objects.create(
            organisation=model.organisation,
            model=model,
            version=version,
            validator=UserFactory(),
            started_on=date(2026, 11, 2),
            outcome=outcome,
        )
        for outcome in ["", ValidationOutcome.APPROVED_WITH_CONDITIONS]
    ]
    assessment = AssessmentFactory(organisation=model.organisation, questionnaire=QuestionnaireFactory())
    return [
        model.organisation,
        BusinessUnitFactory(organisation=model.organisation, name="Retail Banking"),
        model,
        version,
        RequirementFactory(),
        *validations,
        assessment,
        assessment.questionnaire,
        UserFactory(first_name="Omar", last_name="Owner"),
        UserFactory(first_name="", last_name=""),
        UserFactory(first_name="Cher", last_name=""),
    ]


def _expected(record) -> str:
    get_full_name = getattr(record, "get_full_name", None)
    return (get_full_name() or record.get_username()) if get_full_name else str(record)


def test_every_name_in_sql_reads_as_str():
    records = _records()
    wanted: dict = {}
    for record in records:
        assert name_sql(type(record)) is not None, type(record)
        wanted.setdefault(type(record), set()).add(record.pk)
    names = _names(wanted)
    assert {(type(r), r.pk): names[type(r), r.pk] for r in records} == {
        (type(r), r.pk): _expected(r) for r in records
    }


def test_kinds_named_in_sql_cost_one_query_together(django_assert_num_queries):
    records = _records()
    wanted: dict = {}
    for record in records:
        wanted.setdefault(type(record), set()).add(record.pk)
    with django_assert_num_queries(1):
        _names(wanted)
