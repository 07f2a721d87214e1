"""The outbox of background jobs, and the heartbeat a worker keeps on the report it renders."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0007_report_kinds_from_registry'),
    ]

    operations = [
        migrations.AddField(
            model_name='report',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name='PendingJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('task', models.CharField(help_text="The Celery task's registered name.", max_length=200)),
                ('kwargs', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('dispatched_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('last_error', models.CharField(blank=True, max_length=500)),
            ],
            options={
                'ordering': ['created_at', 'pk'],
                'indexes': [models.Index(fields=['dispatched_at', 'created_at'], name='pending_job_queue')],
            },
        ),
    ]
