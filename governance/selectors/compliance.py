"""Compliance reads: which requirements apply to a model, the matrices and the coverage figures.

Pages, the API and the PDF reports all use these functions, so a number on a page and in a report agree.

Coverage, everywhere in Plumbline, is::

    (compliant + 0.5 * partially compliant) / (applicable requirements - not applicable) * 100

"Not assessed" and "non-compliant" count as 0 in the numerator; requirements marked not applicable (with a
reason) leave the denominator. With nothing left in the denominator, coverage is ``None`` (shown as "—").

Only the current version of each framework counts, and only requirements whose ``applies_to`` rules select the
model (see governance/data/frameworks/README.md). Retired models are out of scope. Records kept against a
requirement that no longer applies (the model's category changed) stay stored but are not counted.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, FilteredRelation, Q, QuerySet
from django.utils import timezone

from governance.compliance_catalogue import rules_match, rules_q
from governance.core.exports import Column
from governance.models import (
    AIModel,
    ComplianceRecord,
    ComplianceStatus,
    Framework,
    LifecycleStage,
    Organisation,
    Requirement,
)

# A review falling due within this many days is flagged "due soon" (before that, "overdue").
REVIEW_DUE_SOON_DAYS = 30
PARTIAL_WEIGHT = 0.5


# --- Coverage ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Counts of statuses over a set of applicable requirements, and the coverage percentage they give."""

    compliant: int = 0
    partial: int = 0
    non_compliant: int = 0
    not_assessed: int = 0
    not_applicable: int = 0

    @property
    def total(self) -> int:
        """Applicable requirements counted (including those marked not applicable)."""
        return self.compliant + self.partial + self.non_compliant + self.not_assessed + self.not_applicable

    @property
    def in_scope(self) -> int:
        """The denominator: requirements not marked not applicable."""
        return self.total - self.not_applicable

    @property
    def assessed(self) -> int:
        """Requirements with a status other than not assessed."""
        return self.total - self.not_assessed

    @property
    def percent(self) -> float | None:
        """Coverage in percent, one decimal; None when nothing is in scope."""
        if self.in_scope == 0:
            return None
        return round(100 * (self.compliant + PARTIAL_WEIGHT * self.partial) / self.in_scope, 1)

    def __add__(self, other: "Coverage") -> "Coverage":
        return Coverage(
            self.compliant + other.compliant,
            self.partial + other.partial,
            self.non_compliant + other.non_compliant,
            self.not_assessed + other.not_assessed,
            self.not_applicable + other.not_applicable,
        )


_STATUS_FIELD = {
    ComplianceStatus.COMPLIANT: "compliant",
    ComplianceStatus.PARTIAL: "partial",
    ComplianceStatus.NON_COMPLIANT: "non_compliant",
    ComplianceStatus.NOT_ASSESSED: "not_assessed",
    ComplianceStatus.NOT_APPLICABLE: "not_applicable",
}


def coverage(statuses: Iterable[str]) -> Coverage:
    """Coverage of a set of applicable requirements, given one status each (``not_assessed`` when unrecorded)."""
    counts = dict.fromkeys(_STATUS_FIELD.values(), 0)
    for status in statuses:
        counts[_STATUS_FIELD[ComplianceStatus(status)]] += 1
    return Coverage(**counts)


def review_state(due: date | None, today: date) -> str:
    """ "overdue", "due" (within REVIEW_DUE_SOON_DAYS) or "" for a next-review date."""
    if due is None:
        return ""
    if due < today:
        return "overdue"
    if due <= today + timedelta(days=REVIEW_DUE_SOON_DAYS):
        return "due"
    return ""


# --- Frameworks and applicability ------------------------------------------------------------------------


def current_frameworks() -> list[Framework]:
    """The current version of every loaded framework, by name."""
    return list(Framework.objects.filter(is_current=True).order_by("name"))


def current_framework(key: str) -> Framework | None:
    """The current version of the framework with this key, or None."""
    return Framework.objects.filter(key=key, is_current=True).first()


def requirements_of(framework: Framework) -> list[Requirement]:
    """The framework's requirements in catalogue order."""
    return list(framework.requirements.order_by("position"))


def applies_to_model(requirement: Requirement, model: AIModel) -> bool:
    """True when the requirement's ``applies_to`` rules select the model."""
    return rules_match(requirement.applies_to, model)


def applicable_requirements(
    model: AIModel, framework: Framework, requirements: list[Requirement] | None = None
) -> list[Requirement]:
    """The framework's requirements that apply to ``model`` (pure rule evaluation; pass ``requirements``
    to avoid a query when they are already loaded)."""
    if requirements is None:
        requirements = requirements_of(framework)
    return [r for r in requirements if applies_to_model(r, model)]


