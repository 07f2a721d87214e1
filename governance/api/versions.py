"""``GET /api/v1/models/{id}/versions/{version}/``: one version by the label a pipeline knows."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.models import ModelVersion
from governance.selectors.inventory import version_by_label
from governance.selectors.model_cards import with_card_flag


class VersionDetailSerializer(serializers.ModelSerializer):
    registered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    has_card = serializers.BooleanField(
        read_only=True, help_text="Whether the version has a model card (…/card/)."
    )

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "model",
            "version",
            "status",
            "artifact_uri",
            "training_data_ref",
            "code_commit",
            "metrics",
            "notes",
            "registered_at",
            "registered_by",
            "registry_version",
            "run_id",
            "tags",
            "aliases",
            "has_card",
        ]
        read_only_fields = fields


class VersionDetailMixin:
    """One version of the model viewset's model (found, or 404, through its tenancy scope), by its label."""

    @extend_schema(responses=VersionDetailSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<version>[^/]+)", url_name="version-detail")
    def version_detail(self, request: Request, pk=None, version: str = "") -> Response:
        versions = with_card_flag(ModelVersion.objects.select_related("registered_by"))
        found = version_by_label(self.get_object(), version, versions)
        return Response(VersionDetailSerializer(found).data)
