"""Demo model inventory for `seed_demo`: a retail and corporate bank's models across stages and tiers, with
two years of history.

Everything goes through the services (so the audit trail and approval history look real); then each model's
records are dated back along the model's own history (``governance.demo.history``): added to the inventory,
versions registered, moved to validation, approved for production, versions promoted, in that order. Idempotent:
a model that already exists by name is left as it is.
"""

from datetime import timedelta

from django.utils import timezone

from governance.demo.history import backdate, days_ago
from governance.models import (
    AIModel,
    ApprovalRequest,
    BusinessUnit,
    LifecycleStage,
    Organisation,
    ReleasePolicy,
    RiskTier,
)
from governance.rules.release_policy import PROFILES, TARGETS
from governance.services import inventory as services
from governance.services import release

UNITS = ("Retail Banking", "Corporate & Investment Banking")
# Models of group functions ("Group Risk", "Operations" below) belong to no unit but to the whole organisation.

# name, unit, purpose, model type, EU AI Act, materiality, complexity, decisions about people, personal data
# (when it differs from "makes or supports decisions about people"), vendor, runs in real time, target stage,
# ``since``: added to the inventory that many days ago; versions (oldest first): label, metrics, registered that
# many days ago (a label with ``{:...}`` is formatted with the registration date); each is promoted in turn when
# the model reaches production; what happens last ("pending_promotion" leaves the newest version waiting,
# "pending_validation" a validation request open, "rejected_validation" records a refused request).
MODELS: tuple[dict, ...] = (
    {
        "name": "Retail credit scorecard",
        "unit": "Retail Banking",
        "purpose": "Scores personal-loan applications; the score drives approve/refer/decline.",
        "model_type": "Logistic regression scorecard",
        "eu": "high_risk",
        "materiality": 5,
        "complexity": 2,
        "people": "makes",
        "realtime": True,
        "stage": "production",
        "since": 700,
        # 3.2.0 is the recalibration after the drift incident (governance.demo.risks).
        "versions": [("3.1.0", {"gini": 0.61, "ks": 0.44}, 655), ("3.2.0", {"gini": 0.63, "ks": 0.46}, 40)],
    },
    {
        "name": "Mortgage affordability model",
        "unit": "Retail Banking",
        "purpose": "Estimates sustainable monthly repayments for mortgage applicants.",
        "model_type": "Gradient-boosted trees",
        "eu": "high_risk",
        "materiality": 5,
        "complexity": 4,
        "people": "supports",
        "realtime": True,
        "stage": "production",
        "since": 640,
        # AUC: how well the estimated headroom ranks applicants by 12-month arrears (also a monitored KPI).
        "versions": [
            ("1.4.2", {"mae": 112.5, "auc": 0.86}, 600),
            ("1.5.0", {"mae": 104.1, "auc": 0.87}, 150),
        ],
    },
    {
        "name": "Card transaction fraud detector",
        "unit": "Operations",
        "purpose": "Flags card payments in real time for blocking or step-up authentication.",
        "model_type": "Gradient-boosted trees + rules",
        "eu": "minimal",
        "materiality": 5,
        "complexity": 5,
        "people": "supports",
        "realtime": True,
        "stage": "production",
        "since": 560,
        "versions": [
            ("{:%Y.%m}", {"auc": 0.951, "precision_at_1pct": 0.36}, 520),
            ("{:%Y.%m}", {"auc": 0.957, "precision_at_1pct": 0.39}, 300),
            ("{:%Y.%m}", {"auc": 0.962, "precision_at_1pct": 0.41}, 130),
            ("{:%Y.%m}", {"auc": 0.968, "precision_at_1pct": 0.43}, 12),
        ],
        "after": "pending_promotion",
    },
    {
        "name": "AML transaction monitoring",
        "unit": "Group Risk",
        "purpose": "Prioritises alerts of suspicious activity for the financial-crime investigators.",
        "model_type": "Isolation forest + scenario rules",
        "eu": "minimal",
        "materiality": 4,
        "complexity": 4,
        "people": "supports",
        "stage": "production",
        "since": 520,
        "versions": [("5.0.0", {"alert_precision": 0.18}, 480)],
    },
    {
        "name": "IFRS 9 PD model — corporate",
        "unit": "Corporate & Investment Banking",
        "purpose": "Probability of default for corporate exposures, feeding expected credit loss provisions.",
        "model_type": "Logistic regression with macro overlays",
        "eu": "minimal",
        "materiality": 5,
        "complexity": 3,
        "people": "none",
        "stage": "validation",
        "since": 330,
        "versions": [("{:%Y}.1", {"auroc": 0.79}, 210)],
    },
    {
        "name": "Customer churn propensity",
        "unit": "Retail Banking",
        "purpose": "Ranks current-account customers by likelihood of leaving, for retention campaigns.",
        "model_type": "Gradient-boosted trees",
        "eu": "minimal",
        "materiality": 2,
        "complexity": 3,
        "people": "none",
        "personal_data": True,  # scores identified customers, though no decision about them follows
        "stage": "production",
        "since": 460,
        "versions": [("0.9.0", {"auc": 0.74}, 420), ("1.0.0", {"auc": 0.77}, 100)],
    },
    {
        "name": "Complaint triage classifier",
        "unit": "Operations",
        "purpose": "Routes incoming customer complaints to the right team and flags vulnerable customers.",
        "model_type": "Fine-tuned transformer",
        "eu": "limited",
        "materiality": 3,
        "complexity": 4,
        "people": "supports",
        "realtime": True,
        "stage": "development",
        "since": 240,
        "versions": [("0.2.0", {"macro_f1": 0.64}, 95), ("0.3.0", {"macro_f1": 0.71}, 30)],
        "after": "pending_validation",
    },
    {
        "name": "Relationship manager assistant (LLM)",
        "unit": "Corporate & Investment Banking",
        "purpose": "Drafts client meeting briefs from CRM notes and public filings for relationship managers.",
        "model_type": "Hosted large language model with retrieval",
        "eu": "limited",
        "materiality": 3,
        "complexity": 5,
        "people": "none",
        "personal_data": True,  # prompts carry client names and positions
        "vendor": "Example AI Ltd",
        "realtime": True,
        "stage": "development",
        "since": 200,
        "versions": [("pilot-1", {"groundedness": 0.79}, 120), ("pilot-2", {"groundedness": 0.86}, 60)],
        "after": "rejected_validation",
    },
    {
        "name": "Treasury liquidity forecaster",
        "unit": "Corporate & Investment Banking",
        "purpose": "Forecasts 30-day net cash outflows for the liquidity coverage ratio.",
        "model_type": "Gradient-boosted trees on time-series features",
        "eu": "minimal",
        "materiality": 4,
        "complexity": 3,
        "people": "none",
        "stage": "production",
        "since": 600,
        "versions": [("4.2", {"mape": 0.061}, 560)],
    },
    {
        "name": "Collections next-best-action",
        "unit": "Retail Banking",
        "purpose": "Suggests the contact strategy for customers in early arrears.",
        "model_type": "Uplift model",
        "eu": "minimal",
        "materiality": 3,
        "complexity": 3,
        "people": "supports",
        "stage": "proposed",
        "since": 45,
        "versions": [],
    },
    {
        "name": "KYC document OCR",
        "unit": "Operations",
        "purpose": "Extracts fields from identity documents during onboarding.",
        "model_type": "Vendor OCR service",
        "eu": "minimal",
        "materiality": 2,
        "complexity": 2,
        "people": "supports",
        "vendor": "DocuRead BV",
        "realtime": True,
        "stage": "production",
        "since": 500,
        "versions": [("vendor-7.3", {"field_accuracy": 0.97}, 450)],
    },
    {
        "name": "Legacy behavioural score (v1)",
        "unit": "Retail Banking",
        "purpose": "The previous behavioural score for credit-card limits; replaced by the retail scorecard.",
        "model_type": "Logistic regression scorecard",
        "eu": "high_risk",
        "materiality": 4,
        "complexity": 2,
        "people": "makes",
        "stage": "retired",
        "since": 730,
        "versions": [("1.0", {"gini": 0.52}, 725)],
    },
    {
        "name": "Branch footfall forecaster",
        "unit": "Retail Banking",
        "purpose": "Forecasts weekly branch visits to plan staffing.",
        "model_type": "Prophet time-series model",
        "eu": "minimal",
        "materiality": 1,
        "complexity": 2,
        "people": "none",
        "stage": "development",
        "since": 90,
        "versions": [("0.1.0", {"mape": 0.12}, 35)],
    },
)

