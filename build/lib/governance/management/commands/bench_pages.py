"""Measure the main pages and API lists: time per request, queries and response size, at two inventory sizes.

Each size gets a throw-away organisation (models with versions, compliance records against the shipped EU AI Act
catalogue, and risks, incidents and a year of KPI measurements on every 25th model) inside a transaction that is
rolled back (with one audit event per model), so the database is left as it was. Requests go through the whole Django stack with the test client,
logged in as the organisation's administrator; the figures show whether a page's cost grows with the data.
"""

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

    def handle(self, *args, models, repeat: int, **options):
        sizes = models or [10, 500]
        if min(sizes) < 1 or repeat < 1:
            raise CommandError("--models and --repeat must be at least 1.")
        self.stdout.write(
            f"{'page':<28}{'models':>7}{'median ms':>11}{'max ms':>9}{'queries':>9}{'KiB':>8}{'status':>8}"
        )
        try:
            with transaction.atomic():
                for size in sizes:
                    self._bench_size(size, repeat)
                raise _Rollback
        except _Rollback:
            pass

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
        self.stdout.write(
            f"{label:<28}{model_count:>7}{statistics.median(timings):>11.1f}{max(timings):>9.1f}"
            f"{query_count:>9}{len(response.content) / 1024:>8.0f}{response.status_code:>8}"
        )
