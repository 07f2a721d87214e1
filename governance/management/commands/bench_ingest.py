"""KPI ingest under load: one large batch of measurements, then many pipelines posting small batches at once.

Builds a throw-away organisation with one model and its KPIs and commits it (the server's workers must see it),
then:

1. posts ``--points`` points (10,000 by default, the most a batch may hold) to one KPI ``--repeat`` times through
   the whole Django stack in this process (the server's time: parsing, checks, the INSERT and the KPI's latest
   state), and once more over HTTP to gunicorn;
2. starts gunicorn with the production settings and has ``--pipelines`` threads (100) post ``--pipeline-points``
   points (10) each at the same moment, half to one KPI and half spread over the others, their times out of order;
   it counts the answers that are not 201 and checks each KPI's stored latest state against its newest
   measurement.

Prints the figures; then stops gunicorn and deletes what it built. Exits with an error if a batch failed or a
KPI's latest state is wrong.
"""

import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from governance.core.roles import Role
from governance.demo.benchmark import build_inventory, build_organisation
from governance.management.commands.bench_api import gunicorn_server
from governance.models import AIModel, KPIDefinition, KPIMeasurement, TokenScope
from governance.rules.kpi_status import kpi_status
from governance.services.accounts import issue_api_token
from governance.services.monitoring import MAX_POINTS

SPREAD_KPIS = 5  # the KPIs that share the other half of the pipelines' batches


