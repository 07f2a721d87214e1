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

from governance.models import AIModel, LifecycleStage, Report, ReportKind, RiskTier
from governance.reports.charts import horizontal_bar_svg

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


def _dossier_context(report: Report) -> dict[str, Any]:
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
    return {
        "scope": f"AI model “{model.name}”",
        "model": model,
        "versions": versions,
        "approvals": approvals,
        "sections": [
            ("summary", "Executive summary"),
            ("details", "Model details"),
            ("versions", "Versions"),
            ("approvals", "Approvals"),
            ("signoff", "Sign-off"),
        ],
    }


def _assessment_context(report: Report) -> dict[str, Any]:
    from maturity.models import Assessment
    from maturity.selectors import assessment_result

    assessment = (
        Assessment.objects.filter(organisation=report.organisation, pk=report.subject_id)
        .select_related("business_unit", "created_by", "submitted_by", "approved_by")
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
        "sections": [
            ("summary", "Executive summary"),
            ("factors", "Scores by factor"),
            ("roadmap", "Improvement roadmap"),
            ("signoff", "Sign-off"),
        ],
    }


# Kinds that can be rendered today; request_report refuses the others.
BUILDERS: dict[str, tuple[str, Callable[[Report], dict[str, Any]]]] = {
    ReportKind.MODEL_INVENTORY: ("reports/model_inventory.html", _inventory_context),
    ReportKind.MODEL_DOSSIER: ("reports/model_dossier.html", _dossier_context),
    ReportKind.ASSESSMENT: ("reports/assessment.html", _assessment_context),
}


def render_html(report: Report, progress: Progress | None = None) -> str:
    progress = progress or (lambda _: None)
    template, builder = BUILDERS[report.kind]
    context = builder(report)
    progress(30)
    period_start, period_end = report.parameters.get("period_start"), report.parameters.get("period_end")
    context.update(
        {
            "report": report,
            "organisation": report.organisation,
            "generated_at": timezone.now(),
            "generated_by": report.requested_by.get_full_name() or report.requested_by.get_username()
            if report.requested_by
            else "system",
            "period": f"{period_start} to {period_end}"
            if period_start and period_end
            else f"As at {date.isoformat(timezone.localdate())}",
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
