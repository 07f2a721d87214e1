"""Single sign-on against a real OpenID Connect provider started by the suite (tests/oidc_provider): discovery,
the authorization code flow with PKCE, ID-token checks, groups mapped to roles, refusals that explain."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse

from governance.accounts.oidc import PlumblineOIDCBackend, discovery_document
from governance.core.roles import Role
from governance.models import AuditEvent, ExternalIdentity, Membership
from tests.oidc_helpers import OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, OTHER_REDIRECT_URI

pytestmark = pytest.mark.django_db


def sign_in(client, provider, login: str, next_url: str = ""):
    """The whole flow: Plumbline sends the browser to the provider, the person signs in there, the provider
    sends the browser back to Plumbline's callback. Returns (the authorization request's query, the callback's
    response)."""
    start = client.get(reverse("oidc_authentication_init") + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start
    authorization_url = start["Location"]
    back = provider.sign_in(authorization_url, login)
    parts = urlsplit(back)
    assert parts.path == reverse("oidc_authentication_callback"), back
    return parse_qs(urlsplit(authorization_url).query), client.get(f"{parts.path}?{parts.query}")


def test_the_endpoints_come_from_discovery_and_the_request_uses_pkce_and_a_nonce(client, single_sign_on):
    document = discovery_document()
    assert document["issuer"] == single_sign_on.issuer
    start = client.get(reverse("oidc_authentication_init"))
    assert start["Location"].startswith(document["authorization_endpoint"] + "?")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["nonce"][0] and query["state"][0] and query["scope"] == ["openid email profile groups"]


def test_first_sign_in_creates_the_person_with_the_role_their_group_gives(
    client, single_sign_on, organisation
):
    single_sign_on.set_account(
        "alice.martin",
        email="alice@bank.example",
        given_name="Alice",
        family_name="Martin",
        groups=["model-risk"],
    )
    _, callback = sign_in(client, single_sign_on, "alice.martin", next_url="/risks/")
    assert callback.status_code == 302 and callback["Location"] == "/risks/"
    identity = ExternalIdentity.objects.select_related("user").get(subject="alice.martin")
    user = identity.user
    assert (user.username, user.email, user.first_name) == ("alice", "alice@bank.example", "Alice")
    assert identity.issuer == single_sign_on.issuer and not user.has_usable_password()
    assert Membership.objects.get(user=user, organisation=organisation).role == Role.RISK_OFFICER
    assert client.session[BACKEND_SESSION_KEY] == "governance.accounts.oidc.PlumblineOIDCBackend"
    assert client.get("/risks/").status_code == 200
    event = AuditEvent.objects.get(action="membership.create")
    assert event.actor_label == "system" and event.changes["role"] == [None, "risk_officer"]


def test_roles_follow_the_groups_at_every_sign_in(client, single_sign_on, organisation):
    single_sign_on.set_account("bob", email="bob@bank.example", groups=["internal-audit"])
    sign_in(client, single_sign_on, "bob")
    user = get_user_model().objects.get(external_identities__subject="bob")
    assert Membership.objects.get(user=user).role == Role.AUDITOR
    # In two mapped groups: the more privileged role.
    single_sign_on.set_account(
        "bob", email="bob@bank.example", groups=["internal-audit", "ml-platform-admins"]
    )
    client.logout()
    sign_in(client, single_sign_on, "bob")
    assert Membership.objects.get(user=user).role == Role.ADMIN
    # Out of every mapped group: the membership ends and the sign-in is refused.
    single_sign_on.set_account("bob", email="bob@bank.example", groups=["canteen"])
    client.logout()
    _, refused = sign_in(client, single_sign_on, "bob")
    assert refused["Location"] == reverse("login")
    assert not Membership.objects.filter(user=user).exists()
    assert "_auth_user_id" not in client.session
    assert list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True)) == [
        "membership.create",
        "membership.update",
        "membership.delete",
    ]


def test_someone_in_no_mapped_group_is_refused_with_the_reason(client, single_sign_on):
    single_sign_on.set_account("carol", email="carol@bank.example", groups=["canteen"])
    _, refused = sign_in(client, single_sign_on, "carol")
    assert refused.status_code == 302 and refused["Location"] == reverse("login")
    page = client.get(reverse("login")).content.decode()
    assert "no group that gives a role in Plumbline" in page
    assert not get_user_model().objects.filter(username="carol").exists()


def test_a_local_account_with_the_same_email_is_never_taken_over(client, single_sign_on, model_owner):
    single_sign_on.set_account("mallory", email=model_owner.email, groups=["ml-platform-admins"])
    sign_in(client, single_sign_on, "mallory")
    identity = ExternalIdentity.objects.get(subject="mallory")
    assert identity.user_id != model_owner.pk


def test_an_organisation_requiring_a_second_factor_leaves_it_to_the_provider(
    client, single_sign_on, organisation
):
    organisation.require_two_factor = True
    organisation.save()
    single_sign_on.set_account("dana", email="dana@bank.example", groups=["model-risk"])
    sign_in(client, single_sign_on, "dana")
    assert client.get(reverse("home")).status_code == 200


def test_the_login_page_offers_single_sign_on_only_when_configured(client, single_sign_on, settings):
    assert "Sign in with" in client.get(reverse("login")).content.decode()
    settings.OIDC_ISSUER = ""
    assert "Sign in with" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404


def test_a_provider_that_is_down_is_a_message_not_a_500(client, single_sign_on, settings):
    from governance.accounts.oidc import forget_discovery

    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    forget_discovery()
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "cannot be reached" in client.get(reverse("login")).content.decode()


def test_a_forged_callback_is_refused(client, single_sign_on):
    client.get(reverse("oidc_authentication_init"))
    response = client.get(reverse("oidc_authentication_callback") + "?code=forged&state=unknown")
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def _id_token_for_another_app(provider, login: str) -> tuple[str, str]:
    """A genuine ID token from the provider, issued to another application (so its audience is not us)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    nonce = secrets.token_urlsafe(16)
    query = urlencode(
        {
            "client_id": OTHER_CLIENT_ID,
            "redirect_uri": OTHER_REDIRECT_URI,
            "response_type": "code",
            "scope": "openid email",
            "state": "s",
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    back = provider.sign_in(f"{discovery_document()['authorization_endpoint']}?{query}", login)
    code = parse_qs(urlsplit(back).query)["code"][0]
    tokens = requests.post(
        discovery_document()["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": OTHER_REDIRECT_URI,
            "client_id": OTHER_CLIENT_ID,
            "client_secret": OTHER_CLIENT_SECRET,
            "code_verifier": verifier,
        },
        timeout=10,
    ).json()
    return tokens["id_token"], nonce


def test_an_id_token_issued_to_another_application_is_refused(single_sign_on, settings):
    single_sign_on.set_account("erin", email="erin@bank.example", groups=["model-risk"])
    id_token, nonce = _id_token_for_another_app(single_sign_on, "erin")
    backend = PlumblineOIDCBackend()
    backend.configure()
    with pytest.raises(SuspiciousOperation, match=r"(?i)audience"):
        backend.verify_token(id_token, nonce=nonce)
    # The same token is good for the application it was issued to: only the audience made the difference.
    settings.OIDC_RP_CLIENT_ID = OTHER_CLIENT_ID
    backend.configure()
    assert backend.verify_token(id_token, nonce=nonce)["sub"] == "erin"
    with pytest.raises(SuspiciousOperation, match="Nonce"):
        backend.verify_token(id_token, nonce="another")


def test_a_malformed_group_map_fails_the_start_up_check(settings):
    from governance.accounts.oidc import single_sign_on_settings

    settings.OIDC_GROUP_ROLES = "model-risk=acme:superuser"
    assert [error.id for error in single_sign_on_settings(None)] == ["governance.E010"]
    settings.OIDC_GROUP_ROLES, settings.OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID = (
        "",
        "https://login.example",
        "",
    )
    assert [error.id for error in single_sign_on_settings(None)] == ["governance.E011"]


def test_a_deactivated_person_loses_the_session_they_had(client, single_sign_on):
    single_sign_on.set_account("gina", email="gina@bank.example", groups=["model-risk"])
    sign_in(client, single_sign_on, "gina")
    assert client.get(reverse("home")).status_code == 200
    get_user_model().objects.filter(external_identities__subject="gina").update(is_active=False)
    assert client.get(reverse("home")).status_code == 302
