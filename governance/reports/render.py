"""Render a report to PDF bytes: Django templates for the HTML, WeasyPrint for the pages.

Every kind has a context builder reading the organisation's data; the shared layout (cover, contents, footer
"Page X of Y" with the classification line, sign-off) lives in templates/reports/base.html.
"""

import io
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from governance.models import AIModel, AuditEvent, LifecycleStage, Report, ReportKind, RiskTier
from governance.reports.charts import heatmap_svg, horizontal_bar_svg, line_chart_svg, risk_matrix_svg

Progress = Callable[[int], None]
# WeasyPrint logs every layout step at INFO; a 200-model report would flood the worker log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class SubjectError(Exception):
    """The report's subject is missing or not the organisation's: rendering cannot succeed on a retry."""


@dataclass(frozen=True)
class RenderedReport:
    content: bytes
    page_count: int


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
            ("signoff", "Sign-off"),
        ],
    }


# Audit events shown in a dossier: at most this many (newest), so a model with years of KPI uploads stays readable.
DOSSIER_EVENT_LIMIT = 400
# KPI points drawn per chart: the most recent ones.
KPI_POINTS = 200


def _model_events(model: AIModel, related: dict[str, list[int]]) -> tuple[list[AuditEvent], int]:
    """Audit events about the model and the records hanging off it, newest first, and how many there are."""
    from django.db.models import Q

    condition = Q(object_type=model._meta.label_lower, object_id=str(model.pk))
    for object_type, ids in related.items():
        if ids:
            condition |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    events = AuditEvent.objects.filter(condition, organisation_id=model.organisation_id)
    total = events.count()
    return list(events.order_by("-sequence")[:DOSSIER_EVENT_LIMIT]), total


def _kpi_sections(model: AIModel) -> list[dict[str, Any]]:
    """Each KPI with its latest value, status and a chart of its recent measurements against its thresholds."""
    from governance.models import KPIMeasurement
    from governance.selectors.inventory import kpis_of

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


def _dossier_context(report: Report) -> dict[str, Any]:
    from governance.models import Incident
    from governance.selectors import compliance
    from governance.selectors.incidents import losses_by_currency
    from governance.selectors.risks import heatmap_grids, risks_of

    model = (
        AIModel.objects.filter(organisation=report.organisation, pk=report.subject_id)
        .select_related("owner", "business_unit")
        .first()
    )
    if model is None:
        raise SubjectError(f"AI model #{report.subject_id} does not exist in {report.organisation}.")
    versions = list(model.versions.select_related("registered_by").order_by("-registered_at"))
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
        "governance.approvalrequest": [a.pk for a in approvals],
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
        "approvals": approvals,
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
    from governance.models import ComplianceStatus, Framework
    from governance.selectors import compliance

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


def _answer_rows(assessment) -> list[dict[str, Any]]:
    """Every question of the assessment's questionnaire, in order, with its answer (or none)."""
    from maturity.models import Answer, Question

    answers = {
        a.question_id: a for a in Answer.objects.filter(assessment=assessment).select_related("answered_by")
    }
    rows = []
    questions = (
        Question.objects.filter(factor__questionnaire_id=assessment.questionnaire_id)
        .select_related("factor")
        .order_by("factor__order", "factor__pk", "order", "pk")
    )
    for question in questions:
        answer = answers.get(question.pk)
        descriptors = list(question.level_descriptors or ())
        level = answer.level if answer and not answer.not_applicable else None
        rows.append(
            {
                "question": question,
                "answer": answer,
                "level": level,
                "descriptor": descriptors[level] if level is not None and level < len(descriptors) else "",
                "evidence": [str(link) for link in (answer.evidence_links or [])] if answer else [],
            }
        )
    return rows


# How each assessment event reads in the approval history.
ASSESSMENT_EVENT_LABELS = {
    "assessment.create": "Created",
    "assessment.answer": "Answers saved",
    "assessment.targets": "Targets changed",
    "assessment.submit": "Submitted for approval",
    "assessment.approve": "Approved",
    "assessment.return": "Returned to draft",
}


