"""Concurrent writes on PostgreSQL: no lost update, no audit event describing a value the row no longer has, and
a unique constraint lost in a race is the same 400 field error a sequential duplicate gets, never a 500.

Each test starts real threads, each with its own database connection, released together by a barrier. SQLite
serialises every write itself, so these run on PostgreSQL only (CI runs them there).
"""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from governance.compliance_catalogue import load_all
from governance.models import (
    AIModel,
    AuditEvent,
    ComplianceRecord,
    KPIDefinition,
    KPIMeasurement,
    Requirement,
)
from governance.rules.kpi_status import kpi_status
from governance.services import compliance as compliance_services
from governance.services import incidents as incident_services
from governance.services import inventory as inventory_services
from governance.services import monitoring as monitoring_services
from governance.services import risks as risk_services
from maturity import services as maturity_services
from maturity.models import ReassessmentSchedule
from tests.governance.inventory_factories import AIModelFactory
from tests.governance.reminder_factories import IncidentFactory, KPIFactory, RiskFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="Row locks are PostgreSQL's; SQLite serialises."
    ),
]

ROUNDS = 8


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at once, one thread each; return each one's result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except Exception as exc:  # the test inspects what each call raised
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def run_pooled(calls: list[Callable[[], Any]], workers: int = 20) -> list[Any]:
    """Run many calls ``workers`` at a time (as a web server's workers would), all started together; return each
    one's result or the exception it raised. More threads than this would need more database connections than
    a default PostgreSQL allows (100, shared)."""
    results: list[Any] = [None] * len(calls)
    pending = iter(range(len(calls)))
    take = threading.Lock()
    barrier = threading.Barrier(workers)

    def work() -> None:
        try:
            barrier.wait()
            while True:
                with take:
                    index = next(pending, None)
                if index is None:
                    return
                try:
                    results[index] = calls[index]()
                except Exception as exc:  # the test inspects what each call raised
                    results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def assert_no_lost_update(update: Callable[..., Any], record, values_by_round: list[dict[str, Any]]) -> None:
    """Each round changes different fields at once; every change must stay, and the audit trail must agree."""
    for values in values_by_round:
        results = run_together([lambda field=f, value=v: update(**{field: value}) for f, v in values.items()])
        assert not [r for r in results if isinstance(r, Exception)], results
        record.refresh_from_db()
        for field, value in values.items():
            assert getattr(record, field) == value, f"{field} lost its change"
    events = AuditEvent.objects.filter(object_type=record._meta.label_lower, object_id=str(record.pk))
    last_after: dict[str, Any] = {}
    for event in events.order_by("sequence"):
        for field, (before, after) in event.changes.items():
            # Each event starts from what the previous one left: no event rests on a stale copy of the row.
            assert field not in last_after or last_after[field] == before, (field, event.sequence)
            last_after[field] = after
    for field in values_by_round[-1]:
        assert last_after[field] == getattr(record, field)


@pytest.fixture
def model(organisation, model_owner):
    return AIModelFactory(organisation=organisation, owner=model_owner, name="Credit scorer")


# What each update path edits: the record to make, the service that changes it, the fields changed at once per
# round (the KPI's name too: a rename must not lose a unit changed at the same moment).
UPDATE_PATHS = {
    "kpi": (
        lambda model: KPIFactory(model=model, name="AUC"),
        lambda actor, kpi, **data: monitoring_services.update_kpi(actor=actor, kpi=kpi, **data),
        lambda r: {
            "unit": f"u{r}",
            "description": f"d{r}",
            "name": f"AUC {r}",
            "kind": ("business", "technical")[r % 2],
        },
    ),
    "model": (
        lambda model: model,
        lambda actor, record, **data: inventory_services.update_model(actor=actor, model=record, **data),
        lambda r: {"purpose": f"p{r}", "vendor": f"v{r}", "model_type": f"t{r}", "data_sources": f"s{r}"},
    ),
    "risk": (
        lambda model: RiskFactory(model=model, title="Drift"),
        lambda actor, risk, **data: risk_services.update_risk(actor=actor, risk=risk, **data),
        lambda r: {"title": f"t{r}", "description": f"d{r}", "mitigation": f"m{r}"},
    ),
    "incident": (
        lambda model: IncidentFactory(model=model, title="Outage"),
        lambda actor, incident, **data: incident_services.update_incident(
            actor=actor, incident=incident, **data
        ),
        lambda r: {"description": f"d{r}", "impact": f"i{r}", "root_cause": f"c{r}"},
    ),
}


@pytest.mark.parametrize("path", sorted(UPDATE_PATHS))
def test_concurrent_edits_of_different_fields_all_stay(path, model, admin_user_member):
    make, service, fields = UPDATE_PATHS[path]
    record = make(model)

    def update(**data):
        return service(admin_user_member, record, **data)

    assert_no_lost_update(update, record, [fields(r) for r in range(ROUNDS)])