# How the history unfolds, in days after the first version was registered: the request to move to validation,
# its approval, the independent validation's end (the request for production) and the production approval,
# which comes with the first version's promotion. A later version's promotion is requested and approved a few
# days after its registration (a pending one a week after).
TO_VALIDATION, VALIDATION_APPROVED, TO_PRODUCTION, PRODUCTION_APPROVED = 10, 31, 75, 80
PROMOTION_REQUESTED, PROMOTION_APPROVED, PENDING_PROMOTION = 12, 15, 7
# Models are revalidated every year when high or critical, every two years otherwise (the review cycle).
REVIEW_DAYS = {RiskTier.CRITICAL: 365, RiskTier.HIGH: 365, RiskTier.MEDIUM: 730, RiskTier.LOW: 730}


def _approve_stage(model: AIModel, stage: str, users: dict, justification: str) -> ApprovalRequest:
    request = services.request_stage_change(
        actor=users["model_owner"], model=model, stage=stage, justification=justification
    )
    services.decide_approval(
        actor=users["risk_officer"],
        request=request,
        approve=True,
        comment="Validation evidence reviewed.",
    )
    model.refresh_from_db()
    return request


def _decided(request: ApprovalRequest, requested: float, decided: float | None, salt: str) -> None:
    """Date a request ``requested`` days ago and its decision ``decided`` days ago (None: still pending)."""
    fields = {"requested_at": days_ago(requested, f"{salt}|requested")}
    if decided is not None:
        fields["decided_at"] = days_ago(decided, f"{salt}|decided")
    backdate(request, **fields)