def in_scope_models(organisation: Organisation) -> QuerySet[AIModel]:
    """The organisation's models that compliance covers: every model except retired ones."""
    return (
        AIModel.objects.filter(organisation=organisation)
        .exclude(lifecycle_stage=LifecycleStage.RETIRED)
        .select_related("business_unit", "owner")
        .order_by("name")
    )


def _current_catalogue(model: AIModel | None = None) -> list[tuple[Framework, list[Requirement]]]:
    """Every current framework (by name) with its requirements in catalogue order — one query.

    With ``model``, each requirement also carries that model's record: ``record_status`` and
    ``record_review_due`` (None where it has none), joined in the same query.
    """
    catalogue: dict[int, tuple[Framework, list[Requirement]]] = {}
    requirements = Requirement.objects.filter(framework__is_current=True).select_related("framework")
    if model is not None:
        requirements = requirements.annotate(
            model_record=FilteredRelation("records", condition=Q(records__model=model)),
            record_status=F("model_record__status"),
            record_review_due=F("model_record__next_review_due"),
        )
    for requirement in requirements.order_by("framework__name", "framework_id", "position"):
        catalogue.setdefault(requirement.framework_id, (requirement.framework, []))[1].append(requirement)
    return list(catalogue.values())


# --- One model against one framework ---------------------------------------------------------------------


@dataclass
class Cell:
    """One model against one requirement: its record (None when never assessed) and derived state."""

    requirement: Requirement
    record: ComplianceRecord | None
    review: str = ""  # "overdue", "due" or ""

    @property
    def status(self) -> str:
        """The record's status, or not assessed."""
        return self.record.status if self.record else ComplianceStatus.NOT_ASSESSED

    @property
    def status_label(self) -> str:
        """Human label for the status."""
        return ComplianceStatus(self.status).label


@dataclass
class ModelMatrix:
    """One model's standing against one framework: every applicable requirement with its cell."""

    model: AIModel
    framework: Framework
    cells: list[Cell]
    coverage: Coverage
    overdue: int
    due_soon: int

    @property
    def sections(self) -> list[tuple[str, list[Cell]]]:
        """Cells grouped by requirement section, in catalogue order."""
        groups: dict[str, list[Cell]] = {}
        for cell in self.cells:
            groups.setdefault(cell.requirement.section, []).append(cell)
        return list(groups.items())


def _cells(requirements: list[Requirement], records: dict[int, ComplianceRecord], today: date) -> list[Cell]:
    cells = []
    for requirement in requirements:
        record = records.get(requirement.pk)
        review = review_state(record.next_review_due, today) if record else ""
        cells.append(Cell(requirement=requirement, record=record, review=review))
    return cells


def model_matrix(model: AIModel, framework: Framework, today: date | None = None) -> ModelMatrix:
    """Every requirement of ``framework`` that applies to ``model``, with its record — two queries."""
    today = today or timezone.localdate()
    requirements = applicable_requirements(model, framework)
    records = {
        r.requirement_id: r
        for r in ComplianceRecord.objects.filter(
            model=model, requirement__framework=framework
        ).select_related("reviewer")
    }
    cells = _cells(requirements, records, today)
    return ModelMatrix(
        model=model,
        framework=framework,
        cells=cells,
        coverage=coverage(c.status for c in cells),
        overdue=sum(c.review == "overdue" for c in cells),
        due_soon=sum(c.review == "due" for c in cells),
    )


@dataclass
class ModelFrameworkSummary:
    """One model's coverage against one current framework (for the model page and dossiers)."""

    framework: Framework
    applicable: int
    coverage: Coverage
    overdue: int


def model_summary(model: AIModel, today: date | None = None) -> list[ModelFrameworkSummary]:
    """The model's coverage against every current framework with a requirement that applies — one query.

    Empty for a retired model (out of compliance scope).
    """
    if model.lifecycle_stage == LifecycleStage.RETIRED:
        return []
    today = today or timezone.localdate()
    # The model page reads it twice (its compliance section and the release checks): once per loaded instance.
    memo = model.__dict__.setdefault("_compliance_summaries", {})
    if today not in memo:
        memo[today] = _model_summary(model, today)
    return memo[today]


