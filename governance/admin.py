"""The Django admin, for platform administrators.

Every write to a governed record goes through the service that audits it (issue 12), so the admins of governed
records are read-only (``ReadOnlyAdmin``, ``ReadOnlyInline``) and each says where the application changes the
record instead. Organisations, their business units and memberships have no page yet: they stay editable here,
and every admin save and delete of them goes through ``governance.services.organisations``, which audits it.
tests/test_admin.py holds every registered admin of governance and maturity to this.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import capfirst

from governance.core import jobs
from governance.models import (
    AIModel,
    ApiToken,
    ApprovalRequest,
    AuditBundle,
    AuditCheckpoint,
    AuditEvent,
    AuditVerification,
    BusinessUnit,
    ComplianceRecord,
    ControlApplicability,
    Deployment,
    DeploymentCheck,
    ExternalIdentity,
    Framework,
    Incident,
    IssuedStatement,
    KPIDefinition,
    KPIMeasurement,
    Membership,
    ModelCard,
    ModelVersion,
    Organisation,
    PendingJob,
    RegistryConnection,
    ReleasePolicy,
    ReminderDigest,
    Report,
    ReportSchedule,
    Requirement,
    Risk,
    TechnicalDocumentation,
    TechnicalDocumentationRevision,
    TokenRevocation,
    Validation,
    ValidationFinding,
    WebhookDelivery,
    WebhookEndpoint,
)
from governance.services import accounts as account_services
from governance.services import organisations


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the services that audit them: the admin shows them and changes nothing."""

    # Rendering a changelist row costs the admin about half a millisecond: 50 a page, not 100, keeps the model
    # changelist of a 10,000-model inventory near 30 ms. A filtered list says "N results" without counting the
    # whole table again.
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """The rows of a read-only record's parts: shown, never added, changed or deleted."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Organisations, business units, memberships: editable here, every write audited -----------------------


class BusinessUnitInline(admin.TabularInline):
    """Units are added and renamed with their organisation (audited); one is deleted on its own page, which
    refuses a unit still in use."""

    model = BusinessUnit
    fields = ("name", "description")
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """Audited by governance.services.organisations; never deleted (its audit trail protects it)."""

    list_display = ("name", "slug", "classification", "require_two_factor", "created_at")
    search_fields = ("name",)
    # Branding is set on the app's Report branding page, whose service checks the logo and colour.
    exclude = ("report_logo", "report_accent_colour", "report_signoff_roles")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [BusinessUnitInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        organisations.save_organisation(actor=request.user, organisation=obj)

    def save_formset(self, request, form, formset, change) -> None:
        # Only new and changed rows come back; the inline deletes nothing (can_delete is off).
        for unit in formset.save(commit=False):
            organisations.save_business_unit(actor=request.user, business_unit=unit)


@admin.register(BusinessUnit)
class BusinessUnitAdmin(admin.ModelAdmin):
    """Audited by governance.services.organisations. A unit stays in its organisation, and one that a model, an
    assessment or a schedule still names cannot be deleted (that would change them unaudited)."""

    list_display = ("name", "organisation")
    list_filter = ("organisation",)
    search_fields = ("name",)
    list_select_related = ("organisation",)

    def get_readonly_fields(self, request, obj=None):
        return ("organisation",) if obj is not None else ()

    def save_model(self, request, obj, form, change) -> None:
        organisations.save_business_unit(actor=request.user, business_unit=obj)

    def delete_model(self, request, obj) -> None:
        organisations.delete_business_unit(actor=request.user, business_unit=obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for unit in queryset:
                organisations.delete_business_unit(actor=request.user, business_unit=unit)

    def get_deleted_objects(self, objs, request):
        """What the confirmation page lists: whatever uses a unit is "protected", as PROTECT rows are, so the
        admin answers with its usual "cannot delete" page instead of deleting."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        uses = [
            f"{capfirst(use._meta.verbose_name)}: {use}"
            for unit in objs
            for use in organisations.business_unit_uses(unit)
        ]
        if uses:
            # What uses the unit says why better than "no permission to delete assessments" would.
            return deleted, counts, set(), uses
        return deleted, counts, perms_needed, protected


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "organisation", "role", "business_unit")

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        organisation_id = organisation.pk if organisation is not None else self.instance.organisation_id
        try:
            organisations.check_membership_unit(organisation_id, cleaned.get("business_unit"))
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Audited by governance.services.organisations; a membership keeps its user and organisation (to move
    someone, withdraw the membership and add another). The identity provider's memberships follow its groups at
    each sign-in."""

    form = MembershipAdminForm
    list_display = ("user", "organisation", "role", "business_unit")
    list_filter = ("organisation", "role")
    search_fields = ("user__username", "user__email")
    autocomplete_fields = ("user",)
    list_select_related = ("user", "organisation", "business_unit__organisation")

    def get_readonly_fields(self, request, obj=None):
        return ("user", "organisation") if obj is not None else ()

    def save_model(self, request, obj, form, change) -> None:
        organisations.save_membership(actor=request.user, membership=obj)

    def delete_model(self, request, obj) -> None:
        organisations.delete_membership(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for membership in queryset:
                organisations.delete_membership(actor=request.user, membership=membership)


# Deleting a person would take their memberships with them (a cascade, no event): the user admin withdraws each
# through the audited service first, so every organisation's trail records that the person left.
class AuditedUserAdmin(UserAdmin):
    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            _withdraw_memberships(request.user, [obj])
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            _withdraw_memberships(request.user, list(queryset))
            super().delete_queryset(request, queryset)


def _withdraw_memberships(actor, users) -> None:
    for membership in Membership.objects.filter(user__in=users).order_by("pk"):
        organisations.delete_membership(actor=actor, membership=membership)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AuditedUserAdmin)


# --- People's credentials and sign-ins ---------------------------------------------------------------------


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are issued by their owners (shown once); an administrator can see and revoke them, never read one."""

    list_display = ("name", "user", "scope", "created", "expiry", "last_used_at", "revoked_at")
    list_filter = ("scope", "revoked_reason")
    search_fields = ("name", "user__username", "token_key")
    list_select_related = ("user",)
    # Not the digest.
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
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        revoked = sum(
            account_services.revoke_api_token(token, reason=TokenRevocation.ADMINISTRATOR)
            for token in queryset
        )
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(ReadOnlyAdmin):
    """Linked and updated at each single sign-on (governance.services.accounts.sign_in_from_identity_provider)."""

    list_display = ("user", "issuer", "subject", "last_login_at")
    list_filter = ("issuer",)
    search_fields = ("user__username", "subject")
    list_select_related = ("user",)


