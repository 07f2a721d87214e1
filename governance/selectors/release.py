"""Reads for release governance: the organisation's release policy, the facts about a release, its readiness."""

import copy
from datetime import date
from functools import cache
from pathlib import Path

import yaml
from django.db.models import Count, JSONField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from governance.models import (
    AIModel,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    Deployment,
    Incident,
    LifecycleStage,
    ModelVersion,
    Organisation,
    Risk,
)
from governance.models.release import (
    FindingStatus,
    ReleasePolicy,
    ReleaseTarget,
    Validation,
    ValidationFinding,
)
from governance.rules import release_checks as checks
from governance.rules.release_policy import Readiness, combine, evaluate, profile_for
from governance.selectors.compliance import model_summary
from governance.selectors.counting import first_rows_with_total
from governance.selectors.inventory import kpis_of, release_candidates, with_production_deployment_unapproved
from governance.selectors.technical_documentation import completeness_of

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent.parent / "data" / "release_policy" / "default.yaml"
# What a stage change is checked as.
STAGE_TARGETS = {"validation": ReleaseTarget.VALIDATION, "production": ReleaseTarget.PRODUCTION}
OPEN_INCIDENT_STATUSES = ("open", "investigating")


@cache
def _default_rules() -> dict:
    data = yaml.safe_load(DEFAULT_POLICY_FILE.read_text())
    return {"profiles": data["profiles"]}


def default_rules() -> dict:
    """Plumbline's default policy (governance/data/release_policy/default.yaml), which an organisation starts
    from: a copy of its own, which the caller may change."""
    return copy.deepcopy(_default_rules())


def current_policy(organisation: Organisation) -> ReleasePolicy:
    """The organisation's latest policy version; before its first edit, the default, unsaved, as version 0."""
    latest = ReleasePolicy.objects.filter(organisation=organisation).order_by("-version").first()
    return latest or _default_policy(organisation)


def _default_policy(organisation: Organisation) -> ReleasePolicy:
    """The policy in force before an organisation's first edit: the default, unsaved, as version 0."""
    return ReleasePolicy(
        organisation=organisation, version=0, rules=default_rules(), note="Plumbline default"
    )


def with_current_policy(queryset: QuerySet[AIModel]) -> QuerySet[AIModel]:
    """Models annotated with their organisation's current policy (``policy_version``, ``policy_rules``; None
    before its first edit), so a page that evaluates the policy does not read it again (``policy_of``)."""
    latest = ReleasePolicy.objects.filter(organisation=OuterRef("organisation")).order_by("-version")
    return queryset.annotate(
        policy_version=Subquery(latest.values("version")[:1]),
        policy_rules=Subquery(latest.values("rules")[:1], output_field=JSONField()),
    )


def policy_of(model: AIModel) -> ReleasePolicy:
    """The model's organisation's current policy: from ``with_current_policy``'s annotations when the model
    carries them, else read (``current_policy``)."""
    if not hasattr(model, "policy_version"):
        return current_policy(model.organisation)
    if model.policy_version is None:
        return _default_policy(model.organisation)
    return ReleasePolicy(
        organisation_id=model.organisation_id, version=model.policy_version, rules=model.policy_rules
    )


def policy_history(organisation: Organisation) -> QuerySet[ReleasePolicy]:
    return (
        ReleasePolicy.objects.filter(organisation=organisation)
        .select_related("created_by")
        .order_by("-version")
    )


def release_version(model: AIModel, target: str, version: ModelVersion | None = None) -> ModelVersion | None:
    """The version a release is about: the one being promoted; else the champion, else the newest candidate."""
    if version is not None or target == ReleaseTarget.CHAMPION:
        return version
    candidates = release_candidates(model, limit=0)
    return candidates[0] if candidates else None


