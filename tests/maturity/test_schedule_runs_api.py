"""A reassessment schedule's "run now" answers where to poll the run; GET
/api/v1/reassessment-schedules/{id}/runs/{period}/ says whether it is queued, done (with the draft it opened) or
failed."""

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.utils import timezone

from governance.core import scheduling
from maturity import selectors, services
from maturity.models import Assessment
from maturity.tasks import run_reassessment
from tests.maturity.schedule_helpers import saved_schedule

pytestmark = pytest.mark.django_db

URL = "/api/v1/reassessment-schedules/"


@pytest.fixture
def org_schedule(questionnaire, organisation, admin_user_member):
    return saved_schedule(admin_user_member, organisation, frequency="quarterly")


def _this_period() -> str:
    return scheduling.period_key("quarterly", timezone.localdate())


def _runs_url(schedule, period: str) -> str:
    return f"http://testserver{URL}{schedule.pk}/runs/{period}/"


def test_run_now_answers_where_to_poll_and_the_run_reads_queued_then_done(
    api_client, org_schedule, admin_user_member, assessor
):
    response = api_client(admin_user_member).post(f"{URL}{org_schedule.pk}/run/")

    assert response.status_code == 202
    period = _this_period()
    poll = _runs_url(org_schedule, period)
    assert response.json() == {"period": period, "status": "queued", "url": poll}
    assert response["Location"] == poll

    reader = api_client(assessor)  # every member may poll, as they may read the schedule
    body = reader.get(poll).json()
    assert (body["period"], body["status"], body["assessment"]) == (period, "queued", None)

    assessment_id = run_reassessment.apply(kwargs={"schedule_id": org_schedule.pk}).get()  # the worker's task

    body = reader.get(poll).json()
    draft = Assessment.objects.get(pk=assessment_id)
    assert body["status"] == "done"
    assert body["assessment"] == {
        "id": draft.pk,
        "title": draft.title,
        "status": "draft",
        "url": f"http://testserver/api/v1/assessments/{draft.pk}/",
    }
    assert reader.get(body["assessment"]["url"]).json()["id"] == draft.pk


def test_earlier_periods_keep_their_draft(api_client, org_schedule, auditor):
    first = services.run_reassessment(org_schedule, today=date(2026, 10, 1))
    second = services.run_reassessment(org_schedule, today=date(2027, 1, 1))
    client = api_client(auditor)

    assert client.get(_runs_url(org_schedule, "2026-Q4")).json()["assessment"]["id"] == first.pk
    assert client.get(_runs_url(org_schedule, "2027-Q1")).json()["assessment"]["id"] == second.pk


def test_a_requested_run_of_a_schedule_paused_since_reads_failed(
    api_client, org_schedule, organisation, admin_user_member
):
    period = services.request_reassessment_run(actor=admin_user_member, schedule=org_schedule)
    saved_schedule(admin_user_member, organisation, frequency="quarterly", active=False)

    assert run_reassessment.apply(kwargs={"schedule_id": org_schedule.pk}).get() is None
    body = api_client(admin_user_member).get(_runs_url(org_schedule, period)).json()
    assert (body["status"], body["assessment"]) == ("failed", None)
    assert "paused" in body["detail"]


def test_a_period_with_no_run_answers_404(api_client, org_schedule, admin_user_member):
    client = api_client(admin_user_member)
    for period in (_this_period(), "2019-Q1", "soon"):
        response = client.get(f"{URL}{org_schedule.pk}/runs/{period}/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_another_organisations_schedule_answers_404(api_client, org_schedule, admin_user_member, outsider):
    period = services.request_reassessment_run(actor=admin_user_member, schedule=org_schedule)
    run_reassessment.apply(kwargs={"schedule_id": org_schedule.pk})
    assert api_client(outsider).get(_runs_url(org_schedule, period)).status_code == 404


def test_drafts_of_runs_before_the_upgrade_are_linked_from_the_audit_trail(org_schedule):
    draft = services.run_reassessment(org_schedule, today=date(2026, 10, 1))
    Assessment.objects.filter(pk=draft.pk).update(
        schedule=None, schedule_period=""
    )  # as the migration found it

    migration = importlib.import_module("maturity.migrations.0004_assessment_schedule_run")
    migration.link_earlier_runs(apps, None)

    draft.refresh_from_db()
    assert (draft.schedule, draft.schedule_period) == (org_schedule, "2026-Q4")
    assert selectors.schedule_run(org_schedule, "2026-Q4").record == draft


def test_the_schema_documents_the_location_and_the_poll(api_client, auditor):
    schema = api_client(auditor).get("/api/v1/schema/", {"format": "json"}).json()
    accepted = schema["paths"][f"{URL}{{id}}/run/"]["post"]["responses"]["202"]
    assert "Location" in accepted["headers"]
    poll = schema["paths"][f"{URL}{{id}}/runs/{{period}}/"]["get"]
    assert {"200", "404"} <= set(poll["responses"])
    run = schema["components"]["schemas"]["ReassessmentRun"]
    assert set(run["properties"]) == {"period", "status", "detail", "assessment"}
