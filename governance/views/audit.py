"""Audit pages: the organisation's trail as people read it, its CSV export, and its integrity (verification
status, signing keys, checkpoints, evidence bundles for auditors)."""

import json
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from governance.core import signing, tenancy
from governance.core.exports import export_response
from governance.core.roles import Permission
from governance.forms.audit import AuditBundleForm
from governance.models import AuditBundle, AuditBundleStatus, AuditCheckpoint
from governance.selectors import audit as selectors
from governance.selectors.audit_log import describe_events
from governance.services import audit_bundles

CHECKPOINTS_SHOWN = 10


def _integrity(organisation) -> dict:
    verification = selectors.last_verification(organisation)
    # Beat verifies every AUDIT_VERIFY_MINUTES; an outcome twice that old means verification has stopped.
    stale_before = timezone.now() - timedelta(minutes=2 * settings.AUDIT_VERIFY_MINUTES)
    return {
        "verification": verification,
        "verification_stale": verification is not None and verification.verified_at < stale_before,
        "last_checkpoint": selectors.last_checkpoint(organisation),
    }


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    organisation = tenancy.current_organisation(request, permission=Permission.AUDIT_VIEW)
    filterset = selectors.audit_log_filter(request.GET, organisation)
    events = filterset.qs if filterset.is_valid() else selectors.events_for(organisation).none()
    paginator = Paginator(events, 50)
    if filterset.is_valid() and not any(filterset.form.cleaned_data.values()):
        # The whole trail: its length is its last sequence number, read off an index instead of counting
        # hundreds of thousands of rows on every view.
        paginator.count = selectors.trail_length(organisation)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "governance/audit_log.html",
        {
            "filter": filterset,
            "page": page,
            "rows": describe_events(page.object_list),
            "organisation": organisation,
            "querystring": query.urlencode(),
            "may_export": tenancy.can(request.user, organisation, Permission.AUDIT_EXPORT),
            "bundle_form": AuditBundleForm(),
            **_integrity(organisation),
        },
        status=200 if filterset.is_valid() else 400,
    )


@login_required
@require_GET
def audit_export(request: HttpRequest, export_format: str = "csv") -> HttpResponse:
    """The filtered trail as recorded, as CSV or XLSX (streamed: 200,000 events hold little memory)."""
    organisation = tenancy.current_organisation(request, permission=Permission.AUDIT_VIEW)
    filterset = selectors.filtered_events(request.GET, organisation)
    if not filterset.is_valid():
        return HttpResponse(
            json.dumps(filterset.errors.get_json_data()), status=400, content_type="application/json"
        )
    return export_response(
        export_format,
        f"audit-{organisation.slug}",
        selectors.EXPORT_COLUMNS,
        selectors.event_rows(filterset.qs.iterator(chunk_size=2000)),
        title="Audit trail",
    )


def _integrity_page(
    request: HttpRequest, organisation, form: AuditBundleForm, status: int = 200
) -> HttpResponse:
    keys = signing.published_keys()
    may_export = tenancy.can(request.user, organisation, Permission.AUDIT_EXPORT)
    checkpoints = AuditCheckpoint.objects.filter(organisation=organisation).order_by("-sequence", "-id")
    context = {
        "organisation": organisation,
        "keys": keys,
        "checkpoints": checkpoints[:CHECKPOINTS_SHOWN],
        "may_export": may_export,
        "bundles": selectors.recent_bundles(organisation) if may_export else [],
        "bundle_form": form,
        **_integrity(organisation),
    }
    return render(request, "governance/audit_integrity.html", context, status=status)


@login_required
@require_GET
def audit_integrity(request: HttpRequest) -> HttpResponse:
    """How far the trail is verified and signed, the keys to pin, and the evidence bundles for auditors."""
    organisation = tenancy.current_organisation(request, permission=Permission.AUDIT_VIEW)
    return _integrity_page(request, organisation, AuditBundleForm())


@login_required
@require_POST
def bundle_request(request: HttpRequest) -> HttpResponse:
    organisation = tenancy.current_organisation(request, permission=Permission.AUDIT_EXPORT)
    form = AuditBundleForm(request.POST)
    if form.is_valid():
        try:
            audit_bundles.request_audit_bundle(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, "The evidence bundle is being built; it appears below when ready (reload the page)."
            )
            return redirect("governance:audit-integrity")
    return _integrity_page(request, organisation, form, status=400)


@login_required
@require_GET
def bundle_download(request: HttpRequest, pk: int) -> FileResponse:
    organisation = tenancy.current_organisation(request, permission=Permission.AUDIT_EXPORT)
    bundle = AuditBundle.objects.filter(pk=pk, organisation=organisation).first()
    if bundle is None or bundle.status != AuditBundleStatus.READY or not bundle.file:
        raise Http404("No such evidence bundle.")
    return FileResponse(
        bundle.file.open("rb"),
        as_attachment=True,
        filename=f"audit-{organisation.slug}-{bundle.pk}.zip",
        content_type="application/zip",
    )
