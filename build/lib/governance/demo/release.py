"""Demo release governance for `seed_demo`: independent validations of production versions (one with an open
finding), the organisation adopting Plumbline's default release policy, one production release approved past
failing checks by the CIO (an override), and the requests the policy now holds back."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from governance.core.errors import ConflictError
from governance.models import AIModel, LifecycleStage, Organisation, VersionStatus
from governance.selectors.release import current_policy, default_rules
from governance.services import inventory as inventory_services
from governance.services import release

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
        validation = release.record_validation(
            actor=validator,
            version=version,
            scope=["conceptual_soundness", "data", "performance", "outcomes_analysis", "implementation"],
            started_on=today - timedelta(days=60 + position * 10),
            completed_on=today - timedelta(days=30 + position * 10),
            outcome="approved_with_conditions" if position == 0 else "approved",
            summary="Full-scope validation: discrimination and calibration hold on the out-of-time sample.",
        )
        if position == 0:
            release.add_finding(
                actor=validator,
                validation=validation,
                title="Calibration drifts in the thin-file segment; monitor monthly",
                severity="medium",
                owner=owner,
                due_date=today + timedelta(days=60),
            )
    release.update_release_policy(
        actor=admin,
        organisation=organisation,
        rules=default_rules(),
        note="Adopted Plumbline's default release policy: approvals now check readiness per risk tier.",
    )
    # The pipeline of the retail scorecard asked the gate and deployed its champion.
    scorecard = models.get("Retail credit scorecard")
    champion = scorecard.versions.filter(status=VersionStatus.CHAMPION).first() if scorecard else None
    if champion is not None:
        release.ask_gate(actor=owner, model=scorecard, version=champion, environment="production")
        deployment = release.record_deployment(
            actor=owner,
            model=scorecard,
            version=champion,
            environment="production",
            strategy="canary",
            pipeline_run_url="https://gitlab.acme-bank.example/ml/retail-scorecard/-/pipelines/4711",
        )
        release.update_deployment_status(actor=owner, deployment=deployment, status="succeeded")
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
            break
        except (ValidationError, ConflictError, PermissionDenied):
            # The policy blocks this one outright: it stays pending, held back by its gate.
            continue
