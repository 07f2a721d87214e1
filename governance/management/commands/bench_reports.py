"""Measure report rendering: wall time and peak Python memory (tracemalloc) per kind at realistic sizes.

Builds a throw-away organisation inside a transaction that is rolled back, so the database is left as it was:
N models (default 200) with versions, risks, incidents, KPIs and compliance records against the shipped
frameworks; a 40-question assessment answered with long comments and evidence, submitted and approved through
the real services (about 20 pages); and business units with quarterly approved reassessments.
"""

import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from governance.benchmark_data import (
    build_compliance,
    build_inventory,
    build_model_records,
    build_organisation,
)
from governance.core.roles import Role
from governance.models import BusinessUnit, Report, ReportKind

# Long enough that each answer takes several lines, as real assessors' notes do.
COMMENT = (
    "Reviewed with the platform lead and two product teams. The practice is followed by the teams that "
    "adopted the shared pipeline template; teams on legacy tooling still rely on manual steps and tribal "
    "knowledge. Evidence was sampled from the last two quarters. "
)


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Render each report kind at a realistic size and print render time, pages, size and peak memory."
    # Charts are inline SVG drawn in Python (governance.reports.charts): no browser is started per chart.

    def add_arguments(self, parser):
        parser.add_argument("--models", type=int, default=200, help="AI models in the benchmark inventory.")
        parser.add_argument("--versions", type=int, default=3, help="Versions per model.")
        parser.add_argument("--units", type=int, default=6, help="Business units with assessment history.")
        parser.add_argument("--no-memory", action="store_true", help="Skip the (slow) traced pass.")
        parser.add_argument("--output", help="Also write each PDF to this folder, to look at.")
        parser.add_argument(
            "--kind", action="append", choices=ReportKind.values, help="Only these kinds (repeatable)."
        )

    def handle(self, *args, models: int, versions: int, units: int, no_memory: bool, kind, output, **options):
        self.output = Path(output) if output else None
        if self.output:
            self.output.mkdir(parents=True, exist_ok=True)
        try:
            with transaction.atomic():
                self._bench(models, versions, units, kinds=kind, measure_memory=not no_memory)
                raise _Rollback
        except _Rollback:
            pass

    def _bench(
        self, model_count: int, version_count: int, unit_count: int, *, kinds, measure_memory: bool
    ) -> None:
        organisation, people = build_organisation("reports")
        user = people[Role.ADMIN]
        created = build_inventory(organisation, user, model_count, version_count)
        framework = build_compliance(organisation, created, people[Role.RISK_OFFICER])
        if created:
            build_model_records(organisation, created[0], people[Role.RISK_OFFICER])
        assessment = self._assessment(organisation, people)
        self._history(organisation, unit_count, assessment)
        cases = {
            ReportKind.MODEL_INVENTORY: (None, {}, f"{model_count} models"),
            ReportKind.MODEL_DOSSIER: (created[0].pk if created else None, {}, "1 model"),
            ReportKind.ASSESSMENT: (assessment.pk, {}, "40 questions"),
            ReportKind.ORGANISATION_MATURITY: (None, {}, f"{unit_count} units"),
            ReportKind.COMPLIANCE: (
                None,
                {"framework": framework.key, "framework_version": framework.version} if framework else {},
                f"{model_count} models",
            ),
        }
        from governance.reports import render

        # Wall time depends on what else the machine runs; CPU time is this process's own work.
        self.stdout.write(
            f"{'kind':<24}{'size':>14}{'pages':>7}{'KiB':>9}{'seconds':>9}{'cpu s':>8}{'peak MiB':>10}"
        )
        for report_kind, (subject_id, parameters, size) in cases.items():
            if report_kind not in render.BUILDERS or (kinds and report_kind not in kinds):
                continue
            if report_kind == ReportKind.COMPLIANCE and framework is None:
                self.stdout.write(f"{report_kind:<24} skipped: no compliance framework file is shipped")
                continue
            report = Report.objects.create(
                organisation=organisation,
                kind=report_kind,
                subject_id=subject_id,
                parameters=parameters,
                title=f"Benchmark {report_kind}",
                requested_by=user,
            )
            # Timed without tracing (tracemalloc slows WeasyPrint several times over), then traced for memory.
            started, cpu_started = time.perf_counter(), time.process_time()
            rendered = render.render_pdf(report)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            if self.output:
                (self.output / f"{report_kind}.pdf").write_bytes(rendered.content)
            peak = 0
            if measure_memory:
                tracemalloc.start()
                render.render_pdf(report)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            self.stdout.write(
                f"{report_kind:<24}{size:>14}{rendered.page_count:>7}{len(rendered.content) / 1024:>9.0f}"
                f"{elapsed:>9.2f}{cpu:>8.2f}{peak / 2**20:>10.1f}"
            )

    def _assessment(self, organisation, people):
        """A 40-question assessment answered, submitted and approved through the real services."""
        from maturity import services
        from maturity.models import Question
        from maturity.questionnaire import load_questionnaire, shipped_files

        questionnaire, _ = load_questionnaire(shipped_files()[-1])
        assessment = services.create_assessment(
            actor=people[Role.ASSESSOR],
            organisation=organisation,
            title="Benchmark annual MLOps maturity review",
            questionnaire=questionnaire,
        )
        keys = list(
            Question.objects.filter(factor__questionnaire=questionnaire)
            .order_by("factor__order", "order")
            .values_list("key", flat=True)
        )
        answers = [
            {
                "question": key,
                "level": index % 6,
                "comment": COMMENT,
                "evidence_links": [
                    f"https://wiki.example.com/mlops/evidence/{key}",
                    f"DMS-{index:04d} steering committee minutes, section {index % 7 + 1}",
                    f"https://git.example.com/platform/pipelines/-/blob/main/docs/{key}.md",
                ],
            }
            for index, key in enumerate(keys)
        ]
        services.save_answers(actor=people[Role.ASSESSOR], assessment=assessment, answers=answers)
        services.submit_assessment(actor=people[Role.ASSESSOR], assessment=assessment)
        services.approve_assessment(actor=people[Role.EXECUTIVE], assessment=assessment)
        return assessment

    def _history(self, organisation, unit_count: int, template) -> None:
        """Four quarterly approved reassessments for the organisation and each unit, copying the template's answers."""
        from maturity.models import Answer, Assessment, AssessmentStatus

        answers = list(Answer.objects.filter(assessment=template))
        units = [None] + [
            BusinessUnit.objects.create(organisation=organisation, name=f"Benchmark unit {index + 1}")
            for index in range(unit_count)
        ]
        now = timezone.now()
        for position, unit in enumerate(units):
            for quarter in range(4):
                score = min(5.0, 1.5 + 0.4 * quarter + 0.2 * position)
                assessment = Assessment.objects.create(
                    organisation=organisation,
                    business_unit=unit,
                    questionnaire_id=template.questionnaire_id,
                    title=f"Q{quarter + 1} review {unit.name if unit else 'organisation-wide'}",
                    status=AssessmentStatus.APPROVED,
                    targets=template.targets,
                    submitted_by=template.submitted_by,
                    submitted_at=now - timedelta(days=90 * (4 - quarter) + 2),
                    approved_by=template.approved_by,
                    approved_at=now - timedelta(days=90 * (4 - quarter)),
                    overall_score=score,
                    factor_scores=dict.fromkeys(template.factor_scores or {}, score),
                )
                Answer.objects.bulk_create(
                    Answer(
                        assessment=assessment,
                        question_id=a.question_id,
                        level=a.level,
                        not_applicable=a.not_applicable,
                        comment=a.comment,
                        answered_by=a.answered_by,
                    )
                    for a in answers
                )
