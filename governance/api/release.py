"""Release governance API: readiness, the release policy, independent validations and findings, the deployment
gate pipelines ask, and the deployments they record."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.core import tenancy
from governance.core.api.fields import MemberOrganisation, UserScopedPrimaryKey
from governance.core.api.permissions import OrganisationScopedMixin
from governance.models import (
    AIModel,
    Deployment,
    DeploymentCheck,
    DeploymentEnvironment,
    DeploymentStatus,
    DeploymentStrategy,
    FindingSeverity,
    FindingStatus,
    ModelVersion,
    ReleasePolicy,
    ReleaseTarget,
    Validation,
    ValidationFinding,
    ValidationOutcome,
    ValidationScope,
)
from governance.selectors import release as selectors
from governance.selectors.filters import OrganisationFilterSet
from governance.services import release as services


class _ModelScopedFilter(OrganisationFilterSet):
    """``?model=`` offers only the user's organisations' models: another organisation's id reads as one that does
    not exist (400), never as an empty list."""

    model = django_filters.ModelChoiceFilter(queryset=AIModel.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["model"].queryset = AIModel.objects.filter(organisation__in=self.organisation_ids)


class DeploymentCheckFilter(_ModelScopedFilter):
    class Meta:
        model = DeploymentCheck
        fields = ["model", "environment", "allowed"]


class DeploymentFilter(_ModelScopedFilter):
    class Meta:
        model = Deployment
        fields = ["model", "environment", "status", "without_approval"]


class ValidationFilter(_ModelScopedFilter):
    version = django_filters.ModelChoiceFilter(queryset=ModelVersion.objects.none())

    class Meta:
        model = Validation
        fields = ["model", "version", "outcome"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["version"].queryset = ModelVersion.objects.filter(
            model__organisation__in=self.organisation_ids
        )


class FindingFilter(OrganisationFilterSet):
    validation = django_filters.ModelChoiceFilter(queryset=Validation.objects.none())

    class Meta:
        model = ValidationFinding
        fields = ["validation", "severity", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["validation"].queryset = Validation.objects.filter(
            organisation__in=self.organisation_ids
        )


class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=["pass", "fail", "not_required"])
    message = serializers.CharField()
    overridable = serializers.BooleanField()
    fix = serializers.CharField()


class ReadinessSerializer(serializers.Serializer):
    target = serializers.CharField()
    profile = serializers.CharField()
    policy_version = serializers.IntegerField()
    version = serializers.CharField(allow_null=True)
    checks = CheckSerializer(many=True)


def _reference_text(field: str, value, max_length: int) -> str:
    """A name or label as typed: no NUL character (no database stores one), not longer than the field."""
    text = str(value).strip()
    if "\x00" in text or len(text) > max_length:
        raise ValidationError({field: [f"Not a valid {field}: at most {max_length} printable characters."]})
    return text


def _model_by_reference(user, reference, organisation=None) -> AIModel:
    """A model of the user's organisations by id or exact name (what a pipeline knows)."""
    models = tenancy.scope(AIModel.objects.all(), user)
    if organisation is not None:
        models = models.filter(organisation=organisation)
    text = _reference_text("model", reference, 200)
    # An id is ASCII digits that fit a database key; anything else is a name.
    is_id = text.isascii() and text.isdigit() and len(text) <= 18
    found = list(models.filter(pk=int(text))[:1]) if is_id else list(models.filter(name=text)[:2])
    if not found:
        raise ValidationError({"model": [f"No model {text!r} in your organisations."]})
    if len(found) > 1:
        raise ValidationError(
            {"model": [f"Several of your organisations have a model {text!r}: say which organisation."]}
        )
    return found[0]


def _version_of(model: AIModel, label) -> ModelVersion:
    version = ModelVersion.objects.filter(model=model, version=_reference_text("version", label, 64)).first()
    if version is None:
        raise ValidationError({"version": [f"{model.name} has no version {label!r}: register it first."]})
    return version


class GateRequestSerializer(serializers.Serializer):
    model = serializers.CharField(max_length=200, help_text="The model's id or exact name.")
    version = serializers.CharField(max_length=64, help_text="The version label, as registered.")
    environment = serializers.ChoiceField(choices=DeploymentEnvironment.choices)
    organisation = MemberOrganisation()


class GateAnswerSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    checks = serializers.ListField(
        child=inline_serializer(
            "GateCheck",
            {
                "name": serializers.CharField(),
                "passed": serializers.BooleanField(),
                "message": serializers.CharField(),
            },
        )
    )
    policy_version = serializers.IntegerField()
    decision_id = serializers.IntegerField()


def _gate_answer(decision: DeploymentCheck) -> dict:
    return {
        "allowed": decision.allowed,
        "checks": decision.checks,
        "policy_version": decision.policy_version,
        "decision_id": decision.pk,
        "model": decision.model_id,
        "version": decision.version.version,
        "environment": decision.environment,
        "asked_at": decision.asked_at,
    }


