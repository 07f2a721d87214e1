"""Each KPI's stored latest state (value, time, status) against the on-read computation it replaced.

The pages used to find each KPI's newest measurement (latest ``measured_at``, then the newest row) and judge it
with ``kpi_status`` on every read; the services now keep the result on the KPI. These tests replay varied
histories through the services (late points, equal times, threshold and direction changes, KPIs without data)
and hold the stored state to that computation, in SQL and in Python, after every write.
"""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.models import AuditEvent, KPIDefinition, KPIMeasurement
from governance.rules.kpi_status import CRITICAL, NO_DATA, OK, SEVERITY, WARNING, kpi_status
from governance.services import monitoring as services
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db

STATUS_OF_SEVERITY = {value: key for key, value in SEVERITY.items()}


def on_read_python(kpi: KPIDefinition) -> tuple[float | None, object, str]:
    """The computation the KPI page, the API and the services ran: the newest row, judged in Python."""
    newest = kpi.measurements.order_by("-measured_at", "-pk").values_list("value", "measured_at").first()
    value, at = newest if newest else (None, None)
    return value, at, kpi_status(kpi, value)


def on_read_sql(kpi: KPIDefinition) -> tuple[float | None, str]:
    """The computation the dashboard and the inventory filters ran: a correlated subquery judged in SQL."""
    newest = KPIMeasurement.objects.filter(kpi=OuterRef("pk")).order_by("-measured_at", "-pk")

    def breached(threshold: str) -> Q:
        return Q(direction="higher", latest__lte=F(threshold)) | Q(
            direction="lower", latest__gte=F(threshold)
        )

    judged = (
        KPIDefinition.objects.filter(pk=kpi.pk)
        .annotate(latest=Subquery(newest.values("value")[:1]))
        .annotate(
            severity=Case(
                When(breached("critical_threshold"), then=Value(SEVERITY[CRITICAL])),
                When(breached("warning_threshold"), then=Value(SEVERITY[WARNING])),
                When(latest__isnull=False, then=Value(SEVERITY[OK])),
                default=None,
                output_field=IntegerField(),
            )
        )
        .get()
    )
    return judged.latest, STATUS_OF_SEVERITY.get(judged.severity, NO_DATA)


def assert_stored_matches_on_read(kpi: KPIDefinition) -> None:
    stored = KPIDefinition.objects.get(pk=kpi.pk)
    value, at, status = on_read_python(stored)
    assert (stored.latest_value, stored.latest_measured_at, stored.latest_status) == (value, at, status)
    assert on_read_sql(stored) == (value, status)


def _random_thresholds(rng: random.Random, direction: str) -> dict:
    """Warning and critical thresholds (either may be unset) ordered for the direction, on the values' grid."""
    warning, critical = sorted(rng.choice(GRID) for _ in range(2))
    if direction == "higher":
        warning, critical = critical, warning  # worse is lower: critical at or below warning
    return {
        "direction": direction,
        "target": None,
        "warning_threshold": warning if rng.random() < 0.8 else None,
        "critical_threshold": critical if rng.random() < 0.8 else None,
    }


# Values and thresholds share a grid, so values land exactly on thresholds too.
GRID = [round(0.05 * i, 2) for i in range(1, 20)]


@pytest.mark.parametrize("seed", range(4))
def test_stored_state_matches_the_on_read_computation_over_varied_histories(organisation, model_owner, seed):
    rng = random.Random(seed)
    model = AIModelFactory(organisation=organisation, owner=model_owner)
    base = timezone.now() - timedelta(days=30)
    # Few distinct times, so batches arrive out of order and collide on equal times.
    times = [base + timedelta(hours=rng.randrange(0, 500)) for _ in range(25)]
    kpis = [
        services.create_kpi(
            actor=model_owner,
            model=model,
            name=f"K{i}",
            **_random_thresholds(rng, rng.choice(["higher", "lower"])),
        )
        for i in range(4)
    ]
    for kpi in kpis:
        assert_stored_matches_on_read(kpi)  # no measurements yet: no data
    for _ in range(40):
        kpi = rng.choice(kpis[:3])  # the last KPI never gets data
        if rng.random() < 0.25:
            changes = _random_thresholds(rng, rng.choice(["higher", "lower"]))
            kpi = services.update_kpi(actor=model_owner, kpi=kpi, **changes)
        else:
            points = [
                {"measured_at": rng.choice(times).isoformat(), "value": rng.choice(GRID)}
                for _ in range(rng.randint(1, 6))
            ]
            services.record_measurements(actor=model_owner, kpi=kpi, points=points)
        for each in kpis:
            assert_stored_matches_on_read(each)
    assert KPIDefinition.objects.get(pk=kpis[3].pk).latest_status == NO_DATA


def _point(at, value):
    return {"measured_at": at.isoformat(), "value": value}


def test_a_late_point_leaves_the_latest_state_alone(auc, model_owner):
    now = timezone.now()
    services.record_measurements(actor=model_owner, kpi=auc, points=[_point(now - timedelta(hours=1), 0.9)])
    services.record_measurements(actor=model_owner, kpi=auc, points=[_point(now - timedelta(days=2), 0.5)])
    auc.refresh_from_db()
    assert (auc.latest_value, auc.latest_status) == (0.9, OK)
    assert auc.latest_measured_at == now - timedelta(hours=1)


def test_of_equal_times_the_last_stored_point_is_the_latest(auc, model_owner):
    at = timezone.now() - timedelta(hours=1)
    services.record_measurements(actor=model_owner, kpi=auc, points=[_point(at, 0.9), _point(at, 0.75)])
    auc.refresh_from_db()
    assert (auc.latest_value, auc.latest_status) == (0.75, WARNING)
    services.record_measurements(actor=model_owner, kpi=auc, points=[_point(at, 0.6)])
    auc.refresh_from_db()
    assert (auc.latest_value, auc.latest_status) == (0.6, CRITICAL)
    assert_stored_matches_on_read(auc)


