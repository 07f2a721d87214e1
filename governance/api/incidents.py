"""Incident API: incidents of your organisations' models (CRUD by the incident.edit role action), filterable."""

from django.core.exceptions import PermissionDenied
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from governance.core import tenancy
from governance.core.api.filters import QueryFilterBackend
from governance.core.api.permissions import OrganisationScopedMixin
from governance.core.roles import Permission
from governance.models import AIModel, Incident
from governance.selectors.incidents import IncidentFilter
from governance.services import incidents as services


class IncidentSerializer(serializers.ModelSerializer):
    model = serializers.PrimaryKeyRelatedField(queryset=AIModel.objects.all())
    model_name = serializers.CharField(source="model.name", read_only=True)
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    closed_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Only for a closed incident; closing without it stamps the current time.",
    )

    class Meta:
        model = Incident
        # What a client may write is what the service edits; the rest is read-only context around it.
        fields = [
            "id",
            "organisation",
            "model",
            "model_name",
            *services.EDITABLE_FIELDS,
            "reported_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["organisation", "reported_by", "created_at", "updated_at"]
        validators: list = []  # the time line and closing rules live in the service

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["model"].queryset = tenancy.scope(AIModel.objects.all(), request.user)


def _writable(data: dict) -> dict:
    return {key: value for key, value in data.items() if key in services.EDITABLE_FIELDS or key == "model"}


class IncidentViewSet(OrganisationScopedMixin, viewsets.ModelViewSet):
    """Incidents: what went wrong with a model, what it cost, why, and what was done.

    Every member reads; admins, model owners and risk officers write. Closing (``status: closed``) needs the
    root cause and the actions taken.
    """

    serializer_class = IncidentSerializer
    queryset = Incident.objects.select_related("model", "reported_by")
    filter_backends = [QueryFilterBackend]
    filterset_class = IncidentFilter

    def create(self, request: Request, *args, **kwargs) -> Response:
        # Refuse (403) before looking at the body when the role may not record incidents anywhere.
        if not any(
            tenancy.can(request.user, m.organisation_id, Permission.INCIDENT_EDIT)
            for m in tenancy.memberships_of(request.user)
        ):
            raise PermissionDenied("Your role may not record incidents.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = _writable(serializer.validated_data)
        model = data.pop("model")
        incident = services.create_incident(
            actor=request.user, organisation=model.organisation, model=model, **data
        )
        return Response(self.get_serializer(incident).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        incident = self.get_object()
        self.require(incident.organisation_id, Permission.INCIDENT_EDIT)
        serializer = self.get_serializer(incident, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        incident = services.update_incident(
            actor=request.user, incident=incident, **_writable(serializer.validated_data)
        )
        return Response(self.get_serializer(incident).data)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.delete_incident(actor=request.user, incident=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
