"""Maturity writes: creating, answering and deciding on assessments, and organisation targets.

Every function checks the actor's role, validates everything before writing (nothing is saved on error),
and records an audit event in the same transaction as the change.
"""

import datetime
import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from governance.core import scheduling
from governance.core.audit import diff, record_event, save_audited_changes, save_audited_new, snapshot
from governance.core.errors import ConflictError
from governance.core.roles import ASSESSOR, Permission
from governance.core.tenancy import can, require
from governance.models import BusinessUnit, Membership, Organisation
from maturity import scoring, selectors
from maturity.actions import MaturityAction
from maturity.models import (
    MAX_LEVEL,
    Answer,
    Assessment,
    AssessmentStatus,
    ImprovementAction,
    ImprovementStatus,
    MaturityTarget,
    Question,
    Questionnaire,
    ReassessmentSchedule,
    ScheduleFrequency,
)

DEFAULT_TARGET = 3.0
ANSWER_FIELDS = [
    "level",
    "not_applicable",
    "not_applicable_reason",
    "comment",
    "evidence_links",
    "evidence_justification",
]
MAX_EVIDENCE_LINKS = 50
MAX_EVIDENCE_LENGTH = 500


def _locked(assessment: Assessment) -> Assessment:
    """The assessment re-read under a row lock, so concurrent decisions take turns on fresh state."""
    return Assessment.objects.select_for_update().select_related("organisation").get(pk=assessment.pk)


def _refresh(target: Assessment, source: Assessment) -> None:
    """Copy the fresh field values back onto the caller's instance."""
    for field in Assessment._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _require_draft(assessment: Assessment, doing: str) -> None:
    if assessment.status == AssessmentStatus.APPROVED:
        raise ConflictError(f"This assessment is approved and read-only: it cannot be {doing}.")
    if assessment.status != AssessmentStatus.DRAFT:
        raise ConflictError(
            f"This assessment is {assessment.get_status_display().lower()}: it cannot be {doing} "
            "until it is returned to draft."
        )


def _check_targets(targets: Any, factor_keys: set[str]) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Validated {factor_key: level} and field errors keyed by factor key (or "targets")."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, float] = {}
    if not isinstance(targets, Mapping):
        return clean, {"targets": ["Targets must map factor keys to levels between 0 and 5."]}
    for key, value in targets.items():
        if key not in factor_keys:
            errors.setdefault(str(key), []).append(f"Unknown factor '{key}'.")
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or math.isnan(number) or not 0 <= number <= MAX_LEVEL:
            errors.setdefault(key, []).append(f"Target must be a number between 0 and {MAX_LEVEL}.")
            continue
        clean[key] = number
    return clean, errors


def create_assessment(
    *,
    actor,
    organisation: Organisation,
    title: str,
    business_unit: BusinessUnit | None = None,
    questionnaire: Questionnaire | None = None,
    targets: Mapping[str, float] | None = None,
) -> Assessment:
    """A new draft assessment against the current (or given) questionnaire version.

    Targets not given default to the organisation's maturity targets, else 3.0 per factor.
    """
    require(actor, organisation, Permission.ASSESSMENT_EDIT)
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["Give the assessment a title."]
    elif len(title) > 200:
        errors["title"] = ["Keep the title to 200 characters or fewer."]
    if business_unit is not None and business_unit.organisation_id != organisation.pk:
        errors["business_unit"] = ["This business unit belongs to another organisation."]
    questionnaire = questionnaire or selectors.current_questionnaire()
    if questionnaire is None:
        errors["questionnaire"] = ["No questionnaire is loaded yet: run `manage.py load_questionnaire`."]
        raise ValidationError(errors)
    factor_keys = list(questionnaire.factors.order_by("order").values_list("key", flat=True))
    clean, target_errors = _check_targets(targets or {}, set(factor_keys))
    errors.update(target_errors)
    if errors:
        raise ValidationError(errors)

    saved = dict(
        MaturityTarget.objects.filter(organisation=organisation).values_list("factor_key", "target_level")
    )
    resolved = {key: float(clean.get(key, saved.get(key, DEFAULT_TARGET))) for key in factor_keys}
    assessment = Assessment(
        organisation=organisation,
        business_unit=business_unit,
        questionnaire=questionnaire,
        title=title,
        targets=resolved,
        created_by=actor,
    )
    save_audited_new(
        organisation=organisation, actor=actor, action=MaturityAction.ASSESSMENT_CREATE, obj=assessment
    )
    return assessment


