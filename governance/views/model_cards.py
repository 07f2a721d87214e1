"""Model card pages: a version's card beside its metrics, its edit form, its Markdown download, and the version
suggestions of the report form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, require
from governance.forms.model_cards import ModelCardForm
from governance.rules.model_cards import NOT_RECORDED, metric_rows
from governance.selectors import model_cards as selectors
from governance.services.model_cards import model_card_save


def _card_url(version) -> str:
    return reverse("governance:model-card", args=[version.model_id, version.pk])


@login_required
@require_GET
def model_card(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    version = selectors.version_for_user(request.user, model_id=pk, version_id=version_pk)
    card = selectors.card_of(version)
    return render(
        request,
        "governance/model_card.html",
        {
            "version": version,
            "model": version.model,
            "card": card,
            "details": selectors.version_details(version),
            "sections": selectors.sections(card),
            "metrics": metric_rows(version.metrics),
            "not_recorded": NOT_RECORDED,
            "can_edit": can(request.user, version.model.organisation_id, Permission.MODEL_CARD_EDIT),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def model_card_edit(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    version = selectors.version_for_user(request.user, model_id=pk, version_id=version_pk)
    require(request.user, version.model.organisation_id, Permission.MODEL_CARD_EDIT)
    card = selectors.card_of(version)
    initial = {section["key"]: section["text"] for section in selectors.sections(card)}
    form = ModelCardForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            model_card_save(actor=request.user, version=version, fields=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"The model card of {version} was saved.")
            return HttpResponseRedirect(_card_url(version))
    return render(
        request,
        "governance/model_card_form.html",
        {
            "form": form,
            "version": version,
            "model": version.model,
            "card": card,
            "metrics": metric_rows(version.metrics),
            "cancel_url": _card_url(version),
        },
        status=400 if request.method == "POST" else 200,  # a POST that gets here was refused
    )


@login_required
@require_GET
def model_card_markdown(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    version = selectors.version_for_user(request.user, model_id=pk, version_id=version_pk)
    card = selectors.card_of(version)
    if card is None:
        raise Http404("This version has no model card yet.")
    response = HttpResponse(
        selectors.card_markdown(version, card), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{selectors.markdown_filename(version)}"'
    return response


@login_required
@require_GET
def version_lookup(request: HttpRequest) -> JsonResponse:
    """Suggestions for the model card report's version picker: "<model> <version>" containing ``q``."""
    organisation = current_organisation(request)
    found = selectors.versions_named_like(organisation, request.GET.get("q", ""))
    return JsonResponse({"results": [{"id": pk, "name": name} for pk, name in found]})