# --- The audit trail ---------------------------------------------------------------------------------------


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
    list_select_related = ("organisation",)


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    """Written hourly by beat and when a report is issued (governance.core.audit.write_checkpoint)."""

    list_display = ("organisation", "sequence", "event_count", "key_id", "created_at")
    list_filter = ("organisation", "key_id")
    list_select_related = ("organisation",)


@admin.register(AuditBundle)
class AuditBundleAdmin(ReadOnlyAdmin):
    """Requested on the audit log page (audited) and built by a worker."""

    list_display = ("__str__", "organisation", "requested_by", "requested_at", "status")
    list_filter = ("organisation", "status")
    list_select_related = ("organisation", "requested_by")


@admin.register(AuditVerification)
class AuditVerificationAdmin(ReadOnlyAdmin):
    """Written by beat's verification of each organisation's trail."""

    list_display = ("organisation", "verified_at", "verified_to", "event_count", "problem_count")
    list_filter = ("organisation",)
    list_select_related = ("organisation",)


# --- Model inventory ---------------------------------------------------------------------------------------


class ModelVersionInline(ReadOnlyInline):
    model = ModelVersion
    fields = ("version", "status", "registered_at", "registered_by", "code_commit")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("registered_by")


@admin.register(AIModel)
class AIModelAdmin(ReadOnlyAdmin):
    """Changed on the model pages (edit, stage change, promotion, CSV import), audited by
    governance.services.inventory; the stage changes only through approvals held to the release policy."""

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
    # In the (organisation, name) unique index's order: the default (name, then -pk) sorts every model.
    ordering = ("organisation_id", "name")
    inlines = [ModelVersionInline]


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    """Registered by pipelines through the API and the command line, retired and promoted by approvals: all
    audited by governance.services.inventory."""

    list_display = ("model", "version", "status", "registered_at", "registered_by")
    list_filter = ("status", "model__organisation")
    search_fields = ("model__name", "version", "code_commit")
    list_select_related = ("model", "registered_by")
    # In the (model, version) index's order: the default (model, newest first) sorts every version.
    ordering = ("model_id", "version")


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    """Decisions are made on the approval page, held to the release policy; the admin only reads them."""

    list_display = ("model", "kind", "requested_stage", "version", "status", "requested_by", "decided_by")
    list_filter = ("organisation", "kind", "status")
    search_fields = ("model__name", "justification", "decision_comment")
    list_select_related = ("model", "version__model", "requested_by", "decided_by")


