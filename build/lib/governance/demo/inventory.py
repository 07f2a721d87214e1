"""Demo model inventory for `seed_demo`: a retail and corporate bank's models across stages and tiers.

Everything goes through the services (so the audit trail and approval history look real). Idempotent: a
model that already exists by name is left as it is.
"""

from datetime import timedelta

from django.utils import timezone

from governance.models import AIModel, BusinessUnit, LifecycleStage, Organisation, ReleasePolicy
from governance.rules.release_policy import PROFILES, TARGETS
from governance.services import inventory as services
from governance.services import release

UNITS = ("Retail Banking", "Corporate & Investment Banking")
# Models of group functions ("Group Risk", "Operations" below) belong to no unit but to the whole organisation.

# name, unit, purpose, model type, EU AI Act, materiality, complexity, personal data, decisions, vendor,
# target stage, versions (oldest first; the last one is promoted when the model reaches production),
# what happens last ("pending" leaves a request open, "rejected" records a refused request).
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
        "stage": "production",
        "versions": [("3.1.0", {"gini": 0.61, "ks": 0.44}), ("3.2.0", {"gini": 0.63, "ks": 0.46})],
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
        "stage": "production",
        "versions": [("1.4.2", {"mae": 112.5}), ("1.5.0", {"mae": 104.1})],
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
        "stage": "production",
        "versions": [("2024.11", {"auc": 0.962, "precision_at_1pct": 0.41}), ("2025.02", {"auc": 0.968})],
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
        "versions": [("5.0.0", {"alert_precision": 0.18})],
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
        "versions": [("2025.1", {"auroc": 0.79})],
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
        "stage": "production",
        "versions": [("0.9.0", {"auc": 0.74}), ("1.0.0", {"auc": 0.77})],
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
        "stage": "development",
        "versions": [("0.3.0", {"macro_f1": 0.71})],
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
        "vendor": "Example AI Ltd",
        "stage": "development",
        "versions": [("pilot-2", {"groundedness": 0.86})],
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
        "versions": [("4.2", {"mape": 0.061})],
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
        "people": "none",
        "vendor": "DocuRead BV",
        "stage": "production",
        "versions": [("vendor-7.3", {"field_accuracy": 0.97})],
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
        "versions": [("1.0", {"gini": 0.52})],
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
        "versions": [("0.1.0", {"mape": 0.12})],
    },
)


def _approve_stage(model: AIModel, stage: str, users: dict, justification: str) -> None:
    request = services.request_stage_change(
        actor=users["model_owner"], model=model, stage=stage, justification=justification
    )
    if request is not None:
        services.decide_approval(
            actor=users["risk_officer"],
            request=request,
            approve=True,
            comment="Validation evidence reviewed.",
        )
    model.refresh_from_db()


def seed_inventory_demo(organisation: Organisation, users: dict) -> None:
    """Create the demo inventory for ``organisation``; ``users`` maps role values to users."""
    owner, admin = users["model_owner"], users["admin"]
    # The history below predates the release policy: its decisions were checked by people only (version 1).
    # ``governance.demo.release`` then adopts Plumbline's default as version 2, which today's requests face.
    if not ReleasePolicy.objects.filter(organisation=organisation).exists():
        release.update_release_policy(
            actor=admin,
            organisation=organisation,
            rules={"profiles": {profile: {target: [] for target in TARGETS} for profile in PROFILES}},
            note="Before the release policy: approvals were checked by people only.",
        )
    units = {
        name: BusinessUnit.objects.get_or_create(organisation=organisation, name=name)[0] for name in UNITS
    }
    today = timezone.localdate()
    for index, spec in enumerate(MODELS):
        if AIModel.objects.filter(organisation=organisation, name=spec["name"]).exists():
            continue
        vendor = spec.get("vendor", "")
        model = services.create_model(
            actor=admin,
            organisation=organisation,
            name=spec["name"],
            purpose=spec["purpose"],
            business_unit=units.get(spec["unit"]),
            owner=owner,
            model_type=spec["model_type"],
            eu_ai_act_category=spec["eu"],
            materiality=spec["materiality"],
            complexity=spec["complexity"],
            processes_personal_data=spec["people"] != "none",
            decisions_about_people=spec["people"],
            third_party=bool(vendor),
            vendor=vendor,
            deployment_environment="On-premises Kubernetes, batch"
            if index % 2
            else "AWS eu-west-1, real-time API",
            # Every fourth model is overdue for review so the filter has something to show.
            next_review_due=today + timedelta(days=-30 if index % 4 == 0 else 120 + index * 7),
            last_validated_on=today - timedelta(days=200 + index * 5),
        )
        versions = [
            services.register_version(
                actor=owner,
                model=model,
                version=label,
                metrics=metrics,
                artifact_uri=f"s3://acme-models/{model.pk}/{label}/model.pkl",
                code_commit=f"{index:02d}a{position}f3c9e",
                training_data_ref=f"s3://acme-data/{model.pk}/training-snapshot-{position + 1}.parquet",
            )
            for position, (label, metrics) in enumerate(spec["versions"])
        ]
        target = spec["stage"]
        if target != LifecycleStage.PROPOSED:
            services.request_stage_change(actor=owner, model=model, stage=LifecycleStage.DEVELOPMENT)
            model.refresh_from_db()
        if target in (LifecycleStage.VALIDATION, LifecycleStage.PRODUCTION, LifecycleStage.RETIRED):
            _approve_stage(
                model, LifecycleStage.VALIDATION, users, "Development complete; ready for validation."
            )
        if target in (LifecycleStage.PRODUCTION, LifecycleStage.RETIRED):
            _approve_stage(model, LifecycleStage.PRODUCTION, users, "Independent validation passed.")
            if versions:
                first = versions[0]
                request = services.request_promotion(
                    actor=owner, version=first, justification="First production version."
                )
                services.decide_approval(
                    actor=users["executive"], request=request, approve=True, comment="Approved for go-live."
                )
                if len(versions) > 1 and spec.get("after") != "pending_promotion":
                    request = services.request_promotion(
                        actor=owner, version=versions[-1], justification="Better on the hold-out sample."
                    )
                    services.decide_approval(
                        actor=users["executive"],
                        request=request,
                        approve=True,
                        comment="Challenger outperforms.",
                    )
        if target == LifecycleStage.RETIRED:
            services.request_stage_change(actor=owner, model=model, stage=LifecycleStage.RETIRED)
        after = spec.get("after")
        if after == "pending_promotion":
            services.request_promotion(
                actor=owner, version=versions[-1], justification="Higher AUC at the same alert volume."
            )
        elif after == "pending_validation":
            services.request_stage_change(
                actor=owner,
                model=model,
                stage=LifecycleStage.VALIDATION,
                justification="Ready for validation.",
            )
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
