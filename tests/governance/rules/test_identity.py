"""Identity-provider groups to roles: the map's syntax, precedence, and the groups claim's shapes."""

import pytest

from governance.core.roles import Role
from governance.rules.identity import (
    GroupRole,
    groups_claim,
    managed_organisations,
    parse_group_roles,
    roles_from_groups,
)

MAP = "ml-admins=acme:admin, model-risk=acme:risk_officer, audit=acme:auditor, audit=beta:auditor"


def test_the_map_parses_into_group_organisation_role_entries():
    entries = parse_group_roles(MAP)
    assert entries[0] == GroupRole("ml-admins", "acme", Role.ADMIN)
    assert managed_organisations(entries) == {"acme", "beta"}
    # A group name may itself contain "=": the last one separates the target.
    assert parse_group_roles("team=ml=acme:auditor") == [GroupRole("team=ml", "acme", Role.AUDITOR)]


@pytest.mark.parametrize(
    "text", ["ml-admins", "ml-admins=acme", "ml-admins=acme:root", "=acme:admin", "g=:admin"]
)
def test_a_malformed_entry_is_named(text):
    with pytest.raises(ValueError, match="OIDC_GROUP_ROLES entry"):
        parse_group_roles(text)


def test_an_empty_map_maps_nothing():
    assert parse_group_roles("") == [] and parse_group_roles(" , ") == []


def test_the_more_privileged_role_wins_within_one_organisation():
    entries = parse_group_roles(MAP)
    assert roles_from_groups(["audit", "model-risk"], entries) == {
        "acme": Role.RISK_OFFICER,
        "beta": Role.AUDITOR,
    }
    assert roles_from_groups(["audit", "ml-admins"], entries)["acme"] == Role.ADMIN
    assert roles_from_groups(["canteen"], entries) == {}


def test_the_groups_claim_may_be_a_list_or_one_string():
    assert groups_claim({"groups": ["a", "b"]}, "groups") == ["a", "b"]
    assert groups_claim({"roles": "a"}, "roles") == ["a"]
    assert groups_claim({}, "groups") == []
    assert groups_claim({"groups": [{"nested": 1}, "a"]}, "groups") == ["a"]
