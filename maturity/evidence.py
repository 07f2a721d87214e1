"""Evidence signals: what Plumbline's own records show about a practice the questionnaire asks about.

Each signal counts a population of records in the assessment's scope (the organisation, or one business unit)
and how many of them meet a criterion, e.g. "production models" that "have a KPI with thresholds measured in the
last 31 days". The questionnaire data (``evidence:`` on a question) names the signal and the share each level
needs; ``maturity.scoring.supported_level`` turns the observed share into the highest level it supports.

Signals over the same kind of record are counted in one aggregate query, so computing all of them costs one
query per kind (models, approvals, incidents, compliance records) whatever the size of the estate. The records
behind a figure are listed by ``records``, with the same population and criterion, so what a page links to is
exactly what it counted.

Adding a signal is one ``Signal`` entry below; the questionnaire loader refuses a signal name that is not here.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Case, Count, Exists, F, Model, OuterRef, Q, QuerySet, Value, When
from django.db.models.fields import BooleanField
from django.urls import reverse

from governance.models import (
    AIModel,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    ComplianceRecord,
    ComplianceStatus,
    DecisionsAboutPeople,
    Deployment,
    DeploymentEnvironment,
    Incident,
    IncidentStatus,
    KPIDefinition,
    KPIKind,
    LifecycleStage,
    ModelVersion,
    Risk,
    RiskCategory,
    RiskStatus,
    RiskTier,
    Validation,
    ValidationOutcome,
    VersionStatus,
)

# A KPI measured less recently than this is not "monitored": monthly is the slowest cadence a bank's model
# monitoring standard usually allows for production models.
MONITORING_CADENCE_DAYS = 31
# SR 11-7 expects validation at least annually for material models.
VALIDATION_VALID_DAYS = 365
# A residual (or, before mitigation, inherent) score of 15 or more is in the top band of the 5x5 heat map.
HIGH_RISK_SCORE = 15


@dataclass(frozen=True)
class Scope:
    """Whose records a signal counts: an organisation, or one of its business units, on a given day."""

    organisation_id: int
    business_unit_id: int | None
    today: datetime.date


@dataclass(frozen=True)
class Signal:
    key: str
    title: str
    # Read as "<share> of <population> <criterion>": "42 % of production models have ...".
    population: str
    criterion: str
    record_kind: str
    # The records counted (a Q on the record kind's queryset in scope) and those that meet the criterion.
    counted: Callable[[Scope], Q]
    meets: Callable[[Scope], Q]


@dataclass(frozen=True)
class Observation:
    """A signal's value for one scope and day; stored as a dict with a submitted assessment."""

    signal: str
    meeting: int
    total: int
    statement: str
    observed_on: str

    @property
    def share(self) -> float | None:
        return self.meeting / self.total if self.total else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Observation":
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class RecordKind:
    """A kind of record signals count: how to scope it, label a row and link to the record."""

    model: type[Model]
    in_scope: Callable[[Scope], Q]
    related: tuple[str, ...]
    order_by: tuple[str, ...]
    url: Callable[[Any], str]
    label: Callable[[Any], str]


def _models_in_scope(prefix: str = "") -> Callable[[Scope], Q]:
    def in_scope(scope: Scope) -> Q:
        q = Q(**{f"{prefix}organisation_id": scope.organisation_id})
        if scope.business_unit_id is not None:
            q &= Q(**{f"{prefix}business_unit_id": scope.business_unit_id})
        return q

    return in_scope


def _model_url(model: AIModel) -> str:
    return reverse("governance:model-detail", args=[model.pk])


