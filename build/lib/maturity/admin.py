from django.contrib import admin

from maturity.models import (
    Answer,
    Assessment,
    Factor,
    MaturityTarget,
    Question,
    Questionnaire,
    ReassessmentSchedule,
)


class FactorInline(admin.TabularInline):
    model = Factor
    extra = 0
    fields = ("order", "key", "name", "weight")
    show_change_link = True


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    """Questionnaires are data files loaded by `load_questionnaire`; the admin only shows them."""

    list_display = ("version", "title", "is_current", "loaded_at")
    readonly_fields = ("version", "title", "source_sha256", "loaded_at")
    inlines = [FactorInline]


@admin.register(Factor)
class FactorAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "questionnaire", "weight", "order")
    list_filter = ("questionnaire",)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("key", "factor", "weight", "order")
    list_filter = ("factor__questionnaire", "factor__key")
    search_fields = ("key", "text")
    list_select_related = ("factor",)


@admin.register(MaturityTarget)
class MaturityTargetAdmin(admin.ModelAdmin):
    list_display = ("organisation", "factor_key", "target_level")
    list_filter = ("organisation",)


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ("question", "level", "not_applicable", "not_applicable_reason", "needs_confirmation")
    raw_id_fields = ("question",)


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("title", "organisation", "business_unit", "status", "overall_score", "approved_at")
    list_filter = ("organisation", "status")
    search_fields = ("title",)
    list_select_related = ("organisation", "business_unit")
    inlines = [AnswerInline]


@admin.register(ReassessmentSchedule)
class ReassessmentScheduleAdmin(admin.ModelAdmin):
    list_display = ("organisation", "business_unit", "frequency", "active", "last_run_period")
    list_filter = ("organisation", "frequency", "active")


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ("assessment", "question", "level", "not_applicable", "needs_confirmation", "updated_at")
    list_filter = ("assessment__organisation", "not_applicable", "needs_confirmation")
    list_select_related = ("assessment", "question")
    raw_id_fields = ("assessment", "question")
