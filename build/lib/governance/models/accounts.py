"""Credentials other than a password: API tokens, and the identity-provider accounts people sign in with."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from knox.models import AbstractAuthToken


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


class TokenRevocation(models.TextChoices):
    OWNER = "owner", "Revoked by its owner"
    API = "api", "Revoked through the API with the token itself"
    PASSWORD_CHANGE = "password_change", "Revoked when the owner's password changed"
    ADMINISTRATOR = "administrator", "Revoked by an administrator"


class ApiToken(AbstractAuthToken):
    """A named, expiring, scoped API token (django-rest-knox keeps only its SHA-512 digest).

    The plain token is shown once, when it is issued. A revoked or expired token stays listed, so its owner
    (and an administrator) can still see what existed and when it was last used.
    """

    # knox makes the digest the primary key; pages address tokens by a plain number instead, so the digest
    # never appears in a URL or a log line.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=128, unique=True)
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. “Jenkins deploy pipeline”."
    )
    scope = models.CharField(max_length=20, choices=TokenScope.choices, default=TokenScope.READ)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=20, choices=TokenRevocation.choices, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API token"
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_revoked")]
        constraints = [
            models.CheckConstraint(condition=models.Q(expiry__isnull=False), name="api_token_expires"),
        ]

    def __str__(self) -> str:
        # The first characters of the token, as the account page shows them: enough to tell tokens apart.
        return f"{self.name} ({self.token_key[:8]}…)"

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else "active"


class ExternalIdentity(models.Model):
    """The identity-provider account (issuer + subject, the OpenID Connect key of a person) a user signs in as.

    Users are linked by this pair, never by email: an identity provider asserting someone's email address
    must not take over a local account that happens to share it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.URLField(max_length=500)
    subject = models.CharField(max_length=255)
    # The groups the provider sent at the last sign-in: what the roles were mapped from.
    last_groups = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issuer", "subject"]
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="unique_external_identity"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
