"""The report kinds governance owns: model inventory, model dossier and compliance.

Each is a context builder for its PDF template plus a ``ReportKindSpec`` registered at start-up
(``GovernanceConfig.ready``); the pipeline in ``render.py`` adds the cover, period and sign-off.
"""

from collections import Counter
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.safestring import mark_safe

from governance.core.registry import ReportKindSpec, report_kinds
from governance.models import (
    AIModel,
    ApprovalRequest,
    AuditEvent,
    ComplianceStatus,
    Framework,
    Incident,
    KPIMeasurement,
    LifecycleStage,
    ModelCard,
    Report,
    RiskTier,
    Validation,
    VersionStatus,
)
from governance.reports.charts import horizontal_bar_svg, line_chart_svg, risk_matrix_svg
from governance.reports.render import SubjectError
from governance.rules.model_cards import metric_rows
from governance.selectors import compliance
from governance.selectors import model_cards as model_card_selectors
from governance.selectors.incidents import losses_by_currency
from governance.selectors.inventory import kpis_of, with_production_deployment_unapproved
from governance.selectors.risks import heatmap_grids, risks_of

MODEL_INVENTORY = "model_inventory"
MODEL_DOSSIER = "model_dossier"
COMPLIANCE = "compliance"


def _inventory_context(report: Report) -> dict[str, Any]:
    models = list(
        AIModel.objects.filter(organisation=report.organisation)
        .select_related("owner", "business_unit")
        .annotate(version_count=Count("versions"))
        .order_by("name")
    )
    today = timezone.localdate()
    tiers = Counter(m.risk_tier for m in models)
    stages = Counter(m.lifecycle_stage for m in models)
    overdue = [m for m in models if m.next_review_due and m.next_review_due < today]
    tier_items = [(label, tiers.get(value, 0)) for value, label in RiskTier.choices]
    stage_items = [(label, stages.get(value, 0)) for value, label in LifecycleStage.choices]
    return {
        "scope": "All AI models in the organisation's inventory",
        "models": models,
        "overrides": list(
            ApprovalRequest.objects.filter(organisation=report.organisation, overridden=True)
            .select_related("model", "decided_by")
            .order_by("-decided_at", "-pk")
        ),
        "unapproved": list(
            with_production_deployment_unapproved(
                AIModel.objects.filter(organisation=report.organisation)
            ).order_by("name")
        ),
        "total": len(models),
        "high_risk": sum(1 for m in models if m.risk_tier in {RiskTier.CRITICAL, RiskTier.HIGH}),
        "personal_data": sum(1 for m in models if m.processes_personal_data),
        "third_party": sum(1 for m in models if m.third_party),
        "overdue": overdue,
        "tier_rows": tier_items,
        "stage_rows": stage_items,
        "tier_chart": mark_safe(horizontal_bar_svg("Models by risk tier", tier_items)),
        "stage_chart": mark_safe(horizontal_bar_svg("Models by lifecycle stage", stage_items)),
        "sections": [
            ("summary", "Executive summary"),
            ("distribution", "Risk and lifecycle distribution"),
            ("inventory", "Inventory"),
            ("overdue", "Reviews overdue"),
            ("releases", "Release gates"),
            ("signoff", "Sign-off"),
        ],
    }


# Audit events shown in a dossier: at most this many (newest), so a model with years of KPI uploads stays readable.
DOSSIER_EVENT_LIMIT = 400
# KPI points drawn per chart: the most recent ones.
KPI_POINTS = 200


def _model_events(model: AIModel, related: dict[str, list[int]]) -> tuple[list[AuditEvent], int]:
    """Audit events about the model and the records hanging off it, newest first, and how many there are."""
    condition = Q(object_type=model._meta.label_lower, object_id=str(model.pk))
    for object_type, ids in related.items():
        if ids:
            condition |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    events = AuditEvent.objects.filter(condition, organisation_id=model.organisation_id)
    total = events.count()
    return list(events.order_by("-sequence")[:DOSSIER_EVENT_LIMIT]), total


