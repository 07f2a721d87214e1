"""Maturity in the Django admin: read-only, like every governed record (see governance.admin).

The questionnaire is versioned data (a change is a new version loaded by `load_questionnaire`); assessments,
answers, targets and reassessment schedules change on their pages, audited by maturity.services.
"""

from django.contrib import admin

from governance.admin import ReadOnlyAdmin, ReadOnlyInline
from maturity.models import (
    Answer,
    Assessment,
    Factor,
    ImprovementAction,
    MaturityTarget,
    Question,
    Questionnaire,
    ReassessmentSchedule,
)


class FactorInline(ReadOnlyInline):
    model = Factor
    fields = ("order", "key", "name", "weight")
    show_change_link = True


@admin.register(Questionnaire)
class QuestionnaireAdmin(ReadOnlyAdmin):
    """Questionnaires are data files loaded by `load_questionnaire`: a change is a new version, never an edit."""

    list_display = ("version", "title", "is_current", "loaded_at")
    list_filter = ("is_current",)
    inlines = [FactorInline]


@admin.register(Factor)
class FactorAdmin(ReadOnlyAdmin):
    """Part of its questionnaire version (`load_questionnaire`)."""

    list_display = ("name", "key", "questionnaire", "weight", "order")
    list_filter = ("questionnaire",)
    search_fields = ("key", "name")
    list_select_related = ("questionnaire",)


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    """Part of its questionnaire version (`load_questionnaire`)."""

    list_display = ("key", "factor", "weight", "order")
    list_filter = ("factor__questionnaire", "factor__key")
    search_fields = ("key", "text")
    list_select_related = ("factor",)


@admin.register(MaturityTarget)
class MaturityTargetAdmin(ReadOnlyAdmin):
    """Set on the targets page, audited by maturity.services.set_organisation_targets."""

    list_display = ("organisation", "factor_key", "target_level")
    list_filter = ("organisation",)
    list_select_related = ("organisation",)


class AnswerInline(ReadOnlyInline):
    model = Answer
    fields = ("question", "level", "not_applicable", "not_applicable_reason", "needs_confirmation")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question")


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    """Created, answered, submitted, approved and returned on the assessment pages, audited by
    maturity.services."""

    list_display = ("title", "organisation", "business_unit", "status", "overall_score", "approved_at")
    list_filter = ("organisation", "status")
    search_fields = ("title",)
    list_select_related = ("organisation", "business_unit__organisation")
    inlines = [AnswerInline]


@admin.register(ReassessmentSchedule)
class ReassessmentScheduleAdmin(ReadOnlyAdmin):
    """Set and run on the schedules page, audited by maturity.services (save_schedule, request_reassessment_run)."""

    list_display = ("organisation", "business_unit", "frequency", "active", "last_run_period")
    list_filter = ("organisation", "frequency", "active")
    list_select_related = ("organisation", "business_unit__organisation")


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    """Given on the assessment's factor pages and through the API, audited by maturity.services.save_answers."""

    list_display = ("assessment", "question", "level", "not_applicable", "needs_confirmation", "updated_at")
    list_filter = ("assessment__organisation", "not_applicable", "needs_confirmation")
    list_select_related = ("assessment", "question")


@admin.register(ImprovementAction)
class ImprovementActionAdmin(ReadOnlyAdmin):
    """Adopted on the results page and updated on the actions page, audited by maturity.services."""

    list_display = ("question_key", "organisation", "business_unit", "owner", "due_date", "status")
    list_filter = ("organisation", "status")
    search_fields = ("question_key", "action")
    list_select_related = ("organisation", "business_unit__organisation", "owner")
