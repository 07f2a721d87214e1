import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from governance.core.roles import Role
from governance.models import (
    AIModel,
    ApprovalRequest,
    ApprovalStatus,
    AuditEvent,
    LifecycleStage,
    ModelVersion,
    RiskTier,
)
from governance.models.monitoring import KPIDefinition, KPIMeasurement
from governance.services import inventory as services
from governance.services.monitoring import refresh_latest_state
from tests.factories import BusinessUnitFactory
from tests.governance.inventory_factories import AIModelFactory

# These tests are about who decides; the release checks have their own (tests/governance/release/).
pytestmark = pytest.mark.usefixtures("permissive_release_policy")

LIST_QUERIES = 7
# Session, user, memberships; the model with its history counts and current release policy; its KPIs, risks,
# incidents and developers; its champion and newest candidates (release checks and promotion form together); the
# compliance catalogue with its records; its validations (the latest shown and the checked version's) and their
# findings; its deployments; a page of versions and of approval requests.
DETAIL_QUERIES = 15


def _bulk_models(organisation, owner, count, **extra):
    return AIModel.objects.bulk_create(
        [
            AIModel(
                organisation=organisation, owner=owner, name=f"Bulk model {i:04d}", purpose="Bulk.", **extra
            )
            for i in range(count)
        ]
    )


@pytest.fixture
def ai_model(organisation, model_owner, business_unit):
    return services.create_model(
        actor=model_owner,
        organisation=organisation,
        name="Retail credit scorecard",
        purpose="Scores personal-loan applications.",
        owner=model_owner,
        business_unit=business_unit,
        materiality=5,
        complexity=4,
    )


