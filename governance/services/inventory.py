"""Model inventory writes: models, versions, stage changes, promotions and their approvals.

Every function takes the acting user, checks the role through ``governance.core.tenancy.require``, validates
before saving anything and records an audit event in the same transaction.
"""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from governance.core.audit import (
    delete_audited,
    diff,
    record_event,
    save_audited_new,
    save_validated,
    set_audited,
    snapshot,
)
from governance.core.csv_export import unescape_cell
from governance.core.errors import ConflictError
from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.core.validation import refuse_unknown_fields
from governance.models import (
    AIModel,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    BusinessUnit,
    DecisionsAboutPeople,
    EUAIActCategory,
    LifecycleStage,
    Membership,
    ModelVersion,
    Organisation,
    VersionStatus,
)
from governance.models.actions import GovernanceAction
from governance.rules.tiering import effective_risk_tier
from governance.selectors.inventory import CSV_COLUMNS
from governance.services import registry_sync, release, webhooks

# Fields a user edits directly; the stage moves only through request_stage_change / decide_approval and the
# stored tier is always recomputed.
EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "purpose",
    "business_unit",
    "owner",
    "deployment_environment",
    "model_type",
    "data_sources",
    "processes_personal_data",
    "decisions_about_people",
    "third_party",
    "vendor",
    "eu_ai_act_category",
    "materiality",
    "complexity",
    "risk_tier_override",
    "risk_tier_override_reason",
    "last_validated_on",
    "next_review_due",
)
APPROVAL_STAGES = frozenset({LifecycleStage.VALIDATION, LifecycleStage.PRODUCTION})
# Stages a model may be created or imported in: the others need an approval first.
INITIAL_STAGES = frozenset({LifecycleStage.PROPOSED, LifecycleStage.DEVELOPMENT})


def model_problems(
    *, organisation: Organisation, data: Mapping[str, Any], instance: AIModel | None = None
) -> dict[str, list[str]]:
    """The inventory's rules for a model described by ``data``, as field -> messages (empty when it may be saved).

    An owner and a business unit of ``organisation``, a reason for a risk-tier override, a vendor for a third-party
    model, a name no other model of the organisation has (``instance``, when it is being edited, aside). ``data``
    holds editable fields by name, with users and business units as objects or ids; a rule whose fields are
    missing from it is not checked (a form leaves out the fields it refused already). The services check every
    write with it; the model form calls it too, so that a person sees these problems with the form's own.
    """
    errors: dict[str, list[str]] = {}

    def given(field: str) -> bool:
        return field in data and data[field] not in (None, "")

    if given("owner"):
        owner = getattr(data["owner"], "pk", data["owner"])
        if not Membership.objects.filter(organisation=organisation, user_id=owner).exists():
            errors["owner"] = ["The owner must be a member of this organisation."]
    if given("business_unit"):
        unit = getattr(data["business_unit"], "pk", data["business_unit"])
        if not BusinessUnit.objects.filter(organisation=organisation, pk=unit).exists():
            errors["business_unit"] = ["Choose a business unit of this organisation."]
    reason = data.get("risk_tier_override_reason", "")
    if given("risk_tier_override") and "risk_tier_override_reason" in data and not (reason or "").strip():
        errors["risk_tier_override_reason"] = ["Give a reason for overriding the derived risk tier."]
    if data.get("third_party") and "vendor" in data and not (data["vendor"] or "").strip():
        errors["vendor"] = ["Name the vendor of a third-party model."]
    if given("name") and isinstance(data["name"], str):
        clash = AIModel.objects.filter(organisation=organisation, name__iexact=data["name"].strip())
        if instance is not None and instance.pk:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["name"] = ["A model with this name already exists in the inventory."]
    return errors


def _check_developers(organisation: Organisation, developers) -> None:
    if not developers:
        return
    members = set(Membership.objects.filter(organisation=organisation).values_list("user_id", flat=True))
    if any(getattr(user, "pk", user) not in members for user in developers):
        raise ValidationError({"developers": ["Every developer must be a member of this organisation."]})


