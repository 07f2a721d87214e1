"""Model inventory API: models (CRUD by role), versions registered by pipelines, approval requests."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.comparison import VersionComparisonMixin
from governance.api.inventory_import import ModelImportMixin
from governance.api.release import ReadinessMixin
from governance.api.versions import VersionDetailMixin
from governance.core.api.fields import MemberOrganisation
from governance.core.api.filters import QueryFilterBackend
from governance.core.api.permissions import OrganisationScopedMixin
from governance.core.api.rows import RowListMixin
from governance.core.roles import Permission
from governance.core.tenancy import get_for_user
from governance.models import (
    AIModel,
    ApprovalKind,
    ApprovalRequest,
    BusinessUnit,
    LifecycleStage,
    ModelVersion,
)
from governance.rules.tiering import derived_risk_tier
from governance.selectors.inventory import AIModelFilter
from governance.services import inventory as services


class AIModelSerializer(serializers.ModelSerializer):
    organisation = MemberOrganisation()
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    business_unit = serializers.PrimaryKeyRelatedField(
        queryset=BusinessUnit.objects.all(), required=False, allow_null=True
    )
    developers = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), many=True, required=False
    )
    derived_risk_tier = serializers.SerializerMethodField()

    class Meta:
        model = AIModel
        fields = [
            "id",
            "organisation",
            "name",
            "purpose",
            "business_unit",
            "owner",
            "developers",
            "lifecycle_stage",
            "deployment_environment",
            "model_type",
            "data_sources",
            "processes_personal_data",
            "decisions_about_people",
            "third_party",
            "vendor",
            "eu_ai_act_category",
            "materiality",
            "complexity",
            "risk_tier",
            "derived_risk_tier",
            "risk_tier_override",
            "risk_tier_override_reason",
            "last_validated_on",
            "next_review_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["risk_tier", "created_at", "updated_at"]
        validators: list = []  # uniqueness and cross-field rules live in the service

    def get_derived_risk_tier(self, obj: AIModel) -> str:
        return derived_risk_tier(obj.materiality, obj.complexity, obj.eu_ai_act_category).value


class ModelVersionSerializer(serializers.ModelSerializer):
    metrics = serializers.JSONField(required=False, help_text='A JSON object, e.g. {"auc": 0.81}.')
    registered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

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
        ]
        read_only_fields = ["model", "status", "registered_at", "registered_by"]
        validators: list = []


class StageChangeSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=LifecycleStage.choices)
    justification = serializers.CharField(required=False, allow_blank=True, default="")


class ApprovalRequestSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    model = serializers.PrimaryKeyRelatedField(queryset=AIModel.objects.all())
    version = serializers.PrimaryKeyRelatedField(
        queryset=ModelVersion.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "model",
            "kind",
            "requested_stage",
            "version",
            "justification",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "readiness",
            "policy_version",
            "overridden",
            "override_justification",
        ]
        read_only_fields = [
            "status",
            "requested_at",
            "decided_at",
            "decision_comment",
            "readiness",
            "policy_version",
            "overridden",
            "override_justification",
        ]


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    override_justification = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Approve past failing overridable checks (executives only): why the release goes ahead.",
    )


def _writable(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "organisation"}


class AIModelViewSet(
    RowListMixin,
    ModelImportMixin,
    ReadinessMixin,
    VersionComparisonMixin,
    VersionDetailMixin,
    OrganisationScopedMixin,
    viewsets.ModelViewSet,
):
    """The inventory. Every member reads; admins, model owners and risk officers write. The list is read as
    rows (governance.core.api.rows): pipelines page through thousands of models."""

    serializer_class = AIModelSerializer
    queryset = AIModel.objects.select_related("business_unit", "owner").prefetch_related("developers")
    filter_backends = [QueryFilterBackend]
    filterset_class = AIModelFilter

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = self.organisation_for_create(
            serializer.validated_data.get("organisation"), "the model belongs to"
        )
        model = services.create_model(
            actor=request.user, organisation=organisation, **_writable(serializer.validated_data)
        )
        return Response(self.get_serializer(model).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        model = self.get_object()
        self.require(model.organisation_id, Permission.MODEL_EDIT)
        serializer = self.get_serializer(model, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = _writable(serializer.validated_data)
        model = services.update_model(actor=request.user, model=model, **data)
        return Response(self.get_serializer(model).data)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.delete_model(actor=request.user, model=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=ModelVersionSerializer,
        responses={200: ModelVersionSerializer(many=True), 201: ModelVersionSerializer},
        description="GET lists the model's versions; POST registers one (a pipeline's single call).",
    )
    @action(detail=True, methods=["get", "post"])
    def versions(self, request: Request, pk=None) -> Response:
        model = self.get_object()
        if request.method == "GET":
            versions = model.versions.select_related("registered_by").order_by("-registered_at", "-pk")
            page = self.paginate_queryset(versions)
            data = ModelVersionSerializer(page, many=True).data
            return self.get_paginated_response(data)
        self.require(model.organisation_id, Permission.VERSION_REGISTER)
        serializer = ModelVersionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.register_version(actor=request.user, model=model, **serializer.validated_data)
        return Response(ModelVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=StageChangeSerializer,
        responses={
            200: AIModelSerializer,
            201: OpenApiResponse(ApprovalRequestSerializer, description="Approval requested."),
        },
        description="Move the model to a stage; validation and production create a pending approval request.",
    )
    @action(detail=True, methods=["post"])
    def stage(self, request: Request, pk=None) -> Response:
        model = self.get_object()
        serializer = StageChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        approval = services.request_stage_change(
            actor=request.user,
            model=model,
            stage=serializer.validated_data["stage"],
            justification=serializer.validated_data["justification"],
        )
        if approval is not None:
            return Response(ApprovalRequestSerializer(approval).data, status=status.HTTP_201_CREATED)
        model.refresh_from_db()
        return Response(self.get_serializer(model).data)


class ApprovalRequestViewSet(
    OrganisationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Stage changes and promotions; decided by an executive or risk officer other than requester and owner."""

    serializer_class = ApprovalRequestSerializer
    queryset = ApprovalRequest.objects.select_related("model", "version", "requested_by", "decided_by")
    filterset_fields = ["status", "kind", "model"]

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("-requested_at", "-pk")

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        model = get_for_user(AIModel.objects.all(), request.user, pk=data["model"].pk)
        if data["kind"] == ApprovalKind.PROMOTE_VERSION:
            version = data.get("version")
            if version is None or version.model_id != model.pk:
                raise ValidationError({"version": ["Choose a version of this model."]})
            approval = services.request_promotion(
                actor=request.user, version=version, justification=data.get("justification", "")
            )
        else:
            stage = data.get("requested_stage") or ""
            if stage not in services.APPROVAL_STAGES:
                raise ValidationError(
                    {
                        "requested_stage": [
                            "Only validation and production need approval; "
                            "move to other stages with POST /api/v1/models/{id}/stage/."
                        ]
                    }
                )
            approval = services.request_stage_change(
                actor=request.user, model=model, stage=stage, justification=data.get("justification", "")
            )
        return Response(self.get_serializer(approval).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, approve: bool) -> Response:
        approval = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        approval = services.decide_approval(
            actor=request.user,
            request=approval,
            approve=approve,
            comment=serializer.validated_data["comment"],
            override_justification=serializer.validated_data["override_justification"],
        )
        return Response(self.get_serializer(approval).data)

    @extend_schema(request=DecisionSerializer, responses=ApprovalRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        return self._decide(request, approve=True)

    @extend_schema(request=DecisionSerializer, responses=ApprovalRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        return self._decide(request, approve=False)
