"""Stale and degrading KPIs end to end: the services keep ``stale_after`` and the trend with the KPI, the beat task
announces each episode once to webhooks, and the KPI page, dashboard, inventory filters and reminders show them;
champion against challenger on the promotion pages and in the API."""

import random
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.models import (
    KPIDefinition,
    KPIMeasurement,
    LifecycleStage,
    ModelVersion,
    VersionStatus,
    WebhookDelivery,
)
from governance.rules.drift import DEFAULT_PARAMS, DEGRADING, NOT_ENOUGH_DATA, OK, detect
from governance.services import inventory as inventory_services
from governance.services import monitoring as services
from governance.services.kpi_freshness import MAX_CADENCE_HOURS, check_kpi_freshness, read_window
from governance.services.reminders import KPI_STALE, collect_reminders
from governance.services.webhooks import webhook_endpoint_save
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db

DAILY = 24
LIST_QUERIES = 7  # as tests/governance/test_inventory_pages.py
KPI_PAGE_QUERIES = 8  # as tests/governance/test_kpi_pages.py


def _points(values, end=None, step=timedelta(days=1)) -> list[dict]:
    end = end or timezone.now() - timedelta(minutes=1)
    return [{"measured_at": end - step * (len(values) - 1 - i), "value": v} for i, v in enumerate(values)]


def _noise(n: int, mean: float = 0.87, sd: float = 0.005, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.gauss(mean, sd), 5) for _ in range(n)]


# A KPI drifting down by four baseline standard deviations, still far above its warning threshold (0.8).
DRIFTING = _noise(30) + _noise(30, mean=0.85, seed=2)


@pytest.fixture
def production_model(organisation, model_owner):
    return AIModelFactory(
        organisation=organisation,
        owner=model_owner,
        name="Retail credit scorecard",
        lifecycle_stage=LifecycleStage.PRODUCTION,
    )


def _kpi(model, actor, name="AUC", cadence=DAILY, **extra) -> KPIDefinition:
    fields = {"direction": "higher", "target": 0.85, "warning_threshold": 0.8, "critical_threshold": 0.7}
    return services.create_kpi(
        actor=actor, model=model, name=name, expected_cadence_hours=cadence, **{**fields, **extra}
    )


@pytest.fixture
def stale_kpi(production_model, model_owner):
    """Measured daily until three days ago, expected every 24 hours."""
    kpi = _kpi(production_model, model_owner, name="Approval rate")
    services.record_measurements(
        actor=model_owner, kpi=kpi, points=_points(_noise(20), end=timezone.now() - timedelta(days=3))
    )
    kpi.refresh_from_db()
    return kpi


@pytest.fixture
def degrading_kpi(production_model, model_owner):
    kpi = _kpi(production_model, model_owner)
    services.record_measurements(actor=model_owner, kpi=kpi, points=_points(DRIFTING))
    kpi.refresh_from_db()
    return kpi


# --- The services keep freshness and trend ---------------------------------------------------------------------


def test_a_new_kpi_is_due_one_cadence_after_its_creation(production_model, model_owner):
    kpi = _kpi(production_model, model_owner, cadence=6)
    kpi.refresh_from_db()
    assert kpi.stale_after == kpi.created_at + timedelta(hours=6)
    assert _kpi(production_model, model_owner, name="Gini", cadence=None).stale_after is None


def test_each_measurement_moves_stale_after_and_an_edit_of_the_cadence_too(production_model, model_owner):
    kpi = _kpi(production_model, model_owner)
    measured = timezone.now() - timedelta(hours=30)
    services.record_measurements(actor=model_owner, kpi=kpi, points=[{"measured_at": measured, "value": 0.9}])
    kpi.refresh_from_db()
    assert kpi.stale_after == measured + timedelta(hours=24)
    services.update_kpi(actor=model_owner, kpi=kpi, expected_cadence_hours=48)
    kpi.refresh_from_db()
    assert kpi.stale_after == measured + timedelta(hours=48)
    services.update_kpi(actor=model_owner, kpi=kpi, expected_cadence_hours=None)
    kpi.refresh_from_db()
    assert kpi.stale_after is None


@pytest.mark.parametrize("cadence", [0, MAX_CADENCE_HOURS + 1])
def test_a_cadence_out_of_range_is_refused_on_its_field(production_model, model_owner, cadence):
    with pytest.raises(ValidationError) as error:
        _kpi(production_model, model_owner, cadence=cadence)
    assert "expected_cadence_hours" in error.value.message_dict