# --- Monitoring, risks, compliance, incidents ---------------------------------------------------------------


@admin.register(KPIDefinition)
class KPIDefinitionAdmin(ReadOnlyAdmin):
    """Defined and changed on the KPI pages, audited by governance.services.monitoring."""

    list_display = ("name", "model", "kind", "direction", "target", "warning_threshold", "critical_threshold")
    list_filter = ("kind", "direction", "model__organisation")
    search_fields = ("name", "model__name")
    list_select_related = ("model",)


@admin.register(KPIMeasurement)
class KPIMeasurementAdmin(ReadOnlyAdmin):
    """Recorded on the KPI page, through the API and the command line
    (governance.services.monitoring.record_measurements)."""

    list_display = ("kpi", "measured_at", "value", "source", "recorded_by")
    list_filter = ("source", "kpi__model__organisation")
    search_fields = ("kpi__name", "kpi__model__name")
    list_select_related = ("kpi__model", "recorded_by")


@admin.register(Risk)
class RiskAdmin(ReadOnlyAdmin):
    """Changed on the risk pages, audited by governance.services.risks."""

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


class RequirementInline(ReadOnlyInline):
    model = Requirement
    fields = ("ref", "section", "title", "applies_to")


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyAdmin):
    """Catalogues come from versioned data files: a change is a new version loaded by `load_frameworks`."""

    list_display = ("name", "key", "version", "is_current", "loaded_at")
    list_filter = ("key", "is_current")
    inlines = [RequirementInline]


@admin.register(Requirement)
class RequirementAdmin(ReadOnlyAdmin):
    """Part of its framework's catalogue version (`load_frameworks`)."""

    list_display = ("ref", "title", "framework", "section")
    list_filter = ("framework",)
    search_fields = ("ref", "title", "description")
    list_select_related = ("framework",)


