"""Reports API: request a report (202, rendered by a worker), poll it, download it, verify a PDF."""

from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from governance.core.api.fields import MemberOrganisation
from governance.core.api.permissions import OrganisationScopedMixin
from governance.core.errors import ConflictError
from governance.core.registry import REPORT_KIND_CHOICES
from governance.models import Report, ReportStatus
from governance.reports import services, verify


class ReportSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "organisation",
            "kind",
            "subject_id",
            "parameters",
            "title",
            "requested_by",
            "requested_at",
            "status",
            "progress",
            "started_at",
            "finished_at",
            "attempts",
            "page_count",
            "byte_size",
            "sha256",
            "error",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, report: Report) -> str | None:
        if report.status != ReportStatus.SUCCEEDED:
            return None
        request = self.context.get("request")
        path = f"/api/v1/reports/{report.pk}/download/"
        return request.build_absolute_uri(path) if request else path


class ReportRequestSerializer(serializers.Serializer):
    organisation = MemberOrganisation()
    kind = serializers.ChoiceField(choices=REPORT_KIND_CHOICES)
    subject_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The model (model_dossier) or assessment (assessment); omit for the other kinds.",
    )
    framework = serializers.CharField(
        required=False,
        max_length=40,
        help_text="compliance only: the framework's key, e.g. eu-ai-act (same as parameters.framework).",
    )
    parameters = serializers.DictField(
        required=False,
        help_text="Optional period_start / period_end (YYYY-MM-DD); framework for a compliance report.",
    )


class VerifyUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class VerifyResultSerializer(serializers.Serializer):
    match = serializers.BooleanField()
    report = ReportSerializer(allow_null=True)


class ReportViewSet(
    OrganisationScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Report.objects.select_related("requested_by")
    serializer_class = ReportSerializer
    filterset_fields = ["organisation", "kind", "status"]

    @extend_schema(request=ReportRequestSerializer, responses={202: ReportSerializer})
    def create(self, request: Request) -> Response:
        incoming = ReportRequestSerializer(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        parameters = data.get("parameters")
        if "framework" in data:
            parameters = {**(parameters or {}), "framework": data["framework"]}
        report = services.request_report(
            actor=request.user,
            organisation=self.organisation_for_create(data.get("organisation"), "the report is for"),
            kind=data["kind"],
            subject_id=data.get("subject_id"),
            parameters=parameters,
        )
        report.requested_by = request.user
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(description="The PDF"),
            409: OpenApiResponse(description="Not rendered (yet)"),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk=None) -> FileResponse:
        report = self.get_object()
        if report.status != ReportStatus.SUCCEEDED or not report.file:
            raise ConflictError(
                f"Report #{report.pk} is {report.get_status_display().lower()}: no file to download."
            )
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=f"plumbline-report-{report.pk}.pdf",
            content_type="application/pdf",
        )

    @extend_schema(request=None, responses={200: VerifyResultSerializer})
    @action(detail=True, methods=["get"], url_path="verify")
    def verify_stored(self, request: Request, pk=None) -> Response:
        """Does the stored file still have the SHA-256 recorded when it was rendered?"""
        report = self.get_object()
        match = verify.stored_file_matches(report)
        return Response({"match": match, "report": self.get_serializer(report).data})

    @extend_schema(
        request={"multipart/form-data": VerifyUploadSerializer}, responses={200: VerifyResultSerializer}
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def verify(self, request: Request) -> Response:
        """Is the uploaded PDF exactly a report of one of your organisations?"""
        incoming = VerifyUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        report = verify.find_by_content(self.get_queryset(), incoming.validated_data["file"].chunks())
        data = self.get_serializer(report).data if report else None
        return Response({"match": report is not None, "report": data})