def _label(label: str, registered: int) -> str:
    return label.format(timezone.localdate() - timedelta(days=registered)) if "{" in label else label


def _seed_model(index: int, spec: dict, organisation: Organisation, units: dict, users: dict) -> None:
    owner, admin = users["model_owner"], users["admin"]
    vendor = spec.get("vendor", "")
    name = spec["name"]
    model = services.create_model(
        actor=admin,
        organisation=organisation,
        name=name,
        purpose=spec["purpose"],
        business_unit=units.get(spec["unit"]),
        owner=owner,
        model_type=spec["model_type"],
        eu_ai_act_category=spec["eu"],
        materiality=spec["materiality"],
        complexity=spec["complexity"],
        processes_personal_data=spec.get("personal_data", spec["people"] != "none"),
        decisions_about_people=spec["people"],
        third_party=bool(vendor),
        vendor=vendor,
        deployment_environment="AWS eu-west-1, real-time API"
        if spec.get("realtime")
        else "On-premises Kubernetes, batch",
    )
    backdate(model, created_at=days_ago(spec["since"], name))
    versions = []
    for position, (label, metrics, registered) in enumerate(spec["versions"]):
        version = services.register_version(
            actor=owner,
            model=model,
            version=_label(label, registered),
            metrics=metrics,
            artifact_uri=f"s3://acme-models/{model.pk}/{_label(label, registered)}/model.pkl",
            code_commit=f"{index:02d}a{position}f3c9e",
            training_data_ref=f"s3://acme-data/{model.pk}/training-snapshot-{position + 1}.parquet",
        )
        backdate(version, registered_at=days_ago(registered, f"{name}|{label}"))
        versions.append((version, registered))
    target, after = spec["stage"], spec.get("after")
    first = versions[0][1] if versions else 0
    validated = None  # when the model was last independently validated
    if target != LifecycleStage.PROPOSED:
        services.request_stage_change(actor=owner, model=model, stage=LifecycleStage.DEVELOPMENT)
        model.refresh_from_db()
    if target in (LifecycleStage.VALIDATION, LifecycleStage.PRODUCTION, LifecycleStage.RETIRED):
        request = _approve_stage(
            model, LifecycleStage.VALIDATION, users, "Development complete; ready for validation."
        )
        _decided(request, first - TO_VALIDATION, first - VALIDATION_APPROVED, f"{name}|validation")
    if target in (LifecycleStage.PRODUCTION, LifecycleStage.RETIRED):
        request = _approve_stage(model, LifecycleStage.PRODUCTION, users, "Independent validation passed.")
        _decided(request, first - TO_PRODUCTION, first - PRODUCTION_APPROVED, f"{name}|production")
        validated = first - TO_PRODUCTION
        promoted = versions[:-1] if after == "pending_promotion" else versions
        for position, (version, registered) in enumerate(promoted):
            request = services.request_promotion(
                actor=owner,
                version=version,
                justification="First production version."
                if position == 0
                else "Better on the out-of-time sample; validation passed.",
            )
            services.decide_approval(
                actor=users["executive"],
                request=request,
                approve=True,
                comment="Approved for go-live." if position == 0 else "Challenger outperforms.",
            )
            if position == 0:
                _decided(
                    request, first - PRODUCTION_APPROVED, first - PRODUCTION_APPROVED - 1, f"{name}|go-live"
                )
            else:
                _decided(
                    request,
                    registered - PROMOTION_REQUESTED,
                    registered - PROMOTION_APPROVED,
                    f"{name}|{version.version}",
                )
                validated = registered - PROMOTION_REQUESTED
    if target == LifecycleStage.RETIRED:
        services.request_stage_change(actor=owner, model=model, stage=LifecycleStage.RETIRED)
    if after == "pending_promotion":
        version, registered = versions[-1]
        request = services.request_promotion(
            actor=owner, version=version, justification="Higher AUC at the same alert volume."
        )
        _decided(request, registered - PENDING_PROMOTION, None, f"{name}|pending")
    elif after == "pending_validation":
        request = services.request_stage_change(
            actor=owner,
            model=model,
            stage=LifecycleStage.VALIDATION,
            justification="Ready for validation.",
        )
        _decided(request, 6, None, f"{name}|pending")
    elif after == "rejected_validation":
        request = services.request_stage_change(
            actor=owner,
            model=model,
            stage=LifecycleStage.VALIDATION,
            justification="Pilot users are happy with the briefs.",
        )
        services.decide_approval(
            actor=users["risk_officer"],
            request=request,
            approve=False,
            comment="No hallucination testing or vendor due diligence yet; resubmit with evidence.",
        )
        _decided(request, 38, 31, f"{name}|rejected")
    _set_review_dates(model, target, validated)