@admin.register(ComplianceRecord)
class ComplianceRecordAdmin(ReadOnlyAdmin):
    """Changed on the compliance pages, audited by governance.services.compliance."""

    list_display = ("model", "requirement", "status", "reviewer", "reviewed_at", "next_review_due")
    list_filter = ("organisation", "status", "requirement__framework")
    search_fields = ("model__name", "requirement__ref", "notes")
    list_select_related = ("model", "requirement", "reviewer")
    # In the (model, requirement) index's order: the default sorts every record by requirement position.
    ordering = ("model_id", "requirement_id")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    """Kept on the Webhooks page by administrators (governance.services.webhooks); the secret never shows."""

    list_display = ("name", "organisation", "url", "active", "consecutive_failures", "disabled_at")
    list_filter = ("organisation", "active")
    list_select_related = ("organisation",)
    exclude = ("secret_encrypted",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Written by the delivery task; the delivery log page shows them per endpoint."""

    list_display = ("event", "endpoint", "status", "attempts", "response_code", "created_at")
    list_filter = ("status", "event")
    list_select_related = ("endpoint",)
    ordering = ("-pk",)


@admin.register(RegistryConnection)
class RegistryConnectionAdmin(ReadOnlyAdmin):
    """Kept on the Registries page by administrators (governance.services.registry_sync); the token never shows."""

    list_display = ("name", "organisation", "tracking_url", "active", "last_synced_at", "last_error")
    list_filter = ("organisation", "active")
    list_select_related = ("organisation",)
    exclude = ("token_encrypted",)


@admin.register(ControlApplicability)
class ControlApplicabilityAdmin(ReadOnlyAdmin):
    """Changed on the Statement of Applicability page, audited by governance.services.applicability."""

    list_display = ("ref", "organisation", "applicable", "implementation_status", "owner", "next_review_due")
    list_filter = ("organisation", "applicable", "implementation_status")
    search_fields = ("ref", "justification")
    list_select_related = ("organisation", "owner")
    ordering = ("organisation_id", "pk")


@admin.register(IssuedStatement)
class IssuedStatementAdmin(ReadOnlyAdmin):
    """Written once when a statement is issued (governance.services.applicability); never changed."""

    list_display = ("number", "organisation", "issued_at", "issued_by", "sha256")
    list_filter = ("organisation",)
    list_select_related = ("organisation", "issued_by")
    exclude = ("entries",)


@admin.register(TechnicalDocumentation)
class TechnicalDocumentationAdmin(ReadOnlyAdmin):
    """Written on the model's Annex IV page, with every earlier text kept as a revision."""

    list_display = ("model", "organisation", "updated_by", "updated_at")
    list_filter = ("organisation",)
    search_fields = ("model__name",)
    list_select_related = ("model", "organisation", "updated_by")


@admin.register(TechnicalDocumentationRevision)
class TechnicalDocumentationRevisionAdmin(ReadOnlyAdmin):
    """Every text a free-text Annex IV field held; written with the document, never changed."""

    list_display = ("document", "field", "edited_by", "edited_at")
    list_filter = ("field",)
    list_select_related = ("document", "edited_by")


@admin.register(ModelCard)
class ModelCardAdmin(ReadOnlyAdmin):
    """Posted by pipelines or written on the version's page (governance.services.model_cards)."""

    list_display = ("version", "organisation", "updated_by", "updated_at")
    list_filter = ("organisation",)
    search_fields = ("version__model__name", "version__version")
    list_select_related = ("version__model", "organisation", "updated_by")


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    """Changed on the incident pages, audited by governance.services.incidents."""

    list_display = ("title", "model", "severity", "status", "occurred_at", "financial_loss")
    list_filter = ("organisation", "severity", "status")
    search_fields = ("title", "description", "model__name")
    list_select_related = ("model",)


# --- Reports, schedules, reminders, the job outbox ----------------------------------------------------------


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Requested on the reports page (audited) and issued by a worker: an issued document is never edited or
    deleted."""

    list_display = ("title", "organisation", "kind", "status", "requested_by", "requested_at", "sha256")
    list_filter = ("organisation", "kind", "status")
    search_fields = ("title", "sha256")
    list_select_related = ("organisation", "requested_by")


@admin.register(ReportSchedule)
class ReportScheduleAdmin(ReadOnlyAdmin):
    """Created, changed, run and deleted on the report schedules page, audited by
    governance.services.report_schedules (which keeps the beat entry in step)."""

    list_display = ("organisation", "kind", "frequency", "active", "last_run_period", "created_by")
    list_filter = ("organisation", "kind", "frequency", "active")
    list_select_related = ("organisation", "created_by")


@admin.register(ReminderDigest)
class ReminderDigestAdmin(ReadOnlyAdmin):
    """Written by the daily reminder run (governance.services.reminders.send_daily_digests)."""

    list_display = ("user", "digest_date", "item_count", "sent_at")
    list_filter = ("digest_date",)
    search_fields = ("user__username",)
    list_select_related = ("user",)


@admin.register(PendingJob)
class PendingJobAdmin(ReadOnlyAdmin):
    """The outbox: jobs waiting for the broker (and, for a week, the ones sent). Read-only; "Send now" retries."""

    list_display = ("task", "created_at", "dispatched_at", "attempts", "last_error")
    list_filter = (("dispatched_at", admin.EmptyFieldListFilter), "task")
    actions = ["send_now"]

    @admin.action(description="Send the selected waiting jobs now")
    def send_now(self, request, queryset) -> None:
        sent = sum(jobs.dispatch(job.pk) for job in queryset.filter(dispatched_at__isnull=True))
        self.message_user(request, f"{sent} job(s) sent.", messages.SUCCESS if sent else messages.WARNING)


# --- Release governance: written by their pages, the API and pipelines (all audited); the admin reads -------


@admin.register(ReleasePolicy)
class ReleasePolicyAdmin(ReadOnlyAdmin):
    """A change is a new version, put in force on the release policy page (audited)."""

    list_display = ("organisation", "version", "note", "created_by", "created_at")
    list_filter = ("organisation",)
    list_select_related = ("organisation", "created_by")


@admin.register(Validation)
class ValidationAdmin(ReadOnlyAdmin):
    """Recorded on the model's validation pages and the API, audited by governance.services.release."""

    list_display = ("model", "version", "validator", "outcome", "started_on", "completed_on")
    list_filter = ("outcome", "organisation")
    list_select_related = ("model", "version__model", "validator")


@admin.register(ValidationFinding)
class ValidationFindingAdmin(ReadOnlyAdmin):
    """Raised and closed on the validation pages, audited by governance.services.release."""

    list_display = ("title", "validation", "severity", "status", "due_date")
    list_filter = ("severity", "status")
    list_select_related = ("validation",)


@admin.register(DeploymentCheck)
class DeploymentCheckAdmin(ReadOnlyAdmin):
    """Asked by pipelines of the deployment gate (governance.services.release.ask_gate); kept whatever it said."""

    list_display = ("model", "version", "environment", "allowed", "policy_version", "asked_by", "asked_at")
    list_filter = ("environment", "allowed")
    list_select_related = ("model", "version__model", "asked_by")


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    """Recorded by pipelines (governance.services.release.record_deployment)."""

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
    list_select_related = ("model", "version__model")