def _assessment_history(assessment) -> list[dict[str, Any]]:
    """The assessment's audit events, oldest first, each with a one-line summary of what changed."""
    events = AuditEvent.objects.filter(
        organisation_id=assessment.organisation_id,
        object_type=assessment._meta.label_lower,
        object_id=str(assessment.pk),
    ).order_by("sequence")
    history = []
    for event in events:
        changes = event.changes or {}
        if event.action == "assessment.answer":
            keys = sorted((changes.get("answers") or {}).keys())
            summary = f"{len(keys)} answer{'s' if len(keys) != 1 else ''}: {', '.join(keys[:8])}" + (
                " …" if len(keys) > 8 else ""
            )
        elif event.action == "assessment.return":
            summary = f"Reason: {(changes.get('returned_reason') or [None, ''])[1]}"
        else:
            summary = ", ".join(sorted(k for k in changes if k not in {"factor_scores"}))
        history.append(
            {
                "event": event,
                "label": ASSESSMENT_EVENT_LABELS.get(event.action, event.action),
                "summary": summary,
            }
        )
    return history


def _assessment_context(report: Report) -> dict[str, Any]:
    from maturity.models import Assessment
    from maturity.selectors import assessment_result

    assessment = (
        Assessment.objects.filter(organisation=report.organisation, pk=report.subject_id)
        .select_related("business_unit", "questionnaire", "created_by", "submitted_by", "approved_by")
        .first()
    )
    if assessment is None:
        raise SubjectError(f"Assessment #{report.subject_id} does not exist in {report.organisation}.")
    result = assessment_result(assessment)
    score_items = [(f.name, round(f.score or 0, 2)) for f in result.factors]
    gap_items = [(f.name, round(f.gap or 0, 2)) for f in result.factors]
    return {
        "scope": f"{assessment.business_unit.name if assessment.business_unit else report.organisation.name}"
        f" — “{assessment.title}”",
        "assessment": assessment,
        "result": result,
        "roadmap": result.roadmap[:20],
        "score_chart": mark_safe(horizontal_bar_svg("Factor scores (0-5)", score_items, maximum=5)),
        "gap_chart": mark_safe(horizontal_bar_svg("Gap to target (levels)", gap_items, maximum=5)),
        "answer_rows": _answer_rows(assessment),
        "history": _assessment_history(assessment),
        "sections": [
            ("summary", "Executive summary"),
            ("factors", "Scores by factor"),
            ("roadmap", "Improvement roadmap"),
            ("appendix-answers", "Appendix A: answers and evidence"),
            ("appendix-approvals", "Appendix B: submission and approval history"),
            ("signoff", "Sign-off"),
        ],
    }


def report_period(report: Report) -> tuple[date | None, date | None]:
    """The period the report's parameters select (ISO dates ``period_start`` / ``period_end``), if any."""
    bounds = []
    for name in ("period_start", "period_end"):
        value = (report.parameters or {}).get(name)
        try:
            bounds.append(date.fromisoformat(value) if value else None)
        except (TypeError, ValueError) as exc:
            raise SubjectError(f"Parameter {name} is not a date (YYYY-MM-DD): {value!r}.") from exc
    return bounds[0], bounds[1]


