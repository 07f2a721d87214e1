"""Scheduled reports: setup and validation, beat tasks, one report per period, the emails, pages and API."""

import email
import hashlib
import json
import time
from datetime import date, timedelta
from email import policy

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from governance.core import scheduling
from governance.core.roles import Role
from governance.models import (
    AuditEvent,
    Membership,
    Report,
    ReportSchedule,
    ReportStatus,
    ScheduleFrequency,
)
from governance.reports import services as report_services
from governance.services import report_schedules as services
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db

NOV = date(2026, 11, 23)
AUDITORS = ["lead.auditor@audit-firm.example", "second@audit-firm.example"]


def save(actor, organisation, **overrides):
    values = {
        "kind": "model_inventory",
        "frequency": ScheduleFrequency.MONTHLY,
        "recipients": AUDITORS,
        "attach_pdf": True,
        "active": True,
    }
    values.update(overrides)
    return services.save_report_schedule(actor=actor, organisation=organisation, **values)


@pytest.fixture
def inventory(organisation, model_owner):
    return [
        AIModelFactory(organisation=organisation, owner=model_owner, name="Credit Scorer"),
        AIModelFactory(organisation=organisation, owner=model_owner, name="Churn Predictor"),
    ]


@pytest.fixture
def schedule(organisation, admin_user_member, inventory):
    return save(admin_user_member, organisation)


# --- Service: setup and validation ------------------------------------------------------------------


def test_save_creates_schedule_with_registered_beat_task_and_audit(organisation, admin_user_member):
    from config.celery import app

    schedule = save(
        admin_user_member, organisation, recipients=[" A@Example.com", "a@example.com", "b@example.com"]
    )

    assert schedule.recipients == ["A@Example.com", "b@example.com"]
    assert schedule.created_by == admin_user_member
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "governance.tasks.run_report_schedule"
    app.loader.import_default_modules()
    assert task.task in app.tasks
    assert json.loads(task.kwargs) == {"schedule_id": schedule.pk}
    assert task.enabled
    crontab = task.crontab
    assert (
        crontab.minute,
        crontab.hour,
        crontab.day_of_month,
        crontab.month_of_year,
        crontab.day_of_week,
    ) == (
        "0",
        "6",
        "1",
        "*",
        "*",
    )
    event = AuditEvent.objects.get(action="report_schedule.create", object_id=str(schedule.pk))
    assert event.changes["recipients"] == [None, ["A@Example.com", "b@example.com"]]


@pytest.mark.parametrize(
    ("frequency", "day_of_week", "day_of_month", "month_of_year"),
    [
        ("weekly", "1", "*", "*"),
        ("quarterly", "*", "1", "1,4,7,10"),
        ("yearly", "*", "1", "1"),
    ],
)
def test_update_keeps_one_beat_task_with_the_new_crontab(
    schedule, organisation, admin_user_member, frequency, day_of_week, day_of_month, month_of_year
):
    updated = save(admin_user_member, organisation, frequency=frequency, active=False, schedule=schedule)

    assert PeriodicTask.objects.count() == 1
    task = PeriodicTask.objects.get(pk=updated.periodic_task_id)
    assert (task.crontab.day_of_week, task.crontab.day_of_month, task.crontab.month_of_year) == (
        day_of_week,
        day_of_month,
        month_of_year,
    )
    assert not task.enabled
    event = AuditEvent.objects.get(action="report_schedule.update", object_id=str(schedule.pk))
    assert event.changes["frequency"] == ["monthly", frequency]
    assert event.changes["active"] == [True, False]


@pytest.mark.parametrize(
    "role", [Role.EXECUTIVE, Role.ASSESSOR, Role.MODEL_OWNER, Role.RISK_OFFICER, Role.AUDITOR]
)
def test_only_administrators_schedule_reports(make_member, organisation, role):
    with pytest.raises(PermissionDenied):
        save(make_member(role), organisation)
    assert not ReportSchedule.objects.exists() and not PeriodicTask.objects.exists()


