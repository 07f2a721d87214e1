"""The design system's template tags: status badges, risk-band badges and the page header.

Colours carry one meaning each, across every page:

- statuses (``{% status_badge value label %}``) are light badges in five tones — grey: not begun or no longer in
  play; blue: in progress or waiting on someone; green: done and fine; amber: needs attention; red: failed or
  refused;
- risk levels (``{% band_badge band label %}``: risk tiers, severities, risk scores) are solid badges in the four
  bands of the risk heat map — low green, medium yellow, high orange, critical red — with a legend
  (``_band_legend.html``) wherever they appear.

A badge always says its status or band in words, so colour is never the only signal.
"""

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

NEUTRAL, PROGRESS, DONE, ATTENTION, FAILED = "neutral", "progress", "done", "attention", "failed"

# Stored status values (of every model) -> tone. A value not listed is neutral.
STATUS_TONES: dict[str, str] = {
    # Not begun, or out of play.
    "draft": NEUTRAL,
    "proposed": NEUTRAL,
    "not_assessed": NEUTRAL,
    "not_started": NEUTRAL,
    "not_applicable": NEUTRAL,
    "not_required": NEUTRAL,
    "withdrawn": NEUTRAL,
    "retired": NEUTRAL,
    "dropped": NEUTRAL,
    "paused": NEUTRAL,
    "candidate": NEUTRAL,
    "no data": NEUTRAL,
    "accepted": NEUTRAL,
    # In progress, or waiting on someone.
    "submitted": PROGRESS,
    "pending": PROGRESS,
    "queued": PROGRESS,
    "running": PROGRESS,
    "started": PROGRESS,
    "retrying": PROGRESS,
    "planned": PROGRESS,
    "in_progress": PROGRESS,
    "investigating": PROGRESS,
    "mitigating": PROGRESS,
    "mitigated": PROGRESS,
    "development": PROGRESS,
    "validation": PROGRESS,
    # Done and fine.
    "approved": DONE,
    "compliant": DONE,
    "implemented": DONE,
    "closed": DONE,
    "succeeded": DONE,
    "ready": DONE,
    "remediated": DONE,
    "done": DONE,
    "ok": DONE,
    "active": DONE,
    "pass": DONE,
    "champion": DONE,
    "production": DONE,
    # Needs attention.
    "open": ATTENTION,
    "partial": ATTENTION,
    "warning": ATTENTION,
    "overdue": ATTENTION,
    "stale": ATTENTION,
    "rolled_back": ATTENTION,
    # Failed or refused.
    "rejected": FAILED,
    "non_compliant": FAILED,
    "failed": FAILED,
    "fail": FAILED,
    "critical": FAILED,
    "revoked": FAILED,
    "expired": FAILED,
}

BANDS = ("low", "medium", "high", "critical")


def status_tone(value: object) -> str:
    """The tone (``neutral``, ``progress``, ``done``, ``attention``, ``failed``) of a stored status value."""
    return STATUS_TONES.get(str(value), NEUTRAL)


@register.simple_tag
def status_badge(value: object, label: object = None) -> SafeString:
    """A status as a badge of its tone; ``label`` (e.g. ``get_status_display``) defaults to the value in words."""
    text = label if label not in (None, "") else str(value).replace("_", " ").capitalize()
    return format_html(
        '<span class="badge status status-{} text-nowrap" data-status="{}">{}</span>',
        status_tone(value),
        value,
        text,
    )


@register.simple_tag
def band_badge(band: object, label: object = None) -> SafeString:
    """A risk level (tier, severity, score band: low, medium, high, critical) as a badge in its band's colour."""
    band = str(band)
    text = label if label not in (None, "") else band.capitalize()
    css = band if band in BANDS else "none"
    return format_html('<span class="badge band band-{} text-nowrap">{}</span>', css, text)


@register.simple_block_tag
def page_header(content: str, title: object, scope: object = "") -> SafeString:
    """The top of a page: its title, a scope line under it, and the page's primary actions (the tag's content)
    top-right. ``{% page_header "Models" scope="Every model of Acme" %}<a class="btn btn-primary" …>Add</a>
    {% endpage_header %}``."""
    return render_to_string("_page_header.html", {"title": title, "scope": scope, "actions": content})
