"""The second factor: enrolment with an authenticator app, the second step of a password sign-in, recovery codes,
and organisations that require it."""

import re
import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from governance.services import accounts
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the person's app shows (``steps_ahead`` 30-second steps later: each code works once)."""
    # A verification that crossed a 30-second boundary stored the device's drift: read it, as the server will.
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = accounts.start_authenticator_enrolment(user)
    return device, accounts.confirm_authenticator(user, device, code(device))


def password_login(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def test_enrolment_shows_a_qr_code_and_key_and_gives_ten_recovery_codes_once(login, model_owner):
    client = login(model_owner)
    page = client.post(reverse("two-factor-setup"), {"action": "start"})
    html = page.content.decode()
    assert "<svg" in html and re.search(r'id="totp-secret">[A-Z2-7 ]{20,}<', html)
    device = TOTPDevice.objects.get(user=model_owner)
    assert not device.confirmed
    wrong = client.post(reverse("two-factor-setup"), {"code": "000000"})
    assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
    done = client.post(reverse("two-factor-setup"), {"code": code(device)})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    assert len(done.context["codes"]) == 10
    device.refresh_from_db()
    assert device.confirmed and accounts.recovery_codes_left(model_owner) == 10


def test_a_password_sign_in_then_asks_for_the_code_before_any_page(client, model_owner):
    device, _ = enrol(model_owner)
    assert password_login(client, model_owner).status_code == 302
    blocked = client.get(reverse("governance:model-list"))
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("two-factor-verify"))
    api = client.get("/api/v1/models/")
    assert api.status_code == 403 and "second factor" in api.json()["detail"]
    wrong = client.post(reverse("two-factor-verify"), {"code": "123456", "next": "/models/"})
    assert wrong.status_code == 400
    # Each wrong code doubles the wait before the next one is even looked at (django-otp's throttling).
    throttled = client.post(reverse("two-factor-verify"), {"code": code(device, 1), "next": "/models/"})
    assert throttled.status_code == 400 and "Too many wrong codes" in throttled.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    right = client.post(reverse("two-factor-verify"), {"code": code(device, 1), "next": "/models/"})
    assert right.status_code == 302 and right["Location"] == "/models/"
    assert client.get(reverse("governance:model-list")).status_code == 200


def test_a_code_works_once(client, model_owner):
    device, _ = enrol(model_owner)
    password_login(client, model_owner)
    used = code(device, 1)
    assert client.post(reverse("two-factor-verify"), {"code": used}).status_code == 302
    other = APIClient().post(
        "/api/v1/auth/token/", {"username": model_owner.username, "password": PASSWORD, "otp": used}
    )
    assert other.status_code == 400 and "otp" in other.json()["errors"]


def test_a_recovery_code_works_once_instead_of_the_app(client, model_owner):
    _, codes = enrol(model_owner)
    password_login(client, model_owner)
    assert client.post(reverse("two-factor-verify"), {"code": codes[0].upper()}).status_code == 302
    assert accounts.recovery_codes_left(model_owner) == 9
    assert accounts.verify_second_factor(model_owner, codes[0]) is None


def test_the_token_endpoint_asks_for_the_second_factor(model_owner):
    device, _ = enrol(model_owner)
    url = "/api/v1/auth/token/"
    missing = APIClient().post(url, {"username": model_owner.username, "password": PASSWORD})
    assert missing.status_code == 400 and "otp" in missing.json()["errors"]
    ok = APIClient().post(
        url, {"username": model_owner.username, "password": PASSWORD, "otp": code(device, 1)}
    )
    assert ok.status_code == 200 and ok.json()["token"]


def test_an_organisation_that_requires_it_sends_members_to_enrol_first(client, model_owner, organisation):
    organisation.require_two_factor = True
    organisation.save()
    password_login(client, model_owner)
    blocked = client.get(reverse("home"))
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("two-factor-setup"))
    refused = APIClient().post(
        "/api/v1/auth/token/", {"username": model_owner.username, "password": PASSWORD}
    )
    assert (
        refused.status_code == 400
        and "requires a second factor" in refused.json()["errors"]["non_field_errors"][0]
    )
    client.post(reverse("two-factor-setup"), {"action": "start"})
    device = TOTPDevice.objects.get(user=model_owner)
    assert client.post(reverse("two-factor-setup"), {"code": code(device)}).status_code == 200
    assert client.get(reverse("home")).status_code == 200
    # Required: it cannot be removed.
    with pytest.raises(accounts.ValidationError):
        accounts.remove_second_factor(model_owner, code(device, 1))


def test_removing_the_second_factor_needs_a_current_code(login, model_owner):
    client = login(model_owner)
    device, _ = enrol(model_owner)  # enrolled while signed in: this session owes nothing
    response = client.post(reverse("two-factor-remove"), {"code": "000000"})
    assert response.status_code == 302 and accounts.has_second_factor(model_owner)
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    client.post(reverse("two-factor-remove"), {"code": code(device, 1)})
    assert not accounts.has_second_factor(model_owner)


def test_a_signed_in_person_without_a_second_factor_is_not_asked(client, model_owner):
    password_login(client, model_owner)
    assert client.get(reverse("home")).status_code == 200


def test_a_password_alone_cannot_enrol_a_new_app_instead_of_giving_the_code(client, model_owner):
    """The review's finding: the set-up page must not stand in for the second step of sign-in."""
    enrol(model_owner)
    password_login(client, model_owner)
    response = client.post(reverse("two-factor-setup"), {"action": "start"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("two-factor-verify"))
    assert TOTPDevice.objects.filter(user=model_owner).count() == 1
    assert client.get(reverse("governance:model-list")).status_code == 302


def test_moving_to_a_new_app_needs_a_current_code(login, model_owner):
    client = login(model_owner)
    device, _ = enrol(model_owner)  # this session owes nothing (it was signed in before enrolling)
    refused = client.post(reverse("two-factor-setup"), {"action": "start", "current_code": "000000"})
    assert refused.status_code == 400 and "current code" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=model_owner).count() == 1
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    started = client.post(reverse("two-factor-setup"), {"action": "start", "current_code": code(device, 1)})
    assert (
        started.status_code == 200
        and TOTPDevice.objects.filter(user=model_owner, confirmed=False).count() == 1
    )
