"""Integrations with the tools ML teams already use: webhook endpoints that receive signed events, and the
MLflow tracking servers whose model registries Plumbline keeps in step with its inventory.

Secrets (a webhook's signing secret, a registry's access token) are stored encrypted with a key derived from
``SECRET_KEY`` (``governance.core.secrets``) and never shown back after they are set.
"""

import uuid

from django.conf import settings
from django.db import models


class WebhookEndpoint(models.Model):
    """A URL an organisation's administrators registered to receive some of its events, signed with a secret."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500)
    # Event names (governance.services.webhooks.EVENTS); an empty list receives none.
    events = models.JSONField(default=list)
    secret_encrypted = models.TextField()
    active = models.BooleanField(default=True)
    # Consecutive failed deliveries (reset by a success); past the limit the endpoint is disabled.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "name"]
        indexes = [models.Index(fields=["organisation", "active"])]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one endpoint, with every attempt's outcome."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    organisation = models.ForeignKey("governance.Organisation", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=60)
    # The receiver's idempotency key: the same id on every retry of this delivery.
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["endpoint", "-created_at"]),
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


class RegistryConnection(models.Model):
    """An MLflow tracking server whose model registry is synchronised into the organisation's inventory."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="registry_connections"
    )
    name = models.CharField(max_length=120)
    tracking_url = models.URLField(max_length=500)
    token_encrypted = models.TextField(blank=True)
    # The alias Plumbline sets on a version when it approves its promotion (and watches for moves).
    champion_alias = models.CharField(max_length=60, default="champion")
    active = models.BooleanField(default=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_sync_summary = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_registry_connection_name"),
        ]

    def __str__(self) -> str:
        return self.name
