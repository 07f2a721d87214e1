"""Risk register: audited writes and their rules, the register/heat map pages and the API.

Scoring and bands are tested in ``tests/governance/rules/test_risk_scoring.py``.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from governance.core.roles import Role
from governance.models import AuditEvent, Risk, RiskStatus
from governance.rules.risk_scoring import ACTIVE_STATUSES, score_band
from governance.services import risks as services
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db

RISKS = "/api/v1/risks/"
# session, user, memberships, count, page, heat map cells, filter choices (models, owners); +2 when
# a model and an owner filter are validated.
REGISTER_QUERIES = 10


def _risk(actor, model, **extra) -> Risk:
    data = {"title": "Score drift", "category": "financial", "likelihood": 4, "impact": 5, **extra}
    return services.create_risk(actor=actor, organisation=model.organisation, model=model, **data)


def _bulk(organisation, model, owner, count: int) -> None:
    today = timezone.localdate()
    rows = []
    for i in range(count):
        likelihood, impact = i % 5 + 1, (i // 5) % 5 + 1
        rows.append(
            Risk(
                organisation=organisation,
                model=model,
                owner=owner,
                title=f"Bulk risk {i:03d}",
                category="operational",
                likelihood=likelihood,
                impact=impact,
                inherent_score=likelihood * impact,
                residual_likelihood=1,
                residual_impact=1,
                residual_score=1,
                mitigation="Controls.",
                status=RiskStatus.MITIGATING,
                due_date=today - timedelta(days=1),
            )
        )
    Risk.objects.bulk_create(rows)


# --- services -------------------------------------------------------------------------------------------


def test_create_scores_and_audits(ai_model, risk_officer, model_owner):
    risk = _risk(risk_officer, ai_model, owner=model_owner, residual_likelihood=2, residual_impact=4)
    assert (risk.inherent_score, risk.residual_score) == (20, 8)
    event = AuditEvent.objects.get(action="risk.create")
    assert event.object_id == str(risk.pk)
    assert event.actor == risk_officer
    assert event.changes["inherent_score"] == [None, 20]
    assert event.changes["owner"] == [None, model_owner.pk]


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"likelihood": 6}, "likelihood", "less than or equal to 5"),
        ({"impact": 0}, "impact", "greater than or equal to 1"),
        ({"residual_likelihood": 2}, "residual_impact", "both residual likelihood and residual impact"),
        ({"residual_impact": 2}, "residual_likelihood", "both residual likelihood and residual impact"),
        (
            {"likelihood": 2, "impact": 2, "residual_likelihood": 3, "residual_impact": 2},
            "residual_impact",
            "higher than the inherent score",
        ),
        ({"status": "closed"}, "mitigation", "closed this risk"),
        ({"status": "closed", "mitigation": "Done."}, "residual_likelihood", "before closing"),
        ({"status": "accepted"}, "mitigation", "accepted"),
        ({"category": "astrology"}, "category", "not a valid choice"),
        ({"title": "   "}, "title", "cannot be blank"),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(ai_model, risk_officer, extra, field, text):
    with pytest.raises(ValidationError) as excinfo:
        _risk(risk_officer, ai_model, **extra)
    assert text in " ".join(excinfo.value.message_dict[field])
    assert not Risk.objects.exists()
    assert not AuditEvent.objects.filter(action="risk.create").exists()


def test_residual_message_explains_both_scores(ai_model, risk_officer):
    with pytest.raises(ValidationError) as excinfo:
        _risk(risk_officer, ai_model, likelihood=2, impact=3, residual_likelihood=3, residual_impact=3)
    message = excinfo.value.message_dict["residual_impact"][0]
    assert "3 x 3 = 9" in message and "2 x 3 = 6" in message


def test_owner_must_be_a_member_and_model_of_the_organisation(
    organisation, ai_model, foreign_model, risk_officer, outsider
):
    with pytest.raises(ValidationError) as excinfo:
        _risk(risk_officer, ai_model, owner=outsider)
    assert "member of this organisation" in excinfo.value.message_dict["owner"][0]
    with pytest.raises(ValidationError) as excinfo:
        # In our register, about another organisation's model.
        data = {"title": "x", "category": "privacy", "likelihood": 1, "impact": 1}
        services.create_risk(actor=risk_officer, organisation=organisation, model=foreign_model, **data)
    assert "model" in excinfo.value.message_dict
    assert not Risk.objects.exists()


def test_unknown_fields_are_refused(ai_model, risk_officer):
    with pytest.raises(ValidationError) as excinfo:
        _risk(risk_officer, ai_model, inherent_score=1)
    assert "inherent_score" in excinfo.value.message_dict


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.EXECUTIVE, Role.ASSESSOR])
def test_roles_without_risk_edit_may_not_write(make_member, ai_model, risk_officer, role):
    risk = _risk(risk_officer, ai_model)
    user = make_member(role)
    with pytest.raises(PermissionDenied):
        _risk(user, ai_model, title="Another")
    with pytest.raises(PermissionDenied):
        services.update_risk(actor=user, risk=risk, likelihood=1)
    with pytest.raises(PermissionDenied):
        services.delete_risk(actor=user, risk=risk)
    assert Risk.objects.get().likelihood == 4


def test_outsiders_get_not_found(ai_model, risk_officer, outsider):
    risk = _risk(risk_officer, ai_model)
    with pytest.raises(Http404):
        services.update_risk(actor=outsider, risk=risk, likelihood=1)
    with pytest.raises(Http404):
        services.delete_risk(actor=outsider, risk=risk)


def test_update_records_changed_fields_and_rescore(ai_model, model_owner, risk_officer):
    risk = _risk(model_owner, ai_model)
    updated = services.update_risk(
        actor=risk_officer,
        risk=risk,
        status="mitigating",
        mitigation="Monthly PSI monitoring.",
        residual_likelihood=2,
        residual_impact=4,
    )
    assert updated.residual_score == 8
    event = AuditEvent.objects.get(action="risk.update")
    assert event.changes["status"] == ["open", "mitigating"]
    assert event.changes["residual_score"] == [None, 8]
    assert "updated_at" not in event.changes
    # Saving the same values again changes nothing and records nothing.
    services.update_risk(actor=risk_officer, risk=updated, status="mitigating")
    assert AuditEvent.objects.filter(action="risk.update").count() == 1


def test_update_refusal_leaves_the_risk_unchanged(ai_model, risk_officer):
    risk = _risk(risk_officer, ai_model)
    with pytest.raises(ValidationError):
        services.update_risk(actor=risk_officer, risk=risk, residual_likelihood=5, residual_impact=5)
    risk.refresh_from_db()
    assert risk.residual_score is None
    assert not AuditEvent.objects.filter(action="risk.update").exists()


def test_delete_is_audited_with_the_last_content(ai_model, risk_officer):
    risk = _risk(risk_officer, ai_model)
    pk = risk.pk
    services.delete_risk(actor=risk_officer, risk=risk)
    assert not Risk.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action="risk.delete")
    assert event.object_id == str(pk)
    assert event.changes["title"] == ["Score drift", None]


# --- pages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 60])
def test_register_query_bound_holds_at_any_size(
    login, organisation, ai_model, model_owner, auditor, count, django_assert_max_num_queries
):
    _bulk(organisation, ai_model, model_owner, count)
    client = login(auditor)
    with django_assert_max_num_queries(REGISTER_QUERIES):
        response = client.get(reverse("governance:risk-heatmap"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == count
    assert response.context["inherent_total"] == count
    assert len(response.context["page"].object_list) == min(count, 25)


@pytest.mark.parametrize("count", [5, 60])
def test_filtered_register_query_bound_holds_at_any_size(
    login, organisation, ai_model, model_owner, auditor, count, django_assert_max_num_queries
):
    _bulk(organisation, ai_model, model_owner, count)
    client = login(auditor)
    params = {"model": ai_model.pk, "band": "critical", "overdue": "true", "owner": model_owner.pk}
    with django_assert_max_num_queries(REGISTER_QUERIES):
        response = client.get(reverse("governance:risk-heatmap"), params)
    assert response.status_code == 200
    assert all(r.inherent_score >= 15 for r in response.context["page"].object_list)


def test_heatmap_counts_and_links_cells(login, ai_model, risk_officer, auditor):
    _risk(
        risk_officer,
        ai_model,
        title="A",
        residual_likelihood=2,
        residual_impact=3,
        status="mitigating",
        mitigation="m",
    )
    _risk(risk_officer, ai_model, title="B")
    _risk(risk_officer, ai_model, title="C", likelihood=1, impact=1)
    _risk(
        risk_officer,
        ai_model,
        title="Closed one",
        status="closed",
        mitigation="Removed.",
        residual_likelihood=1,
        residual_impact=1,
    )
    response = login(auditor).get(reverse("governance:risk-heatmap"))
    body = response.content.decode()
    rows = response.context["inherent_rows"]
    cell = rows[0]["cells"][3]  # impact 5 (top row), likelihood 4
    assert (cell["count"], cell["band"]) == (2, "critical")
    assert "likelihood=4" in cell["url"] and "impact=5" in cell["url"]
    assert response.context["inherent_total"] == 3  # the closed risk is left out
    assert response.context["residual_total"] == 1
    assert 'id="inherent-data"' in body and 'id="residual-data"' in body
    assert "vendor/plotly/plotly.min.js" in body and "cdn" not in body.lower()
    # Following the cell's link lists exactly that cell's risks.
    listed = login(auditor).get(cell["url"]).context["page"].object_list
    assert sorted(r.title for r in listed) == ["A", "B"]
    residual_cell = response.context["residual_rows"][2]["cells"][1]  # impact 3, likelihood 2
    listed = login(auditor).get(residual_cell["url"]).context["page"].object_list
    assert [r.title for r in listed] == ["A"]


def test_register_filters(login, organisation, ai_model, risk_officer, model_owner, auditor):
    other = AIModelFactory(organisation=organisation, owner=model_owner, name="Fraud detector")
    yesterday = timezone.localdate() - timedelta(days=1)
    _risk(risk_officer, ai_model, title="Overdue drift", due_date=yesterday)
    _risk(
        risk_officer, ai_model, title="Accepted late", due_date=yesterday, status="accepted", mitigation="Ok."
    )
    _risk(risk_officer, other, title="Privacy leak", category="privacy", likelihood=1, impact=2)
    client = login(auditor)
    url = reverse("governance:risk-heatmap")

    def titles(**params):
        return sorted(r.title for r in client.get(url, params).context["page"].object_list)

    assert titles(overdue="true") == ["Overdue drift"]
    assert titles(category="privacy") == ["Privacy leak"]
    assert titles(model=other.pk) == ["Privacy leak"]
    assert titles(band="low") == ["Privacy leak"]
    assert titles(band="critical") == ["Accepted late", "Overdue drift"]
    assert titles(status="accepted") == ["Accepted late"]
    assert titles(q="leak") == ["Privacy leak"]
    body = client.get(url, {"overdue": "true"}).content.decode()
    assert ">Overdue</span>" in body
    # A bad filter value is reported, not a server error.
    response = client.get(url, {"band": "apocalyptic"})
    assert response.status_code == 200
    assert "band" in response.context["filter"].form.errors


def test_register_hides_other_organisations(login, ai_model, foreign_model, risk_officer, outsider, auditor):
    _risk(risk_officer, ai_model, title="Ours")
    Risk.objects.create(
        organisation=foreign_model.organisation,
        model=foreign_model,
        title="Theirs",
        category="privacy",
        likelihood=5,
        impact=5,
    )
    response = login(auditor).get(reverse("governance:risk-heatmap"))
    assert [r.title for r in response.context["page"].object_list] == ["Ours"]
    assert "Theirs" not in response.content.decode()
    # Our filter choices do not offer their models either.
    response = login(auditor).get(reverse("governance:risk-heatmap"), {"model": foreign_model.pk})
    assert "model" in response.context["filter"].form.errors


def test_create_page_flow(login, ai_model, risk_officer, model_owner):
    client = login(risk_officer)
    url = reverse("governance:risk-create", args=[ai_model.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "Adverse-action reasons",
            "category": "explainability",
            "likelihood": 3,
            "impact": 4,
            "owner": model_owner.pk,
            "status": "open",
            "due_date": "2031-01-31",
        },
    )
    assert response.status_code == 302
    risk = Risk.objects.get()
    assert (risk.model, risk.organisation, risk.inherent_score) == (ai_model, ai_model.organisation, 12)
    assert AuditEvent.objects.filter(action="risk.create", actor=risk_officer).exists()
    detail = client.get(reverse("governance:model-detail", args=[ai_model.pk])).content.decode()
    assert "Adverse-action reasons" in detail and "Add a risk" in detail


def test_create_page_keeps_input_and_shows_errors_next_to_fields(login, ai_model, risk_officer):
    client = login(risk_officer)
    response = client.post(
        reverse("governance:risk-create", args=[ai_model.pk]),
        {
            "title": "Drift",
            "category": "financial",
            "description": "Keep this text",
            "likelihood": 2,
            "impact": 2,
            "residual_likelihood": 3,
            "residual_impact": 3,
            "status": "open",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Keep this text" in body
    assert 'id="id_residual_impact_error"' in body
    assert "higher than the inherent score" in body
    assert 'for="id_likelihood" class="form-label' in body  # the control keeps its label
    assert not Risk.objects.exists()
    response = client.post(
        reverse("governance:risk-create", args=[ai_model.pk]), {"title": "", "likelihood": 9}
    )
    assert response.status_code == 400
    assert response.context["form"].errors.keys() >= {"title", "category", "likelihood", "impact"}
    assert not Risk.objects.exists()


def test_pages_refuse_wrong_roles_and_other_organisations(login, ai_model, risk_officer, auditor, outsider):
    risk = _risk(risk_officer, ai_model)
    urls = [
        reverse("governance:risk-create", args=[ai_model.pk]),
        reverse("governance:risk-edit", args=[risk.pk]),
        reverse("governance:risk-delete", args=[risk.pk]),
    ]
    for url in urls:
        assert login(auditor).get(url).status_code == 403
        assert login(auditor).post(url, {"title": "x"}).status_code == 403
        assert login(outsider).get(url).status_code == 404
    assert login(outsider).get(reverse("governance:risk-detail", args=[risk.pk])).status_code == 404
    assert login(auditor).get(reverse("governance:risk-detail", args=[risk.pk])).status_code == 200
    assert Risk.objects.count() == 1
    detail = login(auditor).get(reverse("governance:model-detail", args=[ai_model.pk])).content.decode()
    assert "Score drift" in detail and "Add a risk" not in detail


def test_edit_and_delete_pages(login, ai_model, risk_officer, model_owner):
    risk = _risk(risk_officer, ai_model, owner=model_owner)
    client = login(model_owner)
    url = reverse("governance:risk-edit", args=[risk.pk])
    assert 'value="Score drift"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "title": "Score drift",
            "category": "financial",
            "likelihood": 4,
            "impact": 5,
            "mitigation": "Quarterly recalibration.",
            "residual_likelihood": 2,
            "residual_impact": 3,
            "owner": model_owner.pk,
            "status": "closed",
        },
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.status, risk.residual_score) == ("closed", 6)
    page = client.get(reverse("governance:risk-detail", args=[risk.pk])).content.decode()
    assert "Quarterly recalibration." in page
    delete_url = reverse("governance:risk-delete", args=[risk.pk])
    assert "Delete this risk?" in client.get(delete_url).content.decode()
    assert Risk.objects.filter(pk=risk.pk).exists()  # GET only asks
    assert client.post(delete_url).status_code == 302
    assert not Risk.objects.filter(pk=risk.pk).exists()
    assert AuditEvent.objects.filter(action="risk.delete", actor=model_owner).exists()


# --- API ------------------------------------------------------------------------------------------------


def _body(model, **extra):
    return {
        "model": model.pk,
        "title": "Drift",
        "category": "financial",
        "likelihood": 4,
        "impact": 5,
        **extra,
    }


def test_api_create_list_retrieve(api_client, ai_model, risk_officer, model_owner, auditor):
    response = api_client(risk_officer).post(
        RISKS, _body(ai_model, owner=model_owner.pk, residual_likelihood=2, residual_impact=2), format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["inherent_score"] == 20
    assert response.data["inherent_band"] == "critical"
    assert response.data["residual_band"] == "low"
    assert response.data["organisation"] == ai_model.organisation_id
    listed = api_client(auditor).get(RISKS).data
    assert [r["id"] for r in listed["results"]] == [response.data["id"]]
    assert api_client(auditor).get(f"{RISKS}{response.data['id']}/").data["title"] == "Drift"
    assert AuditEvent.objects.filter(action="risk.create").count() == 1


def test_api_bad_input_is_400_with_field_errors_and_saves_nothing(
    api_client, ai_model, risk_officer, outsider
):
    client = api_client(risk_officer)
    response = client.post(RISKS, _body(ai_model, likelihood=7, category="nope"), format="json")
    assert response.status_code == 400
    assert {"likelihood", "category"} <= set(response.data["errors"])
    response = client.post(
        RISKS,
        _body(ai_model, likelihood=1, impact=2, residual_likelihood=3, residual_impact=3),
        format="json",
    )
    assert response.status_code == 400
    assert "higher than the inherent score" in response.data["errors"]["residual_impact"][0]
    response = client.post(RISKS, _body(ai_model, residual_likelihood=3), format="json")
    assert response.status_code == 400 and "residual_impact" in response.data["errors"]
    response = client.post(RISKS, _body(ai_model, owner=outsider.pk), format="json")
    assert response.status_code == 400 and "member" in response.data["errors"]["owner"][0]
    response = client.post(RISKS, _body(ai_model, status="closed"), format="json")
    assert response.status_code == 400 and "mitigation" in response.data["errors"]
    assert not Risk.objects.exists()


def test_api_roles_and_tenancy(api_client, ai_model, foreign_model, risk_officer, auditor, outsider):
    assert api_client(auditor).post(RISKS, _body(ai_model), format="json").status_code == 403
    # Another organisation's model is not a valid choice.
    response = api_client(risk_officer).post(RISKS, _body(foreign_model), format="json")
    assert response.status_code == 400 and "model" in response.data["errors"]
    risk = _risk(risk_officer, ai_model)
    url = f"{RISKS}{risk.pk}/"
    assert api_client(auditor).patch(url, {"likelihood": 1}, format="json").status_code == 403
    assert api_client(auditor).delete(url).status_code == 403
    for call in (
        lambda c: c.get(url),
        lambda c: c.patch(url, {"likelihood": 1}, format="json"),
        lambda c: c.delete(url),
    ):
        assert call(api_client(outsider)).status_code == 404
    assert api_client(outsider).get(RISKS).data["count"] == 0
    risk.refresh_from_db()
    assert risk.likelihood == 4


def test_api_update_filter_and_delete(api_client, ai_model, risk_officer, model_owner):
    risk = _risk(risk_officer, ai_model, due_date=timezone.localdate() - timedelta(days=3))
    _risk(risk_officer, ai_model, title="Minor", likelihood=1, impact=2)
    client = api_client(model_owner)
    assert [r["title"] for r in client.get(RISKS, {"overdue": "true"}).data["results"]] == ["Score drift"]
    assert [r["title"] for r in client.get(RISKS, {"band": "low"}).data["results"]] == ["Minor"]
    assert client.get(RISKS, {"band": "huge"}).status_code == 400
    response = client.patch(
        f"{RISKS}{risk.pk}/",
        {
            "status": "mitigating",
            "mitigation": "Recalibrate.",
            "residual_likelihood": 2,
            "residual_impact": 2,
        },
        format="json",
    )
    assert response.status_code == 200, response.data
    assert response.data["residual_score"] == 4
    response = client.patch(
        f"{RISKS}{risk.pk}/", {"residual_impact": 5, "residual_likelihood": 5}, format="json"
    )
    assert response.status_code == 400
    assert client.delete(f"{RISKS}{risk.pk}/").status_code == 204
    assert list(
        AuditEvent.objects.filter(object_id=str(risk.pk), object_type="governance.risk")
        .values_list("action", flat=True)
        .order_by("sequence")
    ) == ["risk.create", "risk.update", "risk.delete"]


def test_schema_documents_risk_endpoints(api_client, auditor):
    response = api_client(auditor).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/risks/"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/risks/{id}/"])


def test_api_heatmap_counts_the_filtered_risks(
    api_client, organisation, ai_model, risk_officer, auditor, outsider
):
    _risk(
        risk_officer,
        ai_model,
        title="A",
        residual_likelihood=2,
        residual_impact=3,
        status="mitigating",
        mitigation="m",
    )
    _risk(risk_officer, ai_model, title="B")
    _risk(risk_officer, ai_model, title="C", category="privacy", likelihood=1, impact=1)
    _risk(
        risk_officer,
        ai_model,
        title="Closed",
        status="closed",
        mitigation="Gone.",
        residual_likelihood=1,
        residual_impact=1,
    )
    url = f"{RISKS}heatmap/"
    data = api_client(auditor).get(url).data
    assert data["inherent"][4][3] == 2 and data["inherent"][0][0] == 1
    assert sum(map(sum, data["inherent"])) == 3  # closed risks are left out
    assert data["residual"][2][1] == 1 and sum(map(sum, data["residual"])) == 1
    assert [b["band"] for b in data["bands"]] == ["low", "medium", "high", "critical"]
    assert sum(map(sum, api_client(auditor).get(url, {"category": "privacy"}).data["inherent"])) == 1
    assert sum(map(sum, api_client(auditor).get(url, {"status": "closed"}).data["inherent"])) == 1
    assert api_client(auditor).get(url, {"band": "nope"}).status_code == 400
    assert sum(map(sum, api_client(outsider).get(url).data["inherent"])) == 0


def test_export_uses_the_filters_and_neutralises_formulas(
    login, organisation, ai_model, risk_officer, auditor
):
    _risk(risk_officer, ai_model, title="=HYPERLINK(1)", due_date=timezone.localdate() - timedelta(days=2))
    _risk(risk_officer, ai_model, title="Minor", likelihood=1, impact=1)
    response = login(auditor).get(reverse("governance:risk-export"), {"band": "critical"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'{organisation.slug}-risks.csv"')
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["title"] == "'=HYPERLINK(1)"
    assert (row["inherent_score"], row["inherent_band"], row["overdue"]) == ("20", "critical", "yes")
    assert row["model"] == "Retail credit scorecard"


def test_demo_register_is_varied_and_idempotent(organisation, make_member):
    from governance.demo.inventory import seed_inventory_demo
    from governance.demo.risks import seed_risks_demo
    from governance.models import Incident

    users = {
        role: make_member(role) for role in (Role.ADMIN, Role.EXECUTIVE, Role.MODEL_OWNER, Role.RISK_OFFICER)
    }
    users = {str(role): user for role, user in users.items()}
    seed_inventory_demo(organisation, users)
    risks, incidents = seed_risks_demo(organisation, users)
    assert len(risks) >= 15
    assert len({r.category for r in risks}) >= 7
    assert {score_band(r.inherent_score) for r in risks} == {"low", "medium", "high", "critical"}
    assert any(r.residual_score for r in risks) and any(r.residual_score is None for r in risks)
    today = timezone.localdate()
    assert any(r.due_date and r.due_date < today and r.status in ACTIVE_STATUSES for r in risks)
    lossy = [i for i in incidents if i.financial_loss]
    assert lossy and all(i.root_cause and i.actions_taken for i in lossy)
    assert seed_risks_demo(organisation, users) == ([], [])
    assert (Risk.objects.count(), Incident.objects.count()) == (len(risks), len(incidents))