def _kpi_sections(model: AIModel) -> list[dict[str, Any]]:
    """Each KPI with its latest value, status and a chart of its recent measurements against its thresholds."""
    sections = []
    for kpi in kpis_of(model):
        points = list(
            KPIMeasurement.objects.filter(kpi=kpi)
            .order_by("-measured_at")
            .values_list("measured_at", "value")[:KPI_POINTS]
        )[::-1]
        references = [
            (label, value)
            for label, value in (
                ("critical", kpi.critical_threshold),
                ("warning", kpi.warning_threshold),
                ("target", kpi.target),
            )
            if value is not None
        ]
        chart = (
            line_chart_svg(
                f"{kpi.name}{f' ({kpi.unit})' if kpi.unit else ''}",
                [("Measured", points)],
                references=references,
                height=200,
            )
            if points
            else ""
        )
        sections.append({"kpi": kpi, "count": len(points), "chart": mark_safe(chart)})
    return sections


# Model cards shown in a dossier: the champion's, then the newest other versions' cards.
DOSSIER_CARD_LIMIT = 5


def _dossier_cards(versions: list, cards: dict) -> list[dict[str, Any]]:
    """The champion's card (its sections "Not recorded" when it has none) and the newest other cards."""
    champion = [v for v in versions if v.status == VersionStatus.CHAMPION]
    others = [v for v in versions if v.pk in cards and v.status != VersionStatus.CHAMPION]
    return [
        {
            "version": version,
            "card": cards.get(version.pk),
            "sections": model_card_selectors.sections(cards.get(version.pk)),
            "metrics": metric_rows(version.metrics),
        }
        for version in (champion + others)[:DOSSIER_CARD_LIMIT]
    ]


def _dossier_context(report: Report) -> dict[str, Any]:
    model = (
        AIModel.objects.filter(organisation=report.organisation, pk=report.subject_id)
        .select_related("owner", "business_unit")
        .first()
    )
    if model is None:
        raise SubjectError(f"AI model #{report.subject_id} does not exist in {report.organisation}.")
    versions = list(model.versions.select_related("registered_by").order_by("-registered_at"))
    cards = {
        c.version_id: c for c in ModelCard.objects.filter(version__model=model).select_related("updated_by")
    }
    approvals = list(
        model.approval_requests.select_related("requested_by", "decided_by").order_by("-requested_at")
    )
    risks = risks_of(model)
    inherent_grid, residual_grid = heatmap_grids(model.risks.all())
    incidents = list(model.incidents.select_related("reported_by"))
    summaries = compliance.model_summary(model)
    matrices = [compliance.model_matrix(model, summary.framework) for summary in summaries]
    kpis = _kpi_sections(model)
    related = {
        "governance.modelversion": [v.pk for v in versions],
        "governance.modelcard": [c.pk for c in cards.values()],
        "governance.approvalrequest": [a.pk for a in approvals],
        "governance.validation": list(Validation.objects.filter(model=model).values_list("pk", flat=True)),
        "governance.risk": [r.pk for r in risks],
        "governance.incident": [i.pk for i in incidents],
        "governance.kpidefinition": [k["kpi"].pk for k in kpis],
        "governance.compliancerecord": [c.record.pk for m in matrices for c in m.cells if c.record],
    }
    events, event_total = _model_events(model, related)
    return {
        "scope": f"AI model “{model.name}”",
        "model": model,
        "versions": versions,
        "model_cards": _dossier_cards(versions, cards),
        "model_cards_total": len(cards),
        "approvals": approvals,
        "overrides": [a for a in approvals if a.overridden],
        "validations": list(
            Validation.objects.filter(model=model)
            .select_related("version", "validator")
            .prefetch_related("findings")
            .order_by("-started_on", "-pk")
        ),
        "risks": risks,
        "open_risks": sum(1 for r in risks if r.status != "closed"),
        "inherent_chart": mark_safe(risk_matrix_svg("Inherent risk", inherent_grid)),
        "residual_chart": mark_safe(risk_matrix_svg("Residual risk", residual_grid)),
        "compliance": list(zip(summaries, matrices, strict=True)),
        "incidents": incidents,
        "losses": losses_by_currency(Incident.objects.filter(model=model)),
        "kpis": kpis,
        "events": events,
        "event_total": event_total,
        "event_limit": DOSSIER_EVENT_LIMIT,
        "sections": [
            ("summary", "Executive summary"),
            ("details", "Model card"),
            ("versions", "Versions"),
            ("model-cards", "Model cards of versions"),
            ("approvals", "Approvals"),
            ("risks", "Risks"),
            ("compliance", "Compliance"),
            ("kpis", "KPIs"),
            ("incidents", "Incidents"),
            ("appendix", "Appendix: audit events"),
            ("signoff", "Sign-off"),
        ],
    }


