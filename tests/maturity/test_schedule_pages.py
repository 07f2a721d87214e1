"""The reassessment schedules page, the organisation's targets page and an assessment's targets page."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from config.celery import app
from governance.core.roles import Role
from governance.models import AuditEvent
from maturity import services
from maturity.models import Assessment, AssessmentStatus, MaturityTarget, ReassessmentSchedule
from tests.factories import BusinessUnitFactory
from tests.maturity.page_fixtures import AssessmentFactory
from tests.maturity.schedule_helpers import saved_schedule

pytestmark = pytest.mark.django_db

# Session, user, memberships and the page's own reads: never grows with the number of units or schedules.
PAGE_QUERIES = 8
SCHEDULES_URL = reverse("maturity:schedule-list")
TARGETS_URL = reverse("maturity:targets")


def schedule_of(organisation, business_unit=None) -> ReassessmentSchedule | None:
    return ReassessmentSchedule.objects.filter(organisation=organisation, business_unit=business_unit).first()


def audit_actions(organisation) -> list[str]:
    return list(
        AuditEvent.objects.filter(organisation=organisation)
        .order_by("sequence")
        .values_list("action", flat=True)
    )


@pytest.fixture
def org_schedule(questionnaire, organisation, admin_user_member):
    return saved_schedule(admin_user_member, organisation, frequency="quarterly")


@pytest.fixture
def eager_tasks(monkeypatch):
    """Run enqueued Celery tasks in this process, so a page's enqueued work can be observed in the test."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)


# --- Schedules: what the page shows ------------------------------------------------------------------


@pytest.mark.parametrize("unit_count", [1, 15])
def test_schedule_list_shows_every_scope_with_constant_queries(
    login, admin_user_member, organisation, questionnaire, unit_count, django_assert_max_num_queries
):
    units = [BusinessUnitFactory(organisation=organisation, name=f"Unit {i:02d}") for i in range(unit_count)]
    for unit in units[1:]:
        saved_schedule(admin_user_member, organisation, frequency="yearly", business_unit=unit)
        services.run_reassessment(schedule_of(organisation, unit), today=datetime.date(2026, 11, 2))
    org = saved_schedule(admin_user_member, organisation, frequency="monthly")
    draft = services.run_reassessment(org, today=datetime.date(2026, 11, 2))
    client = login(admin_user_member)

    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(SCHEDULES_URL)

    assert response.status_code == 200
    html = response.content.decode()
    org_row = html.split('id="schedule-organisation"')[1].split("</tr>")[0]
    assert "Monthly" in org_row and "Active" in org_row and "2026-11" in org_row
    assert reverse("maturity:assessment-detail", args=[draft.pk]) in org_row and draft.title in org_row
    first_unit_row = html.split(f'id="schedule-unit-{units[0].pk}"')[1].split("</tr>")[0]
    assert "Not scheduled" in first_unit_row and "Add schedule" in first_unit_row
    assert html.count('name="scope"') == unit_count + 1
    assert html.count("<td>Yearly</td>") == unit_count - 1


