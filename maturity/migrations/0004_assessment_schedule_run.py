"""Each scheduled draft names the schedule and the run (period key) that opened it, so a pipeline that asked for a
run can poll its outcome (GET /api/v1/reassessment-schedules/{id}/runs/{period}/). Drafts of earlier runs get
theirs from the run's audit event, which recorded both the draft and the period."""

import django.db.models.deletion
from django.db import migrations, models


def link_earlier_runs(apps, schema_editor):
    AuditEvent = apps.get_model("governance", "AuditEvent")
    Assessment = apps.get_model("maturity", "Assessment")
    ReassessmentSchedule = apps.get_model("maturity", "ReassessmentSchedule")
    schedules = set(ReassessmentSchedule.objects.values_list("pk", flat=True))
    runs = AuditEvent.objects.filter(
        action="schedule.run", object_type="maturity.reassessmentschedule"
    ).values_list("object_id", "changes")
    for schedule_id, changes in runs.iterator():
        assessment_id = (changes.get("last_assessment") or [None, None])[-1]
        period = (changes.get("last_run_period") or [None, ""])[-1]
        if assessment_id and period and int(schedule_id) in schedules:
            Assessment.objects.filter(pk=assessment_id, schedule_period="").update(
                schedule_id=int(schedule_id), schedule_period=period
            )


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0016_kpi_latest_state"),
        ("maturity", "0003_evidence_crosswalk_improvements"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="schedule",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="assessments",
                to="maturity.reassessmentschedule",
            ),
        ),
        migrations.AddField(
            model_name="assessment",
            name="schedule_period",
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.RunPython(link_earlier_runs, migrations.RunPython.noop, elidable=True),
    ]
