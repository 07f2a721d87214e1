"""The Django admin: every changelist opens, and no admin form changes a governed record without an audit event.

Every admin of a governance or maturity model is read-only (add, change and delete refused, for the admin and
each of its inlines, and a POST to its forms answers 403), except the few in EDITABLE_ADMINS, whose every write
the admin sends through governance.services.organisations: each is posted here as a superuser would, and must
leave exactly the expected audit event on an intact trail.
"""

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection, models
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.admin import BusinessUnitInline
from governance.core.audit import (
    diff,
    record_event,
    record_verification,
    snapshot,
    verify_chain,
    write_checkpoint,
)
from governance.core.roles import Role
from governance.models import (
    ApiToken,
    AuditBundle,
    AuditEvent,
    BusinessUnit,
    ControlApplicability,
    Deployment,
    DeploymentCheck,
    ExternalIdentity,
    IssuedStatement,
    KPIMeasurement,
    Membership,
    ModelCard,
    Organisation,
    PendingJob,
    RegistryConnection,
    ReleasePolicy,
    ReminderDigest,
    Report,
    ReportSchedule,
    TechnicalDocumentation,
    TechnicalDocumentationRevision,
    Validation,
    ValidationFinding,
    WebhookDelivery,
    WebhookEndpoint,
)
from governance.models.actions import GovernanceAction
from governance.services.accounts import issue_api_token
from maturity.models import (
    Answer,
    Factor,
    ImprovementAction,
    MaturityTarget,
    Question,
    ReassessmentSchedule,
)
from tests.factories import BusinessUnitFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.governance.inventory_factories import AIModelFactory, ModelVersionFactory
from tests.governance.reminder_factories import (
    ApprovalRequestFactory,
    ComplianceRecordFactory,
    FrameworkFactory,
    IncidentFactory,
    KPIFactory,
    RequirementFactory,
    RiskFactory,
)
from tests.maturity.page_fixtures import AssessmentFactory, QuestionnaireFactory

PLUMBLINE_APPS = ("governance", "maturity")

# The only governance and maturity models the admin may change, with the inlines each may have. No page
# administers organisations, their units and memberships yet, so platform administrators keep them here; every
# save and delete goes through governance.services.organisations, which audits it (tested below).
EDITABLE_ADMINS: dict[type[models.Model], tuple[type, ...]] = {
    Organisation: (BusinessUnitInline,),
    BusinessUnit: (),
    Membership: (),
}

# Admin actions besides Django's delete_selected (which each admin's delete permission governs), and why each
# is safe without an audit event of its own.
ALLOWED_ACTIONS = {
    # Ends a credential's use (a person's, not an organisation's: no trail to write to); the token stays listed
    # as revoked by an administrator.
    ("governance.ApiToken", "revoke"),
    # Hands the broker a job that was waiting to be sent anyway; changes no record.
    ("governance.PendingJob", "send_now"),
}


def read_only_admins() -> list[str]:
    """Every governance and maturity model in the admin but EDITABLE_ADMINS, a new one included."""
    return sorted(
        model._meta.label
        for model in admin.site._registry
        if model._meta.app_label in PLUMBLINE_APPS and model not in EDITABLE_ADMINS
    )


# --- A real instance of each read-only model, made the way the other tests make them ----------------------


def _model_version():
    return ModelVersionFactory(model=AIModelFactory())


def _validation():
    version = _model_version()
    return Validation.objects.create(
        organisation=version.model.organisation,
        model=version.model,
        version=version,
        validator=UserFactory(),
        started_on=date(2026, 11, 2),
    )


def _deployment_check():
    version = _model_version()
    return DeploymentCheck.objects.create(
        organisation=version.model.organisation,
        model=version.model,
        version=version,
        environment="production",
        allowed=False,
        policy_version=1,
        asked_by=UserFactory(),
    )


def _deployment():
    version = _model_version()
    return Deployment.objects.create(
        organisation=version.model.organisation,
        model=version.model,
        version=version,
        environment="production",
        recorded_by=UserFactory(),
    )


def _question():
    factor = Factor.objects.create(questionnaire=QuestionnaireFactory(), key="strategy", name="Strategy")
    return Question.objects.create(factor=factor, key="strategy-q1", text="How?", level_descriptors=[""] * 6)


