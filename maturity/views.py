"""Maturity pages: they translate HTTP to services/selectors and back; no scoring or rules live here."""

import datetime
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from governance.core import scheduling
from governance.core.errors import ConflictError
from governance.core.exports import export_response
from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, get_for_user, require, scope
from governance.models import BusinessUnit
from maturity import charts, crosswalk, evidence, scoring, selectors, services
from maturity.forms import (
    AdoptForm,
    AnswerForm,
    ApproveForm,
    ImprovementUpdateForm,
    NewAssessmentForm,
    ReturnForm,
    ScheduleForm,
    TargetsForm,
)
from maturity.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Factor,
    ImprovementAction,
    MaturityTarget,
    Question,
    Questionnaire,
    ReassessmentSchedule,
)
from maturity.services import DEFAULT_TARGET

# Newest first; years of quarterly assessments per unit make a long list.
ASSESSMENTS_PER_PAGE = 25


def _current_questionnaire() -> Questionnaire | None:
    return Questionnaire.objects.filter(is_current=True).order_by("-loaded_at").first()


def _assessment_for(request: HttpRequest, pk: int) -> Assessment:
    """The assessment if it belongs to one of the user's organisations, else 404."""
    queryset = Assessment.objects.select_related(
        "organisation", "business_unit", "questionnaire", "created_by", "submitted_by", "approved_by"
    )
    return get_for_user(queryset, request.user, pk=pk)


def _figure_json(figure) -> dict:
    # Parsed back to a dict so the template can embed it with json_script.
    return json.loads(figure.to_json())


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    units = list(BusinessUnit.objects.filter(organisation=organisation).order_by("name"))
    # ?unit=<id> narrows the trend to one business unit; anything unknown falls back to the whole organisation.
    unit = next((u for u in units if str(u.pk) == request.GET.get("unit", "")), None)
    approved = list(selectors.trend(organisation, business_unit=unit))
    questionnaire = _current_questionnaire()
    factors = list(questionnaire.factors.all()) if questionnaire else []
    factor_names = {f.key: f.name for f in factors}
    latest = approved[-1] if approved else None
    latest_scores = []
    if latest is not None:
        for key, value in (latest.factor_scores or {}).items():
            latest_scores.append(
                {"key": key, "name": factor_names.get(key, key), "score": charts.as_score(value)}
            )
    return render(
        request,
        "maturity/dashboard.html",
        {
            "organisation": organisation,
            "units": units,
            "unit": unit,
            "approved": approved,
            "latest": latest,
            "latest_scores": latest_scores,
            "trend_json": _figure_json(charts.trend_figure(approved, factor_names)) if approved else None,
        },
    )


def _new_assessment_form(request: HttpRequest, organisation, questionnaire, data=None) -> NewAssessmentForm:
    factors = list(questionnaire.factors.all()) if questionnaire else []
    targets = dict(
        MaturityTarget.objects.filter(organisation=organisation).values_list("factor_key", "target_level")
    )
    return NewAssessmentForm(data, organisation=organisation, factors=factors, targets=targets)


