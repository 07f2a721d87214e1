"""The benchmark commands run end to end at a tiny size and leave the database as they found it.

They print figures for people to read; these tests check that every page answers and every report renders,
never how fast (timings belong in the benchmark output, not in assertions).
"""

import io

import pytest
from django.core.management import call_command

from governance.models import AIModel, Organisation, Report

pytestmark = pytest.mark.django_db


def test_bench_pages_measures_every_page_and_rolls_back():
    out = io.StringIO()

    call_command("bench_pages", models=[3], repeat=1, stdout=out)

    header, *rows = out.getvalue().splitlines()
    assert header.split()[:3] == ["page", "models", "median"]
    labels = {row[:28].strip() for row in rows}
    assert {"dashboard", "inventory", "model detail", "compliance framework", "KPI (365 points)"} <= labels
    assert all(row.split()[-1] == "200" for row in rows), rows
    assert not Organisation.objects.exists() and not AIModel.objects.exists()


def test_bench_reports_renders_a_report_and_rolls_back():
    out = io.StringIO()

    call_command("bench_reports", models=3, versions=1, units=1, kind=["model_inventory"], stdout=out)

    rows = out.getvalue().splitlines()
    inventory = next(row for row in rows if row.startswith("model_inventory"))
    assert int(inventory.split()[3]) >= 1  # pages
    start, peak = (float(value) for value in inventory.split()[-2:])  # MiB, from Linux's /proc
    assert peak >= start > 0
    assert not Report.objects.exists() and not Organisation.objects.exists()


def test_bench_audit_verifies_and_exports_an_intact_trail_and_rolls_back(signing_key_file):
    from governance.models import AuditCheckpoint, AuditEvent

    out = io.StringIO()

    call_command("bench_audit", events=1500, stdout=out)

    text = out.getvalue()
    assert "verify_audit_trail:" in text and "0 problems" in text
    assert "1,500 events" in text and "plumbline-verify:" in text and "intact" in text
    assert not AuditEvent.objects.exists() and not AuditCheckpoint.objects.exists()
    assert not Organisation.objects.exists()


def test_bench_pages_prints_json_with_the_growth_ratio_per_page():
    import json

    out = io.StringIO()

    call_command("bench_pages", models=[2, 4], repeat=2, json=True, stdout=out)

    figures = json.loads(out.getvalue())
    dashboard = [row for row in figures["pages"] if row["page"] == "dashboard"]
    assert [row["models"] for row in dashboard] == [2, 4]
    assert {"median_ms", "p95_ms", "queries", "kib", "status"} <= set(dashboard[0])
    assert figures["ratio"]["dashboard"] > 0
    assert not Organisation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_bench_api_loads_the_api_the_admin_and_healthz_through_gunicorn_and_cleans_up():
    import shutil

    from django.contrib.auth import get_user_model

    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install wrk; .ci/run installs it)")
    out = io.StringIO()

    call_command("bench_api", models=3, seconds=1, connections=2, workers=1, stdout=out)

    rows = {line.split()[0]: line.split()[1:] for line in out.getvalue().splitlines()[2:]}
    assert set(rows) == {"/api/v1/models/", "/admin/governance/aimodel/", "/healthz"}
    for url, (rate, _p50, _p99, errors) in rows.items():
        assert float(rate) > 0 and errors == "0", url
    assert not Organisation.objects.exists() and not get_user_model().objects.exists()
