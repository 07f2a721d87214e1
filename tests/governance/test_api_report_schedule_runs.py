"""A report schedule's "run now" answers where to poll the run; GET /api/v1/report-schedules/{id}/runs/{period}/
says whether it is queued, done (with its report) or failed, from the rows the run left."""

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.utils import timezone

from governance.core import scheduling
from governance.core.roles import Role
from governance.models import Membership, Report, ReportStatus
from governance.reports import services as report_services
from governance.selectors.report_schedules import schedule_run
from governance.services import report_schedules as services
from governance.tasks import run_report_schedule
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db

NOV = date(2026, 11, 23)


@pytest.fixture
def schedule(report_schedule, organisation, model_owner):
    AIModelFactory(organisation=organisation, owner=model_owner, name="Credit Scorer")
    return report_schedule


def _this_period() -> str:
    return scheduling.period_key("monthly", timezone.localdate())


def _runs_url(schedule, period: str) -> str:
    return f"http://testserver/api/v1/report-schedules/{schedule.pk}/runs/{period}/"


def test_run_now_answers_where_to_poll_and_the_run_reads_queued_then_done(
    api_client, schedule, admin_user_member, auditor
):
    response = api_client(admin_user_member).post(f"/api/v1/report-schedules/{schedule.pk}/run/")

    assert response.status_code == 202
    period = _this_period()
    poll = _runs_url(schedule, period)
    assert response.json() == {"period": period, "status": "queued", "url": poll}
    assert response["Location"] == poll

    reader = api_client(auditor)  # every member may poll, as they may read the schedule
    body = reader.get(poll).json()
    assert (body["period"], body["status"], body["report"]) == (period, "queued", None)

    report_id = run_report_schedule.apply(kwargs={"schedule_id": schedule.pk}).get()  # the worker's task
    body = reader.get(poll).json()
    assert body["status"] == "queued"
    assert (body["report"]["id"], body["report"]["status"]) == (report_id, "queued")
    assert body["report"]["download_url"] is None

    report_services.generate_report(report_id)
    body = reader.get(poll).json()
    assert body["status"] == "done" and body["detail"] == "The report is ready."
    report = Report.objects.get(pk=report_id)
    assert body["report"] == {
        "id": report.pk,
        "title": report.title,
        "status": "succeeded",
        "url": f"http://testserver/api/v1/reports/{report.pk}/",
        "download_url": f"http://testserver/api/v1/reports/{report.pk}/download/",
    }
    download = reader.get(body["report"]["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_a_report_that_failed_reads_failed_with_its_error(
    api_client, organisation, admin_user_member, model_owner
):
    model = AIModelFactory(organisation=organisation, owner=model_owner, name="Dossier subject")
    schedule = services.save_report_schedule(
        actor=admin_user_member,
        organisation=organisation,
        kind="model_dossier",
        subject_id=model.pk,
        frequency="monthly",
        recipients=["auditor@audit-firm.example"],
        attach_pdf=True,
        active=True,
    )
    report = services.run_report_schedule(schedule)
    model.delete()  # gone before the worker got to it
    report_services.generate_report(report.pk)

    body = api_client(admin_user_member).get(_runs_url(schedule, _this_period())).json()
    assert body["status"] == "failed" and body["report"]["status"] == "failed"
    assert "does not exist" in body["detail"] and body["report"]["download_url"] is None


def test_a_run_that_requested_no_report_reads_failed_saying_why(
    api_client, schedule, organisation, admin_user_member, make_member
):
    other_admin = make_member(Role.ADMIN, username="second-admin")
    Membership.objects.filter(user=admin_user_member).delete()  # the schedule's creator left

    assert services.run_report_schedule(schedule, today=NOV) is None

    body = api_client(other_admin).get(_runs_url(schedule, "2026-11")).json()
    assert (body["status"], body["report"]) == ("failed", None)
    assert "no longer a member" in body["detail"]


def test_beats_own_runs_read_the_same_way_and_earlier_periods_keep_their_report(
    api_client, schedule, auditor
):
    november = services.run_report_schedule(schedule, today=NOV)
    december = services.run_report_schedule(schedule, today=date(2026, 12, 1))
    client = api_client(auditor)

    assert client.get(_runs_url(schedule, "2026-11")).json()["report"]["id"] == november.pk
    assert client.get(_runs_url(schedule, "2026-12")).json()["report"]["id"] == december.pk


def test_a_requested_run_that_cannot_run_any_more_reads_failed(schedule, organisation, admin_user_member):
    period = services.request_schedule_run(actor=admin_user_member, schedule=schedule)
    assert schedule_run(schedule, period).status == scheduling.RunStatus.QUEUED

    # The period ended before a worker ran it: the task runs the next period's instead.
    later = date.fromordinal(scheduling.next_run_on("monthly", timezone.localdate()).toordinal() + 1)
    outcome = schedule_run(schedule, period, today=later)
    assert outcome.status == scheduling.RunStatus.FAILED and "ended before the run" in outcome.detail

    # Paused before a worker ran it: the task runs no paused schedule.
    services.save_report_schedule(
        actor=admin_user_member,
        organisation=organisation,
        kind=schedule.kind,
        frequency=schedule.frequency,
        recipients=schedule.recipients,
        attach_pdf=True,
        active=False,
        schedule=schedule,
    )
    schedule.refresh_from_db()
    outcome = schedule_run(schedule, period)
    assert outcome.status == scheduling.RunStatus.FAILED and "paused" in outcome.detail


def test_a_period_with_no_run_answers_404(api_client, schedule, admin_user_member):
    client = api_client(admin_user_member)
    for period in (_this_period(), "2019-01", "not-a-period"):
        response = client.get(f"/api/v1/report-schedules/{schedule.pk}/runs/{period}/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    assert "no run for the period 2019-01" in client.get(_runs_url(schedule, "2019-01")).json()["detail"]


def test_another_organisations_schedule_answers_404(api_client, schedule, admin_user_member, outsider):
    period = services.request_schedule_run(actor=admin_user_member, schedule=schedule)
    assert api_client(outsider).get(_runs_url(schedule, period)).status_code == 404


def test_reports_of_runs_before_the_upgrade_are_linked_from_the_audit_trail(schedule):
    report = services.run_report_schedule(schedule, today=NOV)
    Report.objects.filter(pk=report.pk).update(schedule_period="")  # as the migration found it

    migration = importlib.import_module("governance.migrations.0020_report_schedule_period")
    migration.link_earlier_runs(apps, None)

    assert Report.objects.get(pk=report.pk).schedule_period == "2026-11"
    assert schedule_run(schedule, "2026-11").record == report


def test_the_schema_documents_the_location_and_the_poll(api_client, auditor):
    schema = api_client(auditor).get("/api/v1/schema/", {"format": "json"}).json()
    accepted = schema["paths"]["/api/v1/report-schedules/{id}/run/"]["post"]["responses"]["202"]
    assert "Location" in accepted["headers"]
    poll = schema["paths"]["/api/v1/report-schedules/{id}/runs/{period}/"]["get"]
    assert {"200", "404"} <= set(poll["responses"])
    run = schema["components"]["schemas"]["ReportScheduleRun"]
    assert set(run["properties"]) == {"period", "status", "detail", "report"}
    assert schema["components"]["schemas"]["ScheduleRunStatusEnum"]["enum"] == ["queued", "done", "failed"]
    assert ReportStatus.SUCCEEDED in schema["components"]["schemas"]["ReportStatusEnum"]["enum"]