def test_outsiders_cannot_schedule_or_change_another_organisations_schedule(schedule, organisation, outsider):
    with pytest.raises(Http404):
        save(outsider, organisation)
    with pytest.raises(Http404):
        services.delete_report_schedule(actor=outsider, schedule=schedule)
    assert ReportSchedule.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"recipients": ["ok@example.com", "bob@", ""]}, "recipients", "Recipient 2 (“bob@”): not a valid"),
        (
            {"recipients": ["ok@example.com", "bob@", ""]},
            "recipients",
            "Recipient 3: an email address is required",
        ),
        ({"recipients": []}, "recipients", "Give at least one email address"),
        ({"recipients": "a@example.com"}, "recipients", "Give a list of email addresses"),
        ({"recipients": [f"u{n}@example.com" for n in range(51)]}, "recipients", "At most 50 recipients"),
        ({"kind": "nonsense"}, "kind", "Unknown report kind"),
        ({"frequency": "daily"}, "frequency", "Choose one of"),
        ({"kind": "model_dossier"}, "subject_id", "Choose what the report is about"),
        ({"subject_id": 1}, "subject_id", "covers the whole organisation"),
        ({"parameters": ["x"]}, "parameters", "must be an object"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(
    organisation, admin_user_member, overrides, field, message
):
    with pytest.raises(ValidationError) as exc:
        save(admin_user_member, organisation, **overrides)

    assert any(message in m for m in exc.value.message_dict[field])
    assert not ReportSchedule.objects.exists() and not PeriodicTask.objects.exists()


def test_dossier_subject_must_be_a_model_of_the_organisation(
    organisation, other_organisation, admin_user_member, inventory
):
    foreign = AIModelFactory(organisation=other_organisation)
    with pytest.raises(ValidationError) as exc:
        save(admin_user_member, organisation, kind="model_dossier", subject_id=foreign.pk)
    assert "subject_id" in exc.value.message_dict

    schedule = save(admin_user_member, organisation, kind="model_dossier", subject_id=inventory[0].pk)
    assert schedule.subject_id == inventory[0].pk


def test_compliance_schedule_needs_a_loaded_framework_and_runs_on_its_current_version(
    organisation, admin_user_member
):
    from tests.governance.reminder_factories import FrameworkFactory

    framework = FrameworkFactory(key="eu-ai-act", version="2024", name="EU AI Act")
    with pytest.raises(ValidationError) as exc:
        save(admin_user_member, organisation, kind="compliance")
    assert "framework" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        save(admin_user_member, organisation, kind="compliance", parameters={"framework": "nope"})
    assert "Unknown framework" in exc.value.message_dict["framework"][0]

    schedule = save(
        admin_user_member,
        organisation,
        kind="compliance",
        parameters={"framework": "eu-ai-act", "framework_version": "old"},
    )
    assert schedule.parameters == {"framework": "eu-ai-act"}  # the version is pinned per run, not here

    report = services.run_report_schedule(schedule, today=NOV)
    assert report.parameters["framework_version"] == framework.version


def test_period_report_schedule_covers_the_period_just_ended(organisation, admin_user_member):
    with pytest.raises(ValidationError) as exc:
        save(
            admin_user_member,
            organisation,
            kind="organisation_maturity",
            parameters={"period_start": "2026-01-01"},
        )
    assert "leave period_start and period_end out" in exc.value.message_dict["parameters"][0]

    schedule = save(admin_user_member, organisation, kind="organisation_maturity")
    report = services.run_report_schedule(schedule, today=date(2026, 12, 1))

    assert (report.parameters["period_start"], report.parameters["period_end"]) == (
        "2026-11-01",
        "2026-11-30",
    )
    assert report.title.endswith("(2026-11)")


def test_delete_removes_beat_task_and_keeps_reports(schedule, admin_user_member):
    report = services.run_report_schedule(schedule, today=NOV)
    schedule_id = schedule.pk

    services.delete_report_schedule(actor=admin_user_member, schedule=schedule)

    assert not ReportSchedule.objects.exists() and not PeriodicTask.objects.exists()
    assert Report.objects.get(pk=report.pk).schedule is None
    assert AuditEvent.objects.filter(action="report_schedule.delete", object_id=str(schedule_id)).exists()


def test_the_django_admin_cannot_delete_a_schedule_behind_the_audit_trail(client, schedule):
    """Schedules are deleted on their page (audited, with their beat task); the admin only shows them."""
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:governance_reportschedule_delete", args=[schedule.pk])

    assert client.post(url, {"post": "yes"}).status_code == 403

    assert ReportSchedule.objects.filter(pk=schedule.pk).exists() and PeriodicTask.objects.exists()


# --- Runs: one report per period --------------------------------------------------------------------


def test_run_requests_one_report_per_period(schedule, admin_user_member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        report = services.run_report_schedule(schedule, today=NOV.replace(day=1))
    again = services.run_report_schedule(schedule, today=NOV)

    assert again is None
    assert len(callbacks) == 1  # the render task, enqueued on commit
    report = Report.objects.get()
    assert (report.schedule, report.requested_by, report.kind) == (
        schedule,
        admin_user_member,
        "model_inventory",
    )
    assert report.status == ReportStatus.QUEUED
    schedule.refresh_from_db()
    assert schedule.last_run_period == "2026-11"
    assert AuditEvent.objects.filter(action="report_schedule.run", object_id=str(schedule.pk)).count() == 1

    assert services.run_report_schedule(schedule, today=date(2026, 12, 1)) is not None
    assert Report.objects.count() == 2


def test_paused_schedule_does_not_run(schedule, organisation, admin_user_member):
    save(admin_user_member, organisation, active=False, schedule=schedule)

    assert services.run_report_schedule(schedule, today=NOV) is None
    assert not Report.objects.exists()


def test_run_without_a_creator_is_skipped_and_the_admins_are_told(
    schedule, organisation, admin_user_member, make_member, django_capture_on_commit_callbacks
):
    other_admin = make_member(Role.ADMIN, username="second-admin")
    Membership.objects.filter(user=admin_user_member).delete()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_report_schedule(schedule, today=NOV) is None

    assert not Report.objects.exists()
    assert AuditEvent.objects.filter(action="report_schedule.skipped").exists()
    (message,) = mail.outbox
    assert message.to == [other_admin.email]
    assert "no longer a member" in message.body

    # Saving it again hands it to the admin who saved it; the next period runs.
    save(other_admin, organisation, schedule=schedule)
    schedule.refresh_from_db()
    assert schedule.created_by == other_admin
    assert services.run_report_schedule(schedule, today=date(2026, 12, 1)).requested_by == other_admin


def test_task_runs_the_schedule_once_per_period(schedule):
    from governance.tasks import run_report_schedule

    report_id = run_report_schedule.apply(kwargs={"schedule_id": schedule.pk}).get()

    assert Report.objects.get(pk=report_id).schedule_id == schedule.pk
    assert run_report_schedule.apply(kwargs={"schedule_id": schedule.pk}).get() is None
    assert run_report_schedule.apply(kwargs={"schedule_id": 999999}).get() is None


# --- Emails after the worker finished ---------------------------------------------------------------


def test_succeeded_report_is_emailed_once_with_the_pdf_attached(schedule, django_capture_on_commit_callbacks):
    report = services.run_report_schedule(schedule, today=NOV)
    with django_capture_on_commit_callbacks() as callbacks:
        report = report_services.generate_report(report.pk)
    assert report.status == ReportStatus.SUCCEEDED
    assert len(callbacks) == 1  # the email task, enqueued once the report is stored

    assert services.email_scheduled_report(report.pk) is True
    assert services.email_scheduled_report(report.pk) is False

    (message,) = mail.outbox
    assert message.to == AUDITORS
    assert message.subject == f"[Plumbline] Model inventory report (2026-11) — {schedule.organisation}"
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"plumbline-report-{report.pk}.pdf", "application/pdf")
    assert hashlib.sha256(content).hexdigest() == report.sha256
    assert "The PDF is attached" in message.body and report.sha256 in message.body
    assert message.alternatives[0][1] == "text/html"
    assert Report.objects.get(pk=report.pk).emailed_at is not None


@pytest.mark.parametrize("attach_pdf", [True, False])
def test_pdf_too_large_or_not_wanted_is_linked(
    schedule, organisation, admin_user_member, settings, attach_pdf
):
    save(admin_user_member, organisation, attach_pdf=attach_pdf, schedule=schedule)
    settings.REPORT_EMAIL_MAX_ATTACHMENT_BYTES = 1000
    settings.SITE_URL = "https://plumbline.example.com/"
    report = services.run_report_schedule(schedule, today=NOV)
    report_services.generate_report(report.pk)

    services.email_scheduled_report(report.pk)

    (message,) = mail.outbox
    assert not message.attachments
    assert f"https://plumbline.example.com/reports/{report.pk}/download/" in message.body
    assert ("larger than the" in message.body) is attach_pdf


def test_failed_report_is_reported_to_the_schedule_creator_once(
    organisation, admin_user_member, inventory, django_capture_on_commit_callbacks
):
    model = inventory[0]
    schedule = save(admin_user_member, organisation, kind="model_dossier", subject_id=model.pk)
    report = services.run_report_schedule(schedule, today=NOV)
    model_id = model.pk
    model.delete()  # gone before the worker got to it

    with django_capture_on_commit_callbacks() as callbacks:
        report = report_services.generate_report(report.pk)
    assert report.status == ReportStatus.FAILED
    assert len(callbacks) == 1

    assert services.email_scheduled_report(report.pk) is True
    assert services.email_scheduled_report(report.pk) is False
    (message,) = mail.outbox
    assert message.to == [admin_user_member.email]
    assert message.subject.startswith("[Plumbline] Scheduled report failed")
    assert f"AI model #{model_id} does not exist" in message.body
    assert not message.attachments


def test_one_off_reports_are_not_emailed(
    organisation, auditor, inventory, django_capture_on_commit_callbacks
):
    report = report_services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    with django_capture_on_commit_callbacks() as callbacks:
        report_services.generate_report(report.pk)

    assert callbacks == []
    assert services.email_scheduled_report(report.pk) is False
    assert not mail.outbox


def test_sweep_finds_finished_reports_whose_email_was_lost(schedule):
    report = services.run_report_schedule(schedule, today=NOV)
    report_services.generate_report(report.pk)
    Report.objects.filter(pk=report.pk).update(finished_at=timezone.now() - timedelta(minutes=30))

    assert services.unsent_scheduled_reports() == [report.pk]
    services.email_scheduled_report(report.pk)
    assert services.unsent_scheduled_reports() == []


# --- Pages ------------------------------------------------------------------------------------------


LIST_QUERIES = 12


@pytest.mark.parametrize("count", [1, 8])
def test_list_page_query_count_does_not_grow(
    login, organisation, admin_user_member, inventory, count, django_assert_max_num_queries
):
    for n in range(count):
        s = save(admin_user_member, organisation, kind="model_dossier", subject_id=inventory[n % 2].pk)
        services.run_report_schedule(s, today=NOV)
    client = login(admin_user_member)

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("governance:report-schedule-list"))

    assert response.status_code == 200
    assert response.content.decode().count("data-schedule-id=") == count
    assert "Model dossier: Credit Scorer" in response.content.decode()


