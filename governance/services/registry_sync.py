"""MLflow model registries kept in step with the inventory.

An organisation's administrators connect tracking servers (``registry_connection_save``). Each sync
(``registry_sync``: beat every ``REGISTRY_SYNC_MINUTES``, or "Sync now") imports what the registry holds, and
never deletes anything:

- a registered model Plumbline does not know becomes a *proposed* model owned by the connection's creator (or,
  once they left, the organisation's first administrator); an unlinked inventory model of the same name is
  linked instead, so a model entered by hand before the registry was connected is not duplicated;
- each version becomes a *candidate* version: label = the ``plumbline.version`` tag if set and free, else the
  registry's version number; ``artifact_uri`` = its source; run id, tags, aliases and creation time copied; its
  metrics = the run's latest metrics (numbers) and the run's parameters as text under ``param.<name>``, read
  once at import (a run's metrics are final by the time its model is registered);
- later syncs refresh each version's tags and aliases only.

Alias follows approvals: when Plumbline approves a promotion of a registry version (``follow_approval``, called
by ``inventory._apply``), a task sets the connection's champion alias on it once the approval commits
(``registry_alias_set``); a registry outage never fails the approval: the error is shown on the connection, the
task retries, and the next successful sync sends it again while it is still owed.

Unapproved promotion: when the champion alias moves in the registry to a version that is not Plumbline's approved
champion (and no alias Plumbline owes is on its way), the model is flagged, audited as the system's act, shown on
the home page and the model's page, its owner and the risk officers are emailed and the
``model.unapproved_promotion`` webhook event is emitted. An alias found on a model's first import is its
baseline, not a move. The flag clears when the alias and Plumbline agree again (or the alias is removed).
"""

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from governance.core.audit import diff, record_event, save_audited_new, snapshot
from governance.core.errors import ConflictError
from governance.core.jobs import enqueue_on_commit
from governance.core.roles import Permission, Role
from governance.core.secrets import SecretUnavailable, decrypt_secret, encrypt_secret
from governance.core.tenancy import require
from governance.integrations.mlflow import MLflowClient, RegisteredModel, RegistryError, RegistryNotFound, Run
from governance.integrations.mlflow import ModelVersion as RegistryVersion
from governance.models import (
    AIModel,
    AuditEvent,
    LifecycleStage,
    Membership,
    ModelVersion,
    Organisation,
    RegistryConnection,
    VersionStatus,
)
from governance.models.actions import GovernanceAction
from governance.rules.registry_sync import (
    VERSION_TAG,
    Verdict,
    alias_problems,
    champion_verdict,
    clean_text,
    version_label,
    version_metrics,
)
from governance.rules.tiering import effective_risk_tier

logger = logging.getLogger(__name__)

SYNC_TASK = "governance.tasks.sync_registry"
ALIAS_TASK = "governance.tasks.set_registry_alias"
AUDITED_FIELDS = ["name", "tracking_url", "champion_alias", "active"]
MAX_CONNECTIONS = 10
MAX_TOKEN_LENGTH = 4000
# The sync's audit event lists at most this many alias and tag changes by name (the counts cover the rest).
MAX_LISTED_CHANGES = 50
_MODEL_NAME_MAX = AIModel._meta.get_field("name").max_length
_REGISTRY_NAME_MAX = AIModel._meta.get_field("registry_name").max_length


# --- Connections (administrators) ---------------------------------------------------------------------------


def tracking_url_problems(url: Any) -> list[str]:
    """What is wrong with ``url`` as a tracking server's address (empty when it will do); no network access.

    Internal addresses are allowed: tracking servers usually live on the organisation's own network, and only
    its administrators set them.
    """
    if not isinstance(url, str) or not url.strip():
        return ["Enter the tracking server's URL, e.g. https://mlflow.example.com."]
    url = url.strip()
    if len(url) > 500:
        return ["At most 500 characters."]
    if "\x00" in url:
        return ["Null characters are not allowed."]
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range
    except (ValidationError, ValueError):
        return ["Enter a valid http(s) URL, e.g. https://mlflow.example.com."]
    if parts.username is not None or parts.password is not None:
        return ["Credentials in the URL are not allowed: give the access token in its own field."]
    if parts.query or parts.fragment:
        return ["Give the server's base URL without a query or fragment."]
    return []


