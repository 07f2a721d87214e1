"""Health probes, login, the organisation switcher and tenancy helpers."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from governance.core import tenancy
from governance.core.roles import Role
from governance.models import BusinessUnit


def test_healthz_answers_without_a_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_names_the_broker_when_it_is_down(client, settings, monkeypatch):
    from governance.views import core

    monkeypatch.setattr(core, "_broker_ok", lambda: "OperationalError: connection refused")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


@pytest.mark.django_db
def test_request_id_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    assert len(client.get("/healthz", HTTP_X_REQUEST_ID="bad id; drop").headers["X-Request-ID"]) == 32


def test_home_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_login_page_and_bad_password(client, assessor):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "assessor", "password": "wrong"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_home_shows_current_organisation(login, assessor, organisation, django_assert_max_num_queries):
    client = login(assessor)
    # The home page is the organisation overview; its bound is tested with data in test_dashboard.py.
    with django_assert_max_num_queries(17):
        response = client.get("/")
    assert response.status_code == 200
    assert organisation.name in response.content.decode()


def test_switching_to_a_foreign_organisation_is_refused(login, assessor, other_organisation):
    client = login(assessor)
    response = client.post("/organisations/switch/", {"organisation": other_organisation.pk}, follow=True)
    assert "not a member" in response.content.decode()


def test_tenancy_require_denies_outsiders_with_404_and_wrong_roles_with_403(
    organisation, outsider, auditor, admin_user_member
):
    with pytest.raises(Http404):
        tenancy.require(outsider, organisation, "view")
    with pytest.raises(PermissionDenied):
        tenancy.require(auditor, organisation, "assessment.edit")
    assert tenancy.require(admin_user_member, organisation, "membership.manage").role == Role.ADMIN


def test_scope_hides_other_organisations(organisation, other_organisation, outsider):
    BusinessUnit.objects.create(organisation=organisation, name="Mine")
    theirs = BusinessUnit.objects.create(organisation=other_organisation, name="Theirs")
    assert list(tenancy.scope(BusinessUnit.objects.all(), outsider)) == [theirs]
    with pytest.raises(Http404):
        tenancy.get_for_user(BusinessUnit.objects.all(), outsider, name="Mine")
