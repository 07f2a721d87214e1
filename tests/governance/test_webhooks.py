"""Signed webhooks: delivered to a real HTTP server the test starts on 127.0.0.1, retried with backoff, disabled
after repeated failures; emitted by the services that change governed records; managed on admin-only pages."""

import hashlib
import hmac
import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from governance.core.secrets import decrypt_secret
from governance.models import (
    AuditEvent,
    DeliveryStatus,
    LifecycleStage,
    PendingJob,
    WebhookDelivery,
    WebhookEndpoint,
)
from governance.services import incidents, inventory, monitoring
from governance.services import webhooks as services
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db


# --- The receiver: a real HTTP server on 127.0.0.1 --------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every request; answers each with the next scripted status (then ``default``)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: "queue.Queue[int]" = field(default_factory=queue.Queue)
    default: int = 200
    location: str = ""

    def answer(self, *codes: int) -> None:
        for code in codes:
            self.script.put(code)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            recorder: Receiver = state["receiver"]
            recorder.requests.append(Received(self.path, dict(self.headers.items()), body))
            try:
                code = recorder.script.get_nowait()
            except queue.Empty:
                code = recorder.default
            answer = json.dumps({"received": True, "code": code}).encode()
            self.send_response(code)
            if 300 <= code < 400:
                self.send_header("Location", recorder.location or "https://elsewhere.example/")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/plumbline")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["receiver"]
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 10


def _endpoint(actor, organisation, url, events=("incident.opened",), **extra) -> tuple[WebhookEndpoint, str]:
    return services.webhook_endpoint_save(
        actor=actor,
        organisation=organisation,
        name=extra.pop("name", "Ops"),
        url=url,
        events=list(events),
        **extra,
    )


