"""Release governance pages: one approval request with its readiness (decided there), and the helpers the
model page uses to show a model's readiness and validations."""

from pathlib import PurePath

import yaml
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, get_for_user, require
from governance.forms.inventory import DecisionForm, FindingForm, ReleasePolicyForm, ValidationForm
from governance.models import (
    AIModel,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    LifecycleStage,
    ReleaseTarget,
    Validation,
    ValidationFinding,
    VersionStatus,
)
from governance.rules.release_checks import CHECKS
from governance.rules.release_policy import PROFILES, TARGETS, Readiness
from governance.selectors import comparison as comparison_selectors
from governance.selectors import release as selectors
from governance.selectors.inventory import release_candidates
from governance.services import release as services
from governance.services.compliance import evidence_content_type


def fix_url(model: AIModel, fix: str) -> str:
    """The page that fixes a failing check of ``model`` (``CheckSpec.fix``)."""
    detail = reverse("governance:model-detail", args=[model.pk])
    # The model page's sections: each offers the actions the reader's role may take there.
    return {
        "compliance": f"{detail}#compliance-h",
        "risks": f"{detail}#risks-h",
        "validation": f"{detail}#validations",
        "kpis": f"{detail}#kpis-h",
        "versions": f"{detail}#versions",
        "incidents": f"{detail}#incidents-h",
        "model": f"{detail}#card-h",
        "technical_documentation": reverse("governance:technical-documentation", args=[model.pk]),
    }.get(fix, detail)


def checks_for_display(model: AIModel, readiness: Readiness | dict) -> tuple[dict, list[dict]]:
    """(header, checks) for ``_readiness.html``, from a live readiness or a decision's frozen snapshot."""
    data = readiness.snapshot() if isinstance(readiness, Readiness) else readiness
    checks = [{**check, "fix_url": fix_url(model, check.get("fix", ""))} for check in data.get("checks", [])]
    return data, checks


