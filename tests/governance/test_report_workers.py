"""Reports rendered by real Celery worker processes (the same command production runs)."""

import hashlib
import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from governance.models import Report, ReportStatus
from governance.reports import services
from tests.governance.inventory_factories import AIModelFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(report_id: int, statuses: set[str], timeout: float = 90, workers=None) -> Report:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = Report.objects.get(pk=report_id)
        if report.status in statuses:
            return report
        time.sleep(0.05)
    logs = workers.logs()[-4000:] if workers else ""
    raise AssertionError(f"Report {report_id} stayed {report.status} (wanted {statuses}).\n{logs}")


def test_worker_renders_inventory_report(celery_worker_process, organisation, model_owner):
    for name in ("Credit Scorer", "Churn Predictor", "Fraud Detector"):
        AIModelFactory(organisation=organisation, owner=model_owner, name=name)
    celery_worker_process.start()

    report = services.request_report(actor=model_owner, organisation=organisation, kind="model_inventory")
    report = wait_for(report.pk, {ReportStatus.SUCCEEDED, ReportStatus.FAILED}, workers=celery_worker_process)

    assert report.status == ReportStatus.SUCCEEDED, report.error
    content = report.file.read()
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Model inventory report" in text
    assert all(name in text for name in ("Credit Scorer", "Churn Predictor", "Fraud Detector"))
    assert f"Page 1 of {len(reader.pages)}" in text
    assert report.page_count == len(reader.pages)
    assert report.sha256 == hashlib.sha256(content).hexdigest()
    assert report.attempts == 1 and report.progress == 100


def test_worker_fails_missing_subject_once_with_clear_error(
    celery_worker_process, organisation, risk_officer
):
    model = AIModelFactory(organisation=organisation, name="Retired Scorer")
    model_id = model.pk
    report = services.request_report(
        actor=risk_officer, organisation=organisation, kind="model_dossier", subject_id=model_id
    )
    model.delete()  # deleted while the request waits in the queue
    celery_worker_process.start()

    report = wait_for(report.pk, {ReportStatus.SUCCEEDED, ReportStatus.FAILED}, workers=celery_worker_process)

    assert report.status == ReportStatus.FAILED
    assert f"AI model #{model_id} does not exist" in report.error
    assert report.attempts == 1
    assert not report.file


def test_killed_worker_report_is_rendered_by_the_next_worker(
    celery_worker_process, organisation, model_owner
):
    AIModelFactory.create_batch(200, organisation=organisation, owner=model_owner)
    first = celery_worker_process.start()
    report = services.request_report(actor=model_owner, organisation=organisation, kind="model_inventory")

    wait_for(report.pk, {ReportStatus.RUNNING}, workers=celery_worker_process)
    celery_worker_process.kill(first)
    assert Report.objects.get(pk=report.pk).status == ReportStatus.RUNNING

    # Its heartbeat stops with it: beat's sweep (every minute; here as soon as the heartbeat is older than
    # now) hands the report to the next worker on either broker, without waiting for Redis's visibility timeout.
    assert services.requeue_stalled_reports(lost_after=timedelta(0)) == [report.pk]
    celery_worker_process.start()
    report = wait_for(report.pk, {ReportStatus.SUCCEEDED, ReportStatus.FAILED}, workers=celery_worker_process)

    assert report.status == ReportStatus.SUCCEEDED, report.error
    assert report.attempts == 2
    assert report.sha256 == hashlib.sha256(report.file.read()).hexdigest()


def pool_children(worker) -> set[int]:
    # Each thread lists the children it forked; the pool forks replacements from a thread of its own.
    return {
        int(pid)
        for thread in Path(f"/proc/{worker.pid}/task").iterdir()
        for pid in (thread / "children").read_text().split()
    }


@pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="Reads the pool's processes from Linux's /proc."
)
def test_a_pool_process_that_grew_past_the_memory_limit_is_replaced_after_its_report(
    celery_worker_process, organisation, auditor
):
    """What a long report took is given back to the system: the pool process is replaced once its task is done."""
    AIModelFactory.create_batch(20, organisation=organisation)
    # Any process that rendered a report is past 1 MiB: here every task ends in a replacement.
    worker = celery_worker_process.start(extra_env={"CELERY_WORKER_MAX_MEMORY_MIB": "1"}, pool="prefork")
    deadline = time.monotonic() + 30
    while not (before := pool_children(worker)) and time.monotonic() < deadline:
        time.sleep(0.1)

    report = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    report = wait_for(report.pk, {ReportStatus.SUCCEEDED, ReportStatus.FAILED}, workers=celery_worker_process)
    assert report.status == ReportStatus.SUCCEEDED, report.error

    deadline = time.monotonic() + 30
    while (after := pool_children(worker)) in (before, set()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert before and after and not before & after, (before, after, celery_worker_process.logs()[-6000:])
    # The fresh process takes the next report.
    second = services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    second = wait_for(second.pk, {ReportStatus.SUCCEEDED, ReportStatus.FAILED}, workers=celery_worker_process)
    assert second.status == ReportStatus.SUCCEEDED, second.error


@pytest.mark.browser
def test_list_page_shows_progress_without_reload(celery_worker_process, browser_login, organisation, auditor):
    AIModelFactory(organisation=organisation, name="Credit Scorer")
    celery_worker_process.start()
    page = browser_login(auditor)
    page.goto(page.url.rstrip("/") + "/reports/")

    page.select_option("#id_kind", "model_inventory")
    page.click("text=Request report")
    page.wait_for_selector("text=is queued")
    page.evaluate("window.__sameDocument = true")

    page.wait_for_selector("tr[data-report-id] a:has-text('Download PDF')", timeout=60_000)
    assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
    assert page.locator("tr[data-report-id] [data-field=status]").first.inner_text() == "Succeeded"