def _validate_answer(item: Any, questions: dict[str, Question]) -> tuple[str, list[str], dict[str, Any]]:
    """(question key, error messages, cleaned values) of one answer dict."""
    if not isinstance(item, Mapping):
        return "non_field_errors", ["Each answer must be an object with a 'question' key."], {}
    key = str(item.get("question") or "")
    if not key:
        return "non_field_errors", ["Each answer must name its question."], {}
    if key not in questions:
        return key, [f"Unknown question '{key}' for this questionnaire."], {}
    messages: list[str] = []
    level = item.get("level")
    if level == "":
        level = None
    if level is not None:
        if isinstance(level, bool) or not isinstance(level, int | str | float):
            messages.append(f"Level must be a whole number from 0 to {MAX_LEVEL}.")
        else:
            try:
                as_float = float(level)
                if not as_float.is_integer():
                    raise ValueError
                level = int(as_float)
            except (TypeError, ValueError, OverflowError):
                messages.append(f"Level must be a whole number from 0 to {MAX_LEVEL}.")
            else:
                if not 0 <= level <= MAX_LEVEL:
                    messages.append(f"Level must be between 0 and {MAX_LEVEL} (got {level}).")
    not_applicable = item.get("not_applicable", False)
    if not isinstance(not_applicable, bool):
        messages.append("not_applicable must be true or false.")
        not_applicable = False
    texts = {}
    for name in ("not_applicable_reason", "comment", "evidence_justification"):
        value = item.get(name) or ""
        if not isinstance(value, str):
            messages.append(f"{name} must be text.")
            value = ""
        texts[name] = value.strip()
    if not_applicable:
        if not texts["not_applicable_reason"]:
            messages.append("Say why the question does not apply (a reason is required for N/A).")
        if level is not None:
            messages.append("A question marked N/A cannot also have a level.")
    links = item.get("evidence_links") or []
    if not isinstance(links, list) or not all(isinstance(link, str) for link in links):
        messages.append("evidence_links must be a list of URLs or document references.")
        links = []
    else:
        links = [link.strip() for link in links if link.strip()]
        if len(links) > MAX_EVIDENCE_LINKS:
            messages.append(f"At most {MAX_EVIDENCE_LINKS} evidence links per answer.")
        if any(len(link) > MAX_EVIDENCE_LENGTH for link in links):
            messages.append(f"Each evidence link must be at most {MAX_EVIDENCE_LENGTH} characters.")
    cleaned = {
        "level": None if not_applicable else level,
        "not_applicable": not_applicable,
        "not_applicable_reason": texts["not_applicable_reason"] if not_applicable else "",
        "comment": texts["comment"],
        "evidence_links": links,
        "evidence_justification": texts["evidence_justification"],
    }
    return key, messages, cleaned


