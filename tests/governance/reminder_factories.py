"""Factories for the governance record tests: compliance records, risks, incidents, KPIs, approval requests."""

from datetime import timedelta

import factory
from django.utils import timezone

from governance.models import (
    ApprovalKind,
    ApprovalRequest,
    ComplianceRecord,
    Framework,
    Incident,
    IncidentSeverity,
    KPIDefinition,
    KPIMeasurement,
    LifecycleStage,
    Requirement,
    Risk,
    RiskCategory,
)
from governance.services.monitoring import refresh_latest_state
from tests.governance.inventory_factories import AIModelFactory


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Framework
        django_get_or_create = ("key", "version")

    key = "reminder-test-framework"
    version = "1"
    name = "Test Framework"
    content_hash = "0" * 64


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    framework = factory.SubFactory(FrameworkFactory)
    ref = factory.Sequence(lambda n: f"Art. {n}")
    title = "Risk management system"
    description = "Keep a risk management system."


class ComplianceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComplianceRecord

    model = factory.SubFactory(AIModelFactory)
    organisation = factory.SelfAttribute("model.organisation")
    requirement = factory.SubFactory(RequirementFactory)


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Risk

    model = factory.SubFactory(AIModelFactory)
    organisation = factory.SelfAttribute("model.organisation")
    title = factory.Sequence(lambda n: f"Risk {n}")
    category = RiskCategory.FAIRNESS
    likelihood = 3
    impact = 4


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    model = factory.SubFactory(AIModelFactory)
    organisation = factory.SelfAttribute("model.organisation")
    title = factory.Sequence(lambda n: f"Incident {n}")
    description = "The scoring service stopped answering."
    severity = IncidentSeverity.HIGH
    occurred_at = factory.LazyFunction(timezone.now)
    detected_at = factory.LazyFunction(timezone.now)


class KPIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KPIDefinition

    model = factory.SubFactory(AIModelFactory)
    name = factory.Sequence(lambda n: f"AUC {n}")
    direction = "higher"
    target = 0.85
    warning_threshold = 0.8
    critical_threshold = 0.7


def measure(kpi: KPIDefinition, *values: float) -> None:
    """Record ``values`` oldest first, the last one an hour ago."""
    now = timezone.now()
    for age, value in enumerate(reversed(values), start=1):
        KPIMeasurement.objects.create(kpi=kpi, value=value, measured_at=now - timedelta(hours=age))
    # Stored directly rather than through record_measurements: set the KPI's latest state from them.
    refresh_latest_state(KPIDefinition.objects.filter(pk=kpi.pk))


class ApprovalRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalRequest

    model = factory.SubFactory(AIModelFactory)
    organisation = factory.SelfAttribute("model.organisation")
    kind = ApprovalKind.STAGE_CHANGE
    requested_stage = LifecycleStage.PRODUCTION
    requested_by = factory.SelfAttribute("model.owner")
