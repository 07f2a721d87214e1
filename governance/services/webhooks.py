"""Signed webhooks: administrators register endpoints; governance events are delivered to them by Celery workers.

Other services call ``emit_event`` (or one of the ``emit_*`` helpers that shape an event's data) inside their own
transaction: one ``WebhookDelivery`` per active endpoint subscribed to the event is stored with the change, and a
job to send them goes through the outbox (``governance.core.jobs``), so nothing is sent for a change that rolled
back and nothing is lost when the broker is down.

A worker POSTs the JSON payload signed with the endpoint's secret (HMAC-SHA256 over ``"{timestamp}.{body}"``). A
2xx answer is a success; anything else is retried with backoff (``RETRY_DELAYS``), then the delivery fails. After
``WEBHOOK_DISABLE_AFTER_FAILURES`` failed deliveries in a row the endpoint is disabled, audited as the system's
act, and the organisation's administrators are emailed.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from governance.core.audit import delete_audited, diff, record_event, snapshot
from governance.core.errors import ConflictError
from governance.core.jobs import enqueue, enqueue_on_commit
from governance.core.roles import Permission, Role
from governance.core.secrets import SecretUnavailable, decrypt_secret, encrypt_secret
from governance.core.tenancy import require
from governance.models import DeliveryStatus, Membership, Organisation, WebhookDelivery, WebhookEndpoint
from governance.models.actions import GovernanceAction
from governance.rules.kpi_status import BREACHES, NO_DATA

logger = logging.getLogger(__name__)

# The events an endpoint may subscribe to, in the order the form lists them. ``kpi.degrading``, ``kpi.stale`` and
# ``model.unapproved_promotion`` are emitted by the drift, freshness and registry-sync code.
EVENTS: dict[str, str] = {
    "approval.requested": "An approval (stage change or promotion) was requested.",
    "approval.decided": "An approval was approved or rejected.",
    "model.stage_changed": "A model moved to another lifecycle stage.",
    "deployment.denied": "The deployment gate refused a version.",
    "kpi.breach": "A KPI moved into a warning or critical status (or between them).",
    "kpi.recovered": "A KPI in breach is back within its thresholds.",
    "kpi.degrading": "A KPI is trending towards its thresholds.",
    "kpi.stale": "A KPI has not been measured within its expected cadence.",
    "model.unapproved_promotion": "A version was promoted in a model registry without an approval.",
    "report.ready": "A report finished rendering and can be downloaded.",
    "incident.opened": "An incident was reported.",
}
# Sent only by "Send test event", to the one endpoint, whatever it subscribed to.
PING = "ping"

DELIVER_TASK = "governance.tasks.deliver_webhook"
FAN_OUT_TASK = "governance.tasks.deliver_webhooks"

# The wait before each retry: attempt n failed -> attempt n+1 after RETRY_DELAYS[n-1]; about 8.6 hours in all.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# An attempt holds its delivery this long: a duplicate task for it is a no-op meanwhile, and a worker that died
# mid-attempt gives it back to the sweep afterwards.
ATTEMPT_LEASE = timedelta(minutes=2)
# A pending delivery younger than this is left to the job that was recorded with it.
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_BATCH = 500
CONNECT_TIMEOUT = 5.0
EXCERPT_CHARS = 500
MIN_SECRET_LENGTH = 24
MAX_SECRET_LENGTH = 200
MAX_ENDPOINTS = 25
USER_AGENT = "Plumbline-Webhooks/1"
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
AUDITED_FIELDS = ["name", "url", "events", "active", "disabled_at", "disabled_reason"]
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


# --- Signing (what receivers reimplement; see the README) ---------------------------------------------------


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Plumbline-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of ``"{timestamp}.{body}"``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


# --- Where deliveries may go ---------------------------------------------------------------------------------


def _loopback_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WEBHOOK_ALLOW_HTTP_LOCALHOST", False))


def _address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a receiver at ``address`` is refused, or None: an endpoint must not make Plumbline probe its own
    host, the networks behind the firewall or a cloud's metadata service."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if _loopback_allowed() else "Addresses of this host (loopback) are not allowed."
    if address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved:
        return "Link-local, multicast and reserved addresses are not allowed."
    if address.is_private and not getattr(settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False):
        return "Private network addresses are not allowed (WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)."
    return None


def _is_loopback_host(host: str) -> bool:
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problems(url: Any) -> list[str]:
    """What is wrong with ``url`` as a webhook endpoint (empty when it will do); no network access."""
    if not isinstance(url, str) or not url.strip():
        return ["Enter the endpoint's URL."]
    url = url.strip()
    if len(url) > 500:
        return ["At most 500 characters."]
    if "\x00" in url:
        return ["Null characters are not allowed."]
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises ValueError for a port out of range
    except (ValidationError, ValueError):
        return ["Enter a valid http(s) URL, e.g. https://hooks.example.com/plumbline."]
    if parts.username is not None or parts.password is not None:
        return ["Credentials in the URL are not allowed: authenticate the request by its signature."]
    loopback = _is_loopback_host(host)
    if parts.scheme != "https" and not (loopback and _loopback_allowed()):
        return ["Use https: events carry governance data and must be encrypted in transit."]
    if loopback:
        return [] if _loopback_allowed() else ["Addresses of this host (localhost) are not allowed."]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return []  # a name: what it resolves to is checked at each delivery
    problem = _address_problem(address)
    return [problem] if problem else []


def _destination_problem(url: str) -> str | None:
    """Resolve the endpoint's host now, at delivery, and refuse it if any address is not allowed (a name can be
    pointed at an internal address after it was registered)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return f"Could not resolve {host}: {exc}"
    for info in infos:
        problem = _address_problem(ipaddress.ip_address(info[4][0].split("%", 1)[0]))
        if problem:
            return f"{host} resolves to {info[4][0]}: {problem}"
    return None


