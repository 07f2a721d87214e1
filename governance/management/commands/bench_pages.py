"""Measure the main pages and API lists: time per request, queries and response size, at two inventory sizes.

Each size gets a throw-away organisation (models with versions, compliance records against the shipped EU AI Act
catalogue, and risks, incidents and a year of KPI measurements on every 25th model) inside a transaction that is
rolled back (with one audit event per model), so the database is left as it was. Requests go through the whole Django stack with the test client,
logged in as the organisation's administrator; the figures show whether a page's cost grows with the data.
"""

import json as jsonlib
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.core.audit import record_event
from governance.core.roles import Role
from governance.demo.benchmark import (
    build_compliance,
    build_inventory,
    build_model_records,
    build_organisation,
)
from governance.models import AIModel, KPIDefinition
from governance.models.actions import GovernanceAction

# A model in every RECORDS_EVERY gets risks, incidents and KPIs, so lists of those grow with the inventory too.
RECORDS_EVERY = 25


class _Rollback(Exception):
    pass


def _p95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# Repeats of a whole-register download (each takes seconds at 10,000 models).
EXPORT_REPEAT = 3


class Command(BaseCommand):
    help = "Time the main pages and API lists at several inventory sizes; print ms, queries and KiB per page."

    def add_arguments(self, parser):
        parser.add_argument(
            "--models",
            type=int,
            action="append",
            help="Inventory sizes to measure (repeatable; default 10 and 500).",
        )
        parser.add_argument("--repeat", type=int, default=5, help="Requests per page (after one warm-up).")
        parser.add_argument(
            "--json", action="store_true", help="Print the figures as JSON instead of a table."
        )

    def handle(self, *args, models, repeat: int, json: bool, **options):
        sizes = models or [10, 500]
        if min(sizes) < 1 or repeat < 1:
            raise CommandError("--models and --repeat must be at least 1.")
        self.as_json = json
        self.results: list[dict] = []
        if not json:
            self.stdout.write(
                f"{'page':<28}{'models':>7}{'median ms':>11}{'p95 ms':>9}{'queries':>9}{'KiB':>8}{'status':>8}"
            )
        try:
            with transaction.atomic():
                for size in sizes:
                    self._bench_size(size, repeat)
                raise _Rollback
        except _Rollback:
            pass
        self._summary(sizes)

    def _summary(self, sizes: list[int]) -> None:
        """The ratio of each page's median at the largest size to the smallest: how it grows with the data."""
        smallest, largest = min(sizes), max(sizes)
        by_page = {(row["page"], row["models"]): row for row in self.results}
        ratios = {
            page: round(
                by_page[page, largest]["median_ms"] / max(by_page[page, smallest]["median_ms"], 0.1), 2
            )
            for page, size in by_page
            if size == smallest and (page, largest) in by_page
        }
        if self.as_json:
            self.stdout.write(jsonlib.dumps({"pages": self.results, "ratio": ratios}, indent=2))
            return
        if largest != smallest:
            self.stdout.write(f"\nmedian at {largest} models / median at {smallest}:")
            for page, ratio in ratios.items():
                self.stdout.write(f"{page:<28}{ratio:>7.1f}x")

    def _bench_size(self, model_count: int, repeat: int) -> None:
        organisation, people = build_organisation(f"pages-{model_count}")
        officer = people[Role.RISK_OFFICER]
        created = build_inventory(organisation, people[Role.ADMIN], model_count, version_count=3)
        framework = build_compliance(organisation, created, officer)
        for model in created[::RECORDS_EVERY]:
            build_model_records(organisation, model, officer)
        for created_model in created:  # the audit log pages through one event per model
            record_event(
                organisation=organisation,
                actor=people[Role.ADMIN],
                action=GovernanceAction.MODEL_CREATE,
                obj=created_model,
            )
        if connection.vendor == "postgresql":
            # Statistics of the data just written, as autovacuum would have them on a live system: without them
            # the planner takes the new tables for empty and the figures say nothing about production.
            with connection.cursor() as cursor:
                # VACUUM as autovacuum would after a bulk load: without a visibility map, the COUNT of a page
                # (an index-only scan) reads every table page too. Not possible in a transaction (a test's).
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        model: AIModel = created[0]
        kpi = KPIDefinition.objects.filter(model=model).order_by("pk").first()

        client = Client()
        client.force_login(people[Role.ADMIN])
        pages = [
            ("dashboard", reverse("home")),
            ("inventory", reverse("governance:model-list")),
            ("inventory, filtered", reverse("governance:model-list") + "?tier=high&q=model"),
            ("model detail", reverse("governance:model-detail", args=[model.pk])),
            ("risk register", reverse("governance:risk-heatmap")),
            ("incidents", reverse("governance:incident-list")),
            ("approvals", reverse("governance:approval-list")),
            ("audit log", reverse("governance:audit-log")),
            ("reports", reverse("governance:report-list")),
            ("compliance overview", reverse("governance:compliance-overview")),
            ("assessments", reverse("maturity:assessment-list")),
            ("api: models", "/api/v1/models/"),
            ("api: risks", "/api/v1/risks/"),
            ("api: compliance records", "/api/v1/compliance-records/"),
        ]
        if kpi is not None:
            pages.append(("KPI (365 points)", reverse("governance:kpi-detail", args=[kpi.pk])))
        if framework is not None:
            pages += [
                ("compliance framework", reverse("governance:compliance-framework", args=[framework.key])),
                (
                    "compliance of a model",
                    reverse("governance:compliance-model", args=[model.pk, framework.key]),
                ),
            ]
        for label, url in pages:
            self._bench_page(client, label, url, model_count, repeat)
        # Whole-register downloads: built in the view (the XLSX file is written before the response), so the
        # request's time is the export's; fewer repeats, as one takes seconds at 10,000 models.
        exports = [("inventory XLSX export", reverse("governance:model-export-xlsx"))]
        if framework is not None:
            exports.append(
                (
                    "framework XLSX export",
                    reverse("governance:compliance-framework-export-xlsx", args=[framework.key]),
                )
            )
        for label, url in exports:
            self._bench_page(client, label, url, model_count, min(repeat, EXPORT_REPEAT))

    def _bench_page(self, client: Client, label: str, url: str, model_count: int, repeat: int) -> None:
        # Each request clears the connection's query log when it starts; clear it first so the capture's
        # starting index is 0. secure=True: outside DEBUG the app redirects plain HTTP to HTTPS.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, secure=True)  # the warm-up also counts the queries
        query_count = len(queries)  # now: the next request clears the log the capture reads from
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url, secure=True)
            timings.append((time.perf_counter() - started) * 1000)
        row = {
            "page": label,
            "models": model_count,
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(_p95(timings), 1),
            "queries": query_count,
            "kib": round(len(response.getvalue()) / 1024),
            "status": response.status_code,
        }
        self.results.append(row)
        if not self.as_json:
            self.stdout.write(
                f"{label:<28}{model_count:>7}{row['median_ms']:>11.1f}{row['p95_ms']:>9.1f}"
                f"{query_count:>9}{row['kib']:>8}{response.status_code:>8}"
            )
