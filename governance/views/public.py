"""Pages anyone may open without an account: checking that a report is one Plumbline issued."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from governance.core.throttling import too_many
from governance.forms.reports import PublicVerifyForm
from governance.reports import verify


@require_http_methods(["GET", "POST"])
def verify_report(request: HttpRequest) -> HttpResponse:
    """Upload a PDF or paste its SHA-256: learn whether Plumbline issued it, and if so only its title,
    organisation, report id, issue time and the signed checkpoint it was issued at. Rate-limited per address."""
    posted = request.method == "POST"
    form = PublicVerifyForm(request.POST if posted else None, request.FILES if posted else None)
    result = None
    status = 200
    if posted:
        if is_ratelimited(
            request,
            group="public-verify",
            key="ip",
            rate=settings.PUBLIC_VERIFY_RATE,
            method="POST",
            increment=True,
        ):
            return too_many(request, "Too many verifications from this address: try again in an hour.", 3600)
        if form.is_valid():
            issued = verify.issued_reports()
            if form.cleaned_data.get("file"):
                report = verify.find_by_content(issued, form.cleaned_data["file"].chunks())
            else:
                report = issued.filter(sha256=form.cleaned_data["sha256"]).first()
            result = {"match": report is not None, "report": report}
        else:
            status = 400
    return render(request, "governance/public_verify.html", {"form": form, "result": result}, status=status)


def audit_keys(request: HttpRequest) -> HttpResponse:
    """The public keys that sign audit checkpoints, with their fingerprints, for an auditor to pin."""
    from governance.core import signing

    keys = signing.published_keys()
    return render(request, "governance/audit_keys.html", {"keys": keys})


def audit_verifier(request: HttpRequest) -> HttpResponse:
    """The offline verifier's source, one file an auditor downloads, reads and runs on their own machine."""
    from pathlib import Path

    from governance import offline_verifier

    response = HttpResponse(
        Path(offline_verifier.__file__).read_bytes(), content_type="text/x-python; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="offline_verifier.py"'
    return response
