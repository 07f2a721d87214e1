"""The report branding page: what every report of the organisation prints (all members), changed by admins."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, require
from governance.forms.branding import BrandingForm
from governance.rules.branding import palette, printable_signoff_roles
from governance.selectors.branding import logo_content_type
from governance.services.branding import branding_update


@login_required
@require_http_methods(["GET", "POST"])
def report_branding(request: HttpRequest) -> HttpResponse:
    """The organisation's report branding; its administrators change it here, the other members read it."""
    organisation = current_organisation(request)
    may_edit = can(request.user, organisation, Permission.BRANDING_MANAGE)
    has_logo = bool(organisation.report_logo)
    form = BrandingForm(initial=BrandingForm.initial_for(organisation), has_logo=has_logo)
    status = 200
    if request.method == "POST":
        require(request.user, organisation, Permission.BRANDING_MANAGE)
        form = BrandingForm(request.POST, request.FILES, has_logo=has_logo)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                branding_update(
                    actor=request.user,
                    organisation=organisation,
                    classification=data["classification"],
                    accent_colour=data["accent_colour"],
                    signoff_roles=data["signoff_roles"],
                    logo=data["logo"] or None,
                    remove_logo=data.get("remove_logo", False),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, "Report branding saved: reports generated from now on use it.")
                return HttpResponseRedirect(reverse("governance:report-branding"))
    shown = palette(organisation.report_accent_colour)
    return render(
        request,
        "governance/report_branding.html",
        {
            "organisation": organisation,
            "accent": shown.heading if shown else None,
            "signoff_roles": printable_signoff_roles(organisation.report_signoff_roles),
            "may_edit": may_edit,
            "form": form,
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def report_branding_logo(request: HttpRequest) -> FileResponse:
    """The logo of the organisation the user works in: never a public media URL, so only its members see it."""
    organisation = current_organisation(request)
    if not organisation.report_logo:
        raise Http404("This organisation has no report logo.")
    try:
        handle = organisation.report_logo.open("rb")
    except OSError as exc:
        raise Http404("The logo is missing from storage.") from exc
    return FileResponse(handle, content_type=logo_content_type(organisation.report_logo.name))
