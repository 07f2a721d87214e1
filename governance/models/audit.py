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
            # The audit log's actor and record-type drop-downs list the values the trail holds.
            models.Index(fields=["organisation", "actor_label"]),
            models.Index(fields=["organisation", "object_type"]),
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
    # Optional external anchoring (AUDIT_TIMESTAMP_URL): an RFC 3161 time-stamping authority's DER answer over
    # ``hash``, obtained before the row is inserted and not part of the signed payload; its genTime beside it.
    timestamp_token = models.BinaryField(null=True, blank=True, editable=False)
    timestamped_at = models.DateTimeField(null=True, blank=True, editable=False)

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


class AuditBundleStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class AuditBundle(models.Model):
    """An evidence bundle an auditor verifies offline: the trail's events (or a date range of them), its signed
    checkpoints, the public keys and the issued reports, in a zip with a manifest (governance.core.bundle).
    Built by a worker, since a large trail takes a while; the zip's SHA-256 is kept with it."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="audit_bundles"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=AuditBundleStatus.choices, default=AuditBundleStatus.QUEUED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    # Touched while a worker writes the zip; a running bundle whose heartbeat stops lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    event_count = models.PositiveBigIntegerField(null=True, blank=True)
    checkpoint_count = models.PositiveIntegerField(null=True, blank=True)
    byte_size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to="audit-bundles/%Y/%m/", blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-requested_at"])]

    def __str__(self) -> str:
        return f"Audit bundle #{self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {AuditBundleStatus.READY, AuditBundleStatus.FAILED}


class AuditVerification(models.Model):
    """The outcome of one full verification of an organisation's trail (chain and signed checkpoints), run by
    beat: the audit log page shows the latest instead of re-verifying on every view."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="audit_verifications"
    )
    verified_at = models.DateTimeField()
    # The last event checked and how many there were.
    verified_to = models.PositiveBigIntegerField(default=0)
    event_count = models.PositiveBigIntegerField(default=0)
    checkpoint_count = models.PositiveIntegerField(default=0)
    # Each problem as verify_chain names it (the first 100); empty when the trail is intact.
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["organisation", "-verified_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-verified_at"])]

    def __str__(self) -> str:
        outcome = "intact" if not self.problem_count else f"{self.problem_count} problem(s)"
        return f"Verified to #{self.verified_to}: {outcome}"

    @property
    def intact(self) -> bool:
        return self.problem_count == 0
