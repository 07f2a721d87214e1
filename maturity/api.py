"""Maturity REST API: translates HTTP to ``maturity.services`` / ``maturity.selectors`` and back."""

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from governance.core.api.permissions import OrganisationScopedMixin
from governance.core.scheduling import RunStatus
from maturity import crosswalk, scoring, selectors, services
from maturity.models import Answer, Assessment, Factor, Question, Questionnaire, ReassessmentSchedule
from maturity.serializers import (
    AnswerInputSerializer,
    AnswerSerializer,
    ApproveSerializer,
    AssessmentCreateSerializer,
    AssessmentResultSerializer,
    AssessmentSerializer,
    AssessmentTargetsSerializer,
    QuestionnaireSerializer,
    ReassessmentRunSerializer,
    ReassessmentScheduleSerializer,
    ReturnSerializer,
    SavedAnswersSerializer,
    ScheduleChangeSerializer,
    ScheduleInputSerializer,
    ScheduleRunSerializer,
)

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input; the body is keyed by field (or question key)."),
    403: OpenApiResponse(description="Your role may not do this."),
    404: OpenApiResponse(description="No such record in your organisations."),
    409: OpenApiResponse(description="The assessment's state forbids this (e.g. it is approved)."),
}


class QuestionnaireViewSet(viewsets.ReadOnlyModelViewSet):
    """Questionnaire versions with their factors, questions and level descriptors (shared by all organisations)."""

    serializer_class = QuestionnaireSerializer
    queryset = Questionnaire.objects.prefetch_related(
        Prefetch(
            "factors",
            queryset=Factor.objects.order_by("order", "pk").prefetch_related(
                Prefetch("questions", queryset=Question.objects.order_by("order", "pk"))
            ),
        )
    ).order_by("-loaded_at", "-pk")
    filterset_fields = ["is_current", "version"]

    @extend_schema(responses={200: QuestionnaireSerializer, 404: ERROR_RESPONSES[404]})
    @action(detail=False, methods=["get"])
    def current(self, request: Request) -> Response:
        questionnaire = self.get_queryset().filter(is_current=True).first()
        if questionnaire is None:
            raise Http404("No questionnaire is loaded yet.")
        return Response(self.get_serializer(questionnaire).data)