def save_answers(*, actor, assessment: Assessment, answers: list[dict]) -> int:
    """Create or update answers of a draft assessment; return how many were saved.

    Every answer is validated first; on any error nothing is saved and the ValidationError is keyed by
    question key.
    """
    require(actor, assessment.organisation_id, Permission.ASSESSMENT_EDIT)
    if not isinstance(answers, list | tuple):
        raise ValidationError({"non_field_errors": ["Send a list of answers."]})
    with transaction.atomic():
        locked = _locked(assessment)
        _refresh(assessment, locked)
        _require_draft(locked, "answered")
        questions = {
            q.key: q for q in Question.objects.filter(factor__questionnaire_id=locked.questionnaire_id)
        }
        errors: dict[str, list[str]] = {}
        cleaned: dict[str, dict[str, Any]] = {}
        for item in answers:
            key, messages, values = _validate_answer(item, questions)
            if messages:
                errors.setdefault(key, []).extend(messages)
            elif key in cleaned:
                errors.setdefault(key, []).append("This question is answered twice in the same request.")
            else:
                cleaned[key] = values
        if errors:
            raise ValidationError(errors)

        existing = {
            a.question_id: a
            for a in Answer.objects.filter(assessment=locked, question__in=[questions[k] for k in cleaned])
        }
        changes: dict[str, Any] = {}
        saved = 0
        for key, values in cleaned.items():
            question = questions[key]
            answer = existing.get(question.pk)
            before = snapshot(answer, ANSWER_FIELDS) if answer else None
            if answer is None:
                answer = Answer(assessment=locked, question=question)
            for name, value in values.items():
                setattr(answer, name, value)
            after = snapshot(answer, ANSWER_FIELDS)
            if before == after and not answer.needs_confirmation:
                continue
            answer.needs_confirmation = False
            answer.answered_by = actor
            answer.save()
            changes[key] = diff(before, after)
            saved += 1
        if saved:
            record_event(
                organisation=locked.organisation,
                actor=actor,
                action=MaturityAction.ASSESSMENT_ANSWER,
                obj=locked,
                changes={"answers": changes},
            )
    return saved


def update_targets(*, actor, assessment: Assessment, targets: Mapping[str, float]) -> Assessment:
    """Change the target level of some factors of a draft assessment."""
    require(actor, assessment.organisation_id, Permission.ASSESSMENT_EDIT)
    with transaction.atomic():
        locked = _locked(assessment)
        _require_draft(locked, "changed")
        factor_keys = set(locked.questionnaire.factors.values_list("key", flat=True))
        clean, errors = _check_targets(targets, factor_keys)
        if errors:
            raise ValidationError(errors)
        before = snapshot(locked)
        locked.targets = {**(locked.targets or {}), **clean}
        # Setting a target to the level it has is no change: nothing is written or audited.
        _save_audited(locked, actor, MaturityAction.ASSESSMENT_TARGETS, before)
    _refresh(assessment, locked)
    return assessment


def _save_audited(locked: Assessment, actor, action: MaturityAction, before: dict[str, Any]) -> None:
    """Save the locked assessment and audit what changed since ``before`` (nothing changed: no event)."""
    save_audited_changes(
        organisation=locked.organisation, actor=actor, action=action, obj=locked, before=before
    )


def _require_submitted(assessment: Assessment, doing: str) -> None:
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise ConflictError(
            f"Only a submitted assessment can be {doing}; this one is {assessment.get_status_display().lower()}."
        )


def _take_snapshot(assessment: Assessment) -> scoring.AssessmentResult:
    result = selectors.assessment_result(assessment)
    assessment.overall_score = result.overall
    assessment.factor_scores = {f.key: f.score for f in result.factors}
    return result


def _question_labels(questionnaire_id: int) -> dict[int, str]:
    """Each question as people see it on the factor pages: "Strategy 2 (Is there an MLOps strategy…)"; the
    number is its place in the factor, as the page numbers it (keys such as strategy-q2 meant nothing to them)."""
    questions = list(
        Question.objects.filter(factor__questionnaire_id=questionnaire_id)
        .select_related("factor")
        .order_by("factor__order", "order", "pk")
    )
    numbered = selectors.question_labels(questions)
    labels: dict[int, str] = {}
    for question in questions:
        text = question.text if len(question.text) <= 60 else question.text[:59].rstrip() + "…"
        labels[question.pk] = f"{numbered[question.key]} ({text})"
    return labels


def _refuse_answers(problem: str, labels: list[str], limit: int = 10) -> None:
    """Refuse a submission, naming the first ``limit`` questions (an ellipsis if there are more)."""
    shown = "; ".join(labels[:limit]) + (" …" if len(labels) > limit else "")
    raise ValidationError({"answers": [f"{problem}: {shown}."]})


