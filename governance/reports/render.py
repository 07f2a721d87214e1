"""Render a report to PDF: Django templates for the HTML, WeasyPrint for the pages, in chunks (``pdf.py``).

Only the pipeline lives here. What each kind shows comes from its ``ReportKindSpec`` (registered by the app that
owns the data, see ``governance.core.registry``); the shared layout lives in templates/governance/pdf/: the body
and sign-off (base.html), the cover and contents (front.html), and the title, classification line and
"Page X of Y" on every page (furniture.html). Every part is printed in the organisation's report branding
(``report_branding``): its logo on the cover, its accent colour in the shared stylesheet (_head.html), and its
sign-off roles in the sign-off table.
"""

import base64
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from governance.core.registry import report_kinds
from governance.reports import pdf
from governance.rules.branding import Palette, palette, printable_signoff_roles
from governance.selectors.branding import LOGO_MAX_SIDE, sniff_logo_type, stored_logo

Progress = Callable[[int], None]
logger = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; a 200-model report would flood the worker log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PERIOD_PARAMETERS = ("period_start", "period_end")


class SubjectError(Exception):
    """The report's subject is missing or not the organisation's: rendering cannot succeed on a retry."""


def report_period(report) -> tuple[date | None, date | None]:
    """The period the report's parameters select (ISO dates ``period_start`` / ``period_end``), if any."""
    bounds = []
    for name in PERIOD_PARAMETERS:
        value = (report.parameters or {}).get(name)
        try:
            bounds.append(date.fromisoformat(value) if value else None)
        except (TypeError, ValueError) as exc:
            raise SubjectError(f"Parameter {name} is not a date (YYYY-MM-DD): {value!r}.") from exc
    return bounds[0], bounds[1]


def clean_parameters(kind: str, parameters: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Validate a request's parameters for ``kind``; return them normalised and what the report is about.

    Periods are ISO dates (``period_start`` <= ``period_end``), allowed only for kinds that cover a period; the
    kind's own ``clean_parameters`` checks the rest (e.g. the framework of a compliance report).
    """
    spec = report_kinds[kind]
    cleaned = dict(parameters)
    errors: dict[str, list[str]] = {}
    bounds = {}
    for name in PERIOD_PARAMETERS:
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
    if bounds and not spec.covers_period:
        # The other kinds show records as they are now; a period on their cover would mislead an auditor.
        periodic = " or ".join(s.label.lower() for s in report_kinds if s.covers_period) or "no"
        for name in bounds:
            errors[name] = [
                f"Only {'an' if periodic[:1] in 'aeiou' else 'a'} {periodic} report covers a period."
            ]
    described = None
    if spec.clean_parameters is not None:
        try:
            cleaned, described = spec.clean_parameters(cleaned)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned, described


# The cover prints the logo at most 60 mm wide: 1,200 pixels is 500 dpi there. A larger logo is scaled down
# first, so a 4,000-pixel upload does not make every report's cover (laid out up to three times) decode it whole.
LOGO_PRINT_SIDE = 1200


@dataclass(frozen=True)
class ReportBranding:
    """The organisation's branding as a report prints it, every value checked again here: a stored value that
    fails the rules prints Plumbline's default rather than reaching the stylesheet or the cover."""

    palette: Palette | None  # None: the stylesheet's own colours
    logo: str  # a data: URI (WeasyPrint fetches nothing), or "" for none
    signoff_roles: tuple[str, ...]  # empty: the report kind's own sign-off rows


def _logo_data_uri(organisation) -> str:
    data = stored_logo(organisation)
    if data is None:
        return ""
    content_type = sniff_logo_type(data)
    if content_type is None:
        logger.warning(
            "The report logo of organisation %s is neither PNG nor JPEG; left off.", organisation.pk
        )
        return ""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG") or max(image.size) > LOGO_MAX_SIDE:
                raise ValueError(f"{image.format} image of {image.size[0]} x {image.size[1]} pixels")
            if max(image.size) > LOGO_PRINT_SIDE:
                image.thumbnail((LOGO_PRINT_SIDE, LOGO_PRINT_SIDE))
                scaled = io.BytesIO()
                if content_type == "image/jpeg":
                    image.save(scaled, "JPEG", quality=90)
                else:
                    image.save(scaled, "PNG", optimize=True)
                data = scaled.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        logger.warning(
            "The report logo of organisation %s cannot be printed (%s); left off.", organisation.pk, exc
        )
        return ""
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def report_branding(organisation) -> ReportBranding:
    """What a report of ``organisation`` prints of its branding (set on the report branding page)."""
    return ReportBranding(
        palette=palette(organisation.report_accent_colour),
        logo=_logo_data_uri(organisation),
        signoff_roles=printable_signoff_roles(organisation.report_signoff_roles),
    )


# What the cover, the contents and the page furniture show: the common context and the kind's scope and sections.
FRONT_KEYS = (
    "report",
    "organisation",
    "branding",
    "scope",
    "period",
    "generated_at",
    "generated_by",
    "sections",
    "verify_url",
)


def report_context(report) -> dict[str, Any]:
    """The kind's context for its template, with what every report shows (period, author, verification URL)."""
    spec = report_kinds[report.kind]
    context = spec.build_context(report)
    start, end = report_period(report)
    today = timezone.localdate()
    period = (
        f"{start} to {end or today}" if start else f"Up to {end}" if end else f"As at {today.isoformat()}"
    )
    context.update(
        {
            "report": report,
            "organisation": report.organisation,
            "branding": report_branding(report.organisation),
            "generated_at": timezone.now(),
            "generated_by": report.requested_by.get_full_name() or report.requested_by.get_username()
            if report.requested_by
            else "system",
            "period": period,
            # Anyone holding the PDF can check it there, without an account.
            "verify_url": settings.SITE_URL.rstrip("/") + "/verify/",
        }
    )
    return context


def render_pdf(report, destination: BinaryIO, progress: Progress | None = None) -> int:
    """Write the report's PDF to ``destination`` (a scratch file: a crash leaves nothing under the report's name)
    and return its page count. Memory stays bounded whatever the report's length (``REPORT_CHUNK_SIZE``)."""
    progress = progress or (lambda _: None)
    context = report_context(report)
    progress(30)
    front = {key: context.get(key) for key in FRONT_KEYS}
    body = pdf.split_body(render_to_string(report_kinds[report.kind].template, context))
    del context  # the models and records it holds are in the HTML now
    progress(50)

    def front_html(pages: dict[str, int]) -> str:
        contents = [(anchor, label, pages.get(anchor, "")) for anchor, label in front["sections"] or ()]
        return render_to_string("governance/pdf/front.html", {**front, "contents": contents})

    def furniture_html(sheets: list[tuple[int, bool]], total: int) -> str:
        return render_to_string("governance/pdf/furniture.html", {**front, "sheets": sheets, "total": total})

    page_count = pdf.write_pdf(
        body,
        front_html=front_html,
        furniture_html=furniture_html,
        destination=destination,
        chunk_size=settings.REPORT_CHUNK_SIZE,
        progress=lambda share: progress(50 + int(35 * share)),
    )
    progress(95)
    return page_count
