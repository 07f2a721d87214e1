"""Audit log pages: the organisation's trail (filtered, paginated) and its streamed CSV export."""

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from governance.core import tenancy
from governance.core.csv_export import csv_lines
from governance.core.roles import Permission
from governance.models import AuditCheckpoint
from governance.selectors import audit as selectors


def _change_row(field: str, values) -> tuple[str, object, object]:
    if isinstance(values, list) and len(values) == 2:
        return field, values[0], values[1]
    return field, None, values


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    organisation = tenancy.current_organisation(request, permission=Permission.AUDIT_VIEW)
    filterset = selectors.filtered_events(request.GET, organisation)
    events = filterset.qs if filterset.is_valid() else selectors.events_for(organisation).none()
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    for event in page:
        event.change_rows = [_change_row(field, values) for field, values in (event.changes or {}).items()]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "governance/audit_log.html",
        {
            "filter": filterset,
            "page": page,
            "organisation": organisation,
            "querystring": query.urlencode(),
            "last_checkpoint": AuditCheckpoint.objects.filter(organisation=organisation)
            .order_by("-sequence", "-id")
            .first(),
        },
        status=200 if filterset.is_valid() else 400,
    )


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    organisation = tenancy.current_organisation(request, permission=Permission.AUDIT_VIEW)
    filterset = selectors.filtered_events(request.GET, organisation)
    if not filterset.is_valid():
        return HttpResponse(
            json.dumps(filterset.errors.get_json_data()), status=400, content_type="application/json"
        )
    rows = (
        [
            event.sequence,
            event.created_at.isoformat(),
            event.actor_label,
            event.action,
            event.object_type,
            event.object_id,
            event.object_repr,
            json.dumps(event.changes, sort_keys=True),
            event.request_id,
            event.prev_hash,
            event.hash,
        ]
        for event in filterset.qs.iterator(chunk_size=2000)
    )
    response = StreamingHttpResponse(csv_lines(selectors.CSV_COLUMNS, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="audit-{organisation.slug}.csv"'
    return response