def _model_summary(model: AIModel, today: date) -> list[ModelFrameworkSummary]:
    summaries = []
    for framework, requirements in _current_catalogue(model):
        applicable = [r for r in requirements if applies_to_model(r, model)]
        if not applicable:
            continue
        statuses = [
            (r.record_status or ComplianceStatus.NOT_ASSESSED, r.record_review_due) for r in applicable
        ]
        summaries.append(
            ModelFrameworkSummary(
                framework=framework,
                applicable=len(applicable),
                coverage=coverage(status for status, _ in statuses),
                overdue=sum(review_state(due, today) == "overdue" for _, due in statuses),
            )
        )
    return summaries


# --- One framework across the inventory ------------------------------------------------------------------


@dataclass
class ModelRow:
    """One model's row in a framework matrix: a cell per framework requirement (None: does not apply)."""

    model: AIModel
    cells: list[Cell | None]
    coverage: Coverage
    overdue: int
    due_soon: int

    @property
    def non_compliant(self) -> int:
        """How many applicable requirements the model fails."""
        return self.coverage.non_compliant


@dataclass
class FrameworkMatrix:
    """One framework across the inventory: models as rows, requirements as columns, coverage per model."""

    framework: Framework
    requirements: list[Requirement]
    rows: list[ModelRow]
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def sections(self) -> list[tuple[str, int]]:
        """Column groups for a table header: (section, number of requirements), in catalogue order."""
        groups: dict[str, int] = {}
        for requirement in self.requirements:
            groups[requirement.section] = groups.get(requirement.section, 0) + 1
        return list(groups.items())

    @property
    def overdue(self) -> int:
        """Reviews past due across the matrix."""
        return sum(row.overdue for row in self.rows)

    @property
    def due_soon(self) -> int:
        """Reviews due within REVIEW_DUE_SOON_DAYS across the matrix."""
        return sum(row.due_soon for row in self.rows)

    @property
    def status_counts(self) -> dict[str, int]:
        """Status -> number of model-requirement cells in that status (for charts)."""
        return {
            ComplianceStatus.COMPLIANT.value: self.coverage.compliant,
            ComplianceStatus.PARTIAL.value: self.coverage.partial,
            ComplianceStatus.NON_COMPLIANT.value: self.coverage.non_compliant,
            ComplianceStatus.NOT_ASSESSED.value: self.coverage.not_assessed,
            ComplianceStatus.NOT_APPLICABLE.value: self.coverage.not_applicable,
        }


def framework_matrix(
    organisation: Organisation,
    framework: Framework,
    models: Iterable[AIModel] | None = None,
    today: date | None = None,
) -> FrameworkMatrix:
    """``framework`` across the organisation's in-scope models (or the given ``models`` of it) — three queries.

    Models no requirement applies to are left out; ``coverage`` aggregates every applicable cell.
    """
    today = today or timezone.localdate()
    requirements = requirements_of(framework)
    models = list(in_scope_models(organisation) if models is None else models)
    records: dict[tuple[int, int], ComplianceRecord] = {
        (r.model_id, r.requirement_id): r
        for r in ComplianceRecord.objects.filter(
            organisation=organisation, requirement__framework=framework
        ).select_related("reviewer")
    }
    rows: list[ModelRow] = []
    total = Coverage()
    for model in models:
        row = _model_row(model, requirements, records, today)
        if row is not None:
            total = total + row.coverage
            rows.append(row)
    return FrameworkMatrix(framework=framework, requirements=requirements, rows=rows, coverage=total)


def _model_row(
    model: AIModel,
    requirements: list[Requirement],
    records: dict[tuple[int, int], ComplianceRecord],
    today: date,
) -> ModelRow | None:
    """The model's row (None when no requirement of the framework applies to it)."""
    cells: list[Cell | None] = []
    for requirement in requirements:
        if not applies_to_model(requirement, model):
            cells.append(None)
            continue
        record = records.get((model.pk, requirement.pk))
        review = review_state(record.next_review_due, today) if record else ""
        cells.append(Cell(requirement=requirement, record=record, review=review))
    applicable = [c for c in cells if c is not None]
    if not applicable:
        return None
    return ModelRow(
        model=model,
        cells=cells,
        coverage=coverage(c.status for c in applicable),
        overdue=sum(c.review == "overdue" for c in applicable),
        due_soon=sum(c.review == "due" for c in applicable),
    )


MATRIX_EXPORT_COLUMNS = (
    Column("model", width=30),
    Column("business_unit", width=22),
    Column("lifecycle_stage", width=14),
    Column("risk_tier", width=10),
    Column("requirement", width=14),
    Column("section", width=24),
    Column("requirement_title", width=50),
    Column("status", width=15),
    Column("not_applicable_reason", width=40),
    Column("next_review_due", "date", 15),
    Column("review", width=9),
    Column("evidence_link", width=40),
    Column("evidence_sha256", width=20),
    Column("reviewer", width=16),
    Column("reviewed_at", "datetime", 22),
    Column("notes", width=40),
)
EXPORT_CHUNK = 500


