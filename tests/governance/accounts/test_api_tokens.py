"""API tokens: named, expiring, scoped, stored as digests, shown once, listed with last use, revocable on the
account page and with DELETE /api/v1/auth/token/, revoked when the password changes."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from governance.core.api.tokens import TokenScopePermission
from governance.models import ApiToken, TokenRevocation, TokenScope
from governance.services.accounts import issue_api_token
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"
MODELS_URL = "/api/v1/models/"
UNSAFE = ("post", "put", "patch", "delete")


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _issue(user, **fields) -> dict:
    response = APIClient().post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD, **fields}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_endpoint_issues_a_named_expiring_read_only_token_by_default_stored_only_as_a_digest(model_owner):
    body = _issue(model_owner, name="Jenkins deploy")
    assert body["name"] == "Jenkins deploy" and body["scope"] == TokenScope.READ
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.expiry - timezone.now() > timedelta(days=29)
    assert body["token"] not in {stored.digest, stored.token_key} and len(stored.digest) == 128
    assert _client(body["token"]).get(MODELS_URL).status_code == 200
    # Each call issues a new token; none is reissued.
    assert _issue(model_owner)["token"] != body["token"]


def test_a_read_only_token_reads_and_may_not_write(model_owner, organisation):
    token = _issue(model_owner)["token"]
    response = _client(token).post(
        MODELS_URL, {"name": "Scorecard", "organisation": organisation.pk}, format="json"
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_a_read_and_write_token_writes(model_owner, organisation):
    token = _issue(model_owner, scope="read_write")["token"]
    response = _client(token).post(
        MODELS_URL,
        {"name": "Scorecard", "organisation": organisation.pk, "purpose": "Credit", "owner": model_owner.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_every_api_view_applies_the_token_scope():
    """A view that set its own permission classes would let a read-only token write: none may."""

    def views(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    checked = 0
    for route, callback in views(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None)
        if not route.startswith("api/v1/") or view_class is None:
            continue
        actions = getattr(callback, "actions", None) or {m: m for m in ("post", "put", "patch", "delete")}
        if not any(method in actions and hasattr(view_class, actions[method]) for method in UNSAFE):
            continue  # reads only (the schema and its documentation pages)
        checked += 1
        classes = view_class.permission_classes
        assert TokenScopePermission in classes or getattr(view_class, "read_only_token_may_write", False), (
            route
        )
    assert checked > 10


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lifetime_days": 0}, "lifetime_days"),
        ({"lifetime_days": 10_000}, "lifetime_days"),
        ({"scope": "admin"}, "scope"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_bad_token_requests_answer_400_on_the_field(model_owner, fields, field):
    response = APIClient().post(
        TOKEN_URL, {"username": model_owner.username, "password": PASSWORD, **fields}, format="json"
    )
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not ApiToken.objects.exists()


def test_expired_and_revoked_tokens_answer_401_saying_why(model_owner):
    expired, expired_plain = issue_api_token(model_owner, name="old", scope=TokenScope.READ, lifetime_days=1)
    ApiToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - timedelta(minutes=1))
    response = _client(expired_plain).get(MODELS_URL)
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"
    revoked, revoked_plain = issue_api_token(model_owner, name="gone", scope=TokenScope.READ)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    assert "revoked" in _client(revoked_plain).get(MODELS_URL).json()["detail"]
    # A token that matches nothing learns nothing.
    assert _client(revoked_plain[:15] + "0" * 49).get(MODELS_URL).json()["detail"] == "Invalid token."


def test_delete_with_the_token_itself_revokes_it_even_a_read_only_one(model_owner):
    token = _issue(model_owner)["token"]
    client = _client(token)
    assert client.delete(TOKEN_URL).status_code == 204
    assert client.get(MODELS_URL).status_code == 401
    stored = ApiToken.objects.get()
    assert stored.revoked_reason == TokenRevocation.API and stored.revoked_at is not None
    anonymous = APIClient().delete(TOKEN_URL)
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"


def test_an_old_authorization_header_does_not_stop_a_new_token_being_issued(model_owner):
    client = _client("not-a-token")
    response = client.post(TOKEN_URL, {"username": model_owner.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_use_is_recorded_on_the_token_at_most_once_a_minute(model_owner, django_assert_max_num_queries):
    api_token, plain = issue_api_token(model_owner, name="ci", scope=TokenScope.READ)
    assert api_token.last_used_at is None
    _client(plain).get(MODELS_URL)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    _client(plain).get(MODELS_URL)
    assert ApiToken.objects.get().last_used_at == first


@pytest.mark.parametrize("how", ["set_password", "password_change_page"])
def test_a_password_change_revokes_every_token(model_owner, client, how):
    tokens = [issue_api_token(model_owner, name=f"t{i}", scope=TokenScope.READ)[1] for i in range(2)]
    if how == "set_password":
        model_owner.set_password("a-new-long-passphrase-42")
        model_owner.save()
    else:
        client.force_login(model_owner)
        response = client.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "a-new-long-passphrase-42",
                "new_password2": "a-new-long-passphrase-42",
            },
        )
        assert response.status_code == 302
    for token in tokens:
        assert _client(token).get(MODELS_URL).status_code == 401
    assert set(ApiToken.objects.values_list("revoked_reason", flat=True)) == {TokenRevocation.PASSWORD_CHANGE}


def test_the_account_page_issues_a_token_once_lists_it_and_revokes_it(login, model_owner):
    client = login(model_owner)
    response = client.post(
        reverse("api-token-create"), {"name": "Airflow", "scope": "read_write", "lifetime_days": "90"}
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    plain = response.context["plain"]
    assert plain in response.content.decode()
    page = client.get(reverse("account")).content.decode()
    assert "Airflow" in page and plain not in page and "never" in page
    api_token = ApiToken.objects.get()
    assert (api_token.scope, round((api_token.expiry - api_token.created) / timedelta(days=1))) == (
        TokenScope.READ_WRITE,
        90,
    )
    assert client.post(reverse("api-token-revoke", args=[api_token.pk])).status_code == 302
    assert _client(plain).get(MODELS_URL).status_code == 401
    assert "revoked" in client.get(reverse("account")).content.decode()


def test_the_account_page_shows_field_errors_and_keeps_what_was_typed(login, model_owner):
    response = login(model_owner).post(reverse("api-token-create"), {"name": "Airflow", "scope": "root"})
    assert response.status_code == 400
    assert response.context["token_form"].errors.keys() == {"scope", "lifetime_days"}
    assert 'value="Airflow"' in response.content.decode()


def test_another_persons_token_cannot_be_revoked(login, model_owner, auditor):
    other, plain = issue_api_token(auditor, name="theirs", scope=TokenScope.READ)
    assert login(model_owner).post(reverse("api-token-revoke", args=[other.pk])).status_code == 404
    assert _client(plain).get(MODELS_URL).status_code == 200


def test_tokens_of_the_single_token_scheme_are_kept_hashed_for_30_days(model_owner):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("governance.migrations.0009_accounts_tokens_two_factor_sso")
    legacy = "a" * 40
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer, created timestamp)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)", [legacy, model_owner.pk, timezone.now()]
        )
    try:
        # The migration uses only the editor's connection.
        migration.import_legacy_tokens(apps, SimpleNamespace(connection=connection))
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    imported = ApiToken.objects.get()
    assert imported.scope == TokenScope.READ_WRITE and imported.expiry - timezone.now() < timedelta(days=31)
    assert _client(legacy).get(MODELS_URL).status_code == 200