def test_new_thresholds_judge_the_latest_value_again_and_the_audit_says_so(auc, model_owner):
    services.record_measurements(
        actor=model_owner, kpi=auc, points=[_point(timezone.now() - timedelta(hours=1), 0.78)]
    )
    auc.refresh_from_db()
    assert auc.latest_status == WARNING
    services.update_kpi(actor=model_owner, kpi=auc, warning_threshold=0.75, critical_threshold=0.7)
    auc.refresh_from_db()
    assert auc.latest_status == OK
    event = AuditEvent.objects.filter(action="kpi.update").latest("sequence")
    assert event.changes["latest_status"] == [WARNING, OK]
    # Turned around: lower is better, so 0.78 is past a critical threshold of 0.7.
    services.update_kpi(
        actor=model_owner,
        kpi=auc,
        direction="lower",
        target=None,
        warning_threshold=0.6,
        critical_threshold=0.7,
    )
    auc.refresh_from_db()
    assert auc.latest_status == CRITICAL
    assert_stored_matches_on_read(auc)


def test_editing_a_kpi_without_data_keeps_no_data(auc, model_owner):
    services.update_kpi(
        actor=model_owner, kpi=auc, warning_threshold=0.9, critical_threshold=0.8, target=0.95
    )
    auc.refresh_from_db()
    assert (auc.latest_value, auc.latest_measured_at, auc.latest_status) == (None, None, NO_DATA)


def test_refresh_rebuilds_the_state_after_measurements_are_removed(auc, model_owner):
    now = timezone.now()
    services.record_measurements(
        actor=model_owner,
        kpi=auc,
        points=[_point(now - timedelta(hours=2), 0.9), _point(now - timedelta(hours=1), 0.5)],
    )
    KPIMeasurement.objects.filter(kpi=auc, value=0.5).delete()
    assert services.refresh_latest_state(KPIDefinition.objects.filter(pk=auc.pk)) == 1
    assert_stored_matches_on_read(auc)
    KPIMeasurement.objects.filter(kpi=auc).delete()
    services.refresh_latest_state(KPIDefinition.objects.all())
    auc.refresh_from_db()
    assert (auc.latest_value, auc.latest_measured_at, auc.latest_status) == (None, None, NO_DATA)
    assert services.refresh_latest_state(KPIDefinition.objects.all()) == 0  # nothing left to change


def test_a_batch_is_one_insert_and_at_most_one_update_of_the_kpi(auc, model_owner):
    start = timezone.now() - timedelta(days=30)
    points = [_point(start + timedelta(minutes=i), 0.9) for i in range(1000)]
    with CaptureQueriesContext(connection) as queries:
        services.record_measurements(actor=model_owner, kpi=auc, points=points)
    statements = [q["sql"] for q in queries.captured_queries]
    inserts = [s for s in statements if s.startswith('INSERT INTO "governance_kpimeasurement"')]
    updates = [s for s in statements if s.startswith('UPDATE "governance_kpidefinition"')]
    # One INSERT on PostgreSQL; SQLite caps the variables of a statement, so it takes a few.
    assert len(inserts) == 1 if connection.vendor == "postgresql" else len(inserts) <= 10
    assert len(updates) == 1
    assert not [s for s in statements if 'FROM "governance_kpimeasurement"' in s]  # nothing read back
    # An older batch changes nothing on the KPI.
    with CaptureQueriesContext(connection) as queries:
        services.record_measurements(actor=model_owner, kpi=auc, points=[_point(start, 0.5)])
    assert not [
        q for q in queries.captured_queries if q["sql"].startswith('UPDATE "governance_kpidefinition"')
    ]
    assert_stored_matches_on_read(auc)


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_state_from_stored_measurements():
    executor = MigrationExecutor(connection)
    before, after = (
        [("governance", "0015_audit_log_filter_indexes")],
        [("governance", "0016_kpi_latest_state")],
    )
    try:
        executor.migrate(before)
        apps = executor.loader.project_state(before).apps
        organisation = apps.get_model("governance", "Organisation").objects.create(name="Migrated")
        owner = apps.get_model("auth", "User").objects.create(username="migrated-owner")
        model = apps.get_model("governance", "AIModel").objects.create(
            organisation=organisation, owner=owner, name="Old model", purpose="Scoring."
        )
        definitions = apps.get_model("governance", "KPIDefinition").objects
        measurements = apps.get_model("governance", "KPIMeasurement").objects
        now = timezone.now()
        recall = definitions.create(model=model, name="Recall", warning_threshold=0.8, critical_threshold=0.7)
        latency = definitions.create(model=model, name="Latency", direction="lower", warning_threshold=200)
        definitions.create(model=model, name="Gini", warning_threshold=0.4)
        for kpi, values in ((recall, [(3, 0.9), (1, 0.65), (2, 0.95)]), (latency, [(2, 250), (1, 120)])):
            measurements.bulk_create(
                measurements.model(kpi=kpi, measured_at=now - timedelta(hours=age), value=value)
                for age, value in values
            )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        # Then to the latest migration, so today's model (with every later column) reads what 0016 filled.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        states = {
            kpi.name: (kpi.latest_value, kpi.latest_status)
            for kpi in KPIDefinition.objects.filter(model__name="Old model")
        }
        assert states == {"Recall": (0.65, CRITICAL), "Latency": (120, OK), "Gini": (None, NO_DATA)}
        for kpi in KPIDefinition.objects.all():
            assert_stored_matches_on_read(kpi)
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