def _set_review_dates(model: AIModel, stage: str, validated: int | None) -> None:
    """Last validated when the latest version passed validation; the next review a review cycle later (so the
    models validated longest ago are overdue). Models not yet validated: their first validation is planned."""
    today = timezone.localdate()
    if stage == LifecycleStage.RETIRED:
        last, due = today - timedelta(days=validated or 0), None
    elif validated is not None:
        last = today - timedelta(days=validated)
        due = last + timedelta(days=REVIEW_DAYS[model.risk_tier])
    else:
        # Planned a few weeks to a few months out, as each project's plan has it.
        last, due = (
            None,
            today + timedelta(days=30 if stage == LifecycleStage.VALIDATION else 40 + model.pk % 5 * 17),
        )
    AIModel.objects.filter(pk=model.pk).update(last_validated_on=last, next_review_due=due)


def seed_inventory_demo(organisation: Organisation, users: dict) -> None:
    """Create the demo inventory for ``organisation``; ``users`` maps role values to users."""
    admin = users["admin"]
    # The history below predates the release policy: its decisions were checked by people only (version 1).
    # ``governance.demo.release`` then adopts Plumbline's default as version 2, which today's requests face.
    if not ReleasePolicy.objects.filter(organisation=organisation).exists():
        policy = release.update_release_policy(
            actor=admin,
            organisation=organisation,
            rules={"profiles": {profile: {target: [] for target in TARGETS} for profile in PROFILES}},
            note="Before the release policy: approvals were checked by people only.",
        )
        backdate(policy, created_at=days_ago(max(spec["since"] for spec in MODELS) + 5, "policy"))
    units = {
        name: BusinessUnit.objects.get_or_create(organisation=organisation, name=name)[0] for name in UNITS
    }
    for index, spec in enumerate(MODELS):
        if AIModel.objects.filter(organisation=organisation, name=spec["name"]).exists():
            continue
        _seed_model(index, spec, organisation, units, users)