def test_few_measurements_are_not_enough_then_a_drift_is_degrading_with_evidence(
    production_model, model_owner
):
    kpi = _kpi(production_model, model_owner)
    services.record_measurements(actor=model_owner, kpi=kpi, points=_points(_noise(10)))
    kpi.refresh_from_db()
    assert kpi.trend_status == NOT_ENOUGH_DATA and kpi.trend_evidence["window"] == 10
    services.record_measurements(actor=model_owner, kpi=kpi, points=_points(DRIFTING))
    kpi.refresh_from_db()
    assert kpi.latest_status == OK  # no threshold crossed
    assert kpi.trend_status == DEGRADING
    evidence = kpi.trend_evidence
    assert evidence["window"] == DEFAULT_PARAMS.window and evidence["baseline_points"] == 30
    assert evidence["change"] < 0 and evidence["alarm_at"] and evidence["degrading_since"]
    assert kpi.trend_checked_at is not None


def test_a_new_direction_judges_the_window_again(degrading_kpi, model_owner):
    services.update_kpi(
        actor=model_owner,
        kpi=degrading_kpi,
        direction="lower",
        target=0.5,
        warning_threshold=0.9,
        critical_threshold=0.95,
    )
    degrading_kpi.refresh_from_db()
    assert degrading_kpi.trend_status == OK  # falling is good when lower is better
    assert degrading_kpi.trend_evidence["direction"] == "lower"


def test_the_stored_trend_is_the_detector_on_the_last_window_after_any_batches(production_model, model_owner):
    """Batches of all sizes, late points, equal times: the stored trend always equals the detector run on
    the KPI's last ``window`` measurements as stored; a one-point batch reads them in one query."""
    kpi = _kpi(production_model, model_owner)
    rng = random.Random(15)
    start = timezone.now() - timedelta(days=200)
    for batch in range(25):
        size = rng.choice([1, 1, 2, 5, 30, 70])
        points = [
            {
                "measured_at": start + timedelta(hours=rng.randrange(0, 24 * 199)),
                "value": round(rng.gauss(0.87 - 0.002 * batch, 0.01), 4),
            }
            for _ in range(size)
        ]
        with CaptureQueriesContext(connection) as queries:
            services.record_measurements(actor=model_owner, kpi=kpi, points=points)
        reads = [q for q in queries.captured_queries if 'FROM "governance_kpimeasurement"' in q["sql"]]
        assert len(reads) <= 1
        kpi.refresh_from_db()
        window = read_window(kpi.pk)
        expected = detect([v for _, v in window], "higher", times=[at.isoformat() for at, _ in window])
        assert kpi.trend_status == expected.status, batch
        for key in ("window", "statistic", "from", "to"):
            assert kpi.trend_evidence.get(key) == expected.evidence.get(key), (batch, key)


def test_refresh_rebuilds_freshness_and_trend_from_stored_measurements(production_model, model_owner):
    kpi = _kpi(production_model, model_owner)
    now = timezone.now()
    KPIMeasurement.objects.bulk_create(
        KPIMeasurement(kpi=kpi, measured_at=now - timedelta(days=59 - i), value=value)
        for i, value in enumerate(DRIFTING)
    )
    assert services.refresh_latest_state(KPIDefinition.objects.filter(pk=kpi.pk)) == 1
    kpi.refresh_from_db()
    assert kpi.trend_status == DEGRADING
    assert kpi.stale_after == kpi.latest_measured_at + timedelta(hours=DAILY)
    assert services.refresh_latest_state(KPIDefinition.objects.all()) == 0  # nothing left to change


def test_the_kpi_api_takes_a_cadence_and_shows_freshness_and_trend(api_client, degrading_kpi, model_owner):
    client = api_client(model_owner)
    data = client.get(f"/api/v1/kpis/{degrading_kpi.pk}/").json()
    assert data["expected_cadence_hours"] == DAILY and data["stale"] is False
    assert data["trend_status"] == DEGRADING and data["trend_evidence"]["window"] == 60
    answer = client.patch(f"/api/v1/kpis/{degrading_kpi.pk}/", {"expected_cadence_hours": 0}, format="json")
    assert answer.status_code == 400 and "expected_cadence_hours" in answer.json()["errors"]
    answer = client.patch(f"/api/v1/kpis/{degrading_kpi.pk}/", {"trend_status": "ok"}, format="json")
    assert answer.status_code == 200 and answer.json()["trend_status"] == DEGRADING  # derived, read-only