def _compliance_context(report: Report) -> dict[str, Any]:
    parameters = report.parameters or {}
    key, version = parameters.get("framework"), parameters.get("framework_version")
    frameworks = Framework.objects.filter(key=key or "")
    framework = (
        frameworks.filter(version=version) if version else frameworks.filter(is_current=True)
    ).first()
    if framework is None:
        raise SubjectError(f"Framework “{key}”{f' version {version}' if version else ''} is not loaded.")
    matrix = compliance.framework_matrix(report.organisation, framework)
    requirement_rows = []
    for index, requirement in enumerate(matrix.requirements):
        cells = [row.cells[index] for row in matrix.rows if row.cells[index] is not None]
        requirement_rows.append(
            {
                "requirement": requirement,
                "models": len(cells),
                "coverage": compliance.coverage(c.status for c in cells),
                "overdue": sum(c.review == "overdue" for c in cells),
            }
        )
    findings = [
        (row.model, cell)
        for row in matrix.rows
        for cell in row.cells
        if cell is not None and (cell.status == ComplianceStatus.NON_COMPLIANT or cell.review == "overdue")
    ]
    evidence = [
        (row.model, cell)
        for row in matrix.rows
        for cell in row.cells
        if cell is not None and cell.record is not None
    ]
    total = matrix.coverage
    status_items = [(ComplianceStatus(status).label, count) for status, count in matrix.status_counts.items()]
    bands = [
        ("All marked N/A", 0),
        ("Below 25%", 0),
        ("25-49%", 0),
        ("50-74%", 0),
        ("75-99%", 0),
        ("100%", 0),
    ]
    for row in matrix.rows:
        percent = row.coverage.percent
        index = 0 if percent is None else 5 if percent >= 100 else 1 + min(3, int(percent // 25))
        bands[index] = (bands[index][0], bands[index][1] + 1)
    requirement_items = [
        (r["requirement"].ref, r["coverage"].percent or 0) for r in requirement_rows if r["models"]
    ]
    return {
        "scope": f"{framework.name}, version {framework.version}, across the organisation's AI models "
        "(retired models excluded)",
        "framework": framework,
        "matrix": matrix,
        "total": total,
        "requirement_rows": requirement_rows,
        "findings": findings,
        "non_compliant": sum(1 for _, c in findings if c.status == ComplianceStatus.NON_COMPLIANT),
        "overdue": matrix.overdue,
        "evidence": evidence,
        "status_chart": mark_safe(horizontal_bar_svg("Requirement checks by status", status_items)),
        "band_chart": mark_safe(horizontal_bar_svg("Models by coverage", bands)),
        "requirement_chart": mark_safe(
            horizontal_bar_svg("Coverage per requirement (%)", requirement_items, maximum=100)
        )
        if requirement_items
        else "",
        "sections": [
            ("summary", "Executive summary"),
            ("requirements", "Status per requirement"),
            ("models", "Coverage per model"),
            ("matrix", "Compliance matrix"),
            ("findings", "Non-compliant and overdue items"),
            ("appendix", "Appendix: evidence references"),
            ("signoff", "Sign-off"),
        ],
    }


def _compliance_parameters(parameters: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A compliance report names its framework by key (``{"framework": "eu-ai-act"}``); the current version is
    pinned, so the report is rendered on the version that was current when it was requested."""
    cleaned = dict(parameters)
    key = cleaned.get("framework")
    framework = (
        Framework.objects.filter(key=key, is_current=True).first() if isinstance(key, str) and key else None
    )
    if not key:
        raise ValidationError({"framework": ["Choose the framework the report covers."]})
    if framework is None:
        known = ", ".join(
            Framework.objects.filter(is_current=True).order_by("key").values_list("key", flat=True)
        )
        raise ValidationError(
            {"framework": [f"Unknown framework “{key}”. Loaded frameworks: {known or 'none'}."]}
        )
    cleaned["framework_version"] = framework.version
    return cleaned, str(framework)


def _compliance_form_fields(scheduled: bool) -> dict[str, forms.Field]:
    help_text = "Only for a compliance report" + (
        "; each run uses the framework's version current then." if scheduled else "."
    )
    field = forms.ChoiceField(required=False, label="Framework", help_text=help_text)
    field.choices = [("", "---------")] + [(f.key, str(f)) for f in compliance.current_frameworks()]
    return {"framework": field}


def _compliance_from_form(cleaned_data: dict[str, Any]) -> dict[str, Any]:
    return {"framework": cleaned_data.get("framework") or ""}


def _describe_frameworks(parameter_sets: list[dict[str, Any]]) -> list[str]:
    """The framework each schedule's parameters name, in one query for all of them."""
    keys = {p.get("framework") for p in parameter_sets} - {None}
    names = (
        dict(Framework.objects.filter(is_current=True, key__in=keys).values_list("key", "name"))
        if keys
        else {}
    )
    return [
        names.get(p.get("framework", ""), f"{p.get('framework', '')} (not loaded)") for p in parameter_sets
    ]


def _compliance_benchmark(context: dict[str, Any]) -> tuple[None, dict[str, Any], str] | None:
    framework = context["framework"]
    if framework is None:
        return None  # no compliance framework file is shipped
    parameters = {"framework": framework.key, "framework_version": framework.version}
    return None, parameters, f"{context['model_count']} models"


def register() -> None:
    """Called from ``GovernanceConfig.ready``."""
    report_kinds.register(
        ReportKindSpec(
            key=MODEL_INVENTORY,
            label="Model inventory",
            template="governance/pdf/model_inventory.html",
            build_context=_inventory_context,
            title="Model inventory report",
            order=30,
            benchmark_case=lambda context: (None, {}, f"{context['model_count']} models"),
        ),
        ReportKindSpec(
            key=MODEL_DOSSIER,
            label="Model dossier",
            template="governance/pdf/model_dossier.html",
            build_context=_dossier_context,
            title="Model dossier: {subject}",
            order=40,
            benchmark_case=lambda context: (
                (context["models"][0].pk, {}, "1 model") if context["models"] else None
            ),
            subject_model=AIModel,
            subject_field="subject",
            subject_label="AI model",
            subject_help="Only for a model dossier.",
            subject_choices=lambda organisation: AIModel.objects.filter(organisation=organisation).only(
                "pk", "name"
            ),
            subject_lookup="governance:model-lookup",
        ),
        ReportKindSpec(
            key=COMPLIANCE,
            label="Compliance",
            template="governance/pdf/compliance.html",
            build_context=_compliance_context,
            title="Compliance report: {subject}",
            order=50,
            clean_parameters=_compliance_parameters,
            form_fields=_compliance_form_fields,
            parameters_from_form=_compliance_from_form,
            describe_parameters=_describe_frameworks,
            benchmark_case=_compliance_benchmark,
        ),
    )