def _verify(secret: str, received: Received) -> bool:
    """What a receiver does (the README's recipe): recompute the HMAC of "{timestamp}.{body}"."""
    timestamp = received.headers["X-Plumbline-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers["X-Plumbline-Signature"], f"sha256={expected}")


def _incident(actor, model):
    return incidents.create_incident(
        actor=actor,
        organisation=model.organisation,
        model=model,
        title="Approvals after drift",
        severity="high",
        occurred_at=timezone.now() - timedelta(days=2),
        detected_at=timezone.now() - timedelta(days=1),
        description="Arrears tripled on loans booked after the rate rise.",
    )


# --- Delivery -------------------------------------------------------------------------------------------------


def test_an_event_reaches_the_receiver_signed_with_the_secret(
    receiver, organisation, admin_user_member, model_owner, ai_model
):
    endpoint, secret = _endpoint(admin_user_member, organisation, receiver.url)
    assert secret and len(secret) >= services.MIN_SECRET_LENGTH
    incident = _incident(model_owner, ai_model)
    (delivery,) = WebhookDelivery.objects.filter(endpoint=endpoint)

    delivered = services.deliver(delivery.pk)

    assert delivered.status == DeliveryStatus.SUCCEEDED
    assert delivered.response_code == 200 and delivered.attempts == 1
    assert '"received": true' in delivered.response_excerpt
    (received,) = receiver.requests
    assert received.path == "/hooks/plumbline"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["User-Agent"] == "Plumbline-Webhooks/1"
    assert received.headers["X-Plumbline-Event"] == "incident.opened"
    assert received.headers["X-Plumbline-Delivery"] == str(delivery.event_id)
    assert abs(int(received.headers["X-Plumbline-Timestamp"]) - time.time()) < 60
    assert _verify(secret, received)
    assert not _verify("another-secret-of-enough-length", received)
    body = received.json
    assert body["id"] == str(delivery.event_id) and body["event"] == "incident.opened"
    assert body["organisation"] == {
        "id": organisation.pk,
        "slug": organisation.slug,
        "name": organisation.name,
    }
    assert body["data"]["incident"]["id"] == incident.pk
    assert body["data"]["incident"]["url"].endswith(f"/incidents/{incident.pk}/")
    assert body["data"]["model"]["name"] == "Retail credit scorecard"
    # Delivering again is a no-op: the receiver is not called twice.
    services.deliver(delivery.pk)
    assert len(receiver.requests) == 1


def test_a_failed_attempt_is_retried_with_backoff_until_it_succeeds(
    receiver, organisation, admin_user_member
):
    endpoint, _ = _endpoint(admin_user_member, organisation, receiver.url, events=["report.ready"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=3)
    (delivery,) = services.emit_event(organisation=organisation, event="report.ready", payload={"report": {}})
    receiver.answer(500)
    start = timezone.now()

    first = services.deliver(delivery.pk, now=start)

    assert first.status == DeliveryStatus.RETRYING and first.attempts == 1
    assert first.response_code == 500 and "HTTP 500" in first.error
    assert first.next_attempt_at == start + timedelta(minutes=1)
    # Not yet due: nothing is sent.
    services.deliver(delivery.pk, now=start + timedelta(seconds=30))
    assert len(receiver.requests) == 1

    second = services.deliver(delivery.pk, now=first.next_attempt_at)

    assert second.status == DeliveryStatus.SUCCEEDED and second.attempts == 2
    assert second.response_code == 200 and second.error == "" and second.next_attempt_at is None
    # Same event id on every attempt: the receiver's idempotency key.
    assert {r.headers["X-Plumbline-Delivery"] for r in receiver.requests} == {str(delivery.event_id)}
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_redirects_are_not_followed(receiver, organisation, admin_user_member):
    _endpoint(admin_user_member, organisation, receiver.url, events=["report.ready"])
    receiver.location = receiver.url + "/moved"
    receiver.answer(302)
    (delivery,) = services.emit_event(organisation=organisation, event="report.ready", payload={})

    result = services.deliver(delivery.pk)

    assert result.status == DeliveryStatus.RETRYING and result.response_code == 302
    assert "not followed" in result.error
    assert [r.path for r in receiver.requests] == ["/hooks/plumbline"]


def _exhaust(delivery_id: int, start) -> WebhookDelivery:
    """Attempt a delivery at each of its due times until it is finished; returns it with the waits seen."""
    now, waits = start, []
    while True:
        delivery = services.deliver(delivery_id, now=now)
        if delivery.status not in services.OPEN_STATUSES:
            delivery.waits = waits
            return delivery
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at


def test_repeated_failures_disable_the_endpoint_audit_it_and_email_the_admins(
    receiver, organisation, admin_user_member, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    receiver.default = 503
    endpoint, _ = _endpoint(
        admin_user_member, organisation, receiver.url, events=["report.ready", "kpi.breach"]
    )
    first, second, waiting = (
        services.emit_event(organisation=organisation, event=event, payload={})[0]
        for event in ("report.ready", "report.ready", "kpi.breach")
    )
    start = timezone.now()

    failed = _exhaust(first.pk, start)

    assert failed.status == DeliveryStatus.FAILED and failed.attempts == services.MAX_ATTEMPTS == 6
    assert failed.waits == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
    ]
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.consecutive_failures == 1

    with django_capture_on_commit_callbacks(execute=True):
        _exhaust(second.pk, start)

    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None
    assert "2 deliveries in a row failed" in endpoint.disabled_reason and "503" in endpoint.disabled_reason
    event = AuditEvent.objects.get(action="webhook.disabled")
    assert event.actor is None and event.actor_label == "system"
    assert event.changes["active"] == [True, False]
    (email,) = mail.outbox
    assert email.to == [admin_user_member.email]
    assert endpoint.name in email.subject and endpoint.disabled_reason in email.body
    # What still waited for it is closed, not sent; new events are not queued for it.
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.FAILED and "disabled" in waiting.error
    sent = len(receiver.requests)
    assert services.emit_event(organisation=organisation, event="report.ready", payload={}) == []
    services.deliver(waiting.pk)
    assert len(receiver.requests) == sent == 12


def test_a_receiver_that_is_down_is_a_failed_attempt_not_an_error(organisation, admin_user_member):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _endpoint(admin_user_member, organisation, f"http://127.0.0.1:{port}/", events=["report.ready"])
    (delivery,) = services.emit_event(organisation=organisation, event="report.ready", payload={})

    result = services.deliver(delivery.pk)

    assert result.status == DeliveryStatus.RETRYING and result.response_code is None
    assert "ConnectionError" in result.error


def test_internal_addresses_are_refused_at_delivery_too(receiver, organisation, admin_user_member, settings):
    _endpoint(admin_user_member, organisation, receiver.url, events=["report.ready"])
    (delivery,) = services.emit_event(organisation=organisation, event="report.ready", payload={})
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False  # e.g. a name re-pointed at this host after registration

    result = services.deliver(delivery.pk)

    assert result.status == DeliveryStatus.RETRYING and "loopback" in result.error
    assert receiver.requests == []


def test_the_sweep_enqueues_due_retries_and_lost_deliveries(
    receiver, organisation, admin_user_member, monkeypatch
):
    sent = []
    monkeypatch.setattr(services, "enqueue", lambda task, **kwargs: sent.append((task, kwargs)))
    _endpoint(admin_user_member, organisation, receiver.url, events=["report.ready"])
    fresh, lost, retrying = (
        services.emit_event(organisation=organisation, event="report.ready", payload={})[0] for _ in range(3)
    )
    WebhookDelivery.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    receiver.answer(500)
    retrying = services.deliver(retrying.pk)

    # Now: only the pending one nobody took; the fresh one is left to its own job, the retry is not due.
    assert services.retry_due_deliveries() == [lost.pk]
    assert sent == [(services.DELIVER_TASK, {"delivery_id": lost.pk})]
    # When the retry is due, a minute later: everything still open.
    assert services.retry_due_deliveries(now=retrying.next_attempt_at) == [fresh.pk, lost.pk, retrying.pk]


# --- Emitted by the services ------------------------------------------------------------------------------------


def test_services_emit_events_to_the_subscribed_endpoints_of_their_organisation_only(
    receiver,
    organisation,
    other_organisation,
    admin_user_member,
    outsider,
    model_owner,
    risk_officer,
    ai_model,
    auc,
    permissive_release_policy,
):
    incidents_only, _ = _endpoint(admin_user_member, organisation, receiver.url, name="Incidents")
    kpis, _ = _endpoint(
        admin_user_member, organisation, receiver.url, events=["kpi.breach", "kpi.recovered"], name="KPIs"
    )
    approvals, _ = _endpoint(
        admin_user_member,
        organisation,
        receiver.url,
        events=["approval.requested", "approval.decided", "model.stage_changed"],
        name="Approvals",
    )
    switched_off, _ = _endpoint(
        admin_user_member, organisation, receiver.url, events=list(services.EVENTS), name="Off", active=False
    )
    foreign, _ = _endpoint(outsider, other_organisation, receiver.url, events=list(services.EVENTS))
    AIModelFactory(organisation=other_organisation, owner=outsider)

    _incident(model_owner, ai_model)
    for hours, value in enumerate((0.9, 0.75, 0.65, 0.95)):  # ok (no event), warning, critical, recovered
        at = timezone.now() - timedelta(hours=10 - hours)
        monitoring.record_measurements(
            actor=model_owner, kpi=auc, points=[{"measured_at": at.isoformat(), "value": value}]
        )
    request = inventory.request_stage_change(
        actor=model_owner, model=ai_model, stage=LifecycleStage.VALIDATION, justification="Ready."
    )
    inventory.decide_approval(actor=risk_officer, request=request, approve=True, comment="Evidence reviewed.")

    def events(endpoint):
        return list(
            WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk").values_list("event", flat=True)
        )

    assert events(incidents_only) == ["incident.opened"]
    assert events(kpis) == ["kpi.breach", "kpi.breach", "kpi.recovered"]
    assert events(approvals) == ["approval.requested", "approval.decided", "model.stage_changed"]
    assert events(switched_off) == [] and events(foreign) == []

    breach, escalation, recovery = WebhookDelivery.objects.filter(endpoint=kpis).order_by("pk")
    assert breach.payload["data"]["previous_status"] == "ok" and breach.payload["data"]["status"] == "warning"
    assert escalation.payload["data"]["status"] == "critical"
    assert (
        recovery.payload["data"]["previous_status"] == "critical"
        and recovery.payload["data"]["value"] == 0.95
    )
    decided = WebhookDelivery.objects.get(endpoint=approvals, event="approval.decided").payload["data"]
    assert decided["approval"]["status"] == "approved" and decided["approval"]["decided_by"] == "risk-officer"
    stage = WebhookDelivery.objects.get(endpoint=approvals, event="model.stage_changed").payload["data"]
    assert (stage["previous_stage"], stage["stage"], stage["approval_id"]) == (
        "proposed",
        "validation",
        request.pk,
    )
    # Each event's deliveries go to the workers through the outbox, one job per event.
    jobs = PendingJob.objects.filter(task=services.FAN_OUT_TASK)
    assert jobs.count() == 7
    assert sorted(i for job in jobs for i in job.kwargs["delivery_ids"]) == sorted(
        WebhookDelivery.objects.values_list("pk", flat=True)
    )


def test_a_refused_deployment_is_emitted(receiver, organisation, admin_user_member, model_owner, ai_model):
    from governance.services import release
    from tests.governance.inventory_factories import ModelVersionFactory

    endpoint, _ = _endpoint(admin_user_member, organisation, receiver.url, events=["deployment.denied"])
    version = ModelVersionFactory(model=ai_model)

    check = release.ask_gate(actor=model_owner, model=ai_model, version=version, environment="production")

    assert not check.allowed
    (delivery,) = WebhookDelivery.objects.filter(endpoint=endpoint)
    data = delivery.payload["data"]
    assert data["check"]["environment"] == "production" and data["version"]["version"] == version.version
    assert data["check"]["failed_checks"] and all("message" in c for c in data["check"]["failed_checks"])


def test_emitting_without_endpoints_costs_one_query_and_with_some_a_fixed_number(
    receiver, organisation, admin_user_member, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert services.emit_event(organisation=organisation, event="report.ready", payload={}) == []
    for n in range(3):
        _endpoint(admin_user_member, organisation, receiver.url, events=["report.ready"], name=f"Hook {n}")
    with django_assert_num_queries(3):  # the endpoints, the deliveries, the outbox job
        assert len(services.emit_event(organisation=organisation, event="report.ready", payload={})) == 3


def test_unknown_events_are_a_programming_error(organisation):
    with pytest.raises(ValueError, match="Unknown webhook event"):
        services.emit_event(organisation=organisation, event="kpi.breached", payload={})


# --- Endpoint rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/", "valid http(s) URL"),
        ("http://hooks.example.com/", "Use https"),
        ("https://user:password@hooks.example.com/", "Credentials"),
        ("https://169.254.169.254/latest/meta-data/", "Link-local"),
        ("https://10.1.2.3/hooks", "Private network"),
        ("https://[fd00::1]/hooks", "Private network"),
        ("https://[::ffff:192.168.1.1]/hooks", "Private network"),
        ("not a url", "valid http(s) URL"),
        ("https://hooks.example.com:99999/", "valid http(s) URL"),
    ],
)
def test_urls_that_are_refused(url, message):
    (problem,) = services.url_problems(url)
    assert message in problem


def test_loopback_only_when_allowed_and_private_networks_by_setting(settings):
    assert services.url_problems("http://127.0.0.1:8080/hook") == []
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    settings.DEBUG = False
    assert "https" in services.url_problems("http://localhost:8080/hook")[0]
    assert "localhost" in services.url_problems("https://localhost/hook")[0]
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    assert services.url_problems("https://10.1.2.3/hooks") == []
    assert services.url_problems("https://169.254.169.254/") != []
    assert services.url_problems("https://hooks.example.com/plumbline") == []


def test_only_administrators_manage_endpoints(organisation, auditor, risk_officer, admin_user_member):
    from django.core.exceptions import PermissionDenied

    for actor in (auditor, risk_officer):
        with pytest.raises(PermissionDenied):
            _endpoint(actor, organisation, "https://hooks.example.com/")
    endpoint, _ = _endpoint(admin_user_member, organisation, "https://hooks.example.com/")
    with pytest.raises(PermissionDenied):
        services.webhook_send_test(actor=auditor, endpoint=endpoint)


def test_a_given_secret_is_kept_encrypted_and_changes_are_audited_without_it(organisation, admin_user_member):
    secret = "s3cret-of-the-receiver-0123456789"
    endpoint, shown = _endpoint(admin_user_member, organisation, "https://hooks.example.com/", secret=secret)
    assert shown is None
    assert secret not in endpoint.secret_encrypted and decrypt_secret(endpoint.secret_encrypted) == secret
    services.webhook_endpoint_save(
        actor=admin_user_member,
        organisation=organisation,
        name="Ops",
        url="https://hooks.example.com/",
        events=["incident.opened"],
        secret="another-secret-0123456789-abcdef",
        endpoint=endpoint,
    )
    rotated = services.webhook_secret_rotate(actor=admin_user_member, endpoint=endpoint)
    endpoint.refresh_from_db()
    assert decrypt_secret(endpoint.secret_encrypted) == rotated
    trail = json.dumps(list(AuditEvent.objects.values("changes", "object_repr")))
    for value in (secret, "another-secret-0123456789-abcdef", rotated, endpoint.secret_encrypted):
        assert value not in trail
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("sequence")) == [
        "webhook.create",
        "webhook.update",
        "webhook.update",
    ]


