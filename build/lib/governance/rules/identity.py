"""Single sign-on: which role in which organisation a person's identity-provider groups give.

The map is configuration (``OIDC_GROUP_ROLES``): ``group=organisation-slug:role`` pairs separated by commas,
e.g. ``plumbline-admins=acme-bank:admin, model-risk=acme-bank:risk_officer``. A group may map into several
organisations; a person in two groups mapped into one organisation gets the more privileged role.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from governance.core.roles import Role

# Most privileged first: the role a person in several mapped groups gets.
ROLE_PRECEDENCE = (
    Role.ADMIN,
    Role.RISK_OFFICER,
    Role.MODEL_OWNER,
    Role.VALIDATOR,
    Role.ASSESSOR,
    Role.EXECUTIVE,
    Role.AUDITOR,
)


@dataclass(frozen=True)
class GroupRole:
    group: str
    organisation_slug: str
    role: Role


def parse_group_roles(text: str) -> list[GroupRole]:
    """Parse ``OIDC_GROUP_ROLES``; a malformed entry raises ValueError naming it (checked at start-up)."""
    entries = []
    for raw in (text or "").split(","):
        item = raw.strip()
        if not item:
            continue
        group, sep, target = item.rpartition("=")
        slug, colon, role = target.partition(":")
        if not sep or not colon or not group.strip() or not slug.strip():
            raise ValueError(f"OIDC_GROUP_ROLES entry {item!r} is not group=organisation-slug:role.")
        if role.strip() not in Role.values:
            raise ValueError(
                f"OIDC_GROUP_ROLES entry {item!r}: unknown role {role.strip()!r} (one of {', '.join(Role.values)})."
            )
        entries.append(GroupRole(group.strip(), slug.strip(), Role(role.strip())))
    return entries


def roles_from_groups(groups: Iterable[str], group_roles: list[GroupRole]) -> dict[str, Role]:
    """Organisation slug -> the role the person's groups give there (organisations no group maps to are absent)."""
    member_of = set(groups)
    roles: dict[str, Role] = {}
    for entry in group_roles:
        if entry.group not in member_of:
            continue
        current = roles.get(entry.organisation_slug)
        if current is None or ROLE_PRECEDENCE.index(entry.role) < ROLE_PRECEDENCE.index(current):
            roles[entry.organisation_slug] = entry.role
    return roles


def managed_organisations(group_roles: list[GroupRole]) -> set[str]:
    """Organisations whose memberships the identity provider decides (the others are managed in Plumbline)."""
    return {entry.organisation_slug for entry in group_roles}


def groups_claim(claims: dict, claim_name: str) -> list[str]:
    """The groups in the claims: a list of strings, or one string (some providers send a single group so)."""
    value = claims.get(claim_name) or []
    if isinstance(value, str):
        return [value]
    return [str(group) for group in value if isinstance(group, str | int)]
