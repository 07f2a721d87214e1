"""A broker outage loses no job and fails no request: a real Redis broker that the test stops and starts again.

While it is down, requesting a report (page and API) and both "Run now" buttons answer as usual (the jobs are
recorded in the outbox); once it is back, one dispatch sends every job, oldest first.
"""

import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from governance.core import jobs
from governance.models import PendingJob, Report, ReportStatus
from maturity import services as maturity_services
from maturity.questionnaire import load_questionnaire, shipped_files
from tests.celery_helpers import reset_celery_pools

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which("redis-server"), reason="Needs redis-server to start and stop a broker."
    ),
]


class Broker:
    """A redis-server of the test's own on a free port, that the test can stop and start."""

    def __init__(self, directory) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory, self.process = directory, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
        ]
        self.process = subprocess.Popen(
            [*command, "no", "--dir", str(self.directory)], stdout=subprocess.DEVNULL
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def queued(self) -> int:
        return redis.Redis.from_url(self.url).llen("celery")


@pytest.fixture
def broker(tmp_path):
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}
    broker = Broker(tmp_path)
    broker.start()
    app.conf.broker_url, app.conf.broker_transport_options = broker.url, {}
    reset_celery_pools(app)
    yield broker
    if broker.process.poll() is None:
        broker.stop()
    for key, value in saved.items():
        app.conf[key] = value
    reset_celery_pools(app)


def test_requests_succeed_while_the_broker_is_down_and_their_jobs_go_out_when_it_is_back(
    broker, organisation, admin_user_member, api_client, login, report_schedule
):
    load_questionnaire(shipped_files()[-1])
    reassessment = maturity_services.save_schedule(
        actor=admin_user_member,
        organisation=organisation,
        business_unit=None,
        frequency="monthly",
        active=True,
    )
    broker.stop()

    response = api_client(admin_user_member).post(
        "/api/v1/reports/", {"kind": "model_inventory"}, format="json"
    )
    assert response.status_code == 202 and response.json()["status"] == ReportStatus.QUEUED
    client = login(admin_user_member)
    page = client.post(reverse("governance:report-list"), {"kind": "model_inventory"})
    assert page.status_code == 302
    runs = [
        client.post(reverse("governance:report-schedule-run", args=[report_schedule.pk])),
        client.post(reverse("maturity:schedule-run", args=[reassessment.pk])),
    ]
    assert [r.status_code for r in runs] == [302, 302]
    assert "is being" in client.get(reverse("governance:report-schedule-list")).content.decode()

    def attempts() -> list[int]:
        return list(PendingJob.objects.filter(dispatched_at__isnull=True).values_list("attempts", flat=True))

    # The first job met the broker's refusal; the next ones were left to the dispatcher at once (no wait).
    assert attempts() == [1, 0, 0, 0]
    assert "Connection refused" in PendingJob.objects.first().last_error
    assert Report.objects.filter(status=ReportStatus.QUEUED).count() == 2
    assert jobs.dispatch_pending_jobs(now=timezone.now() + timedelta(minutes=1)) == 0  # still down
    assert attempts() == [2, 0, 0, 0]  # the dispatcher stops at the first refusal

    broker.start()
    assert jobs.dispatch_pending_jobs(now=timezone.now() + timedelta(minutes=1)) == 4
    assert broker.queued() == 4
    assert not PendingJob.objects.filter(dispatched_at__isnull=True).exists()
    tasks = list(PendingJob.objects.order_by("created_at", "pk").values_list("task", flat=True))
    assert tasks == [
        "governance.tasks.render_report",
        "governance.tasks.render_report",
        "governance.tasks.run_report_schedule",
        "maturity.tasks.run_reassessment",
    ]
