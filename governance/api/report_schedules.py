"""Report schedules API: members read them and poll their runs; administrators (``report.schedule``) create,
change, delete and run them now."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.core.api.fields import MemberOrganisation
from governance.core.api.permissions import OrganisationScopedMixin
from governance.core.registry import REPORT_KIND_CHOICES, report_kinds
from governance.core.scheduling import RunStatus, next_run_on
from governance.models import Report, ReportSchedule, ReportStatus, ScheduleFrequency
from governance.selectors.report_schedules import schedule_run, with_latest_report
from governance.services import report_schedules as services


class LatestReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    finished_at = serializers.DateTimeField(allow_null=True)
    emailed_at = serializers.DateTimeField(allow_null=True)


class ReportScheduleSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    next_run_on = serializers.SerializerMethodField()
    latest_report = serializers.SerializerMethodField()

    class Meta:
        model = ReportSchedule
        fields = [
            "id",
            "organisation",
            *services.SCHEDULE_FIELDS,
            "last_run_period",
            "next_run_on",
            "latest_report",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_next_run_on(self, schedule: ReportSchedule) -> str | None:
        if not schedule.active:
            return None
        return next_run_on(schedule.frequency, timezone.localdate()).isoformat()

    @extend_schema_field(LatestReportSerializer(allow_null=True))
    def get_latest_report(self, schedule: ReportSchedule) -> dict | None:
        report_id = getattr(schedule, "latest_report_id", None)
        if report_id is None:
            return None
        return LatestReportSerializer(
            {
                "id": report_id,
                "status": schedule.latest_report_status,
                "finished_at": schedule.latest_report_finished_at,
                "emailed_at": schedule.latest_report_emailed_at,
            }
        ).data


RUN_STATUS_HELP = (
    "queued: the run or its report is still to come; done: the report is ready; failed: the run requested no "
    "report (detail says why), or the report failed."
)


class RunRequestedSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="The period whose report is being produced, e.g. 2026-11.")
    status = serializers.ChoiceField(choices=RunStatus.choices, help_text="Always queued here.")
    url = serializers.URLField(
        help_text="Poll this run: GET it until its status is done or failed (the Location header has it too)."
    )


class RunReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    url = serializers.URLField(help_text="The report: GET /api/v1/reports/{id}/.")
    download_url = serializers.URLField(allow_null=True, help_text="The PDF, once the report succeeded.")


class ReportScheduleRunSerializer(serializers.Serializer):
    """One run of a report schedule (one period) and the report it requested."""

    period = serializers.CharField()
    status = serializers.ChoiceField(choices=RunStatus.choices, help_text=RUN_STATUS_HELP)
    detail = serializers.CharField(help_text="The status in a sentence, with the reason when it failed.")
    report = RunReportSerializer(allow_null=True)


def _absolute(request: Request, path: str) -> str:
    return request.build_absolute_uri(path)


def _run_report(request: Request, report: Report | None) -> dict | None:
    if report is None:
        return None
    url = _absolute(request, reverse("api-report-detail", args=[report.pk]))
    succeeded = report.status == ReportStatus.SUCCEEDED
    return {
        "id": report.pk,
        "title": report.title,
        "status": report.status,
        "url": url,
        "download_url": _absolute(request, reverse("api-report-download", args=[report.pk]))
        if succeeded
        else None,
    }


PERIOD_PARAMETER = OpenApiParameter(
    "period",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description='The period key "run" answered: 2026-W48, 2026-11, 2026-Q4 or 2026.',
)


class ReportScheduleWriteSerializer(serializers.Serializer):
    """The input shape only; the service validates the content (kinds, subjects, every address)."""

    organisation = MemberOrganisation(
        help_text="On create, needed only when you belong to more than one organisation."
    )
    kind = serializers.ChoiceField(choices=REPORT_KIND_CHOICES)
    subject_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    parameters = serializers.DictField(required=False)
    frequency = serializers.ChoiceField(choices=ScheduleFrequency.choices)
    recipients = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=320),
        allow_empty=True,
        help_text="Email addresses; they need no Plumbline account.",
    )
    attach_pdf = serializers.BooleanField(required=False, default=True)
    active = serializers.BooleanField(required=False, default=True)


class ReportScheduleViewSet(OrganisationScopedMixin, viewsets.ModelViewSet):
    """Reports generated on a schedule and emailed to their recipients."""

    queryset = with_latest_report(ReportSchedule.objects.select_related("organisation", "created_by"))
    serializer_class = ReportScheduleSerializer
    filterset_fields = ["organisation", "kind", "frequency", "active"]

    def _respond(self, schedule: ReportSchedule, code: int) -> Response:
        fresh = self.get_queryset().get(pk=schedule.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=ReportScheduleWriteSerializer, responses={201: ReportScheduleSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        incoming = ReportScheduleWriteSerializer(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        schedule = services.save_report_schedule(
            actor=request.user,
            organisation=self.organisation_for_create(data.get("organisation"), "the schedule is for"),
            kind=data["kind"],
            frequency=data["frequency"],
            recipients=data["recipients"],
            attach_pdf=data["attach_pdf"],
            active=data["active"],
            subject_id=data.get("subject_id"),
            parameters=data.get("parameters"),
        )
        return self._respond(schedule, status.HTTP_201_CREATED)

    @extend_schema(request=ReportScheduleWriteSerializer, responses={200: ReportScheduleSerializer})
    def update(self, request: Request, *args, **kwargs) -> Response:
        schedule = self.get_object()
        partial = kwargs.get("partial", False)
        incoming = ReportScheduleWriteSerializer(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if "organisation" in data and data["organisation"].pk != schedule.organisation_id:
            raise ValidationError({"organisation": ["A schedule cannot move to another organisation."]})
        values = {field: data.get(field, getattr(schedule, field)) for field in services.SCHEDULE_FIELDS}
        spec = report_kinds.get(values["kind"])
        if "subject_id" not in data and (spec is None or spec.subject_model is None):
            # Switching a dossier schedule to an organisation-wide kind drops its subject.
            values["subject_id"] = None
        saved = services.save_report_schedule(
            actor=request.user,
            organisation=schedule.organisation,
            kind=values["kind"],
            frequency=values["frequency"],
            recipients=values["recipients"],
            attach_pdf=values["attach_pdf"],
            active=values["active"],
            subject_id=values["subject_id"],
            parameters=values["parameters"],
            schedule=schedule,
        )
        return self._respond(saved, status.HTTP_200_OK)

    @extend_schema(request=ReportScheduleWriteSerializer, responses={200: ReportScheduleSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.delete_report_schedule(actor=request.user, schedule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

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
        responses={
            202: RunRequestedSerializer,
            409: OpenApiResponse(description="Paused, or this period already ran"),
        },
    )
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk=None) -> Response:
        """Produce this period's report now (once per period, like beat's runs); it is emailed when rendered.
        Poll the run at the url answered (also the Location header) to learn when the report is ready."""
        schedule = self.get_object()
        period = services.request_schedule_run(actor=request.user, schedule=schedule)
        url = _absolute(request, reverse("api-report-schedule-run-status", args=[schedule.pk, period]))
        return Response(
            {"period": period, "status": RunStatus.QUEUED, "url": url},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )

    @extend_schema(
        parameters=[PERIOD_PARAMETER],
        responses={200: ReportScheduleRunSerializer},
        description="What a run of the schedule became: poll it after POST .../run/ until its status is done "
        "(the report is ready to download) or failed. Beat's own runs can be read the same way. 404 for a "
        "period the schedule neither ran in nor was asked to run in.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"runs/(?P<period>[^/.]+)",
        url_name="run-status",
        filterset_fields=[],
    )
    def run_status(self, request: Request, pk=None, period: str = "") -> Response:
        outcome = schedule_run(self.get_object(), period)
        if outcome is None:
            raise Http404(f"This schedule has no run for the period {period}.")
        body = {
            "period": outcome.period,
            "status": outcome.status,
            "detail": outcome.detail,
            "report": _run_report(request, outcome.record),
        }
        return Response(ReportScheduleRunSerializer(body).data)