def matrix_export_rows(
    organisation: Organisation, framework: Framework, today: date | None = None
) -> Iterator[list]:
    """The framework matrix in long form for auditors' filters: one row per in-scope model and requirement that
    applies to it, recorded or not. Models are read in chunks with their records, so memory stays bounded."""
    today = today or timezone.localdate()
    requirements = requirements_of(framework)
    models = in_scope_models(organisation).order_by("name", "pk")
    last: tuple[str, int] | None = None
    while True:
        chunk = models
        if last is not None:
            chunk = chunk.filter(Q(name__gt=last[0]) | Q(name=last[0], pk__gt=last[1]))
        chunk = list(chunk[:EXPORT_CHUNK])
        if not chunk:
            return
        last = (chunk[-1].name, chunk[-1].pk)
        records = {
            (r.model_id, r.requirement_id): r
            for r in ComplianceRecord.objects.filter(
                model__in=chunk, requirement__framework=framework
            ).select_related("reviewer")
        }
        for model in chunk:
            row = _model_row(model, requirements, records, today)
            if row is None:
                continue
            for cell in row.cells:
                if cell is None:
                    continue
                record = cell.record
                yield [
                    model.name,
                    model.business_unit.name if model.business_unit else None,
                    model.lifecycle_stage,
                    model.risk_tier,
                    cell.requirement.ref,
                    cell.requirement.section,
                    cell.requirement.title,
                    cell.status,
                    record.not_applicable_reason if record else None,
                    record.next_review_due if record else None,
                    cell.review or None,
                    record.evidence_link if record else None,
                    record.evidence_sha256 if record else None,
                    record.reviewer.get_username() if record and record.reviewer else None,
                    record.reviewed_at if record else None,
                    record.notes if record else None,
                ]


# --- Figures computed by the database ----------------------------------------------------------------------
#
# A framework's requirements fall into a few groups that share their ``applies_to`` rules; each group applies to
# the models its rules select (``rules_q``). Counting models per group and recorded statuses per framework is
# then a handful of aggregate queries whatever the inventory's size, instead of loading every model and record.


def _rule_groups(requirements: list[Requirement]) -> list[tuple[dict, list[int]]]:
    """(rules, requirement ids) for each distinct ``applies_to`` among ``requirements``."""
    groups: dict[str, tuple[dict, list[int]]] = {}
    for requirement in requirements:
        key = json.dumps(requirement.applies_to or {}, sort_keys=True)
        groups.setdefault(key, (requirement.applies_to or {}, []))[1].append(requirement.pk)
    return list(groups.values())


def _scope_q(groups: list[tuple[dict, list[int]]], prefix: str = "") -> Q:
    """Models (at ``prefix``) that at least one group's rules select."""
    selected = Q(pk__in=[])
    for rules, _ in groups:
        selected |= rules_q(rules, prefix)
    return selected


def _applicable_records_q(groups: list[tuple[dict, list[int]]]) -> Q:
    """Records whose requirement applies to their model."""
    selected = Q(pk__in=[])
    for rules, requirement_ids in groups:
        selected |= Q(requirement_id__in=requirement_ids) & rules_q(rules, "model__")
    return selected


@dataclass(frozen=True)
class _Figures:
    models_in_scope: int
    coverage: Coverage
    overdue: int
    due_soon: int


