from django.contrib import admin

from governance.models import AuditEvent, BusinessUnit, Membership, Organisation


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
