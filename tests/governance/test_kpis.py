"""KPI definitions, measurements, status, breach alerts, the API and the KPI page."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from governance.models import AuditEvent, KPIDefinition, KPIMeasurement
from governance.services import monitoring as services
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db


def _points(*values, start=None):
    start = start or timezone.now() - timedelta(days=len(values))
    return [
        {"measured_at": (start + timedelta(hours=i)).isoformat(), "value": v} for i, v in enumerate(values)
    ]


def test_thresholds_must_be_ordered_with_the_direction(ai_model, model_owner):
    with pytest.raises(ValidationError) as excinfo:
        # Lower is better, so the critical threshold must be above the warning one.
        thresholds = {"warning_threshold": 500, "critical_threshold": 300}
        services.create_kpi(
            actor=model_owner, model=ai_model, name="Latency", direction="lower", **thresholds
        )
    assert "critical_threshold" in excinfo.value.message_dict
    assert not KPIDefinition.objects.exists()


def test_create_and_update_are_audited(auc, model_owner):
    services.update_kpi(actor=model_owner, kpi=auc, target=0.9)
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert actions == ["kpi.create", "kpi.update"]
    assert AuditEvent.objects.get(action="kpi.update").changes["target"] == [0.85, 0.9]


def test_bad_point_rejects_whole_batch(auc, model_owner):
    points = _points(0.9, 0.88, 0.87)
    points[1]["value"] = "oops"
    with pytest.raises(services.BatchValidationError) as excinfo:
        services.record_measurements(actor=model_owner, kpi=auc, points=points)
    assert excinfo.value.point_errors == [{"index": 1, "field": "value", "message": "A number is required."}]
    assert not KPIMeasurement.objects.exists()


def test_breach_emails_owner_once_per_transition(auc, model_owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.record_measurements(actor=model_owner, kpi=auc, points=_points(0.9, 0.88))
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.record_measurements(actor=model_owner, kpi=auc, points=_points(0.78, start=timezone.now()))
    with django_capture_on_commit_callbacks(execute=True):
        services.record_measurements(
            actor=model_owner, kpi=auc, points=_points(0.77, start=timezone.now() + timedelta(seconds=1))
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [model_owner.email]
    assert "warning" in mail.outbox[0].subject


def test_auditor_may_not_record(auc, auditor):
    with pytest.raises(PermissionDenied):
        services.record_measurements(actor=auditor, kpi=auc, points=_points(0.9))


def test_api_bulk_ingest(api_client, auc, model_owner):
    url = f"/api/v1/kpis/{auc.pk}/measurements/"
    response = api_client(model_owner).post(url, {"points": _points(*[0.9] * 50)}, format="json")
    assert response.status_code == 201 and response.json() == {"count": 50}
    bad = _points(0.9, 0.9)
    bad[1]["measured_at"] = "yesterday"
    response = api_client(model_owner).post(url, {"points": bad}, format="json")
    assert response.status_code == 400
    assert response.json()["points"][0]["index"] == 1
    assert response.json()["points"][0]["field"] == "measured_at"
    # The same problem-details shape as every other API error, naming the bad point's field.
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == ["points[1].measured_at"]
    assert KPIMeasurement.objects.count() == 50


def test_api_role_and_tenant_denials(api_client, auc, auditor, outsider, ai_model):
    url = f"/api/v1/kpis/{auc.pk}/measurements/"
    assert api_client(auditor).post(url, {"points": _points(0.9)}, format="json").status_code == 403
    assert api_client(outsider).post(url, {"points": _points(0.9)}, format="json").status_code == 404
    assert api_client(outsider).get(f"/api/v1/kpis/{auc.pk}/").status_code == 404
    assert api_client(auditor).get(f"/api/v1/kpis/{auc.pk}/").status_code == 200
    response = api_client(auditor).post("/api/v1/kpis/", {"model": ai_model.pk, "name": "F1"}, format="json")
    assert response.status_code == 403
    response = api_client(outsider).post("/api/v1/kpis/", {"model": ai_model.pk, "name": "F1"}, format="json")
    assert response.status_code == 400  # another organisation's model is not a valid choice


def test_api_crud_by_owner(api_client, ai_model, model_owner):
    client = api_client(model_owner)
    response = client.post(
        "/api/v1/kpis/",
        {
            "model": ai_model.pk,
            "name": "Approval rate",
            "kind": "business",
            "direction": "higher",
            "warning_threshold": 0.5,
            "critical_threshold": 0.6,
        },
        format="json",
    )
    assert response.status_code == 400 and "critical_threshold" in response.json()["errors"]
    response = client.post(
        "/api/v1/kpis/", {"model": ai_model.pk, "name": "Approval rate", "target": 0.6}, format="json"
    )
    assert response.status_code == 201
    kpi_id = response.json()["id"]
    assert client.patch(f"/api/v1/kpis/{kpi_id}/", {"target": 0.65}, format="json").json()["target"] == 0.65
    assert client.delete(f"/api/v1/kpis/{kpi_id}/").status_code == 204


@pytest.mark.parametrize("count", [3, 200])
def test_page_shows_status_chart_and_is_query_bounded(
    login, auc, model_owner, count, django_assert_max_num_queries
):
    services.record_measurements(actor=model_owner, kpi=auc, points=_points(*([0.9] * (count - 1) + [0.65])))
    client = login(model_owner)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("governance:kpi-detail", args=[auc.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Critical" in html and 'id="kpi-data"' in html and "vendor/plotly/plotly.min.js" in html


def test_manual_measurement_form_keeps_input_on_error(login, auc, model_owner):
    client = login(model_owner)
    url = reverse("governance:kpi-detail", args=[auc.pk])
    response = client.post(url, {"measured_at": "2026-01-01T10:00", "value": "abc"})
    assert response.status_code == 400 and "Enter a number" in response.content.decode()
    response = client.post(url, {"measured_at": "2026-01-01T10:00", "value": "0.91"})
    assert response.status_code == 302
    assert KPIMeasurement.objects.get().source == "manual"


def test_page_hidden_from_outsider_and_form_hidden_from_auditor(login, auc, outsider, auditor):
    assert login(outsider).get(reverse("governance:kpi-detail", args=[auc.pk])).status_code == 404
    client = login(auditor)
    response = client.get(reverse("governance:kpi-detail", args=[auc.pk]))
    assert response.status_code == 200 and "Record a measurement" not in response.content.decode()
    assert client.post(reverse("governance:kpi-detail", args=[auc.pk]), {"value": "1"}).status_code == 403


def test_monitoring_demo_has_histories_and_one_breach(organisation, model_owner, admin_user_member):
    from governance.demo.monitoring import seed_monitoring_demo

    for _ in range(3):
        AIModelFactory(organisation=organisation, owner=model_owner)
    users = {"model_owner": model_owner, "admin": admin_user_member}
    kpis = seed_monitoring_demo(organisation, users)
    statuses = [KPIDefinition.objects.get(pk=k.pk).latest_status for k in kpis]
    assert len(kpis) == 7 and statuses.count("critical") == 1
    assert seed_monitoring_demo(organisation, users) == []  # idempotent
