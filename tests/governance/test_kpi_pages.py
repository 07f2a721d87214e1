"""KPI pages: define, edit and delete a model's KPIs, record manual measurements; roles, tenancy, bad input."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.core.roles import Role
from governance.models import AuditEvent, KPIDefinition, KPIMeasurement, MeasurementSource
from governance.services import monitoring as services

pytestmark = pytest.mark.django_db

KPI_PAGE_QUERIES = 8

VALID = {
    "name": "Approval rate",
    "kind": "business",
    "unit": "%",
    "direction": "higher",
    "target": "60",
    "warning_threshold": "50",
    "critical_threshold": "40",
    "description": "Share of applications approved.",
}


def _events(action):
    return list(AuditEvent.objects.filter(action=action))


def test_owner_defines_a_kpi_through_the_page(login, ai_model, model_owner):
    client = login(model_owner)
    url = reverse("governance:kpi-create", args=[ai_model.pk])
    assert url == f"/models/{ai_model.pk}/kpis/new/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="warning_threshold"' in page.content.decode()

    response = client.post(url, VALID)

    kpi = KPIDefinition.objects.get(model=ai_model, name="Approval rate")
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:kpi-detail", args=[kpi.pk])
    assert (kpi.kind, kpi.unit, kpi.direction) == ("business", "%", "higher")
    assert (kpi.target, kpi.warning_threshold, kpi.critical_threshold) == (60, 50, 40)
    [event] = _events("kpi.create")
    assert event.actor == model_owner
    assert event.object_id == str(kpi.pk)
    assert event.changes["critical_threshold"] == [None, 40.0]


def test_model_page_offers_add_kpi_only_to_roles_that_may(login, ai_model, model_owner, auditor):
    link = reverse("governance:kpi-create", args=[ai_model.pk])
    detail = reverse("governance:model-detail", args=[ai_model.pk])
    assert link in login(model_owner).get(detail).content.decode()
    assert link not in login(auditor).get(detail).content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"warning_threshold": "70"}, "warning_threshold", "Must be at or below the target"),
        ({"critical_threshold": "55"}, "critical_threshold", "Must be at or below the warning threshold"),
        ({"target": "lots"}, "target", "Enter a number."),
        ({"warning_threshold": "inf"}, "warning_threshold", "Enter a number."),
        ({"name": "  "}, "name", "This field is required."),
        ({"direction": "sideways"}, "direction", "Select a valid choice."),
    ],
)
def test_bad_input_keeps_the_form_and_saves_nothing(login, ai_model, model_owner, change, field, message):
    response = login(model_owner).post(
        reverse("governance:kpi-create", args=[ai_model.pk]), {**VALID, **change}
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html  # the message sits next to its field
    assert "Share of applications approved." in html  # what was typed is kept
    if field != "name":
        assert 'value="Approval rate"' in html
    assert not KPIDefinition.objects.exists()
    assert not AuditEvent.objects.filter(action="kpi.create").exists()


def test_duplicate_name_is_refused_on_the_name_field(login, auc, ai_model, model_owner):
    response = login(model_owner).post(
        reverse("governance:kpi-create", args=[ai_model.pk]), {**VALID, "name": "auc"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["This model already has a KPI with this name."]
    assert KPIDefinition.objects.count() == 1


def test_owner_edits_a_kpi_and_the_change_is_audited(login, auc, model_owner):
    client = login(model_owner)
    url = reverse("governance:kpi-edit", args=[auc.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="0.85"' in page.content.decode()

    response = client.post(
        url,
        {
            "name": "AUC (holdout)",
            "kind": "technical",
            "unit": "",
            "direction": "higher",
            "target": "0.9",
            "warning_threshold": "0.8",
            "critical_threshold": "0.7",
            "description": "",
        },
    )

    assert response.status_code == 302
    auc.refresh_from_db()
    assert (auc.name, auc.target) == ("AUC (holdout)", 0.9)
    [event] = _events("kpi.update")
    assert event.actor == model_owner
    assert event.changes == {"name": ["AUC", "AUC (holdout)"], "target": [0.85, 0.9]}


def test_edit_with_bad_thresholds_changes_nothing(login, auc, model_owner):
    response = login(model_owner).post(
        reverse("governance:kpi-edit", args=[auc.pk]),
        {
            "name": "AUC",
            "kind": "technical",
            "direction": "lower",
            "target": "0.85",
            "warning_threshold": "0.8",
        },
    )
    assert response.status_code == 400
    assert "warning_threshold" in response.context["form"].errors
    assert "Edit KPI AUC" in response.content.decode()
    auc.refresh_from_db()
    assert auc.direction == "higher"
    assert not AuditEvent.objects.filter(action="kpi.update").exists()


def test_delete_asks_for_confirmation_then_deletes_with_an_audit_event(login, auc, ai_model, model_owner):
    services.record_measurements(
        actor=model_owner, kpi=auc, points=[{"measured_at": timezone.now().isoformat(), "value": 0.9}]
    )
    client = login(model_owner)
    url = reverse("governance:kpi-delete", args=[auc.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "1 measurement" in confirm.content.decode()
    assert KPIDefinition.objects.filter(pk=auc.pk).exists()

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("governance:model-detail", args=[ai_model.pk])
    assert not KPIDefinition.objects.exists()
    assert not KPIMeasurement.objects.exists()
    [event] = _events("kpi.delete")
    assert event.actor == model_owner
    assert event.changes["name"] == ["AUC", None]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.EXECUTIVE, Role.RISK_OFFICER, Role.ASSESSOR])
def test_roles_without_kpi_edit_are_refused(login, make_member, auc, ai_model, role):
    client = login(make_member(role))
    assert client.get(reverse("governance:kpi-create", args=[ai_model.pk])).status_code == 403
    assert client.post(reverse("governance:kpi-create", args=[ai_model.pk]), VALID).status_code == 403
    assert client.get(reverse("governance:kpi-edit", args=[auc.pk])).status_code == 403
    assert client.post(reverse("governance:kpi-edit", args=[auc.pk]), VALID).status_code == 403
    assert client.get(reverse("governance:kpi-delete", args=[auc.pk])).status_code == 403
    assert client.post(reverse("governance:kpi-delete", args=[auc.pk])).status_code == 403
    measure = {"measured_at": "2026-01-01T10:00", "value": "0.5"}
    assert client.post(reverse("governance:kpi-measure", args=[auc.pk]), measure).status_code == 403
    page = client.get(reverse("governance:kpi-detail", args=[auc.pk])).content.decode()
    assert reverse("governance:kpi-edit", args=[auc.pk]) not in page
    assert reverse("governance:kpi-measure", args=[auc.pk]) not in page
    auc.refresh_from_db()
    assert auc.name == "AUC"
    assert not KPIMeasurement.objects.exists()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["kpi.create"]


def test_another_organisations_kpis_answer_404(login, auc, ai_model, outsider):
    client = login(outsider)
    assert client.get(reverse("governance:kpi-create", args=[ai_model.pk])).status_code == 404
    assert client.post(reverse("governance:kpi-create", args=[ai_model.pk]), VALID).status_code == 404
    assert client.post(reverse("governance:kpi-edit", args=[auc.pk]), VALID).status_code == 404
    assert client.post(reverse("governance:kpi-delete", args=[auc.pk])).status_code == 404
    measure = {"measured_at": "2026-01-01T10:00", "value": "0.5"}
    assert client.post(reverse("governance:kpi-measure", args=[auc.pk]), measure).status_code == 404
    assert KPIDefinition.objects.get().name == "AUC"
    assert not KPIMeasurement.objects.exists()


def test_manual_measurement_is_recorded_as_manual(login, auc, model_owner):
    client = login(model_owner)
    detail = client.get(reverse("governance:kpi-detail", args=[auc.pk])).content.decode()
    measure_url = reverse("governance:kpi-measure", args=[auc.pk])
    assert f'action="{measure_url}"' in detail
    when = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(measure_url, {"measured_at": when, "value": "0.75"})

    assert response.status_code == 302
    measurement = KPIMeasurement.objects.get()
    assert (measurement.value, measurement.source, measurement.recorded_by) == (
        0.75,
        MeasurementSource.MANUAL,
        model_owner,
    )
    page = client.get(reverse("governance:kpi-detail", args=[auc.pk])).content.decode()
    assert 'Status: <span class="status status-warning">Warning</span>' in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"measured_at": "2026-01-01T10:00", "value": "high"}, "value"),
        ({"measured_at": "yesterday", "value": "0.5"}, "measured_at"),
        ({"measured_at": "", "value": "0.5"}, "measured_at"),
        ({"measured_at": "2999-01-01T10:00", "value": "0.5"}, "measured_at"),
    ],
)
def test_bad_measurement_is_refused_next_to_its_field(login, auc, model_owner, data, field):
    response = login(model_owner).post(reverse("governance:kpi-measure", args=[auc.pk]), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    if data["value"]:
        assert f'value="{data["value"]}"' in html
    assert not KPIMeasurement.objects.exists()


def test_measure_answers_post_only(login, auc, model_owner):
    assert login(model_owner).get(reverse("governance:kpi-measure", args=[auc.pk])).status_code == 405


@pytest.mark.parametrize("count", [10, 500])
def test_kpi_pages_query_bound_holds_at_any_size(
    login, organisation, ai_model, model_owner, auc, count, django_assert_max_num_queries
):
    KPIDefinition.objects.bulk_create(
        [KPIDefinition(model=ai_model, name=f"KPI {i}", warning_threshold=0.5) for i in range(count)]
    )
    now = timezone.now()
    KPIMeasurement.objects.bulk_create(
        [KPIMeasurement(kpi=auc, measured_at=now - timedelta(minutes=i), value=0.9) for i in range(count)]
    )
    client = login(model_owner)
    for url in (
        reverse("governance:kpi-create", args=[ai_model.pk]),
        reverse("governance:kpi-edit", args=[auc.pk]),
        reverse("governance:kpi-delete", args=[auc.pk]),
    ):
        with django_assert_max_num_queries(KPI_PAGE_QUERIES):
            response = client.get(url)
        assert response.status_code == 200
    assert f"{count} measurements" in response.content.decode()


def test_a_kpi_unit_with_markup_shows_as_text_in_the_chart(login, auditor, ai_model, model_owner):
    kpi = services.create_kpi(
        actor=model_owner, model=ai_model, name="Fee <b>bps</b>", unit='<a href="https://evil.example">x</a>'
    )
    services.record_measurements(
        actor=model_owner, kpi=kpi, points=[{"value": 1, "measured_at": "2026-01-01T00:00Z"}]
    )
    figure = login(auditor).get(reverse("governance:kpi-detail", args=[kpi.pk])).context["fig_json"]
    assert figure["layout"]["yaxis"]["title"]["text"] == '&lt;a href="https://evil.example"&gt;x&lt;/a&gt;'
    assert figure["data"][0]["name"] == "Fee &lt;b&gt;bps&lt;/b&gt;"
