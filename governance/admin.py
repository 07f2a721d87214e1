from django.contrib import admin

from governance.models import (
    AuditEvent,
    BusinessUnit,
    KPIDefinition,
    KPIMeasurement,
    Membership,
    Organisation,
    Report,
)


class BusinessUnitInline(admin.TabularInline):
    model = BusinessUnit
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "classification", "created_at")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [BusinessUnitInline]


@admin.register(BusinessUnit)
class BusinessUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation")
    list_filter = ("organisation",)
    search_fields = ("name",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "business_unit")
    list_filter = ("organisation", "role")
    search_fields = ("user__username", "user__email")
    autocomplete_fields = ("user",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the admin can inspect the trail but never change it."""

    list_display = (
        "created_at",
        "organisation",
        "sequence",
        "actor_label",
        "action",
        "object_type",
        "object_repr",
    )
    list_filter = ("organisation", "action", "object_type")
    search_fields = ("object_repr", "actor_label", "request_id")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Model inventory -------------------------------------------------------------------------------
from governance.models import AIModel, ApprovalRequest, ModelVersion  # noqa: E402


class ModelVersionInline(admin.TabularInline):
    model = ModelVersion
    extra = 0
    fields = ("version", "status", "registered_at", "registered_by", "code_commit")
    readonly_fields = ("registered_at",)


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "organisation",
        "business_unit",
        "lifecycle_stage",
        "risk_tier",
        "owner",
        "next_review_due",
    )
    list_filter = ("organisation", "lifecycle_stage", "risk_tier", "eu_ai_act_category")
    search_fields = ("name", "purpose")
    list_select_related = ("organisation", "business_unit", "owner")
    autocomplete_fields = ("owner", "developers")
    inlines = [ModelVersionInline]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("model", "version", "status", "registered_at", "registered_by")
    list_filter = ("status",)
    search_fields = ("model__name", "version", "code_commit")
    list_select_related = ("model", "registered_by")


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = ("model", "kind", "requested_stage", "version", "status", "requested_by", "decided_by")
    list_filter = ("organisation", "kind", "status")
    search_fields = ("model__name", "justification", "decision_comment")
    list_select_related = ("model", "version", "requested_by", "decided_by")


@admin.register(KPIDefinition)
class KPIDefinitionAdmin(admin.ModelAdmin):
    list_display = ("name", "model", "kind", "direction", "target", "warning_threshold", "critical_threshold")
    list_filter = ("kind", "direction", "model__organisation")
    search_fields = ("name", "model__name")
    list_select_related = ("model",)


@admin.register(KPIMeasurement)
class KPIMeasurementAdmin(admin.ModelAdmin):
    list_display = ("kpi", "measured_at", "value", "source", "recorded_by")
    list_filter = ("source",)
    list_select_related = ("kpi", "kpi__model", "recorded_by")
    raw_id_fields = ("kpi",)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Reports are issued documents: the admin shows them but never edits their file or hash."""

    list_display = ("title", "organisation", "kind", "status", "requested_by", "requested_at", "sha256")
    list_filter = ("organisation", "kind", "status")
    list_select_related = ("organisation", "requested_by")
    readonly_fields = [f.name for f in Report._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
