"""Compliance template helpers: coverage formatting, status badges and the model page's coverage summary."""

from django import template

from governance.models import AIModel, ComplianceStatus
from governance.selectors.compliance import ModelFrameworkSummary, model_summary

register = template.Library()

# Short cell text for the framework matrix (the full label is in the cell's title and a hidden span).
STATUS_SYMBOLS = {
    ComplianceStatus.COMPLIANT: "C",
    ComplianceStatus.PARTIAL: "P",
    ComplianceStatus.NON_COMPLIANT: "N",
    ComplianceStatus.NOT_ASSESSED: "·",
    ComplianceStatus.NOT_APPLICABLE: "n/a",
}


@register.filter
def pct(value: float | None) -> str:
    """A coverage percentage as text ("72.5 %"), or "—" when nothing is in scope."""
    if value is None:
        return "—"
    return f"{value:g} %"


@register.filter
def pct_width(value: float | None) -> str:
    """A coverage percentage as a CSS width for progress bars (0% when nothing is in scope)."""
    return f"{value or 0:g}%"


@register.filter
def status_symbol(status: str) -> str:
    """The short symbol of a compliance status for dense matrix cells."""
    return STATUS_SYMBOLS.get(status, "?")


@register.filter
def section_label(section: str) -> str:
    """The short form of a requirement section for narrow headers: the part before " — "."""
    return section.split(" — ", 1)[0]


@register.simple_tag
def model_compliance_summary(model: AIModel) -> list[ModelFrameworkSummary]:
    """The model's coverage against every current framework that applies to it (for the model page)."""
    return model_summary(model)
