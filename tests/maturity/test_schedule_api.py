"""The reassessment schedules API: the same roles, tenancy and validation as the schedules page."""

import pytest
from django_celery_beat.models import PeriodicTask

from config.celery import app
from governance.core.roles import Role
from governance.models import AuditEvent
from maturity.models import Assessment, ReassessmentSchedule
from tests.factories import BusinessUnitFactory
from tests.maturity.schedule_helpers import saved_schedule

pytestmark = pytest.mark.django_db

URL = "/api/v1/reassessment-schedules/"


@pytest.fixture
def org_schedule(questionnaire, organisation, admin_user_member):
    return saved_schedule(admin_user_member, organisation, frequency="quarterly")


def test_list_is_scoped_to_the_users_organisations(
    api_client,
    auditor,
    outsider,
    organisation,
    other_organisation,
    org_schedule,
    django_assert_max_num_queries,
):
    other_admin = outsider
    saved_schedule(other_admin, other_organisation, frequency="yearly")
    for i in range(5):
        unit = BusinessUnitFactory(organisation=organisation, name=f"Unit {i}")
        saved_schedule(org_schedule.created_by, organisation, frequency="monthly", business_unit=unit)
    client = api_client(auditor)
    with django_assert_max_num_queries(6):
        body = client.get(URL).json()
    assert body["count"] == 6
    assert {row["organisation"] for row in body["results"]} == {organisation.pk}
    first = body["results"][0]
    assert first["frequency"] == "quarterly" and first["business_unit"] is None and first["active"] is True
    assert first["next_run_on"] == org_schedule.next_run_on.isoformat() and first["last_run_period"] == ""
    assert client.get(f"{URL}?frequency=monthly").json()["count"] == 5


def test_admin_creates_then_replaces_a_unit_schedule(
    api_client, admin_user_member, organisation, business_unit
):
    client = api_client(admin_user_member)
    payload = {"organisation": organisation.pk, "business_unit": business_unit.pk, "frequency": "yearly"}
    response = client.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    schedule = ReassessmentSchedule.objects.get(organisation=organisation, business_unit=business_unit)
    assert response.json()["id"] == schedule.pk and schedule.active
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).crontab.month_of_year == "1"

    response = client.post(URL, {**payload, "frequency": "monthly", "active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == schedule.pk and response.json()["active"] is False
    assert ReassessmentSchedule.objects.count() == 1
    actions = list(AuditEvent.objects.filter(action__startswith="schedule.").values_list("action", flat=True))
    assert sorted(actions) == ["schedule.create", "schedule.update"]


def test_patch_pauses_and_changes_frequency(api_client, admin_user_member, org_schedule):
    client = api_client(admin_user_member)
    response = client.patch(f"{URL}{org_schedule.pk}/", {"active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["active"] is False and response.json()["frequency"] == "quarterly"
    assert not PeriodicTask.objects.get(pk=org_schedule.periodic_task_id).enabled
    response = client.patch(f"{URL}{org_schedule.pk}/", {"frequency": "half-yearly"}, format="json")
    assert response.json()["frequency"] == "half-yearly" and response.json()["active"] is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"frequency": "daily"}, "frequency"),
        ({"frequency": "monthly", "business_unit": 999999}, "business_unit"),
        ({"frequency": "monthly", "active": "sometimes"}, "active"),
    ],
)
def test_bad_input_is_400_by_field_and_saves_nothing(
    api_client, admin_user_member, organisation, payload, field
):
    response = api_client(admin_user_member).post(
        URL, {"organisation": organisation.pk, **payload}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ReassessmentSchedule.objects.exists() and not PeriodicTask.objects.exists()


def test_unit_of_another_organisation_is_rejected(
    api_client, admin_user_member, organisation, other_organisation
):
    foreign_unit = BusinessUnitFactory(organisation=other_organisation, name="Their unit")
    response = api_client(admin_user_member).post(
        URL,
        {"organisation": organisation.pk, "business_unit": foreign_unit.pk, "frequency": "monthly"},
        format="json",
    )
    assert response.status_code == 400 and "business_unit" in response.json()["errors"]
    assert not ReassessmentSchedule.objects.exists()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ASSESSOR, Role.AUDITOR])
def test_non_admins_may_read_but_not_change(api_client, make_member, organisation, org_schedule, role):
    client = api_client(make_member(role))
    assert client.get(f"{URL}{org_schedule.pk}/").status_code == 200
    assert (
        client.post(URL, {"organisation": organisation.pk, "frequency": "monthly"}, format="json").status_code
        == 403
    )
    assert client.patch(f"{URL}{org_schedule.pk}/", {"active": False}, format="json").status_code == 403
    assert client.post(f"{URL}{org_schedule.pk}/run/").status_code == 403
    org_schedule.refresh_from_db()
    assert org_schedule.frequency == "quarterly" and org_schedule.active


def test_other_organisations_schedule_is_404(api_client, outsider, organisation, org_schedule):
    client = api_client(outsider)
    assert client.get(f"{URL}{org_schedule.pk}/").status_code == 404
    assert client.patch(f"{URL}{org_schedule.pk}/", {"active": False}, format="json").status_code == 404
    assert client.post(f"{URL}{org_schedule.pk}/run/").status_code == 404
    response = client.post(URL, {"organisation": organisation.pk, "frequency": "monthly"}, format="json")
    assert response.status_code == 400 and "organisation" in response.json()["errors"]
    org_schedule.refresh_from_db()
    assert org_schedule.active and org_schedule.frequency == "quarterly"


def test_run_is_accepted_once_per_period(
    api_client, admin_user_member, org_schedule, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    client = api_client(admin_user_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}{org_schedule.pk}/run/")
    assert response.status_code == 202
    period = response.json()["period"]
    draft = Assessment.objects.get()
    assert period in draft.title
    detail = client.get(f"{URL}{org_schedule.pk}/").json()
    assert detail["last_run_period"] == period and detail["last_assessment"] == draft.pk

    response = client.post(f"{URL}{org_schedule.pk}/run/")
    assert response.status_code == 409 and "already been opened" in response.json()["detail"]
    assert Assessment.objects.count() == 1


def test_schema_documents_schedule_paths(api_client, auditor):
    schema = api_client(auditor).get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/reassessment-schedules/" in schema["paths"]
    assert "/api/v1/reassessment-schedules/{id}/run/" in schema["paths"]
