"""KPI detail page: the time series with thresholds, the current status and a manual measurement form."""

import json

import plotly.graph_objects as go
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from governance import tenancy
from governance.models import KPIDefinition, MeasurementSource
from governance.services import monitoring as services

CHART_POINTS = 500


class MeasurementForm(forms.Form):
    measured_at = forms.DateTimeField(
        label="Measured at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    value = forms.FloatField(label="Value")


def kpi_figure(kpi: KPIDefinition, points: list[tuple]) -> go.Figure:
    xs = [measured_at for measured_at, _ in points]
    ys = [value for _, value in points]
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers", name=kpi.name))
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
        yaxis_title=kpi.unit or kpi.name,
        showlegend=False,
        height=360,
    )
    return fig


@login_required
@require_http_methods(["GET", "POST"])
def kpi_detail(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = tenancy.get_for_user(
        KPIDefinition.objects.select_related("model__organisation", "model__owner"),
        request.user,
        "model__organisation",
        pk=pk,
    )
    can_measure = tenancy.can(request.user, kpi.model.organisation_id, "kpi.measure")
    form = MeasurementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_measure:
            raise PermissionDenied("Your role may not record measurements.")
        if form.is_valid():
            point = {**form.cleaned_data, "source": MeasurementSource.MANUAL}
            try:
                services.record_measurements(actor=request.user, kpi=kpi, points=[point])
            except services.BatchValidationError as exc:
                for error in exc.point_errors:
                    field = error["field"] if error["field"] in form.fields else None
                    form.add_error(field, error["message"])
            else:
                messages.success(request, "Measurement recorded.")
                return redirect("governance:kpi-detail", pk=kpi.pk)
    recent = list(
        kpi.measurements.order_by("-measured_at", "-pk").values_list("measured_at", "value", "source")[
            :CHART_POINTS
        ]
    )
    latest = recent[0][1] if recent else None
    points = [(measured_at, value) for measured_at, value, _ in reversed(recent)]
    return render(
        request,
        "governance/kpi_detail.html",
        {
            "kpi": kpi,
            "status": services.kpi_status(kpi, latest),
            "latest": recent[0] if recent else None,
            "recent": recent[:20],
            "fig_json": json.loads(kpi_figure(kpi, points).to_json()) if points else None,
            "form": form,
            "can_measure": can_measure,
        },
        status=400 if request.method == "POST" else 200,
    )
