"""The API's half of tenancy: viewsets scope their querysets and check roles through governance.core.tenancy."""

from django.core.exceptions import ValidationError
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

    def organisation_for_create(self, chosen: Organisation | None, what: str) -> Organisation:
        """The organisation a new record goes to: the one chosen (a field that offers only the user's own), or
        the user's only one; a member of several must say which (``what``: "the report is for")."""
        if chosen is not None:
            return chosen
        memberships = tenancy.memberships_of(self.request.user)
        if len(memberships) == 1:
            return memberships[0].organisation
        raise ValidationError({"organisation": [f"Say which of your organisations {what}."]})