def test_the_kpi_form_takes_a_cadence(login, production_model, model_owner):
    client = login(model_owner)
    form = {
        "name": "Recall",
        "kind": "technical",
        "direction": "higher",
        "warning_threshold": "0.6",
        "expected_cadence_hours": "12",
    }
    response = client.post(reverse("governance:kpi-create", args=[production_model.pk]), form)
    assert response.status_code == 302
    assert KPIDefinition.objects.get(name="Recall").expected_cadence_hours == 12
    refused = client.post(
        reverse("governance:kpi-create", args=[production_model.pk]),
        {**form, "name": "Precision", "expected_cadence_hours": str(MAX_CADENCE_HOURS + 1)},
    )
    assert refused.status_code == 400 and "Give between 1 and" in refused.content.decode()


# --- The beat task announces each episode once -----------------------------------------------------------------


@pytest.fixture
def endpoint(organisation, admin_user_member):
    return webhook_endpoint_save(
        actor=admin_user_member,
        organisation=organisation,
        name="Ops",
        url="https://hooks.example.com/plumbline",
        events=["kpi.stale", "kpi.degrading"],
    )[0]


def _deliveries(event: str) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(event=event).order_by("pk"))


def test_a_stale_kpi_is_announced_once_per_episode(endpoint, stale_kpi, model_owner):
    assert check_kpi_freshness() == {"stale": 1, "degrading": 0}
    (delivery,) = _deliveries("kpi.stale")
    data = delivery.payload["data"]
    assert data["kpi"]["id"] == stale_kpi.pk and data["expected_cadence_hours"] == DAILY
    assert data["model"]["name"] == "Retail credit scorecard"
    assert check_kpi_freshness() == {"stale": 0, "degrading": 0}  # the same episode
    # Measured again, then silent again: a new episode.
    services.record_measurements(
        actor=model_owner,
        kpi=stale_kpi,
        points=[{"measured_at": timezone.now() - timedelta(days=2), "value": 0.9}],
    )
    assert check_kpi_freshness()["stale"] == 1
    assert len(_deliveries("kpi.stale")) == 2


def test_a_degrading_kpi_is_announced_once_until_it_recovers(endpoint, degrading_kpi, model_owner):
    assert check_kpi_freshness() == {"stale": 0, "degrading": 1}
    (delivery,) = _deliveries("kpi.degrading")
    evidence = delivery.payload["data"]["evidence"]
    assert evidence["window"] == 60 and evidence["baseline_mean"] > evidence["recent_mean"]
    assert check_kpi_freshness()["degrading"] == 0
    # More degrading values keep the same episode.
    services.record_measurements(
        actor=model_owner, kpi=degrading_kpi, points=_points([0.849], end=timezone.now())
    )
    assert check_kpi_freshness()["degrading"] == 0


def test_retired_models_and_kpis_without_cadence_are_not_announced(
    endpoint, production_model, model_owner, stale_kpi
):
    KPIDefinition.objects.filter(pk=stale_kpi.pk).update(expected_cadence_hours=None, stale_after=None)
    assert check_kpi_freshness()["stale"] == 0
    retired = AIModelFactory(
        organisation=production_model.organisation, owner=model_owner, lifecycle_stage=LifecycleStage.RETIRED
    )
    kpi = KPIDefinition.objects.create(model=retired, name="AUC", expected_cadence_hours=1)
    KPIDefinition.objects.filter(pk=kpi.pk).update(
        stale_after=timezone.now() - timedelta(hours=1), trend_status=DEGRADING
    )
    assert check_kpi_freshness() == {"stale": 0, "degrading": 0}


def test_the_check_is_a_beat_task(endpoint, stale_kpi):
    from config.celery import app
    from governance.tasks import check_kpi_freshness as task

    entry = django_settings.CELERY_BEAT_SCHEDULE["check-kpi-freshness"]
    assert entry["task"] in app.tasks and task.acks_late
    assert task.apply().get() == {"stale": 1, "degrading": 0}
    assert task.apply().get() == {"stale": 0, "degrading": 0}


# --- Pages -----------------------------------------------------------------------------------------------------


def test_the_kpi_page_says_stale_with_the_last_measurement_and_the_cadence(login, stale_kpi, model_owner):
    html = login(model_owner).get(reverse("governance:kpi-detail", args=[stale_kpi.pk])).content.decode()
    assert "Stale" in html and "expected every 24 h" in html and "3\xa0days" in html