@login_required
def approval_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A request with what the release checks find now (pending) or found when it was decided (frozen)."""
    approval = get_for_user(
        ApprovalRequest.objects.select_related("model", "version", "requested_by", "decided_by"),
        request.user,
        pk=pk,
    )
    model = approval.model
    if approval.status == ApprovalStatus.PENDING:
        header, checks = checks_for_display(model, selectors.request_readiness(approval))
    else:
        header, checks = checks_for_display(model, approval.readiness or {})
    organisation_id = approval.organisation_id
    may_decide = (
        approval.status == ApprovalStatus.PENDING
        and can(request.user, organisation_id, Permission.MODEL_APPROVE)
        and request.user.pk not in (approval.requested_by_id, model.owner_id)
    )
    # Champion against challenger, for the approver of a promotion still to decide (two queries).
    comparison = None
    if (
        approval.kind == ApprovalKind.PROMOTE_VERSION
        and approval.status == ApprovalStatus.PENDING
        and approval.version is not None
    ):
        comparison = comparison_selectors.version_comparison(approval.version)
    return render(
        request,
        "governance/approval_detail.html",
        {
            "approval": approval,
            "model": model,
            "comparison": comparison,
            "readiness": header,
            "checks": checks,
            "failing": [c for c in checks if c["status"] == "fail"],
            "blocking": [c for c in checks if c["status"] == "fail" and not c["overridable"]],
            "may_decide": may_decide,
            "may_override": can(request.user, organisation_id, Permission.RELEASE_OVERRIDE),
            "decision_form": DecisionForm(),
        },
    )


VALIDATIONS_SHOWN = 10


def model_section(
    request: HttpRequest,
    model: AIModel,
    kpis: list | None = None,
    risks: list | None = None,
    incidents: list | None = None,
    candidates: list | None = None,
) -> dict:
    """The model page's release part: readiness for its next release and its latest validations (``model`` as
    annotated by selectors.with_history_counts and with_current_policy; ``kpis``, ``risks``, ``incidents``: all
    of the model's, as the page's other sections read them, read once for both; ``candidates``: its champion
    first, then its newest candidates, as inventory selectors.release_candidates reads them)."""
    if model.lifecycle_stage == LifecycleStage.RETIRED:
        target = None
    elif model.lifecycle_stage == LifecycleStage.PRODUCTION:
        target = ReleaseTarget.CHAMPION
    else:
        target = ReleaseTarget.PRODUCTION
    header, checks = ({}, [])
    version = None
    if target is not None:
        if candidates is None:
            candidates = release_candidates(model)
        if target == ReleaseTarget.CHAMPION:
            # Promoting to champion is about the newest candidate.
            version = next((v for v in candidates if v.status == VersionStatus.CANDIDATE), None)
        else:
            # Releasing to production is about the champion, else the newest candidate (release_version).
            version = candidates[0] if candidates else None
    # The latest validations shown, and all of the version's, which the checks read: together.
    validations = selectors.validations_for_model_page(model, version, VALIDATIONS_SHOWN)
    if target is not None and (target != ReleaseTarget.CHAMPION or version is not None):
        readiness = selectors.readiness(
            model,
            target,
            version,
            kpis=kpis,
            risks=risks,
            incidents=incidents,
            validations=validations,
            version_resolved=True,
        )
        header, checks = checks_for_display(model, readiness)
    can_validate = can(request.user, model.organisation_id, Permission.VALIDATION_RECORD)
    return {
        "readiness_target": ReleaseTarget(target).label if target and checks else None,
        "readiness": header,
        "checks": checks,
        "validations": validations[:VALIDATIONS_SHOWN],
        "deployments": selectors.deployments_by_environment(model),
        # Flagged on the model card: an executive approved a release of it past failing checks (annotated with the
        # model's history counts, selectors.with_history_counts, like has_promotable).
        "released_past_checks": model.released_past_checks,
        "can_validate": can_validate,
        "validation_form": ValidationForm(model=model) if can_validate else None,
        "finding_form": FindingForm() if can_validate else None,
    }


def _model_for_validation(request: HttpRequest, pk: int) -> AIModel:
    model = get_for_user(AIModel.objects.all(), request.user, pk=pk)
    require(request.user, model.organisation_id, Permission.VALIDATION_RECORD)
    return model


def _refused(request: HttpRequest, model: AIModel, exc: Exception) -> HttpResponse:
    text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, text)
    return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]) + "#validations")


@login_required
@require_POST
def validation_create(request: HttpRequest, pk: int) -> HttpResponse:
    model = _model_for_validation(request, pk)
    form = ValidationForm(request.POST, request.FILES, model=model)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[f].label or f}: {' '.join(e)}" if f in form.fields else " ".join(e)
            for f, e in form.errors.items()
        )
        return _refused(request, model, ValidationError(errors))
    try:
        services.record_validation(
            actor=request.user, version=form.cleaned_data["version"], **form.service_data()
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, model, exc)
    messages.success(request, f"Validation of version {form.cleaned_data['version'].version} recorded.")
    return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]) + "#validations")


@login_required
@require_POST
def finding_create(request: HttpRequest, pk: int) -> HttpResponse:
    validation = get_for_user(Validation.objects.select_related("model"), request.user, pk=pk)
    model = validation.model
    form = FindingForm(request.POST)
    if not form.is_valid():
        return _refused(request, model, ValidationError("; ".join(" ".join(e) for e in form.errors.values())))
    try:
        services.add_finding(actor=request.user, validation=validation, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, model, exc)
    messages.success(request, "Finding recorded.")
    return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]) + "#validations")


@login_required
@require_POST
def finding_status(request: HttpRequest, pk: int) -> HttpResponse:
    finding = get_for_user(
        ValidationFinding.objects.select_related("validation__model"),
        request.user,
        "validation__organisation",
        pk=pk,
    )
    model = finding.validation.model
    try:
        services.set_finding_status(
            actor=request.user, finding=finding, status=request.POST.get("status", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, model, exc)
    messages.success(request, f"Finding “{finding.title}” is {finding.get_status_display().lower()}.")
    return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]) + "#validations")


@login_required
@require_http_methods(["GET", "POST"])
def release_policy(request: HttpRequest) -> HttpResponse:
    """The organisation's release policy in force, its versions, and (for admins) a new version."""
    organisation = current_organisation(request)
    policy = selectors.current_policy(organisation)
    may_edit = can(request.user, organisation, Permission.RELEASE_POLICY_MANAGE)
    form = ReleasePolicyForm(initial={"rules": yaml.safe_dump(policy.rules, sort_keys=False, width=110)})
    status = 200
    if request.method == "POST":
        require(request.user, organisation, Permission.RELEASE_POLICY_MANAGE)
        form = ReleasePolicyForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                saved = services.update_release_policy(
                    actor=request.user, organisation=organisation, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"Release policy version {saved.version} is in force.")
                return HttpResponseRedirect(reverse("governance:release-policy"))
    return render(
        request,
        "governance/release_policy.html",
        {
            "policy": policy,
            "table": policy_table(policy.rules),
            "history": selectors.policy_history(organisation)[:20],
            "may_edit": may_edit,
            "form": form,
        },
        status=status,
    )


def policy_table(rules: dict) -> list[dict]:
    """The policy as rows a person reads: per profile, the checks of each target, with parameters."""
    rows = []
    for profile in PROFILES:
        targets = rules.get("profiles", {}).get(profile, {})
        cells = []
        for target in TARGETS:
            cells.append(
                [
                    {
                        "label": CHECKS[entry["check"]].label,
                        "params": ", ".join(f"{k} {v}" for k, v in (entry.get("params") or {}).items()),
                        "overridable": entry.get("overridable", False),
                    }
                    for entry in targets.get(target, [])
                    if entry.get("check") in CHECKS
                ]
            )
        rows.append({"profile": PROFILE_LABELS[profile], "cells": cells})
    return rows


PROFILE_LABELS = {
    "eu_ai_act_high_risk": "EU AI Act high-risk (any tier)",
    "critical": "Tier 1 — critical",
    "high": "Tier 2 — high",
    "medium": "Tier 3 — medium",
    "low": "Tier 4 — low",
}


@login_required
def validation_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """Download a validation's report file (an attachment, never shown inline); another organisation's is 404."""
    validation = get_for_user(Validation.objects.all(), request.user, pk=pk)
    if not validation.evidence_file:
        raise Http404("This validation has no report file.")
    try:
        handle = validation.evidence_file.open("rb")
    except OSError as exc:
        raise Http404("The report file is missing from storage.") from exc
    name = PurePath(validation.evidence_file.name).name
    return FileResponse(handle, as_attachment=True, filename=name, content_type=evidence_content_type(name))
