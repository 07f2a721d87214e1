"""The "Model card" report: one version's model card as a PDF an auditor can be handed.

Registered from ``GovernanceConfig.ready`` beside governance's other kinds; the pipeline in ``render.py`` adds
the cover, contents, page furniture and sign-off.
"""

from typing import Any

from governance.core.registry import ReportKindSpec, report_kinds
from governance.models import ModelVersion, Report
from governance.reports.render import SubjectError
from governance.rules.model_cards import NOT_RECORDED, metric_rows
from governance.selectors import model_cards as selectors

MODEL_CARD = "model_card"


def _context(report: Report) -> dict[str, Any]:
    version = (
        ModelVersion.objects.filter(model__organisation=report.organisation, pk=report.subject_id)
        .select_related("model__owner", "model__business_unit", "registered_by")
        .first()
    )
    if version is None:
        raise SubjectError(f"Model version #{report.subject_id} does not exist in {report.organisation}.")
    card = selectors.card_of(version)
    sections = selectors.sections(card)
    recorded = [s["heading"] for s in sections if s["text"]]
    return {
        "scope": f"Model card of {version}",
        "version": version,
        "model": version.model,
        "card": card,
        "details": selectors.version_details(version),
        "card_sections": sections,
        "recorded": recorded,
        "missing": [s["heading"] for s in sections if not s["text"]],
        "metrics": metric_rows(version.metrics),
        "not_recorded": NOT_RECORDED,
        "sections": [
            ("summary", "Executive summary"),
            ("details", "Model details"),
            *((f"card-{s['key']}", s["heading"]) for s in sections),
            ("signoff", "Sign-off"),
        ],
    }


def _benchmark(context: dict[str, Any]) -> tuple[int, dict[str, Any], str] | None:
    for model in context["models"]:
        version = model.versions.order_by("-registered_at").first()
        if version is not None:
            return version.pk, {}, "1 version"
    return None


def register() -> None:
    """Called from ``GovernanceConfig.ready``."""
    report_kinds.register(
        ReportKindSpec(
            key=MODEL_CARD,
            label="Model card",
            template="governance/pdf/model_card.html",
            build_context=_context,
            title="Model card: {subject}",
            order=45,
            subject_model=ModelVersion,
            subject_organisation_field="model__organisation",
            subject_field="model_version",
            subject_label="Model version",
            subject_help="Only for a model card: the model's name and the version, e.g. “Fraud detector 2.1.0”.",
            subject_choices=selectors.versions_of_organisation,
            subject_lookup="governance:model-version-lookup",
            benchmark_case=_benchmark,
        )
    )
