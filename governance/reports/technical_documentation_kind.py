"""The "Annex IV technical documentation" report kind: one high-risk model's EU AI Act Annex IV document as a PDF.

The document is laid out by ``governance.selectors.technical_documentation`` exactly as its page shows it. The
optional ``version`` parameter (a version label) pins the version described, so the report can be reproduced
for that version later; without it, the champion (else the newest version) when the report is rendered.
Registered from ``GovernanceConfig.ready``.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from governance.core.registry import ReportKindSpec, report_kinds
from governance.models import AIModel, EUAIActCategory, ModelVersion, Organisation, Report
from governance.reports.render import SubjectError
from governance.selectors.technical_documentation import is_high_risk, technical_documentation_for

TECHNICAL_DOCUMENTATION = "technical_documentation"
MAX_VERSION = 64  # ModelVersion.version


def _high_risk_models(organisation: Organisation) -> QuerySet[AIModel]:
    return AIModel.objects.filter(
        organisation=organisation, eu_ai_act_category=EUAIActCategory.HIGH_RISK
    ).only("pk", "name")


def _context(report: Report) -> dict[str, Any]:
    model = (
        AIModel.objects.filter(organisation=report.organisation, pk=report.subject_id)
        .select_related("owner", "business_unit", "technical_documentation")
        .first()
    )
    if model is None:
        raise SubjectError(f"AI model #{report.subject_id} does not exist in {report.organisation}.")
    if not is_high_risk(model):
        raise SubjectError(
            f"{model.name} is not classified high-risk: Annex IV technical documentation applies to high-risk "
            "systems only."
        )
    label = (report.parameters or {}).get("version") or None
    try:
        document = technical_documentation_for(model, label, as_of=timezone.localdate())
    except ModelVersion.DoesNotExist as exc:
        raise SubjectError(f"{model.name} has no version “{label}”.") from exc
    version = document.version
    described = (
        f"version {version.version} ({version.get_status_display().lower()})" if version else "no version"
    )
    return {
        "scope": f"EU AI Act Annex IV technical documentation of the high-risk AI model “{model.name}”, "
        f"describing {described}",
        "model": model,
        "document": document,
        "sections": [
            ("summary", "Executive summary"),
            *((s.spec.key, f"{s.spec.citation} — {s.spec.title}") for s in document.sections),
            ("signoff", "Sign-off"),
        ],
    }


def _clean_parameters(parameters: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``version``: optional, the label of the version to describe (checked against the model when rendered)."""
    cleaned = dict(parameters)
    version = cleaned.pop("version", None)
    if version in (None, ""):
        return cleaned, None
    if not isinstance(version, str) or not version.strip():
        raise ValidationError({"version": ["Give the version label, e.g. “3.2.0”, or leave it empty."]})
    version = version.strip()
    if len(version) > MAX_VERSION or "\x00" in version:
        raise ValidationError({"version": [f"A version label has at most {MAX_VERSION} characters."]})
    cleaned["version"] = version
    return cleaned, f"version {version}"


def _form_fields(scheduled: bool) -> dict[str, forms.Field]:
    help_text = (
        "Only for Annex IV technical documentation: the version label to describe. Empty: the champion"
        + (" when each run renders." if scheduled else ".")
    )
    return {
        "version": forms.CharField(
            required=False, max_length=MAX_VERSION, label="Version described", help_text=help_text
        )
    }


def _from_form(cleaned_data: dict[str, Any]) -> dict[str, Any]:
    version = (cleaned_data.get("version") or "").strip()
    return {"version": version} if version else {}


def _benchmark(context: dict[str, Any]) -> tuple[int, dict[str, Any], str] | None:
    for model in context["models"]:
        if is_high_risk(model):
            return model.pk, {}, "1 high-risk model"
    return None


def register() -> None:
    """Called from ``GovernanceConfig.ready``."""
    report_kinds.register(
        ReportKindSpec(
            key=TECHNICAL_DOCUMENTATION,
            label="Annex IV technical documentation",
            template="governance/pdf/technical_documentation.html",
            build_context=_context,
            title="Annex IV technical documentation: {subject}",
            order=48,
            subject_model=AIModel,
            # Its own picker: the model dossier's offers every model, this one only the high-risk ones.
            subject_field="high_risk_model",
            subject_label="High-risk AI model",
            subject_help="Only for Annex IV technical documentation: a model classified high-risk.",
            subject_choices=_high_risk_models,
            clean_parameters=_clean_parameters,
            form_fields=_form_fields,
            parameters_from_form=_from_form,
            benchmark_case=_benchmark,
        )
    )
