from django.contrib import admin, messages

from governance.core import jobs
from governance.models import (
    ApiToken,
    AuditEvent,
    BusinessUnit,
    ComplianceRecord,
    ExternalIdentity,
    Framework,
    Incident,
    KPIDefinition,
    KPIMeasurement,
    Membership,
    Organisation,
    PendingJob,
    ReminderDigest,
    Report,
    ReportSchedule,
    Requirement,
    Risk,
)


class BusinessUnitInline(admin.TabularInline):
    model = BusinessUnit
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "classification", "require_two_factor", "created_at")
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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by their owners (shown once); an administrator can see and revoke them, never read one."""

    list_display = ("name", "user", "scope", "created", "expiry", "last_used_at", "revoked_at")
    list_filter = ("scope", "revoked_reason")
    search_fields = ("name", "user__username", "token_key")
    fields = (
        "user",
        "name",
        "token_key",
        "scope",
        "created",
        "expiry",
        "last_used_at",
        "revoked_at",
        "revoked_reason",
    )
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        from governance.models import TokenRevocation
        from governance.services.accounts import revoke_api_token

        revoked = sum(revoke_api_token(token, reason=TokenRevocation.ADMINISTRATOR) for token in queryset)
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "issuer", "subject", "last_login_at")
    search_fields = ("user__username", "subject")
    readonly_fields = ("user", "issuer", "subject", "last_groups", "created_at", "last_login_at")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the services that audit them: the admin shows them and changes nothing."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
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


# --- Model inventory -------------------------------------------------------------------------------
from governance.models import AIModel, ApprovalRequest, ModelVersion  # noqa: E402


# The stage of a model and the status of a version change only through approvals held to the release policy
# (governance.services.inventory.decide_approval): the admin shows them and never edits them.
class ModelVersionInline(admin.TabularInline):
    model = ModelVersion
    extra = 0
    fields = ("version", "status", "registered_at", "registered_by", "code_commit")
    readonly_fields = ("version", "status", "registered_at")


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
    # The stage changes by approval; the tier is derived by the services (and picks the release profile).
    readonly_fields = ("organisation", "lifecycle_stage", "risk_tier")
    inlines = [ModelVersionInline]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("model", "version", "status", "registered_at", "registered_by")
    list_filter = ("status",)
    search_fields = ("model__name", "version", "code_commit")
    list_select_related = ("model", "registered_by")
    # A version stays the model's and keeps its label: approvals, validations and overrides name it.
    readonly_fields = ("model", "version", "status")


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    """Decisions are made on the approval page, held to the release policy; the admin only reads them."""

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


@admin.register(Risk)
class RiskAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "model",
        "category",
        "inherent_score",
        "residual_score",
        "status",
        "owner",
        "due_date",
    )
    list_filter = ("organisation", "category", "status")
    search_fields = ("title", "description", "model__name")
    list_select_related = ("model", "owner")
    raw_id_fields = ("model", "owner")


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0
    fields = ("ref", "section", "title", "applies_to")
    readonly_fields = fields
    can_delete = False


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    """Catalogues come from versioned data files (`load_frameworks`); the admin only shows them."""

    list_display = ("name", "key", "version", "is_current", "loaded_at")
    readonly_fields = [f.name for f in Framework._meta.fields]
    inlines = [RequirementInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Requirement)
class RequirementAdmin(admin.ModelAdmin):
    list_display = ("ref", "title", "framework", "section")
    list_filter = ("framework",)
    search_fields = ("ref", "title", "description")
    readonly_fields = [f.name for f in Requirement._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ComplianceRecord)
class ComplianceRecordAdmin(admin.ModelAdmin):
    list_display = ("model", "requirement", "status", "reviewer", "reviewed_at", "next_review_due")
    list_filter = ("organisation", "status", "requirement__framework")
    search_fields = ("model__name", "requirement__ref", "notes")
    list_select_related = ("model", "requirement", "reviewer")
    raw_id_fields = ("model", "requirement", "reviewer")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("title", "model", "severity", "status", "occurred_at", "financial_loss")
    list_filter = ("organisation", "severity", "status")
    search_fields = ("title", "description", "model__name")
    list_select_related = ("model",)
    raw_id_fields = ("model", "reported_by")


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ("organisation", "kind", "frequency", "active", "last_run_period")
    list_filter = ("organisation", "kind", "frequency", "active")


@admin.register(ReminderDigest)
class ReminderDigestAdmin(admin.ModelAdmin):
    list_display = ("user", "digest_date", "item_count", "sent_at")
    list_filter = ("digest_date",)
    readonly_fields = [f.name for f in ReminderDigest._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PendingJob)
class PendingJobAdmin(admin.ModelAdmin):
    """The outbox: jobs waiting for the broker (and, for a week, the ones sent). Read-only; "Send now" retries."""

    list_display = ("task", "created_at", "dispatched_at", "attempts", "last_error")
    list_filter = (("dispatched_at", admin.EmptyFieldListFilter), "task")
    readonly_fields = [f.name for f in PendingJob._meta.fields]
    actions = ["send_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Send the selected waiting jobs now")
    def send_now(self, request, queryset) -> None:
        sent = sum(jobs.dispatch(job.pk) for job in queryset.filter(dispatched_at__isnull=True))
        self.message_user(request, f"{sent} job(s) sent.", messages.SUCCESS if sent else messages.WARNING)


# --- Release governance: written by their pages, the API and pipelines (all audited); the admin reads -------
from governance.models import (  # noqa: E402
    AuditCheckpoint,
    Deployment,
    DeploymentCheck,
    ReleasePolicy,
    Validation,
    ValidationFinding,
)


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "sequence", "event_count", "key_id", "created_at")
    list_filter = ("organisation", "key_id")


@admin.register(ReleasePolicy)
class ReleasePolicyAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "version", "note", "created_by", "created_at")
    list_filter = ("organisation",)


@admin.register(Validation)
class ValidationAdmin(ReadOnlyAdmin):
    list_display = ("model", "version", "validator", "outcome", "started_on", "completed_on")
    list_filter = ("outcome", "organisation")
    list_select_related = ("model", "version", "validator")


@admin.register(ValidationFinding)
class ValidationFindingAdmin(ReadOnlyAdmin):
    list_display = ("title", "validation", "severity", "status", "due_date")
    list_filter = ("severity", "status")


@admin.register(DeploymentCheck)
class DeploymentCheckAdmin(ReadOnlyAdmin):
    list_display = ("model", "version", "environment", "allowed", "policy_version", "asked_by", "asked_at")
    list_filter = ("environment", "allowed")
    list_select_related = ("model", "version", "asked_by")


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = (
        "model",
        "version",
        "environment",
        "strategy",
        "status",
        "without_approval",
        "recorded_at",
    )
    list_filter = ("environment", "status", "without_approval")
    list_select_related = ("model", "version")
