"""Reads a pipeline needs besides lists: one version by its label, and a KPI's measurements in pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.services.monitoring import create_kpi, record_measurements
from tests.governance.inventory_factories import AIModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def test_one_version_by_its_label(api_client, organisation, model_owner, foreign_model):
    model = AIModelFactory(organisation=organisation, owner=model_owner, name="Churn model")
    ModelVersionFactory(model=model, version="3.1.0", metrics={"auc": 0.8}, run_id="abc123")
    client = api_client(model_owner)
    body = client.get(f"/api/v1/models/{model.pk}/versions/3.1.0/").json()
    assert body["version"] == "3.1.0" and body["metrics"] == {"auc": 0.8} and body["run_id"] == "abc123"
    assert body["has_card"] is False
    assert client.get(f"/api/v1/models/{model.pk}/versions/9.9.9/").status_code == 404
    ModelVersionFactory(model=foreign_model, version="3.1.0")
    assert client.get(f"/api/v1/models/{foreign_model.pk}/versions/3.1.0/").status_code == 404


def test_a_kpis_measurements_newest_first_in_pages_with_a_window(api_client, organisation, model_owner):
    model = AIModelFactory(organisation=organisation, owner=model_owner, name="Churn model")
    kpi = create_kpi(actor=model_owner, model=model, name="AUC", direction="higher")
    start = timezone.now() - timedelta(days=10)
    record_measurements(
        actor=model_owner,
        kpi=kpi,
        points=[
            {"measured_at": (start + timedelta(days=d)).isoformat(), "value": 0.8 + d / 100}
            for d in range(10)
        ],
    )
    client = api_client(model_owner)
    page = client.get(f"/api/v1/kpis/{kpi.pk}/measurements/?page_size=4").json()
    assert page["count"] == 10 and len(page["results"]) == 4
    assert page["results"][0]["value"] == pytest.approx(0.89)
    since = (start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S%z")
    window = client.get(f"/api/v1/kpis/{kpi.pk}/measurements/", {"since": since}).json()
    assert window["count"] == 3
    bad = client.get(f"/api/v1/kpis/{kpi.pk}/measurements/?since=yesterday")
    assert bad.status_code == 400 and "since" in bad.content.decode()
