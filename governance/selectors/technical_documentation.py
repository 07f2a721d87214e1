"""Reads for the EU AI Act Annex IV technical documentation of high-risk models.

``technical_documentation_for(model, version)`` lays out the whole document: every section of the outline
(governance/data/annex_iv/) with the facts read from the system of record and the free texts people wrote, in a
fixed number of queries whatever the model's history (lists are capped at ``ROWS``). The document describes one
version — the one asked for, else the champion, else the newest version — and its lifecycle up to the next
version's registration, so the document of an older version reads the same tomorrow as today.

Completeness without laying out the document: ``completeness_of`` (one model, one query) and
``completeness_by_model`` (any number of models, one query), which ask the database whether each fact is
recorded (``_with_flags``). Both agree with the document's own score (the tests hold them to it).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from governance.models import (
    AIModel,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    AuditEvent,
    ComplianceRecord,
    ComplianceStatus,
    EUAIActCategory,
    Incident,
    KPIDefinition,
    LifecycleStage,
    ModelCard,
    ModelVersion,
    Organisation,
    Risk,
    TechnicalDocumentation,
    TechnicalDocumentationRevision,
    VersionStatus,
)
from governance.models.actions import GovernanceAction
from governance.models.release import FindingStatus, Validation, ValidationOutcome
from governance.rules import technical_documentation as rules
from governance.rules.risk_scoring import score_band
from governance.selectors.compliance import model_summary

# Rows shown per list fact (versions, approvals, risks…): the most recent ones.
ROWS = 50
HISTORY_ROWS = 50
# Far enough ahead to stand for "no next version yet" in a comparison the database makes.
_NO_CUTOFF = datetime(9999, 1, 1, tzinfo=UTC)
_DECIDED = (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED)


class Rows(list):
    """A list fact's rows (each a list of cell texts) with the column headings pages and the PDF show;
    ``more``: rows beyond the ``ROWS`` shown exist."""

    def __init__(self, columns: list[str], rows: list[list[str]], more: bool = False) -> None:
        super().__init__(rows)
        self.columns = columns
        self.more = more


def is_high_risk(model: AIModel) -> bool:
    return model.eu_ai_act_category == EUAIActCategory.HIGH_RISK


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.isoformat()


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _window_start(outline: rules.Outline, as_of: date) -> datetime:
    """Measurements from this moment on count as recent (the outline's window before ``as_of``)."""
    start = as_of - timedelta(days=outline.measurement_window_days)
    return timezone.make_aware(datetime.combine(start, time.min))


def _champion_first() -> Case:
    return Case(
        When(status=VersionStatus.CHAMPION, then=Value(0)),
        When(status=VersionStatus.RETIRED, then=Value(2)),
        default=Value(1),
    )


# --- The document -----------------------------------------------------------------------------------------


@dataclass
class TechnicalDocument:
    """One model's Annex IV document as pages and the PDF show it."""

    model: AIModel
    outline: rules.Outline
    version: ModelVersion | None
    sections: list[rules.Section]
    completeness: float
    record: TechnicalDocumentation | None
    cutoff: datetime | None  # lifecycle changes listed up to here (the next version's registration)
    as_of: date
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def high_risk(self) -> bool:
        return is_high_risk(self.model)

    @property
    def missing(self) -> int:
        return sum(section.missing for section in self.sections)

    @property
    def complete(self) -> bool:
        return self.completeness >= 100


def version_of(model: AIModel, label: str | None = None) -> ModelVersion | None:
    """The version a document describes: the one labelled ``label`` (None if the model has none so labelled),
    else the champion, else the newest version that is not retired, else the newest. With its card and the
    next version's registration time (``next_registered_at``) read in the same query."""
    following = ModelVersion.objects.filter(
        model=OuterRef("model"), registered_at__gt=OuterRef("registered_at")
    )
    versions = (
        ModelVersion.objects.filter(model=model)
        .select_related("card", "registered_by")
        .annotate(
            next_registered_at=Subquery(following.order_by("registered_at").values("registered_at")[:1])
        )
    )
    if label is not None:
        return versions.filter(version=label).first()
    return versions.order_by(_champion_first(), "-registered_at", "-pk").first()


def document_record(model: AIModel) -> TechnicalDocumentation | None:
    """The model's stored texts (read with the model when it was loaded with ``technical_documentation``)."""
    try:
        return model.technical_documentation
    except TechnicalDocumentation.DoesNotExist:
        return None


def _capped(queryset: QuerySet) -> tuple[list, bool]:
    rows = list(queryset[: ROWS + 1])
    return rows[:ROWS], len(rows) > ROWS


def _card_text(version: ModelVersion | None, name: str) -> str | None:
    if version is None:
        return None
    try:
        card = version.card
    except ModelCard.DoesNotExist:
        return None
    return getattr(card, name) or None


def _general_facts(model: AIModel, version: ModelVersion | None) -> dict[str, Any]:
    if model.third_party:
        supplier = f"Vendor: {model.vendor}" if model.vendor.strip() else None
    else:
        supplier = "Built in house"
    described = None
    if version is not None:
        described = (
            f"{version.version} ({version.get_status_display().lower()}), registered "
            f"{_day(version.registered_at)}"
        )
    return {
        "purpose": model.purpose,
        "owner": _person(model.owner),
        "business_unit": model.business_unit.name if model.business_unit_id else None,
        "model_type": model.model_type,
        "version": described,
        "deployment_environment": model.deployment_environment,
        "supplier": supplier,
        "decisions_about_people": model.get_decisions_about_people_display(),
    }


def _development_facts(model: AIModel, version: ModelVersion | None) -> dict[str, Any]:
    facts: dict[str, Any] = {"data_sources": model.data_sources}
    if version is None:
        return facts
    facts.update(
        artifact_uri=version.artifact_uri,
        code_commit=version.code_commit,
        training_data_ref=version.training_data_ref,
        metrics=", ".join(f"{k} = {v}" for k, v in version.metrics.items())
        if isinstance(version.metrics, dict)
        else None,
        card_training_data=_card_text(version, "training_data"),
        card_evaluation_data=_card_text(version, "evaluation_data"),
    )
    validations, more = _capped(
        Validation.objects.filter(version=version)
        .select_related("validator")
        .annotate(
            open_findings=Count("findings", filter=Q(findings__status=FindingStatus.OPEN)),
        )
        .order_by("-started_on", "-pk")
    )
    facts["validations"] = Rows(
        ["Started", "Completed", "Validator", "Outcome", "Open findings"],
        [
            [
                _day(v.started_on),
                _day(v.completed_on) or "In progress",
                _person(v.validator),
                ValidationOutcome(v.outcome).label if v.outcome else "In progress",
                str(v.open_findings),
            ]
            for v in validations
        ],
        more,
    )
    return facts


def _monitoring_facts(outline: rules.Outline, kpis: list[KPIDefinition], as_of: date) -> dict[str, Any]:
    with_thresholds = [k for k in kpis if k.warning_threshold is not None or k.critical_threshold is not None]
    since = _window_start(outline, as_of)
    measured = [k for k in kpis if k.latest_measured_at is not None and k.latest_measured_at >= since]
    return {
        "kpis": Rows(
            ["KPI", "Target", "Warning", "Critical", "Latest", "Status"],
            [
                [
                    f"{k.name}{f' ({k.unit})' if k.unit else ''}",
                    _number(k.target),
                    _number(k.warning_threshold),
                    _number(k.critical_threshold),
                    _number(k.latest_value) or "No measurement",
                    k.get_latest_status_display(),
                ]
                for k in with_thresholds
            ],
        ),
        "measurements": Rows(
            ["KPI", "Latest value", "Measured", "Status"],
            [
                [k.name, _number(k.latest_value), _day(k.latest_measured_at), k.get_latest_status_display()]
                for k in measured
            ],
        ),
    }


def _risk_facts(model: AIModel) -> dict[str, Any]:
    risks, more = _capped(model.risks.select_related("owner").order_by("-inherent_score", "title", "pk"))
    return {
        "risks": Rows(
            ["Risk", "Status", "Treatment", "Residual band", "Owner"],
            [
                [
                    f"{r.title} ({r.get_category_display()})",
                    r.get_status_display(),
                    r.mitigation or "Not recorded",
                    (score_band(r.residual_score) or "").capitalize() or "Not assessed",
                    _person(r.owner) or "Not recorded",
                ]
                for r in risks
            ],
            more,
        )
    }


def _stage_changes(model: AIModel, cutoff: datetime | None) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(
        object_type=model._meta.label_lower,
        object_id=str(model.pk),
        action=GovernanceAction.MODEL_STAGE_CHANGE,
    )
    return events.filter(created_at__lt=cutoff) if cutoff is not None else events


def _lifecycle_facts(model: AIModel, version: ModelVersion | None, cutoff: datetime | None) -> dict[str, Any]:
    if version is not None:
        versions, more_versions = _capped(
            model.versions.filter(registered_at__lte=version.registered_at)
            .select_related("registered_by")
            .order_by("-registered_at", "-pk")
        )
    else:
        versions, more_versions = [], False
    approvals = ApprovalRequest.objects.filter(model=model, status__in=_DECIDED)
    if cutoff is not None:
        approvals = approvals.filter(decided_at__lt=cutoff)
    approvals, more_approvals = _capped(
        approvals.select_related("version", "decided_by").order_by("-decided_at", "-pk")
    )
    events, more_events = _capped(_stage_changes(model, cutoff).order_by("-created_at", "-sequence"))
    stages = dict(LifecycleStage.choices)

    def stage_change(event: AuditEvent) -> list[str]:
        before, after = (event.changes or {}).get("lifecycle_stage", [None, None])
        return [
            _day(event.created_at),
            stages.get(before, before or ""),
            stages.get(after, after or ""),
            event.actor_label,
        ]

    def request(approval: ApprovalRequest) -> str:
        if approval.kind == ApprovalKind.PROMOTE_VERSION:
            return f"Promote version {approval.version.version if approval.version else ''} to champion"
        return f"Stage change to {stages.get(approval.requested_stage, approval.requested_stage)}"

    return {
        "versions": Rows(
            ["Version", "Status", "Registered", "By"],
            [
                [v.version, v.get_status_display(), _day(v.registered_at), _person(v.registered_by)]
                for v in versions
            ],
            more_versions,
        ),
        "approvals": Rows(
            ["Decided", "Request", "Decision", "Decided by", "Comment"],
            [
                [
                    _day(a.decided_at),
                    request(a),
                    a.get_status_display() + (" (override)" if a.overridden else ""),
                    _person(a.decided_by),
                    a.decision_comment,
                ]
                for a in approvals
            ],
            more_approvals,
        ),
        "stage_changes": Rows(["When", "From", "To", "By"], [stage_change(e) for e in events], more_events),
    }


def _compliance_facts(model: AIModel, as_of: date) -> dict[str, Any]:
    summaries = model_summary(model, as_of)
    if not any(s.coverage.assessed for s in summaries):
        return {"compliance": None}
    return {
        "compliance": Rows(
            ["Framework", "Applicable requirements", "Assessed", "Coverage"],
            [
                [
                    f"{s.framework.name} ({s.framework.version})",
                    str(s.applicable),
                    str(s.coverage.assessed),
                    "—" if s.coverage.percent is None else f"{s.coverage.percent:g} %",
                ]
                for s in summaries
            ],
        )
    }


def _incident_facts(model: AIModel, cutoff: datetime | None) -> dict[str, Any]:
    incidents = Incident.objects.filter(model=model)
    if cutoff is not None:
        incidents = incidents.filter(occurred_at__lt=cutoff)
    rows, more = _capped(incidents.order_by("-occurred_at", "-pk"))
    return {
        "incidents": Rows(
            ["Occurred", "Incident", "Severity", "Status"],
            [[_day(i.occurred_at), i.title, i.get_severity_display(), i.get_status_display()] for i in rows],
            more,
        )
    }


def technical_documentation_for(
    model: AIModel,
    version: ModelVersion | str | None = None,
    *,
    as_of: date | None = None,
    kpis: list[KPIDefinition] | None = None,
) -> TechnicalDocument:
    """The model's Annex IV document describing ``version`` (a version or its label; default: the champion,
    else the newest). Raises ModelVersion.DoesNotExist for a label the model has no version of.

    ``model`` should come with ``owner``, ``business_unit`` and ``technical_documentation`` selected; ``kpis``:
    the model's, when the caller has read them already."""
    as_of = as_of or timezone.localdate()
    outline = rules.load_outline()
    label = version.version if isinstance(version, ModelVersion) else version
    described = version_of(model, label)
    if label is not None and described is None:
        raise ModelVersion.DoesNotExist(f"{model.name} has no version {label!r}.")
    cutoff = getattr(described, "next_registered_at", None)
    record = document_record(model)
    texts = {k: v for k, v in ((record.texts if record else None) or {}).items() if isinstance(v, str)}
    facts: dict[str, Any] = {}
    facts.update(_general_facts(model, described))
    facts.update(_development_facts(model, described))
    facts.update(_monitoring_facts(outline, kpis if kpis is not None else list(model.kpis.all()), as_of))
    facts.update(_risk_facts(model))
    facts.update(_lifecycle_facts(model, described, cutoff))
    facts.update(_compliance_facts(model, as_of) if model.lifecycle_stage != LifecycleStage.RETIRED else {})
    facts.update(_incident_facts(model, cutoff))
    sections = rules.document_items(outline, facts, texts)
    return TechnicalDocument(
        model=model,
        outline=outline,
        version=described,
        sections=sections,
        completeness=rules.sections_completeness(outline, sections),
        record=record,
        cutoff=cutoff,
        as_of=as_of,
        texts=texts,
    )


def text_history(record: TechnicalDocumentation | None, key: str) -> list[TechnicalDocumentationRevision]:
    """The saved texts of one field, newest first, with who saved them (at most ``HISTORY_ROWS``)."""
    if record is None:
        return []
    return list(
        record.revisions.filter(field=key)
        .select_related("edited_by")
        .order_by("-edited_at", "-pk")[:HISTORY_ROWS]
    )


# --- Completeness from the database ----------------------------------------------------------------------


def _with_flags(queryset: QuerySet[AIModel], as_of: date) -> QuerySet[AIModel]:
    """``queryset`` (annotated with ``doc_version_id`` and ``doc_registered_at``) with whether each fact that
    lives in another table is recorded, and the stored texts: one statement for any number of models."""
    outline = rules.load_outline()
    version = OuterRef("doc_version_id")
    following = ModelVersion.objects.filter(
        model=OuterRef("pk"), registered_at__gt=OuterRef("doc_registered_at")
    ).order_by("registered_at")
    queryset = queryset.annotate(doc_cutoff=Subquery(following.values("registered_at")[:1]))
    cutoff = Coalesce(OuterRef("doc_cutoff"), Value(_NO_CUTOFF, output_field=DateTimeField()))
    the_version = ModelVersion.objects.filter(pk=version)
    card = ModelCard.objects.filter(version_id=version)
    model = OuterRef("pk")
    return queryset.annotate(
        td_artifact_uri=Exists(the_version.exclude(artifact_uri="")),
        td_code_commit=Exists(the_version.exclude(code_commit="")),
        td_training_data_ref=Exists(the_version.exclude(training_data_ref="")),
        td_metrics=Exists(the_version.exclude(metrics={})),
        td_validations=Exists(Validation.objects.filter(version_id=version)),
        td_card_training_data=Exists(card.exclude(training_data="")),
        td_card_evaluation_data=Exists(card.exclude(evaluation_data="")),
        td_kpis=Exists(
            KPIDefinition.objects.filter(model=model).filter(
                Q(warning_threshold__isnull=False) | Q(critical_threshold__isnull=False)
            )
        ),
        td_measurements=Exists(
            KPIDefinition.objects.filter(model=model, latest_measured_at__gte=_window_start(outline, as_of))
        ),
        td_risks=Exists(Risk.objects.filter(model=model)),
        td_approvals=Exists(
            ApprovalRequest.objects.filter(model=model, status__in=_DECIDED, decided_at__lt=cutoff)
        ),
        td_stage_changes=Exists(
            AuditEvent.objects.filter(
                object_type=AIModel._meta.label_lower,
                object_id=Cast(model, CharField()),
                action=GovernanceAction.MODEL_STAGE_CHANGE,
                created_at__lt=cutoff,
            )
        ),
        td_compliance=Exists(
            ComplianceRecord.objects.filter(model=model, requirement__framework__is_current=True).exclude(
                status=ComplianceStatus.NOT_ASSESSED
            )
        ),
        td_texts=Subquery(
            TechnicalDocumentation.objects.filter(model=model).values("texts")[:1], output_field=JSONField()
        ),
    )


def _flags(model: AIModel) -> dict[str, bool]:
    """Fact key -> recorded, for a model read through ``_with_flags`` (the rest from its own fields)."""
    has_version = model.doc_version_id is not None
    return {
        "purpose": bool(model.purpose.strip()),
        "owner": model.owner_id is not None,
        "business_unit": model.business_unit_id is not None,
        "model_type": bool(model.model_type.strip()),
        "version": has_version,
        "deployment_environment": bool(model.deployment_environment.strip()),
        "supplier": not model.third_party or bool(model.vendor.strip()),
        "decisions_about_people": True,
        "data_sources": bool(model.data_sources.strip()),
        "artifact_uri": model.td_artifact_uri,
        "code_commit": model.td_code_commit,
        "training_data_ref": model.td_training_data_ref,
        "validations": model.td_validations,
        "metrics": model.td_metrics,
        "card_training_data": model.td_card_training_data,
        "card_evaluation_data": model.td_card_evaluation_data,
        "kpis": model.td_kpis,
        "risks": model.td_risks,
        "versions": has_version,
        "approvals": model.td_approvals,
        "stage_changes": model.td_stage_changes,
        "compliance": model.td_compliance and model.lifecycle_stage != LifecycleStage.RETIRED,
        "measurements": model.td_measurements,
        "incidents": True,  # none is a fact too (the outline's ``empty``)
    }


def _percent(model: AIModel) -> float:
    texts = model.td_texts if isinstance(model.td_texts, dict) else {}
    return rules.completeness(rules.load_outline(), _flags(model), texts)


def _with_default_version(queryset: QuerySet[AIModel]) -> QuerySet[AIModel]:
    """The default version as ``_champion_first`` orders them: the champion, else the newest version that is not
    retired, else the newest retired one. Written as three index seeks (model, registered_at) rather than one
    sort of every version, because the flags below refer to it many times and SQL repeats it at each reference:
    a sort there made a model with 2,000 versions and 700 approvals take minutes."""

    def newest(versions: QuerySet[ModelVersion], field: str) -> Subquery:
        return Subquery(versions.order_by("-registered_at", "-pk").values(field)[:1])

    def default(field: str, output) -> Coalesce:
        versions = ModelVersion.objects.filter(model=OuterRef("pk"))
        return Coalesce(
            newest(versions.filter(status=VersionStatus.CHAMPION), field),
            newest(versions.exclude(status__in=[VersionStatus.CHAMPION, VersionStatus.RETIRED]), field),
            newest(versions.filter(status=VersionStatus.RETIRED), field),
            output_field=output,
        )

    return queryset.annotate(
        doc_version_id=default("pk", BigIntegerField()),
        doc_registered_at=default("registered_at", DateTimeField()),
    )


_DEFAULT = object()


def with_completeness(queryset: QuerySet[AIModel], as_of: date | None = None) -> QuerySet[AIModel]:
    """Models annotated with what their completeness needs (for the default version), so ``completeness_of``
    reads no more for them: a page that loads its model this way spends no query on it."""
    return _with_flags(_with_default_version(queryset), as_of or timezone.localdate())


def completeness_of(model: AIModel, version: Any = _DEFAULT, *, as_of: date | None = None) -> float | None:
    """The completeness of ``model``'s document describing ``version`` (default: as
    ``technical_documentation_for`` picks it; None: no version) in one query, or none for a model loaded
    ``with_completeness`` when ``version`` is its default; None for a model that is not high-risk. Remembered on
    the instance, so a page and its release checks read it once."""
    if not is_high_risk(model):
        return None
    if hasattr(model, "td_texts") and (
        version is _DEFAULT or getattr(version, "pk", None) == model.doc_version_id
    ):
        return _percent(model)
    as_of = as_of or timezone.localdate()
    key = ("default" if version is _DEFAULT else getattr(version, "pk", None), as_of)
    memo = model.__dict__.setdefault("_annex_iv_completeness", {})
    if key not in memo:
        queryset = AIModel.objects.filter(pk=model.pk)
        if version is _DEFAULT:
            queryset = _with_default_version(queryset)
        else:
            queryset = queryset.annotate(
                doc_version_id=Value(getattr(version, "pk", None), output_field=BigIntegerField()),
                doc_registered_at=Value(
                    getattr(version, "registered_at", None), output_field=DateTimeField()
                ),
            )
        row = _with_flags(queryset, as_of).first()
        memo[key] = _percent(row) if row is not None else 0.0
    return memo[key]


def completeness_by_model(
    queryset: QuerySet[AIModel], as_of: date | None = None
) -> list[tuple[AIModel, float]]:
    """(model, completeness) for every model of ``queryset``, each document describing its default version,
    in one query whatever their number."""
    return [(m, _percent(m)) for m in with_completeness(queryset, as_of)]


@dataclass(frozen=True)
class AnnexIVOverview:
    """The compliance overview's Annex IV panel: the organisation's high-risk models (not retired)."""

    models: int
    complete: int
    average: float | None
    lowest: list[tuple[AIModel, float]]


OVERVIEW_LOWEST = 5


def annex_iv_overview(organisation: Organisation, as_of: date | None = None) -> AnnexIVOverview:
    """How complete the high-risk models' Annex IV documents are: one query."""
    models = (
        AIModel.objects.filter(organisation=organisation, eu_ai_act_category=EUAIActCategory.HIGH_RISK)
        .exclude(lifecycle_stage=LifecycleStage.RETIRED)
        .select_related(None)
        .only(
            "pk",
            "name",
            "purpose",
            "owner_id",
            "business_unit_id",
            "model_type",
            "deployment_environment",
            "third_party",
            "vendor",
            "data_sources",
            "lifecycle_stage",
            "eu_ai_act_category",
        )
        .order_by("name", "pk")
    )
    scored = completeness_by_model(models, as_of)
    if not scored:
        return AnnexIVOverview(0, 0, None, [])
    average = round(sum(p for _, p in scored) / len(scored), 1)
    lowest = sorted((item for item in scored if item[1] < 100), key=lambda item: (item[1], item[0].name))
    return AnnexIVOverview(
        models=len(scored),
        complete=sum(p >= 100 for _, p in scored),
        average=average,
        lowest=lowest[:OVERVIEW_LOWEST],
    )
