"""What a pipeline asks first: who am I, in which organisations, with which role — and the ids behind names."""

import pytest

from tests.factories import BusinessUnitFactory, MembershipFactory
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db


def test_me_names_the_user_their_organisations_roles_and_permissions(
    api_client, organisation, model_owner, business_unit, other_organisation
):
    MembershipFactory(user=model_owner, organisation=other_organisation, role="auditor")
    body = api_client(model_owner).get("/api/v1/me/").json()
    assert body["username"] == model_owner.username
    by_slug = {m["organisation"]["slug"]: m for m in body["memberships"]}
    assert by_slug[organisation.slug]["role"] == "model_owner"
    assert by_slug[organisation.slug]["organisation"]["id"] == organisation.pk
    assert "version.register" in by_slug[organisation.slug]["permissions"]
    # An auditor reads, reports and exports the trail; changes nothing.
    assert set(by_slug[other_organisation.slug]["permissions"]) <= {
        "audit.view",
        "audit.export",
        "report.request",
    }


def test_me_needs_credentials(api_client):
    assert api_client().get("/api/v1/me/").status_code == 401


def test_organisations_units_and_members_by_id_and_never_another_organisations(
    api_client, organisation, other_organisation, model_owner, risk_officer, outsider
):
    unit = BusinessUnitFactory(organisation=organisation, name="Retail banking")
    client = api_client(model_owner)
    listed = client.get("/api/v1/organisations/").json()["results"]
    assert [o["id"] for o in listed] == [organisation.pk]
    units = client.get(f"/api/v1/organisations/{organisation.pk}/business-units/").json()["results"]
    assert {"id": unit.pk, "name": "Retail banking"}.items() <= units[0].items()
    members = client.get(f"/api/v1/organisations/{organisation.pk}/members/").json()["results"]
    assert {m["username"]: m["role"] for m in members} == {
        model_owner.username: "model_owner",
        risk_officer.username: "risk_officer",
    }
    for url in (
        f"/api/v1/organisations/{other_organisation.pk}/",
        f"/api/v1/organisations/{other_organisation.pk}/members/",
        f"/api/v1/organisations/{other_organisation.pk}/business-units/",
        "/api/v1/organisations/99999999999/",
    ):
        assert client.get(url).status_code == 404, url


def test_page_size_is_honoured_up_to_its_limit(api_client, organisation, model_owner):
    for number in range(7):
        AIModelFactory(organisation=organisation, owner=model_owner, name=f"Model {number}")
    client = api_client(model_owner)
    page = client.get("/api/v1/models/?page_size=3").json()
    assert page["count"] == 7 and len(page["results"]) == 3 and page["next"]
    assert len(client.get("/api/v1/models/?page_size=1000").json()["results"]) == 7
    for query, field in (("page_size=5000", "page_size"), ("page_size=0", "page_size"), ("page=abc", "page")):
        refused = client.get(f"/api/v1/models/?{query}")
        assert refused.status_code == 400, query
        assert list(refused.json()["errors"]) == [field], query
    assert client.get("/api/v1/models/?page=3&page_size=5").status_code == 404
