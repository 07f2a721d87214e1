"""The report kinds the maturity app owns: one assessment, and the organisation's maturity across units.

Registered at start-up (``MaturityConfig.ready``) on governance's report-kind registry; governance renders,
stores, emails and verifies them like any other kind without knowing what is inside.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.safestring import mark_safe

from governance.core.registry import ReportKindSpec, report_kinds
from governance.models import AuditEvent, Report
from governance.reports.charts import heatmap_svg, horizontal_bar_svg, line_chart_svg, radar_svg
from governance.reports.render import SubjectError, report_period
from maturity import crosswalk
from maturity.actions import MaturityAction
from maturity.charts import as_score
from maturity.demo import benchmark_assessments
from maturity.models import Assessment, Questionnaire
from maturity.scoring import ROADMAP_RULE
from maturity.selectors import (
    answer_rows,
    assessment_questions,
    assessment_result,
    crosswalk_rows,
    evidence_flags,
    question_evidence,
    trend,
    unit_comparison,
)

ASSESSMENT = "assessment"
ORGANISATION_MATURITY = "organisation_maturity"


# How each assessment event reads in the approval history.
ASSESSMENT_EVENT_LABELS = {
    MaturityAction.ASSESSMENT_CREATE: "Created",
    MaturityAction.ASSESSMENT_ANSWER: "Answers saved",
    MaturityAction.ASSESSMENT_TARGETS: "Targets changed",
    MaturityAction.ASSESSMENT_SUBMIT: "Submitted for approval",
    MaturityAction.ASSESSMENT_APPROVE: "Approved",
    MaturityAction.ASSESSMENT_RETURN: "Returned to draft",
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
        if event.action == MaturityAction.ASSESSMENT_ANSWER:
            keys = sorted((changes.get("answers") or {}).keys())
            summary = f"{len(keys)} answer{'s' if len(keys) != 1 else ''}: {', '.join(keys[:8])}" + (
                " …" if len(keys) > 8 else ""
            )
        elif event.action == MaturityAction.ASSESSMENT_RETURN:
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
    assessment = (
        Assessment.objects.filter(organisation=report.organisation, pk=report.subject_id)
        .select_related("business_unit", "questionnaire", "created_by", "submitted_by", "approved_by")
        .first()
    )
    if assessment is None:
        raise SubjectError(f"Assessment #{report.subject_id} does not exist in {report.organisation}.")
    questions = assessment_questions(assessment)
    observed = question_evidence(assessment, questions)
    result = assessment_result(assessment, observed=observed, questions=questions)
    score_items = [(f.name, round(f.score or 0, 2)) for f in result.factors]
    radar_series = [
        ("Self-assessed", [f.score for f in result.factors]),
        ("Target", [f.target for f in result.factors]),
    ]
    if observed:
        radar_series.append(("Evidence-supported", [f.evidence_score for f in result.factors]))
    history = trend(assessment.organisation, assessment.business_unit)
    points = [(a.approved_at, as_score(a.overall_score)) for a in history]
    if assessment.status != "approved" and result.overall is not None:
        points.append((assessment.submitted_at or timezone.now(), result.overall))
    gap_items = [(f.name, round(f.gap or 0, 2)) for f in result.factors]
    return {
        "scope": f"{assessment.business_unit.name if assessment.business_unit else report.organisation.name}"
        f" — “{assessment.title}”",
        "assessment": assessment,
        "result": result,
        "roadmap": sorted(result.roadmap, key=lambda item: item.horizon)[:30],
        "roadmap_rule": ROADMAP_RULE,
        "score_chart": mark_safe(horizontal_bar_svg("Factor scores (0-5)", score_items, maximum=5)),
        "radar_chart": mark_safe(
            radar_svg("Maturity by factor (0-5)", [f.name for f in result.factors], radar_series)
        ),
        "trend_chart": mark_safe(
            line_chart_svg(
                "Overall score over time, same scope (0-5)", [("Overall", points)], minimum=0, maximum=5
            )
        )
        if len(points) > 1
        else None,
        "top_actions": [item for item in result.roadmap if item.horizon == 0][:5] or result.roadmap[:5],
        "gap_chart": mark_safe(horizontal_bar_svg("Gap to target (levels)", gap_items, maximum=5)),
        "answer_rows": answer_rows(assessment, questions, observed),
        "has_evidence": bool(observed),
        "evidence_observed_on": next(iter(observed.values())).observation.observed_on if observed else None,
        "flags": evidence_flags(assessment, questions, observed),
        "crosswalk": crosswalk_rows(result, questions),
        "crosswalk_version": crosswalk.current().version,
        "history": _assessment_history(assessment),
        "sections": [
            ("summary", "Executive summary"),
            ("factors", "Scores by factor"),
            *([("evidence-flags", "Evidence flags")] if observed else []),
            ("crosswalk", "On public MLOps maturity models"),
            ("roadmap", "Improvement roadmap"),
            ("appendix-answers", "Appendix A: answers and evidence"),
            ("appendix-approvals", "Appendix B: submission and approval history"),
            ("signoff", "Sign-off"),
        ],
    }


def _organisation_maturity_context(report: Report) -> dict[str, Any]:
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
    ids = {a.submitted_by_id for a in assessments} | {a.approved_by_id for a in assessments}
    users = get_user_model().objects.in_bulk([i for i in ids if i])
    questionnaires = Questionnaire.objects.in_bulk({a.questionnaire_id for a in assessments})
    for assessment in assessments:
        assessment.submitter = users.get(assessment.submitted_by_id)
        assessment.approver = users.get(assessment.approved_by_id)
        assessment.questionnaire_version = questionnaires[assessment.questionnaire_id].version


def _organisation_benchmark(context: dict[str, Any]) -> tuple[None, dict[str, Any], str]:
    benchmark_assessments(context)  # the units' quarterly history the report compares
    return None, {}, f"{context['unit_count']} units"


def register() -> None:
    """Called from ``MaturityConfig.ready``."""
    report_kinds.register(
        ReportKindSpec(
            key=ASSESSMENT,
            label="Maturity assessment",
            template="maturity/pdf/assessment.html",
            build_context=_assessment_context,
            title="Maturity assessment: {subject}",
            order=10,
            subject_model=Assessment,
            subject_field="assessment",
            subject_label="Assessment",
            subject_help="Only for a maturity assessment report.",
            benchmark_case=lambda context: (benchmark_assessments(context).pk, {}, "40 questions"),
            subject_choices=lambda organisation: Assessment.objects.filter(organisation=organisation).only(
                "pk", "title"
            ),
        ),
        ReportKindSpec(
            key=ORGANISATION_MATURITY,
            label="Organisation maturity",
            template="maturity/pdf/organisation_maturity.html",
            build_context=_organisation_maturity_context,
            title="Organisation maturity report",
            order=20,
            covers_period=True,
            period_help="an organisation maturity report then uses assessments approved in the period",
            benchmark_case=_organisation_benchmark,
        ),
    )
