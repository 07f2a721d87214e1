"""Release governance writes: the organisation's release policy, independent validations and their findings,
and the readiness decision an approval is held to (``check_release``)."""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from governance.core.audit import record_event, save_audited_new, update_audited
from governance.core.errors import ConflictError
from governance.core.roles import Permission
from governance.core.tenancy import can, membership_in, require
from governance.models import (
    AIModel,
    ApprovalRequest,
    Deployment,
    DeploymentCheck,
    DeploymentEnvironment,
    DeploymentStatus,
    DeploymentStrategy,
    LifecycleStage,
    ModelVersion,
    Organisation,
    RiskTier,
    VersionStatus,
)
from governance.models.actions import GovernanceAction
from governance.models.release import (
    FindingSeverity,
    FindingStatus,
    ReleasePolicy,
    ReleaseTarget,
    Validation,
    ValidationFinding,
    ValidationOutcome,
    ValidationScope,
)
from governance.rules.release_policy import Readiness, policy_problems
from governance.selectors import release as selectors
from governance.services.compliance import check_evidence_file, clean_evidence_name
from governance.services.webhooks import emit_deployment_denied

# Tiers whose releases need three different people: requester, validator, approver.
THREE_PEOPLE_TIERS = frozenset({RiskTier.CRITICAL, RiskTier.HIGH})


# --- The policy ------------------------------------------------------------------------------------------


def _new_policy_version(organisation: Organisation, *, actor, rules: dict, note: str) -> ReleasePolicy:
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    previous = selectors.current_policy(organisation)
    policy = ReleasePolicy.objects.create(
        organisation=organisation,
        version=previous.version + 1,
        rules=rules,
        note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record_event(
        organisation=organisation,
        actor=actor,
        action=GovernanceAction.RELEASE_POLICY_UPDATE,
        obj=policy,
        changes={
            "version": [previous.version, policy.version],
            "rules": [previous.rules, rules],
            "note": [None, note],
        },
    )
    return policy


def update_release_policy(*, actor, organisation: Organisation, rules: Any, note: str = "") -> ReleasePolicy:
    """A new version of the organisation's policy (versions are never edited); every problem is a message on
    ``rules``."""
    require(actor, organisation, Permission.RELEASE_POLICY_MANAGE)
    problems = policy_problems(rules)
    if problems:
        raise ValidationError({"rules": problems})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ["Say what changed and why: auditors read it."]})
    with transaction.atomic():
        return _new_policy_version(organisation, actor=actor, rules=rules, note=note)


def policy_for_decision(organisation: Organisation) -> ReleasePolicy:
    """The policy a decision is held to; the first decision adopts the default as version 1 (audited), so every
    decision names a stored version."""
    policy = selectors.current_policy(organisation)
    if policy.pk is None:
        policy = _new_policy_version(
            organisation, actor=None, rules=policy.rules, note="Adopted Plumbline's default release policy."
        )
    return policy


# --- Readiness at decision time ------------------------------------------------------------------------------


def check_release(
    *,
    actor,
    request: ApprovalRequest,
    override_justification: str = "",
    seen_failures: list[str] | None = None,
) -> Readiness:
    """Hold an approval to the policy (inside the decision's transaction): a failing check that may not be
    overridden refuses it; failing overridable checks need an executive and a written justification. The
    readiness is frozen on the request either way. ``seen_failures``: the failing checks the decider was shown;
    when they no longer match, the decision is refused (an override covers only what was read)."""
    model = AIModel.objects.select_related("organisation").get(pk=request.model_id)
    policy = policy_for_decision(model.organisation)
    request.model = model
    readiness = selectors.request_readiness(request, policy=policy)
    if seen_failures is not None and sorted(seen_failures) != sorted(o.name for o in readiness.failures):
        raise ConflictError(
            "The release checks changed since the page was shown: review them again, then decide."
        )
    if readiness.blocking:
        names = "; ".join(f"{o.label}: {o.message}" for o in readiness.blocking)
        raise ConflictError(f"The release policy (v{policy.version}) does not allow this yet. {names}")
    justification = (override_justification or "").strip()
    if readiness.failures:
        names = ", ".join(o.label for o in readiness.failures)
        if not justification:
            raise ValidationError(
                {
                    "override_justification": [
                        f"Checks that fail: {names}. Fix them, or (an executive) approve past them with a "
                        "written justification."
                    ]
                }
            )
        if not can(actor, model.organisation_id, Permission.RELEASE_OVERRIDE):
            raise PermissionDenied(f"Only an executive may approve past failing checks ({names}).")
    request.readiness = readiness.snapshot()
    request.policy_version = policy.version
    request.overridden = bool(readiness.failures)
    request.override_justification = justification if readiness.failures else ""
    return readiness