@login_required
def assessment_list(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    may_edit = can(request.user, organisation, Permission.ASSESSMENT_EDIT)
    questionnaire = _current_questionnaire()
    form = None
    if request.method == "POST":
        require(request.user, organisation, Permission.ASSESSMENT_EDIT)
        if questionnaire is None:
            messages.error(request, "No questionnaire is loaded yet: run `manage.py load_questionnaire`.")
            return HttpResponseRedirect(reverse("maturity:assessment-list"))
        form = _new_assessment_form(request, organisation, questionnaire, request.POST)
        if form.is_valid():
            try:
                assessment = services.create_assessment(
                    actor=request.user,
                    organisation=organisation,
                    title=form.cleaned_data["title"],
                    business_unit=form.cleaned_data["business_unit"],
                    questionnaire=questionnaire,
                    targets=form.targets(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"Assessment “{assessment.title}” created.")
                return HttpResponseRedirect(reverse("maturity:assessment-detail", args=[assessment.pk]))
    elif may_edit and questionnaire is not None:
        form = _new_assessment_form(request, organisation, questionnaire)

    listed = scope(Assessment.objects.filter(organisation=organisation), request.user)
    # ?status=submitted lists those waiting for approval (the home page's "Waiting for you" links here).
    status_filter = request.GET.get("status")
    if status_filter in AssessmentStatus.values:
        listed = listed.filter(status=status_filter)
    else:
        status_filter = None
    page = Paginator(
        listed.select_related("business_unit", "questionnaire").order_by("-created_at", "-pk"),
        ASSESSMENTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    assessments = list(page.object_list)
    # Progress of the page's assessments only: counting every assessment's answers grows with the history.
    answered = dict(
        Answer.objects.filter(assessment__in=assessments)
        .filter(Q(not_applicable=True) | Q(level__isnull=False))
        .values_list("assessment")
        .annotate(count=Count("pk"))
        .order_by()
    )
    totals = dict(
        Question.objects.filter(factor__questionnaire__in={a.questionnaire_id for a in assessments})
        .values_list("factor__questionnaire")
        .annotate(total=Count("pk"))
        .order_by()
    )
    for assessment in assessments:
        assessment.answered_count = answered.get(assessment.pk, 0)
        assessment.total_count = totals.get(assessment.questionnaire_id, 0)
        assessment.percent = (
            round(100 * assessment.answered_count / assessment.total_count) if assessment.total_count else 0
        )
    return render(
        request,
        "maturity/assessment_list.html",
        {
            "assessments": assessments,
            "page": page,
            "form": form,
            "may_edit": may_edit,
            "questionnaire": questionnaire,
            "status_filter": AssessmentStatus(status_filter).label if status_filter else None,
            "query": f"status={status_filter}" if status_filter else "",
        },
    )


def _progress(result) -> dict:
    percent = round(100 * result.answered / result.total) if result.total else 0
    return {"answered": result.answered, "total": result.total, "percent": percent}


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _assessment_for(request, pk))


def _detail_page(
    request: HttpRequest,
    assessment: Assessment,
    return_form: ReturnForm | None = None,
    status: int = 200,
    approve_form: ApproveForm | None = None,
) -> HttpResponse:
    questions = selectors.assessment_questions(assessment)
    observed = selectors.question_evidence(assessment, questions)
    result = selectors.assessment_result(assessment, observed=observed, questions=questions)
    organisation = assessment.organisation
    user = request.user
    draft = assessment.status == AssessmentStatus.DRAFT
    submitted = assessment.status == AssessmentStatus.SUBMITTED
    may_decide = (
        submitted
        and can(user, organisation, Permission.ASSESSMENT_APPROVE)
        # Separation of duties: whoever submitted may not decide; the service enforces it too.
        and assessment.submitted_by_id != user.pk
    )
    # A decision form posted with errors stays on the page with what was typed, even when the assessment was
    # decided meanwhile (posting it again then says so): nothing the approver wrote is lost.
    show_approve = may_decide or bool(approve_form is not None and approve_form.errors)
    show_return = may_decide or bool(return_form is not None and return_form.errors)
    # Answers a scheduled reassessment prefilled from the last approved one, per factor, until confirmed.
    to_confirm = (
        dict(
            Answer.objects.filter(assessment=assessment, needs_confirmation=True)
            .values_list("question__factor__key")
            .annotate(count=Count("pk"))
            .order_by()
        )
        if draft
        else {}
    )
    return render(
        request,
        "maturity/assessment_detail.html",
        {
            "assessment": assessment,
            "result": result,
            "factor_rows": [(f, to_confirm.get(f.key, 0)) for f in result.factors],
            "flags": selectors.evidence_flags(assessment, questions, observed),
            "has_evidence": bool(observed),
            "to_confirm": sum(to_confirm.values()),
            "progress": _progress(result),
            "may_edit": draft and can(user, organisation, Permission.ASSESSMENT_EDIT),
            "may_submit": draft and can(user, organisation, Permission.ASSESSMENT_SUBMIT),
            "may_decide": may_decide,
            "show_approve": show_approve,
            "show_return": show_return,
            "return_form": return_form or ReturnForm(),
            "approve_form": approve_form or ApproveForm(),
        },
        status=status,
    )


def _answer_forms(
    assessment: Assessment, factor: Factor, questions: list[Question], data=None, observed: dict | None = None
) -> list[AnswerForm]:
    questions = [q for q in questions if q.factor_id == factor.pk]
    answers = {
        a.question_id: a for a in Answer.objects.filter(assessment=assessment, question__factor=factor)
    }
    observed = observed or {}
    return [
        AnswerForm(data, question=q, answer=answers.get(q.pk), evidence=observed.get(q.key))
        for q in questions
    ]


@login_required
def answer_factor(request: HttpRequest, pk: int, factor_key: str) -> HttpResponse:
    assessment = _assessment_for(request, pk)
    questions = selectors.assessment_questions(assessment)
    factors = list({q.factor_id: q.factor for q in questions}.values())
    factor = next((f for f in factors if f.key == factor_key), None)
    if factor is None:
        raise Http404("No such factor in this questionnaire.")
    editable = assessment.is_editable and can(
        request.user, assessment.organisation, Permission.ASSESSMENT_EDIT
    )
    status = 200
    observed = selectors.question_evidence(assessment, questions)
    if request.method == "POST":
        require(request.user, assessment.organisation, Permission.ASSESSMENT_EDIT)
        forms = _answer_forms(assessment, factor, questions, request.POST, observed)
        if all(form.is_valid() for form in forms):
            items = [form.to_service() for form in forms if not form.is_blank()]
            try:
                saved = services.save_answers(actor=request.user, assessment=assessment, answers=items)
            except ConflictError as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(reverse("maturity:assessment-detail", args=[assessment.pk]))
            except ValidationError as exc:
                _attach_answer_errors(forms, exc)
                status = 400
            else:
                messages.success(
                    request, f"Saved {saved} answer{'s' if saved != 1 else ''} for {factor.name}."
                )
                return HttpResponseRedirect(_next_factor_url(assessment, factors, factor))
        else:
            status = 400
        editable = assessment.is_editable
    else:
        forms = _answer_forms(assessment, factor, questions, observed=observed)
    # A reassessment shows what was adopted to move each question, so the assessor checks whether it did.
    adopted = selectors.open_actions_by_question(assessment) if assessment.is_editable else {}
    for form in forms:
        form.adopted_actions = adopted.get(form.question.key, [])
    result = selectors.assessment_result(assessment, observed=observed, questions=questions)
    factor_result = next((f for f in result.factors if f.key == factor.key), None)
    index = factors.index(factor)
    return render(
        request,
        "maturity/answer_factor.html",
        {
            "assessment": assessment,
            "factor": factor,
            "factors": factors,
            "factor_result": factor_result,
            "forms": forms,
            "editable": editable,
            "progress": _progress(result),
            "previous_factor": factors[index - 1] if index > 0 else None,
            "next_factor": factors[index + 1] if index + 1 < len(factors) else None,
            "has_errors": status == 400,
        },
        status=status,
    )


EVIDENCE_RECORDS_PER_PAGE = 50


@login_required
def assessment_evidence(request: HttpRequest, pk: int, question_key: str) -> HttpResponse:
    """The records behind a question's evidence figure, in the assessment's scope: those short of the
    criterion first, each linking to the record itself."""
    assessment = _assessment_for(request, pk)
    question = (
        Question.objects.filter(factor__questionnaire_id=assessment.questionnaire_id, key=question_key)
        .select_related("factor")
        .first()
    )
    if question is None or not question.evidence:
        raise Http404("This question has no evidence signal.")
    item = selectors.question_evidence(assessment, [question]).get(question.key)
    scope = selectors.evidence_scope(assessment)
    signal_key = question.evidence["signal"]
    page = Paginator(evidence.records(scope, signal_key), EVIDENCE_RECORDS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # Today's figure beside the frozen one, when the assessment is no longer a draft.
    today = (
        evidence.observe(scope, [signal_key])[signal_key]
        if assessment.status != AssessmentStatus.DRAFT
        else None
    )
    answer = Answer.objects.filter(assessment=assessment, question=question).first()
    return render(
        request,
        "maturity/evidence_records.html",
        {
            "assessment": assessment,
            "question": question,
            "item": item,
            "signal": evidence.SIGNALS[signal_key],
            "today": today,
            "answer": answer,
            "flagged": bool(answer and item and scoring.is_flagged(answer.level, item.supported_level)),
            "page": page,
            "rows": evidence.as_rows(signal_key, page.object_list),
            "thresholds": sorted(
                (int(level), share) for level, share in question.evidence["at_least"].items()
            ),
        },
    )


@login_required
@require_POST
def autosave_answer(request: HttpRequest, pk: int, question_key: str) -> HttpResponse:
    """Save one question's answer as the assessor changes it (the factor page's script posts here).

    Answers with JSON: ``{"saved": n, "flagged": bool, "supported_level": n|null}`` or, on bad input,
    400 with ``{"errors": {field: [message]}}``; nothing is saved then.
    """
    assessment = _assessment_for(request, pk)
    question = (
        Question.objects.filter(factor__questionnaire_id=assessment.questionnaire_id, key=question_key)
        .select_related("factor")
        .first()
    )
    if question is None:
        raise Http404("No such question in this questionnaire.")
    require(request.user, assessment.organisation, Permission.ASSESSMENT_EDIT)
    answer = Answer.objects.filter(assessment=assessment, question=question).first()
    item = selectors.question_evidence(assessment, [question]).get(question.key)
    form = AnswerForm(request.POST, question=question, answer=answer, evidence=item)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data(escape_html=True)}, status=400)
    try:
        saved = services.save_answers(actor=request.user, assessment=assessment, answers=[form.to_service()])
    except ConflictError as exc:
        return JsonResponse({"errors": {"__all__": [{"message": str(exc)}]}}, status=409)
    except ValidationError as exc:
        messages_by_field = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return JsonResponse(
            {"errors": {"__all__": [{"message": m} for ms in messages_by_field.values() for m in ms]}},
            status=400,
        )
    return JsonResponse(
        {
            "saved": saved,
            "flagged": form.flagged,
            "supported_level": item.supported_level if item else None,
        }
    )


def _attach_answer_errors(forms: list[AnswerForm], exc: ValidationError) -> None:
    by_key = {form.question.key: form for form in forms}
    if not hasattr(exc, "error_dict"):
        forms[0].add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        form = by_key.get(key)
        if form is not None:
            form.add_error(None, errors)
        elif forms:
            forms[0].add_error(None, [f"{key}: {e}" for e in errors])


def _next_factor_url(assessment: Assessment, factors: list[Factor], factor: Factor) -> str:
    index = factors.index(factor)
    if index + 1 < len(factors):
        return reverse("maturity:answer-factor", args=[assessment.pk, factors[index + 1].key])
    return reverse("maturity:assessment-detail", args=[assessment.pk])


def _decision(request: HttpRequest, pk: int, do, success: str) -> HttpResponse:
    assessment = _assessment_for(request, pk)
    try:
        do(assessment)
    except ConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return HttpResponseRedirect(reverse("maturity:assessment-detail", args=[assessment.pk]))


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision(
        request,
        pk,
        lambda a: services.submit_assessment(actor=request.user, assessment=a),
        "Assessment submitted for approval.",
    )


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    form = ApproveForm(request.POST)
    if not form.is_valid():
        assessment = _assessment_for(request, pk)
        require(request.user, assessment.organisation, Permission.ASSESSMENT_APPROVE)
        return _detail_page(request, assessment, approve_form=form, status=400)
    return _decision(
        request,
        pk,
        lambda a: services.approve_assessment(
            actor=request.user, assessment=a, comment=form.cleaned_data["comment"]
        ),
        "Assessment approved.",
    )


@login_required
@require_POST
def return_to_draft(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReturnForm(request.POST)
    if not form.is_valid():
        assessment = _assessment_for(request, pk)
        require(request.user, assessment.organisation, Permission.ASSESSMENT_APPROVE)
        # The page again with the reason as typed and its error, so nothing the approver wrote is lost.
        return _detail_page(request, assessment, return_form=form, status=400)
    return _decision(
        request,
        pk,
        lambda a: services.return_assessment(
            actor=request.user, assessment=a, reason=form.cleaned_data["reason"]
        ),
        "Assessment returned to the assessor.",
    )


# A suggested due date for an adopted action: the end of its horizon.
HORIZON_DAYS = (90, 182, 365)


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    return _results_page(request, _assessment_for(request, pk))


def _results_page(
    request: HttpRequest, assessment: Assessment, bound: AdoptForm | None = None, status: int = 200
) -> HttpResponse:
    questions = selectors.assessment_questions(assessment)
    observed = selectors.question_evidence(assessment, questions)
    result = selectors.assessment_result(assessment, observed=observed, questions=questions)
    previous = selectors.previous_approved(assessment)
    changes = []
    for factor in result.factors:
        before = charts.as_score((previous.factor_scores or {}).get(factor.key)) if previous else None
        change = round(factor.score - before, 2) if before is not None and factor.score is not None else None
        changes.append({"factor": factor, "before": before, "change": change})
    overall_before = charts.as_score(previous.overall_score) if previous else None
    overall_change = (
        round(result.overall - overall_before, 2)
        if overall_before is not None and result.overall is not None
        else None
    )
    may_adopt = assessment.status == AssessmentStatus.APPROVED and can(
        request.user, assessment.organisation, Permission.IMPROVEMENT_ADOPT
    )
    adopted = (
        {a.question_key: a for a in ImprovementAction.objects.filter(assessment=assessment)}
        if may_adopt
        else {}
    )
    members = AdoptForm.members(assessment.organisation) if may_adopt else []
    labels = selectors.question_labels(questions)
    today = timezone.localdate()
    horizons = []
    for index, name in enumerate(scoring.HORIZONS):
        rows = []
        for item in result.roadmap:
            if item.horizon != index:
                continue
            form = None
            if may_adopt and item.question_key not in adopted:
                if bound is not None and bound.prefix == item.question_key:
                    form = bound
                else:
                    form = AdoptForm(
                        prefix=item.question_key,
                        organisation=assessment.organisation,
                        members=members,
                        initial={"due_date": today + datetime.timedelta(days=HORIZON_DAYS[index])},
                    )
            waits_for = [_requirement_label(requirement, labels) for requirement in item.waits_for]
            rows.append(
                {
                    "item": item,
                    "adopted": adopted.get(item.question_key),
                    "form": form,
                    "waits_for": waits_for,
                }
            )
        if rows:
            horizons.append({"name": name, "rows": rows})
    return render(
        request,
        "maturity/results.html",
        {
            "assessment": assessment,
            "result": result,
            "progress": _progress(result),
            "previous": previous,
            "changes": changes,
            "overall_before": overall_before,
            "overall_change": overall_change,
            "flags": selectors.evidence_flags(assessment, questions, observed),
            "has_evidence": bool(observed),
            "crosswalk": selectors.crosswalk_rows(result, questions),
            "crosswalk_version": crosswalk.current().version,
            "roadmap_rule": scoring.ROADMAP_RULE,
            "roadmap_horizons": horizons,
            "may_adopt": may_adopt,
            "may_edit_targets": assessment.is_editable
            and can(request.user, assessment.organisation, Permission.ASSESSMENT_EDIT),
            "radar_json": _figure_json(charts.radar_figure(result)),
            "gap_json": _figure_json(charts.gap_figure(result)),
        },
        status=status,
    )


def _requirement_label(requirement: str, labels: dict[str, str]) -> str:
    """'governance-risk-tiering>=3' as a reader sees it: 'Governance 2 at level 3 or above'."""
    key, _, level = requirement.partition(">=")
    return f"{labels.get(key, key)} at level {level} or above"


@login_required
@require_POST
def adopt(request: HttpRequest, pk: int, question_key: str) -> HttpResponse:
    """Adopt one roadmap item of an approved assessment as an improvement action."""
    assessment = _assessment_for(request, pk)
    require(request.user, assessment.organisation, Permission.IMPROVEMENT_ADOPT)
    form = AdoptForm(request.POST, prefix=question_key, organisation=assessment.organisation)
    if form.is_valid():
        try:
            improvement = services.adopt_roadmap_item(
                actor=request.user,
                assessment=assessment,
                question_key=question_key,
                owner=form.cleaned_data["owner"],
                due_date=form.cleaned_data["due_date"],
            )
        except ConflictError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("maturity:results", args=[assessment.pk]) + "#roadmap")
        except ValidationError as exc:
            form.add_service_errors(exc)
            if "question" in getattr(exc, "error_dict", {}):
                messages.error(request, " ".join(exc.message_dict["question"]))
        else:
            messages.success(
                request,
                f"Adopted: {improvement.factor_name}, level {improvement.from_level} → {improvement.to_level}, "
                f"owned by {improvement.owner.get_full_name() or improvement.owner.get_username()}.",
            )
            return HttpResponseRedirect(reverse("maturity:action-list") + f"#action-{improvement.pk}")
    return _results_page(request, assessment, bound=form, status=400)


ACTIONS_PER_PAGE = 50


@login_required
def action_list(request: HttpRequest) -> HttpResponse:
    """The organisation's improvement actions (mine only with ?mine=1), with whether the level has moved."""
    organisation = current_organisation(request)
    mine = request.GET.get("mine") == "1"
    queryset = selectors.improvement_actions(organisation, owner=request.user if mine else None)
    page = Paginator(queryset, ACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    may_adopt = can(request.user, organisation, Permission.IMPROVEMENT_ADOPT)
    rows = [
        {
            "action": action,
            "form": ImprovementUpdateForm(
                prefix=f"action-{action.pk}", initial={"status": action.status, "note": action.note}
            )
            if may_adopt or action.owner_id == request.user.pk
            else None,
        }
        for action in page.object_list
    ]
    return render(
        request,
        "maturity/action_list.html",
        {
            "organisation": organisation,
            "page": page,
            "rows": rows,
            "mine": mine,
            "query": "mine=1" if mine else "",
        },
    )


@login_required
@require_POST
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    improvement = get_for_user(
        ImprovementAction.objects.select_related("owner", "organisation"), request.user, pk=pk
    )
    if improvement.owner_id != request.user.pk:
        require(request.user, improvement.organisation_id, Permission.IMPROVEMENT_ADOPT)
    form = ImprovementUpdateForm(request.POST, prefix=f"action-{improvement.pk}")
    if form.is_valid():
        try:
            services.update_improvement_action(
                actor=request.user,
                improvement=improvement,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Updated: {improvement.get_status_display().lower()}.")
            return HttpResponseRedirect(reverse("maturity:action-list") + f"#action-{improvement.pk}")
    return render(
        request,
        "maturity/action_list.html",
        {
            "organisation": improvement.organisation,
            "page": None,
            "rows": [
                {
                    "action": selectors.improvement_actions(improvement.organisation).get(pk=improvement.pk),
                    "form": form,
                }
            ],
            "mine": False,
            "query": "",
            "today": timezone.localdate(),
        },
        status=400,
    )


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    comparison = selectors.unit_comparison(organisation)
    units, factors, scores = charts.comparison_parts(comparison)
    rows = [{"unit": unit, "scores": row} for unit, row in zip(units, scores, strict=False)]
    return render(
        request,
        "maturity/compare.html",
        {
            "factors": factors,
            "rows": rows,
            "heatmap_json": _figure_json(charts.comparison_heatmap(comparison)) if rows else None,
        },
    )


# --- Organisation targets, assessment targets and reassessment schedules ---------------------------


@login_required
@require_http_methods(["GET", "POST"])
def organisation_targets(request: HttpRequest) -> HttpResponse:
    """The organisation's default target level per factor; new assessments and reassessments start from it."""
    organisation = current_organisation(request)
    may_edit = can(request.user, organisation, Permission.ORGANISATION_MANAGE)
    questionnaire = _current_questionnaire()
    factors = list(questionnaire.factors.all()) if questionnaire else []
    saved = dict(
        MaturityTarget.objects.filter(organisation=organisation).values_list("factor_key", "target_level")
    )
    status = 200
    form = TargetsForm(factors=factors, targets=saved) if may_edit else None
    if request.method == "POST":
        require(request.user, organisation, Permission.ORGANISATION_MANAGE)
        if questionnaire is None:
            messages.error(request, "No questionnaire is loaded yet: run `manage.py load_questionnaire`.")
            return HttpResponseRedirect(reverse("maturity:targets"))
        form = TargetsForm(request.POST, factors=factors, targets=saved)
        if form.is_valid():
            try:
                services.set_organisation_targets(
                    actor=request.user, organisation=organisation, targets=form.targets()
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, "Targets saved. New assessments start from them.")
                return HttpResponseRedirect(reverse("maturity:targets"))
        status = 400
    rows = [
        {"factor": f, "target": saved.get(f.key, DEFAULT_TARGET), "is_default": f.key not in saved}
        for f in factors
    ]
    return render(
        request,
        "maturity/targets.html",
        {"organisation": organisation, "form": form, "rows": rows, "may_edit": may_edit},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_targets(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the target levels of a draft assessment; its gaps and roadmap follow."""
    assessment = _assessment_for(request, pk)
    organisation = assessment.organisation
    factors = list(assessment.questionnaire.factors.all())
    targets = assessment.targets or {}
    may_edit = assessment.is_editable and can(request.user, organisation, Permission.ASSESSMENT_EDIT)
    status = 200
    form = TargetsForm(factors=factors, targets=targets) if may_edit else None
    if request.method == "POST":
        require(request.user, organisation, Permission.ASSESSMENT_EDIT)
        if not assessment.is_editable:
            # Say so whatever was typed; the service refuses it too.
            status_name = assessment.get_status_display().lower()
            messages.error(request, f"This assessment is {status_name}: its targets cannot be changed.")
            return HttpResponseRedirect(reverse("maturity:assessment-detail", args=[assessment.pk]))
        form = TargetsForm(request.POST, factors=factors, targets=targets)
        if form.is_valid():
            try:
                services.update_targets(actor=request.user, assessment=assessment, targets=form.targets())
            except ConflictError as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(reverse("maturity:assessment-detail", args=[assessment.pk]))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, "Targets saved; gaps and roadmap now use them.")
                return HttpResponseRedirect(reverse("maturity:assessment-detail", args=[assessment.pk]))
        status = 400
    rows = [{"factor": f, "target": targets.get(f.key)} for f in factors]
    return render(
        request,
        "maturity/assessment_targets.html",
        {"assessment": assessment, "form": form, "rows": rows, "may_edit": may_edit},
        status=status,
    )


def _schedule_form(row: selectors.ScheduleRow, data=None) -> ScheduleForm:
    initial = {"frequency": row.schedule.frequency, "active": row.schedule.active} if row.schedule else None
    return ScheduleForm(data, prefix=row.key, initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def schedule_list(request: HttpRequest) -> HttpResponse:
    """The reassessment schedule of the organisation and of each business unit; admins add and change them."""
    organisation = current_organisation(request)
    may_manage = can(request.user, organisation, Permission.SCHEDULE_MANAGE)
    rows = selectors.schedule_rows(organisation)
    bound: dict[str, ScheduleForm] = {}
    status = 200
    if request.method == "POST":
        require(request.user, organisation, Permission.SCHEDULE_MANAGE)
        row = next((r for r in rows if r.key == request.POST.get("scope")), None)
        if row is None:
            raise Http404("No such business unit in this organisation.")
        form = _schedule_form(row, request.POST)
        if form.is_valid():
            try:
                schedule = services.save_schedule(
                    actor=request.user,
                    organisation=organisation,
                    business_unit=row.business_unit,
                    frequency=form.cleaned_data["frequency"],
                    active=form.cleaned_data["active"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                scope_name = row.business_unit.name if row.business_unit else organisation.name
                state = "active" if schedule.active else "paused"
                messages.success(
                    request,
                    f"{scope_name}: {schedule.get_frequency_display().lower()} reassessment saved ({state}).",
                )
                return HttpResponseRedirect(reverse("maturity:schedule-list"))
        bound[row.key] = form
        status = 400
    today = timezone.localdate()
    items = []
    for row in rows:
        schedule = row.schedule
        period = scheduling.period_key(schedule.frequency, today) if schedule else None
        items.append(
            {
                "row": row,
                "schedule": schedule,
                "form": (bound.get(row.key) or _schedule_form(row)) if may_manage else None,
                "may_run": may_manage
                and schedule is not None
                and schedule.active
                and schedule.last_run_period != period,
                "period": period,
            }
        )
    return render(
        request,
        "maturity/schedule_list.html",
        {"organisation": organisation, "items": items, "may_manage": may_manage},
        status=status,
    )


@login_required
@require_POST
def schedule_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Open this period's reassessment now, through the same idempotent task beat fires."""
    schedule = get_for_user(
        ReassessmentSchedule.objects.select_related("organisation", "business_unit"), request.user, pk=pk
    )
    try:
        period = services.request_reassessment_run(actor=request.user, schedule=schedule)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        scope_name = schedule.business_unit.name if schedule.business_unit else schedule.organisation.name
        messages.success(
            request,
            f"{scope_name}: the {period} reassessment is being opened; its assessors are emailed when it is ready.",
        )
    return HttpResponseRedirect(reverse("maturity:schedule-list"))


@login_required
def answers_export(request: HttpRequest, pk: int, export_format: str = "csv") -> HttpResponse:
    """Every question of the assessment with its answer, evidence and observations, as CSV or XLSX."""
    assessment = _assessment_for(request, pk)
    return export_response(
        export_format,
        f"{assessment.organisation.slug}-assessment-{assessment.pk}-answers",
        selectors.ANSWER_EXPORT_COLUMNS,
        selectors.answer_export_rows(assessment),
        title="Answers",
    )
