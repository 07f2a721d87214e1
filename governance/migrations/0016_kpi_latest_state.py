# Each KPI keeps its latest measurement and judged status (issue 13): the services update them on every write, and
# this migration fills them from the measurements already stored.

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def _status(direction, warning, critical, value):
    """governance.rules.kpi_status.kpi_status as it stands at this migration (frozen: migrations outlive code)."""
    if value is None:
        return "no data"
    higher = direction == "higher"

    def breached(threshold):
        if threshold is None:
            return False
        return value <= threshold if higher else value >= threshold

    if breached(critical):
        return "critical"
    if breached(warning):
        return "warning"
    return "ok"


def fill_latest_state(apps, schema_editor):
    KPIDefinition = apps.get_model("governance", "KPIDefinition")
    KPIMeasurement = apps.get_model("governance", "KPIMeasurement")
    # The newest measurement: latest measured_at, then the last stored row (what the pages showed until now).
    newest = KPIMeasurement.objects.filter(kpi=OuterRef("pk")).order_by("-measured_at", "-pk")
    measured = (
        KPIDefinition.objects.filter(models.Exists(KPIMeasurement.objects.filter(kpi=OuterRef("pk"))))
        .annotate(
            newest_value=Subquery(newest.values("value")[:1]),
            newest_at=Subquery(newest.values("measured_at")[:1]),
        )
        .order_by("pk")
    )
    batch = []
    for kpi in measured.iterator(chunk_size=2000):
        kpi.latest_value, kpi.latest_measured_at = kpi.newest_value, kpi.newest_at
        kpi.latest_status = _status(kpi.direction, kpi.warning_threshold, kpi.critical_threshold, kpi.newest_value)
        batch.append(kpi)
        if len(batch) == 1000:
            KPIDefinition.objects.bulk_update(batch, ["latest_value", "latest_measured_at", "latest_status"])
            batch = []
    KPIDefinition.objects.bulk_update(batch, ["latest_value", "latest_measured_at", "latest_status"])


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0015_audit_log_filter_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='kpidefinition',
            name='latest_measured_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='kpidefinition',
            name='latest_status',
            field=models.CharField(choices=[('ok', 'OK'), ('warning', 'Warning'), ('critical', 'Critical'), ('no data', 'No data')], default='no data', editable=False, max_length=10),
        ),
        migrations.AddField(
            model_name='kpidefinition',
            name='latest_value',
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        # Filled before the partial index is built, so the index is written once.
        migrations.RunPython(fill_latest_state, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='kpidefinition',
            index=models.Index(condition=models.Q(('latest_status__in', ('warning', 'critical'))), fields=['model'], name='kpi_breaching_idx'),
        ),
    ]