def _assessment():
    return AssessmentFactory(organisation=OrganisationFactory(), questionnaire=QuestionnaireFactory())


def _improvement_action():
    assessment = _assessment()
    owner = UserFactory()
    return ImprovementAction.objects.create(
        organisation=assessment.organisation,
        assessment=assessment,
        question_key="strategy-q1",
        question_text="How?",
        factor_name="Strategy",
        from_level=1,
        to_level=2,
        action="Write the strategy down.",
        owner=owner,
        created_by=owner,
        due_date=date.today() + timedelta(30),
    )


def _audit_event():
    organisation = OrganisationFactory()
    return record_event(
        organisation=organisation, actor=None, action=GovernanceAction.ORGANISATION_UPDATE, obj=organisation
    )


def _audit_checkpoint():
    return write_checkpoint(_audit_event().organisation)


def _control_applicability() -> ControlApplicability:
    requirement = RequirementFactory()
    return ControlApplicability.objects.create(
        organisation=OrganisationFactory(), requirement=requirement, ref=requirement.ref, applicable=True
    )


def _issued_statement() -> IssuedStatement:
    return IssuedStatement.objects.create(
        organisation=OrganisationFactory(),
        framework=FrameworkFactory(),
        number=1,
        issued_at=timezone.now(),
        issued_by=UserFactory(),
        entries=[],
        sha256="0" * 64,
    )


def _webhook_endpoint() -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organisation=OrganisationFactory(),
        name="Chat",
        url="https://hooks.example.com/x",
        secret_encrypted="x",
    )


def _model_card() -> ModelCard:
    version = _model_version()
    return ModelCard.objects.create(
        organisation=version.model.organisation, version=version, intended_use="Scoring"
    )


def _technical_documentation() -> TechnicalDocumentation:
    model = AIModelFactory()
    return TechnicalDocumentation.objects.create(
        organisation=model.organisation, model=model, texts={"intended_purpose": "Scoring"}
    )