def _token_problems(token: Any) -> list[str]:
    if not isinstance(token, str):
        return ["The token must be text."]
    if len(token) > MAX_TOKEN_LENGTH:
        return [f"At most {MAX_TOKEN_LENGTH} characters."]
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        return ["Use printable ASCII characters without spaces."]
    return []


def _validate(
    organisation: Organisation,
    connection: RegistryConnection | None,
    name: Any,
    tracking_url: Any,
    token: Any,
    champion_alias: Any,
) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = ["Give the connection a name."]
    elif len(name) > 120:
        errors["name"] = ["At most 120 characters."]
    elif "\x00" in name:
        errors["name"] = ["Null characters are not allowed."]
    elif (
        RegistryConnection.objects.filter(organisation=organisation, name__iexact=name)
        .exclude(pk=connection.pk if connection else None)
        .exists()
    ):
        errors["name"] = [f"This organisation already has a registry connection named “{name}”."]
    if problems := tracking_url_problems(tracking_url):
        errors["tracking_url"] = problems
    if token not in (None, "") and (problems := _token_problems(token)):
        errors["token"] = problems
    alias = champion_alias.strip() if isinstance(champion_alias, str) else champion_alias
    if problems := alias_problems(alias):
        errors["champion_alias"] = problems
    if errors:
        raise ValidationError(errors)
    return name, tracking_url.strip().rstrip("/"), alias