def _validate(model: AIModel) -> None:
    """Field validation plus the inventory's rules (``model_problems``); one ValidationError with every problem."""
    errors: dict[str, list[str]] = {}
    try:
        model.full_clean(exclude=["organisation", "risk_tier"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    # A field already refused is not checked again (no "name taken" for a name that is too long).
    described = {
        field: getattr(model, AIModel._meta.get_field(field).attname)
        for field in EDITABLE_FIELDS
        if field not in errors
    }
    for field, messages in model_problems(
        organisation=model.organisation, data=described, instance=model
    ).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def create_model(*, actor, organisation: Organisation, **data: Any) -> AIModel:
    """Add a model to the inventory (in the proposed or development stage)."""
    require(actor, organisation, Permission.MODEL_EDIT)
    developers = data.pop("developers", None)
    stage = data.pop("lifecycle_stage", LifecycleStage.PROPOSED) or LifecycleStage.PROPOSED
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    if stage not in INITIAL_STAGES:
        raise ValidationError(
            {
                "lifecycle_stage": [
                    "A new model starts as proposed or development; later stages need approval."
                ]
            }
        )
    model = AIModel(organisation=organisation, lifecycle_stage=stage, **data)
    if isinstance(model.name, str):
        model.name = model.name.strip()
    with transaction.atomic():
        _validate(model)
        _check_developers(organisation, developers)
        model.risk_tier = effective_risk_tier(model)
        save_audited_new(
            organisation=organisation,
            actor=actor,
            action=GovernanceAction.MODEL_CREATE,
            obj=model,
            validate=lambda: _validate(model),
        )
        if developers is not None:
            model.developers.set(developers)
    return model


def update_model(*, actor, model: AIModel, **data: Any) -> AIModel:
    """Change a model's inventory card; the audit event lists each changed field as [before, after]."""
    require(actor, model.organisation_id, Permission.MODEL_EDIT)
    developers = data.pop("developers", None)
    if "lifecycle_stage" in data and data["lifecycle_stage"] != model.lifecycle_stage:
        raise ValidationError({"lifecycle_stage": ["Change the stage with a stage change request."]})
    data.pop("lifecycle_stage", None)
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    with transaction.atomic():
        locked = AIModel.objects.select_for_update().get(pk=model.pk)
        before = snapshot(locked)
        before_developers = sorted(locked.developers.values_list("pk", flat=True))
        for field, value in data.items():
            setattr(locked, field, value.strip() if field == "name" and isinstance(value, str) else value)
        _validate(locked)
        _check_developers(locked.organisation, developers)
        locked.risk_tier = effective_risk_tier(locked)
        save_validated(locked, lambda: _validate(locked))
        changes = diff(before, snapshot(locked))
        changes.pop("updated_at", None)
        if developers is not None:
            locked.developers.set(developers)
            after_developers = sorted(locked.developers.values_list("pk", flat=True))
            if after_developers != before_developers:
                changes["developers"] = [before_developers, after_developers]
        if changes:
            record_event(
                organisation=locked.organisation,
                actor=actor,
                action=GovernanceAction.MODEL_UPDATE,
                obj=locked,
                changes=changes,
            )
    return locked


def delete_model(*, actor, model: AIModel) -> None:
    """Remove a model entered by mistake: only while proposed and without versions; later, retire it."""
    require(actor, model.organisation_id, Permission.MODEL_EDIT)
    with transaction.atomic():
        locked = AIModel.objects.select_for_update().get(pk=model.pk)
        if locked.lifecycle_stage != LifecycleStage.PROPOSED or locked.versions.exists():
            raise ConflictError("Only a proposed model without versions can be deleted; retire it instead.")
        delete_audited(
            organisation=locked.organisation, actor=actor, action=GovernanceAction.MODEL_DELETE, obj=locked
        )


def register_version(
    *,
    actor,
    model: AIModel,
    version: str,
    artifact_uri: str = "",
    training_data_ref: str = "",
    code_commit: str = "",
    metrics: Any = None,
    notes: str = "",
) -> ModelVersion:
    """Record a new version as a candidate, in one call (what a training pipeline does after a run)."""
    require(actor, model.organisation_id, Permission.VERSION_REGISTER)
    version = (version or "").strip() if isinstance(version, str) else version
    errors: dict[str, list[str]] = {}
    if not version or not isinstance(version, str):
        errors["version"] = ["Give the version label, e.g. '2.3.0'."]
    elif len(version) > 64:
        errors["version"] = ["At most 64 characters."]
    metrics = {} if metrics is None else metrics
    if not isinstance(metrics, dict):
        errors["metrics"] = ['Metrics must be a JSON object, e.g. {"auc": 0.81}.']
    if model.lifecycle_stage == LifecycleStage.RETIRED:
        errors["model"] = ["The model is retired; it takes no new versions."]
    for field, value, limit in (
        ("artifact_uri", artifact_uri, 500),
        ("training_data_ref", training_data_ref, 500),
        ("code_commit", code_commit, 64),
    ):
        if len(value or "") > limit:
            errors[field] = [f"At most {limit} characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        AIModel.objects.select_for_update().filter(pk=model.pk).first()
        if ModelVersion.objects.filter(model=model, version=version).exists():
            raise ValidationError({"version": [f"Version {version} is already registered for this model."]})
        created = ModelVersion.objects.create(
            model=model,
            version=version,
            registered_by=actor,
            artifact_uri=artifact_uri or "",
            training_data_ref=training_data_ref or "",
            code_commit=code_commit or "",
            metrics=metrics,
            notes=notes or "",
        )
        record_event(
            organisation=model.organisation,
            actor=actor,
            action=GovernanceAction.VERSION_REGISTER,
            obj=created,
            changes=diff(None, snapshot(created)),
        )
    return created


def _pending(model: AIModel, **lookup: Any) -> bool:
    return ApprovalRequest.objects.filter(model=model, status=ApprovalStatus.PENDING, **lookup).exists()


def request_stage_change(
    *, actor, model: AIModel, stage: str, justification: str = ""
) -> ApprovalRequest | None:
    """Move the model to ``stage``.

    Validation and production need an approval: a pending request is created and returned. Other stages
    move at once (None is returned).
    """
    require(actor, model.organisation_id, Permission.MODEL_EDIT)
    if stage not in LifecycleStage.values:
        raise ValidationError({"requested_stage": ["Choose a valid stage."]})
    if stage == model.lifecycle_stage:
        raise ValidationError({"requested_stage": ["The model is already in this stage."]})
    with transaction.atomic():
        locked = AIModel.objects.select_for_update().get(pk=model.pk)
        if stage in APPROVAL_STAGES:
            if not (justification or "").strip():
                raise ValidationError({"justification": ["Explain why the model is ready for this stage."]})
            if _pending(locked, kind=ApprovalKind.STAGE_CHANGE):
                raise ConflictError("A stage change for this model is already waiting for a decision.")
            return _open_request(
                actor, locked, ApprovalKind.STAGE_CHANGE, justification, requested_stage=stage
            )
        previous_stage = locked.lifecycle_stage
        set_audited(
            organisation=locked.organisation,
            actor=actor,
            action=GovernanceAction.MODEL_STAGE_CHANGE,
            obj=locked,
            lifecycle_stage=stage,
        )
        webhooks.emit_stage_changed(locked, previous_stage=previous_stage, actor=actor)
        model.lifecycle_stage = stage
    return None


def _open_request(actor, model: AIModel, kind: str, justification: str, **target) -> ApprovalRequest:
    """Create a pending approval request and its audit event (inside the caller's transaction)."""
    request = ApprovalRequest.objects.create(
        organisation=model.organisation,
        model=model,
        kind=kind,
        justification=justification.strip(),
        requested_by=actor,
        **target,
    )
    record_event(
        organisation=model.organisation,
        actor=actor,
        action=GovernanceAction.APPROVAL_REQUEST,
        obj=request,
        changes=diff(None, snapshot(request)),
    )
    webhooks.emit_approval_requested(request)
    return request


def request_promotion(*, actor, version: ModelVersion, justification: str = "") -> ApprovalRequest:
    """Ask for ``version`` to become the model's champion; someone else decides."""
    model = version.model
    require(actor, model.organisation_id, Permission.MODEL_EDIT)
    if version.status == VersionStatus.CHAMPION:
        raise ConflictError(f"Version {version.version} is already the champion.")
    if version.status == VersionStatus.RETIRED:
        raise ValidationError({"version": ["A retired version cannot be promoted."]})
    if not (justification or "").strip():
        raise ValidationError({"justification": ["Explain why this version should become the champion."]})
    with transaction.atomic():
        AIModel.objects.select_for_update().filter(pk=model.pk).first()
        if _pending(model, kind=ApprovalKind.PROMOTE_VERSION):
            raise ConflictError("A promotion for this model is already waiting for a decision.")
        return _open_request(actor, model, ApprovalKind.PROMOTE_VERSION, justification, version=version)


def _apply(actor, request: ApprovalRequest) -> None:
    model = AIModel.objects.select_for_update().get(pk=request.model_id)
    if request.kind == ApprovalKind.STAGE_CHANGE:
        previous_stage = model.lifecycle_stage
        set_audited(
            organisation=model.organisation,
            actor=actor,
            action=GovernanceAction.MODEL_STAGE_CHANGE,
            obj=model,
            lifecycle_stage=request.requested_stage,
        )
        webhooks.emit_stage_changed(model, previous_stage=previous_stage, actor=actor, approval=request)
        return
    version = ModelVersion.objects.select_for_update().get(pk=request.version_id)
    if version.status == VersionStatus.RETIRED:
        raise ConflictError(f"Version {version.version} was retired meanwhile; it cannot be promoted.")
    for previous in ModelVersion.objects.filter(model=model, status=VersionStatus.CHAMPION).exclude(
        pk=version.pk
    ):
        set_audited(
            organisation=model.organisation,
            actor=actor,
            action=GovernanceAction.VERSION_RETIRE,
            obj=previous,
            status=VersionStatus.RETIRED,
        )
    set_audited(
        organisation=model.organisation,
        actor=actor,
        action=GovernanceAction.VERSION_PROMOTE,
        obj=version,
        status=VersionStatus.CHAMPION,
    )
    # A model kept in step with an MLflow registry: its champion alias follows, once this approval commits.
    registry_sync.follow_approval(model=model, version=version)


def decide_approval(
    *,
    actor,
    request: ApprovalRequest,
    approve: bool,
    comment: str = "",
    override_justification: str = "",
    seen_failures: list[str] | None = None,
) -> ApprovalRequest:
    """Approve (and apply) or reject a pending request.

    Separation of duties: the decider needs ``model.approve`` and may be neither the requester nor the
    model's owner (nor, for Tier 1 and 2 models, the version's validator). An approval is held to the
    organisation's release policy (``services.release.check_release``): a failing check blocks it, or, where
    the policy allows, needs an executive's written override. What the checks found is frozen on the request.
    """
    require(actor, request.organisation_id, Permission.MODEL_APPROVE)
    if actor.pk == request.requested_by_id:
        raise PermissionDenied("Separation of duties: you cannot decide a request you made yourself.")
    if actor.pk == request.model.owner_id:
        raise PermissionDenied("Separation of duties: the model's owner cannot decide its approvals.")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"decision_comment": ["Say why the request is rejected."]})
    with transaction.atomic():
        locked = ApprovalRequest.objects.select_for_update().select_related("model").get(pk=request.pk)
        if locked.status != ApprovalStatus.PENDING:
            raise ConflictError(f"This request was already decided ({locked.get_status_display().lower()}).")
        before = snapshot(locked)
        if approve:
            release.check_separation_of_duties(actor=actor, request=locked)
            release.check_release(
                actor=actor,
                request=locked,
                override_justification=override_justification,
                seen_failures=seen_failures,
            )
        locked.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_comment = comment
        locked.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "decision_comment",
                "readiness",
                "policy_version",
                "overridden",
                "override_justification",
            ]
        )
        record_event(
            organisation=locked.organisation,
            actor=actor,
            action=GovernanceAction.APPROVAL_APPROVE if approve else GovernanceAction.APPROVAL_REJECT,
            obj=locked,
            changes=diff(before, snapshot(locked)),
        )
        if locked.overridden:
            record_event(
                organisation=locked.organisation,
                actor=actor,
                action=GovernanceAction.APPROVAL_OVERRIDE,
                obj=locked,
                changes={
                    "failed_checks": [
                        None,
                        [c["name"] for c in locked.readiness["checks"] if c["status"] == "fail"],
                    ],
                    "override_justification": [None, locked.override_justification],
                    "policy_version": [None, locked.policy_version],
                },
            )
        webhooks.emit_approval_decided(locked)
        if approve:
            _apply(actor, locked)
    return locked


