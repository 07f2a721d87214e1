"""Throw-away data at realistic sizes for the benchmarks (``bench_reports``, ``bench_pages``).

Built with bulk inserts where the services would only add time, never called outside a transaction the caller
rolls back.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from governance.core.roles import Role
from governance.models import (
    AIModel,
    ComplianceRecord,
    ComplianceStatus,
    EUAIActCategory,
    Framework,
    Incident,
    KPIDefinition,
    KPIMeasurement,
    Membership,
    ModelVersion,
    Organisation,
    Risk,
    RiskTier,
)
from governance.services.monitoring import refresh_latest_state


def build_organisation(label: str) -> tuple[Organisation, dict[str, object]]:
    """An organisation with one member per role that the benchmarks act as: admin, assessor, executive,
    risk officer and auditor."""
    organisation = Organisation.objects.create(name=f"Benchmark Organisation (temporary, {label})")
    people = {}
    for role in (Role.ADMIN, Role.ASSESSOR, Role.EXECUTIVE, Role.RISK_OFFICER, Role.AUDITOR):
        user = get_user_model().objects.create(
            username=f"bench-{label}-{role}", first_name="Bench", last_name=str(role).title()
        )
        Membership.objects.create(user=user, organisation=organisation, role=role)
        people[role] = user
    return organisation, people


def build_inventory(organisation: Organisation, user, model_count: int, version_count: int) -> list[AIModel]:
    """``model_count`` models across tiers and EU AI Act categories, each with ``version_count`` versions."""
    tiers = RiskTier.values
    categories = [EUAIActCategory.HIGH_RISK, EUAIActCategory.LIMITED, EUAIActCategory.MINIMAL]
    created = AIModel.objects.bulk_create(
        AIModel(
            organisation=organisation,
            name=f"Benchmark model {index:04d}",
            purpose="Scores applications for the benchmark.",
            owner=user,
            risk_tier=tiers[index % len(tiers)],
            eu_ai_act_category=categories[index % len(categories)],
            third_party=index % 4 == 0,
            processes_personal_data=index % 2 == 0,
        )
        for index in range(model_count)
    )
    ModelVersion.objects.bulk_create(
        ModelVersion(model=model, version=f"1.{v}.0") for model in created for v in range(version_count)
    )
    return created


def build_compliance(organisation: Organisation, models: list[AIModel], reviewer) -> Framework | None:
    """Records for about two thirds of every model's applicable requirements of the first framework."""
    from governance.compliance_catalogue import load_all
    from governance.selectors.compliance import applicable_requirements, current_frameworks

    load_all()
    frameworks = current_frameworks()
    if not frameworks:
        return None
    framework = next((f for f in frameworks if f.key == "eu-ai-act"), frameworks[0])
    requirements = list(framework.requirements.order_by("position"))
    statuses = [
        ComplianceStatus.COMPLIANT,
        ComplianceStatus.COMPLIANT,
        ComplianceStatus.PARTIAL,
        ComplianceStatus.NON_COMPLIANT,
        ComplianceStatus.NOT_APPLICABLE,
    ]
    today = timezone.localdate()
    records = []
    for index, model in enumerate(models):
        for position, requirement in enumerate(applicable_requirements(model, framework, requirements)):
            if (index + position) % 3 == 0:
                continue
            status = statuses[(index + position) % len(statuses)]
            records.append(
                ComplianceRecord(
                    organisation=organisation,
                    model=model,
                    requirement=requirement,
                    status=status,
                    not_applicable_reason="Vendor model: the provider holds this duty."
                    if status == ComplianceStatus.NOT_APPLICABLE
                    else "",
                    evidence_link=f"https://dms.example.com/models/{model.pk}/{requirement.ref.replace(' ', '')}",
                    notes="Gap agreed with the model owner; remediation planned."
                    if status == ComplianceStatus.NON_COMPLIANT
                    else "",
                    reviewer=reviewer,
                    reviewed_at=timezone.now(),
                    next_review_due=today + timedelta(days=(index * 7 + position * 11) % 400 - 30),
                )
            )
    ComplianceRecord.objects.bulk_create(records)
    return framework


def build_model_records(organisation: Organisation, model: AIModel, officer) -> None:
    """A dossier worth reading: a dozen risks, incidents with losses, KPIs with a year of measurements."""
    now = timezone.now()
    for index in range(12):
        Risk(
            organisation=organisation,
            model=model,
            title=f"Benchmark risk {index}",
            category=["fairness", "privacy", "security", "robustness"][index % 4],
            description="Could harm customers if left untreated.",
            likelihood=1 + index % 5,
            impact=1 + (index * 2) % 5,
            residual_likelihood=1,
            residual_impact=1 + index % 3,
            mitigation="Monitoring and a quarterly review.",
            owner=officer,
        ).save()
    Incident.objects.bulk_create(
        Incident(
            organisation=organisation,
            model=model,
            title=f"Benchmark incident {index}",
            severity=["high", "medium", "low"][index % 3],
            occurred_at=now - timedelta(days=30 * index + 2),
            detected_at=now - timedelta(days=30 * index + 1),
            description="Scores drifted after an upstream change.",
            financial_loss=1000 * (index + 1),
            root_cause="Unversioned upstream data.",
            actions_taken="Data contracts added to the pipeline.",
            reported_by=officer,
        )
        for index in range(6)
    )
    for name in ("AUC", "Approval rate", "Latency p95"):
        kpi = KPIDefinition.objects.create(
            model=model, name=name, target=0.9, warning_threshold=0.8, critical_threshold=0.7
        )
        KPIMeasurement.objects.bulk_create(
            KPIMeasurement(kpi=kpi, measured_at=now - timedelta(days=day), value=0.8 + (day % 17) / 100)
            for day in range(365)
        )
    # Inserted in bulk, past record_measurements: the KPIs' latest state is set from what was stored.
    refresh_latest_state(KPIDefinition.objects.filter(model=model))