INSTANCES: dict[str, Callable[[], models.Model]] = {
    "governance.AIModel": AIModelFactory,
    "governance.ApiToken": lambda: issue_api_token(UserFactory(), name="CI", scope="read")[0],
    "governance.ApprovalRequest": ApprovalRequestFactory,
    "governance.AuditBundle": lambda: AuditBundle.objects.create(organisation=OrganisationFactory()),
    "governance.AuditCheckpoint": _audit_checkpoint,
    "governance.AuditEvent": _audit_event,
    "governance.AuditVerification": lambda: record_verification(OrganisationFactory()),
    "governance.ComplianceRecord": ComplianceRecordFactory,
    "governance.ControlApplicability": lambda: _control_applicability(),
    "governance.WebhookEndpoint": lambda: _webhook_endpoint(),
    "governance.WebhookDelivery": lambda: WebhookDelivery.objects.create(
        endpoint=(endpoint := _webhook_endpoint()),
        organisation=endpoint.organisation,
        event="incident.opened",
        payload={},
    ),
    "governance.RegistryConnection": lambda: RegistryConnection.objects.create(
        organisation=OrganisationFactory(), name="MLflow", tracking_url="http://127.0.0.1:5000"
    ),
    "governance.IssuedStatement": lambda: _issued_statement(),
    "governance.ModelCard": lambda: _model_card(),
    "governance.TechnicalDocumentation": lambda: _technical_documentation(),
    "governance.TechnicalDocumentationRevision": lambda: TechnicalDocumentationRevision.objects.create(
        document=_technical_documentation(), field="intended_purpose", text="x", edited_at=timezone.now()
    ),
    "governance.Deployment": _deployment,
    "governance.DeploymentCheck": _deployment_check,
    "governance.ExternalIdentity": lambda: ExternalIdentity.objects.create(
        user=UserFactory(), issuer="https://idp.example.com", subject=f"sub-{UserFactory().pk}"
    ),
    "governance.Framework": FrameworkFactory,
    "governance.Incident": IncidentFactory,
    "governance.KPIDefinition": KPIFactory,
    "governance.KPIMeasurement": lambda: KPIMeasurement.objects.create(
        kpi=KPIFactory(), value=0.9, measured_at=timezone.now(), recorded_by=UserFactory()
    ),
    "governance.ModelVersion": _model_version,
    "governance.PendingJob": lambda: PendingJob.objects.create(task="governance.tasks.render_report"),
    "governance.ReleasePolicy": lambda: ReleasePolicy.objects.create(
        organisation=OrganisationFactory(), version=1, rules={}, created_by=UserFactory()
    ),
    "governance.ReminderDigest": lambda: ReminderDigest.objects.create(
        user=UserFactory(), digest_date=date.today()
    ),
    "governance.Report": lambda: Report.objects.create(
        organisation=OrganisationFactory(),
        kind="model_inventory",
        title="Model inventory",
        requested_by=UserFactory(),
    ),
    "governance.ReportSchedule": lambda: ReportSchedule.objects.create(
        organisation=OrganisationFactory(), kind="model_inventory", recipients=["audit@example.com"]
    ),
    "governance.Requirement": RequirementFactory,
    "governance.Risk": RiskFactory,
    "governance.Validation": _validation,
    "governance.ValidationFinding": lambda: ValidationFinding.objects.create(
        validation=_validation(),
        title="Drift untested",
        severity="high",
        due_date=date.today() + timedelta(30),
    ),
    "maturity.Answer": lambda: Answer.objects.create(assessment=_assessment(), question=_question(), level=3),
    "maturity.Assessment": _assessment,
    "maturity.Factor": lambda: _question().factor,
    "maturity.ImprovementAction": _improvement_action,
    "maturity.MaturityTarget": lambda: MaturityTarget.objects.create(
        organisation=OrganisationFactory(), factor_key="strategy", target_level=3
    ),
    "maturity.Question": _question,
    "maturity.Questionnaire": lambda: _question().factor.questionnaire,
    "maturity.ReassessmentSchedule": lambda: ReassessmentSchedule.objects.create(
        organisation=OrganisationFactory(), business_unit=BusinessUnitFactory()
    ),
}


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _url(model: type[models.Model], view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _tampered(model: type[models.Model]) -> dict[str, str]:
    """A form post that would change every text field, if anything accepted it."""
    return {
        field.name: "tampered"
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and field.editable
    }


# --- The existing guarantees ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_admin_changelist_opens(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_every_plumbline_model_is_in_the_admin():
    missing = [
        model._meta.label
        for app in PLUMBLINE_APPS
        for model in apps.get_app_config(app).get_models()
        if model not in admin.site._registry
    ]
    assert missing == []


# --- Read-only admins -------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", read_only_admins())
def test_no_admin_changes_a_governed_record(label, admin_client, superuser):
    """Every governance and maturity admin outside EDITABLE_ADMINS refuses to add, change or delete, in its
    forms, its inlines and its bulk delete; a new editable admin fails here until it is audited and listed."""
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    instance = INSTANCES[label]() if label in INSTANCES else model._default_manager.first()
    request = _request(superuser)

    assert not model_admin.has_add_permission(request)
    for obj in (None, instance):
        assert not model_admin.has_change_permission(request, obj)
        assert not model_admin.has_delete_permission(request, obj)
        for inline_class in model_admin.get_inlines(request, obj):
            inline = inline_class(model, admin.site)
            assert not inline.can_delete, inline_class
            assert not inline.has_add_permission(request, obj), inline_class
            assert not inline.has_change_permission(request, obj), inline_class
            assert not inline.has_delete_permission(request, obj), inline_class
    assert "delete_selected" not in model_admin.get_actions(request)

    rows, events = model._default_manager.count(), AuditEvent.objects.count()
    assert admin_client.post(_url(model, "add"), _tampered(model)).status_code == 403
    if instance is not None:
        before = snapshot(instance)
        assert admin_client.post(_url(model, "change", instance.pk), _tampered(model)).status_code == 403
        assert admin_client.post(_url(model, "delete", instance.pk), {"post": "yes"}).status_code == 403
        admin_client.post(
            _url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [instance.pk], "post": "yes"},
        )
        assert snapshot(model._base_manager.get(pk=instance.pk)) == before
    assert (model._default_manager.count(), AuditEvent.objects.count()) == (rows, events)


def test_every_read_only_model_has_an_instance_to_post_to():
    """The test above posts to a real instance's change and delete forms: name how to make one."""
    assert set(read_only_admins()) - set(INSTANCES) == set()


