"""Measure report rendering: wall and CPU time, pages, size and the rendering process's peak memory per kind.

Every registered report kind is measured on the case its spec's ``benchmark_case`` builds.
Builds a throw-away organisation inside a transaction that is rolled back, so the database is left as it was:
N models (default 200) with versions, risks, incidents, KPIs and compliance records against the shipped
frameworks; a 40-question assessment answered with long comments and evidence, submitted and approved through
the real services (about 20 pages); and business units with quarterly approved reassessments.

Peak memory is the process's peak resident set size while it renders one kind (Linux's high-water mark, reset
before each kind); "start" is what the process held when that render began (Django, WeasyPrint and the
benchmark's own data), so peak minus start is what the render itself took.
"""

import contextlib
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from governance.core.registry import report_kinds
from governance.core.roles import Role
from governance.demo.benchmark import (
    build_compliance,
    build_inventory,
    build_model_records,
    build_organisation,
)
from governance.models import Report
from governance.reports import render

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def reset_peak_memory() -> None:
    """Start the process's peak resident memory afresh (Linux; elsewhere the peak is not measured)."""
    with contextlib.suppress(OSError):
        CLEAR_REFS.write_text("5")


def memory_mib(field: str = "VmHWM") -> float | None:
    """The process's peak resident memory since the last reset (VmHWM) or its resident memory now (VmRSS), in
    MiB; None where the system does not say."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _mib(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "n/a"


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Render each report kind at a realistic size and print render time, pages, size and peak memory."
    # Charts are inline SVG drawn in Python (governance.reports.charts): no browser is started per chart.

    def add_arguments(self, parser):
        parser.add_argument("--models", type=int, default=200, help="AI models in the benchmark inventory.")
        parser.add_argument("--versions", type=int, default=3, help="Versions per model.")
        parser.add_argument("--units", type=int, default=6, help="Business units with assessment history.")
        parser.add_argument("--output", help="Also write each PDF to this folder, to look at.")
        parser.add_argument(
            "--kind", action="append", help="Only these kinds (repeatable); default: every registered kind."
        )

    def handle(self, *args, models: int, versions: int, units: int, kind, output, **options):
        self.output = Path(output) if output else None
        if self.output:
            self.output.mkdir(parents=True, exist_ok=True)
        try:
            with transaction.atomic():
                self._bench(models, versions, units, kinds=kind)
                raise _Rollback
        except _Rollback:
            pass

    def _bench(self, model_count: int, version_count: int, unit_count: int, *, kinds) -> None:
        organisation, people = build_organisation("reports")
        user = people[Role.ADMIN]
        created = build_inventory(organisation, user, model_count, version_count)
        framework = build_compliance(organisation, created, people[Role.RISK_OFFICER])
        if created:
            build_model_records(organisation, created[0], people[Role.RISK_OFFICER])
        context = {
            "organisation": organisation,
            "people": people,
            "models": created,
            "framework": framework,
            "model_count": model_count,
            "unit_count": unit_count,
        }
        # Wall time depends on what else the machine runs; CPU time is this process's own work.
        self.stdout.write(
            f"{'kind':<24}{'size':>14}{'pages':>7}{'KiB':>9}{'seconds':>9}{'cpu s':>8}{'start MiB':>10}"
            f"{'peak MiB':>10}"
        )
        for spec in report_kinds:
            report_kind = spec.key
            if kinds and report_kind not in kinds:
                continue
            case = spec.benchmark_case(context) if spec.benchmark_case else None
            if case is None:
                self.stdout.write(f"{report_kind:<24} skipped: no benchmark case (or no data to build one)")
                continue
            subject_id, parameters, size = case
            report = Report.objects.create(
                organisation=organisation,
                kind=report_kind,
                subject_id=subject_id,
                parameters=parameters,
                title=f"Benchmark {report_kind}",
                requested_by=user,
            )
            with tempfile.TemporaryFile() as scratch:
                reset_peak_memory()
                start = memory_mib("VmRSS")  # what this process held already (the benchmark's own data)
                started, cpu_started = time.perf_counter(), time.process_time()
                pages = render.render_pdf(report, scratch)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
                peak = memory_mib()
                kib = scratch.tell() / 1024
                if self.output:
                    scratch.seek(0)
                    (self.output / f"{report_kind}.pdf").write_bytes(scratch.read())
            self.stdout.write(
                f"{report_kind:<24}{size:>14}{pages:>7}{kib:>9.0f}{elapsed:>9.2f}{cpu:>8.2f}"
                f"{_mib(start):>10}{_mib(peak):>10}"
            )