RECORD_KINDS: dict[str, RecordKind] = {
    "model": RecordKind(
        model=AIModel,
        in_scope=_models_in_scope(),
        related=("business_unit",),
        order_by=("name", "pk"),
        url=_model_url,
        label=lambda m: m.name,
    ),
    "approval": RecordKind(
        model=ApprovalRequest,
        in_scope=lambda scope: (
            Q(organisation_id=scope.organisation_id)
            & (Q(model__business_unit_id=scope.business_unit_id) if scope.business_unit_id else Q())
        ),
        related=("model", "requested_by", "decided_by"),
        order_by=("-decided_at", "-pk"),
        url=lambda a: reverse("governance:approval-detail", args=[a.pk]),
        label=lambda a: f"{a.model.name}: {a.get_kind_display().lower()} (#{a.pk})",
    ),
    "incident": RecordKind(
        model=Incident,
        in_scope=lambda scope: (
            Q(organisation_id=scope.organisation_id)
            & (Q(model__business_unit_id=scope.business_unit_id) if scope.business_unit_id else Q())
        ),
        related=("model",),
        order_by=("-closed_at", "-pk"),
        url=lambda i: reverse("governance:incident-detail", args=[i.pk]),
        label=lambda i: f"{i.title} ({i.model.name})",
    ),
    "compliance record": RecordKind(
        model=ComplianceRecord,
        in_scope=lambda scope: (
            Q(organisation_id=scope.organisation_id)
            & (Q(model__business_unit_id=scope.business_unit_id) if scope.business_unit_id else Q())
        ),
        related=("model", "requirement__framework"),
        order_by=("model__name", "requirement__framework__key", "requirement__position", "pk"),
        url=lambda r: reverse("governance:compliance-model", args=[r.model_id, r.requirement.framework.key]),
        label=lambda r: f"{r.model.name}: {r.requirement.framework.key} {r.requirement.ref}",
    ),
}


# ---- conditions on models ------------------------------------------------------------------------------------

_PRODUCTION = Q(lifecycle_stage=LifecycleStage.PRODUCTION)
_IN_USE = ~Q(lifecycle_stage=LifecycleStage.RETIRED)


def _production(_scope: Scope) -> Q:
    return _PRODUCTION


def _champion(**conditions: Any) -> Exists:
    return Exists(
        ModelVersion.objects.filter(model_id=OuterRef("pk"), status=VersionStatus.CHAMPION, **conditions)
    )


def _monitored(scope: Scope) -> Q:
    since = scope.today - datetime.timedelta(days=MONITORING_CADENCE_DAYS)
    return Q(
        Exists(
            KPIDefinition.objects.filter(model_id=OuterRef("pk"), latest_measured_at__date__gte=since).filter(
                Q(warning_threshold__isnull=False) | Q(critical_threshold__isnull=False)
            )
        )
    )


def _validated_independently(scope: Scope) -> Q:
    since = scope.today - datetime.timedelta(days=VALIDATION_VALID_DAYS)
    return Q(
        Exists(
            Validation.objects.filter(
                model_id=OuterRef("pk"),
                completed_on__gte=since,
                outcome__in=[ValidationOutcome.APPROVED, ValidationOutcome.APPROVED_WITH_CONDITIONS],
            )
            # Independent: neither the model's owner nor one of its developers.
            .exclude(validator_id=OuterRef("owner_id"))
            .exclude(validator__developed_ai_models=OuterRef("pk"))
        )
    )


def _risk_assessed_without_unmitigated_high(_scope: Scope) -> Q:
    assessed = Exists(Risk.objects.filter(model_id=OuterRef("pk"), residual_score__isnull=False))
    unmitigated_high = Exists(
        Risk.objects.filter(
            model_id=OuterRef("pk"),
            status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING],
            mitigation="",
        ).filter(
            Q(residual_score__gte=HIGH_RISK_SCORE)
            | Q(residual_score__isnull=True, inherent_score__gte=HIGH_RISK_SCORE)
        )
    )
    return Q(assessed) & ~Q(unmitigated_high)


def _released_through_approvals(_scope: Scope) -> Q:
    approved_promotion = Exists(
        ApprovalRequest.objects.filter(
            model_id=OuterRef("pk"),
            kind=ApprovalKind.PROMOTE_VERSION,
            status=ApprovalStatus.APPROVED,
            overridden=False,
        )
    )
    ungated = Exists(Deployment.objects.filter(model_id=OuterRef("pk"), without_approval=True))
    return Q(approved_promotion) & ~Q(ungated)


def _deployed_through_gate(_scope: Scope) -> Q:
    return Q(
        Exists(
            Deployment.objects.filter(
                model_id=OuterRef("pk"),
                environment=DeploymentEnvironment.PRODUCTION,
                gate_decision__allowed=True,
                without_approval=False,
            )
        )
    )


