"""EU AI Act Annex IV technical documentation pages: a high-risk model's document (facts from the system of
record, free texts, completeness), the edit form for its free texts, and each text's history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from governance.core.roles import Permission
from governance.core.tenancy import can, get_for_user, require
from governance.forms.technical_documentation import TechnicalDocumentationForm
from governance.models import AIModel, ModelVersion
from governance.rules import technical_documentation as rules
from governance.selectors import technical_documentation as selectors
from governance.services.technical_documentation import technical_documentation_update


def _model(request: HttpRequest, pk: int) -> AIModel:
    return get_for_user(
        AIModel.objects.select_related("business_unit", "owner", "technical_documentation"),
        request.user,
        pk=pk,
    )


def _page_url(model: AIModel) -> str:
    return reverse("governance:technical-documentation", args=[model.pk])


def _fact_urls(model: AIModel, version: ModelVersion | None) -> dict[str, str]:
    """Where each fact is recorded: the page whose form or section holds it."""
    detail = reverse("governance:model-detail", args=[model.pk])
    edit = reverse("governance:model-edit", args=[model.pk])
    card = (
        reverse("governance:model-card", args=[model.pk, version.pk])
        if version is not None
        else f"{detail}#versions"
    )
    urls = dict.fromkeys(
        ("purpose", "owner", "business_unit", "model_type", "deployment_environment", "supplier"), edit
    )
    urls.update(
        decisions_about_people=edit,
        data_sources=edit,
        version=f"{detail}#versions",
        artifact_uri=f"{detail}#versions",
        code_commit=f"{detail}#versions",
        training_data_ref=f"{detail}#versions",
        metrics=f"{detail}#versions",
        validations=f"{detail}#validations",
        card_training_data=card,
        card_evaluation_data=card,
        kpis=f"{detail}#kpis-h",
        measurements=f"{detail}#kpis-h",
        risks=f"{detail}#risks-h",
        versions=f"{detail}#versions",
        approvals=f"{detail}#approvals",
        stage_changes=f"{detail}#approvals",
        compliance=f"{detail}#compliance-h",
        incidents=f"{detail}#incidents-h",
    )
    return urls


@login_required
@require_GET
def technical_documentation(request: HttpRequest, pk: int) -> HttpResponse:
    """The model's Annex IV document; ``?version=`` picks the version it describes. A model that is not
    high-risk gets a page saying why it has none."""
    model = _model(request, pk)
    if not selectors.is_high_risk(model):
        return render(request, "governance/technical_documentation_not_applicable.html", {"model": model})
    label = request.GET.get("version") or None
    try:
        document = selectors.technical_documentation_for(model, label[:64] if label else None)
    except ModelVersion.DoesNotExist as exc:
        raise Http404("The model has no such version.") from exc
    urls = _fact_urls(model, document.version)
    sections = [
        {
            "section": section,
            "facts": [(item, urls.get(item.key, "")) for item in section.facts],
            "texts": section.texts,
        }
        for section in document.sections
    ]
    return render(
        request,
        "governance/technical_documentation.html",
        {
            "model": model,
            "document": document,
            "sections": sections,
            "can_edit": can(request.user, model.organisation_id, Permission.TECHNICAL_DOCUMENTATION_EDIT),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def technical_documentation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    model = _model(request, pk)
    require(request.user, model.organisation_id, Permission.TECHNICAL_DOCUMENTATION_EDIT)
    if not selectors.is_high_risk(model):
        return render(request, "governance/technical_documentation_not_applicable.html", {"model": model})
    record = selectors.document_record(model)
    form = TechnicalDocumentationForm(
        request.POST or None, initial=dict((record.texts if record else None) or {})
    )
    if request.method == "POST" and form.is_valid():
        try:
            technical_documentation_update(actor=request.user, model=model, **form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"The Annex IV technical documentation of {model.name} was saved.")
            return HttpResponseRedirect(_page_url(model))
    groups: list[dict] = []
    for field in form:
        section = form.fields[field.name].section
        if not groups or groups[-1]["section"] is not section:
            groups.append({"section": section, "fields": []})
        groups[-1]["fields"].append(field)
    return render(
        request,
        "governance/technical_documentation_form.html",
        {"model": model, "form": form, "groups": groups, "cancel_url": _page_url(model)},
        status=400 if request.method == "POST" else 200,  # a POST that gets here was refused
    )


@login_required
@require_GET
def technical_documentation_history(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """Every saved text of one free-text field, newest first (the most recent ``HISTORY_ROWS``)."""
    model = _model(request, pk)
    spec = rules.load_outline().text_spec(field)
    if spec is None or not selectors.is_high_risk(model):
        raise Http404("No such field.")
    record = selectors.document_record(model)
    return render(
        request,
        "governance/technical_documentation_history.html",
        {
            "model": model,
            "spec": spec,
            "revisions": selectors.text_history(record, field),
            "limit": selectors.HISTORY_ROWS,
        },
    )
