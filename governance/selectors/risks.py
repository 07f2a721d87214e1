"""Risk register reads: the filtered register (page and API), the heat map cells and one model's risks."""

from collections.abc import Iterable, Iterator

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from governance.core.exports import Column, csv_stream
from governance.models import AIModel, Organisation, Risk, RiskCategory, RiskStatus
from governance.rules.risk_scoring import (
    ACTIVE_STATUSES,
    BAND_CHOICES,
    BAND_RANGES,
    heatmap_counts,
    score_band,
)
from governance.selectors.filters import MODEL_LOOKUP, NamePickerFilter, OrganisationFilterSet

LEVEL_CHOICES = [(level, str(level)) for level in range(1, 6)]
# Filter fields a heat map cell sets; the page keeps them out of the visible filter form.
CELL_FILTERS = ("likelihood", "impact", "residual_likelihood", "residual_impact")


def _level_filter(label: str) -> django_filters.TypedChoiceFilter:
    return django_filters.TypedChoiceFilter(
        choices=[("", "Any"), *LEVEL_CHOICES], coerce=int, empty_value=None, label=label
    )


def risks_for(organisation: Organisation) -> QuerySet[Risk]:
    """The organisation's risks with what register rows show, in a constant number of queries."""
    return Risk.objects.filter(organisation=organisation).select_related("model", "owner")


def risks_of(model: AIModel) -> list[Risk]:
    """One model's risks, highest inherent score first (the model page's section)."""
    return list(model.risks.select_related("owner"))


def overdue_q(today=None) -> Q:
    """Risks still being worked on whose due date has passed (accepted and closed ones are never overdue)."""
    today = today or timezone.localdate()
    return Q(due_date__lt=today, status__in=ACTIVE_STATUSES)


def band_q(band: str, residual: bool = False) -> Q:
    lowest, highest = BAND_RANGES[band]
    field = "residual_score" if residual else "inherent_score"
    return Q(**{f"{field}__gte": lowest, f"{field}__lte": highest})


class RiskFilter(OrganisationFilterSet):
    """Filters shared by the register page and the API."""

    q = django_filters.CharFilter(method="filter_search", label="Search", max_length=200)
    model = NamePickerFilter(
        queryset=AIModel.objects.none(),
        label="Model",
        lookup_url=MODEL_LOOKUP,
        help_text="Type part of its name to choose.",
    )
    category = django_filters.ChoiceFilter(choices=RiskCategory.choices, label="Category")
    status = django_filters.ChoiceFilter(choices=RiskStatus.choices, label="Status")
    band = django_filters.ChoiceFilter(choices=BAND_CHOICES, method="filter_band", label="Inherent band")
    residual_band = django_filters.ChoiceFilter(
        choices=BAND_CHOICES, method="filter_band", label="Residual band"
    )
    owner = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none(), label="Owner")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue")
    active = django_filters.BooleanFilter(method="filter_active", label="Not closed")
    # The heat map cells link here: one cell is one (likelihood, impact) pair, inherent or residual.
    likelihood = _level_filter("Likelihood")
    impact = _level_filter("Impact")
    residual_likelihood = _level_filter("Residual likelihood")
    residual_impact = _level_filter("Residual impact")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("inherent_score", "inherent_score"),
            ("residual_score", "residual_score"),
            ("due_date", "due_date"),
            ("title", "title"),
            ("updated_at", "updated_at"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Risk
        fields = ["q", "model", "category", "status", "band", "residual_band", "owner", "overdue", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = self.organisation_ids
        self.filters["model"].queryset = AIModel.objects.filter(organisation__in=organisations).order_by(
            "name"
        )
        self.filters["owner"].queryset = (
            get_user_model()
            .objects.filter(memberships__organisation__in=organisations)
            .distinct()
            .order_by("username")
        )

    def includes_closed(self) -> bool:
        """Whether the filters ask for closed risks (which the heat maps otherwise leave out)."""
        if not self.is_bound or not self.is_valid():
            return False
        chosen = self.form.cleaned_data
        return chosen.get("status") == RiskStatus.CLOSED or chosen.get("active") is False

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(description__icontains=value) | Q(mitigation__icontains=value)
        )

    def filter_band(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(band_q(value, residual=name == "residual_band"))

    def filter_active(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        closed = Q(status=RiskStatus.CLOSED)
        return queryset.exclude(closed) if value else queryset.filter(closed)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())


def heatmap_grids(
    risks: QuerySet[Risk], include_closed: bool = False
) -> tuple[list[list[int]], list[list[int]]]:
    """Inherent and residual 5x5 counts in one GROUP BY query; closed risks count only when asked for."""
    if not include_closed:
        risks = risks.exclude(status=RiskStatus.CLOSED)
    cells = list(
        risks.order_by()
        .values("likelihood", "impact", "residual_likelihood", "residual_impact")
        .annotate(n=Count("pk"))
    )
    return heatmap_counts(cells, residual=False), heatmap_counts(cells, residual=True)


EXPORT_COLUMNS = (
    Column("id", "number", 8),
    Column("model", width=30),
    Column("title", width=40),
    Column("category"),
    Column("status"),
    Column("likelihood", "number", 11),
    Column("impact", "number", 9),
    Column("inherent_score", "number"),
    Column("inherent_band"),
    Column("residual_likelihood", "number", 19),
    Column("residual_impact", "number", 16),
    Column("residual_score", "number"),
    Column("residual_band"),
    Column("owner", width=16),
    Column("due_date", "date", 12),
    Column("overdue", "bool", 9),
    Column("description", width=60),
    Column("mitigation", width=60),
    Column("updated_at", "datetime", 22),
)
CSV_COLUMNS = tuple(column.header for column in EXPORT_COLUMNS)


def risk_rows(risks: Iterable[Risk], today=None) -> Iterator[list]:
    """The register's rows for risk committees' spreadsheets: one per risk, bands and overdue included."""
    today = today or timezone.localdate()
    for risk in risks:
        overdue = risk.due_date is not None and risk.due_date < today and risk.status in ACTIVE_STATUSES
        yield [
            risk.pk,
            risk.model.name,
            risk.title,
            risk.category,
            risk.status,
            risk.likelihood,
            risk.impact,
            risk.inherent_score,
            score_band(risk.inherent_score),
            risk.residual_likelihood,
            risk.residual_impact,
            risk.residual_score,
            score_band(risk.residual_score) or None,
            risk.owner.get_username() if risk.owner else None,
            risk.due_date,
            overdue,
            risk.description,
            risk.mitigation,
            risk.updated_at,
        ]


def risks_csv(risks: Iterable[Risk], today=None) -> str:
    """The register as CSV."""
    return "".join(csv_stream(EXPORT_COLUMNS, risk_rows(risks, today)))
