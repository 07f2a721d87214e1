"""``POST /api/v1/models/import/``: the inventory CSV import of the web page (``import_models_csv``), for pipelines.

Every row is checked first and nothing is created if any row is wrong, as on the page. The row errors come back
as one validation problem: its ``errors`` map names each bad cell (``rows[3].owner``, rows counted from 1 after
the header as on the page; ``file`` for the file as a whole), and a ``rows`` extension lists them in order.
"""

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from governance.core.api.exceptions import NON_FIELD_ERRORS, PROBLEM_CONTENT_TYPE, VALIDATION_ERROR, problem
from governance.core.api.fields import MemberOrganisation
from governance.core.api.schema import ProblemSerializer
from governance.selectors.inventory import CSV_COLUMNS
from governance.services import inventory as services

IMPORT_MB = services.IMPORT_MAX_BYTES // 2**20


class ModelImportSerializer(serializers.Serializer):
    organisation = MemberOrganisation(
        help_text="The organisation the models join; needed only when you belong to more than one."
    )
    file = serializers.FileField(
        help_text=f"UTF-8 CSV with a header row, at most {IMPORT_MB} MB. Columns: {', '.join(CSV_COLUMNS)} "
        "(the inventory export's); name, purpose and owner (a member's username) are required."
    )


class ImportedModelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.URLField(help_text="The model: GET /api/v1/models/{id}/.")


class ModelImportResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    models = ImportedModelSerializer(many=True)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Data row, from 1 (the header is row 0: the file as a whole).")
    field = serializers.CharField(help_text="The column, or file / header.")
    message = serializers.CharField()


class ModelImportProblemSerializer(ProblemSerializer):
    """A validation problem (see ``Problem``) whose ``errors`` name each bad cell (``rows[3].owner``, or ``file``),
    with the same errors as the ``rows`` list."""

    rows = RowErrorSerializer(
        many=True,
        required=False,
        help_text="The file's problems in order; absent when the request itself is wrong.",
    )


def error_path(error: services.RowError) -> str:
    """The ``errors`` key of a row error: ``file`` for the file as a whole, else ``rows[N].column``."""
    if error.row == 0:
        return "file"
    field = NON_FIELD_ERRORS if error.field == "__all__" else error.field
    return f"rows[{error.row}].{field}"


def import_problem(exc: services.CSVImportError) -> Response:
    errors: dict[str, list[str]] = {}
    for error in exc.row_errors:
        errors.setdefault(error_path(error), []).append(error.message)
    count = len(exc.row_errors)
    response = problem(
        status.HTTP_400_BAD_REQUEST,
        f"The file has {count} problem{'' if count == 1 else 's'}; nothing was imported.",
        errors=errors,
        kind=VALIDATION_ERROR,
    )
    response.data["rows"] = [
        {"row": error.row, "field": error.field, "message": error.message} for error in exc.row_errors
    ]
    return response


class ModelImportMixin:
    """For the inventory viewset: ``import`` creates the models of a CSV file, all or none."""

    @extend_schema(
        request={"multipart/form-data": ModelImportSerializer},
        responses={
            201: ModelImportResultSerializer,
            (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ModelImportProblemSerializer, description="The file or a row is wrong: nothing was imported."
            ),
        },
        description="Create models from a CSV file (the format of the inventory export and of the import page): "
        "every row is checked first, and if any is wrong nothing is imported. Needs the right to edit models "
        "(administrators, model owners, risk officers) and a read-and-write token.",
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_csv(self, request: Request) -> Response:
        incoming = ModelImportSerializer(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        organisation = self.organisation_for_create(data.get("organisation"), "the models join")
        # One byte more than the limit is enough for the service to refuse a file that is too large.
        content = data["file"].read(services.IMPORT_MAX_BYTES + 1)
        try:
            created = services.import_models_csv(
                actor=request.user, organisation=organisation, content=content
            )
        except services.CSVImportError as exc:
            return import_problem(exc)
        models = [
            {
                "id": model.pk,
                "name": model.name,
                "url": request.build_absolute_uri(reverse("api-model-detail", args=[model.pk])),
            }
            for model in created
        ]
        body = {"count": len(models), "models": models}
        return Response(ModelImportResultSerializer(body).data, status=status.HTTP_201_CREATED)
