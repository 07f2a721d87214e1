"""KPI API: definitions CRUD (kpi.edit) and bulk measurement ingest for pipelines (kpi.measure)."""

from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.core import tenancy
from governance.core.api.exceptions import problem
from governance.core.api.permissions import OrganisationScopedMixin
from governance.models import AIModel, KPIDefinition, KPIMeasurement, MeasurementSource
from governance.rules.drift import is_stale
from governance.services import monitoring as services


class KPIDefinitionSerializer(serializers.ModelSerializer):
    model = serializers.PrimaryKeyRelatedField(queryset=AIModel.objects.all())
    status = serializers.SerializerMethodField()
    stale = serializers.SerializerMethodField(help_text="No measurement within the expected cadence.")

    class Meta:
        model = KPIDefinition
        # expected_cadence_hours is editable (in EDITABLE_FIELDS); freshness and trend are derived by the services.
        fields = [
            "id",
            "model",
            *services.EDITABLE_FIELDS,
            "status",
            "stale_after",
            "stale",
            "trend_status",
            "trend_evidence",
            "trend_checked_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "stale_after",
            "trend_status",
            "trend_evidence",
            "trend_checked_at",
        ]
        validators: list = []  # the service validates (and reports) uniqueness and thresholds

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["model"].queryset = tenancy.scope(AIModel.objects.all(), request.user)

    def get_status(self, kpi: KPIDefinition) -> str:
        return kpi.latest_status

    def get_stale(self, kpi: KPIDefinition) -> bool:
        return is_stale(kpi.stale_after, timezone.now())


class MeasurementPointSerializer(serializers.Serializer):
    measured_at = serializers.DateTimeField()
    value = serializers.FloatField()
    source = serializers.ChoiceField(choices=MeasurementSource.choices, required=False)


class MeasurementBatchSerializer(serializers.Serializer):
    points = MeasurementPointSerializer(many=True)


class BatchResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class PointErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()


class BatchErrorSerializer(serializers.Serializer):
    """A problem-details object (see ``Problem``) whose ``errors`` name each bad point's field
    (``points[3].value``), with the same errors as the ``points`` list."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    request_id = serializers.CharField(allow_null=True)
    points = PointErrorSerializer(many=True)


class MeasurementReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = KPIMeasurement
        fields = ["id", "measured_at", "value", "source"]
        read_only_fields = fields


def _instant(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 date or date-time from the query string (naive ones in the server's zone), or None."""
    if not value:
        return None
    message = "Enter an ISO 8601 date or date-time, e.g. 2026-11-01T00:00:00Z."
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            parsed = datetime.combine(day, time.min) if day else None
        if parsed is not None and not timezone.is_aware(parsed):
            parsed = timezone.make_aware(parsed)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise ValidationError({name: [message]})
    return parsed


class KPIDefinitionViewSet(OrganisationScopedMixin, viewsets.ModelViewSet):
    """KPIs of your organisations' models. Writing needs the kpi.edit role action."""

    queryset = KPIDefinition.objects.select_related("model__organisation")
    serializer_class = KPIDefinitionSerializer
    organisation_field = "model__organisation"
    filterset_fields = ["model", "kind"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        model = data.pop("model")
        serializer.instance = services.create_kpi(actor=self.request.user, model=model, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("model", None)
        serializer.instance = services.update_kpi(actor=self.request.user, kpi=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.delete_kpi(actor=self.request.user, kpi=instance)

    @extend_schema(
        methods=["GET"],
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Only points measured at or after."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Only points measured before."),
        ],
        responses=MeasurementReadSerializer(many=True),
        description="The KPI's measurements, newest first, in pages (page, page_size).",
    )
    @extend_schema(
        methods=["POST"],
        request=MeasurementBatchSerializer,
        responses={
            201: BatchResultSerializer,
            400: OpenApiResponse(BatchErrorSerializer, description="The whole batch was rejected."),
        },
    )
    @action(detail=True, methods=["get", "post"])
    def measurements(self, request: Request, pk=None) -> Response:
        """GET pages through the measurements; POST ingests many points at once (one bad point rejects the
        batch: nothing is stored)."""
        kpi = self.get_object()
        if request.method == "GET":
            return self._measurement_page(request, kpi)
        points = request.data.get("points") if isinstance(request.data, dict) else None
        try:
            created = services.record_measurements(actor=request.user, kpi=kpi, points=points)
        except services.BatchValidationError as exc:
            errors: dict[str, list[str]] = {}
            for error in exc.point_errors:
                path = "points" if error["index"] is None else f"points[{error['index']}].{error['field']}"
                errors.setdefault(path, []).append(error["message"])
            response = problem(
                status.HTTP_400_BAD_REQUEST,
                f"The batch has {len(errors)} invalid {'entry' if len(errors) == 1 else 'entries'}; "
                "nothing was stored.",
                errors=errors,
            )
            # The same errors as a list, an extension member pipelines written before problem details read.
            response.data["points"] = exc.point_errors
            return response
        return Response({"count": len(created)}, status=status.HTTP_201_CREATED)

    def _measurement_page(self, request: Request, kpi: KPIDefinition) -> Response:
        since = _instant(request.query_params.get("since"), "since")
        until = _instant(request.query_params.get("until"), "until")
        points = KPIMeasurement.objects.filter(kpi=kpi)
        if since is not None:
            points = points.filter(measured_at__gte=since)
        if until is not None:
            points = points.filter(measured_at__lt=until)
        page = self.paginate_queryset(points.order_by("-measured_at", "-pk"))
        return self.get_paginated_response(MeasurementReadSerializer(page, many=True).data)