@pytest.mark.parametrize("count", [10, 500])
def test_list_query_bound_holds_at_any_size(
    login, organisation, auditor, model_owner, count, django_assert_max_num_queries
):
    _bulk_models(organisation, model_owner, count)
    client = login(auditor)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("governance:model-list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == count
    assert len(response.context["page"].object_list) == min(count, 25)


@pytest.mark.parametrize("count", [10, 500])
def test_detail_query_bound_holds_at_any_size(
    login, organisation, model_owner, executive, ai_model, count, django_assert_max_num_queries
):
    ModelVersion.objects.bulk_create(
        [ModelVersion(model=ai_model, version=f"1.{i}", metrics={"auc": 0.7}) for i in range(count)]
    )
    ApprovalRequest.objects.bulk_create(
        [
            ApprovalRequest(
                organisation=organisation,
                model=ai_model,
                kind="stage_change",
                requested_stage="validation",
                requested_by=model_owner,
                status=ApprovalStatus.REJECTED,
                decided_by=executive,
            )
            for _ in range(count)
        ]
    )
    kpis = KPIDefinition.objects.bulk_create(
        [
            KPIDefinition(model=ai_model, name=f"KPI {i}", target=0.8, warning_threshold=0.7)
            for i in range(count // 10)
        ]
    )
    KPIMeasurement.objects.bulk_create(
        [KPIMeasurement(kpi=kpi, measured_at=timezone.now(), value=0.65) for kpi in kpis]
    )
    refresh_latest_state(KPIDefinition.objects.filter(model=ai_model))
    client = login(model_owner)
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("governance:model-detail", args=[ai_model.pk]))
    assert response.status_code == 200
    assert "Retail credit scorecard" in response.content.decode()
    assert response.content.decode().count('class="badge warning"') == count // 10
    # The histories are paged: the page does not grow with the model's versions and approval requests.
    assert len(response.context["versions"].object_list) == min(count, 20)
    assert len(response.context["approvals"].object_list) == min(count, 20)


def test_list_filters_by_stage_tier_unit_owner_search_and_overdue(
    login, organisation, model_owner, risk_officer, business_unit
):
    other_unit = BusinessUnitFactory(organisation=organisation, name="Treasury")
    today = timezone.localdate()
    AIModel.objects.bulk_create(
        [
            AIModel(
                organisation=organisation,
                owner=model_owner,
                business_unit=business_unit,
                name="Fraud detector",
                purpose="Card fraud.",
                risk_tier=RiskTier.CRITICAL,
                lifecycle_stage=LifecycleStage.PRODUCTION,
                next_review_due=today - timedelta(days=3),
            ),
            AIModel(
                organisation=organisation,
                owner=risk_officer,
                business_unit=other_unit,
                name="Liquidity forecaster",
                purpose="Forecasts cash outflows.",
                risk_tier=RiskTier.LOW,
                next_review_due=today + timedelta(days=30),
            ),
        ]
    )
    client = login(model_owner)

    def names(**params):
        response = client.get(reverse("governance:model-list"), params)
        assert response.status_code == 200
        return [m.name for m in response.context["page"].object_list]

    assert names(lifecycle_stage="production") == ["Fraud detector"]
    assert names(risk_tier="low") == ["Liquidity forecaster"]
    assert names(business_unit=other_unit.pk) == ["Liquidity forecaster"]
    assert names(owner=model_owner.pk) == ["Fraud detector"]
    assert names(q="cash") == ["Liquidity forecaster"]
    assert names(overdue="true") == ["Fraud detector"]
    # A bad filter value is a form error, never a crash.
    assert client.get(reverse("governance:model-list"), {"risk_tier": "nonsense"}).status_code == 200


def test_list_is_paginated_by_25(login, organisation, model_owner):
    _bulk_models(organisation, model_owner, 30)
    response = login(model_owner).get(reverse("governance:model-list"), {"page": 2})
    assert len(response.context["page"].object_list) == 5


def test_other_organisation_models_are_invisible(login, organisation, outsider, ai_model):
    client = login(outsider)
    assert client.get(reverse("governance:model-detail", args=[ai_model.pk])).status_code == 404
    assert "Retail credit scorecard" not in client.get(reverse("governance:model-list")).content.decode()


def test_export_uses_the_same_filters(login, organisation, model_owner, ai_model):
    _bulk_models(organisation, model_owner, 3)
    response = login(model_owner).get(reverse("governance:model-export"), {"risk_tier": "critical"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert [r["name"] for r in rows] == ["Retail credit scorecard"]
    assert rows[0]["owner"] == model_owner.username
    assert rows[0]["risk_tier"] == "critical"


def _upload(client, text):
    return client.post(
        reverse("governance:model-import"),
        {"file": SimpleUploadedFile("models.csv", text.encode(), "text/csv")},
    )


def test_import_creates_every_row(login, organisation, model_owner, business_unit):
    text = (
        "name,purpose,owner,business_unit,materiality,complexity,eu_ai_act_category\n"
        f"Churn model,Predicts churn.,{model_owner.username},Retail Banking,2,2,minimal\n"
        f"Credit model,Scores loans.,{model_owner.username},,5,5,high_risk\n"
    )
    response = _upload(login(model_owner), text)
    assert response.status_code == 302
    assert AIModel.objects.get(name="Credit model").risk_tier == RiskTier.CRITICAL
    assert AIModel.objects.get(name="Churn model").business_unit == business_unit


def test_an_export_imports_again_unchanged_even_with_formula_like_text(
    login, organisation, other_organisation, model_owner, make_member
):
    AIModelFactory(organisation=organisation, owner=model_owner, name="=Scorer", purpose="-5 bps uplift.")
    exported = login(model_owner).get(reverse("governance:model-export")).getvalue().decode()
    assert "\r\n'=Scorer,'-5 bps uplift.," in exported  # a spreadsheet shows it as text, never runs it
    other_owner = make_member(
        Role.MODEL_OWNER, organisation=other_organisation, username=model_owner.username + "2"
    )
    text = exported.replace(model_owner.username, other_owner.username)
    assert _upload(login(other_owner), text).status_code == 302
    imported = AIModel.objects.get(organisation=other_organisation)
    assert (imported.name, imported.purpose) == ("=Scorer", "-5 bps uplift.")


def test_import_with_a_bad_row_imports_nothing_and_reports_rows(login, organisation, model_owner):
    text = (
        "name,purpose,owner,materiality,next_review_due\n"
        f"Good model,Fine.,{model_owner.username},3,2030-01-01\n"
        "Bad model,Broken.,nobody,9,31/12/2030\n"
    )
    response = _upload(login(model_owner), text)
    assert response.status_code == 400  # refused: the page again with every row error
    assert AIModel.objects.count() == 0
    errors = {(e.row, e.field) for e in response.context["row_errors"]}
    assert errors == {(2, "owner"), (2, "materiality"), (2, "next_review_due")}
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "No member of this organisation has the username" in page


def test_import_and_create_are_refused_to_read_only_roles(login, auditor):
    client = login(auditor)
    assert client.get(reverse("governance:model-import")).status_code == 403
    assert client.get(reverse("governance:model-create")).status_code == 403


def test_create_form_keeps_input_and_shows_field_errors(login, organisation, model_owner, ai_model):
    client = login(model_owner)
    response = client.post(
        reverse("governance:model-create"),
        {
            "name": "Retail credit scorecard",
            "purpose": "Duplicate.",
            "owner": model_owner.pk,
            "lifecycle_stage": "proposed",
            "eu_ai_act_category": "minimal",
            "decisions_about_people": "none",
            "materiality": 3,
            "complexity": 3,
            "risk_tier_override": "high",
        },
    )
    assert response.status_code == 400  # refused: the form again with its errors
    form = response.context["form"]
    assert "already exists" in form.errors["name"][0]
    assert "reason" in form.errors["risk_tier_override_reason"][0]
    assert 'value="Retail credit scorecard"' in response.content.decode()


def test_create_and_edit_through_the_forms(login, organisation, model_owner):
    client = login(model_owner)
    data = {
        "name": "Collections model",
        "purpose": "Next best action.",
        "owner": model_owner.pk,
        "lifecycle_stage": "development",
        "eu_ai_act_category": "minimal",
        "decisions_about_people": "none",
        "materiality": 4,
        "complexity": 4,
    }
    response = client.post(reverse("governance:model-create"), data)
    model = AIModel.objects.get(name="Collections model")
    assert response.url == reverse("governance:model-detail", args=[model.pk])
    assert model.risk_tier == RiskTier.HIGH
    data.pop("lifecycle_stage")
    response = client.post(reverse("governance:model-edit", args=[model.pk]), {**data, "materiality": 1})
    assert response.status_code == 302
    model.refresh_from_db()
    assert model.risk_tier == RiskTier.LOW
    assert AuditEvent.objects.filter(action="model.update").exists()


def test_stage_request_and_approval_flow_through_pages(
    login, client, organisation, model_owner, risk_officer, ai_model
):
    login(model_owner)
    response = client.post(
        reverse("governance:model-stage-change", args=[ai_model.pk]),
        {"requested_stage": "validation", "justification": "Backtests done."},
    )
    assert response.status_code == 302
    request = ApprovalRequest.objects.get()

    client.force_login(risk_officer)
    page = client.get(reverse("governance:approval-list")).content.decode()
    assert "Retail credit scorecard" in page and "Review readiness and decide" in page
    detail_page = client.get(reverse("governance:approval-detail", args=[request.pk])).content.decode()
    assert "Readiness" in detail_page and "Approve" in detail_page
    client.post(
        reverse("governance:approval-decide", args=[request.pk]), {"decision": "approve", "comment": "OK"}
    )
    ai_model.refresh_from_db()
    assert ai_model.lifecycle_stage == LifecycleStage.VALIDATION
    detail = client.get(reverse("governance:model-detail", args=[ai_model.pk])).content.decode()
    assert "Approved" in detail


def test_stage_request_without_justification_shows_error(login, model_owner, ai_model):
    response = login(model_owner).post(
        reverse("governance:model-stage-change", args=[ai_model.pk]), {"requested_stage": "production"}
    )
    assert response.status_code == 400
    assert "Explain why" in response.content.decode()
    assert not ApprovalRequest.objects.exists()


def test_requester_sees_separation_of_duties_message(
    login, organisation, make_member, ai_model, risk_officer
):
    request = services.request_stage_change(
        actor=risk_officer, model=ai_model, stage=LifecycleStage.VALIDATION, justification="Ready."
    )
    client = login(risk_officer)
    page = client.get(reverse("governance:approval-list")).content.decode()
    assert "someone else decides" in page
    response = client.post(
        reverse("governance:approval-decide", args=[request.pk]), {"decision": "approve"}, follow=True
    )
    assert "Separation of duties" in response.content.decode()
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING


def test_approval_list_query_bound(
    login, organisation, model_owner, executive, django_assert_max_num_queries
):
    models = _bulk_models(organisation, model_owner, 40)
    ApprovalRequest.objects.bulk_create(
        [
            ApprovalRequest(
                organisation=organisation,
                model=m,
                kind="stage_change",
                requested_stage="validation",
                requested_by=model_owner,
            )
            for m in models
        ]
    )
    client = login(executive)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("governance:approval-list"))
    assert len(response.context["pending"]) == 40


def test_members_of_any_role_can_read(login, make_member, ai_model):
    client = login(make_member(Role.ASSESSOR))
    assert client.get(reverse("governance:model-detail", args=[ai_model.pk])).status_code == 200


def test_export_neutralises_spreadsheet_formulas(login, organisation, model_owner):
    AIModel.objects.create(organisation=organisation, owner=model_owner, name="=HYPERLINK(1)", purpose="x")
    response = login(model_owner).get(reverse("governance:model-export"))
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert rows[0]["name"] == "'=HYPERLINK(1)"