def registry_connection_save(
    *,
    actor,
    organisation: Organisation,
    name: str,
    tracking_url: str,
    token: str | None = None,
    champion_alias: str = "champion",
    active: bool = True,
    connection: RegistryConnection | None = None,
) -> RegistryConnection:
    """Connect a tracking server, or change ``connection``.

    ``token``: None keeps the stored one, "" removes it, any other text replaces it. Only its encryption is
    stored; the audit event says that it was set, replaced or removed, never what it is.
    """
    require(actor, organisation, Permission.ORGANISATION_MANAGE)
    if connection is not None and connection.organisation_id != organisation.pk:
        raise ValidationError("This registry connection belongs to another organisation.")
    name, tracking_url, champion_alias = _validate(
        organisation, connection, name, tracking_url, token, champion_alias
    )
    with transaction.atomic():
        if connection is None:
            # Creations take turns, so the limit holds.
            Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
            if RegistryConnection.objects.filter(organisation=organisation).count() >= MAX_CONNECTIONS:
                raise ValidationError(f"An organisation has at most {MAX_CONNECTIONS} registry connections.")
            created = RegistryConnection.objects.create(
                organisation=organisation,
                name=name,
                tracking_url=tracking_url,
                token_encrypted=encrypt_secret(token or ""),
                champion_alias=champion_alias,
                active=bool(active),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            changes = diff(None, snapshot(created, AUDITED_FIELDS))
            if token:
                changes["token"] = [None, "(set)"]
            record_event(
                organisation=organisation,
                actor=actor,
                action=GovernanceAction.REGISTRY_CONNECTION_CREATE,
                obj=created,
                changes=changes,
            )
            return created
        locked = RegistryConnection.objects.select_for_update().get(pk=connection.pk)
        before = snapshot(locked, AUDITED_FIELDS)
        locked.name, locked.tracking_url, locked.champion_alias = name, tracking_url, champion_alias
        locked.active = bool(active)
        changes = diff(before, snapshot(locked, AUDITED_FIELDS))
        if token is not None and (token or locked.token_encrypted):
            had = bool(locked.token_encrypted)
            locked.token_encrypted = encrypt_secret(token)
            changes["token"] = [
                "(set)" if had else None,
                "(replaced)" if token and had else ("(set)" if token else "(removed)"),
            ]
        if changes:
            locked.save()
            record_event(
                organisation=organisation,
                actor=actor,
                action=GovernanceAction.REGISTRY_CONNECTION_UPDATE,
                obj=locked,
                changes=changes,
            )
    return locked


def registry_sync_request(*, actor, connection: RegistryConnection) -> None:
    """ "Sync now": a worker runs the sync once this request commits, on behalf of ``actor``."""
    require(actor, connection.organisation_id, Permission.ORGANISATION_MANAGE)
    if not connection.active:
        raise ConflictError("The connection is switched off: switch it on to sync it.")
    with transaction.atomic():
        enqueue_on_commit(SYNC_TASK, connection_id=connection.pk, actor_id=actor.pk)


def client_for(connection: RegistryConnection) -> MLflowClient:
    """A client of the connection's server with its token (``SecretUnavailable`` if it cannot be decrypted)."""
    return MLflowClient(connection.tracking_url, token=decrypt_secret(connection.token_encrypted))


# --- The sync -----------------------------------------------------------------------------------------------


@dataclass
class SyncSummary:
    """What one sync did; ``str()`` is the line stored on the connection and shown on its page."""

    models_created: int = 0
    models_linked: int = 0
    versions_created: int = 0
    versions_updated: int = 0
    flagged: int = 0
    cleared: int = 0
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def note(self, change: str) -> None:
        if len(self.changes) < MAX_LISTED_CHANGES:
            self.changes.append(change)

    def __str__(self) -> str:
        def count(n: int, noun: str) -> str:
            return f"{n} {noun}{'' if n == 1 else 's'}"

        parts = [
            f"{count(self.models_created, 'model')} created",
            f"{count(self.versions_created, 'version')} created",
            f"{self.versions_updated} updated",
            f"{self.flagged} flagged as unapproved promotion{'' if self.flagged == 1 else 's'}",
        ]
        if self.models_linked:
            parts.insert(1, f"{count(self.models_linked, 'model')} linked")
        if self.cleared:
            parts.append(f"{self.cleared} flag{'' if self.cleared == 1 else 's'} cleared")
        text = ", ".join(parts)
        if self.problems:
            text += f"; {count(len(self.problems), 'problem')}: {self.problems[0]}"
        return clean_text(text, 500)

    def as_changes(self) -> dict[str, list[Any]]:
        changes: dict[str, list[Any]] = {
            key: [None, getattr(self, key)]
            for key in (
                "models_created",
                "models_linked",
                "versions_created",
                "versions_updated",
                "flagged",
                "cleared",
            )
        }
        if self.changes:
            changes["updated"] = [None, self.changes]
        if self.problems:
            changes["problems"] = [None, self.problems[:MAX_LISTED_CHANGES]]
        return changes


def _user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _default_owner(connection: RegistryConnection):
    """Who owns the models a sync creates: the connection's creator while a member, else the first admin."""
    members = Membership.objects.filter(organisation=connection.organisation_id).select_related("user")
    if connection.created_by_id:
        mine = members.filter(user_id=connection.created_by_id).first()
        if mine is not None:
            return mine.user
    admin = members.filter(role=Role.ADMIN).order_by("pk").first()
    return admin.user if admin is not None else None


def registry_sync(*, connection: RegistryConnection, actor=None) -> SyncSummary | None:
    """Import the connection's registry into the inventory (idempotent); None for a switched-off connection.

    ``actor`` is whoever asked ("Sync now"); beat's runs are the system's. A registry that cannot be read is
    recorded in ``last_error`` (with what was imported before it failed), never raised: the page shows it.
    One ``registry.sync`` audit event per run carries the summary.
    """
    if actor is not None:
        require(actor, connection.organisation_id, Permission.ORGANISATION_MANAGE)
    connection = RegistryConnection.objects.select_related("organisation").filter(pk=connection.pk).first()
    if connection is None or not connection.active:
        return None
    summary = SyncSummary()
    error = ""
    try:
        owner = _default_owner(connection)
        with client_for(connection) as client:
            for registered in client.search_registered_models():
                try:
                    _sync_registered_model(connection, client, registered, owner, actor, summary)
                except RegistryNotFound as exc:  # deleted in the registry while we read it: next time
                    summary.problems.append(f"{registered.name}: {exc}")
                except (ValidationError, IntegrityError) as exc:
                    summary.problems.append(f"{registered.name}: {_message(exc)}")
    except SecretUnavailable as exc:
        error = str(exc)
    except RegistryError as exc:
        error = str(exc)
    except Exception as exc:  # recorded for the page, then raised for the log and the task's failure
        _finish(connection, actor, summary, f"The sync stopped on an internal error ({type(exc).__name__}).")
        raise
    _finish(connection, actor, summary, error)
    return summary


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _finish(connection: RegistryConnection, actor, summary: SyncSummary, error: str) -> None:
    with transaction.atomic():
        locked = RegistryConnection.objects.select_for_update().get(pk=connection.pk)
        locked.last_synced_at = timezone.now()
        locked.last_sync_summary = str(summary)
        locked.last_error = clean_text(error, 500)
        locked.save(update_fields=["last_synced_at", "last_sync_summary", "last_error"])
        changes = summary.as_changes()
        if error:
            changes["error"] = [None, locked.last_error]
        record_event(
            organisation=locked.organisation,
            actor=actor,
            action=GovernanceAction.REGISTRY_SYNC,
            obj=locked,
            changes=changes,
        )


def _sync_registered_model(
    connection: RegistryConnection,
    client: MLflowClient,
    registered: RegisteredModel,
    owner,
    actor,
    summary: SyncSummary,
) -> None:
    """One registered model, in a transaction of its own: what was imported before a failure stays imported."""
    if len(registered.name) > _REGISTRY_NAME_MAX:
        summary.problems.append(
            f"{registered.name[:60]}…: names longer than {_REGISTRY_NAME_MAX} are skipped."
        )
        return
    versions = list(client.search_model_versions(registered.name))
    known = set(
        ModelVersion.objects.filter(
            model__registry_connection=connection, model__registry_name=registered.name
        ).values_list("registry_version", flat=True)
    )
    # Runs are read for versions not imported yet only: network calls stay outside the transaction.
    runs: dict[str, Run | None] = {}
    for version in versions:
        if version.version not in known and version.run_id and version.run_id not in runs:
            try:
                runs[version.run_id] = client.get_run(version.run_id)
            except RegistryNotFound:  # a deleted run: the version is imported without metrics
                runs[version.run_id] = None
    with transaction.atomic():
        # One sync of a connection at a time (beat and "Sync now" may overlap): the second sees the first's work.
        RegistryConnection.objects.select_for_update().filter(pk=connection.pk).first()
        model, first_seen = _model_for(connection, registered, owner, actor, summary)
        if model is None:
            return
        previous_alias_version = _apply_versions(
            connection, model, registered, versions, runs, actor, summary
        )
        _judge_champion(connection, model, registered, previous_alias_version, first_seen, summary)


def _model_for(
    connection: RegistryConnection, registered: RegisteredModel, owner, actor, summary: SyncSummary
) -> tuple[AIModel | None, bool]:
    """The inventory model of ``registered`` (locked), and whether this sync linked or created it."""
    organisation = connection.organisation
    model = (
        AIModel.objects.select_for_update()
        .filter(registry_connection=connection, registry_name=registered.name)
        .first()
    )
    if model is not None:
        return model, False
    name = clean_text(registered.name).strip() or "Unnamed registered model"
    if len(name) > _MODEL_NAME_MAX:
        name = name[: _MODEL_NAME_MAX - 1] + "…"
    same_name = (
        AIModel.objects.select_for_update().filter(organisation=organisation, name__iexact=name).first()
    )
    if (
        same_name is not None
        and same_name.registry_connection_id is None
        and same_name.lifecycle_stage != LifecycleStage.RETIRED
    ):
        before = snapshot(same_name, ["registry_connection", "registry_name"])
        same_name.registry_connection, same_name.registry_name = connection, registered.name
        same_name.save(update_fields=["registry_connection", "registry_name", "updated_at"])
        record_event(
            organisation=organisation,
            actor=actor,
            action=GovernanceAction.MODEL_UPDATE,
            obj=same_name,
            changes=diff(before, snapshot(same_name, ["registry_connection", "registry_name"])),
        )
        summary.models_linked += 1
        summary.note(f"{same_name.name}: linked to {registered.name}")
        return same_name, True
    if same_name is not None:  # linked elsewhere or retired: the registry's model gets a name of its own
        name = f"{name} ({connection.name})"[:_MODEL_NAME_MAX]
        if AIModel.objects.filter(organisation=organisation, name__iexact=name).exists():
            summary.problems.append(f"{registered.name}: the inventory already has a model named “{name}”.")
            return None, False
    if owner is None:
        summary.problems.append(
            f"{registered.name}: the organisation has no administrator to own new models."
        )
        return None, False
    model = AIModel(
        organisation=organisation,
        name=name,
        purpose=clean_text(registered.description).strip()
        or (
            f"Imported from the MLflow registry “{connection.name}” (registered model “{registered.name}”). "
            "Describe what the model is for and which decision it informs."
        ),
        owner=owner,
        lifecycle_stage=LifecycleStage.PROPOSED,
        registry_connection=connection,
        registry_name=registered.name,
    )
    model.risk_tier = effective_risk_tier(model)
    model.full_clean(exclude=["organisation", "owner", "registry_connection"], validate_unique=False)
    save_audited_new(organisation=organisation, actor=actor, action=GovernanceAction.MODEL_CREATE, obj=model)
    summary.models_created += 1
    return model, True


def _apply_versions(
    connection: RegistryConnection,
    model: AIModel,
    registered: RegisteredModel,
    versions: list[RegistryVersion],
    runs: dict[str, Run | None],
    actor,
    summary: SyncSummary,
) -> str | None:
    """Import new versions, refresh the tags and aliases of known ones; returns the registry version that
    carried the champion alias before this sync (as Plumbline last recorded it)."""
    existing = list(ModelVersion.objects.select_for_update().filter(model=model))
    alias = connection.champion_alias
    previous_alias_version = next(
        (v.registry_version for v in existing if v.registry_version and alias in (v.aliases or [])), None
    )
    aliases_of: dict[str, list[str]] = {}
    for name, number in registered.aliases.items():
        aliases_of.setdefault(number, []).append(clean_text(name))
    by_number = {v.registry_version: v for v in existing if v.registry_version}
    labels = {v.version for v in existing}
    seen: set[str] = set()
    for version in sorted(versions, key=lambda v: (len(v.version), v.version)):
        seen.add(version.version)
        tags = {clean_text(k): clean_text(v) for k, v in version.tags.items()}
        aliases = sorted(aliases_of.get(version.version, []))
        current = by_number.get(version.version)
        if current is None:
            # A version entered by hand under the registry's number is the same version: link it.
            current = next(
                (v for v in existing if not v.registry_version and v.version == version.version), None
            )
            if current is not None:
                _link_version(model, current, version, actor, summary)
                by_number[version.version] = current
        if current is None:
            if model.lifecycle_stage == LifecycleStage.RETIRED:
                summary.problems.append(f"{model.name} is retired: version {version.version} not imported.")
                continue
            created = _import_version(connection, model, version, tags, aliases, runs, labels, actor)
            labels.add(created.version)
            summary.versions_created += 1
            continue
        _refresh(model, current, tags, aliases, summary)
    # Versions deleted in the registry are kept (never deleted here), without the aliases they no longer carry.
    for number, current in by_number.items():
        if number not in seen and current.aliases:
            _refresh(model, current, current.tags, [], summary)
    return previous_alias_version


def _link_version(
    model: AIModel, current: ModelVersion, version: RegistryVersion, actor, summary: SyncSummary
) -> None:
    fields = ["registry_version", "run_id", "registry_created_at"]
    before = snapshot(current, fields)
    current.registry_version = version.version
    current.run_id = clean_text(version.run_id, 64)
    current.registry_created_at = version.created_at
    current.save(update_fields=fields)
    # There is no "version updated" action: the link is recorded as part of the model's record.
    record_event(
        organisation=model.organisation,
        actor=actor,
        action=GovernanceAction.MODEL_UPDATE,
        obj=model,
        changes={f"version {current.version}": [before, snapshot(current, fields)]},
    )
    summary.note(f"{model.name} {current.version}: linked to registry version {version.version}")


def _import_version(
    connection: RegistryConnection,
    model: AIModel,
    version: RegistryVersion,
    tags: dict[str, str],
    aliases: list[str],
    runs: dict[str, Run | None],
    labels: set[str],
    actor,
) -> ModelVersion:
    run = runs.get(version.run_id)
    created = ModelVersion.objects.create(
        model=model,
        version=version_label(version.version, tags.get(VERSION_TAG), labels),
        registered_by=_user_or_none(actor),
        artifact_uri=clean_text(version.source, 500),
        metrics=version_metrics(run.metrics, run.params) if run else {},
        status=VersionStatus.CANDIDATE,
        notes=f"Imported from the MLflow registry “{connection.name}” (version {version.version}).",
        registry_version=version.version,
        run_id=clean_text(version.run_id, 64),
        tags=tags,
        aliases=aliases,
        registry_created_at=version.created_at,
    )
    record_event(
        organisation=model.organisation,
        actor=actor,
        action=GovernanceAction.VERSION_REGISTER,
        obj=created,
        changes=diff(None, snapshot(created)),
    )
    return created


def _refresh(
    model: AIModel, current: ModelVersion, tags: dict[str, str], aliases: list[str], summary: SyncSummary
) -> None:
    """A known version's tags and aliases as the registry has them now; listed in the sync's audit event."""
    old_aliases = sorted(current.aliases or [])
    if current.tags == tags and old_aliases == aliases:
        return
    if old_aliases != aliases:
        summary.note(f"{model.name} {current.version}: aliases {old_aliases} → {aliases}")
    else:
        summary.note(f"{model.name} {current.version}: tags changed")
    current.tags, current.aliases = tags, aliases
    current.save(update_fields=["tags", "aliases"])
    summary.versions_updated += 1


# --- The champion alias -------------------------------------------------------------------------------------


def alias_set_pending(version: ModelVersion) -> bool:
    """Whether Plumbline owes the registry the champion alias on ``version``: its latest promotion is newer than
    the latest alias Plumbline set on it (both read from the audit trail, the record of what happened)."""
    latest = (
        AuditEvent.objects.filter(
            object_type=ModelVersion._meta.label_lower,
            object_id=str(version.pk),
            action__in=[GovernanceAction.VERSION_PROMOTE, GovernanceAction.REGISTRY_ALIAS_SET],
        )
        .order_by("-sequence")
        .values_list("action", flat=True)
        .first()
    )
    return latest == GovernanceAction.VERSION_PROMOTE


def _judge_champion(
    connection: RegistryConnection,
    model: AIModel,
    registered: RegisteredModel,
    previous_alias_version: str | None,
    first_seen: bool,
    summary: SyncSummary,
) -> None:
    alias = connection.champion_alias
    alias_version = registered.aliases.get(alias)
    champion = ModelVersion.objects.filter(model=model, status=VersionStatus.CHAMPION).order_by("-pk").first()
    champion_number = (champion.registry_version or None) if champion else None
    pending = champion is not None and champion_number is not None and alias_set_pending(champion)
    verdict = champion_verdict(
        alias_version=alias_version,
        champion_version=champion_number,
        previous_alias_version=previous_alias_version,
        first_seen=first_seen,
        alias_set_pending=pending,
        flagged=model.unapproved_promotion_at is not None,
    )
    if verdict == Verdict.AGREE:
        if _clear_flag(model):
            summary.cleared += 1
    elif verdict == Verdict.PENDING:
        # The alias task of the approval has not succeeded yet (registry down, retries spent): send it again.
        enqueue_on_commit(ALIAS_TASK, model_version_id=champion.pk)
    elif verdict == Verdict.UNAPPROVED:
        approved = (
            f"Plumbline's approved champion is version {champion.version}"
            if champion
            else "no version of it is an approved champion in Plumbline"
        )
        detail = clean_text(
            f"The “{alias}” alias in the registry “{connection.name}” points to version {alias_version}; "
            f"{approved}.",
            300,
        )
        if _flag(model, detail, alias=alias, alias_version=alias_version, before=previous_alias_version):
            summary.flagged += 1


def _flag(model: AIModel, detail: str, *, alias: str, alias_version: str, before: str | None) -> bool:
    """Flag ``model`` (locked by the caller) as promoted in its registry without approval; False if it already
    is, for the same reason (a later sync that finds nothing new writes nothing)."""
    if model.unapproved_promotion_at is not None and model.unapproved_promotion_detail == detail:
        return False
    previous = snapshot(model, ["unapproved_promotion_at", "unapproved_promotion_detail"])
    model.unapproved_promotion_at = timezone.now()
    model.unapproved_promotion_detail = detail
    model.save(update_fields=["unapproved_promotion_at", "unapproved_promotion_detail", "updated_at"])
    changes = diff(previous, snapshot(model, ["unapproved_promotion_at", "unapproved_promotion_detail"]))
    changes["alias"] = [None, alias]
    changes["registry_version"] = [before, alias_version]
    # The system's act: it was detected, nobody in Plumbline did it.
    record_event(
        organisation=model.organisation,
        actor=None,
        action=GovernanceAction.REGISTRY_UNAPPROVED_PROMOTION,
        obj=model,
        changes=changes,
    )
    _emit_webhook(model, alias=alias, alias_version=alias_version)
    model_id = model.pk
    transaction.on_commit(lambda: _email_unapproved(model_id))
    return True


def _clear_flag(model: AIModel) -> bool:
    if model.unapproved_promotion_at is None:
        return False
    previous = snapshot(model, ["unapproved_promotion_at", "unapproved_promotion_detail"])
    model.unapproved_promotion_at, model.unapproved_promotion_detail = None, ""
    model.save(update_fields=["unapproved_promotion_at", "unapproved_promotion_detail", "updated_at"])
    record_event(
        organisation=model.organisation,
        actor=None,
        action=GovernanceAction.MODEL_UPDATE,
        obj=model,
        changes=diff(previous, snapshot(model, ["unapproved_promotion_at", "unapproved_promotion_detail"])),
    )
    return True


def _model_link(model_id: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("governance:model-detail", args=[model_id])


def _emit_webhook(model: AIModel, *, alias: str, alias_version: str) -> None:
    try:
        from governance.services import webhooks
    except ImportError:  # webhooks are an optional part of the app
        return
    webhooks.emit_event(
        organisation=model.organisation,
        event="model.unapproved_promotion",
        payload={
            "model": {
                "id": model.pk,
                "name": model.name,
                "lifecycle_stage": model.lifecycle_stage,
                "risk_tier": model.risk_tier,
                "url": _model_link(model.pk),
            },
            "registry_name": model.registry_name,
            "alias": alias,
            "registry_version": alias_version,
            "detail": model.unapproved_promotion_detail,
            "flagged_at": model.unapproved_promotion_at,
        },
    )


def _email_unapproved(model_id: int) -> None:
    """Tell the model's owner and the organisation's risk officers (after the flag committed)."""
    model = AIModel.objects.select_related("owner", "organisation").filter(pk=model_id).first()
    if model is None or model.unapproved_promotion_at is None:
        return
    officers = Membership.objects.filter(organisation=model.organisation_id, role=Role.RISK_OFFICER)
    recipients = sorted(
        {email for email in officers.values_list("user__email", flat=True) if email}
        | ({model.owner.email} if model.owner.email else set())
    )
    if not recipients:
        return
    send_mail(
        subject=f"[Plumbline] Unapproved promotion of “{model.name}” in its model registry",
        message=(
            f"{model.unapproved_promotion_detail}\n\n"
            "The registry now serves a champion that was not approved in Plumbline. Either request the promotion "
            "in Plumbline (the alias stays where it is once approved) or move the alias back in the registry.\n\n"
            f"{_model_link(model.pk)}\n"
        ),
        from_email=None,
        recipient_list=recipients,
        fail_silently=True,
    )


# --- Alias follows approvals --------------------------------------------------------------------------------


def follow_approval(*, model: AIModel, version: ModelVersion) -> None:
    """Called where Plumbline approves a promotion (inside its transaction): the registry's champion alias is set
    on the version by a task sent once the approval commits, so a registry outage never fails the approval."""
    if model.registry_connection_id and model.registry_name and version.registry_version:
        enqueue_on_commit(ALIAS_TASK, model_version_id=version.pk)


def registry_alias_set(*, model_version_id: int) -> str:
    """Set the champion alias on an approved version in its registry, once (idempotent); returns what happened.

    Raises ``RegistryError`` when the registry cannot be reached, after recording the error on the connection,
    so the task retries.
    """
    version = (
        ModelVersion.objects.select_related("model__registry_connection", "model__organisation")
        .filter(pk=model_version_id)
        .first()
    )
    if version is None:
        return "gone"
    model = version.model
    connection = model.registry_connection
    if connection is None or not model.registry_name or not version.registry_version:
        return "not linked"
    if version.status != VersionStatus.CHAMPION:
        return "superseded"  # a later approval's task sets the alias on its own version
    if not alias_set_pending(version):
        return "done"
    if not connection.active:
        return "connection off"  # owed still: the first sync after it is switched on sends it again
    alias = connection.champion_alias
    try:
        with client_for(connection) as client:
            client.set_alias(model.registry_name, alias, version.registry_version)
    except (RegistryError, SecretUnavailable) as exc:
        message = clean_text(
            f"Setting the “{alias}” alias on {model.name} version {version.version} failed: {exc}", 500
        )
        RegistryConnection.objects.filter(pk=connection.pk).update(last_error=message)
        raise RegistryError(message) from None
    with transaction.atomic():
        # The model first, then its versions: the order approvals lock them in.
        locked_model = AIModel.objects.select_for_update().get(pk=model.pk)
        versions = list(ModelVersion.objects.select_for_update().filter(model=model))
        for other in versions:
            carries = alias in (other.aliases or [])
            if other.pk == version.pk and not carries:
                other.aliases = sorted([*(other.aliases or []), alias])
                other.save(update_fields=["aliases"])
            elif other.pk != version.pk and carries:  # the registry moved it from there
                other.aliases = [a for a in other.aliases if a != alias]
                other.save(update_fields=["aliases"])
        target = next(v for v in versions if v.pk == version.pk)
        record_event(
            organisation=model.organisation,
            actor=None,
            action=GovernanceAction.REGISTRY_ALIAS_SET,
            obj=target,
            changes={
                "alias": [None, alias],
                "registry_version": [None, target.registry_version],
                "registry": [None, connection.name],
            },
        )
        _clear_flag(locked_model)
    return "set"
