"""KPI pages: define, edit and delete a model's KPIs; the time series with thresholds, the current status and
a manual measurement form."""

import json

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from governance.core import tenancy
from governance.core.exports import export_response
from governance.core.plotly_text import plain
from governance.core.roles import Permission
from governance.forms.monitoring import KPIForm, MeasurementForm
from governance.models import AIModel, KPIDefinition, MeasurementSource
from governance.rules.drift import is_stale
from governance.selectors import kpi_health
from governance.selectors import monitoring as monitoring_selectors
from governance.services import monitoring as services

CHART_POINTS = 500


def _get_kpi(request: HttpRequest, pk: int) -> KPIDefinition:
    return tenancy.get_for_user(
        KPIDefinition.objects.select_related("model__organisation", "model__owner"),
        request.user,
        "model__organisation",
        pk=pk,
    )


def kpi_figure(kpi: KPIDefinition, points: list[tuple]) -> go.Figure:
    """The KPI's values over time with dashed target, warning and critical lines."""
    xs = [measured_at for measured_at, _ in points]
    ys = [value for _, value in points]
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers", name=plain(kpi.name)))
    for label, threshold, colour in (
        ("Target", kpi.target, "#2e7d32"),
        ("Warning", kpi.warning_threshold, "#ed6c02"),
        ("Critical", kpi.critical_threshold, "#c62828"),
    ):
        if threshold is not None:
            fig.add_hline(
                y=threshold,
                line_dash="dash",
                line_color=colour,
                annotation_text=f"{label} {threshold:g}",
                annotation_position="top left",
            )
    fig.update_layout(
        margin={"l": 40, "r": 20, "t": 20, "b": 40},
        yaxis_title=plain(kpi.unit or kpi.name),
        showlegend=False,
        height=360,
    )
    return fig


def _render_detail(request: HttpRequest, kpi: KPIDefinition, form: MeasurementForm, status: int = 200):
    recent = list(
        kpi.measurements.order_by("-measured_at", "-pk").values_list("measured_at", "value", "source")[
            :CHART_POINTS
        ]
    )
    points = [(measured_at, value) for measured_at, value, _ in reversed(recent)]
    organisation_id = kpi.model.organisation_id
    return render(
        request,
        "governance/kpi_detail.html",
        {
            "kpi": kpi,
            "status": kpi.latest_status,
            "latest": recent[0] if recent else None,
            "recent": recent[:20],
            "fig_json": json.loads(kpi_figure(kpi, points).to_json()) if points else None,
            "form": form,
            "can_measure": tenancy.can(request.user, organisation_id, Permission.KPI_MEASURE),
            "can_edit": tenancy.can(request.user, organisation_id, Permission.KPI_EDIT),
            # Freshness and trend, stored with the KPI (governance.services.kpi_freshness): no query.
            "stale": is_stale(kpi.stale_after, timezone.now()),
            "trend": kpi_health.trend_for_display(kpi),
        },
        status=status,
    )


def _record_measurement(request: HttpRequest, kpi: KPIDefinition) -> HttpResponse:
    if not tenancy.can(request.user, kpi.model.organisation_id, Permission.KPI_MEASURE):
        raise PermissionDenied("Your role may not record measurements.")
    form = MeasurementForm(request.POST)
    if form.is_valid():
        point = {**form.cleaned_data, "source": MeasurementSource.MANUAL}
        try:
            services.record_measurements(actor=request.user, kpi=kpi, points=[point])
        except services.BatchValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Measurement recorded.")
            return redirect("governance:kpi-detail", pk=kpi.pk)
    return _render_detail(request, kpi, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def kpi_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The KPI's status, chart and latest measurements (a POST records a measurement, as kpi_measure does)."""
    kpi = _get_kpi(request, pk)
    if request.method == "POST":
        return _record_measurement(request, kpi)
    return _render_detail(request, kpi, MeasurementForm())


@login_required
@require_POST
def kpi_measure(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one manual measurement; on bad input the KPI page comes back with the errors (400)."""
    return _record_measurement(request, _get_kpi(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def kpi_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Define a new KPI on the model ``pk``."""
    model = tenancy.get_for_user(AIModel.objects.select_related("organisation"), request.user, pk=pk)
    tenancy.require(request.user, model.organisation_id, Permission.KPI_EDIT)
    form = KPIForm(request.POST or None, model=model)
    if request.method == "POST":
        if form.is_valid():
            try:
                kpi = services.create_kpi(actor=request.user, model=model, **form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"KPI {kpi.name} was added to {model.name}.")
                return redirect("governance:kpi-detail", pk=kpi.pk)
        return render(request, "governance/kpi_form.html", {"form": form, "model": model}, status=400)
    return render(request, "governance/kpi_form.html", {"form": form, "model": model})


@login_required
@require_http_methods(["GET", "POST"])
def kpi_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a KPI's definition, target or thresholds (audited with before and after)."""
    kpi = _get_kpi(request, pk)
    tenancy.require(request.user, kpi.model.organisation_id, Permission.KPI_EDIT)
    context = {"model": kpi.model, "kpi": kpi, "kpi_name": kpi.name}
    form = KPIForm(request.POST or None, instance=kpi, model=kpi.model)
    if request.method == "POST":
        if form.is_valid():
            try:
                kpi = services.update_kpi(actor=request.user, kpi=kpi, **form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"KPI {kpi.name} was updated.")
                return redirect("governance:kpi-detail", pk=kpi.pk)
        return render(request, "governance/kpi_form.html", {**context, "form": form}, status=400)
    return render(request, "governance/kpi_form.html", {**context, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def kpi_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for confirmation (GET), then delete the KPI and its measurements (POST; audited)."""
    kpi = _get_kpi(request, pk)
    tenancy.require(request.user, kpi.model.organisation_id, Permission.KPI_EDIT)
    if request.method == "POST":
        model_pk, name = kpi.model_id, kpi.name
        services.delete_kpi(actor=request.user, kpi=kpi)
        messages.success(request, f"KPI {name} and its measurements were deleted.")
        return redirect("governance:model-detail", pk=model_pk)
    return render(
        request,
        "governance/kpi_confirm_delete.html",
        {"kpi": kpi, "measurement_count": kpi.measurements.count()},
    )


@login_required
def kpi_export(request: HttpRequest, pk: int, export_format: str = "csv") -> HttpResponse:
    """Every measurement of the KPI as CSV or XLSX."""
    kpi = _get_kpi(request, pk)
    return export_response(
        export_format,
        f"{kpi.model.organisation.slug}-kpi-{kpi.pk}-measurements",
        monitoring_selectors.MEASUREMENT_EXPORT_COLUMNS,
        monitoring_selectors.measurement_rows(kpi),
        title=f"{kpi.name} measurements",
    )