def check_separation_of_duties(*, actor, request: ApprovalRequest) -> None:
    """For Tier 1 and Tier 2 models the requester, the validator of the version and the approver are three
    different people."""
    model = request.model
    if model.risk_tier not in THREE_PEOPLE_TIERS:
        return
    target, version = selectors.release_target(request)
    version = selectors.release_version(model, target, version)
    if version is None:
        return
    validators = set(Validation.objects.filter(version=version).values_list("validator_id", flat=True))
    if actor.pk in validators:
        raise PermissionDenied(
            "Separation of duties: you validated this version, so someone else approves it."
        )
    if request.requested_by_id in validators:
        raise PermissionDenied(
            "Separation of duties: the requester validated this version; for a Tier 1 or 2 model the requester, "
            "validator and approver are three different people."
        )


# --- Validations ---------------------------------------------------------------------------------------------

VALIDATION_FIELDS = ("scope", "started_on", "completed_on", "outcome", "summary", "evidence_link")


def _validate_validation(validation: Validation) -> None:
    errors: dict[str, list[str]] = {}
    scope = validation.scope
    if not isinstance(scope, list) or not scope or any(s not in ValidationScope.values for s in scope):
        errors["scope"] = [f"Choose at least one of: {', '.join(ValidationScope.values)}."]
    if validation.outcome and validation.outcome not in ValidationOutcome.values:
        errors["outcome"] = ["Choose a valid outcome."]
    if validation.completed_on and not validation.outcome:
        errors["outcome"] = ["A completed validation has an outcome."]
    if validation.outcome and not validation.completed_on:
        errors["completed_on"] = ["Give the date the validation concluded."]
    dated = isinstance(validation.started_on, date) and isinstance(validation.completed_on, date)
    if dated and validation.completed_on < validation.started_on:
        errors["completed_on"] = ["Not before the start."]
    try:
        validation.full_clean(exclude=["scope", "organisation", "model", "version", "validator"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)


def _check_independent(actor, model: AIModel) -> None:
    if actor.pk == model.owner_id or model.developers.filter(pk=actor.pk).exists():
        raise PermissionDenied("Independent validation: the model's owner and developers cannot validate it.")


def _attach_evidence(validation: Validation, evidence_file: UploadedFile | None) -> None:
    """The report file, checked whole as compliance evidence is (type, size, content), with its SHA-256."""
    if evidence_file is None:
        return
    data, sha = check_evidence_file(evidence_file)
    validation.evidence_file.save(clean_evidence_name(evidence_file.name), ContentFile(data), save=False)
    validation.evidence_sha256 = sha


def record_validation(
    *, actor, version: ModelVersion, evidence_file: UploadedFile | None = None, **data: Any
) -> Validation:
    """A validation of ``version`` by ``actor`` (a validator independent of the model)."""
    model = version.model
    require(actor, model.organisation_id, Permission.VALIDATION_RECORD)
    _check_independent(actor, model)
    unknown = set(data) - set(VALIDATION_FIELDS)
    if unknown:
        raise ValidationError({name: ["Not a field of a validation."] for name in sorted(unknown)})
    validation = Validation(
        organisation_id=model.organisation_id, model=model, version=version, validator=actor, **data
    )
    _validate_validation(validation)
    _attach_evidence(validation, evidence_file)
    save_audited_new(
        organisation=model.organisation,
        actor=actor,
        action=GovernanceAction.VALIDATION_CREATE,
        obj=validation,
    )
    return validation


def update_validation(
    *, actor, validation: Validation, evidence_file: UploadedFile | None = None, **data: Any
) -> Validation:
    """Change a validation (its validator only: the conclusion is theirs)."""
    require(actor, validation.organisation_id, Permission.VALIDATION_RECORD)
    if actor.pk != validation.validator_id:
        raise PermissionDenied("Only the validator who recorded a validation may change it.")
    unknown = set(data) - set(VALIDATION_FIELDS)
    if unknown:
        raise ValidationError({name: ["Not a field of a validation."] for name in sorted(unknown)})

    def prepare(locked: Validation) -> None:
        _validate_validation(locked)
        _attach_evidence(locked, evidence_file)

    return update_audited(
        actor=actor, obj=validation, action=GovernanceAction.VALIDATION_UPDATE, data=data, prepare=prepare
    )


def add_finding(
    *, actor, validation: Validation, title: str, severity: str, owner=None, due_date: date | None = None
) -> ValidationFinding:
    require(actor, validation.organisation_id, Permission.VALIDATION_RECORD)
    if actor.pk != validation.validator_id:
        raise PermissionDenied("Only the validator who recorded a validation may add its findings.")
    # Who remediates: the model's owner unless the validator names someone else.
    owner = owner if owner is not None else validation.model.owner
    if membership_in(owner, validation.organisation_id) is None:
        raise ValidationError({"owner": ["Choose a member of the organisation."]})
    finding = ValidationFinding(
        validation=validation, title=(title or "").strip(), severity=severity, owner=owner, due_date=due_date
    )
    errors = {}
    if not finding.title:
        errors["title"] = ["Say what was found."]
    if severity not in FindingSeverity.values:
        errors["severity"] = ["Choose high, medium or low."]
    if errors:
        raise ValidationError(errors)
    save_audited_new(
        organisation=validation.organisation, actor=actor, action=GovernanceAction.FINDING_CREATE, obj=finding
    )
    return finding


def set_finding_status(*, actor, finding: ValidationFinding, status: str) -> ValidationFinding:
    """Remediated or accepted: the validator's call (they confirm the remediation)."""
    validation = finding.validation
    require(actor, validation.organisation_id, Permission.VALIDATION_RECORD)
    if actor.pk != validation.validator_id:
        raise PermissionDenied("Only the validator who raised a finding may close it.")
    if status not in FindingStatus.values:
        raise ValidationError({"status": ["Choose open, remediated or accepted."]})
    return update_audited(
        actor=actor,
        obj=finding,
        action=GovernanceAction.FINDING_UPDATE,
        data={"status": status},
        select_related=("validation__organisation",),
        organisation_of=lambda locked: locked.validation.organisation,
    )


# --- The deployment gate and deployments -----------------------------------------------------------------

# The approvals whose overrides a gate honours: those that let the model into that environment.
GATE_OVERRIDE_TARGETS = {
    DeploymentEnvironment.TEST: ("validation",),
    DeploymentEnvironment.STAGING: ("validation",),
    DeploymentEnvironment.PRODUCTION: ("production", "champion", "champion+production"),
}
ENVIRONMENT_TARGETS = {
    DeploymentEnvironment.TEST: ReleaseTarget.VALIDATION,
    DeploymentEnvironment.STAGING: ReleaseTarget.VALIDATION,
    DeploymentEnvironment.PRODUCTION: ReleaseTarget.PRODUCTION,
}


def _approval_checks(model: AIModel, version: ModelVersion, environment: str) -> list[dict]:
    if environment == DeploymentEnvironment.PRODUCTION:
        in_stage = model.lifecycle_stage == LifecycleStage.PRODUCTION
        champion = version.status == VersionStatus.CHAMPION
        return [
            {
                "name": "stage_approved",
                "passed": in_stage,
                "message": "The model is approved for production."
                if in_stage
                else f"The model is in {model.get_lifecycle_stage_display().lower()}, not approved for production.",
            },
            {
                "name": "version_approved",
                "passed": champion,
                "message": f"Version {version.version} is the approved champion."
                if champion
                else f"Version {version.version} is not the approved champion: request its promotion first.",
            },
        ]
    in_stage = model.lifecycle_stage in (LifecycleStage.VALIDATION, LifecycleStage.PRODUCTION)
    return [
        {
            "name": "stage_approved",
            "passed": in_stage,
            "message": "The model is approved for validation."
            if in_stage
            else f"The model is in {model.get_lifecycle_stage_display().lower()}: request validation first.",
        }
    ]


def ask_gate(*, actor, model: AIModel, version: ModelVersion, environment: str) -> DeploymentCheck:
    """May ``version`` of ``model`` be deployed to ``environment`` now? The approvals it needs must be in place
    and the policy's checks must pass, a check an executive overrode for this version counting as passed. The
    answer is kept and audited, allowed or not (a denial is an answer, not an error)."""
    require(actor, model.organisation_id, Permission.DEPLOYMENT_CHECK)
    if environment not in DeploymentEnvironment.values:
        raise ValidationError({"environment": [f"One of: {', '.join(DeploymentEnvironment.values)}."]})
    if version.model_id != model.pk:
        raise ValidationError({"version": ["Choose a version of this model."]})
    with transaction.atomic():
        policy = policy_for_decision(model.organisation)
        readiness = selectors.readiness(model, ENVIRONMENT_TARGETS[environment], version, policy=policy)
        overridden = selectors.overridden_checks(model, version, GATE_OVERRIDE_TARGETS[environment])
        checks = _approval_checks(model, version, environment)
        for outcome in readiness.outcomes:
            if outcome.status == "not_required":
                continue
            granted = overridden.get(outcome.name)
            # An override counts only for the failure the executive read (same message), and only while the
            # policy in force still lets that check be overridden.
            if outcome.failed and granted and outcome.overridable and granted[1] == outcome.message:
                approval = granted[0]
                checks.append(
                    {
                        "name": outcome.name,
                        "passed": True,
                        "message": f"Overridden by {approval.decided_by.get_username()} at approval #{approval.pk}: "
                        f"{outcome.message}",
                    }
                )
            else:
                checks.append(
                    {"name": outcome.name, "passed": not outcome.failed, "message": outcome.message}
                )
        decision = DeploymentCheck.objects.create(
            organisation_id=model.organisation_id,
            model=model,
            version=version,
            environment=environment,
            allowed=all(c["passed"] for c in checks),
            policy_version=policy.version,
            checks=checks,
            asked_by=actor,
        )
        record_event(
            organisation=model.organisation,
            actor=actor,
            action=GovernanceAction.DEPLOYMENT_CHECK,
            obj=decision,
            changes={
                "allowed": [None, decision.allowed],
                "environment": [None, environment],
                "version": [None, version.version],
                "failed_checks": [None, [c["name"] for c in checks if not c["passed"]]],
            },
            object_repr=f"Gate: {model.name} {version.version} to {environment}",
        )
        if not decision.allowed:
            emit_deployment_denied(decision)
    return decision


def record_deployment(
    *,
    actor,
    model: AIModel,
    version: ModelVersion,
    environment: str,
    strategy: str = DeploymentStrategy.FULL,
    status: str = DeploymentStatus.STARTED,
    pipeline_run_url: str = "",
) -> Deployment:
    """What a pipeline deployed. A production deployment of anything but the approved champion of a model
    approved for production is recorded all the same (the pipeline did it), flagged ``without_approval``."""
    require(actor, model.organisation_id, Permission.DEPLOYMENT_RECORD)
    errors = {}
    if version.model_id != model.pk:
        errors["version"] = ["Choose a version of this model."]
    if environment not in DeploymentEnvironment.values:
        errors["environment"] = [f"One of: {', '.join(DeploymentEnvironment.values)}."]
    if strategy not in DeploymentStrategy.values:
        errors["strategy"] = [f"One of: {', '.join(DeploymentStrategy.values)}."]
    if status not in DeploymentStatus.values:
        errors["status"] = [f"One of: {', '.join(DeploymentStatus.values)}."]
    if errors:
        raise ValidationError(errors)
    deployment = Deployment(
        organisation_id=model.organisation_id,
        model=model,
        version=version,
        environment=environment,
        strategy=strategy,
        status=status,
        pipeline_run_url=(pipeline_run_url or "").strip(),
        recorded_by=actor,
        without_approval=environment == DeploymentEnvironment.PRODUCTION
        and not (
            model.lifecycle_stage == LifecycleStage.PRODUCTION and version.status == VersionStatus.CHAMPION
        ),
        gate_decision=DeploymentCheck.objects.filter(
            model=model, version=version, environment=environment, allowed=True
        )
        .order_by("-asked_at", "-id")
        .first(),
    )
    try:
        deployment.full_clean(exclude=["organisation", "model", "version", "recorded_by", "gate_decision"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    save_audited_new(
        organisation=model.organisation,
        actor=actor,
        action=GovernanceAction.DEPLOYMENT_RECORD,
        obj=deployment,
    )
    return deployment


def update_deployment_status(*, actor, deployment: Deployment, status: str) -> Deployment:
    require(actor, deployment.organisation_id, Permission.DEPLOYMENT_RECORD)
    if status not in DeploymentStatus.values:
        raise ValidationError({"status": [f"One of: {', '.join(DeploymentStatus.values)}."]})
    return update_audited(
        actor=actor, obj=deployment, action=GovernanceAction.DEPLOYMENT_UPDATE, data={"status": status}
    )
