from django.conf import settings
from django.db import models


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One change to a governed record. Append-only; each event hashes its predecessor (per organisation)."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.PROTECT, related_name="audit_events"
    )
    sequence = models.PositiveBigIntegerField(help_text="Position in the organisation's chain, from 1.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The username at the time, kept because the user row may later change or go.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=100, help_text="app_label.model")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=255)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}")
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "sequence"], name="unique_audit_sequence"),
        ]
        indexes = [
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["organisation", "action"]),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.actor_label or 'system'} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")


class AuditCheckpoint(models.Model):
    """A signed statement of how far an organisation's trail went: its last event's sequence and hash and the
    number of events, chained to the previous checkpoint. Deleting events at the end of the trail, rebuilding
    the chain without the key, or forging a checkpoint is then detectable (``verify_audit_trail``)."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.PROTECT, related_name="audit_checkpoints"
    )
    sequence = models.PositiveBigIntegerField(help_text="The last event covered.")
    last_hash = models.CharField(max_length=64)
    event_count = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()
    prev_checkpoint_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16, help_text="Fingerprint of the signing key.")
    signature = models.CharField(max_length=128, help_text="Ed25519 signature of the payload, base64.")
    hash = models.CharField(max_length=64, help_text="SHA-256 of the signed payload.")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "-sequence", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"Checkpoint at #{self.sequence} ({self.key_id})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("Audit checkpoints are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit checkpoints are append-only.")