def test_twenty_creates_of_one_name_make_one_model_and_nineteen_field_errors(organisation, model_owner):
    card = {"name": "Churn model", "purpose": "Predicts churn.", "owner": model_owner}

    def create():
        return inventory_services.create_model(actor=model_owner, organisation=organisation, **card)

    results = run_together([create] * 20)
    created = [r for r in results if isinstance(r, AIModel)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(created) == 1 and len(refused) == 19, results
    assert all("name" in r.message_dict for r in refused)
    assert AIModel.objects.filter(organisation=organisation).count() == 1


def test_twenty_api_creates_of_one_name_answer_one_201_and_nineteen_400s(
    api_client, organisation, model_owner
):
    body = {"name": "Churn model", "purpose": "Predicts churn.", "owner": model_owner.pk}

    def post():
        response = api_client(model_owner).post("/api/v1/models/", body, format="json")
        return response.status_code, response.json()

    results = run_together([post] * 20)
    codes = sorted(code for code, _ in results)
    assert codes == [201] + [400] * 19, results
    assert all("name" in body["errors"] for code, body in results if code == 400)


def test_twenty_creates_of_one_kpi_name_make_one_kpi(model, model_owner):
    def create():
        return monitoring_services.create_kpi(
            actor=model_owner, model=model, name="Recall", direction="higher"
        )

    results = run_together([create] * 20)
    assert sum(isinstance(r, KPIDefinition) for r in results) == 1, results
    assert all("name" in r.message_dict for r in results if isinstance(r, ValidationError)), results


def test_twenty_concurrent_breaching_batches_send_one_breach_email(model, model_owner, mailoutbox):
    kpi = monitoring_services.create_kpi(
        actor=model_owner,
        model=model,
        name="AUC",
        direction="higher",
        warning_threshold=0.8,
        critical_threshold=0.7,
    )
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() - timedelta(hours=1)
    healthy = {"value": 0.9, "measured_at": start.isoformat()}
    monitoring_services.record_measurements(actor=model_owner, kpi=kpi, points=[healthy])

    def breach(index: int):
        point = {"value": 0.5, "measured_at": (start + timedelta(minutes=index + 1)).isoformat()}
        return monitoring_services.record_measurements(actor=model_owner, kpi=kpi, points=[point])

    results = run_together([lambda i=i: breach(i) for i in range(20)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len([m for m in mailoutbox if "is critical" in m.subject]) == 1


def test_a_hundred_concurrent_batches_to_the_same_and_other_kpis_keep_every_point_and_the_latest_state(
    api_client, model, model_owner
):
    """Pipelines posting batches of ten points at once, half to one KPI and half spread over five, arriving out
    of order: every batch answers 201 and each KPI's stored latest state is its newest point, judged."""
    kpis = [
        monitoring_services.create_kpi(
            actor=model_owner, model=model, name=f"K{i}", warning_threshold=0.8, critical_threshold=0.7
        )
        for i in range(6)
    ]
    start = timezone.now() - timedelta(days=10)
    batches = []
    for number in range(100):
        kpi = kpis[0] if number % 2 == 0 else kpis[1 + number % 5]
        # Batches are posted in an order unrelated to their times, so many arrive older than what is stored.
        slot = (number * 37) % 100
        points = [
            {"measured_at": (start + timedelta(minutes=10 * slot + i)).isoformat(), "value": (slot % 10) / 10}
            for i in range(10)
        ]
        batches.append((kpi, points))

    def post(kpi, points):
        response = api_client(model_owner).post(
            f"/api/v1/kpis/{kpi.pk}/measurements/", {"points": points}, format="json"
        )
        return response.status_code

    results = run_pooled([lambda kpi=kpi, points=points: post(kpi, points) for kpi, points in batches])
    assert results == [201] * 100, results
    for kpi in kpis:
        kpi.refresh_from_db()
        newest = (
            KPIMeasurement.objects.filter(kpi=kpi)
            .order_by("-measured_at", "-pk")
            .values("value", "measured_at")
        ).first()
        expected = (newest["value"], newest["measured_at"]) if newest else (None, None)
        assert (kpi.latest_value, kpi.latest_measured_at) == expected, kpi.name
        assert kpi.latest_status == kpi_status(kpi, kpi.latest_value)
    assert KPIMeasurement.objects.filter(kpi=kpis[0]).count() == 500
    assert KPIMeasurement.objects.filter(kpi__model=model).count() == 1000
    # And from what was sent: each KPI holds the value of the newest point posted to it, whenever it arrived.
    for kpi in kpis:
        sent = [point for target, points in batches if target.pk == kpi.pk for point in points]
        assert kpi.latest_value == max(sent, key=lambda point: point["measured_at"])["value"], kpi.name


def test_concurrent_first_reviews_of_one_requirement_make_one_record(model, risk_officer):
    load_all()
    requirement = Requirement.objects.filter(framework__is_current=True, applies_to={}).first()

    def review():
        return compliance_services.update_record(
            actor=risk_officer,
            model=model,
            requirement=requirement,
            status="partial",
            notes="Reviewed.",
        )

    results = run_together([review] * 10)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert ComplianceRecord.objects.filter(model=model, requirement=requirement).count() == 1


def test_concurrent_first_saves_of_a_reassessment_schedule_make_one(organisation, admin_user_member):
    def save():
        return maturity_services.save_schedule(
            actor=admin_user_member,
            organisation=organisation,
            business_unit=None,
            frequency="monthly",
            active=True,
        )

    results = run_together([save] * 10)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert ReassessmentSchedule.objects.filter(organisation=organisation).count() == 1
