from django.conf import settings
from django.db import models
from django.utils.text import slugify

from governance.core.roles import Role


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    # Printed in every report footer, e.g. "Confidential — internal use".
    classification = models.CharField(max_length=120, default="Confidential")
    # Members who sign in with a password must also give a one-time code (TOTP). People who sign in through
    # the organisation's identity provider are not asked: the provider applies its own policy.
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Members who sign in with a password must also enter a code from an authenticator app.",
    )
    # Report branding, set by the organisation's administrators and used by every report kind.
    report_logo = models.FileField(
        upload_to="branding/",
        blank=True,
        max_length=255,
        help_text="PNG or JPEG, shown on every report's cover.",
    )
    report_accent_colour = models.CharField(
        max_length=7,
        blank=True,
        help_text="Headings and rules in reports, as #RRGGBB; empty for Plumbline's blue.",
    )
    # The roles that sign every report, in order, e.g. ["Head of model risk", "Chief risk officer"]; empty: each
    # report kind's own sign-off rows.
    report_signoff_roles = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:200]
        super().save(*args, **kwargs)

    @staticmethod
    def str_sql() -> models.Expression:
        """``str(record)`` in SQL (governance.core.naming)."""
        return models.F("name")


class BusinessUnit(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="business_units")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_business_unit_name"),
        ]

    def __str__(self) -> str:
        # Never the organisation's name: that is a query per unit in every drop-down and admin row.
        return self.name

    @staticmethod
    def str_sql() -> models.Expression:
        """``str(record)`` in SQL (governance.core.naming)."""
        return models.F("name")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    business_unit = models.ForeignKey(
        BusinessUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        help_text="The unit the member mainly works for; access is still organisation-wide.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership"),
        ]
        indexes = [models.Index(fields=["organisation", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"
