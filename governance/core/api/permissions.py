"""The API's half of tenancy: viewsets scope their querysets and check roles through governance.core.tenancy."""

from django.db.models import QuerySet
from rest_framework.request import Request

from governance.core import tenancy
from governance.core.roles import Permission
from governance.models import Organisation


class OrganisationScopedMixin:
    """For viewsets of organisation-owned records.

    ``organisation_field`` is the lookup from the model to its organisation. Objects outside the user's
    organisations never appear in lists and answer 404 on detail routes.
    """

    organisation_field: str = "organisation"
    request: Request

    def get_queryset(self) -> QuerySet:
        return tenancy.scope(super().get_queryset(), self.request.user, self.organisation_field)

    def require(self, organisation: Organisation | int, action: Permission | str):
        return tenancy.require(self.request.user, organisation, action)