def _freeze_evidence(locked: Assessment) -> dict[int, bool]:
    """Store today's observations on the assessment; return {question pk: justified?} of flagged answers.

    The observations are the ones submission is judged on, and results and reports read them from then on.
    """
    questions = list(
        Question.objects.filter(factor__questionnaire_id=locked.questionnaire_id).exclude(evidence={})
    )
    observed = selectors.question_evidence(locked, questions)
    locked.evidence = {key: item.as_dict() for key, item in observed.items()}
    answers = {a.question_id: a for a in Answer.objects.filter(assessment=locked, question__in=questions)}
    flagged: dict[int, bool] = {}
    for question in questions:
        answer = answers.get(question.pk)
        item = observed.get(question.key)
        if answer is None or item is None or answer.not_applicable:
            continue
        if scoring.is_flagged(answer.level, item.supported_level):
            flagged[question.pk] = bool(answer.evidence_justification.strip())
    return flagged


def submit_assessment(*, actor, assessment: Assessment) -> Assessment:
    """Draft → submitted; every question must be answered or marked N/A, and every self-rating above what
    Plumbline's records support must say why. Stores the score snapshot and freezes the evidence."""
    require(actor, assessment.organisation_id, Permission.ASSESSMENT_SUBMIT)
    with transaction.atomic():
        locked = _locked(assessment)
        _require_draft(locked, "submitted")
        answered = set(
            Answer.objects.filter(assessment=locked)
            .exclude(level__isnull=True, not_applicable=False)
            .values_list("question_id", flat=True)
        )
        labels = _question_labels(locked.questionnaire_id)
        missing = [label for pk, label in labels.items() if pk not in answered]
        if missing:
            many = len(missing) != 1
            _refuse_answers(
                f"{len(missing)} question{'s are' if many else ' is'} not answered or marked N/A", missing
            )
        to_confirm = set(
            Answer.objects.filter(assessment=locked, needs_confirmation=True).values_list(
                "question_id", flat=True
            )
        )
        unconfirmed = [label for pk, label in labels.items() if pk in to_confirm]
        if unconfirmed:
            many = len(unconfirmed) != 1
            _refuse_answers(
                f"{len(unconfirmed)} answer{'s' if many else ''} prefilled from the last approved assessment "
                f"still need{'' if many else 's'} to be confirmed",
                unconfirmed,
            )
        before = snapshot(locked)
        flagged = _freeze_evidence(locked)
        unjustified = [label for pk, label in labels.items() if pk in flagged and not flagged[pk]]
        if unjustified:
            many = len(unjustified) != 1
            _refuse_answers(
                f"{len(unjustified)} answer{'s rate' if many else ' rates'} above what Plumbline's records "
                f"support and need{'' if many else 's'} a short justification",
                unjustified,
            )
        # Submitted first, so the score snapshot reads the evidence just frozen.
        locked.status = AssessmentStatus.SUBMITTED
        _take_snapshot(locked)
        locked.submitted_by = actor
        locked.submitted_at = timezone.now()
        locked.returned_reason = ""
        _save_audited(locked, actor, MaturityAction.ASSESSMENT_SUBMIT, before)
    _refresh(assessment, locked)
    return assessment


MAX_APPROVAL_COMMENT = 2000


def approve_assessment(*, actor, assessment: Assessment, comment: str = "") -> Assessment:
    """Submitted → approved by someone other than the submitter (separation of duties), with an optional
    comment (e.g. on the evidence flags the approver accepted)."""
    require(actor, assessment.organisation_id, Permission.ASSESSMENT_APPROVE)
    comment = comment.strip() if isinstance(comment, str) else ""
    if len(comment) > MAX_APPROVAL_COMMENT:
        raise ValidationError(
            {"comment": [f"Keep the comment to {MAX_APPROVAL_COMMENT} characters or fewer."]}
        )
    with transaction.atomic():
        locked = _locked(assessment)
        _require_submitted(locked, "approved")
        if locked.submitted_by_id == actor.pk:
            raise PermissionDenied(
                "Separation of duties: you submitted this assessment, so someone else must approve it."
            )
        before = snapshot(locked)
        _take_snapshot(locked)
        locked.status = AssessmentStatus.APPROVED
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked.approval_comment = comment
        _save_audited(locked, actor, MaturityAction.ASSESSMENT_APPROVE, before)
    _refresh(assessment, locked)
    return assessment