def test_reports_list_marks_scheduled_reports(login, schedule, admin_user_member):
    services.run_report_schedule(schedule, today=NOV)

    page = login(admin_user_member).get(reverse("governance:report-list")).content.decode()

    assert f'{reverse("governance:report-schedule-list")}#schedule-{schedule.pk}">on a schedule' in page


def test_members_read_the_list_and_only_admins_get_edit_links(login, schedule, auditor):
    page = login(auditor).get(reverse("governance:report-schedule-list")).content.decode()

    assert AUDITORS[0] in page and "Monthly" in page
    assert reverse("governance:report-schedule-create") not in page
    assert reverse("governance:report-schedule-edit", args=[schedule.pk]) not in page
    assert "Only administrators" in page


def test_reports_page_links_to_schedules(login, auditor):
    page = login(auditor).get(reverse("governance:report-list")).content.decode()
    assert reverse("governance:report-schedule-list") in page


def test_admin_creates_a_schedule_from_the_form(login, organisation, admin_user_member, inventory):
    client = login(admin_user_member)
    assert client.get(reverse("governance:report-schedule-create")).status_code == 200

    response = client.post(
        reverse("governance:report-schedule-create"),
        {
            "kind": "model_dossier",
            "subject": inventory[1].pk,
            "frequency": "quarterly",
            "recipients": "lead@audit.example, second@audit.example\n\nthird@audit.example\n",
            "attach_pdf": "on",
            "active": "on",
        },
    )

    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.recipients == ["lead@audit.example", "second@audit.example", "third@audit.example"]
    assert (schedule.kind, schedule.subject_id, schedule.frequency) == (
        "model_dossier",
        inventory[1].pk,
        "quarterly",
    )
    assert schedule.attach_pdf and schedule.active
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled


