"""Model inventory reads: the filtered list (pages, CSV export, API) and one model with its history."""

import json
from collections.abc import Iterable, Iterator

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from governance.core.exports import Column, csv_stream
from governance.models import (
    AIModel,
    ApprovalRequest,
    ApprovalStatus,
    BusinessUnit,
    Deployment,
    LifecycleStage,
    ModelVersion,
    Organisation,
    RiskTier,
    VersionStatus,
)
from governance.models.monitoring import KPIDefinition
from governance.rules.kpi_status import CRITICAL, WARNING
from governance.selectors.filters import OrganisationFilterSet
from governance.selectors.kpi_health import model_has_degrading_kpi, model_has_stale_kpi
from governance.selectors.monitoring import in_breach, worst_severity_of_model, worst_status_is


def models_for(organisation: Organisation) -> QuerySet[AIModel]:
    """The organisation's models with what list rows show, in a constant number of queries."""
    return with_kpi_severity(
        AIModel.objects.filter(organisation=organisation).select_related("business_unit", "owner")
    )


def with_kpi_severity(queryset: QuerySet[AIModel]) -> QuerySet[AIModel]:
    """Models annotated with ``kpi_severity``: their worst KPI (0 ok, 1 warning, 2 critical, None no data)."""
    if "kpi_severity" in queryset.query.annotations:
        return queryset
    return queryset.annotate(kpi_severity=worst_severity_of_model())


def with_production_deployment_unapproved(
    queryset: QuerySet[AIModel], value: bool = True
) -> QuerySet[AIModel]:
    """Models whose latest production deployment was (value=True) or was not (False) of something other than
    the approved champion of a model approved for production, and did not fail."""
    latest = Deployment.objects.filter(model=OuterRef("pk"), environment="production").order_by(
        "-recorded_at", "-id"
    )
    flagged = Q(latest_without_approval=True, latest_status__in=["started", "succeeded"])
    queryset = queryset.annotate(
        latest_without_approval=Subquery(latest.values("without_approval")[:1]),
        latest_status=Subquery(latest.values("status")[:1]),
    )
    return queryset.filter(flagged) if value else queryset.exclude(flagged)


def overdue_q(today=None) -> Q:
    today = today or timezone.localdate()
    return Q(next_review_due__lt=today) & ~Q(lifecycle_stage=LifecycleStage.RETIRED)


