"""Tenancy in one place: which organisations a user belongs to, with which role.

Every view, API viewset and service goes through these helpers. Objects of an organisation the user does
not belong to answer 404 (their existence is not disclosed); an action the user's role does not allow
answers 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from governance.core.roles import Permission, role_allows
from governance.models import Membership, Organisation

_CACHE_ATTR = "_plumbline_memberships"


def memberships_of(user) -> list[Membership]:
    """The user's memberships (with organisations), cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("organisation"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def organisation_ids_of(user) -> list[int]:
    return [membership.organisation_id for membership in memberships_of(user)]


def membership_in(user, organisation: Organisation | int) -> Membership | None:
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    for membership in memberships_of(user):
        if membership.organisation_id == organisation_id:
            return membership
    return None


def role_in(user, organisation: Organisation | int) -> str | None:
    membership = membership_in(user, organisation)
    return membership.role if membership else None


def can(user, organisation: Organisation | int, action: Permission | str) -> bool:
    return role_allows(role_in(user, organisation), action)


def require(user, organisation: Organisation | int, action: Permission | str) -> Membership:
    """The user's membership if its role allows ``action``; 404 for outsiders, 403 for the wrong role."""
    Permission(action)  # an unknown name fails loudly, for outsiders too
    membership = membership_in(user, organisation)
    if membership is None:
        raise Http404("No such organisation.")
    if not role_allows(membership.role, action):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) may not do this.")
    return membership


def scope(queryset: QuerySet, user, organisation_field: str = "organisation") -> QuerySet:
    """Restrict ``queryset`` to the organisations the user belongs to."""
    return queryset.filter(**{f"{organisation_field}__in": organisation_ids_of(user)})


def get_for_user(queryset: QuerySet, user, organisation_field: str = "organisation", **lookup) -> Model:
    """One object of the user's organisations, or 404 (also for another organisation's object)."""
    try:
        return scope(queryset, user, organisation_field).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches.") from exc


def current_organisation(request: HttpRequest, *, permission: Permission | str | None = None) -> Organisation:
    """The organisation the user is working in (chosen in the switcher), or 404 for a user who belongs to none.

    With ``permission``, also 403 unless the user's role there allows it (see ``require``).
    """
    organisation = request.organisation
    if organisation is None:
        raise Http404("You are not a member of any organisation.")
    if permission is not None:
        require(request.user, organisation, permission)
    return organisation
