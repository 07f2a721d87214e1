"""Each scheduled report names the run (period key) that requested it, so a pipeline that asked for a run can
poll its outcome (GET /api/v1/report-schedules/{id}/runs/{period}/). Reports of earlier runs get theirs from
the run's audit event, which recorded both the report and the period."""

from django.db import migrations, models


def link_earlier_runs(apps, schema_editor):
    AuditEvent = apps.get_model("governance", "AuditEvent")
    Report = apps.get_model("governance", "Report")
    runs = AuditEvent.objects.filter(
        action="report_schedule.run", object_type="governance.reportschedule"
    ).values_list("changes", flat=True)
    for changes in runs.iterator():
        report_id = (changes.get("report") or [None, None])[-1]
        period = (changes.get("last_run_period") or [None, ""])[-1]
        if report_id and period:
            Report.objects.filter(pk=report_id, schedule_period="").update(schedule_period=period)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0019_version_registration_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="schedule_period",
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.RunPython(link_earlier_runs, migrations.RunPython.noop, elidable=True),
    ]
