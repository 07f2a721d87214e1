"""Serializer fields that only see the requesting user's organisations.

Another organisation's id reads exactly as an id that does not exist ("Invalid pk ... does not exist"), so an
error message never tells a caller which ids are in use elsewhere.
"""

from rest_framework import serializers

from governance.core import tenancy


class UserScopedPrimaryKey(serializers.PrimaryKeyRelatedField):
    """Offers only records of the requesting user's organisations (others read as "does not exist")."""

    organisation_field = "organisation"

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return tenancy.scope(super().get_queryset(), user, self.organisation_field)


class MemberOrganisation(UserScopedPrimaryKey):
    """One of the requesting user's organisations; optional, for callers who belong to one only."""

    organisation_field = "pk"

    def __init__(self, **kwargs):
        from governance.models import Organisation

        kwargs.setdefault("queryset", Organisation.objects.all())
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Needed only when you belong to more than one organisation.")
        super().__init__(**kwargs)