@pytest.mark.django_db
def test_admin_actions_are_audited_or_harmless(superuser):
    request = _request(superuser)
    found = {
        (model._meta.label, name)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PLUMBLINE_APPS
        for name in model_admin.get_actions(request)
        if name != "delete_selected"
    }
    assert found == ALLOWED_ACTIONS


# Issue 13's bound for every page applies to the admin's lists too.
MAX_CHANGELIST_QUERIES = 15


@pytest.mark.django_db
def test_read_only_changelists_take_as_many_queries_for_three_rows_as_for_one(admin_client):
    """list_select_related keeps each changelist to a fixed number of queries, whatever its rows."""

    def queries(model) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(_url(model, "changelist")).status_code == 200
        return len(captured)

    growing, over = {}, {}
    for label, make in INSTANCES.items():
        model = apps.get_model(label)
        make()
        one = queries(model)
        make()
        make()
        three = queries(model)
        if three > one:
            growing[label] = (one, three)
        if three > MAX_CHANGELIST_QUERIES:
            over[label] = three
    assert growing == {}
    assert over == {}


# --- The editable admins: every write audited -------------------------------------------------------------


def _events_after(last_id: int) -> list[tuple[str, str, str, dict]]:
    return [
        (event.action, event.object_type, event.object_id, event.changes)
        for event in AuditEvent.objects.filter(pk__gt=last_id).order_by("pk")
    ]


def _last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _created(obj: models.Model) -> dict:
    return diff(None, snapshot(obj))


def _saved(response) -> None:
    """The admin redirects after a save; a form that stayed on the page shows why."""
    if response.status_code != 302:
        context = response.context
        errors = [
            context["adminform"].form.errors,
            *(fs.formset.errors for fs in context["inline_admin_formsets"]),
        ]
        pytest.fail(f"not saved ({response.status_code}): {errors}")


def _inline_management(prefix: str, total: int, initial: int) -> dict[str, int]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def test_only_the_listed_admins_are_editable_with_the_listed_inlines(superuser):
    request = _request(superuser)
    for model, inlines in EDITABLE_ADMINS.items():
        model_admin = admin.site._registry[model]
        assert tuple(model_admin.get_inlines(request, None)) == inlines, model
        for inline_class in inlines:
            # Deleting a unit checks what uses it: that happens on the unit's own page, not in the inline.
            assert not inline_class.can_delete


def test_organisation_created_and_changed_in_the_admin_is_audited(admin_client, superuser):
    last = _last_event_id()
    response = admin_client.post(
        _url(Organisation, "add"),
        {
            "name": "Northwind Bank",
            "slug": "northwind-bank",
            "classification": "Internal",
            **_inline_management("business_units", total=1, initial=0),
            "business_units-0-name": "Retail",
            "business_units-0-description": "",
        },
    )
    _saved(response)
    organisation = Organisation.objects.get(name="Northwind Bank")
    unit = organisation.business_units.get()
    # Its creation is the first event of its own trail.
    assert _events_after(last) == [
        ("organisation.create", "governance.organisation", str(organisation.pk), _created(organisation)),
        ("business_unit.create", "governance.businessunit", str(unit.pk), _created(unit)),
    ]
    first = AuditEvent.objects.get(action="organisation.create", organisation=organisation)
    assert (first.sequence, first.actor, first.changes["name"]) == (1, superuser, [None, "Northwind Bank"])

    last = _last_event_id()
    response = admin_client.post(
        _url(Organisation, "change", organisation.pk),
        {
            "name": "Northwind Bank",
            "slug": "northwind-bank",
            "classification": "Confidential — internal use",
            "require_two_factor": "on",
            **_inline_management("business_units", total=2, initial=1),
            "business_units-0-id": unit.pk,
            "business_units-0-organisation": organisation.pk,
            "business_units-0-name": "Retail Banking",
            "business_units-0-description": "",
            "business_units-1-name": "Treasury",
            "business_units-1-description": "Markets and liquidity.",
        },
    )
    _saved(response)
    treasury = BusinessUnit.objects.get(name="Treasury")
    assert _events_after(last) == [
        (
            "organisation.update",
            "governance.organisation",
            str(organisation.pk),
            {
                "classification": ["Internal", "Confidential — internal use"],
                "require_two_factor": [False, True],
            },
        ),
        (
            "business_unit.update",
            "governance.businessunit",
            str(unit.pk),
            {"name": ["Retail", "Retail Banking"]},
        ),
        ("business_unit.create", "governance.businessunit", str(treasury.pk), _created(treasury)),
    ]

    # Saving again unchanged writes nothing.
    last = _last_event_id()
    response = admin_client.post(
        _url(Organisation, "change", organisation.pk),
        {
            "name": "Northwind Bank",
            "slug": "northwind-bank",
            "classification": "Confidential — internal use",
            "require_two_factor": "on",
            **_inline_management("business_units", total=2, initial=2),
            "business_units-0-id": unit.pk,
            "business_units-0-organisation": organisation.pk,
            "business_units-0-name": "Retail Banking",
            "business_units-0-description": "",
            "business_units-1-id": treasury.pk,
            "business_units-1-organisation": organisation.pk,
            "business_units-1-name": "Treasury",
            "business_units-1-description": "Markets and liquidity.",
        },
    )
    _saved(response)
    assert _events_after(last) == []
    assert verify_chain() == []