# --- CSV import -------------------------------------------------------------------------------------

REQUIRED_COLUMNS = ("name", "purpose", "owner")
IMPORT_MAX_BYTES = 5 * 1024 * 1024
_TRUE = {"yes", "true", "1", "y"}
_FALSE = {"no", "false", "0", "n", ""}


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based data row number (the header is row 0)
    field: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.field}: {self.message}"


class CSVImportError(ValidationError):
    """Raised by ``import_models_csv`` when any row is bad; ``row_errors`` lists them all."""

    def __init__(self, row_errors: list[RowError]):
        self.row_errors = row_errors
        super().__init__([str(error) for error in row_errors])


def _parse_row(
    raw: dict[str, str], organisation: Organisation, units: dict, owners: dict
) -> tuple[dict, list]:
    errors: list[tuple[str, str]] = []
    value = {key: unescape_cell((raw.get(key) or "").strip()) for key in CSV_COLUMNS}
    data: dict[str, Any] = {}
    for key in ("name", "purpose", "model_type", "deployment_environment", "data_sources", "vendor"):
        data[key] = value[key]
    for key in REQUIRED_COLUMNS:
        if not value[key]:
            errors.append((key, "This field is required."))
    if value["owner"]:
        owner = owners.get(value["owner"].lower())
        if owner is None:
            errors.append(("owner", f"No member of this organisation has the username '{value['owner']}'."))
        data["owner"] = owner
    if value["business_unit"]:
        unit = units.get(value["business_unit"].lower())
        if unit is None:
            errors.append(("business_unit", f"No business unit named '{value['business_unit']}'."))
        data["business_unit"] = unit
    stage = value["lifecycle_stage"].lower() or LifecycleStage.PROPOSED
    if stage not in INITIAL_STAGES:
        errors.append(
            ("lifecycle_stage", "Use proposed or development; validation and production need an approval.")
        )
    data["lifecycle_stage"] = stage
    for key, choices, default in (
        ("eu_ai_act_category", EUAIActCategory, EUAIActCategory.MINIMAL),
        ("decisions_about_people", DecisionsAboutPeople, DecisionsAboutPeople.NONE),
    ):
        chosen = value[key].lower() or default
        if chosen not in choices.values:
            errors.append((key, f"Use one of: {', '.join(choices.values)}."))
        data[key] = chosen
    for key in ("materiality", "complexity"):
        text = value[key] or "3"
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 5:  # "²".isdigit() is true
            errors.append((key, "Use a whole number from 1 to 5."))
        else:
            data[key] = int(text)
    for key in ("processes_personal_data", "third_party"):
        text = value[key].lower()
        if text not in _TRUE | _FALSE:
            errors.append((key, "Use yes or no."))
        data[key] = text in _TRUE
    for key in ("last_validated_on", "next_review_due"):
        if value[key]:
            try:
                data[key] = date.fromisoformat(value[key])
            except ValueError:
                errors.append((key, "Use a date as YYYY-MM-DD."))
    if data["third_party"] and not data["vendor"]:
        errors.append(("vendor", "Name the vendor of a third-party model."))
    for key, limit in (("name", 200), ("model_type", 120), ("deployment_environment", 120), ("vendor", 200)):
        if len(data[key]) > limit:
            errors.append((key, f"At most {limit} characters."))
    return data, errors