def release_facts(
    model: AIModel,
    version: ModelVersion | None,
    today: date | None = None,
    *,
    kpis: list | None = None,
    risks: list[Risk] | None = None,
    incidents: list[Incident] | None = None,
    validations: list[Validation] | None = None,
) -> checks.ReleaseFacts:
    """Everything the checks look at, in a fixed number of queries whatever the model's history. ``kpis``,
    ``risks`` and ``incidents``: all of the model's, when the caller (the model page) has read them already;
    ``validations``: validations with their findings that include all of ``version``'s."""
    today = today or timezone.localdate()
    compliance = [
        checks.FrameworkFacts(
            key=s.framework.key,
            name=s.framework.name,
            applicable=s.applicable,
            percent=s.coverage.percent,
            non_compliant=s.coverage.non_compliant,
            overdue=s.overdue,
        )
        for s in model_summary(model, today)
    ]
    if risks is None:
        risks = list(
            Risk.objects.filter(model=model).only(
                "title", "status", "inherent_score", "residual_score", "mitigation", "owner_id"
            )
        )
    risk_facts = [
        checks.RiskFacts(
            title=r.title,
            status=r.status,
            inherent_score=r.inherent_score,
            residual_score=r.residual_score,
            has_mitigation=bool((r.mitigation or "").strip()),
            has_owner=r.owner_id is not None,
        )
        for r in risks
    ]
    if version is not None and validations is not None:
        validations = [_validation_facts(v) for v in validations if v.version_id == version.pk]
    elif version is not None:
        validations = []
        open_counts = {
            severity: Count(
                "findings", filter=Q(findings__status=FindingStatus.OPEN, findings__severity=severity)
            )
            for severity in ("high", "medium", "low")
        }
        for row in (
            Validation.objects.filter(version=version)
            .values("outcome", "completed_on")
            .annotate(**open_counts)
        ):
            validations.append(
                checks.ValidationFacts(
                    outcome=row["outcome"],
                    completed_on=row["completed_on"],
                    open_findings={s: row[s] for s in ("high", "medium", "low") if row[s]},
                )
            )
    else:
        validations = []
    kpis = [
        checks.KPIFacts(
            name=k.name,
            has_thresholds=k.warning_threshold is not None or k.critical_threshold is not None,
            status=k.latest_status,
        )
        for k in (kpis if kpis is not None else kpis_of(model))
    ]
    if incidents is None:
        incidents = list(Incident.objects.filter(model=model, status__in=OPEN_INCIDENT_STATUSES))
    open_incidents = [(i.title, i.severity) for i in incidents if i.status in OPEN_INCIDENT_STATUSES]
    return checks.ReleaseFacts(
        today=today,
        version=version.version if version else None,
        lineage={name: getattr(version, name) for name in checks.LINEAGE_FIELDS} if version else {},
        next_review_due=model.next_review_due,
        compliance=compliance,
        risks=risk_facts,
        validations=validations,
        kpis=kpis,
        open_incidents=open_incidents,
        # The document describing the version being released (None for a model that is not high-risk).
        technical_documentation=completeness_of(model, version, as_of=today),
    )


def _validation_facts(validation: Validation) -> checks.ValidationFacts:
    """What the checks read of one validation whose findings are loaded (validations_of)."""
    open_findings: dict[str, int] = {}
    for finding in validation.findings.all():
        if finding.status == FindingStatus.OPEN and finding.severity in ("high", "medium", "low"):
            open_findings[finding.severity] = open_findings.get(finding.severity, 0) + 1
    return checks.ValidationFacts(
        outcome=validation.outcome, completed_on=validation.completed_on, open_findings=open_findings
    )


def readiness(
    model: AIModel,
    target: str,
    version: ModelVersion | None = None,
    *,
    policy: ReleasePolicy | None = None,
    today: date | None = None,
    kpis: list | None = None,
    risks: list[Risk] | None = None,
    incidents: list[Incident] | None = None,
    validations: list[Validation] | None = None,
    version_resolved: bool = False,
) -> Readiness:
    """What the organisation's policy says about releasing ``model`` (``version``) to ``target`` now
    (``kpis``, ``risks``, ``incidents``: see ``release_facts``; ``version_resolved``: ``version`` is already
    the one ``release_version`` would find, None included)."""
    policy = policy or policy_of(model)
    if not version_resolved:
        version = release_version(model, target, version)
    return evaluate(
        policy.rules,
        policy_version=policy.version,
        target=target,
        profile=profile_for(model.risk_tier, model.eu_ai_act_category),
        facts=release_facts(
            model, version, today, kpis=kpis, risks=risks, incidents=incidents, validations=validations
        ),
    )


