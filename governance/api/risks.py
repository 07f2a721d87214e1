"""Risk register API: risks of your organisations' models (CRUD by the risk.edit role action), filterable."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.core import tenancy
from governance.core.api.filters import QueryFilterBackend, filtered
from governance.core.api.permissions import OrganisationScopedMixin
from governance.core.roles import Permission
from governance.models import AIModel, Risk
from governance.rules.risk_scoring import BAND_RANGES, score_band
from governance.selectors.risks import RiskFilter, heatmap_grids
from governance.services import risks as services


class RiskSerializer(serializers.ModelSerializer):
    model = serializers.PrimaryKeyRelatedField(queryset=AIModel.objects.all())
    model_name = serializers.CharField(source="model.name", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(),
        required=False,
        allow_null=True,
        help_text="A member of the risk's organisation.",
    )
    inherent_band = serializers.SerializerMethodField()
    residual_band = serializers.SerializerMethodField()

    class Meta:
        model = Risk
        fields = [
            "id",
            "organisation",
            "model",
            "model_name",
            "title",
            "category",
            "description",
            "likelihood",
            "impact",
            "inherent_score",
            "inherent_band",
            "mitigation",
            "residual_likelihood",
            "residual_impact",
            "residual_score",
            "residual_band",
            "owner",
            "status",
            "due_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["organisation", "inherent_score", "residual_score", "created_at", "updated_at"]
        validators: list = []  # cross-field rules (residual pair, residual <= inherent, closing) live in the service

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["model"].queryset = tenancy.scope(AIModel.objects.all(), request.user)

    @extend_schema_field(OpenApiTypes.STR)
    def get_inherent_band(self, risk: Risk) -> str | None:
        """low / medium / high / critical (1-4, 5-9, 10-14, 15-25)."""
        return score_band(risk.inherent_score)

    @extend_schema_field(OpenApiTypes.STR)
    def get_residual_band(self, risk: Risk) -> str | None:
        """The residual score's band; null without a residual assessment."""
        return score_band(risk.residual_score)


class BandSerializer(serializers.Serializer):
    band = serializers.CharField()
    low = serializers.IntegerField(help_text="Lowest score in the band.")
    high = serializers.IntegerField(help_text="Highest score in the band.")


class HeatmapSerializer(serializers.Serializer):
    inherent = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="5x5 counts: inherent[impact - 1][likelihood - 1].",
    )
    residual = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="5x5 counts of the risks with a residual assessment, indexed the same way.",
    )
    bands = BandSerializer(many=True)


def _writable(data: dict) -> dict:
    return {key: value for key, value in data.items() if key in services.EDITABLE_FIELDS or key == "model"}


class RiskViewSet(OrganisationScopedMixin, viewsets.ModelViewSet):
    """The risk register. Every member reads; admins, model owners and risk officers write.

    Scores are likelihood x impact (1-25) before (inherent) and after (residual) mitigation; filter by
    ``band``/``residual_band`` (low, medium, high, critical), ``overdue``, ``model``, ``category``, ``status``.
    """

    serializer_class = RiskSerializer
    queryset = Risk.objects.select_related("model", "owner")
    filter_backends = [QueryFilterBackend]
    filterset_class = RiskFilter

    def _require_some_organisation(self) -> None:
        # Refuse (403) before looking at the body when the role may not edit risks anywhere.
        if not any(
            tenancy.can(self.request.user, m.organisation_id, Permission.RISK_EDIT)
            for m in tenancy.memberships_of(self.request.user)
        ):
            raise PermissionDenied("Your role may not edit the risk register.")

    def create(self, request: Request, *args, **kwargs) -> Response:
        self._require_some_organisation()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = _writable(serializer.validated_data)
        model = data.pop("model")
        risk = services.create_risk(actor=request.user, organisation=model.organisation, model=model, **data)
        return Response(self.get_serializer(risk).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        risk = self.get_object()
        self.require(risk.organisation_id, Permission.RISK_EDIT)
        serializer = self.get_serializer(risk, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        risk = services.update_risk(actor=request.user, risk=risk, **_writable(serializer.validated_data))
        return Response(self.get_serializer(risk).data)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.delete_risk(actor=request.user, risk=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses=HeatmapSerializer,
        filters=True,
        description=(
            "Inherent and residual 5x5 counts of the risks matching the filters (closed risks only when "
            "filtered for with status=closed or active=false), with the score bands."
        ),
    )
    @action(detail=False, methods=["get"])
    def heatmap(self, request: Request) -> Response:
        """The heat maps' numbers, for dashboards outside Plumbline."""
        filterset = self.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        inherent, residual = heatmap_grids(filtered(filterset), include_closed=filterset.includes_closed())
        bands = [{"band": band, "low": low, "high": high} for band, (low, high) in BAND_RANGES.items()]
        return Response({"inherent": inherent, "residual": residual, "bands": bands})
