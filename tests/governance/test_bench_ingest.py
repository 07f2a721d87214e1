"""bench_ingest: a large KPI batch in process and over HTTP, then concurrent pipelines through gunicorn."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from governance.models import KPIMeasurement, Organisation


@pytest.mark.django_db(transaction=True)
def test_bench_ingest_times_a_large_batch_runs_concurrent_pipelines_and_cleans_up():
    out = io.StringIO()

    call_command("bench_ingest", points=200, repeat=2, pipelines=8, pipeline_points=3, workers=2, stdout=out)

    text = out.getvalue()
    assert "large batch, in process (server time):  median" in text
    assert "large batch, over HTTP (gunicorn):" in text
    assert "8 concurrent pipelines:  8 x 201, 0 errors" in text
    assert "latest state of 6 KPIs: correct" in text
    assert not Organisation.objects.exists() and not get_user_model().objects.exists()
    assert not KPIMeasurement.objects.exists()