def _organisation_maturity_context(report: Report) -> dict[str, Any]:
    from maturity.charts import as_score
    from maturity.selectors import assessment_result, trend, unit_comparison

    organisation = report.organisation
    start, end = report_period(report)

    def in_period(assessment) -> bool:
        day = timezone.localdate(assessment.approved_at)
        return (start is None or day >= start) and (end is None or day <= end)

    comparison = unit_comparison(organisation)
    factors = comparison["factors"]
    scopes = [(None, f"{organisation.name} (all units)")] + [
        (unit, unit.name) for unit in organisation.business_units.order_by("name")
    ]
    histories = []
    for unit, label in scopes:
        history = [a for a in trend(organisation, unit) if in_period(a)]
        histories.append({"label": label, "unit": unit, "history": history})
    if start is None and end is None:
        # The selector's rows are the latest approved assessment per scope, exactly what the report shows.
        latest_rows = list(
            zip(
                comparison["units"],
                comparison["scores"],
                comparison["overall"],
                comparison["assessments"],
                strict=True,
            )
        )
    else:
        latest_rows = [
            (
                scope["label"],
                [as_score((scope["history"][-1].factor_scores or {}).get(f["key"])) for f in factors],
                as_score(scope["history"][-1].overall_score),
                scope["history"][-1],
            )
            for scope in histories
            if scope["history"]
        ]
    not_assessed = [scope["label"] for scope in histories if not scope["history"]]

    factor_names = {f["key"]: f["name"] for f in factors}
    rows = []
    for label, scores, overall, assessment in latest_rows:
        result = assessment_result(assessment)
        by_key = {f.key: f for f in result.factors}
        rows.append(
            {
                "label": label,
                "assessment": assessment,
                "overall": overall,
                "scores": [None if v is None else round(v, 2) for v in scores],
                "gaps": [by_key.get(f["key"]) for f in factors],
                "total_gap": round(sum(f.gap for f in result.factors), 2),
                "roadmap": result.roadmap[:5],
            }
        )
    organisation_row = next((r for r in rows if r["assessment"].business_unit_id is None), None)
    headline = organisation_row or (max(rows, key=lambda r: r["overall"] or 0) if rows else None)
    trend_tables = []
    for scope in histories:
        history = scope["history"]
        if not history:
            continue
        series = [("Overall", [(a.approved_at, as_score(a.overall_score)) for a in history])]
        keys = [f["key"] for f in factors]
        series += [
            (
                factor_names.get(key, key),
                [(a.approved_at, as_score((a.factor_scores or {}).get(key))) for a in history],
            )
            for key in keys
        ]
        chart = line_chart_svg(
            f"Maturity over time: {scope['label']}", series, minimum=0, maximum=5, y_label="Level"
        )
        previous = None
        table = []
        for assessment in history:
            overall = as_score(assessment.overall_score)
            table.append(
                {
                    "assessment": assessment,
                    "overall": overall,
                    "scores": [as_score((assessment.factor_scores or {}).get(key)) for key in keys],
                    "change": None if previous is None or overall is None else round(overall - previous, 2),
                }
            )
            previous = overall if overall is not None else previous
        trend_tables.append({"label": scope["label"], "rows": table, "chart": mark_safe(chart)})
    overall_series = [
        (scope["label"], [(a.approved_at, as_score(a.overall_score)) for a in scope["history"]])
        for scope in histories
        if scope["history"]
    ]
    change = None
    if organisation_row:
        organisation_history = histories[0]["history"]
        if len(organisation_history) > 1:
            before = as_score(organisation_history[-2].overall_score)
            if before is not None and organisation_row["overall"] is not None:
                change = round(organisation_row["overall"] - before, 2)
    appendix = sorted(
        (a for scope in histories for a in scope["history"]), key=lambda a: (a.approved_at, a.pk)
    )
    _prefetch_people(appendix)
    return {
        "scope": f"{organisation.name}: the organisation and its {len(scopes) - 1} business unit"
        f"{'s' if len(scopes) != 2 else ''}",
        "factors": factors,
        "rows": rows,
        "headline": headline,
        "organisation_row": organisation_row,
        "change": change,
        "not_assessed": not_assessed,
        "scope_count": len(scopes),
        "comparison_chart": mark_safe(
            heatmap_svg(
                "Business units by factor (latest approved assessment)",
                [r["label"] for r in rows],
                [f["name"] for f in factors],
                [r["scores"] for r in rows],
            )
        )
        if rows
        else "",
        "overall_chart": mark_safe(
            line_chart_svg(
                "Overall score over time by scope", overall_series, minimum=0, maximum=5, y_label="Level"
            )
        )
        if overall_series
        else "",
        "trend_tables": trend_tables,
        "appendix": appendix,
        "sections": [
            ("summary", "Executive summary"),
            ("comparison", "Business units compared"),
            ("gaps", "Gaps to targets"),
            ("trend", "Trend across reassessments"),
            ("roadmap", "Roadmap highlights"),
            ("appendix", "Appendix: assessments and approvals"),
            ("signoff", "Sign-off"),
        ],
    }


def _prefetch_people(assessments) -> None:
    """Attach submitter, approver and questionnaire in two queries (trend() selects only the unit)."""
    from django.contrib.auth import get_user_model

    from maturity.models import Questionnaire

    ids = {a.submitted_by_id for a in assessments} | {a.approved_by_id for a in assessments}
    users = get_user_model().objects.in_bulk([i for i in ids if i])
    questionnaires = Questionnaire.objects.in_bulk({a.questionnaire_id for a in assessments})
    for assessment in assessments:
        assessment.submitter = users.get(assessment.submitted_by_id)
        assessment.approver = users.get(assessment.approved_by_id)
        assessment.questionnaire_version = questionnaires[assessment.questionnaire_id].version


