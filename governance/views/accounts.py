"""A person's own account: API tokens, the second factor, and the second-factor step of signing in."""

from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from governance.accounts import two_factor
from governance.forms.accounts import ApiTokenForm, SecondFactorCodeForm
from governance.models import ApiToken, TokenRevocation
from governance.selectors import accounts as selectors
from governance.services import accounts as services

PENDING_DEVICE_KEY = "plumbline_enrolling_device_id"


def _account_page(request: HttpRequest, *, token_form=None, status: int = 200) -> HttpResponse:
    user = request.user
    return render(
        request,
        "governance/account.html",
        {
            "tokens": selectors.api_tokens_of(user),
            "token_form": token_form or ApiTokenForm(),
            "has_second_factor": services.has_second_factor(user),
            "second_factor_required": services.second_factor_required(user),
            "recovery_codes_left": services.recovery_codes_left(user),
            "identities": selectors.external_identities_of(user),
            "remove_form": SecondFactorCodeForm(),
        },
        status=status,
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """Sign-in methods, the second factor and the person's API tokens."""
    return _account_page(request)


@never_cache
@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Issue a token and show it this once (never stored in plain, never redirected through the session)."""
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            api_token, plain = services.issue_api_token(request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return render(request, "governance/token_issued.html", {"api_token": api_token, "plain": plain})
    return _account_page(request, token_form=form, status=400)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    api_token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if services.revoke_api_token(api_token, reason=TokenRevocation.OWNER):
        messages.success(request, f"Token “{api_token.name}” is revoked: it no longer works.")
    return HttpResponseRedirect(reverse("account"))


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("home")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: start (a new secret), then confirm it with a code; recovery codes follow.

    A session that has not yet given its second factor is sent to give it: enrolling again must not stand in for
    the code. Replacing a confirmed authenticator asks for a current code (or a recovery code) first.
    """
    user = request.user
    owed = two_factor.second_factor_owed(request)
    if owed == two_factor.VERIFY:
        return HttpResponseRedirect(
            f"{reverse('two-factor-verify')}?{urlencode({'next': _next_url(request)})}"
        )
    device = services.pending_enrolment(user, request.session.get(PENDING_DEVICE_KEY))
    form = SecondFactorCodeForm()
    status, start_error = 200, None
    if request.method == "POST" and request.POST.get("action") == "start":
        if (
            services.has_second_factor(user)
            and services.verify_second_factor(user, request.POST.get("current_code", "")) is None
        ):
            status, start_error = (
                400,
                "Enter a current code from your app (or a recovery code) to move to a new app.",
            )
            device = None
        else:
            device = services.start_authenticator_enrolment(user)
            request.session[PENDING_DEVICE_KEY] = device.pk
    elif request.method == "POST" and device is None:
        status, start_error = (
            400,
            "This set-up is not under way (or was finished elsewhere): press Start to begin.",
        )
    elif request.method == "POST":
        form = SecondFactorCodeForm(request.POST)
        if form.is_valid():
            try:
                codes = services.confirm_authenticator(user, device, form.cleaned_data["code"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                request.session.pop(PENDING_DEVICE_KEY, None)
                otp_login(request, device)
                if owed == two_factor.ENROL:
                    two_factor.second_factor_given(request)
                return render(
                    request,
                    "registration/recovery_codes.html",
                    {"codes": codes, "next": _next_url(request)},
                )
        status = 400
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4) if device else None
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "device": device,
            "form": form,
            "qr_svg": qr_svg,
            "secret": _base32_secret(device) if device else None,
            "required": services.second_factor_required(user),
            "start_error": start_error,
            "replacing": services.has_second_factor(user),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=status,
    )


def _base32_secret(device) -> str:
    """The secret as authenticator apps accept it typed in: base32, in groups of four."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a password sign-in."""
    if two_factor.second_factor_owed(request) != two_factor.VERIFY:
        return HttpResponseRedirect(_next_url(request))
    form = SecondFactorCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            device = services.verify_second_factor(request.user, form.cleaned_data["code"])
            if device is not None:
                otp_login(request, device)
                two_factor.second_factor_given(request)
                return HttpResponseRedirect(_next_url(request))
            wait = services.second_factor_wait_seconds(request.user)
            form.add_error(
                "code",
                f"Too many wrong codes: try again in {wait} seconds."
                if wait
                else "That code does not match. Enter the code your app shows now.",
            )
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )


@login_required
@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    form = SecondFactorCodeForm(request.POST)
    if form.is_valid():
        try:
            services.remove_second_factor(request.user, form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Your authenticator app and recovery codes are removed.")
            return HttpResponseRedirect(reverse("account"))
    messages.error(request, " ".join(form.errors.get("code", ["That code does not match."])))
    return HttpResponseRedirect(reverse("account"))
