"""KPI API: definitions CRUD (kpi.edit) and bulk measurement ingest for pipelines (kpi.measure)."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.core import tenancy
from governance.core.api.permissions import OrganisationScopedMixin
from governance.models import AIModel, KPIDefinition, MeasurementSource
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
    points = PointErrorSerializer(many=True)


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
        request=MeasurementBatchSerializer,
        responses={
            201: BatchResultSerializer,
            400: OpenApiResponse(BatchErrorSerializer, description="The whole batch was rejected."),
        },
    )
    @action(detail=True, methods=["post"])
    def measurements(self, request: Request, pk=None) -> Response:
        """Ingest many points at once; one bad point rejects the batch (nothing is stored)."""
        kpi = self.get_object()
        points = request.data.get("points") if isinstance(request.data, dict) else None
        try:
            created = services.record_measurements(actor=request.user, kpi=kpi, points=points)
        except services.BatchValidationError as exc:
            return Response({"points": exc.point_errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"count": len(created)}, status=status.HTTP_201_CREATED)