def _framework_figures(
    organisation: Organisation, catalogue: list[tuple[Framework, list[Requirement]]], today: date
) -> dict[int, _Figures]:
    """Framework id -> its figures over the organisation's in-scope models: two queries for any number."""
    grouped = {framework.pk: _rule_groups(requirements) for framework, requirements in catalogue}
    counts: dict[str, Count] = {}
    for framework_id, groups in grouped.items():
        counts[f"f{framework_id}"] = Count("pk", filter=_scope_q(groups))
        for index, (rules, _) in enumerate(groups):
            counts[f"f{framework_id}_{index}"] = Count("pk", filter=rules_q(rules))
    models = in_scope_models(organisation).order_by().aggregate(**counts) if counts else {}
    applicable = Q(pk__in=[])
    for groups in grouped.values():
        applicable |= _applicable_records_q(groups)
    soon = today + timedelta(days=REVIEW_DUE_SOON_DAYS)
    recorded = {
        row["requirement__framework_id"]: row
        for row in ComplianceRecord.objects.filter(organisation=organisation)
        .exclude(model__lifecycle_stage=LifecycleStage.RETIRED)
        .filter(applicable)
        .values("requirement__framework_id")
        .annotate(
            **{name: Count("pk", filter=Q(status=status)) for status, name in _STATUS_FIELD.items()},
            overdue=Count("pk", filter=Q(next_review_due__lt=today)),
            due_soon=Count("pk", filter=Q(next_review_due__gte=today, next_review_due__lte=soon)),
        )
        .order_by()
    }
    figures = {}
    for framework_id, groups in grouped.items():
        pairs = sum(models[f"f{framework_id}_{index}"] * len(ids) for index, (_, ids) in enumerate(groups))
        row = recorded.get(framework_id, {})
        counted = {name: row.get(name, 0) for name in _STATUS_FIELD.values()}
        # Pairs without a record are not assessed, like records that say so.
        counted["not_assessed"] += pairs - sum(counted.values())
        figures[framework_id] = _Figures(
            models_in_scope=models[f"f{framework_id}"],
            coverage=Coverage(**counted),
            overdue=row.get("overdue", 0),
            due_soon=row.get("due_soon", 0),
        )
    return figures


@dataclass
class FrameworkPage:
    """One framework across the inventory, for its page: figures over every model in scope, rows for one page."""

    framework: Framework
    requirements: list[Requirement]
    rows: list[ModelRow]
    page: Page
    models_in_scope: int
    coverage: Coverage
    overdue: int
    due_soon: int

    @property
    def sections(self) -> list[tuple[str, int]]:
        return FrameworkMatrix(self.framework, self.requirements, []).sections


def framework_page(
    organisation: Organisation,
    framework: Framework,
    page_number: str | int | None,
    per_page: int,
    today: date | None = None,
) -> FrameworkPage:
    """``framework`` across the organisation's in-scope models, one page of rows at a time: the figures come
    from the database and only the page's models and records are loaded, whatever the inventory's size."""
    today = today or timezone.localdate()
    requirements = requirements_of(framework)
    figures = _framework_figures(organisation, [(framework, requirements)], today)[framework.pk]
    in_scope = in_scope_models(organisation).filter(_scope_q(_rule_groups(requirements)))
    paginator = Paginator(in_scope, per_page)
    paginator.count = figures.models_in_scope  # counted with the figures already
    page = paginator.get_page(page_number)
    models = list(page.object_list)
    records = {
        (r.model_id, r.requirement_id): r
        for r in ComplianceRecord.objects.filter(
            organisation=organisation, requirement__framework=framework, model__in=models
        ).select_related("reviewer")
    }
    rows = [row for model in models if (row := _model_row(model, requirements, records, today)) is not None]
    return FrameworkPage(
        framework=framework,
        requirements=requirements,
        rows=rows,
        page=page,
        models_in_scope=figures.models_in_scope,
        coverage=figures.coverage,
        overdue=figures.overdue,
        due_soon=figures.due_soon,
    )


# --- Every framework across the inventory ----------------------------------------------------------------


@dataclass
class FrameworkSummary:
    """One current framework across the organisation: coverage, models in scope, failures and reviews."""

    framework: Framework
    requirement_count: int
    models_in_scope: int
    coverage: Coverage
    non_compliant: int
    overdue: int
    due_soon: int


def compliance_overview(organisation: Organisation, today: date | None = None) -> list[FrameworkSummary]:
    """A summary per current framework for the organisation's in-scope models — three queries, the figures
    counted by the database.

    A current framework without requirements is left out (the loader never creates one).
    """
    today = today or timezone.localdate()
    catalogue = _current_catalogue()
    figures = _framework_figures(organisation, catalogue, today)
    return [
        FrameworkSummary(
            framework=framework,
            requirement_count=len(requirements),
            models_in_scope=figures[framework.pk].models_in_scope,
            coverage=figures[framework.pk].coverage,
            non_compliant=figures[framework.pk].coverage.non_compliant,
            overdue=figures[framework.pk].overdue,
            due_soon=figures[framework.pk].due_soon,
        )
        for framework, requirements in catalogue
    ]


def records_for(organisation_ids: Iterable[int]) -> QuerySet[ComplianceRecord]:
    """Compliance records of these organisations with what lists show (API and exports)."""
    return (
        ComplianceRecord.objects.filter(organisation__in=list(organisation_ids))
        .select_related("model", "requirement__framework", "reviewer")
        .order_by("model__name", "requirement__framework__key", "requirement__position")
    )
