"""``GET /api/v1/models/{id}/versions/{version}/comparison/``: a version against the model's current champion."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.rules.comparison import BETTER, SAME, UNKNOWN, WORSE
from governance.selectors.comparison import version_comparison
from governance.selectors.inventory import version_by_label


class ComparedVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.CharField()
    status = serializers.CharField()
    registered_at = serializers.DateTimeField()


class MetricComparisonSerializer(serializers.Serializer):
    name = serializers.CharField()
    direction = serializers.ChoiceField(choices=["higher", "lower"], allow_null=True)
    direction_source = serializers.CharField(help_text='"kpi", "known metric" or "" (unknown).')
    champion = serializers.FloatField()
    candidate = serializers.FloatField()
    difference = serializers.FloatField(allow_null=True, help_text="candidate - champion")
    relative_change = serializers.FloatField(allow_null=True)
    verdict = serializers.ChoiceField(choices=[BETTER, WORSE, SAME, UNKNOWN])


class VersionComparisonSerializer(serializers.Serializer):
    model = serializers.IntegerField()
    candidate = ComparedVersionSerializer()
    champion = ComparedVersionSerializer(allow_null=True)
    metrics = MetricComparisonSerializer(many=True)
    only_in_candidate = serializers.ListField(child=serializers.CharField(), required=False)
    only_in_champion = serializers.ListField(child=serializers.CharField(), required=False)
    summary = serializers.DictField(child=serializers.IntegerField(), required=False)
    kpis_compared = serializers.BooleanField(
        help_text="Always false: KPI measurements are per model, not per version."
    )
    note = serializers.CharField()


class VersionComparisonMixin:
    """The comparison as an action of the model viewset (the model is found, or 404, by its tenancy scope)."""

    @extend_schema(
        responses=VersionComparisonSerializer,
        description=(
            "The version's registered metrics against the current champion's, direction-aware per metric "
            "(better / worse / same / direction unknown). KPI values are not compared: measurements are "
            "recorded per model, not per version."
        ),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"versions/(?P<version>[^/]+)/comparison",
        url_name="version-comparison",
    )
    def version_comparison(self, request: Request, pk=None, version: str = "") -> Response:
        candidate = version_by_label(self.get_object(), version)
        return Response(version_comparison(candidate).as_json())
