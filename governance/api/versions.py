"""``GET /api/v1/models/{id}/versions/{version}/``: one version by the label a pipeline knows."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.models import ModelCard, ModelVersion


class VersionDetailSerializer(serializers.ModelSerializer):
    registered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    has_card = serializers.SerializerMethodField(help_text="Whether the version has a model card (…/card/).")

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

    def get_has_card(self, version: ModelVersion) -> bool:
        return ModelCard.objects.filter(version=version).exists()


class VersionDetailMixin:
    """One version of the model viewset's model (found, or 404, through its tenancy scope), by its label."""

    @extend_schema(responses=VersionDetailSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<version>[^/]+)", url_name="version-detail")
    def version_detail(self, request: Request, pk=None, version: str = "") -> Response:
        model = self.get_object()
        # No stored label holds a NUL or is longer than the field (and PostgreSQL refuses a NUL in a query).
        if "\x00" in version or len(version) > ModelVersion._meta.get_field("version").max_length:
            raise Http404("No such version.")
        found = get_object_or_404(
            ModelVersion.objects.filter(model=model).select_related("registered_by"), version=version
        )
        return Response(VersionDetailSerializer(found).data)