class Command(BaseCommand):
    help = "Time a 10,000-point KPI batch and run 100 concurrent pipelines posting 10 points each (gunicorn)."

    def add_arguments(self, parser):
        parser.add_argument("--points", type=int, default=MAX_POINTS, help="Points in the large batch.")
        parser.add_argument(
            "--repeat", type=int, default=5, help="Large batches timed in process (default 5)."
        )
        parser.add_argument(
            "--pipelines", type=int, default=100, help="Concurrent small batches (default 100)."
        )
        parser.add_argument(
            "--pipeline-points", type=int, default=10, help="Points per small batch (default 10)."
        )
        parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4).")

    def handle(self, *args, **options):
        if not 1 <= options["points"] <= MAX_POINTS or options["repeat"] < 1 or options["pipelines"] < 1:
            raise CommandError(f"--points is 1 to {MAX_POINTS}; --repeat and --pipelines at least 1.")
        if not 1 <= options["pipeline_points"] <= MAX_POINTS:
            raise CommandError(f"--pipeline-points is 1 to {MAX_POINTS}.")
        organisation, people = build_organisation("ingest")
        admin = people[Role.ADMIN]
        try:
            (model,) = build_inventory(organisation, admin, 1, version_count=1)
            # Created directly (no audit events), so that everything built can be deleted afterwards.
            kpis = [
                KPIDefinition.objects.create(
                    model=model, name=f"Bench KPI {i}", warning_threshold=0.8, critical_threshold=0.7
                )
                for i in range(1 + SPREAD_KPIS)
            ]
            _, token = issue_api_token(
                admin, name="bench_ingest", scope=TokenScope.READ_WRITE, lifetime_days=1
            )
            self.stdout.write(
                f"{connection.vendor}: {options['points']:,} points a batch; "
                f"{options['pipelines']} pipelines x {options['pipeline_points']} points, "
                f"gunicorn {options['workers']} sync workers"
            )
            self._large_batches(kpis[0], token, options)
            with gunicorn_server(options["workers"]) as base:
                self._large_batch_over_http(base, kpis[1], token, options)
                self._pipelines(base, kpis, token, options)
        finally:
            AIModel.objects.filter(organisation=organisation).delete()  # protected from a cascade: first
            organisation.delete()
            get_user_model().objects.filter(pk__in=[person.pk for person in people.values()]).delete()

    @staticmethod
    def _points(count: int, start, value: float = 0.9) -> list[dict]:
        return [
            {"measured_at": (start + timedelta(seconds=i)).isoformat(), "value": value} for i in range(count)
        ]

    def _large_batches(self, kpi: KPIDefinition, token: str, options: dict) -> None:
        client = Client()
        url = f"/api/v1/kpis/{kpi.pk}/measurements/"
        start = timezone.now() - timedelta(days=300)
        timings = []
        # One warm-up (imports, connection), then the timed batches, each later than the one before.
        for round_ in range(options["repeat"] + 1):
            body = json.dumps({"points": self._points(options["points"], start + timedelta(days=round_))})
            started = time.perf_counter()
            response = client.post(
                url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}", secure=True
            )
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 201:
                raise CommandError(
                    f"The large batch answered {response.status_code}: {response.content[:300]!r}"
                )
            if round_:
                timings.append(elapsed)
        self.stdout.write(
            f"large batch, in process (server time):  median {statistics.median(timings):.0f} ms, "
            f"max {max(timings):.0f} ms over {len(timings)}"
        )

    def _large_batch_over_http(self, base: str, kpi: KPIDefinition, token: str, options: dict) -> None:
        body = json.dumps({"points": self._points(options["points"], timezone.now() - timedelta(days=5))})
        started = time.perf_counter()
        status = _post(base, kpi, token, body.encode())
        elapsed = (time.perf_counter() - started) * 1000
        if status != 201:
            raise CommandError(f"The large batch over HTTP answered {status}.")
        self.stdout.write(
            f"large batch, over HTTP (gunicorn):      {elapsed:.0f} ms ({len(body) / 1024:.0f} KiB)"
        )

    def _pipelines(self, base: str, kpis: list[KPIDefinition], token: str, options: dict) -> None:
        count, size = options["pipelines"], options["pipeline_points"]
        start = timezone.now() - timedelta(days=2)
        bodies = []
        for number in range(count):
            kpi = kpis[0] if number % 2 == 0 else kpis[1 + number % SPREAD_KPIS]
            # Times unrelated to the order of posting: many batches are older than what a KPI already holds.
            slot = (number * 37) % count
            points = [
                {
                    "measured_at": (start + timedelta(minutes=slot, seconds=i)).isoformat(),
                    "value": (slot % 10) / 10,
                }
                for i in range(size)
            ]
            bodies.append((kpi, json.dumps({"points": points}).encode()))
        statuses: list[int | str] = [0] * count
        timings = [0.0] * count
        barrier = threading.Barrier(count)

        def pipeline(index: int) -> None:
            kpi, body = bodies[index]
            barrier.wait()
            started = time.perf_counter()
            try:
                statuses[index] = _post(base, kpi, token, body)
            except OSError as exc:
                statuses[index] = type(exc).__name__
            timings[index] = (time.perf_counter() - started) * 1000

        threads = [threading.Thread(target=pipeline, args=(i,)) for i in range(count)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        wall = (time.perf_counter() - started) * 1000
        errors = [status for status in statuses if status != 201]
        ordered = sorted(timings)
        self.stdout.write(
            f"{count} concurrent pipelines:  {count - len(errors)} x 201, {len(errors)} errors; "
            f"p50 {ordered[len(ordered) // 2]:.0f} ms, p99 {ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]:.0f} ms, "
            f"all done in {wall:.0f} ms"
        )
        wrong = []
        for kpi in kpis:
            kpi.refresh_from_db()
            newest = KPIMeasurement.objects.filter(kpi=kpi).order_by("-measured_at", "-pk").first()
            expected = (newest.value, newest.measured_at) if newest else (None, None)
            if (kpi.latest_value, kpi.latest_measured_at) != expected or kpi.latest_status != kpi_status(
                kpi, kpi.latest_value
            ):
                wrong.append(kpi.name)
        self.stdout.write(
            f"latest state of {len(kpis)} KPIs: {'wrong for ' + ', '.join(wrong) if wrong else 'correct'}"
        )
        if errors or wrong:
            raise CommandError(
                f"{len(errors)} failed batches ({sorted(set(map(str, errors)))}); wrong state: {wrong}"
            )


def _post(base: str, kpi: KPIDefinition, token: str, body: bytes) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/kpis/{kpi.pk}/measurements/",
        data=body,
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
