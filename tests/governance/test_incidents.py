"""Incidents: audited writes and the time-line/closing rules, the list and detail pages, and the API."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from governance.core.roles import Role
from governance.models import AuditEvent, Incident, IncidentStatus
from governance.services import incidents as services
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/v1/incidents/"
# session, user, memberships, count, page, losses per currency, model choices; +1 validating a model filter.
LIST_QUERIES = 8


def _ago(**delta):
    return timezone.now() - timedelta(**delta)


def _incident(actor, model, **extra) -> Incident:
    data = {
        "title": "Approvals after drift",
        "severity": "high",
        "occurred_at": _ago(days=30),
        "detected_at": _ago(days=20),
        "description": "Arrears tripled on loans booked after the rate rise.",
        **extra,
    }
    return services.create_incident(actor=actor, organisation=model.organisation, model=model, **data)


def _bulk(organisation, model, count: int) -> None:
    Incident.objects.bulk_create(
        [
            Incident(
                organisation=organisation,
                model=model,
                title=f"Bulk incident {i:03d}",
                severity=("critical", "high", "medium", "low")[i % 4],
                occurred_at=_ago(days=i + 2),
                detected_at=_ago(days=i + 1),
                description="Bulk.",
                financial_loss=Decimal("100.00") if i % 2 else None,
                currency="EUR" if i % 3 else "USD",
            )
            for i in range(count)
        ]
    )


# --- services -------------------------------------------------------------------------------------------


def test_create_records_reporter_and_audits(ai_model, model_owner):
    incident = _incident(model_owner, ai_model, financial_loss=Decimal("1240000.00"), currency="eur")
    assert incident.reported_by == model_owner
    assert incident.currency == "EUR"
    assert incident.closed_at is None
    event = AuditEvent.objects.get(action="incident.create")
    assert event.object_id == str(incident.pk)
    assert event.changes["financial_loss"] == [None, "1240000.00"]


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"detected_at": _ago(days=40)}, "detected_at", "before it occurred"),
        ({"occurred_at": timezone.now() + timedelta(days=1)}, "occurred_at", "future"),
        ({"financial_loss": Decimal("-5")}, "financial_loss", "zero or more"),
        ({"financial_loss": Decimal("NaN")}, "financial_loss", "number"),
        ({"financial_loss": Decimal("1e20")}, "financial_loss", "digits"),
        ({"currency": "euro"}, "currency", "three-letter"),
        ({"financial_loss": Decimal("10"), "currency": ""}, "currency", "which currency"),
        ({"closed_at": _ago(days=1)}, "closed_at", "Only a closed incident"),
        ({"status": "closed", "actions_taken": "Fixed."}, "root_cause", "root cause"),
        ({"status": "closed", "root_cause": "Drift."}, "actions_taken", "actions taken"),
        (
            {"status": "closed", "root_cause": "x", "actions_taken": "y", "closed_at": _ago(days=35)},
            "closed_at",
            "before it occurred",
        ),
        (
            {"status": "closed", "root_cause": "x", "actions_taken": "y", "closed_at": _ago(days=25)},
            "closed_at",
            "before it was detected",
        ),
        ({"severity": "apocalyptic"}, "severity", "not a valid choice"),
        ({"description": ""}, "description", "cannot be blank"),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(ai_model, model_owner, extra, field, text):
    with pytest.raises(ValidationError) as excinfo:
        _incident(model_owner, ai_model, **extra)
    assert text in " ".join(excinfo.value.message_dict[field])
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.filter(action="incident.create").exists()


def test_model_must_belong_to_the_organisation(organisation, foreign_model, risk_officer):
    with pytest.raises(ValidationError) as excinfo:
        services.create_incident(
            actor=risk_officer,
            organisation=organisation,
            model=foreign_model,
            title="x",
            severity="low",
            occurred_at=_ago(days=2),
            detected_at=_ago(days=1),
            description="x",
        )
    assert "model" in excinfo.value.message_dict
    assert not Incident.objects.exists()


def test_closing_stamps_closed_at_and_reopening_clears_it(ai_model, risk_officer):
    incident = _incident(risk_officer, ai_model)
    before = timezone.now()
    closed = services.update_incident(
        actor=risk_officer,
        incident=incident,
        status="closed",
        root_cause="Drift.",
        actions_taken="Recalibrated.",
    )
    assert closed.closed_at is not None and closed.closed_at >= before
    event = AuditEvent.objects.get(action="incident.update")
    assert event.changes["status"] == ["open", "closed"]
    assert event.changes["closed_at"][0] is None
    reopened = services.update_incident(
        actor=risk_officer, incident=closed, status=IncidentStatus.INVESTIGATING
    )
    assert reopened.closed_at is None
    # An explicit closing time is kept when given.
    when = _ago(days=2)
    closed = services.update_incident(actor=risk_officer, incident=reopened, status="closed", closed_at=when)
    assert closed.closed_at == when


def test_update_without_changes_records_nothing(ai_model, risk_officer):
    incident = _incident(risk_officer, ai_model)
    services.update_incident(actor=risk_officer, incident=incident, title="Approvals after drift")
    assert not AuditEvent.objects.filter(action="incident.update").exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.EXECUTIVE, Role.ASSESSOR])
def test_roles_without_incident_edit_may_not_write(make_member, ai_model, risk_officer, role):
    incident = _incident(risk_officer, ai_model)
    user = make_member(role)
    with pytest.raises(PermissionDenied):
        _incident(user, ai_model)
    with pytest.raises(PermissionDenied):
        services.update_incident(actor=user, incident=incident, severity="low")
    with pytest.raises(PermissionDenied):
        services.delete_incident(actor=user, incident=incident)
    assert Incident.objects.get().severity == "high"


def test_outsiders_get_not_found(ai_model, risk_officer, outsider):
    incident = _incident(risk_officer, ai_model)
    with pytest.raises(Http404):
        services.update_incident(actor=outsider, incident=incident, severity="low")
    with pytest.raises(Http404):
        services.delete_incident(actor=outsider, incident=incident)


def test_delete_is_audited(ai_model, risk_officer):
    incident = _incident(risk_officer, ai_model)
    pk = incident.pk
    services.delete_incident(actor=risk_officer, incident=incident)
    assert not Incident.objects.exists()
    event = AuditEvent.objects.get(action="incident.delete")
    assert event.object_id == str(pk)
    assert event.changes["title"] == ["Approvals after drift", None]


# --- pages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 60])
def test_list_query_bound_holds_at_any_size(
    login, organisation, ai_model, auditor, count, django_assert_max_num_queries
):
    _bulk(organisation, ai_model, count)
    client = login(auditor)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("governance:incident-list"), {"severity": "high", "model": ai_model.pk})
    assert response.status_code == 200
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("governance:incident-list"))
    assert response.context["page"].paginator.count == count
    assert len(response.context["page"].object_list) == min(count, 25)


def test_list_filters_and_totals_losses_per_currency(
    login, organisation, ai_model, risk_officer, model_owner, auditor
):
    other = AIModelFactory(organisation=organisation, owner=model_owner, name="Fraud detector")
    _incident(risk_officer, ai_model, financial_loss=Decimal("1000000.50"))
    _incident(risk_officer, ai_model, title="Second", severity="low", financial_loss=Decimal("200"))
    _incident(
        risk_officer,
        other,
        title="Fraud spike",
        severity="medium",
        financial_loss=Decimal("50"),
        currency="USD",
    )
    _incident(
        risk_officer,
        other,
        title="Closed one",
        severity="medium",
        status="closed",
        root_cause="Thresholds.",
        actions_taken="Rolled back.",
    )
    client = login(auditor)
    url = reverse("governance:incident-list")
    response = client.get(url)
    losses = {row["currency"]: row["total"] for row in response.context["losses"]}
    assert losses == {"EUR": Decimal("1000200.50"), "USD": Decimal("50.00")}
    body = response.content.decode()
    assert "EUR 1,000,200.50" in body and "USD 50.00" in body

    def titles(**params):
        return sorted(i.title for i in client.get(url, params).context["page"].object_list)

    assert titles(model=other.pk) == ["Closed one", "Fraud spike"]
    assert titles(severity="low") == ["Second"]
    assert titles(status="closed") == ["Closed one"]
    assert titles(unresolved="true") == ["Approvals after drift", "Fraud spike", "Second"]
    assert titles(q="spike") == ["Fraud spike"]
    filtered = client.get(url, {"model": other.pk}).context["losses"]
    assert [(row["currency"], row["total"]) for row in filtered] == [("USD", Decimal("50.00"))]
    response = client.get(url, {"severity": "apocalyptic"})
    assert response.status_code == 200 and "severity" in response.context["filter"].form.errors


def test_list_and_detail_hide_other_organisations(
    login, ai_model, foreign_model, risk_officer, outsider, auditor
):
    ours = _incident(risk_officer, ai_model)
    theirs = Incident.objects.create(
        organisation=foreign_model.organisation,
        model=foreign_model,
        title="Theirs",
        severity="low",
        occurred_at=_ago(days=2),
        detected_at=_ago(days=1),
        description="x",
    )
    response = login(auditor).get(reverse("governance:incident-list"))
    assert [i.title for i in response.context["page"].object_list] == ["Approvals after drift"]
    assert login(auditor).get(reverse("governance:incident-detail", args=[theirs.pk])).status_code == 404
    assert login(outsider).get(reverse("governance:incident-detail", args=[ours.pk])).status_code == 404


def test_detail_shows_the_evidence(login, ai_model, risk_officer, auditor):
    incident = _incident(
        risk_officer,
        ai_model,
        financial_loss=Decimal("1240000"),
        impact="1,840 loans above appetite.",
        root_cause="PSI alert unwatched.",
        actions_taken="Cut-off raised.",
        status="closed",
    )
    body = login(auditor).get(reverse("governance:incident-detail", args=[incident.pk])).content.decode()
    body = body.replace("\xa0", " ")  # timesince keeps number and unit together with no-break spaces
    for text in (
        "EUR 1,240,000.00",
        "1,840 loans above appetite.",
        "PSI alert unwatched.",
        "Cut-off raised.",
        "1 week, 3 days after it occurred",
    ):
        assert text in body
    assert "Edit</a>" not in body  # read-only role


def test_create_page_flow_and_model_section(login, ai_model, model_owner):
    client = login(model_owner)
    url = reverse("governance:incident-create", args=[ai_model.pk])
    assert client.get(url).status_code == 200
    occurred = (timezone.localtime() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    detected = (timezone.localtime() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url,
        {
            "title": "Fraud spike",
            "severity": "medium",
            "occurred_at": occurred,
            "detected_at": detected,
            "description": "Decline rate doubled.",
            "financial_loss": "18500",
            "currency": "EUR",
            "status": "open",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert response["Location"] == reverse("governance:incident-detail", args=[incident.pk])
    assert incident.financial_loss == Decimal("18500")
    assert AuditEvent.objects.filter(action="incident.create", actor=model_owner).exists()
    detail = client.get(reverse("governance:model-detail", args=[ai_model.pk])).content.decode()
    assert "Fraud spike" in detail and "Record an incident" in detail


def test_create_page_keeps_input_and_shows_errors_next_to_fields(login, ai_model, model_owner):
    client = login(model_owner)
    response = client.post(
        reverse("governance:incident-create", args=[ai_model.pk]),
        {
            "title": "Fraud spike",
            "severity": "medium",
            "occurred_at": (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "detected_at": (timezone.localtime() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "description": "Keep this description",
            "financial_loss": "-3",
            "currency": "EUR",
            "status": "open",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Keep this description" in body
    assert 'id="id_detected_at_error"' in body and "before it occurred" in body
    assert 'id="id_financial_loss_error"' in body
    assert 'for="id_occurred_at" class="form-label' in body  # the control keeps its label
    assert not Incident.objects.exists()


def test_pages_refuse_wrong_roles_and_other_organisations(login, ai_model, risk_officer, auditor, outsider):
    incident = _incident(risk_officer, ai_model)
    urls = [
        reverse("governance:incident-create", args=[ai_model.pk]),
        reverse("governance:incident-edit", args=[incident.pk]),
        reverse("governance:incident-delete", args=[incident.pk]),
    ]
    for url in urls:
        assert login(auditor).get(url).status_code == 403
        assert login(auditor).post(url, {"title": "x"}).status_code == 403
        assert login(outsider).get(url).status_code == 404
    assert Incident.objects.count() == 1
    detail = login(auditor).get(reverse("governance:model-detail", args=[ai_model.pk])).content.decode()
    assert "Approvals after drift" in detail and "Record an incident" not in detail


def test_edit_closes_and_delete_removes(login, ai_model, risk_officer):
    incident = _incident(risk_officer, ai_model)
    client = login(risk_officer)
    url = reverse("governance:incident-edit", args=[incident.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "occurred_at": timezone.localtime(incident.occurred_at).strftime("%Y-%m-%dT%H:%M"),
            "detected_at": timezone.localtime(incident.detected_at).strftime("%Y-%m-%dT%H:%M"),
            "status": "closed",
            "root_cause": "Drift alert unwatched.",
            "actions_taken": "Alerts page the owner.",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.closed_at is not None
    delete_url = reverse("governance:incident-delete", args=[incident.pk])
    assert "Delete this incident?" in client.get(delete_url).content.decode()
    assert client.post(delete_url).status_code == 302
    assert not Incident.objects.exists()
    assert AuditEvent.objects.filter(action="incident.delete").exists()


# --- API ------------------------------------------------------------------------------------------------


def _body(model, **extra):
    return {
        "model": model.pk,
        "title": "Drift losses",
        "severity": "high",
        "occurred_at": _ago(days=10).isoformat(),
        "detected_at": _ago(days=9).isoformat(),
        "description": "Arrears rose.",
        **extra,
    }


def test_api_create_list_retrieve(api_client, ai_model, model_owner, auditor):
    response = api_client(model_owner).post(
        INCIDENTS, _body(ai_model, financial_loss="1240000.00"), format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["reported_by"] == model_owner.username
    assert response.data["financial_loss"] == "1240000.00"
    assert response.data["organisation"] == ai_model.organisation_id
    listed = api_client(auditor).get(INCIDENTS, {"severity": "high"}).data
    assert [i["id"] for i in listed["results"]] == [response.data["id"]]
    assert api_client(auditor).get(INCIDENTS, {"severity": "low"}).data["count"] == 0
    assert api_client(auditor).get(f"{INCIDENTS}{response.data['id']}/").data["title"] == "Drift losses"


def test_api_bad_input_is_400_with_field_errors_and_saves_nothing(api_client, ai_model, model_owner):
    client = api_client(model_owner)
    response = client.post(
        INCIDENTS, _body(ai_model, severity="huge", occurred_at="yesterday"), format="json"
    )
    assert response.status_code == 400 and {"severity", "occurred_at"} <= set(response.data["errors"])
    response = client.post(INCIDENTS, _body(ai_model, detected_at=_ago(days=11).isoformat()), format="json")
    assert response.status_code == 400 and "before it occurred" in response.data["errors"]["detected_at"][0]
    response = client.post(INCIDENTS, _body(ai_model, financial_loss="-1"), format="json")
    assert response.status_code == 400 and "financial_loss" in response.data["errors"]
    response = client.post(INCIDENTS, _body(ai_model, closed_at=_ago(days=1).isoformat()), format="json")
    assert response.status_code == 400 and "closed_at" in response.data["errors"]
    response = client.post(INCIDENTS, _body(ai_model, status="closed"), format="json")
    assert response.status_code == 400 and {"root_cause", "actions_taken"} <= set(response.data["errors"])
    assert not Incident.objects.exists()


def test_api_roles_and_tenancy(api_client, ai_model, foreign_model, risk_officer, auditor, outsider):
    assert api_client(auditor).post(INCIDENTS, _body(ai_model), format="json").status_code == 403
    response = api_client(risk_officer).post(INCIDENTS, _body(foreign_model), format="json")
    assert response.status_code == 400 and "model" in response.data["errors"]
    incident = _incident(risk_officer, ai_model)
    url = f"{INCIDENTS}{incident.pk}/"
    assert api_client(auditor).patch(url, {"severity": "low"}, format="json").status_code == 403
    assert api_client(auditor).delete(url).status_code == 403
    assert api_client(outsider).get(url).status_code == 404
    assert api_client(outsider).patch(url, {"severity": "low"}, format="json").status_code == 404
    assert api_client(outsider).delete(url).status_code == 404
    assert api_client(outsider).get(INCIDENTS).data["count"] == 0
    assert Incident.objects.get().severity == "high"


def test_api_close_reopen_and_delete(api_client, ai_model, risk_officer):
    incident = _incident(risk_officer, ai_model)
    client = api_client(risk_officer)
    url = f"{INCIDENTS}{incident.pk}/"
    response = client.patch(
        url, {"status": "closed", "root_cause": "Drift.", "actions_taken": "Recalibrated."}, format="json"
    )
    assert response.status_code == 200, response.data
    assert response.data["closed_at"] is not None
    response = client.patch(url, {"status": "investigating"}, format="json")
    assert response.status_code == 200 and response.data["closed_at"] is None
    assert client.delete(url).status_code == 204
    actions = AuditEvent.objects.filter(object_type="governance.incident").order_by("sequence")
    assert list(actions.values_list("action", flat=True)) == [
        "incident.create",
        "incident.update",
        "incident.update",
        "incident.delete",
    ]


def test_schema_documents_incident_endpoints(api_client, auditor):
    paths = api_client(auditor).get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/incidents/"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/incidents/{id}/"])


def test_export_uses_the_filters_and_neutralises_formulas(
    login, organisation, ai_model, risk_officer, auditor
):
    _incident(risk_officer, ai_model, title="@SUM(A1)", financial_loss=Decimal("1240000.00"))
    _incident(risk_officer, ai_model, title="Minor", severity="low")
    response = login(auditor).get(reverse("governance:incident-export"), {"severity": "high"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'{organisation.slug}-incidents.csv"')
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert [(r["title"], r["financial_loss"], r["currency"]) for r in rows] == [
        ("'@SUM(A1)", "1240000.00", "EUR")
    ]
    assert rows[0]["reported_by"] == risk_officer.username


def test_saving_the_edit_form_unchanged_records_no_change(login, ai_model, risk_officer):
    incident = _incident(
        risk_officer,
        ai_model,
        occurred_at=_ago(days=30).replace(second=17, microsecond=5),
        detected_at=_ago(days=20).replace(second=42),
    )
    client = login(risk_officer)
    url = reverse("governance:incident-edit", args=[incident.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    for name in ("occurred_at", "detected_at"):
        data[name] = timezone.localtime(getattr(incident, name)).strftime("%Y-%m-%dT%H:%M")
    data = {name: "" if value is None else value for name, value in data.items()}
    assert client.post(url, data).status_code == 302
    assert not AuditEvent.objects.filter(action="incident.update").exists()