# Kinds whose content a period (period_start / period_end parameters) selects.
PERIOD_KINDS = frozenset({ReportKind.ORGANISATION_MATURITY})


def clean_parameters(kind: str, parameters: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Validate a request's parameters for ``kind``; return them normalised and what the report is about.

    Periods are ISO dates (``period_start`` <= ``period_end``). A compliance report names its framework by key
    (``{"framework": "eu-ai-act"}``); the current version is pinned so the report is rendered on the version
    that was current when it was requested.
    """
    from django.core.exceptions import ValidationError

    from governance.models import Framework

    cleaned = dict(parameters)
    errors: dict[str, list[str]] = {}
    bounds = {}
    for name in ("period_start", "period_end"):
        value = cleaned.get(name)
        if value in (None, ""):
            cleaned.pop(name, None)
            continue
        try:
            bounds[name] = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            bounds[name] = None
        if bounds[name] is None:
            errors[name] = ["Enter a date as YYYY-MM-DD."]
    if not errors and len(bounds) == 2 and bounds["period_start"] > bounds["period_end"]:
        errors["period_end"] = ["The period cannot end before it starts."]
    if bounds and kind not in PERIOD_KINDS:
        # The other kinds show records as they are now; a period on their cover would mislead an auditor.
        for name in bounds:
            errors[name] = ["Only an organisation maturity report covers a period."]
    described = None
    if kind == ReportKind.COMPLIANCE:
        key = cleaned.get("framework")
        framework = (
            Framework.objects.filter(key=key, is_current=True).first()
            if isinstance(key, str) and key
            else None
        )
        if not key:
            errors["framework"] = ["Choose the framework the report covers."]
        elif framework is None:
            known = ", ".join(
                Framework.objects.filter(is_current=True).order_by("key").values_list("key", flat=True)
            )
            errors["framework"] = [f"Unknown framework “{key}”. Loaded frameworks: {known or 'none'}."]
        else:
            cleaned["framework_version"] = framework.version
            described = str(framework)
    if errors:
        raise ValidationError(errors)
    return cleaned, described


# Kinds that can be rendered today; request_report refuses the others.
BUILDERS: dict[str, tuple[str, Callable[[Report], dict[str, Any]]]] = {
    ReportKind.MODEL_INVENTORY: ("reports/model_inventory.html", _inventory_context),
    ReportKind.MODEL_DOSSIER: ("reports/model_dossier.html", _dossier_context),
    ReportKind.ASSESSMENT: ("reports/assessment.html", _assessment_context),
    ReportKind.ORGANISATION_MATURITY: ("reports/organisation_maturity.html", _organisation_maturity_context),
    ReportKind.COMPLIANCE: ("reports/compliance.html", _compliance_context),
}


def render_html(report: Report, progress: Progress | None = None) -> str:
    progress = progress or (lambda _: None)
    template, builder = BUILDERS[report.kind]
    context = builder(report)
    progress(30)
    start, end = report_period(report)
    today = timezone.localdate()
    period = (
        f"{start} to {end or today}" if start else f"Up to {end}" if end else f"As at {today.isoformat()}"
    )
    context.update(
        {
            "report": report,
            "organisation": report.organisation,
            "generated_at": timezone.now(),
            "generated_by": report.requested_by.get_full_name() or report.requested_by.get_username()
            if report.requested_by
            else "system",
            "period": period,
        }
    )
    return render_to_string(template, context)


def render_pdf(report: Report, progress: Progress | None = None) -> RenderedReport:
    """The whole PDF in memory; nothing is stored here, so a crash leaves no half-written file."""
    from pypdf import PdfReader
    from weasyprint import HTML

    progress = progress or (lambda _: None)
    html = render_html(report, progress)
    progress(50)
    content = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    progress(85)
    page_count = len(PdfReader(io.BytesIO(content)).pages)
    return RenderedReport(content=content, page_count=page_count)