class AssessmentViewSet(
    OrganisationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Maturity assessments of your organisations: answer, submit, approve or return, and read the scores."""

    serializer_class = AssessmentSerializer
    filterset_fields = ["organisation", "business_unit", "status"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        answered = Q(answers__not_applicable=True) | Q(answers__level__isnull=False)
        total = (
            Question.objects.filter(factor__questionnaire=OuterRef("questionnaire"))
            .order_by()
            .values("factor__questionnaire")
            .annotate(count=Count("pk"))
            .values("count")
        )
        self.queryset = (
            Assessment.objects.select_related(
                "questionnaire", "created_by", "submitted_by", "approved_by", "organisation"
            )
            .annotate(
                answered_count=Count("answers", filter=answered),
                total_count=Subquery(total, output_field=IntegerField()),
            )
            .order_by("-created_at", "-pk")
        )
        return super().get_queryset()

    def _respond(self, assessment: Assessment, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=assessment.pk)
        return Response(AssessmentSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        request=AssessmentCreateSerializer, responses={201: AssessmentSerializer, **ERROR_RESPONSES}
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = AssessmentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assessment = services.create_assessment(
            actor=request.user,
            organisation=data["organisation"],
            title=data["title"],
            business_unit=data.get("business_unit"),
            targets=data.get("targets"),
        )
        return self._respond(assessment, status.HTTP_201_CREATED)

    @extend_schema(
        request=AssessmentTargetsSerializer, responses={200: AssessmentSerializer, **ERROR_RESPONSES}
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        assessment = self.get_object()
        serializer = AssessmentTargetsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_targets(
            actor=request.user, assessment=assessment, targets=serializer.validated_data["targets"]
        )
        return self._respond(assessment)

    @extend_schema(methods=["GET"], responses={200: AnswerSerializer(many=True), 404: ERROR_RESPONSES[404]})
    @extend_schema(
        methods=["POST"],
        request=AnswerInputSerializer(many=True),
        responses={200: SavedAnswersSerializer, **ERROR_RESPONSES},
        description="Create or update answers in bulk. On any error nothing is saved and the 400 body is "
        "keyed by question key.",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_fields=[])
    def answers(self, request: Request, pk=None) -> Response:
        assessment = self.get_object()
        if request.method == "GET":
            answers = (
                Answer.objects.filter(assessment=assessment)
                .select_related("question__factor", "answered_by")
                .order_by("question__factor__order", "question__order")
            )
            return Response(AnswerSerializer(answers, many=True).data)
        items = request.data
        if isinstance(items, dict) and "answers" in items:
            items = items["answers"]
        if not isinstance(items, list):
            raise DRFValidationError({"non_field_errors": ["Send a JSON list of answers."]})
        saved = services.save_answers(actor=request.user, assessment=assessment, answers=items)
        return Response({"saved": saved})

    @extend_schema(request=None, responses={200: AssessmentSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], filterset_fields=[])
    def submit(self, request: Request, pk=None) -> Response:
        assessment = self.get_object()
        services.submit_assessment(actor=request.user, assessment=assessment)
        return self._respond(assessment)

    @extend_schema(request=ApproveSerializer, responses={200: AssessmentSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], filterset_fields=[])
    def approve(self, request: Request, pk=None) -> Response:
        assessment = self.get_object()
        serializer = ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.approve_assessment(
            actor=request.user, assessment=assessment, comment=serializer.validated_data.get("comment", "")
        )
        return self._respond(assessment)

    @extend_schema(request=ReturnSerializer, responses={200: AssessmentSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], url_path="return", filterset_fields=[])
    def return_to_draft(self, request: Request, pk=None) -> Response:
        assessment = self.get_object()
        serializer = ReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.return_assessment(
            actor=request.user, assessment=assessment, reason=serializer.validated_data["reason"]
        )
        return self._respond(assessment)

    @extend_schema(responses={200: AssessmentResultSerializer, 404: ERROR_RESPONSES[404]})
    @action(detail=True, methods=["get"], filterset_fields=[])
    def scores(self, request: Request, pk=None) -> Response:
        assessment = self.get_object()
        questions = selectors.assessment_questions(assessment)
        observed = selectors.question_evidence(assessment, questions)
        result = selectors.assessment_result(assessment, observed=observed, questions=questions)
        flags = selectors.evidence_flags(assessment, questions, observed)
        payload = {
            **vars(result),
            "evidence_flags": flags,
            "roadmap_rule": scoring.ROADMAP_RULE,
            "crosswalk_version": crosswalk.current().version,
            "crosswalk": selectors.crosswalk_rows(result, questions),
        }
        return Response(AssessmentResultSerializer(payload).data)


class ReassessmentScheduleViewSet(
    OrganisationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Reassessment schedules of your organisations (one organisation-wide, one per business unit at most)."""

    serializer_class = ReassessmentScheduleSerializer
    # The organisation-wide schedule (no unit) first on every database.
    queryset = ReassessmentSchedule.objects.select_related("created_by").order_by(
        "organisation", F("business_unit__name").asc(nulls_first=True), "pk"
    )
    filterset_fields = ["organisation", "business_unit", "frequency", "active"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _respond(self, schedule: ReassessmentSchedule, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=schedule.pk)
        return Response(ReassessmentScheduleSerializer(fresh).data, status=code)

    @extend_schema(
        request=ScheduleInputSerializer,
        responses={
            201: ReassessmentScheduleSerializer,
            200: ReassessmentScheduleSerializer,
            **ERROR_RESPONSES,
        },
        description="Create the schedule of a scope, or replace its frequency and state if it has one "
        "(201 when created, 200 when updated). Administrators only.",
    )
    def create(self, request: Request) -> Response:
        serializer = ScheduleInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organisation, business_unit = data["organisation"], data.get("business_unit")
        existed = ReassessmentSchedule.objects.filter(
            organisation=organisation, business_unit=business_unit
        ).exists()
        schedule = services.save_schedule(
            actor=request.user,
            organisation=organisation,
            business_unit=business_unit,
            frequency=data["frequency"],
            active=data["active"],
        )
        return self._respond(schedule, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(
        request=ScheduleChangeSerializer,
        responses={200: ReassessmentScheduleSerializer, **ERROR_RESPONSES},
        description="Change the frequency or pause/resume (active) a schedule. Administrators only.",
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        schedule = self.get_object()
        serializer = ScheduleChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        schedule = services.save_schedule(
            actor=request.user,
            organisation=schedule.organisation,
            business_unit=schedule.business_unit,
            frequency=data.get("frequency", schedule.frequency),
            active=data.get("active", schedule.active),
        )
        return self._respond(schedule)

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                response=[202],
                description="The run to poll (GET), as in the body's url.",
            )
        ],
        responses={202: ScheduleRunSerializer, **ERROR_RESPONSES},
        description="Open this period's draft now through the same once-per-period task beat fires; "
        "409 if the schedule is paused or this period's draft already exists. Poll the run at the url "
        "answered (also the Location header) to learn which draft it opened.",
    )
    @action(detail=True, methods=["post"], filterset_fields=[])
    def run(self, request: Request, pk=None) -> Response:
        schedule = self.get_object()
        period = services.request_reassessment_run(actor=request.user, schedule=schedule)
        url = request.build_absolute_uri(
            reverse("reassessment-schedule-run-status", args=[schedule.pk, period])
        )
        return Response(
            {"period": period, "status": RunStatus.QUEUED, "url": url},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description='The period key "run" answered: 2026-11, 2026-Q4, 2026-H2 or 2026.',
            )
        ],
        responses={200: ReassessmentRunSerializer},
        description="What a run of the schedule became: poll it after POST .../run/ until its status is done "
        "(with the draft it opened) or failed. Beat's own runs can be read the same way. 404 for a period "
        "the schedule neither ran in nor was asked to run in.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"runs/(?P<period>[^/.]+)",
        url_name="run-status",
        filterset_fields=[],
    )
    def run_status(self, request: Request, pk=None, period: str = "") -> Response:
        outcome = selectors.schedule_run(self.get_object(), period)
        if outcome is None:
            raise Http404(f"This schedule has no run for the period {period}.")
        assessment = outcome.record
        body = {
            "period": outcome.period,
            "status": outcome.status,
            "detail": outcome.detail,
            "assessment": None
            if assessment is None
            else {
                "id": assessment.pk,
                "title": assessment.title,
                "status": assessment.status,
                "url": request.build_absolute_uri(reverse("assessment-detail", args=[assessment.pk])),
            },
        }
        return Response(ReassessmentRunSerializer(body).data)