def test_schedule_list_shows_next_run_and_paused(login, admin_user_member, organisation, org_schedule):
    html = login(admin_user_member).get(SCHEDULES_URL).content.decode()
    assert org_schedule.next_run_on.isoformat() in html  # ISO 8601, like every date
    saved_schedule(admin_user_member, organisation, frequency="quarterly", active=False)
    html = login(admin_user_member).get(SCHEDULES_URL).content.decode()
    assert "Paused" in html and "Run now" not in html


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ASSESSOR, Role.AUDITOR])
def test_schedule_list_is_read_only_for_non_admins(login, make_member, org_schedule, business_unit, role):
    response = login(make_member(role)).get(SCHEDULES_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Quarterly" in html and "Retail Banking" in html
    assert '<form method="post" action="/maturity/schedules/"' not in html
    assert 'name="scope"' not in html and "Run now" not in html
    assert "Only administrators change schedules" in html


def test_schedule_list_requires_login(client):
    response = client.get(SCHEDULES_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_dashboard_links_to_schedules_and_targets(login, auditor, questionnaire):
    html = login(auditor).get(reverse("maturity:dashboard")).content.decode()
    assert f'href="{SCHEDULES_URL}"' in html and f'href="{TARGETS_URL}"' in html


# --- Schedules: adding, changing, pausing ------------------------------------------------------------


def test_admin_adds_a_business_unit_schedule(
    login, admin_user_member, organisation, business_unit, questionnaire
):
    key = f"unit-{business_unit.pk}"
    response = login(admin_user_member).post(
        SCHEDULES_URL, {"scope": key, f"{key}-frequency": "half-yearly", f"{key}-active": "on"}, follow=True
    )
    assert response.redirect_chain == [(SCHEDULES_URL, 302)]
    assert "Retail Banking: half-yearly reassessment saved (active)." in response.content.decode()
    schedule = schedule_of(organisation, business_unit)
    assert (
        schedule.frequency == "half-yearly" and schedule.active and schedule.created_by == admin_user_member
    )
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.enabled and task.crontab.month_of_year == "1,7"
    assert schedule_of(organisation) is None  # only the posted row was saved
    event = AuditEvent.objects.get(organisation=organisation, action="schedule.create")
    assert event.actor == admin_user_member and event.changes["frequency"] == [None, "half-yearly"]


def test_deleting_a_business_unit_removes_its_schedule_and_beat_task(
    admin_user_member, organisation, business_unit, questionnaire
):
    schedule = saved_schedule(
        admin_user_member, organisation, frequency="yearly", business_unit=business_unit
    )
    assert PeriodicTask.objects.filter(pk=schedule.periodic_task_id).exists()

    business_unit.delete()

    assert not ReassessmentSchedule.objects.filter(pk=schedule.pk).exists()
    assert not PeriodicTask.objects.filter(pk=schedule.periodic_task_id).exists()


def test_admin_changes_frequency_and_pauses(login, admin_user_member, organisation, org_schedule):
    response = login(admin_user_member).post(
        SCHEDULES_URL, {"scope": "organisation", "organisation-frequency": "monthly"}
    )
    assert response.status_code == 302
    schedule = schedule_of(organisation)
    assert schedule.pk == org_schedule.pk
    assert schedule.frequency == "monthly" and not schedule.active and schedule.next_run_on is None
    assert not PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled
    assert audit_actions(organisation)[-1] == "schedule.update"

    login(admin_user_member).post(
        SCHEDULES_URL,
        {"scope": "organisation", "organisation-frequency": "monthly", "organisation-active": "on"},
    )
    schedule.refresh_from_db()
    assert schedule.active and schedule.next_run_on is not None
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled


def test_bad_frequency_is_shown_in_its_row_and_nothing_is_saved(
    login, admin_user_member, organisation, org_schedule, business_unit
):
    events_before = AuditEvent.objects.count()
    key = f"unit-{business_unit.pk}"
    response = login(admin_user_member).post(SCHEDULES_URL, {"scope": key, f"{key}-frequency": "daily"})
    assert response.status_code == 400
    html = response.content.decode()
    row = html.split(f'id="schedule-{key}"')[1].split("</tr>")[0]
    assert "Select a valid choice" in row and 'role="alert"' in row
    # The unposted active box comes back unticked: what was sent is what is shown.
    assert f'name="{key}-active"' in row and "checked" not in row
    assert "Select a valid choice" not in html.split(f'id="schedule-{key}"')[0]
    assert schedule_of(organisation, business_unit) is None
    assert PeriodicTask.objects.filter(name__startswith="maturity-reassessment-").count() == 1
    assert AuditEvent.objects.count() == events_before


def test_unknown_scope_is_404(login, admin_user_member, org_schedule):
    response = login(admin_user_member).post(
        SCHEDULES_URL, {"scope": "unit-999999", "unit-999999-frequency": "yearly"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ASSESSOR, Role.RISK_OFFICER, Role.AUDITOR])
def test_non_admin_may_not_save_a_schedule(login, make_member, organisation, org_schedule, role):
    response = login(make_member(role)).post(
        SCHEDULES_URL,
        {"scope": "organisation", "organisation-frequency": "monthly", "organisation-active": "on"},
    )
    assert response.status_code == 403
    assert schedule_of(organisation).frequency == "quarterly"


def test_other_organisations_schedules_are_invisible_and_untouchable(
    login, outsider, organisation, other_organisation, business_unit, org_schedule, admin_user_member
):
    saved_schedule(admin_user_member, organisation, frequency="yearly", business_unit=business_unit)
    client = login(outsider)
    html = client.get(SCHEDULES_URL).content.decode()
    assert "Retail Banking" not in html and "<td>Quarterly</td>" not in html
    assert f"schedule-unit-{business_unit.pk}" not in html and "Not scheduled" in html

    key = f"unit-{business_unit.pk}"
    response = client.post(
        SCHEDULES_URL, {"scope": key, f"{key}-frequency": "monthly", f"{key}-active": "on"}
    )
    assert response.status_code == 404
    assert schedule_of(organisation, business_unit).frequency == "yearly"

    response = client.post(reverse("maturity:schedule-run", args=[org_schedule.pk]))
    assert response.status_code == 404
    assert not Assessment.objects.exists()
    assert not ReassessmentSchedule.objects.filter(organisation=other_organisation).exists()


# --- Schedules: run now --------------------------------------------------------------------------------


def test_run_now_opens_this_periods_draft_once(
    login,
    admin_user_member,
    organisation,
    org_schedule,
    assessor,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    client = login(admin_user_member)
    run_url = reverse("maturity:schedule-run", args=[org_schedule.pk])
    assert "Run now" in client.get(SCHEDULES_URL).content.decode()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(run_url)
    assert response.status_code == 302 and response["Location"] == SCHEDULES_URL
    assert len(callbacks) == 2  # the enqueue, then (in the task) the assessors' email
    html = client.get(SCHEDULES_URL).content.decode()
    assert "is being opened" in html
    draft = Assessment.objects.get()
    assert draft.status == AssessmentStatus.DRAFT
    assert reverse("maturity:assessment-detail", args=[draft.pk]) in html
    assert "Run now" not in html  # this period is done
    assert [m.to for m in mail.outbox] == [[assessor.email]]
    request_event = AuditEvent.objects.get(action="schedule.run_request")
    assert request_event.actor == admin_user_member

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(run_url, follow=True)
    assert "has already been opened" in response.content.decode()
    assert Assessment.objects.count() == 1 and len(mail.outbox) == 1


def test_run_now_on_a_paused_schedule_says_so(
    login, admin_user_member, organisation, org_schedule, eager_tasks
):
    saved_schedule(admin_user_member, organisation, frequency="quarterly", active=False)
    response = login(admin_user_member).post(
        reverse("maturity:schedule-run", args=[org_schedule.pk]), follow=True
    )
    assert "paused" in response.content.decode()
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ASSESSOR, Role.AUDITOR])
def test_non_admin_may_not_run_a_schedule(login, make_member, org_schedule, role):
    response = login(make_member(role)).post(reverse("maturity:schedule-run", args=[org_schedule.pk]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="schedule.run_request").exists()


def test_run_now_only_accepts_post(login, admin_user_member, org_schedule):
    response = login(admin_user_member).get(reverse("maturity:schedule-run", args=[org_schedule.pk]))
    assert response.status_code == 405


# --- Organisation targets ----------------------------------------------------------------------------


def targets_data(level="3.5", **overrides) -> dict:
    data = {
        f"target_{key}": level for key in ("strategy", "architecture", "modeling", "processes", "governance")
    }
    return data | {f"target_{k}": v for k, v in overrides.items()}


@pytest.mark.parametrize("saved_targets", [0, 5])
def test_targets_page_shows_saved_and_default_levels(
    login, admin_user_member, organisation, questionnaire, saved_targets, django_assert_max_num_queries
):
    keys = ["strategy", "architecture", "modeling", "processes", "governance"][:saved_targets]
    for key in keys:
        MaturityTarget.objects.create(organisation=organisation, factor_key=key, target_level=4.5)
    client = login(admin_user_member)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(TARGETS_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="target_strategy"' in html
    expected = "4.5" if saved_targets else "3.0"
    assert f'name="target_governance" value="{expected}"' in html


def test_admin_saves_targets_with_audit_events(login, admin_user_member, organisation, questionnaire):
    MaturityTarget.objects.create(organisation=organisation, factor_key="strategy", target_level=2.0)
    response = login(admin_user_member).post(TARGETS_URL, targets_data("4", strategy="4.5"), follow=True)
    assert response.redirect_chain == [(TARGETS_URL, 302)]
    assert "Targets saved" in response.content.decode()
    saved = dict(
        MaturityTarget.objects.filter(organisation=organisation).values_list("factor_key", "target_level")
    )
    assert saved == {
        "strategy": 4.5,
        "architecture": 4.0,
        "modeling": 4.0,
        "processes": 4.0,
        "governance": 4.0,
    }
    actions = audit_actions(organisation)
    assert actions.count("maturity_target.create") == 4 and actions.count("maturity_target.update") == 1
    # New assessments start from them.
    html = login(admin_user_member).get(reverse("maturity:assessment-list")).content.decode()
    assert 'name="target_strategy"' in html and 'value="4.5"' in html


def test_bad_targets_keep_input_and_save_nothing(login, admin_user_member, organisation, questionnaire):
    response = login(admin_user_member).post(TARGETS_URL, targets_data("4", strategy="9", governance="high"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'name="target_strategy" value="9"' in html and 'value="high"' in html
    assert "less than or equal to 5" in html and "Enter a number" in html
    assert 'name="target_modeling" value="4"' in html
    assert not MaturityTarget.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="maturity_target").exists()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ASSESSOR, Role.AUDITOR])
def test_targets_are_read_only_for_non_admins(login, make_member, organisation, questionnaire, role):
    MaturityTarget.objects.create(organisation=organisation, factor_key="strategy", target_level=4.5)
    client = login(make_member(role))
    html = client.get(TARGETS_URL).content.decode()
    assert "<input" not in html.split("<main")[1].split("</main>")[0].replace(
        'name="csrfmiddlewaretoken"', ""
    )
    assert "4.5" in html and "(default)" in html
    response = client.post(TARGETS_URL, targets_data("5"))
    assert response.status_code == 403
    assert list(MaturityTarget.objects.values_list("target_level", flat=True)) == [4.5]


def test_targets_of_another_organisation_are_not_touched(
    login, outsider, organisation, other_organisation, questionnaire
):
    MaturityTarget.objects.create(organisation=organisation, factor_key="strategy", target_level=4.5)
    client = login(outsider)
    html = client.get(TARGETS_URL).content.decode()
    assert "Other Corp" in html and 'value="4.5"' not in html
    assert client.post(TARGETS_URL, targets_data("1")).status_code == 302
    assert MaturityTarget.objects.get(organisation=organisation).target_level == 4.5
    assert MaturityTarget.objects.filter(organisation=other_organisation).count() == 5


# --- An assessment's targets -------------------------------------------------------------------------


def test_detail_and_results_link_to_target_editing(login, assessor, auditor, assessment):
    url = reverse("maturity:assessment-targets", args=[assessment.pk])
    assert (
        url
        in login(assessor).get(reverse("maturity:assessment-detail", args=[assessment.pk])).content.decode()
    )
    assert url in login(assessor).get(reverse("maturity:results", args=[assessment.pk])).content.decode()
    assert (
        url
        not in login(auditor)
        .get(reverse("maturity:assessment-detail", args=[assessment.pk]))
        .content.decode()
    )


@pytest.mark.parametrize("questions_per_factor", [2, 12])
def test_assessment_targets_page_with_constant_queries(
    login, assessor, organisation, questions_per_factor, django_assert_max_num_queries
):
    from tests.maturity.page_fixtures import build_questionnaire

    questionnaire = build_questionnaire(questions_per_factor)
    assessment = AssessmentFactory(
        organisation=organisation, questionnaire=questionnaire, targets={"strategy": 4.5}
    )
    client = login(assessor)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("maturity:assessment-targets", args=[assessment.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="target_strategy" value="4.5"' in html


def test_assessor_changes_a_drafts_targets(login, assessor, organisation, assessment):
    url = reverse("maturity:assessment-targets", args=[assessment.pk])
    response = login(assessor).post(url, targets_data("3", governance="4.5"), follow=True)
    detail = reverse("maturity:assessment-detail", args=[assessment.pk])
    assert response.redirect_chain == [(detail, 302)]
    assessment.refresh_from_db()
    assert assessment.targets["governance"] == 4.5 and assessment.targets["strategy"] == 3.0
    event = AuditEvent.objects.get(action="assessment.targets")
    assert event.actor == assessor and event.object_id == str(assessment.pk)
    assert event.changes["targets"][1]["governance"] == 4.5


def test_bad_assessment_targets_keep_input_and_save_nothing(login, assessor, assessment):
    before = dict(assessment.targets)
    url = reverse("maturity:assessment-targets", args=[assessment.pk])
    response = login(assessor).post(url, targets_data("4", processes="-1"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'name="target_processes" value="-1"' in html and "greater than or equal to 0" in html
    assessment.refresh_from_db()
    assert assessment.targets == before
    assert not AuditEvent.objects.filter(action="assessment.targets").exists()


def test_submitted_assessments_targets_are_fixed(login, assessor, assessment, answer_all):
    answer_all(assessor, assessment, level=3)
    services.submit_assessment(actor=assessor, assessment=assessment)
    url = reverse("maturity:assessment-targets", args=[assessment.pk])
    client = login(assessor)
    html = client.get(url).content.decode()
    assert (
        "Targets are fixed once an assessment is submitted" in html and 'name="target_strategy"' not in html
    )
    for level in ("5", "9"):
        response = client.post(url, targets_data(level), follow=True)
        assert response.redirect_chain == [(reverse("maturity:assessment-detail", args=[assessment.pk]), 302)]
        assert "cannot be changed" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.targets["strategy"] == 3.0


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AUDITOR, Role.MODEL_OWNER])
def test_only_assessors_and_admins_change_assessment_targets(login, make_member, assessment, role):
    url = reverse("maturity:assessment-targets", args=[assessment.pk])
    client = login(make_member(role))
    html = client.get(url).content.decode()
    assert 'name="target_strategy"' not in html and "Only assessors and administrators" in html
    assert client.post(url, targets_data("5")).status_code == 403
    assessment.refresh_from_db()
    assert assessment.targets["strategy"] == 3.0


def test_other_organisations_assessment_targets_are_404(login, outsider, assessment):
    url = reverse("maturity:assessment-targets", args=[assessment.pk])
    client = login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, targets_data("5")).status_code == 404
    assessment.refresh_from_db()
    assert assessment.targets["strategy"] == 3.0


# --- A scheduled draft on its detail page ------------------------------------------------------------


def test_scheduled_draft_shows_answers_to_confirm_per_factor(
    login, assessor, executive, org_schedule, assessment, answer_all, django_assert_max_num_queries
):
    answer_all(assessor, assessment, level=4)
    services.submit_assessment(actor=assessor, assessment=assessment)
    services.approve_assessment(actor=executive, assessment=assessment)
    draft = services.run_reassessment(org_schedule, today=datetime.date(2026, 11, 2))
    client = login(assessor)
    url = reverse("maturity:assessment-detail", args=[draft.pk])
    with django_assert_max_num_queries(PAGE_QUERIES + 2):
        html = client.get(url).content.decode()
    assert "10 answers to confirm" in html and html.count("2 to confirm") == 5

    factor_url = reverse("maturity:answer-factor", args=[draft.pk, "strategy"])
    data = {f"strategy-q{i}-level": "4" for i in (1, 2)}
    assert client.post(factor_url, data).status_code == 302
    html = client.get(url).content.decode()
    assert "8 answers to confirm" in html and html.count("2 to confirm") == 4


def test_demo_schedules_are_seeded_once(organisation, business_unit, admin_user_member, questionnaire):
    from maturity.demo import seed_schedule_demo

    for _ in range(2):
        seed_schedule_demo(organisation, [business_unit], {"admin": admin_user_member})
    schedules = {
        s.business_unit_id: s for s in ReassessmentSchedule.objects.filter(organisation=organisation)
    }
    assert schedules[None].frequency == "quarterly" and schedules[None].active
    assert schedules[business_unit.pk].frequency == "half-yearly" and not schedules[business_unit.pk].active
    assert PeriodicTask.objects.filter(name__startswith="maturity-reassessment-").count() == 2