class AIModelFilter(OrganisationFilterSet):
    """Filters shared by the list page, the CSV export and the API."""

    q = django_filters.CharFilter(method="filter_search", label="Search name or purpose", max_length=200)
    lifecycle_stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices, label="Stage")
    risk_tier = django_filters.ChoiceFilter(choices=RiskTier.choices, label="Risk tier")
    business_unit = django_filters.ModelChoiceFilter(
        queryset=BusinessUnit.objects.none(), label="Business unit"
    )
    owner = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label="Owner")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Review overdue")
    kpi_breach = django_filters.BooleanFilter(method="filter_kpi_breach", label="KPI breach")
    kpi_status = django_filters.ChoiceFilter(
        choices=[(WARNING, "Warning"), (CRITICAL, "Critical")],
        method="filter_kpi_status",
        label="Worst KPI status",
    )
    kpi_stale = django_filters.BooleanFilter(method="filter_kpi_stale", label="KPI monitoring stale")
    kpi_degrading = django_filters.BooleanFilter(method="filter_kpi_degrading", label="KPI degrading")
    running_without_approval = django_filters.BooleanFilter(
        method="filter_running_without_approval", label="Running in production without approval"
    )
    name = django_filters.CharFilter(
        field_name="name", lookup_expr="exact", max_length=200, label="Exact name"
    )

    class Meta:
        model = AIModel
        fields = [
            "q",
            "lifecycle_stage",
            "risk_tier",
            "business_unit",
            "owner",
            "overdue",
            "kpi_breach",
            "kpi_status",
            "kpi_stale",
            "kpi_degrading",
            "running_without_approval",
            "name",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = self.organisation_ids
        self.filters["business_unit"].queryset = BusinessUnit.objects.filter(organisation__in=organisations)
        self.filters["owner"].queryset = (
            get_user_model()
            .objects.filter(memberships__organisation__in=organisations)
            .distinct()
            .order_by("username")
        )

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(purpose__icontains=value))

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_kpi_breach(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        """Models with (True) or without (False) a KPI at or past its warning or critical threshold."""
        if value is None:
            return queryset
        return queryset.filter(in_breach() if value else ~Q(in_breach()))

    def filter_kpi_stale(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        """Models with (True) or without (False) a KPI not measured within its expected cadence."""
        if value is None:
            return queryset
        return queryset.filter(model_has_stale_kpi() if value else ~Q(model_has_stale_kpi()))

    def filter_kpi_degrading(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        """Models with (True) or without (False) a KPI the degradation check flags."""
        if value is None:
            return queryset
        return queryset.filter(model_has_degrading_kpi() if value else ~Q(model_has_degrading_kpi()))

    def filter_running_without_approval(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return with_production_deployment_unapproved(queryset, value)

    def filter_kpi_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Models whose worst KPI is exactly this status (critical is not also listed under warning)."""
        if not value:
            return queryset
        return queryset.filter(worst_status_is(value))


# A pipeline registers a version per training run: the promotion select offers only the most recent candidates.
PROMOTION_CHOICES = 50


def versions_of(model: AIModel) -> QuerySet[ModelVersion]:
    return model.versions.select_related("registered_by").order_by("-registered_at", "-pk")


VERSION_EXPORT_COLUMNS = (
    Column("model", width=30),
    Column("version", width=14),
    Column("status", width=10),
    Column("registered_at", "datetime", 22),
    Column("registered_by", width=16),
    Column("artifact_uri", width=40),
    Column("code_commit", width=14),
    Column("training_data_ref", width=40),
    Column("metrics", width=40),
    Column("notes", width=40),
)


def version_rows(model: AIModel) -> Iterator[list]:
    """Every version of the model, newest first, metrics as canonical JSON (streamed in chunks)."""
    for version in versions_of(model).iterator(chunk_size=2000):
        yield [
            model.name,
            version.version,
            version.status,
            version.registered_at,
            version.registered_by.get_username() if version.registered_by else None,
            version.artifact_uri,
            version.code_commit,
            version.training_data_ref,
            json.dumps(version.metrics, sort_keys=True) if version.metrics else None,
            version.notes,
        ]


def _promotable(versions: QuerySet[ModelVersion]) -> QuerySet[ModelVersion]:
    return versions.exclude(status__in=[VersionStatus.CHAMPION, VersionStatus.RETIRED])


def promotable_versions_of(model: AIModel, limit: int = PROMOTION_CHOICES) -> QuerySet[ModelVersion]:
    """The model's ``limit`` most recent versions that may still become champion, newest first.

    Filtered by a subquery rather than sliced, so a form can still look a chosen version up in it.
    """
    recent = _promotable(model.versions.order_by("-registered_at", "-pk")).values("pk")[:limit]
    return model.versions.filter(pk__in=recent).order_by("-registered_at", "-pk")


def version_by_label(
    model: AIModel, label: str, versions: QuerySet[ModelVersion] | None = None
) -> ModelVersion:
    """The model's version with this label, as a pipeline names it in a path (``versions``: a queryset of them
    to read it from, e.g. with related rows), or 404."""
    # No stored label holds a NUL or is longer than the field (and PostgreSQL refuses a NUL in a query).
    if "\x00" in label or len(label) > ModelVersion._meta.get_field("version").max_length:
        raise Http404("No such version.")
    found = (
        (versions if versions is not None else ModelVersion.objects)
        .filter(model=model, version=label)
        .first()
    )
    if found is None:
        raise Http404("No such version.")
    return found


def release_candidates(model: AIModel, limit: int = PROMOTION_CHOICES) -> list[ModelVersion]:
    """The model's champion (if any) and then its ``limit`` most recent promotable versions, newest first: in
    one query, what the model page's release readiness (the champion, else the newest candidate) and its
    promotion form (the candidates) both need."""
    champion_first = Case(When(status=VersionStatus.CHAMPION, then=Value(0)), default=Value(1))
    return list(
        model.versions.exclude(status=VersionStatus.RETIRED).order_by(
            champion_first, "-registered_at", "-pk"
        )[: limit + 1]
    )


def _count_per_model(queryset: QuerySet) -> Coalesce:
    per_model = queryset.filter(model=OuterRef("pk")).order_by().values("model").annotate(n=Count("pk"))
    return Coalesce(Subquery(per_model.values("n")), 0)


def with_history_counts(queryset: QuerySet[AIModel]) -> QuerySet[AIModel]:
    """Models annotated with ``version_count``, ``approval_count``, ``has_promotable`` (a candidate exists) and
    ``released_past_checks`` (an executive approved a release of it past failing checks).

    The detail page pages through both histories: counting with the model saves each paginator a query.
    """
    return queryset.annotate(
        version_count=_count_per_model(ModelVersion.objects.all()),
        approval_count=_count_per_model(ApprovalRequest.objects.all()),
        has_promotable=Exists(_promotable(ModelVersion.objects.filter(model=OuterRef("pk")))),
        released_past_checks=Exists(ApprovalRequest.objects.filter(model=OuterRef("pk"), overridden=True)),
    )


def approvals_of(model: AIModel) -> QuerySet[ApprovalRequest]:
    return model.approval_requests.select_related("requested_by", "decided_by", "version").order_by(
        "-requested_at", "-pk"
    )


def pending_approvals(organisation: Organisation) -> QuerySet[ApprovalRequest]:
    return (
        ApprovalRequest.objects.filter(organisation=organisation, status=ApprovalStatus.PENDING)
        .select_related("model", "model__owner", "requested_by", "version")
        .order_by("requested_at", "pk")
    )


# The inventory's CSV format: what an export writes and an import (services.inventory) reads.
CSV_COLUMNS: tuple[str, ...] = (
    "name",
    "purpose",
    "business_unit",
    "owner",
    "lifecycle_stage",
    "model_type",
    "deployment_environment",
    "data_sources",
    "eu_ai_act_category",
    "materiality",
    "complexity",
    "processes_personal_data",
    "decisions_about_people",
    "third_party",
    "vendor",
    "last_validated_on",
    "next_review_due",
)


def _cell(model: AIModel, column: str):
    if column == "business_unit":
        return model.business_unit.name if model.business_unit else None
    if column == "owner":
        return model.owner.get_username()
    return getattr(model, column)


# How each inventory column is typed and sized in the XLSX export.
_COLUMN_KINDS = {
    "materiality": "number",
    "complexity": "number",
    "processes_personal_data": "bool",
    "third_party": "bool",
    "last_validated_on": "date",
    "next_review_due": "date",
}
_COLUMN_WIDTHS = {"name": 32, "purpose": 50, "data_sources": 30, "business_unit": 24}
EXPORT_COLUMNS = tuple(
    Column(name, _COLUMN_KINDS.get(name, "text"), _COLUMN_WIDTHS.get(name, 14))
    for name in (*CSV_COLUMNS, "risk_tier")
)


def model_rows(models: Iterable[AIModel]) -> Iterator[list]:
    """The import columns plus the stored risk tier (so an export re-imports), one row per model."""
    for model in models:
        yield [*(_cell(model, c) for c in CSV_COLUMNS), model.risk_tier]


def models_csv(models: Iterable[AIModel]) -> str:
    """The inventory as CSV."""
    return "".join(csv_stream(EXPORT_COLUMNS, model_rows(models)))


def kpis_of(model: AIModel) -> list[KPIDefinition]:
    """The model's KPIs with their stored ``latest_value`` and ``latest_status``, in one query."""
    return list(model.kpis.all())


LOOKUP_RESULTS = 20


def models_named_like(organisation: Organisation, text: str) -> list[tuple[int, str]]:
    """(id, name) of up to LOOKUP_RESULTS of the organisation's models whose name contains ``text``, names that
    start with it first (the name pickers' suggestions)."""
    # No database text holds a NUL character (and PostgreSQL refuses one in a query).
    text = text.replace("\x00", "").strip()[:100]
    if not text:
        return []
    found = AIModel.objects.filter(organisation=organisation, name__icontains=text)
    starting = list(
        found.filter(name__istartswith=text).order_by("name").values_list("pk", "name")[:LOOKUP_RESULTS]
    )
    if len(starting) < LOOKUP_RESULTS:
        seen = {pk for pk, _ in starting}
        rest = (
            found.exclude(pk__in=seen)
            .order_by("name")
            .values_list("pk", "name")[: LOOKUP_RESULTS - len(starting)]
        )
        starting += list(rest)
    return starting
