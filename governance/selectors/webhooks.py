"""Webhook reads: an organisation's endpoints with their latest delivery, and an endpoint's delivery log."""

from django.db.models import OuterRef, QuerySet, Subquery

from governance.models import Organisation, WebhookDelivery, WebhookEndpoint


def endpoints_for(organisation: Organisation) -> QuerySet[WebhookEndpoint]:
    """The organisation's endpoints by name, each with its latest delivery's status and time (one query)."""
    latest = WebhookDelivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        WebhookEndpoint.objects.filter(organisation=organisation)
        .select_related("created_by")
        .defer("secret_encrypted")
        .annotate(
            latest_status=Subquery(latest.values("status")[:1]),
            latest_at=Subquery(latest.values("created_at")[:1]),
        )
        .order_by("name", "pk")
    )


def deliveries_for(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first; the payload stays in the database (the log shows its outcome)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).defer("payload").order_by("-created_at", "-pk")
