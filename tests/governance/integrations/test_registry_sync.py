"""The MLflow registry sync against a real tracking server: what a registry holds appears in the inventory, the
champion alias follows Plumbline's approvals, and a promotion made in the registry alone is flagged."""

import pytest
from django.core import mail
from django.urls import reverse

from governance import tasks
from governance.models import (
    AIModel,
    AuditEvent,
    LifecycleStage,
    ModelVersion,
    PendingJob,
    RegistryConnection,
    VersionStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from governance.models.actions import GovernanceAction
from governance.services import inventory
from governance.services.registry_sync import ALIAS_TASK, registry_sync
from tests.governance.inventory_factories import AIModelFactory, ModelVersionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _credit_scorer(mlflow) -> tuple[str, str]:
    """A registered model with two versions of one run (AUC 0.81, max_depth 6); the second tagged with its label."""
    mlflow.create_model("credit-scorer", description="Scores retail credit applications.")
    run_id = mlflow.create_run({"auc": 0.81, "ks": 0.42}, {"max_depth": "6"})
    mlflow.create_version("credit-scorer", run_id, tags={"team": "retail-risk"})
    mlflow.create_version("credit-scorer", run_id, tags={"plumbline.version": "2.0.0"})
    mlflow.set_alias("credit-scorer", "challenger", "2")
    return "credit-scorer", run_id


def _events(organisation, action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(organisation=organisation, action=action).order_by("sequence"))


def _approve_promotion(version, *, requester, decider) -> None:
    request = inventory.request_promotion(actor=requester, version=version, justification="Better AUC.")
    inventory.decide_approval(actor=decider, request=request, approve=True, comment="Validated.")


def test_a_sync_imports_registered_models_as_proposed_models_with_candidate_versions(
    mlflow, connection, organisation, registry_admin
):
    _, run_id = _credit_scorer(mlflow)

    summary = registry_sync(connection=connection)

    model = AIModel.objects.get(organisation=organisation, registry_name="credit-scorer")
    assert model.name == "credit-scorer"
    assert model.lifecycle_stage == LifecycleStage.PROPOSED
    assert model.owner == registry_admin
    assert model.purpose == "Scores retail credit applications."
    assert model.registry_connection == connection
    first, second = ModelVersion.objects.filter(model=model).order_by("registry_version")
    assert (first.version, second.version) == ("1", "2.0.0")  # the plumbline.version tag names the second
    for version in (first, second):
        assert version.status == VersionStatus.CANDIDATE
        assert version.run_id == run_id
        assert version.artifact_uri == f"runs:/{run_id}/model"
        assert version.metrics == {"auc": 0.81, "ks": 0.42, "param.max_depth": "6"}
        assert version.registry_created_at is not None
    assert first.tags == {"team": "retail-risk"} and first.aliases == []
    assert second.aliases == ["challenger"]
    assert (summary.models_created, summary.versions_created, summary.flagged) == (1, 2, 0)
    connection.refresh_from_db()
    assert connection.last_error == ""
    assert connection.last_synced_at is not None
    assert connection.last_sync_summary.startswith("1 model created, 2 versions created")
    assert len(_events(organisation, GovernanceAction.MODEL_CREATE)) == 1
    assert len(_events(organisation, GovernanceAction.VERSION_REGISTER)) == 2
    [sync_event] = _events(organisation, GovernanceAction.REGISTRY_SYNC)
    assert sync_event.actor is None and sync_event.actor_label == "system"  # beat's run
    assert sync_event.changes["models_created"] == [None, 1]


def test_a_second_sync_changes_nothing_and_a_third_follows_the_registry(mlflow, connection, organisation):
    name, run_id = _credit_scorer(mlflow)
    registry_sync(connection=connection)
    events = AuditEvent.objects.filter(organisation=organisation).count()

    again = registry_sync(connection=connection)

    assert (again.models_created, again.versions_created, again.versions_updated) == (0, 0, 0)
    assert AIModel.objects.filter(organisation=organisation).count() == 1
    assert ModelVersion.objects.filter(model__organisation=organisation).count() == 2
    # Only the run's own event: nothing new was imported, so nothing else was recorded.
    assert AuditEvent.objects.filter(organisation=organisation).count() == events + 1

    mlflow.set_alias(name, "challenger", "1")
    mlflow.create_version(name, run_id)
    third = registry_sync(connection=connection)

    assert (third.versions_created, third.versions_updated) == (1, 2)
    aliases = dict(
        ModelVersion.objects.filter(model__registry_name=name).values_list("registry_version", "aliases")
    )
    assert aliases == {"1": ["challenger"], "2": [], "3": []}
    assert "aliases [] → ['challenger']" in " ".join(
        _events(organisation, GovernanceAction.REGISTRY_SYNC)[-1].changes["updated"][1]
    )


def test_a_model_entered_by_hand_is_linked_not_duplicated(mlflow, connection, organisation, model_owner):
    manual = AIModelFactory(organisation=organisation, owner=model_owner, name="Credit-Scorer")
    ModelVersionFactory(model=manual, version="1")
    _credit_scorer(mlflow)

    summary = registry_sync(connection=connection)

    manual.refresh_from_db()
    assert manual.registry_connection == connection and manual.registry_name == "credit-scorer"
    assert manual.owner == model_owner  # the inventory's own record is kept as it was
    assert (summary.models_created, summary.models_linked, summary.versions_created) == (0, 1, 1)
    assert sorted(manual.versions.values_list("version", "registry_version")) == [("1", "1"), ("2.0.0", "2")]


def test_approving_a_promotion_in_plumbline_sets_the_champion_alias_in_mlflow(
    mlflow, connection, organisation, risk_officer, permissive_release_policy, registry_admin
):
    name, _ = _credit_scorer(mlflow)
    registry_sync(connection=connection)
    version = ModelVersion.objects.get(model__registry_name=name, registry_version="2")

    _approve_promotion(version, requester=registry_admin, decider=risk_officer)

    # The approval only recorded the job: the registry is called once it committed, by a worker.
    [job] = PendingJob.objects.filter(task=ALIAS_TASK)
    assert job.kwargs == {"model_version_id": version.pk}
    assert mlflow.alias(name, "champion") is None
    assert tasks.set_registry_alias(model_version_id=version.pk) == "set"
    assert mlflow.alias(name, "champion") == "2"
    version.refresh_from_db()
    assert version.status == VersionStatus.CHAMPION and "champion" in version.aliases
    [alias_event] = _events(organisation, GovernanceAction.REGISTRY_ALIAS_SET)
    assert alias_event.changes["alias"] == [None, "champion"]
    # Idempotent: a duplicate job is a no-op, and the next sync finds the registry and Plumbline agreeing.
    assert tasks.set_registry_alias(model_version_id=version.pk) == "done"
    assert registry_sync(connection=connection).flagged == 0
    assert AIModel.objects.get(registry_name=name).unapproved_promotion_at is None


def test_a_registry_outage_never_fails_the_approval_and_the_alias_is_sent_later(
    mlflow, mlflow_server, connection, organisation, risk_officer, permissive_release_policy, registry_admin
):
    name, _ = _credit_scorer(mlflow)
    registry_sync(connection=connection)
    version = ModelVersion.objects.get(model__registry_name=name, registry_version="1")
    RegistryConnection.objects.filter(pk=connection.pk).update(tracking_url="http://127.0.0.1:9")

    _approve_promotion(version, requester=registry_admin, decider=risk_officer)

    with pytest.raises(Exception, match="Could not connect"):
        tasks.set_registry_alias(model_version_id=version.pk)
    connection.refresh_from_db()
    assert "Setting the “champion” alias on credit-scorer version 1 failed" in connection.last_error
    version.refresh_from_db()
    assert version.status == VersionStatus.CHAMPION  # the approval stands

    # Back up: the next sync sees the alias is still owed and sends the job again (not an unapproved promotion).
    RegistryConnection.objects.filter(pk=connection.pk).update(tracking_url=mlflow_server.url)
    PendingJob.objects.all().delete()
    assert registry_sync(connection=connection).flagged == 0
    assert PendingJob.objects.filter(task=ALIAS_TASK, kwargs={"model_version_id": version.pk}).exists()
    assert tasks.set_registry_alias(model_version_id=version.pk) == "set"
    assert mlflow.alias(name, "champion") == "1"


def test_moving_the_alias_in_mlflow_without_approval_flags_audits_notifies_and_shows_the_model(
    mlflow,
    connection,
    organisation,
    risk_officer,
    permissive_release_policy,
    registry_admin,
    login,
    django_capture_on_commit_callbacks,
):
    name, _ = _credit_scorer(mlflow)
    registry_sync(connection=connection)
    model = AIModel.objects.get(registry_name=name)
    first = model.versions.get(registry_version="1")
    _approve_promotion(first, requester=registry_admin, decider=risk_officer)
    tasks.set_registry_alias(model_version_id=first.pk)
    WebhookEndpoint.objects.create(
        organisation=organisation,
        name="Risk alerts",
        url="https://hooks.example.com/plumbline",
        events=["model.unapproved_promotion"],
        secret_encrypted="",
    )
    mail.outbox.clear()

    mlflow.set_alias(name, "champion", "2")  # someone promotes in the registry, bypassing Plumbline
    with django_capture_on_commit_callbacks(execute=True):
        summary = registry_sync(connection=connection)

    assert summary.flagged == 1
    model.refresh_from_db()
    assert model.unapproved_promotion_at is not None
    assert "points to version 2" in model.unapproved_promotion_detail
    assert "approved champion is version 1" in model.unapproved_promotion_detail
    [flag_event] = _events(organisation, GovernanceAction.REGISTRY_UNAPPROVED_PROMOTION)
    assert flag_event.actor_label == "system"
    assert flag_event.changes["registry_version"] == ["1", "2"]
    [email] = mail.outbox
    assert set(email.to) == {registry_admin.email, risk_officer.email}  # the owner and the risk officers
    assert "Unapproved promotion of “credit-scorer”" in email.subject
    [delivery] = WebhookDelivery.objects.filter(event="model.unapproved_promotion")
    assert delivery.payload["data"]["registry_version"] == "2"

    home = login(risk_officer).get(reverse("home"))
    assert "Unapproved promotions" in home.content.decode() and "credit-scorer" in home.content.decode()
    assert [p.context["count"] for p in home.context["panels"] if p.key == "unapproved_promotions"] == [1]
    page = login(risk_officer).get(reverse("governance:model-detail", args=[model.pk]))
    assert "Unapproved promotion" in page.content.decode()

    # Found again: nothing new is recorded or sent.
    with django_capture_on_commit_callbacks(execute=True):
        assert registry_sync(connection=connection).flagged == 0
    assert len(_events(organisation, GovernanceAction.REGISTRY_UNAPPROVED_PROMOTION)) == 1
    assert len(mail.outbox) == 1

    # Approving the version the registry serves makes them agree: the flag clears.
    second = model.versions.get(registry_version="2")
    _approve_promotion(second, requester=registry_admin, decider=risk_officer)
    assert tasks.set_registry_alias(model_version_id=second.pk) == "set"
    model.refresh_from_db()
    assert model.unapproved_promotion_at is None and model.unapproved_promotion_detail == ""


def test_an_alias_found_at_the_first_import_is_the_baseline_not_a_flag(mlflow, connection):
    name, _ = _credit_scorer(mlflow)
    mlflow.set_alias(name, "champion", "1")

    assert registry_sync(connection=connection).flagged == 0
    assert registry_sync(connection=connection).flagged == 0

    mlflow.set_alias(name, "champion", "2")
    assert registry_sync(connection=connection).flagged == 1


def test_sync_now_runs_the_sync_as_the_administrator_who_asked(
    mlflow, connection, organisation, registry_admin, login
):
    _credit_scorer(mlflow)
    client = login(registry_admin)

    response = client.post(reverse("governance:registry-sync", args=[connection.pk]))

    assert response.status_code == 302
    [job] = PendingJob.objects.filter(task="governance.tasks.sync_registry")
    assert job.kwargs == {"connection_id": connection.pk, "actor_id": registry_admin.pk}
    assert tasks.sync_registry(**job.kwargs).startswith("1 model created")
    [event] = _events(organisation, GovernanceAction.REGISTRY_SYNC)
    assert event.actor == registry_admin
    page = client.get(reverse("governance:registry-list")).content.decode()
    assert "1 model created, 2 versions created" in page