SIGNALS: dict[str, Signal] = {}


def register(signal: Signal) -> Signal:
    if signal.key in SIGNALS:
        raise ValueError(f"Evidence signal '{signal.key}' is registered twice.")
    if signal.record_kind not in RECORD_KINDS:
        raise ValueError(f"Evidence signal '{signal.key}': unknown record kind '{signal.record_kind}'.")
    SIGNALS[signal.key] = signal
    return signal


register(
    Signal(
        key="inventory-completeness",
        title="Inventory completeness",
        population="models in use",
        criterion="have a purpose and a review date that is not overdue",
        record_kind="model",
        counted=lambda scope: _IN_USE,
        meets=lambda scope: ~Q(purpose="") & Q(next_review_due__gte=scope.today),
    )
)
register(
    Signal(
        key="monitoring-coverage",
        title="Monitoring coverage",
        population="production models",
        criterion=f"have a KPI with thresholds measured in the last {MONITORING_CADENCE_DAYS} days",
        record_kind="model",
        counted=_production,
        meets=_monitored,
    )
)
register(
    Signal(
        key="business-kpis",
        title="Business KPIs",
        population="production models",
        criterion="have a business KPI with a target",
        record_kind="model",
        counted=_production,
        meets=lambda scope: Q(
            Exists(
                KPIDefinition.objects.filter(
                    model_id=OuterRef("pk"), kind=KPIKind.BUSINESS, target__isnull=False
                )
            )
        ),
    )
)
register(
    Signal(
        key="registered-champion",
        title="Registry use",
        population="production models",
        criterion="have a champion version registered with its artifact",
        record_kind="model",
        counted=_production,
        meets=lambda scope: Q(_champion(artifact_uri__gt="")),
    )
)
register(
    Signal(
        key="lineage-completeness",
        title="Reproducibility and lineage",
        population="production models",
        criterion="have a champion version recording its artifact, code commit and training data",
        record_kind="model",
        counted=_production,
        meets=lambda scope: Q(_champion(artifact_uri__gt="", code_commit__gt="", training_data_ref__gt="")),
    )
)
register(
    Signal(
        key="gated-deployments",
        title="Deployment through the gate",
        population="production models",
        criterion="were deployed to production by a pipeline through the deployment gate",
        record_kind="model",
        counted=_production,
        meets=_deployed_through_gate,
    )
)
register(
    Signal(
        key="approved-releases",
        title="Controlled releases",
        population="production models",
        criterion="had a version promoted through an approved request, with no deployment outside it",
        record_kind="model",
        counted=_production,
        meets=_released_through_approvals,
    )
)
register(
    Signal(
        key="risk-assessment-coverage",
        title="Risk assessment",
        population="production models",
        criterion="have an assessed risk and no open high risk without mitigation",
        record_kind="model",
        counted=_production,
        meets=_risk_assessed_without_unmitigated_high,
    )
)
register(
    Signal(
        key="fairness-assessment",
        title="Fairness assessment",
        population="models in use that make or inform decisions about people",
        criterion="have a fairness risk in the register",
        record_kind="model",
        counted=lambda scope: _IN_USE & ~Q(decisions_about_people=DecisionsAboutPeople.NONE),
        meets=lambda scope: Q(
            Exists(Risk.objects.filter(model_id=OuterRef("pk"), category=RiskCategory.FAIRNESS))
        ),
    )
)
register(
    Signal(
        key="independent-validation",
        title="Independent validation",
        population="Tier 1 and Tier 2 production models",
        criterion=(
            f"were validated in the last {VALIDATION_VALID_DAYS} days by someone who is neither their owner "
            "nor a developer"
        ),
        record_kind="model",
        counted=lambda scope: _PRODUCTION & Q(risk_tier__in=[RiskTier.CRITICAL, RiskTier.HIGH]),
        meets=_validated_independently,
    )
)
register(
    Signal(
        key="third-party-governance",
        title="Third-party models",
        population="third-party models in use",
        criterion="name their vendor and have an assessed risk",
        record_kind="model",
        counted=lambda scope: _IN_USE & Q(third_party=True),
        meets=lambda scope: (
            ~Q(vendor="")
            & Q(Exists(Risk.objects.filter(model_id=OuterRef("pk"), residual_score__isnull=False)))
        ),
    )
)
register(
    Signal(
        key="separation-of-duties",
        title="Separation of duties",
        population="decided approval requests",
        criterion="were decided by someone other than the requester, without a policy override",
        record_kind="approval",
        counted=lambda scope: Q(status__in=[ApprovalStatus.APPROVED, ApprovalStatus.REJECTED]),
        meets=lambda scope: ~Q(decided_by_id=F("requested_by_id")) & Q(overridden=False),
    )
)
register(
    Signal(
        key="incident-handling",
        title="Incident handling",
        population="closed incidents",
        criterion="record a root cause and the actions taken",
        record_kind="incident",
        counted=lambda scope: Q(status=IncidentStatus.CLOSED),
        meets=lambda scope: ~Q(root_cause="") & ~Q(actions_taken=""),
    )
)
register(
    Signal(
        key="compliance-coverage",
        title="Compliance coverage",
        population="applicable compliance requirements of models in use",
        criterion="are met, with no review overdue",
        record_kind="compliance record",
        counted=lambda scope: (
            ~Q(status=ComplianceStatus.NOT_APPLICABLE) & ~Q(model__lifecycle_stage=LifecycleStage.RETIRED)
        ),
        meets=lambda scope: (
            Q(status=ComplianceStatus.COMPLIANT)
            & (Q(next_review_due__isnull=True) | Q(next_review_due__gte=scope.today))
        ),
    )
)