class DeploymentCheckViewSet(
    OrganisationScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The deployment gate. POST asks whether a version may be deployed to an environment now; a denial is an
    answer (200, ``allowed: false``), not an error. Every question is kept and audited; GET lists them."""

    queryset = DeploymentCheck.objects.select_related("version")
    serializer_class = GateAnswerSerializer
    filterset_class = DeploymentCheckFilter

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("-asked_at", "-pk")

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([_gate_answer(d) for d in page])

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(_gate_answer(self.get_object()))

    @extend_schema(request=GateRequestSerializer, responses={200: GateAnswerSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = GateRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        model = _model_by_reference(request.user, data["model"], data.get("organisation"))
        version = _version_of(model, data["version"])
        decision = services.ask_gate(
            actor=request.user, model=model, version=version, environment=data["environment"]
        )
        return Response(_gate_answer(decision), status=status.HTTP_200_OK)


class DeploymentSerializer(serializers.ModelSerializer):
    model = serializers.CharField(max_length=200, write_only=True, help_text="The model's id or exact name.")
    version = serializers.CharField(max_length=64, write_only=True, help_text="The version label.")
    organisation = MemberOrganisation(write_only=True)
    model_id = serializers.IntegerField(read_only=True)
    version_label = serializers.CharField(source="version.version", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Deployment
        fields = [
            "id",
            "organisation",
            "model",
            "model_id",
            "version",
            "version_label",
            "environment",
            "strategy",
            "status",
            "pipeline_run_url",
            "gate_decision",
            "without_approval",
            "recorded_by",
            "recorded_at",
            "updated_at",
        ]
        read_only_fields = ["gate_decision", "without_approval", "recorded_at", "updated_at"]


class DeploymentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeploymentStatus.choices)


class DeploymentViewSet(
    OrganisationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """What pipelines deployed where (version, environment, canary or full, how it went, the run's URL)."""

    queryset = Deployment.objects.select_related("version", "recorded_by")
    serializer_class = DeploymentSerializer
    filterset_class = DeploymentFilter

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("-recorded_at", "-pk")

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        model = _model_by_reference(request.user, data["model"], data.get("organisation"))
        deployment = services.record_deployment(
            actor=request.user,
            model=model,
            version=_version_of(model, data["version"]),
            environment=data["environment"],
            strategy=data.get("strategy", DeploymentStrategy.FULL),
            status=data.get("status", DeploymentStatus.STARTED),
            pipeline_run_url=data.get("pipeline_run_url", ""),
        )
        return Response(self.get_serializer(deployment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DeploymentStatusSerializer, responses=DeploymentSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk=None) -> Response:
        """How the deployment went: succeeded, failed or rolled back."""
        serializer = DeploymentStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deployment = services.update_deployment_status(
            actor=request.user, deployment=self.get_object(), status=serializer.validated_data["status"]
        )
        return Response(self.get_serializer(deployment).data)


class VersionOfMyModels(UserScopedPrimaryKey):
    """A model version of the requesting user's organisations (others read as "does not exist")."""

    organisation_field = "model__organisation"


class FindingSerializer(serializers.ModelSerializer):
    validation = UserScopedPrimaryKey(queryset=Validation.objects.all())
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    severity = serializers.ChoiceField(choices=FindingSeverity.choices)
    status = serializers.ChoiceField(choices=FindingStatus.choices, required=False)

    class Meta:
        model = ValidationFinding
        fields = ["id", "validation", "title", "severity", "owner", "due_date", "status", "created_at"]
        read_only_fields = ["created_at"]


class ValidationSerializer(serializers.ModelSerializer):
    version = VersionOfMyModels(queryset=ModelVersion.objects.all())
    validator = serializers.SlugRelatedField(slug_field="username", read_only=True)
    scope = serializers.ListField(
        child=serializers.ChoiceField(choices=ValidationScope.choices), min_length=1
    )
    outcome = serializers.ChoiceField(choices=ValidationOutcome.choices, required=False, allow_blank=True)
    findings = FindingSerializer(many=True, read_only=True)
    evidence_file = serializers.FileField(
        write_only=True, required=False, help_text="The validation report (multipart), checked whole."
    )

    class Meta:
        model = Validation
        fields = [
            "id",
            "model",
            "version",
            "validator",
            "scope",
            "started_on",
            "completed_on",
            "outcome",
            "summary",
            "evidence_link",
            "evidence_file",
            "evidence_sha256",
            "findings",
            "created_at",
        ]
        read_only_fields = ["model", "evidence_sha256", "created_at"]


class ValidationViewSet(
    OrganisationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Independent validations of model versions: recorded by validators who are neither owner nor developer."""

    queryset = Validation.objects.select_related("validator", "version").prefetch_related("findings__owner")
    serializer_class = ValidationSerializer
    filterset_class = ValidationFilter

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("-started_on", "-pk")

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        validation = services.record_validation(actor=request.user, version=version, **data)
        return Response(self.get_serializer(validation).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        validation = self.get_object()
        serializer = self.get_serializer(validation, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.pop("version", validation.version) != validation.version:
            raise ValidationError({"version": ["A validation stays with the version it validated."]})
        validation = services.update_validation(actor=request.user, validation=validation, **data)
        return Response(self.get_serializer(validation).data)


class FindingViewSet(
    OrganisationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Validation findings; a PATCH of ``status`` closes one (the validator's call)."""

    organisation_field = "validation__organisation"
    queryset = ValidationFinding.objects.select_related("validation", "owner")
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = FindingSerializer
    filterset_class = FindingFilter

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("-created_at", "-pk")

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        finding = services.add_finding(
            actor=request.user,
            validation=data["validation"],
            title=data["title"],
            severity=data["severity"],
            due_date=data.get("due_date"),
        )
        return Response(self.get_serializer(finding).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        finding = self.get_object()
        serializer = self.get_serializer(finding, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changed = set(serializer.validated_data) - {"status"}
        if (
            changed - {"validation"}
            or serializer.validated_data.get("validation", finding.validation) != finding.validation
        ):
            raise ValidationError(
                {name: ["Only the status of a finding changes."] for name in sorted(changed)}
            )
        finding = services.set_finding_status(
            actor=request.user,
            finding=finding,
            status=serializer.validated_data.get("status", finding.status),
        )
        return Response(self.get_serializer(finding).data)


class ReleasePolicySerializer(serializers.ModelSerializer):
    organisation = MemberOrganisation()
    # Null for version 0, Plumbline's default policy, which nobody wrote and no row holds.
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True, allow_null=True)
    rules = serializers.JSONField()

    class Meta:
        model = ReleasePolicy
        fields = ["organisation", "version", "rules", "note", "created_by", "created_at"]
        read_only_fields = ["version"]


class ReleasePolicyView(OrganisationScopedMixin, APIView):
    """GET: the organisation's release policy in force (version 0 is Plumbline's default, before any edit).
    POST: a new version (admins; ``rules`` and a ``note`` saying what changed); versions are never edited."""

    serializer_class = ReleasePolicySerializer
    problem_statuses = (404,)

    def _organisation(self, request: Request):
        """The one chosen (body on POST, else the query), checked like every organisation field; or the only one."""
        body = request.data if request.method == "POST" and isinstance(request.data, dict) else {}
        chosen = body.get("organisation") or request.query_params.get("organisation")
        serializer = ReleasePolicySerializer(
            data={"organisation": chosen} if chosen else {}, context={"request": request}, partial=True
        )
        if not serializer.is_valid():
            # Reading the policy of an organisation one cannot see is asking for a record that is not there.
            codes = {error.code for error in serializer.errors.get("organisation", [])}
            if request.method == "GET" and codes == {"does_not_exist"}:
                raise NotFound("No organisation of yours has this id.")
            raise serializers.ValidationError(serializer.errors)
        return self.organisation_for_create(
            serializer.validated_data.get("organisation"), "the policy is for"
        )

    @extend_schema(parameters=[OpenApiParameter("organisation", int)], responses=ReleasePolicySerializer)
    def get(self, request: Request) -> Response:
        policy = selectors.current_policy(self._organisation(request))
        data = ReleasePolicySerializer(policy).data
        data["organisation"] = policy.organisation_id
        return Response(data)

    @extend_schema(request=ReleasePolicySerializer, responses={201: ReleasePolicySerializer})
    def post(self, request: Request) -> Response:
        organisation = self._organisation(request)
        serializer = ReleasePolicySerializer(data=request.data, context={"request": request}, partial=True)
        serializer.is_valid(raise_exception=True)
        policy = services.update_release_policy(
            actor=request.user,
            organisation=organisation,
            rules=serializer.validated_data.get("rules"),
            note=serializer.validated_data.get("note", ""),
        )
        return Response(ReleasePolicySerializer(policy).data, status=status.HTTP_201_CREATED)


class ReadinessMixin:
    """``GET /api/v1/models/{id}/readiness/?target=production&version=<label>`` on the model viewset."""

    @extend_schema(
        parameters=[
            OpenApiParameter("target", str, enum=ReleaseTarget.values, description="Default: production."),
            OpenApiParameter(
                "version", str, description="A version label (default: the champion, else the newest)."
            ),
        ],
        responses=ReadinessSerializer,
    )
    @action(detail=True, methods=["get"])
    def readiness(self, request: Request, pk=None) -> Response:
        model = self.get_object()
        target = request.query_params.get("target") or ReleaseTarget.PRODUCTION
        if target not in ReleaseTarget.values:
            raise ValidationError({"target": [f"One of: {', '.join(ReleaseTarget.values)}."]})
        label = request.query_params.get("version")
        version = _version_of(model, label) if label else None
        if target == ReleaseTarget.CHAMPION and version is None:
            raise ValidationError({"version": ["Say which version would become the champion."]})
        return Response(selectors.readiness(model, target, version).snapshot())