# --- Pages ------------------------------------------------------------------------------------------------------


def _form(url, **extra) -> dict:
    return {
        "name": "Ops alerts",
        "url": url,
        "events": ["incident.opened", "kpi.breach"],
        "active": "on",
        **extra,
    }


def test_an_admin_registers_a_webhook_and_sees_its_secret_once(
    login, organisation, admin_user_member, auditor, receiver
):
    client = login(admin_user_member)
    response = client.post(reverse("governance:webhook-list"), _form(receiver.url))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get(organisation=organisation)
    secret = decrypt_secret(endpoint.secret_encrypted)
    assert secret in response.content.decode()
    assert endpoint.events == ["kpi.breach", "incident.opened"] or endpoint.events == [
        "incident.opened",
        "kpi.breach",
    ]

    pages = [
        reverse("governance:webhook-list"),
        reverse("governance:webhook-edit", args=[endpoint.pk]),
        reverse("governance:webhook-deliveries", args=[endpoint.pk]),
        reverse("governance:audit-log"),
    ]
    for page in pages:
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert (
            secret not in answer.content.decode() and endpoint.secret_encrypted not in answer.content.decode()
        )
    # Rotating shows the new one once.
    rotated = client.post(reverse("governance:webhook-rotate-secret", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    new_secret = decrypt_secret(endpoint.secret_encrypted)
    assert new_secret != secret and new_secret in rotated.content.decode()
    assert new_secret not in client.get(reverse("governance:webhook-list")).content.decode()
    # Auditors read the list and the log, without the buttons that change anything.
    auditor_page = login(auditor).get(reverse("governance:webhook-list")).content.decode()
    assert "Ops alerts" in auditor_page and "Register a webhook" not in auditor_page
    assert "Rotate secret" not in auditor_page and new_secret not in auditor_page


def test_bad_input_gets_form_errors_not_a_server_error(login, organisation, admin_user_member):
    client = login(admin_user_member)
    url = reverse("governance:webhook-list")
    cases = [
        (_form("ftp://hooks.example.com/"), "valid http(s) URL"),
        (_form("http://hooks.example.com/"), "Use https"),
        (_form("https://me:pw@hooks.example.com/"), "Credentials in the URL"),
        (_form("https://10.0.0.7/"), "Private network"),
        (_form("https://hooks.example.com/", secret="short"), "At least 24 characters"),
        (_form("https://hooks.example.com/", events=[]), "This field is required"),
        (_form("https://hooks.example.com/", events=["kpi.breached"]), "Select a valid choice"),
        (_form("https://hooks.example.com/", name="a\x00b"), "Null characters"),
        (_form("https://hooks.example.com/" + "x" * 600), "at most 500 characters"),
        (_form("https://hooks.example.com/", secret="x" * 30 + " y"), "without spaces"),
    ]
    for data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), (data, message)
    assert not WebhookEndpoint.objects.exists()
    _endpoint(admin_user_member, organisation, "https://hooks.example.com/", name="Ops alerts")
    response = client.post(url, _form("https://hooks.example.com/"))
    assert response.status_code == 400 and "already has a webhook named" in response.content.decode()


def test_another_organisations_webhook_answers_404_on_every_page(
    login, organisation, other_organisation, outsider, admin_user_member, receiver
):
    endpoint, _ = _endpoint(admin_user_member, organisation, receiver.url, events=["report.ready"])
    (delivery,) = services.emit_event(organisation=organisation, event="report.ready", payload={})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    client = login(outsider)
    for name in ("webhook-edit", "webhook-delete", "webhook-deliveries"):
        assert client.get(reverse(f"governance:{name}", args=[endpoint.pk])).status_code == 404, name
    for name in ("webhook-edit", "webhook-delete", "webhook-rotate-secret", "webhook-test", "webhook-enable"):
        assert client.post(reverse(f"governance:{name}", args=[endpoint.pk])).status_code == 404, name
    assert client.post(reverse("governance:webhook-redeliver", args=[delivery.pk])).status_code == 404
    listing = client.get(reverse("governance:webhook-list"))
    assert listing.status_code == 200 and receiver.url not in listing.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.active and WebhookEndpoint.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1


def test_members_who_may_not_read_the_audit_trail_may_not_see_webhooks(login, model_owner, assessor):
    for user in (model_owner, assessor):
        assert login(user).get(reverse("governance:webhook-list")).status_code == 403


def test_send_test_event_redeliver_and_re_enable_from_the_pages(
    login, organisation, admin_user_member, receiver, settings, django_capture_on_commit_callbacks
):
    client = login(admin_user_member)
    endpoint, secret = _endpoint(admin_user_member, organisation, receiver.url)

    response = client.post(reverse("governance:webhook-test", args=[endpoint.pk]))

    assert response.status_code == 302
    ping = WebhookDelivery.objects.get(endpoint=endpoint, event="ping")
    assert PendingJob.objects.filter(task=services.DELIVER_TASK, kwargs={"delivery_id": ping.pk}).exists()
    services.deliver(ping.pk)
    (received,) = receiver.requests
    assert received.headers["X-Plumbline-Event"] == "ping" and _verify(secret, received)

    # A delivery that failed for good, then the endpoint disabled: re-enable, then redeliver.
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1
    receiver.default = 500
    endpoint.events = ["incident.opened", "report.ready"]
    endpoint.save()
    (delivery,) = services.emit_event(organisation=organisation, event="report.ready", payload={"n": 1})
    with django_capture_on_commit_callbacks(execute=True):
        failed = _exhaust(delivery.pk, timezone.now())
    endpoint.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED and not endpoint.active

    log = client.get(reverse("governance:webhook-deliveries", args=[endpoint.pk])).content.decode()
    assert "HTTP 500" in log and "Failed" in log and "Re-enable" in log and "Redeliver" not in log
    refused = client.post(reverse("governance:webhook-redeliver", args=[delivery.pk]), follow=True)
    assert "re-enable it" in refused.content.decode()

    client.post(reverse("governance:webhook-enable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_at is None and endpoint.consecutive_failures == 0
    assert (
        "Redeliver"
        in client.get(reverse("governance:webhook-deliveries", args=[endpoint.pk])).content.decode()
    )

    client.post(reverse("governance:webhook-redeliver", args=[delivery.pk]))
    again = WebhookDelivery.objects.filter(endpoint=endpoint).latest("pk")
    assert (
        again.pk != delivery.pk and again.event_id == delivery.event_id and again.payload == delivery.payload
    )
    receiver.default = 200
    assert services.deliver(again.pk).status == DeliveryStatus.SUCCEEDED
    assert receiver.requests[-1].headers["X-Plumbline-Delivery"] == str(delivery.event_id)


def test_edit_and_delete_pages(login, organisation, admin_user_member):
    client = login(admin_user_member)
    endpoint, secret = _endpoint(admin_user_member, organisation, "https://hooks.example.com/")
    edit = reverse("governance:webhook-edit", args=[endpoint.pk])

    response = client.post(edit, _form("https://hooks.example.com/v2", name="Renamed", active=""))

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.url, endpoint.active) == (
        "Renamed",
        "https://hooks.example.com/v2",
        False,
    )
    assert decrypt_secret(endpoint.secret_encrypted) == secret  # an empty secret field keeps it
    assert client.post(edit, _form("gopher://x")).status_code == 400

    assert client.get(reverse("governance:webhook-delete", args=[endpoint.pk])).status_code == 200
    assert client.post(reverse("governance:webhook-delete", args=[endpoint.pk])).status_code == 302
    assert not WebhookEndpoint.objects.exists()
    deleted = AuditEvent.objects.get(action="webhook.delete")
    assert deleted.changes["url"] == ["https://hooks.example.com/v2", None]
    assert "secret_encrypted" not in json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_events_and_test_sends_answer_normally_while_the_broker_is_down(
    login,
    organisation,
    admin_user_member,
    model_owner,
    ai_model,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    import socket

    from config.celery import app
    from governance.core import jobs
    from tests.celery_helpers import reset_celery_pools

    with socket.socket() as probe:  # a broker address nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(jobs, "_broker_refused_at", None)  # restored after the test: other tests send at once
    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setitem(app.conf, "broker_transport_options", {})
    reset_celery_pools(app)
    try:
        endpoint, _ = _endpoint(admin_user_member, organisation, "https://hooks.example.com/")
        client = login(admin_user_member)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("governance:webhook-test", args=[endpoint.pk]))
            _incident(model_owner, ai_model)
    finally:
        monkeypatch.undo()
        reset_celery_pools(app)

    assert response.status_code == 302
    waiting = PendingJob.objects.filter(dispatched_at__isnull=True).order_by("pk")
    assert list(waiting.values_list("task", flat=True)) == [services.DELIVER_TASK, services.FAN_OUT_TASK]
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2


# --- A real worker, through the outbox --------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_an_event_after_the_commit(
    celery_worker_process, receiver, organisation, admin_user_member, model_owner
):
    model = AIModelFactory(organisation=organisation, owner=model_owner, name="Churn predictor")
    endpoint, secret = _endpoint(admin_user_member, organisation, receiver.url)
    celery_worker_process.start(extra_env={"WEBHOOK_ALLOW_HTTP_LOCALHOST": "true"})

    _incident(model_owner, model)

    deadline = time.monotonic() + 60
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status == DeliveryStatus.SUCCEEDED:
            break
        time.sleep(0.1)
    assert delivery.status == DeliveryStatus.SUCCEEDED, celery_worker_process.logs()[-4000:]
    (received,) = receiver.requests
    assert received.headers["X-Plumbline-Event"] == "incident.opened" and _verify(secret, received)
