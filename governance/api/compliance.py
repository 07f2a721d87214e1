"""Compliance API: the framework catalogues (read-only) and compliance records with evidence uploads.

Everyone in an organisation reads its records; writing needs the ``compliance.edit`` role action (checked by
the service). Evidence files are uploaded as multipart form data and downloaded through the tenancy-checked
``evidence_url``, never from a public media URL.
"""

import django_filters
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from governance.core import tenancy
from governance.core.api.parsers import StorableJSONParser
from governance.core.api.permissions import OrganisationScopedMixin
from governance.models import AIModel, ComplianceRecord, ComplianceStatus, Framework, Requirement
from governance.services import compliance as services


class RequirementSerializer(serializers.ModelSerializer):
    """One requirement of a framework catalogue, with its applicability rules."""

    class Meta:
        model = Requirement
        fields = ["id", "ref", "section", "title", "description", "applies_to", "position"]


class FrameworkSerializer(serializers.ModelSerializer):
    """One loaded version of a framework with its requirements."""

    requirements = RequirementSerializer(many=True, read_only=True)

    class Meta:
        model = Framework
        fields = [
            "id",
            "key",
            "version",
            "name",
            "publisher",
            "source_url",
            "description",
            "content_hash",
            "is_current",
            "loaded_at",
            "requirements",
        ]


class FrameworkFilter(django_filters.FilterSet):
    """Filter frameworks by key and by whether the version is current."""

    current = django_filters.BooleanFilter(field_name="is_current", label="Only current versions")

    class Meta:
        model = Framework
        fields = ["key", "current"]


class FrameworkViewSet(viewsets.ReadOnlyModelViewSet):
    """The loaded framework catalogues with their requirements (shared by every organisation)."""

    queryset = Framework.objects.prefetch_related("requirements").order_by("key", "-loaded_at")
    serializer_class = FrameworkSerializer
    filterset_class = FrameworkFilter


class ComplianceRecordSerializer(serializers.ModelSerializer):
    """A model's record against a requirement; evidence files are written here and read via evidence_url."""

    model = serializers.PrimaryKeyRelatedField(queryset=AIModel.objects.none())
    requirement = serializers.PrimaryKeyRelatedField(
        queryset=Requirement.objects.filter(framework__is_current=True),
        help_text="A requirement of a framework's current version that applies to the model.",
    )
    framework = serializers.CharField(source="requirement.framework.key", read_only=True)
    requirement_ref = serializers.CharField(source="requirement.ref", read_only=True)
    evidence_file = serializers.FileField(
        write_only=True,
        required=False,
        help_text=(
            "Multipart upload: "
            + ", ".join(f".{ext}" for ext in sorted(services.ALLOWED_EVIDENCE))
            + "; size limited by COMPLIANCE_EVIDENCE_MAX_BYTES (10 MiB by default)."
        ),
    )
    clear_evidence_file = serializers.BooleanField(
        write_only=True, required=False, default=False, help_text="Drop the stored evidence file."
    )
    evidence_name = serializers.SerializerMethodField()
    evidence_url = serializers.SerializerMethodField()
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ComplianceRecord
        fields = [
            "id",
            "model",
            "requirement",
            "framework",
            "requirement_ref",
            "status",
            "not_applicable_reason",
            "evidence_file",
            "clear_evidence_file",
            "evidence_name",
            "evidence_url",
            "evidence_sha256",
            "evidence_link",
            "notes",
            "reviewer",
            "reviewed_at",
            "next_review_due",
            "updated_at",
        ]
        read_only_fields = ["evidence_sha256", "reviewed_at", "updated_at"]
        extra_kwargs = {"status": {"required": True}}
        validators: list = []  # the service validates (one record per model and requirement is an upsert)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["model"].queryset = tenancy.scope(AIModel.objects.all(), request.user)
        if self.instance is not None and not isinstance(self.instance, list | QuerySet):
            # The pair a record is about never changes; a review of another pair is another record.
            self.fields["model"].read_only = True
            self.fields["requirement"].read_only = True

    def get_evidence_name(self, record: ComplianceRecord) -> str:
        """The stored evidence file's name (empty when there is none)."""
        return record.evidence_file.name.rsplit("/", 1)[-1] if record.evidence_file else ""

    @extend_schema_field(OpenApiTypes.URI)
    def get_evidence_url(self, record: ComplianceRecord) -> str | None:
        """Where to download the evidence file (tenancy-checked), or null."""
        if not record.evidence_file:
            return None
        url = reverse("governance:compliance-evidence", args=[record.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ComplianceRecordFilter(django_filters.FilterSet):
    """Filter records by model, requirement, framework key and status."""

    framework = django_filters.CharFilter(
        field_name="requirement__framework__key", label="Framework key, e.g. eu-ai-act"
    )
    status = django_filters.ChoiceFilter(choices=ComplianceStatus.choices)

    class Meta:
        model = ComplianceRecord
        fields = ["model", "requirement", "framework", "status"]


class ComplianceRecordViewSet(
    OrganisationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Compliance records of your organisations' models, by model (in the order they were registered) and
    requirement. Writing needs the compliance.edit role action.

    POST records a review of a model against a requirement: it creates the record (201) or, when the model
    already has one for that requirement, updates it (200). Send evidence files as multipart form data.
    """

    # In the unique (model, requirement) index's order: a page is read off the index instead of sorting every
    # record of the organisation by joined names (98 -> 15 ms at 50,000 records).
    queryset = ComplianceRecord.objects.select_related(
        "model", "requirement__framework", "reviewer"
    ).order_by("model_id", "requirement_id")
    serializer_class = ComplianceRecordSerializer
    filterset_class = ComplianceRecordFilter
    parser_classes = [MultiPartParser, FormParser, StorableJSONParser]

    def _save(self, serializer, instance: ComplianceRecord | None) -> ComplianceRecord:
        data = dict(serializer.validated_data)
        if instance is not None:
            # Partial updates keep what they do not mention.
            data = {**services.record_fields(instance), **data}
            model, requirement = instance.model, instance.requirement
        else:
            model, requirement = data["model"], data["requirement"]
        return services.update_record(
            actor=self.request.user,
            model=model,
            requirement=requirement,
            status=data.get("status", ComplianceStatus.NOT_ASSESSED),
            not_applicable_reason=data.get("not_applicable_reason", ""),
            evidence_file=data.get("evidence_file"),
            evidence_link=data.get("evidence_link", ""),
            notes=data.get("notes", ""),
            next_review_due=data.get("next_review_due"),
            clear_evidence_file=data.get("clear_evidence_file", False),
        )

    @extend_schema(
        responses={
            201: ComplianceRecordSerializer,
            200: OpenApiResponse(ComplianceRecordSerializer, description="An existing record was updated."),
        }
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Record a review: 201 when the record is new, 200 when the model already had one for the requirement."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = ComplianceRecord.objects.filter(
            model=data["model"], requirement=data["requirement"]
        ).exists()
        record = self._save(serializer, None)
        body = self.get_serializer(record).data
        return Response(body, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def perform_update(self, serializer) -> None:
        serializer.instance = self._save(serializer, serializer.instance)

    def perform_destroy(self, instance: ComplianceRecord) -> None:
        services.delete_record(actor=self.request.user, record=instance)