def statement(signal: Signal, meeting: int, total: int) -> str:
    """The sentence a page shows: "42 % of production models have ... (21 of 50)"."""
    if not total:
        return f"No {signal.population} in scope, so there is nothing to observe."
    percent = round(100 * meeting / total)
    return f"{percent} % of {signal.population} {signal.criterion} ({meeting} of {total})."


def observe(scope: Scope, keys: Iterable[str]) -> dict[str, Observation]:
    """The observations of the named signals, in one aggregate query per record kind."""
    wanted = [SIGNALS[key] for key in dict.fromkeys(keys)]
    by_kind: dict[str, list[Signal]] = {}
    for signal in wanted:
        by_kind.setdefault(signal.record_kind, []).append(signal)
    observations: dict[str, Observation] = {}
    for kind_key, signals in by_kind.items():
        kind = RECORD_KINDS[kind_key]
        aggregates = {}
        for index, signal in enumerate(signals):
            counted = signal.counted(scope)
            aggregates[f"t{index}"] = Count("pk", filter=counted)
            aggregates[f"m{index}"] = Count("pk", filter=counted & signal.meets(scope))
        figures = kind.model._default_manager.filter(kind.in_scope(scope)).aggregate(**aggregates)
        for index, signal in enumerate(signals):
            meeting, total = figures[f"m{index}"] or 0, figures[f"t{index}"] or 0
            observations[signal.key] = Observation(
                signal=signal.key,
                meeting=meeting,
                total=total,
                statement=statement(signal, meeting, total),
                observed_on=scope.today.isoformat(),
            )
    return observations


@dataclass(frozen=True)
class EvidenceRecord:
    label: str
    url: str
    meets: bool


def records(scope: Scope, signal_key: str) -> QuerySet:
    """The records a signal counts in ``scope``, each annotated ``meets``; those that fall short come first."""
    signal = SIGNALS[signal_key]
    kind = RECORD_KINDS[signal.record_kind]
    return (
        kind.model._default_manager.filter(kind.in_scope(scope))
        .filter(signal.counted(scope))
        .select_related(*kind.related)
        .annotate(
            meets=Case(
                When(signal.meets(scope), then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .order_by("meets", *kind.order_by)
    )


def as_rows(signal_key: str, page: Iterable[Any]) -> list[EvidenceRecord]:
    """A page of ``records`` as label, link and whether each meets the criterion."""
    kind = RECORD_KINDS[SIGNALS[signal_key].record_kind]
    return [EvidenceRecord(label=kind.label(obj), url=kind.url(obj), meets=obj.meets) for obj in page]