def overridden_checks(
    model: AIModel, version: ModelVersion, targets: tuple[str, ...]
) -> dict[str, tuple[ApprovalRequest, str]]:
    """Checks an executive approved past for ``version`` in an approval for one of ``targets``: name -> (the
    approval, the failure message they read). The gate honours them for that same failure only."""
    overridden: dict[str, tuple[ApprovalRequest, str]] = {}
    approvals = (
        ApprovalRequest.objects.filter(model=model, status=ApprovalStatus.APPROVED, overridden=True)
        .select_related("decided_by")
        .order_by("decided_at")
    )
    for approval in approvals:
        snapshot = approval.readiness
        if snapshot.get("version") != version.version or snapshot.get("target") not in targets:
            continue
        for check in snapshot.get("checks", []):
            if check.get("status") == "fail":
                overridden[check["name"]] = (approval, check.get("message", ""))
    return overridden


def deployments_by_environment(model: AIModel) -> list[Deployment]:
    """What runs where: the latest deployment to each environment, the newest first."""
    latest: dict[str, Deployment] = {}
    for deployment in (
        Deployment.objects.filter(model=model)
        .select_related("version", "recorded_by")
        .order_by("-recorded_at", "-id")[:200]
    ):
        latest.setdefault(deployment.environment, deployment)
    return list(latest.values())


def running_without_approval(organisation: Organisation) -> QuerySet[AIModel]:
    """Models whose latest production deployment was not of an approved champion (and did not fail)."""
    return with_production_deployment_unapproved(AIModel.objects.filter(organisation=organisation))


def release_target(request: ApprovalRequest) -> tuple[str, ModelVersion | None]:
    """The target an approval request releases to, and the version it names (a promotion's)."""
    if request.kind == ApprovalKind.PROMOTE_VERSION:
        return ReleaseTarget.CHAMPION, request.version
    return STAGE_TARGETS[request.requested_stage], None


def request_readiness(request: ApprovalRequest, *, policy: ReleasePolicy | None = None) -> Readiness:
    """What an approval request is held to: its target's checks; a promotion of a model already in production
    meets the production checks too (the new champion is what will run there)."""
    model = request.model
    target, version = release_target(request)
    if not (
        target == ReleaseTarget.CHAMPION
        and model.lifecycle_stage == LifecycleStage.PRODUCTION
        and version is not None
    ):
        return readiness(model, target, version, policy=policy)
    # Both targets judge the same version on the same facts: read them once.
    policy = policy or policy_of(model)
    facts = release_facts(model, version)
    profile = profile_for(model.risk_tier, model.eu_ai_act_category)
    champion, production = (
        evaluate(policy.rules, policy_version=policy.version, target=held_to, profile=profile, facts=facts)
        for held_to in (ReleaseTarget.CHAMPION, ReleaseTarget.PRODUCTION)
    )
    return combine(champion, production)


def validations_of(model: AIModel) -> QuerySet[Validation]:
    return (
        Validation.objects.filter(model=model)
        .select_related("version", "validator")
        # Findings with their owners in one query (``findings__owner`` would read the owners in another).
        .prefetch_related(Prefetch("findings", queryset=ValidationFinding.objects.select_related("owner")))
        .order_by("-started_on", "-id")
    )


def validations_for_model_page(model: AIModel, version: ModelVersion | None, shown: int) -> list[Validation]:
    """The model's ``shown`` latest validations and every validation of ``version`` (what its release checks
    read), newest first, with findings: one query for both and one for the findings. The first ``shown`` rows
    are the latest: any other row is one of ``version``'s, older than those."""
    latest = Validation.objects.filter(model=model).order_by("-started_on", "-id").values("pk")[:shown]
    wanted = Q(pk__in=latest) | Q(version=version) if version is not None else Q(pk__in=latest)
    return list(validations_of(model).filter(wanted))


RELEASE_PANEL_ROWS = 5


def release_panel(organisation: Organisation, today: date) -> dict:
    """The home page's release panel: production deployments without approval (an alarm) and the latest
    approvals granted past failing checks, in two queries (each list with its total)."""
    unapproved = running_without_approval(organisation).order_by("name")
    overrides = (
        ApprovalRequest.objects.filter(organisation=organisation, overridden=True)
        .select_related("model", "version", "decided_by")
        .order_by("-decided_at", "-pk")
    )
    unapproved_rows, unapproved_count = first_rows_with_total(unapproved, RELEASE_PANEL_ROWS)
    override_rows, override_count = first_rows_with_total(overrides, RELEASE_PANEL_ROWS)
    return {
        "unapproved": unapproved_rows,
        "unapproved_count": unapproved_count,
        "overrides": override_rows,
        "override_count": override_count,
    }
