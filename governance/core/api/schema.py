"""The OpenAPI schema documents the errors each operation may answer, all as the ``Problem`` component."""

from django_filters import BooleanFilter
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from governance.core.api.exceptions import KINDS, PROBLEM_CONTENT_TYPE
from governance.core.pickers import NamePickerField

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = ("POST", "PUT", "PATCH")


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem-details object: every API error (status 400 and above) has this shape."""

    type = serializers.URLField(
        help_text="A stable URI per kind of error, e.g. https://plumbline.dev/problems/validation-error; "
        "about:blank for a status with no kind of its own."
    )
    title = serializers.CharField(help_text="A short summary of the kind of error.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong with this request, in a sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Validation errors only: messages by field path ("name", "owner.email", "answers[3].value"); '
        "messages about no single field are under non_field_errors.",
    )
    request_id = serializers.CharField(
        allow_null=True, help_text="The request id our logs have: quote it when reporting a problem."
    )


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the error responses an operation may give added to those it declares.

    400 for operations that take a body or query parameters, 401 and 403 unless anyone may call it, 404 for paths
    naming a record and for pages past the last, 409 for writes, 413 and 415 for bodies, 503 (the database is
    down) for every operation. A view adds others with ``problem_statuses`` (the token endpoint's 429).
    """

    def _problem_statuses(self) -> list[int]:
        codes = [503]
        paginated = bool(self._get_pagination_parameters())
        if self.method in BODY_METHODS or paginated or self._has_query_parameters():
            codes.append(400)
        permissions = getattr(self.view, "permission_classes", ())
        if not permissions or not all(permission is AllowAny for permission in permissions):
            codes += [401, 403]
        if "{" in self.path or paginated:
            codes.append(404)
        if self.method in WRITE_METHODS:
            codes.append(409)
        if self.method in BODY_METHODS:
            codes += [413, 415]
        codes += list(getattr(self.view, "problem_statuses", ()))
        return sorted(set(codes))

    def _has_query_parameters(self) -> bool:
        return any(parameter["in"] == "query" for parameter in self._get_parameters())

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        component = self.resolve_serializer(ProblemSerializer, direction)
        for code in self._problem_statuses():
            responses.setdefault(
                str(code),
                {
                    "description": KINDS[code][1] if code in KINDS else "Error",
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": component.ref}},
                },
            )
        return responses


class QueryFilterExtension(DjangoFilterExtension):
    """drf-spectacular's django-filter parameters, typed as the API reads them: a yes/no filter is a boolean
    even when a method implements it, and no choice list offers the empty value (the API refuses it, see
    ``governance.core.api.filters``)."""

    target_class = "governance.core.api.filters.QueryFilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            schema = parameter["schema"]
            if isinstance(filter_field, BooleanFilter):
                parameter["schema"] = {"type": "boolean"}
            elif issubclass(getattr(filter_field, "field_class", object), NamePickerField):
                parameter["schema"] = {"type": "string", "minLength": 1}
                parameter["description"] = "The id or the exact name (any case) of the record."
            schema.pop("nullable", None)  # a query string cannot send null
            if "enum" in schema:
                schema["enum"] = [choice for choice in schema["enum"] if choice not in ("", None)]
        return parameters