def import_models_csv(*, actor, organisation: Organisation, content: str | bytes) -> list[AIModel]:
    """Create every model in the CSV, or none: any bad row raises ``CSVImportError`` listing all problems."""
    require(actor, organisation, Permission.MODEL_EDIT)
    if len(content) > IMPORT_MAX_BYTES:
        raise CSVImportError(
            [RowError(0, "file", f"The file is larger than {IMPORT_MAX_BYTES // 2**20} MB.")]
        )
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CSVImportError([RowError(0, "file", "The file is not UTF-8 text.")]) from exc
    if "\x00" in content:  # no text column may hold one (PostgreSQL refuses them)
        raise CSVImportError([RowError(0, "file", "The file contains NUL characters: it is not CSV text.")])
    reader = csv.DictReader(io.StringIO(content))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = list(reader)
    except csv.Error as exc:  # e.g. a field longer than csv.field_size_limit()
        message = f"The file is not valid CSV at line {reader.line_num + 1}: {exc}."  # the line being read
        raise CSVImportError([RowError(0, "file", message)]) from exc
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise CSVImportError([RowError(0, "header", f"Missing column(s): {', '.join(missing)}.")])
    units = {u.name.lower(): u for u in BusinessUnit.objects.filter(organisation=organisation)}
    user_model = get_user_model()
    owners = {
        u.get_username().lower(): u for u in user_model.objects.filter(memberships__organisation=organisation)
    }
    existing = {
        n.lower() for n in AIModel.objects.filter(organisation=organisation).values_list("name", flat=True)
    }
    parsed: list[dict] = []
    row_errors: list[RowError] = []
    seen: set[str] = set()
    for number, raw in enumerate(rows, start=1):
        data, errors = _parse_row(raw, organisation, units, owners)
        lowered = data["name"].lower()
        if lowered and (lowered in existing or lowered in seen):
            errors.append(("name", f"A model named '{data['name']}' already exists."))
        seen.add(lowered)
        row_errors.extend(RowError(number, field, message) for field, message in errors)
        parsed.append(data)
    if not parsed and not row_errors:
        row_errors.append(RowError(0, "file", "The file has no data rows."))
    if row_errors:
        raise CSVImportError(row_errors)
    created: list[AIModel] = []
    with transaction.atomic():
        for number, data in enumerate(parsed, start=1):
            try:
                created.append(create_model(actor=actor, organisation=organisation, **data))
            except ValidationError as exc:
                errors = [
                    RowError(number, field, message)
                    for field, messages in exc.message_dict.items()
                    for message in messages
                ]
                transaction.set_rollback(True)
                raise CSVImportError(errors) from exc
    return created