def test_form_schedules_a_compliance_report_for_a_framework(login, organisation, admin_user_member):
    from tests.governance.reminder_factories import FrameworkFactory

    FrameworkFactory(key="nist-ai-rmf", version="1.0", name="NIST AI RMF")
    client = login(admin_user_member)
    data = {"kind": "compliance", "frequency": "quarterly", "recipients": "a@example.com"}

    response = client.post(reverse("governance:report-schedule-create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["framework"] == ["Choose the framework the report covers."]

    response = client.post(reverse("governance:report-schedule-create"), {**data, "framework": "nist-ai-rmf"})
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.parameters == {"framework": "nist-ai-rmf"}
    page = client.get(reverse("governance:report-schedule-list")).content.decode()
    assert "Compliance: NIST AI RMF" in page
    edit = client.get(reverse("governance:report-schedule-edit", args=[schedule.pk])).content.decode()
    assert 'value="nist-ai-rmf" selected' in edit


def test_form_reports_each_bad_line_and_saves_nothing(login, admin_user_member):
    response = login(admin_user_member).post(
        reverse("governance:report-schedule-create"),
        {
            "kind": "model_inventory",
            "frequency": "monthly",
            "recipients": "good@example.com\nbob@\ncarol@example.com, not an address",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 2: “bob@” is not a valid email address." in page
    assert "Line 3: “not an address” is not a valid email address." in page
    assert not ReportSchedule.objects.exists()


def test_form_requires_the_dossier_model(login, admin_user_member):
    response = login(admin_user_member).post(
        reverse("governance:report-schedule-create"),
        {"kind": "model_dossier", "frequency": "monthly", "recipients": "a@example.com"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["subject"] == ["Choose what the report is about."]
    assert not ReportSchedule.objects.exists()


def test_admin_edits_and_deletes_a_schedule(login, schedule, admin_user_member):
    client = login(admin_user_member)
    edit = reverse("governance:report-schedule-edit", args=[schedule.pk])
    assert AUDITORS[1] in client.get(edit).content.decode()

    response = client.post(
        edit, {"kind": "model_inventory", "frequency": "weekly", "recipients": "only@audit.example"}
    )

    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.frequency, schedule.recipients, schedule.attach_pdf, schedule.active) == (
        "weekly",
        ["only@audit.example"],
        False,
        False,
    )
    delete = reverse("governance:report-schedule-delete", args=[schedule.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    assert not ReportSchedule.objects.exists()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.RISK_OFFICER, Role.AUDITOR])
def test_non_admins_get_403_on_the_forms(login, schedule, make_member, role):
    client = login(make_member(role))
    urls = [
        reverse("governance:report-schedule-create"),
        reverse("governance:report-schedule-edit", args=[schedule.pk]),
        reverse("governance:report-schedule-delete", args=[schedule.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, {"recipients": "x@example.com"}).status_code == 403
    assert ReportSchedule.objects.get().recipients == AUDITORS


def test_another_organisations_schedule_answers_404(login, schedule, outsider):
    client = login(outsider)
    for name in ("report-schedule-edit", "report-schedule-delete"):
        assert client.get(reverse(f"governance:{name}", args=[schedule.pk])).status_code == 404
        assert client.post(reverse(f"governance:{name}", args=[schedule.pk])).status_code == 404
    assert AUDITORS[0] not in client.get(reverse("governance:report-schedule-list")).content.decode()
    assert ReportSchedule.objects.exists()


def test_admin_runs_a_schedule_now_once_per_period(
    login, schedule, admin_user_member, auditor, django_capture_on_commit_callbacks
):
    url = reverse("governance:report-schedule-run", args=[schedule.pk])
    client = login(admin_user_member)
    assert "Run now" in client.get(reverse("governance:report-schedule-list")).content.decode()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, follow=True)
    assert len(callbacks) == 1  # the same run task beat fires, enqueued on commit
    period = scheduling.period_key("monthly", timezone.localdate())
    assert f"The {period} model inventory report is being produced" in response.content.decode()
    assert AuditEvent.objects.filter(action="report_schedule.run_request", actor=admin_user_member).exists()

    services.run_report_schedule(schedule)  # what the task does
    response = client.post(url, follow=True)
    assert f"This period ({period}) has already run" in response.content.decode()
    assert Report.objects.count() == 1

    assert login(auditor).post(url).status_code == 403


def test_paused_schedule_cannot_be_run_now(schedule, organisation, admin_user_member):
    from governance.core.errors import ConflictError

    save(admin_user_member, organisation, active=False, schedule=schedule)
    with pytest.raises(ConflictError):
        services.request_schedule_run(actor=admin_user_member, schedule=schedule)


# --- API --------------------------------------------------------------------------------------------


def test_api_lists_own_organisation_schedules_to_every_member(
    api_client, schedule, auditor, outsider, other_organisation
):
    body = api_client(auditor).get("/api/v1/report-schedules/").json()
    assert [s["id"] for s in body["results"]] == [schedule.pk]
    assert body["results"][0]["recipients"] == AUDITORS
    assert body["results"][0]["created_by"] == "org-admin"

    assert api_client(outsider).get("/api/v1/report-schedules/").json()["results"] == []
    assert api_client(outsider).get(f"/api/v1/report-schedules/{schedule.pk}/").status_code == 404


def test_api_admin_creates_updates_and_deletes(api_client, organisation, admin_user_member, inventory):
    client = api_client(admin_user_member)

    response = client.post(
        "/api/v1/report-schedules/",
        {"kind": "model_inventory", "frequency": "yearly", "recipients": ["a@audit.example"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["organisation"] == organisation.pk
    assert created["next_run_on"] == date(timezone.localdate().year + 1, 1, 1).isoformat()
    assert created["attach_pdf"] is True and created["latest_report"] is None

    url = f"/api/v1/report-schedules/{created['id']}/"
    response = client.patch(url, {"active": False}, format="json")
    assert response.status_code == 200
    assert (response.json()["active"], response.json()["recipients"]) == (False, ["a@audit.example"])
    assert not PeriodicTask.objects.get().enabled

    assert client.delete(url).status_code == 204
    assert not ReportSchedule.objects.exists() and not PeriodicTask.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"recipients": ["a@example.com", "nope"]}, "recipients", "Recipient 2 (“nope”)"),
        ({"recipients": "a@example.com"}, "recipients", "list"),
        ({"kind": "model_dossier"}, "subject_id", "Choose what the report is about"),
        ({"frequency": "hourly"}, "frequency", "valid choice"),
    ],
)
def test_api_bad_input_answers_400_per_field(api_client, admin_user_member, payload, field, fragment):
    body = {"kind": "model_inventory", "frequency": "monthly", "recipients": ["a@example.com"], **payload}

    response = api_client(admin_user_member).post("/api/v1/report-schedules/", body, format="json")

    assert response.status_code == 400
    assert any(fragment in message for message in response.json()["errors"][field])
    assert not ReportSchedule.objects.exists()


def test_api_non_admin_gets_403(api_client, schedule, auditor):
    client = api_client(auditor)
    body = {"kind": "model_inventory", "frequency": "monthly", "recipients": ["a@example.com"]}

    assert client.post("/api/v1/report-schedules/", body, format="json").status_code == 403
    assert (
        client.patch(f"/api/v1/report-schedules/{schedule.pk}/", {"active": False}, format="json").status_code
        == 403
    )
    assert client.delete(f"/api/v1/report-schedules/{schedule.pk}/").status_code == 403
    assert ReportSchedule.objects.get().active


def test_api_run_answers_202_then_409(api_client, schedule, admin_user_member, auditor, outsider):
    url = f"/api/v1/report-schedules/{schedule.pk}/run/"
    assert api_client(auditor).post(url).status_code == 403
    assert api_client(outsider).post(url).status_code == 404

    response = api_client(admin_user_member).post(url)
    assert response.status_code == 202
    assert response.json()["period"] == scheduling.period_key("monthly", timezone.localdate())

    services.run_report_schedule(schedule)
    assert api_client(admin_user_member).post(url).status_code == 409


def test_api_outsider_cannot_create_in_another_organisation(api_client, organisation, outsider):
    body = {
        "organisation": organisation.pk,
        "kind": "model_inventory",
        "frequency": "monthly",
        "recipients": ["a@example.com"],
    }
    response = api_client(outsider).post("/api/v1/report-schedules/", body, format="json")
    assert response.status_code == 400 and "does not exist" in response.json()["errors"]["organisation"][0]
    assert not ReportSchedule.objects.exists()


# --- A real worker: beat's task through the broker, rendered, emailed with the PDF ------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_schedule_renders_and_emails_the_pdf(
    celery_worker_process, organisation, admin_user_member, inventory, tmp_path
):
    from governance.tasks import run_report_schedule

    mail_dir = tmp_path / "mail"
    schedule = save(admin_user_member, organisation)
    celery_worker_process.start(
        extra_env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
        }
    )

    run_report_schedule.delay(schedule_id=schedule.pk)

    deadline = time.monotonic() + 120
    report = None
    while time.monotonic() < deadline:
        report = Report.objects.filter(schedule=schedule).first()
        if report is not None and (report.emailed_at or report.status == ReportStatus.FAILED):
            break
        time.sleep(0.1)
    assert report is not None and report.emailed_at, celery_worker_process.logs()[-4000:]
    assert report.status == ReportStatus.SUCCEEDED, report.error

    (mail_file,) = list(mail_dir.iterdir())
    message = email.message_from_bytes(mail_file.read_bytes(), policy=policy.default)
    assert message["To"] == ", ".join(AUDITORS)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert hashlib.sha256(attachment.get_content()).hexdigest() == report.sha256
    schedule.refresh_from_db()
    assert schedule.last_run_period == scheduling.period_key("monthly", timezone.localdate())
