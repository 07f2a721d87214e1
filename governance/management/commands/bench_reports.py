"""Measure report rendering: wall time and peak Python memory (tracemalloc) per kind at realistic sizes.

Builds a throw-away organisation with N models (default 200) inside a transaction that is rolled back, so
the database is left as it was.
"""

import time
import tracemalloc

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from governance.models import AIModel, ModelVersion, Organisation, Report, ReportKind, RiskTier
from governance.reports import render


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Render each available report kind at a realistic size and print render time and peak memory."
    # Charts are inline SVG drawn in Python (governance.reports.charts): no browser is started per chart.

    def add_arguments(self, parser):
        parser.add_argument("--models", type=int, default=200, help="AI models in the benchmark inventory.")
        parser.add_argument("--versions", type=int, default=3, help="Versions per model.")
        parser.add_argument("--no-memory", action="store_true", help="Skip the (slow) traced pass.")

    def handle(self, *args, models: int, versions: int, no_memory: bool, **options):
        try:
            with transaction.atomic():
                self._bench(models, versions, measure_memory=not no_memory)
                raise _Rollback
        except _Rollback:
            pass

    def _bench(self, model_count: int, version_count: int, *, measure_memory: bool) -> None:
        user = get_user_model().objects.create(username="bench-reports-user")
        organisation = Organisation.objects.create(name="Benchmark Organisation (temporary)")
        tiers = RiskTier.values
        created = AIModel.objects.bulk_create(
            AIModel(
                organisation=organisation,
                name=f"Benchmark model {index:04d}",
                purpose="Scores applications for the benchmark.",
                owner=user,
                risk_tier=tiers[index % len(tiers)],
            )
            for index in range(model_count)
        )
        ModelVersion.objects.bulk_create(
            ModelVersion(model=model, version=f"1.{v}.0") for model in created for v in range(version_count)
        )
        cases = {
            ReportKind.MODEL_INVENTORY: None,
            ReportKind.MODEL_DOSSIER: created[0].pk if created else None,
        }
        self.stdout.write(f"{'kind':<22}{'models':>8}{'pages':>7}{'KiB':>9}{'seconds':>9}{'peak MiB':>10}")
        for kind, subject_id in cases.items():
            if kind not in render.BUILDERS:
                continue
            report = Report.objects.create(
                organisation=organisation,
                kind=kind,
                subject_id=subject_id,
                title=f"Benchmark {kind}",
                requested_by=user,
            )
            # Timed without tracing (tracemalloc slows WeasyPrint several times over), then traced for memory.
            started = time.perf_counter()
            rendered = render.render_pdf(report)
            elapsed = time.perf_counter() - started
            peak = 0
            if measure_memory:
                tracemalloc.start()
                render.render_pdf(report)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            self.stdout.write(
                f"{kind:<22}{model_count:>8}{rendered.page_count:>7}{len(rendered.content) / 1024:>9.0f}"
                f"{elapsed:>9.2f}{peak / 2**20:>10.1f}"
            )