def test_organisation_cannot_be_deleted_in_the_admin(admin_client, organisation, superuser):
    assert (
        admin_client.post(_url(Organisation, "delete", organisation.pk), {"post": "yes"}).status_code == 403
    )
    assert "delete_selected" not in admin.site._registry[Organisation].get_actions(_request(superuser))
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_business_unit_added_changed_and_deleted_in_the_admin_is_audited(admin_client, organisation):
    last = _last_event_id()
    _saved(
        admin_client.post(
            _url(BusinessUnit, "add"), {"organisation": organisation.pk, "name": "Retail", "description": ""}
        )
    )
    unit = BusinessUnit.objects.get(name="Retail")
    _saved(
        admin_client.post(_url(BusinessUnit, "change", unit.pk), {"name": "Retail", "description": "Shops."})
    )
    member = MembershipFactory(organisation=organisation, business_unit=unit)
    unit_values = snapshot(BusinessUnit.objects.get(pk=unit.pk))

    _saved(admin_client.post(_url(BusinessUnit, "delete", unit.pk), {"post": "yes"}))

    assert not BusinessUnit.objects.filter(pk=unit.pk).exists()
    assert _events_after(last) == [
        ("business_unit.create", "governance.businessunit", str(unit.pk), _created(unit)),
        ("business_unit.update", "governance.businessunit", str(unit.pk), {"description": ["", "Shops."]}),
        # Its member stays, without a unit: that change is audited too.
        ("membership.update", "governance.membership", str(member.pk), {"business_unit": [unit.pk, None]}),
        ("business_unit.delete", "governance.businessunit", str(unit.pk), diff(unit_values, None)),
    ]
    assert verify_chain() == []


def test_business_units_deleted_in_bulk_are_audited_each(admin_client, organisation):
    units = [BusinessUnitFactory(organisation=organisation) for _ in range(2)]
    last = _last_event_id()

    response = admin_client.post(
        _url(BusinessUnit, "changelist"),
        {"action": "delete_selected", "_selected_action": [unit.pk for unit in units], "post": "yes"},
    )

    assert response.status_code == 302
    assert not BusinessUnit.objects.filter(pk__in=[unit.pk for unit in units]).exists()
    assert sorted((action, object_id) for action, _, object_id, _ in _events_after(last)) == sorted(
        ("business_unit.delete", str(unit.pk)) for unit in units
    )
    assert verify_chain() == []


def test_business_unit_in_use_is_not_deleted(admin_client, organisation):
    """A unit a model, an assessment or a schedule names stays: the admin's usual "protected" page, no 500."""
    used_by_model = BusinessUnitFactory(organisation=organisation, name="Retail")
    model = AIModelFactory(organisation=organisation, business_unit=used_by_model, name="Credit scorecard")
    used_by_assessment = BusinessUnitFactory(organisation=organisation, name="Treasury")
    AssessmentFactory(
        organisation=organisation, business_unit=used_by_assessment, questionnaire=QuestionnaireFactory()
    )
    used_by_schedule = BusinessUnitFactory(organisation=organisation, name="Operations")
    ReassessmentSchedule.objects.create(organisation=organisation, business_unit=used_by_schedule)
    units = [used_by_model, used_by_assessment, used_by_schedule]
    last = _last_event_id()

    for unit in units:
        response = admin_client.post(_url(BusinessUnit, "delete", unit.pk), {"post": "yes"})
        assert response.status_code == 200, unit
        assert "protected related objects" in response.content.decode(), unit
    response = admin_client.post(
        _url(BusinessUnit, "changelist"),
        {"action": "delete_selected", "_selected_action": [unit.pk for unit in units], "post": "yes"},
    )
    assert response.status_code == 200
    assert "Credit scorecard" in response.content.decode()

    assert BusinessUnit.objects.filter(pk__in=[unit.pk for unit in units]).count() == 3
    model.refresh_from_db()
    assert model.business_unit == used_by_model
    assert _events_after(last) == []


