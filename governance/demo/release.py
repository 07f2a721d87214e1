"""Demo release governance for `seed_demo`: independent validations of production versions (one with an open
finding), the organisation adopting Plumbline's default release policy, one production release approved past
failing checks by the CIO (an override), and the requests the policy now holds back.

Dated as they happened (``governance.demo.history``): each validation between its version's registration and
its promotion, the policy adopted three weeks ago (after the inventory's history, which predates it), the
scorecard's deployment since, and the override this week."""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from governance.core.errors import ConflictError
from governance.demo.history import backdate, days_ago
from governance.models import AIModel, ApprovalKind, LifecycleStage, Organisation, VersionStatus
from governance.selectors.release import current_policy, default_rules
from governance.services import inventory as inventory_services
from governance.services import release

POLICY_ADOPTED, DEPLOYED, OVERRIDE_REQUESTED, OVERRIDE_DECIDED = 20, 18, 3, 2  # days ago
VALIDATED_MODELS = (
    "Retail credit scorecard",
    "Card transaction fraud detector",
    "IFRS 9 PD model — corporate",
)


def seed_release_demo(organisation: Organisation, users: dict) -> None:
    validator, executive, owner, admin = (
        users["validator"],
        users["executive"],
        users["model_owner"],
        users["admin"],
    )
    if current_policy(organisation).version >= 2:
        return
    today = timezone.localdate()
    models = {m.name: m for m in AIModel.objects.filter(organisation=organisation, name__in=VALIDATED_MODELS)}
    for position, name in enumerate(VALIDATED_MODELS):
        model = models.get(name)
        if model is None:
            continue
        version = (
            model.versions.filter(status=VersionStatus.CHAMPION).first()
            or model.versions.order_by("-registered_at").first()
        )
        if version is None:
            continue
        started, completed = _validation_dates(model, version, today)
        validation = release.record_validation(
            actor=validator,
            version=version,
            scope=["conceptual_soundness", "data", "performance", "outcomes_analysis", "implementation"],
            started_on=started,
            completed_on=completed,
            outcome="approved_with_conditions" if position == 0 else "approved",
            summary="Full-scope validation: discrimination and calibration hold on the out-of-time sample.",
        )
        backdate(validation, created_at=days_ago((today - started).days, f"{name}|validation"))
        if position == 0:
            finding = release.add_finding(
                actor=validator,
                validation=validation,
                title="Calibration drifts in the thin-file segment; monitor monthly",
                severity="medium",
                owner=owner,
                due_date=today + timedelta(days=60),
            )
            backdate(finding, created_at=days_ago((today - completed).days, f"{name}|finding"))
        # The inventory card follows the validation; a first validation also sets the yearly review.
        review = (
            {"next_review_due": completed + timedelta(days=365)} if model.last_validated_on is None else {}
        )
        AIModel.objects.filter(pk=model.pk).update(last_validated_on=completed, **review)
    policy = release.update_release_policy(
        actor=admin,
        organisation=organisation,
        rules=default_rules(),
        note="Adopted Plumbline's default release policy: approvals now check readiness per risk tier.",
    )
    backdate(policy, created_at=days_ago(POLICY_ADOPTED, "policy"))
    # The pipeline of the retail scorecard asked the gate and deployed its champion.
    scorecard = models.get("Retail credit scorecard")
    champion = scorecard.versions.filter(status=VersionStatus.CHAMPION).first() if scorecard else None
    if champion is not None:
        check = release.ask_gate(actor=owner, model=scorecard, version=champion, environment="production")
        backdate(check, asked_at=days_ago(DEPLOYED, "gate"))
        deployment = release.record_deployment(
            actor=owner,
            model=scorecard,
            version=champion,
            environment="production",
            strategy="canary",
            pipeline_run_url="https://gitlab.acme-bank.example/ml/retail-scorecard/-/pipelines/4711",
        )
        release.update_deployment_status(actor=owner, deployment=deployment, status="succeeded")
        backdate(
            deployment,
            recorded_at=check.asked_at + timedelta(minutes=4),
            updated_at=check.asked_at + timedelta(minutes=31),
        )
    # A release the CIO approves past the checks that fail (an audited override), where the policy lets one.
    for model in AIModel.objects.filter(organisation=organisation, lifecycle_stage=LifecycleStage.VALIDATION):
        try:
            request = inventory_services.request_stage_change(
                actor=owner,
                model=model,
                stage=LifecycleStage.PRODUCTION,
                justification="Validation complete.",
            )
        except (ValidationError, ConflictError):
            continue
        backdate(request, requested_at=days_ago(OVERRIDE_REQUESTED, model.name))
        try:
            inventory_services.decide_approval(
                actor=executive,
                request=request,
                approve=True,
                comment="Go-live before the year-end close.",
                override_justification=(
                    "Regulatory deadline: the IFRS 9 year-end provision run needs this model. Compliance gaps are "
                    "tracked in the remediation plan due next quarter."
                ),
            )
            backdate(request, decided_at=days_ago(OVERRIDE_DECIDED, model.name))
            break
        except (ValidationError, ConflictError, PermissionDenied):
            # The policy blocks this one outright: it stays pending, held back by its gate.
            continue


def _validation_dates(model: AIModel, version, today: date) -> tuple[date, date]:
    """From a few days after the version was registered to the day its promotion was asked for (a champion) or,
    for a model still in validation, from its move to validation to a few weeks ago."""
    started = timezone.localtime(version.registered_at).date() + timedelta(days=3)
    if version.status == VersionStatus.CHAMPION:
        promotion = (
            version.approval_requests.filter(kind=ApprovalKind.PROMOTE_VERSION)
            .order_by("requested_at")
            .first()
        )
        if promotion is not None:
            completed = timezone.localtime(promotion.requested_at).date() - timedelta(days=1)
            return min(started, completed), completed
    moved = (
        model.approval_requests.filter(
            kind=ApprovalKind.STAGE_CHANGE, requested_stage=LifecycleStage.VALIDATION
        )
        .exclude(decided_at=None)
        .order_by("-decided_at")
        .first()
    )
    if moved is not None:
        started = max(started, timezone.localtime(moved.decided_at).date() + timedelta(days=4))
    completed = max(started, today - timedelta(days=25))
    return started, completed