# --- Endpoints (administrators) ------------------------------------------------------------------------------


def _clean_events(events: Any) -> tuple[list[str], list[str]]:
    if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
        return [], ["Give a list of event names."]
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        return [], [f"Unknown event(s): {', '.join(unknown)}. Known events: {', '.join(EVENTS)}."]
    if not events:
        return [], ["Choose at least one event."]
    return [name for name in EVENTS if name in events], []


def _secret_problems(secret: Any) -> list[str]:
    if not isinstance(secret, str):
        return ["The secret must be text."]
    if len(secret) < MIN_SECRET_LENGTH:
        return [f"At least {MIN_SECRET_LENGTH} characters (or leave it empty for a generated one)."]
    if len(secret) > MAX_SECRET_LENGTH:
        return [f"At most {MAX_SECRET_LENGTH} characters."]
    if not secret.isascii() or not secret.isprintable() or any(c.isspace() for c in secret):
        return ["Use printable ASCII characters without spaces."]
    return []


def _validate(
    organisation: Organisation,
    endpoint: WebhookEndpoint | None,
    name: Any,
    url: Any,
    events: Any,
    secret: Any,
) -> tuple[str, str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = ["Give the endpoint a name."]
    elif len(name) > 120:
        errors["name"] = ["At most 120 characters."]
    elif "\x00" in name:
        errors["name"] = ["Null characters are not allowed."]
    elif (
        WebhookEndpoint.objects.filter(organisation=organisation, name=name)
        .exclude(pk=endpoint.pk if endpoint else None)
        .exists()
    ):
        errors["name"] = [f"This organisation already has a webhook named “{name}”."]
    if problems := url_problems(url):
        errors["url"] = problems
    cleaned_events, problems = _clean_events(events)
    if problems:
        errors["events"] = problems
    if secret not in (None, "") and (problems := _secret_problems(secret)):
        errors["secret"] = problems
    if errors:
        raise ValidationError(errors)
    return name, url.strip(), cleaned_events


def webhook_endpoint_save(
    *,
    actor,
    organisation: Organisation,
    name: str,
    url: str,
    events: list[str],
    secret: str | None = None,
    active: bool = True,
    endpoint: WebhookEndpoint | None = None,
) -> tuple[WebhookEndpoint, str | None]:
    """Create an endpoint, or change ``endpoint``; returns it and the secret to show the administrator once.

    A new endpoint without a secret gets a generated one, returned here and never again (only its encryption is
    stored). On a change, a given ``secret`` replaces the stored one and ``None`` keeps it. The audit event lists
    what changed, never the secret (only that it was replaced).
    """
    require(actor, organisation, Permission.ORGANISATION_MANAGE)
    if endpoint is not None and endpoint.organisation_id != organisation.pk:
        raise ValidationError("This webhook belongs to another organisation.")
    name, url, events = _validate(organisation, endpoint, name, url, events, secret)
    generated = generate_secret() if endpoint is None and not secret else None
    with transaction.atomic():
        if endpoint is None:
            # Creations take turns, so the limit holds; changes lock the endpoint (then record_event the
            # organisation), the order deliveries take too.
            Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
            if WebhookEndpoint.objects.filter(organisation=organisation).count() >= MAX_ENDPOINTS:
                raise ValidationError(f"An organisation has at most {MAX_ENDPOINTS} webhook endpoints.")
            created = WebhookEndpoint.objects.create(
                organisation=organisation,
                name=name,
                url=url,
                events=events,
                secret_encrypted=encrypt_secret(secret or generated or ""),
                active=bool(active),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            record_event(
                organisation=organisation,
                actor=actor,
                action=GovernanceAction.WEBHOOK_CREATE,
                obj=created,
                changes=diff(None, snapshot(created, AUDITED_FIELDS)),
            )
            return created, generated
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = snapshot(locked, AUDITED_FIELDS)
        locked.name, locked.url, locked.events = name, url, events
        if bool(active) != locked.active:
            _set_active(locked, bool(active))
        changes = diff(before, snapshot(locked, AUDITED_FIELDS))
        if secret:
            locked.secret_encrypted = encrypt_secret(secret)
            changes["secret"] = ["(previous)", "(replaced)"]
        if changes:
            locked.save()
            record_event(
                organisation=organisation,
                actor=actor,
                action=GovernanceAction.WEBHOOK_UPDATE,
                obj=locked,
                changes=changes,
            )
    return locked, None


def _set_active(endpoint: WebhookEndpoint, active: bool) -> None:
    """Switch an endpoint on (clearing a disabling and its failure count) or off (failing what waits for it)."""
    endpoint.active = active
    if active:
        endpoint.disabled_at, endpoint.disabled_reason, endpoint.consecutive_failures = None, "", 0
    else:
        _close_open_deliveries(endpoint, "Not sent: the endpoint was switched off.")


def _close_open_deliveries(endpoint: WebhookEndpoint, reason: str) -> None:
    WebhookDelivery.objects.filter(endpoint=endpoint, status__in=OPEN_STATUSES).update(
        status=DeliveryStatus.FAILED, error=reason, next_attempt_at=None
    )


def webhook_secret_rotate(*, actor, endpoint: WebhookEndpoint) -> str:
    """Replace the endpoint's secret with a generated one and return it (to show once). Deliveries sent from now
    on, retries included, are signed with the new secret."""
    require(actor, endpoint.organisation_id, Permission.ORGANISATION_MANAGE)
    secret = generate_secret()
    with transaction.atomic():
        locked = (
            WebhookEndpoint.objects.select_for_update().select_related("organisation").get(pk=endpoint.pk)
        )
        locked.secret_encrypted = encrypt_secret(secret)
        locked.save(update_fields=["secret_encrypted"])
        record_event(
            organisation=locked.organisation,
            actor=actor,
            action=GovernanceAction.WEBHOOK_UPDATE,
            obj=locked,
            changes={"secret": ["(previous)", "(rotated)"]},
        )
    return secret


def webhook_endpoint_enable(*, actor, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Switch a disabled (or paused) endpoint back on, with a clean failure count."""
    require(actor, endpoint.organisation_id, Permission.ORGANISATION_MANAGE)
    with transaction.atomic():
        locked = (
            WebhookEndpoint.objects.select_for_update().select_related("organisation").get(pk=endpoint.pk)
        )
        if locked.active:
            raise ConflictError("This webhook is already active.")
        before = snapshot(locked, [*AUDITED_FIELDS, "consecutive_failures"])
        _set_active(locked, True)
        locked.save(update_fields=["active", "disabled_at", "disabled_reason", "consecutive_failures"])
        record_event(
            organisation=locked.organisation,
            actor=actor,
            action=GovernanceAction.WEBHOOK_UPDATE,
            obj=locked,
            changes=diff(before, snapshot(locked, [*AUDITED_FIELDS, "consecutive_failures"])),
        )
    return locked


def webhook_endpoint_delete(*, actor, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery log; the audit event keeps its name, URL and events."""
    require(actor, endpoint.organisation_id, Permission.ORGANISATION_MANAGE)
    with transaction.atomic():
        locked = (
            WebhookEndpoint.objects.select_for_update().select_related("organisation").get(pk=endpoint.pk)
        )
        delete_audited(
            organisation=locked.organisation,
            actor=actor,
            action=GovernanceAction.WEBHOOK_DELETE,
            obj=locked,
            fields=AUDITED_FIELDS,
        )


def webhook_send_test(*, actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a ``ping`` event to this endpoint alone, whatever it subscribed to."""
    require(actor, endpoint.organisation_id, Permission.ORGANISATION_MANAGE)
    with transaction.atomic():
        locked = (
            WebhookEndpoint.objects.select_for_update().select_related("organisation").get(pk=endpoint.pk)
        )
        if not locked.active:
            raise ConflictError("This webhook is not active: switch it on before sending a test event.")
        data = {
            "endpoint": {"id": locked.pk, "name": locked.name},
            "message": "A test event sent from Plumbline's webhook page.",
            "sent_by": actor.get_username(),
        }
        now = timezone.now()
        delivery = WebhookDelivery.objects.create(
            endpoint=locked,
            organisation=locked.organisation,
            event=PING,
            payload=_envelope(locked.organisation, PING, uuid.uuid4(), now, data),
            next_attempt_at=now,
        )
        enqueue_on_commit(DELIVER_TASK, delivery_id=delivery.pk)
    return delivery


def webhook_redeliver(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a failed delivery again, as a new delivery with the same event id and payload (the receiver can tell
    it is the same event); the failed one stays in the log as it was."""
    require(actor, delivery.organisation_id, Permission.ORGANISATION_MANAGE)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        original = WebhookDelivery.objects.get(pk=delivery.pk)
        if original.status != DeliveryStatus.FAILED:
            raise ConflictError("Only a failed delivery can be sent again.")
        if not endpoint.active:
            raise ConflictError("This webhook is not active: re-enable it before redelivering.")
        again = WebhookDelivery.objects.create(
            endpoint=endpoint,
            organisation_id=original.organisation_id,
            event=original.event,
            event_id=original.event_id,
            payload=original.payload,
            next_attempt_at=timezone.now(),
        )
        enqueue_on_commit(DELIVER_TASK, delivery_id=again.pk)
    return again


# --- Emitting events (called by other services inside their transactions) ----------------------------------


def _envelope(
    organisation: Organisation, event: str, event_id: uuid.UUID, created_at: datetime, data: dict
) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "event": event,
        "created_at": created_at.isoformat(),
        "organisation": {"id": organisation.pk, "slug": organisation.slug, "name": organisation.name},
        # Dates, decimals and UUIDs as JSON text now, so the stored payload is what every attempt sends.
        "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    }


def emit_event(*, organisation: Organisation, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint of the organisation subscribed to it; sent after the caller's
    transaction commits. One query when no endpoint wants it; three (endpoints, deliveries, the outbox job)
    when some do, however many."""
    if event not in EVENTS:
        raise ValueError(
            f"Unknown webhook event {event!r}: declare it in governance.services.webhooks.EVENTS."
        )
    endpoint_ids = [
        pk
        for pk, events in WebhookEndpoint.objects.filter(organisation=organisation, active=True).values_list(
            "pk", "events"
        )
        if event in (events or [])
    ]
    if not endpoint_ids:
        return []
    now = timezone.now()
    event_id = uuid.uuid4()
    envelope = _envelope(organisation, event, event_id, now, payload)
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=pk,
                organisation=organisation,
                event=event,
                event_id=event_id,
                payload=envelope,
                next_attempt_at=now,
            )
            for pk in endpoint_ids
        ]
    )
    enqueue_on_commit(FAN_OUT_TASK, delivery_ids=[d.pk for d in deliveries])
    return deliveries


def _link(name: str, *args: Any) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def model_data(model) -> dict[str, Any]:
    """A model as every event shows it (``data.model``); other apps' events use it too, for one shape."""
    return {
        "id": model.pk,
        "name": model.name,
        "lifecycle_stage": model.lifecycle_stage,
        "risk_tier": model.risk_tier,
        "url": _link("governance:model-detail", model.pk),
    }


def kpi_data(kpi) -> dict[str, Any]:
    """A KPI as every KPI event shows it (``data.kpi``): breach, recovery, degrading, stale."""
    return {
        "id": kpi.pk,
        "name": kpi.name,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "target": kpi.target,
        "warning_threshold": kpi.warning_threshold,
        "critical_threshold": kpi.critical_threshold,
        "url": _link("governance:kpi-detail", kpi.pk),
    }


def _approval_data(request) -> dict[str, Any]:
    return {
        "id": request.pk,
        "kind": request.kind,
        "status": request.status,
        "requested_stage": request.requested_stage or None,
        "version": {"id": request.version_id, "version": request.version.version}
        if request.version_id
        else None,
        "justification": request.justification,
        "requested_by": _username(request.requested_by),
        "requested_at": request.requested_at,
        "url": _link("governance:approval-detail", request.pk),
    }


def emit_approval_requested(request) -> None:
    emit_event(
        organisation=request.organisation,
        event="approval.requested",
        payload={"approval": _approval_data(request), "model": model_data(request.model)},
    )


def emit_approval_decided(request) -> None:
    approval = _approval_data(request) | {
        "decided_by": _username(request.decided_by),
        "decided_at": request.decided_at,
        "decision_comment": request.decision_comment,
        "overridden": request.overridden,
    }
    emit_event(
        organisation=request.organisation,
        event="approval.decided",
        payload={"approval": approval, "model": model_data(request.model)},
    )


def emit_stage_changed(model, *, previous_stage: str, actor, approval=None) -> None:
    emit_event(
        organisation=model.organisation,
        event="model.stage_changed",
        payload={
            "model": model_data(model),
            "previous_stage": previous_stage,
            "stage": model.lifecycle_stage,
            "changed_by": _username(actor if getattr(actor, "is_authenticated", False) else None),
            "approval_id": approval.pk if approval is not None else None,
        },
    )


def emit_deployment_denied(check) -> None:
    emit_event(
        organisation=check.model.organisation,
        event="deployment.denied",
        payload={
            "check": {
                "id": check.pk,
                "environment": check.environment,
                "policy_version": check.policy_version,
                "asked_by": _username(check.asked_by),
                "asked_at": check.asked_at,
                "failed_checks": [
                    {"name": c["name"], "message": c["message"]} for c in check.checks if not c["passed"]
                ],
            },
            "model": model_data(check.model),
            "version": {"id": check.version_id, "version": check.version.version},
        },
    )


def kpi_transition(previous: str, new: str, breaches: tuple[str, ...] = BREACHES) -> str | None:
    """The event a KPI's status change makes: a new breach status (entered, or changed severity) is a breach;
    leaving breach for ok is a recovery; anything else (no data, no change) none."""
    if new == previous:
        return None
    if new in breaches:
        return "kpi.breach"
    if previous in breaches and new != NO_DATA:
        return "kpi.recovered"
    return None


def emit_kpi_status_change(kpi, *, previous_status: str) -> None:
    """``kpi.breach`` or ``kpi.recovered`` when the KPI's latest status moved so (the caller holds its lock)."""
    event = kpi_transition(previous_status, kpi.latest_status)
    if event is None:
        return
    model = kpi.model
    emit_event(
        organisation=model.organisation,
        event=event,
        payload={
            "kpi": kpi_data(kpi),
            "model": model_data(model),
            "previous_status": previous_status,
            "status": kpi.latest_status,
            "value": kpi.latest_value,
            "measured_at": kpi.latest_measured_at,
        },
    )


def emit_report_ready(report) -> None:
    emit_event(
        organisation=report.organisation,
        event="report.ready",
        payload={
            "report": {
                "id": report.pk,
                "kind": report.kind,
                "title": report.title,
                "sha256": report.sha256,
                "page_count": report.page_count,
                "byte_size": report.byte_size,
                "requested_by": _username(report.requested_by),
                "finished_at": report.finished_at,
                "download_url": _link("governance:report-download", report.pk),
            }
        },
    )


def emit_incident_opened(incident) -> None:
    emit_event(
        organisation=incident.organisation,
        event="incident.opened",
        payload={
            "incident": {
                "id": incident.pk,
                "title": incident.title,
                "severity": incident.severity,
                "status": incident.status,
                "occurred_at": incident.occurred_at,
                "detected_at": incident.detected_at,
                "reported_by": _username(incident.reported_by),
                "url": _link("governance:incident-detail", incident.pk),
            },
            "model": model_data(incident.model),
        },
    )


# --- Delivering (Celery workers) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    response_code: int | None = None
    excerpt: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300


def _storable(text: str, limit: int = EXCERPT_CHARS) -> str:
    # PostgreSQL text cannot hold NUL; receivers answer whatever they like.
    return text.replace("\x00", "")[:limit]


def _post(url: str, secret: str, payload: dict, event: str, event_id: str) -> Outcome:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Plumbline-Event": event,
        "X-Plumbline-Delivery": event_id,
        "X-Plumbline-Timestamp": timestamp,
        "X-Plumbline-Signature": signature(secret, timestamp, body),
    }
    problem = _destination_problem(url)
    if problem:
        return Outcome(error=_storable(problem))
    try:
        # Redirects are not followed: the signature vouches for this URL only, and a redirect could lead inside.
        with requests.post(
            url,
            data=body,
            headers=headers,
            timeout=(CONNECT_TIMEOUT, settings.WEBHOOK_TIMEOUT_SECONDS),
            allow_redirects=False,
            stream=True,
        ) as response:
            start = next(response.iter_content(EXCERPT_CHARS * 4), b"")
            excerpt = start.decode(response.encoding or "utf-8", errors="replace")
            code = response.status_code
    except requests.RequestException as exc:
        return Outcome(error=_storable(f"{type(exc).__name__}: {exc}"))
    error = ""
    if 300 <= code < 400:
        error = f"Redirect to {response.headers.get('Location', '?')} not followed: register the final URL."
    elif not 200 <= code < 300:
        error = f"The receiver answered HTTP {code}."
    return Outcome(response_code=code, excerpt=_storable(excerpt), error=_storable(error))


def deliver(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Make one attempt at a delivery if it is still open and due (idempotent: a duplicate task is a no-op).

    The attempt is claimed under the row lock (``next_attempt_at`` moves past the lease) and committed before the
    request, which runs outside any transaction; its outcome is then stored under the lock again. ``now`` lets
    tests stand at the time a retry is due.
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status not in OPEN_STATUSES:
            return delivery
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return delivery
        endpoint = delivery.endpoint
        if not endpoint.active:
            _finish(delivery, DeliveryStatus.FAILED, error="Not sent: the endpoint is not active.")
            return delivery
        try:
            secret = decrypt_secret(endpoint.secret_encrypted)
        except SecretUnavailable:
            _finish(
                delivery,
                DeliveryStatus.FAILED,
                error="Not sent: the signing secret cannot be read (SECRET_KEY changed). Rotate the secret.",
            )
            return delivery
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + ATTEMPT_LEASE
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
        url, attempt = endpoint.url, delivery.attempts
    outcome = _post(url, secret, delivery.payload, delivery.event, str(delivery.event_id))
    return _record_outcome(delivery_id, endpoint.pk, attempt, outcome, now=now)


def _finish(delivery: WebhookDelivery, status: str, *, error: str) -> None:
    delivery.status, delivery.error, delivery.next_attempt_at = status, error, None
    delivery.save(update_fields=["status", "error", "next_attempt_at"])


def _record_outcome(
    delivery_id: int, endpoint_id: int, attempt: int, outcome: Outcome, *, now: datetime
) -> WebhookDelivery:
    with transaction.atomic():
        # The endpoint first: switching it off locks it, then fails its open deliveries.
        endpoint = (
            WebhookEndpoint.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=endpoint_id)
        )
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        # Switched off during the attempt: its failure is recorded but neither retried nor counted.
        closed = delivery.status not in OPEN_STATUSES
        delivery.response_code = outcome.response_code
        delivery.response_excerpt = outcome.excerpt
        delivery.error = outcome.error
        if outcome.succeeded:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                DeliveryStatus.SUCCEEDED,
                now,
                None,
            )
            if endpoint.consecutive_failures:
                endpoint.consecutive_failures = 0
                endpoint.save(update_fields=["consecutive_failures"])
        elif closed:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        elif attempt < MAX_ATTEMPTS and endpoint.active:
            delivery.status = DeliveryStatus.RETRYING
            delivery.next_attempt_at = now + RETRY_DELAYS[attempt - 1]
        else:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            endpoint.consecutive_failures += 1
            endpoint.save(update_fields=["consecutive_failures"])
            if endpoint.active and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
                _disable(endpoint, outcome, now=now)
        delivery.save(
            update_fields=[
                "status",
                "response_code",
                "response_excerpt",
                "error",
                "next_attempt_at",
                "delivered_at",
            ]
        )
    return delivery


def _disable(endpoint: WebhookEndpoint, last: Outcome, *, now: datetime) -> None:
    """Switch off an endpoint that keeps failing, as the system's act in the audit trail, and tell the admins."""
    before = snapshot(endpoint, AUDITED_FIELDS)
    last_error = last.error or (f"HTTP {last.response_code}" if last.response_code else "no answer")
    endpoint.active, endpoint.disabled_at = False, now
    endpoint.disabled_reason = _storable(
        f"{endpoint.consecutive_failures} deliveries in a row failed after all their retries; the last: {last_error}",
        300,
    )
    endpoint.save(update_fields=["active", "disabled_at", "disabled_reason"])
    _close_open_deliveries(endpoint, "Not sent: the endpoint was disabled after repeated failures.")
    record_event(
        organisation=endpoint.organisation,
        actor=None,
        action=GovernanceAction.WEBHOOK_DISABLED,
        obj=endpoint,
        changes=diff(before, snapshot(endpoint, AUDITED_FIELDS)),
    )
    endpoint_id = endpoint.pk
    transaction.on_commit(lambda: _email_disabled(endpoint_id))


def _email_disabled(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("organisation").filter(pk=endpoint_id).first()
    if endpoint is None:
        return
    recipients = sorted(
        {
            email
            for email in Membership.objects.filter(
                organisation=endpoint.organisation_id, role=Role.ADMIN
            ).values_list("user__email", flat=True)
            if email
        }
    )
    if not recipients:
        return
    send_mail(
        subject=f"[Plumbline] Webhook “{endpoint.name}” was disabled",
        message=(
            f"Plumbline stopped sending events of {endpoint.organisation.name} to the webhook "
            f"“{endpoint.name}” ({endpoint.url}).\n\n"
            f"Why: {endpoint.disabled_reason}\n\n"
            "Fix the receiver, then re-enable the webhook and redeliver the failed events from its delivery log:\n"
            f"{_link('governance:webhook-deliveries', endpoint.pk)}\n"
        ),
        from_email=None,
        recipient_list=recipients,
        fail_silently=True,
    )


def fan_out(delivery_ids: list[int]) -> int:
    """Give each delivery of one event its own task, so a slow receiver does not hold up the others."""
    for delivery_id in delivery_ids:
        enqueue(DELIVER_TASK, delivery_id=delivery_id)
    return len(delivery_ids)


def retry_due_deliveries(now: datetime | None = None) -> list[int]:
    """Beat: enqueue every open delivery whose (re)try is due, and pending ones whose own job never ran; returns
    their ids. A delivery enqueued twice is attempted once (``deliver`` claims it under its row lock)."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now)
        .exclude(status=DeliveryStatus.PENDING, created_at__gt=now - SWEEP_GRACE)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in due:
        enqueue(DELIVER_TASK, delivery_id=delivery_id)
    return due
