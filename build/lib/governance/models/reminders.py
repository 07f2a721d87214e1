"""Reminder digests: the one email a day that lists what a user must review."""

from django.conf import settings
from django.db import models


class ReminderDigest(models.Model):
    """The one reminder email a user gets on a day; its uniqueness is what stops a second run re-sending it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_digests"
    )
    digest_date = models.DateField()
    item_count = models.PositiveIntegerField(default=0)
    # What was listed, for support questions ("why did I get this?"): [{"kind", "organisation", "title", "url", "due"}].
    items = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-digest_date", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "digest_date"], name="one_digest_per_user_per_day"),
        ]

    def __str__(self) -> str:
        return f"Reminders for {self.user} on {self.digest_date}"