def test_membership_added_changed_and_withdrawn_in_the_admin_is_audited(admin_client, organisation):
    person = UserFactory(username="dana")
    unit = BusinessUnitFactory(organisation=organisation)
    last = _last_event_id()

    _saved(
        admin_client.post(
            _url(Membership, "add"),
            {"user": person.pk, "organisation": organisation.pk, "role": Role.ASSESSOR},
        )
    )
    membership = Membership.objects.get(user=person, organisation=organisation)
    _saved(
        admin_client.post(
            _url(Membership, "change", membership.pk), {"role": Role.RISK_OFFICER, "business_unit": unit.pk}
        )
    )
    values = snapshot(Membership.objects.get(pk=membership.pk))
    _saved(admin_client.post(_url(Membership, "delete", membership.pk), {"post": "yes"}))

    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert _events_after(last) == [
        ("membership.create", "governance.membership", str(membership.pk), _created(membership)),
        (
            "membership.update",
            "governance.membership",
            str(membership.pk),
            {"role": [Role.ASSESSOR, Role.RISK_OFFICER], "business_unit": [None, unit.pk]},
        ),
        ("membership.delete", "governance.membership", str(membership.pk), diff(values, None)),
    ]
    assert verify_chain() == []


def test_membership_keeps_to_its_organisations_units(admin_client, organisation, other_organisation):
    membership = MembershipFactory(organisation=organisation, role=Role.ASSESSOR)
    elsewhere = BusinessUnitFactory(organisation=other_organisation)
    last = _last_event_id()

    response = admin_client.post(
        _url(Membership, "change", membership.pk), {"role": Role.ASSESSOR, "business_unit": elsewhere.pk}
    )

    assert response.status_code == 200
    assert "business unit of the membership" in response.content.decode()
    membership.refresh_from_db()
    assert membership.business_unit is None
    assert _events_after(last) == []


def test_memberships_withdrawn_in_bulk_are_audited_each(admin_client, organisation, other_organisation):
    memberships = [
        MembershipFactory(organisation=organisation),
        MembershipFactory(organisation=other_organisation),
    ]
    last = _last_event_id()

    response = admin_client.post(
        _url(Membership, "changelist"),
        {"action": "delete_selected", "_selected_action": [m.pk for m in memberships], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Membership.objects.filter(pk__in=[m.pk for m in memberships]).exists()
    events = AuditEvent.objects.filter(pk__gt=last)
    assert sorted((e.organisation_id, e.action, e.object_id) for e in events) == sorted(
        (m.organisation_id, "membership.delete", str(m.pk)) for m in memberships
    )
    assert verify_chain() == []


def test_api_token_revoked_in_the_admin(admin_client):
    token = INSTANCES["governance.ApiToken"]()

    response = admin_client.post(
        _url(ApiToken, "changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.revoked_at is not None, token.revoked_reason) == (True, "administrator")


@pytest.mark.django_db
def test_deleting_a_person_in_the_admin_withdraws_their_memberships_on_the_record(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    leaver = UserFactory(username="leaver")
    membership = MembershipFactory(user=leaver, role=Role.RISK_OFFICER)
    organisation = membership.organisation
    client.force_login(root)
    url = reverse("admin:auth_user_delete", args=[leaver.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(organisation=organisation, action=GovernanceAction.MEMBERSHIP_DELETE)
    assert event.actor == root and event.changes["role"] == [Role.RISK_OFFICER, None]
    assert not Membership.objects.filter(pk=membership.pk).exists() and verify_chain() == []