def return_assessment(*, actor, assessment: Assessment, reason: str) -> Assessment:
    """Submitted → draft, with the reason the assessor will see."""
    require(actor, assessment.organisation_id, Permission.ASSESSMENT_APPROVE)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": ["Give a reason for returning the assessment."]})
    with transaction.atomic():
        locked = _locked(assessment)
        _require_submitted(locked, "returned")
        before = snapshot(locked)
        locked.status = AssessmentStatus.DRAFT
        locked.returned_reason = reason
        locked.submitted_by = None
        locked.submitted_at = None
        _save_audited(locked, actor, MaturityAction.ASSESSMENT_RETURN, before)
    _refresh(assessment, locked)
    return assessment


def set_organisation_targets(
    *, actor, organisation: Organisation, targets: Mapping[str, float]
) -> dict[str, float]:
    """Set the organisation's default target level per factor (used by new assessments)."""
    require(actor, organisation, Permission.ORGANISATION_MANAGE)
    questionnaire = selectors.current_questionnaire()
    factor_keys = set(questionnaire.factors.values_list("key", flat=True)) if questionnaire else set()
    # Factor keys are stable across versions; accept those already targeted even if the current version dropped one.
    factor_keys |= set(
        MaturityTarget.objects.filter(organisation=organisation).values_list("factor_key", flat=True)
    )
    clean, errors = _check_targets(targets, factor_keys)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for key, level in clean.items():
            target, created = MaturityTarget.objects.select_for_update().get_or_create(
                organisation=organisation, factor_key=key, defaults={"target_level": level}
            )
            if created:
                # get_or_create has saved it (surviving a concurrent insert of the same key): audit it as is.
                record_event(
                    organisation=organisation,
                    actor=actor,
                    action=MaturityAction.MATURITY_TARGET_CREATE,
                    obj=target,
                    changes=diff(None, snapshot(target)),
                )
                continue
            before = snapshot(target)
            target.target_level = level
            save_audited_changes(
                organisation=organisation,
                actor=actor,
                action=MaturityAction.MATURITY_TARGET_UPDATE,
                obj=target,
                before=before,
            )
    return dict(
        MaturityTarget.objects.filter(organisation=organisation).values_list("factor_key", "target_level")
    )


# --- Scheduled reassessments -------------------------------------------------------------------------------
# Periods, beat entries and "run now" come from governance.core.scheduling, shared with report schedules.

REASSESSMENT_TASK = "maturity.tasks.run_reassessment"


def save_schedule(
    *, actor, organisation: Organisation, business_unit: BusinessUnit | None, frequency: str, active: bool
) -> ReassessmentSchedule:
    """Create or update the reassessment schedule of an organisation (or unit) and its Celery beat task."""
    require(actor, organisation, Permission.SCHEDULE_MANAGE)
    errors: dict[str, list[str]] = {}
    if frequency not in ScheduleFrequency.values:
        errors["frequency"] = ["Choose monthly, quarterly, half-yearly or yearly."]
    if business_unit is not None and business_unit.organisation_id != organisation.pk:
        errors["business_unit"] = ["This business unit belongs to another organisation."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # One schedule per scope: two first saves at once take turns on the organisation row, not both insert.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        schedule = (
            ReassessmentSchedule.objects.select_for_update(of=("self",))
            .filter(organisation=organisation, business_unit=business_unit)
            .first()
        )
        before = snapshot(schedule) if schedule else None
        if schedule is None:
            schedule = ReassessmentSchedule(
                organisation=organisation, business_unit=business_unit, created_by=actor
            )
        schedule.frequency = frequency
        schedule.active = bool(active)
        schedule.next_run_on = scheduling.upcoming_run(frequency) if active else None
        schedule.save()
        scheduling.sync_beat_entry(
            schedule, name=f"maturity-reassessment-{schedule.pk}", task=REASSESSMENT_TASK
        )
        record_event(
            organisation=organisation,
            actor=actor,
            action=MaturityAction.SCHEDULE_CREATE if before is None else MaturityAction.SCHEDULE_UPDATE,
            obj=schedule,
            changes=diff(before, snapshot(schedule)),
        )
    return schedule


