"""Read-only audit trail API, scoped to the caller's organisations where their role may view the trail."""

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from governance.core.api.permissions import OrganisationScopedMixin
from governance.core.roles import Permission, role_allows
from governance.core.tenancy import memberships_of
from governance.models import AuditEvent
from governance.selectors import audit as selectors


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "organisation",
            "sequence",
            "created_at",
            "actor",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "request_id",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


class AuditEventFilter(selectors.AuditEventFilter):
    class Meta(selectors.AuditEventFilter.Meta):
        fields = [*selectors.AuditEventFilter.Meta.fields, "organisation"]


class AuditEventViewSet(OrganisationScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Audit events of your organisations (only those where your role has ``audit.view``), newest first."""

    queryset = selectors.events_for()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter

    def get_queryset(self) -> QuerySet[AuditEvent]:
        allowed = [
            m.organisation_id
            for m in memberships_of(self.request.user)
            if role_allows(m.role, Permission.AUDIT_VIEW)
        ]
        return super().get_queryset().filter(organisation__in=allowed)