def test_the_kpi_page_explains_a_degrading_trend(
    login, degrading_kpi, model_owner, django_assert_max_num_queries
):
    client = login(model_owner)
    with django_assert_max_num_queries(KPI_PAGE_QUERIES):
        response = client.get(reverse("governance:kpi-detail", args=[degrading_kpi.pk]))
    html = response.content.decode()
    assert "Degrading" in html and "Stale" not in html
    assert "Over the last 60 measurements" in html and "the first 30" in html
    assert (
        "the alarm fired at the measurement of" in html and "standard deviations in the bad direction" in html
    )


def test_another_organisations_kpi_answers_404(login, outsider, degrading_kpi):
    assert login(outsider).get(reverse("governance:kpi-detail", args=[degrading_kpi.pk])).status_code == 404


def test_the_dashboard_counts_stale_and_degrading_kpis_with_links(login, executive, stale_kpi, degrading_kpi):
    response = login(executive).get(reverse("home"))
    [health] = [p.context["kpis"].health for p in response.context["panels"] if p.key == "kpi_breaches"]
    assert (health.stale_count, health.degrading_count) == (1, 1)
    html = response.content.decode()
    assert "?kpi_stale=true" in html and "?kpi_degrading=true" in html
    assert "KPI with stale monitoring" in html and "KPI degrading" in html


@pytest.mark.parametrize("count", [3, 60])
def test_inventory_filters_find_stale_and_degrading_models_in_a_fixed_number_of_queries(
    login, organisation, model_owner, stale_kpi, degrading_kpi, count, django_assert_max_num_queries
):
    now = timezone.now()
    for i in range(count):
        model = AIModelFactory(organisation=organisation, owner=model_owner, name=f"Model {i:03d}")
        KPIDefinition.objects.create(
            model=model,
            name="AUC",
            expected_cadence_hours=24,
            stale_after=now + timedelta(hours=1 if i % 2 else -1),
            trend_status=OK,
        )
    stale_models = 1 + count // 2 + count % 2
    client = login(model_owner)
    for query, expected in (({"kpi_stale": "true"}, stale_models), ({"kpi_degrading": "true"}, 1)):
        with django_assert_max_num_queries(LIST_QUERIES):
            response = client.get(reverse("governance:model-list"), query)
        assert response.status_code == 200
        assert response.context["page"].paginator.count == expected, query
    not_degrading = client.get(reverse("governance:model-list"), {"kpi_degrading": "false"})
    assert not_degrading.context["page"].paginator.count == count


def test_the_api_model_list_filters_stale_models(api_client, model_owner, stale_kpi, degrading_kpi):
    rows = api_client(model_owner).get("/api/v1/models/", {"kpi_stale": "true"}).json()
    names = [row["name"] for row in (rows["results"] if isinstance(rows, dict) else rows)]
    assert names == ["Retail credit scorecard"]


# --- Reminders -------------------------------------------------------------------------------------------------


def test_a_stale_kpi_is_reminded_to_the_model_owner(stale_kpi, model_owner, production_model):
    items = [item for item in collect_reminders().get(model_owner.pk, []) if item.kind == KPI_STALE]
    assert [item.title for item in items] == [
        "Retail credit scorecard: Approval rate has not been measured as expected"
    ]
    assert items[0].is_overdue and "Expected every 24 h" in items[0].detail
    production_model.lifecycle_stage = LifecycleStage.RETIRED
    production_model.save()
    assert not [item for item in collect_reminders().get(model_owner.pk, []) if item.kind == KPI_STALE]


def test_stale_reminders_add_no_query_at_any_size(organisation, model_owner):
    def stale_kpis(count: int) -> None:
        now = timezone.now()
        for i in range(count):
            model = AIModelFactory(organisation=organisation, owner=model_owner)
            kpi = KPIDefinition.objects.create(model=model, name="AUC", expected_cadence_hours=24)
            KPIDefinition.objects.filter(pk=kpi.pk).update(stale_after=now - timedelta(hours=i + 1))

    counts = []
    for count in (1, 15):
        stale_kpis(count)
        with CaptureQueriesContext(connection) as queries:
            collected = collect_reminders()
        assert (
            len([item for item in collected[model_owner.pk] if item.kind == KPI_STALE])
            == len(counts) * 15 + 1
        )
        counts.append(len(queries))
    assert counts[0] == counts[1]  # breaches and stale KPIs share one statement


# --- Champion against challenger -------------------------------------------------------------------------------