def run_reassessment(schedule: ReassessmentSchedule, today: datetime.date | None = None) -> Assessment | None:
    """Open this period's draft reassessment, prefilled from the last approved one; None if already run.

    Idempotent per period: the schedule row is locked and its last_run_period checked, so two firings in the
    same period create one draft and one email per assessor.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = (
            ReassessmentSchedule.objects.select_for_update(of=("self",))
            .select_related("organisation", "business_unit")
            .get(pk=schedule.pk)
        )
        period = scheduling.period_key(locked.frequency, today)
        if not locked.active or locked.last_run_period == period:
            return None
        questionnaire = selectors.current_questionnaire()
        if questionnaire is None:
            return None
        organisation = locked.organisation
        saved = dict(
            MaturityTarget.objects.filter(organisation=organisation).values_list("factor_key", "target_level")
        )
        factor_keys = list(questionnaire.factors.order_by("order").values_list("key", flat=True))
        scope = locked.business_unit.name if locked.business_unit else organisation.name
        assessment = Assessment(
            organisation=organisation,
            business_unit=locked.business_unit,
            questionnaire=questionnaire,
            title=f"{scope} reassessment {period}"[:200],
            targets={key: float(saved.get(key, DEFAULT_TARGET)) for key in factor_keys},
            created_by=locked.created_by,
            schedule=locked,
            schedule_period=period,
        )
        save_audited_new(
            organisation=organisation, actor=None, action=MaturityAction.ASSESSMENT_CREATE, obj=assessment
        )
        previous = (
            Assessment.objects.filter(
                organisation=organisation,
                business_unit=locked.business_unit,
                status=AssessmentStatus.APPROVED,
            )
            .order_by("-approved_at")
            .first()
        )
        if previous is not None:
            questions = {q.key: q for q in Question.objects.filter(factor__questionnaire=questionnaire)}
            Answer.objects.bulk_create(
                [
                    Answer(
                        assessment=assessment,
                        question=questions[old.question.key],
                        level=old.level,
                        not_applicable=old.not_applicable,
                        not_applicable_reason=old.not_applicable_reason,
                        comment=old.comment,
                        evidence_links=old.evidence_links,
                        needs_confirmation=True,
                    )
                    for old in previous.answers.select_related("question")
                    if old.question.key in questions
                ]
            )
        before = snapshot(locked)
        locked.last_run_period = period
        locked.last_assessment = assessment
        locked.next_run_on = scheduling.next_run_on(locked.frequency, today)
        save_audited_changes(
            organisation=organisation,
            actor=None,
            action=MaturityAction.SCHEDULE_RUN,
            obj=locked,
            before=before,
        )
        link = settings.SITE_URL.rstrip("/") + reverse("maturity:assessment-detail", args=[assessment.pk])
        recipients = list(
            Membership.objects.filter(organisation=organisation, role=ASSESSOR)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )

        def notify() -> None:
            for email in recipients:
                send_mail(
                    f"Reassessment due: {assessment.title}",
                    f"A new maturity reassessment has been opened for {scope}.\n"
                    f"Answers from the last approved assessment are prefilled: confirm or change each one.\n\n{link}\n",
                    None,
                    [email],
                )

        transaction.on_commit(notify)
    schedule.last_run_period = period
    return assessment


def _questionnaire_loaded(_schedule: ReassessmentSchedule) -> None:
    if selectors.current_questionnaire() is None:
        raise ConflictError("No questionnaire is loaded yet: run `manage.py load_questionnaire`.")


def request_reassessment_run(*, actor, schedule: ReassessmentSchedule) -> str:
    """Queue this period's run of a schedule now instead of waiting for beat; returns the period key.

    It goes through the same idempotent task beat fires, so it opens this period's draft only if none exists yet.
    """
    return scheduling.request_run_now(
        actor=actor,
        schedule=schedule,
        permission=Permission.SCHEDULE_MANAGE,
        task=REASSESSMENT_TASK,
        action=MaturityAction.SCHEDULE_RUN_REQUEST,
        already_ran=lambda locked, period: (
            f"This period ({period}) has already been opened: "
            f"{locked.last_assessment.title if locked.last_assessment else 'its draft'}."
        ),
        check=_questionnaire_loaded,
        select_related=("last_assessment",),
    )


# ---- improvement actions ---------------------------------------------------------------------------------------

MAX_IMPROVEMENT_NOTE = 2000


def _member_of(organisation_id: int, user) -> bool:
    return user is not None and Membership.objects.filter(organisation_id=organisation_id, user=user).exists()


def adopt_roadmap_item(
    *, actor, assessment: Assessment, question_key: str, owner, due_date: datetime.date | None
) -> ImprovementAction:
    """Make one roadmap item of the assessment an improvement action with an owner and a due date.

    The item is read from the assessment's roadmap as it stands (so only what the roadmap proposes can be
    adopted), copied onto the action, and audited; adopting the same item twice is refused.
    """
    require(actor, assessment.organisation_id, Permission.IMPROVEMENT_ADOPT)
    if assessment.status != AssessmentStatus.APPROVED:
        raise ConflictError(
            "Only an approved assessment's roadmap can be adopted: approve the assessment first."
        )
    errors: dict[str, list[str]] = {}
    if owner is None or not _member_of(assessment.organisation_id, owner):
        errors["owner"] = ["Choose an owner who is a member of this organisation."]
    if due_date is None:
        errors["due_date"] = ["Give a due date."]
    elif due_date < timezone.localdate():
        errors["due_date"] = ["The due date cannot be in the past."]
    item = next(
        (i for i in selectors.assessment_result(assessment).roadmap if i.question_key == question_key), None
    )
    if item is None:
        errors["question"] = [
            "This question is not on the assessment's roadmap (its factor meets the target)."
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if ImprovementAction.objects.filter(assessment=assessment, question_key=question_key).exists():
            raise ConflictError("This roadmap item is already adopted as an improvement action.")
        improvement = ImprovementAction(
            organisation_id=assessment.organisation_id,
            business_unit_id=assessment.business_unit_id,
            assessment=assessment,
            question_key=item.question_key,
            question_text=item.question_text,
            factor_name=item.factor_name,
            from_level=item.current_level,
            to_level=item.next_level,
            action=item.recommended_action,
            effort=item.effort,
            owner=owner,
            due_date=due_date,
            created_by=actor,
        )
        save_audited_new(
            organisation=assessment.organisation,
            actor=actor,
            action=MaturityAction.IMPROVEMENT_ADOPT,
            obj=improvement,
        )
    return improvement


def update_improvement_action(
    *,
    actor,
    improvement: ImprovementAction,
    status: str,
    note: str = "",
    due_date: datetime.date | None = None,
) -> ImprovementAction:
    """Move an improvement action on (its owner, or whoever may adopt actions): status, note, due date."""
    membership = require(actor, improvement.organisation_id, Permission.VIEW)
    if actor.pk != improvement.owner_id and not can(
        actor, improvement.organisation_id, Permission.IMPROVEMENT_ADOPT
    ):
        raise PermissionDenied(
            f"Only the action's owner may update it; your role ({membership.get_role_display()}) may not."
        )
    errors: dict[str, list[str]] = {}
    if status not in ImprovementStatus.values:
        errors["status"] = [f"Choose one of: {', '.join(ImprovementStatus.labels)}."]
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > MAX_IMPROVEMENT_NOTE:
        errors["note"] = [f"Keep the note to {MAX_IMPROVEMENT_NOTE} characters or fewer."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = (
            ImprovementAction.objects.select_for_update()
            .select_related("organisation")
            .get(pk=improvement.pk)
        )
        before = snapshot(locked)
        locked.status = status
        locked.note = note
        if due_date is not None:
            locked.due_date = due_date
        save_audited_changes(
            organisation=locked.organisation,
            actor=actor,
            action=MaturityAction.IMPROVEMENT_UPDATE,
            obj=locked,
            before=before,
        )
    for field in ImprovementAction._meta.concrete_fields:
        setattr(improvement, field.attname, getattr(locked, field.attname))
    return improvement