@pytest.fixture
def challenger(production_model, model_owner, executive, permissive_release_policy):
    """Version 2.0 waits for promotion against the champion 1.0, with better AUC and worse latency."""
    champion = inventory_services.register_version(
        actor=model_owner,
        model=production_model,
        version="1.0",
        metrics={"auc": 0.81, "latency_ms": 120, "approval_rate": 0.5, "gini": 0.6},
    )
    ModelVersion.objects.filter(pk=champion.pk).update(status=VersionStatus.CHAMPION)
    candidate = inventory_services.register_version(
        actor=model_owner,
        model=production_model,
        version="2.0",
        metrics={"auc": 0.84, "latency_ms": 150, "approval_rate": 0.45, "recall": 0.7},
    )
    _kpi(
        production_model,
        model_owner,
        name="Approval rate",
        direction="lower",
        target=0.4,
        warning_threshold=0.6,
        critical_threshold=0.7,
    )
    return inventory_services.request_promotion(
        actor=model_owner, version=candidate, justification="Retrained on 2025 data."
    )


def test_the_approval_page_compares_the_candidate_with_the_champion(login, executive, challenger):
    response = login(executive).get(reverse("governance:approval-detail", args=[challenger.pk]))
    rows = {row.name: row.verdict for row in response.context["comparison"].comparison.rows}
    assert rows == {"approval_rate": "better", "auc": "better", "latency_ms": "worse"}  # the KPI says lower
    html = response.content.decode()
    assert "Version 2.0 against the champion 1.0" in html
    assert "2 metrics better, 1 worse" in html and "Only the candidate reports: recall" in html
    assert "not per version" in html


def test_the_model_page_compares_the_newest_candidate_within_its_query_bound(
    login, model_owner, production_model, challenger, django_assert_max_num_queries
):
    client = login(model_owner)
    url = reverse("governance:model-detail", args=[production_model.pk])
    client.get(url)  # warm: the session's first use is written once
    with django_assert_max_num_queries(15):  # as tests/governance/test_inventory_pages.py DETAIL_QUERIES
        html = client.get(url).content.decode()
    assert "Version 2.0 against the champion 1.0" in html


def test_the_api_compares_a_version_with_the_champion(api_client, model_owner, outsider, challenger):
    model_id = challenger.model_id
    url = f"/api/v1/models/{model_id}/versions/2.0/comparison/"
    data = api_client(model_owner).get(url).json()
    assert data["candidate"]["version"] == "2.0" and data["champion"]["version"] == "1.0"
    assert data["kpis_compared"] is False and "not per version" in data["note"]
    auc = next(row for row in data["metrics"] if row["name"] == "auc")
    assert auc == {
        "name": "auc",
        "direction": "higher",
        "direction_source": "known metric",
        "champion": 0.81,
        "candidate": 0.84,
        "difference": pytest.approx(0.03),
        "relative_change": pytest.approx(0.03 / 0.81),
        "verdict": "better",
    }
    assert data["summary"] == {"better": 2, "worse": 1, "same": 0, "direction unknown": 0}
    champion = api_client(model_owner).get(f"/api/v1/models/{model_id}/versions/1.0/comparison/").json()
    assert champion["champion"] is None and champion["metrics"] == []
    assert (
        api_client(model_owner).get(f"/api/v1/models/{model_id}/versions/9.9/comparison/").status_code == 404
    )
    assert api_client(outsider).get(url).status_code == 404


# --- The demo --------------------------------------------------------------------------------------------------


def test_the_demo_shows_a_stale_and_a_degrading_kpi(login):
    from django.core.management import call_command

    from governance.models import Organisation

    call_command("seed_demo", verbosity=0)
    organisation = Organisation.objects.get(name="Acme Bank")
    kpis = KPIDefinition.objects.filter(model__organisation=organisation)
    now = timezone.now()
    stale = list(kpis.filter(stale_after__lt=now))
    degrading_in_bounds = list(kpis.filter(trend_status=DEGRADING, latest_status=OK))
    assert [(k.model.name, k.name) for k in stale] == [("Card transaction fraud detector", "Approval rate")]
    assert [(k.model.name, k.name) for k in degrading_in_bounds] == [("Mortgage affordability model", "AUC")]
    assert all(k.expected_cadence_hours == 24 for k in kpis)
    admin = organisation.memberships.get(user__username="admin").user
    html = login(admin).get(reverse("home")).content.decode()
    assert "KPI with stale monitoring" in html
