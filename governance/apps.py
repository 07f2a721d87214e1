from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from governance.models import ReportSchedule
        from governance.signals import delete_beat_entry

        post_delete.connect(
            delete_beat_entry, sender=ReportSchedule, dispatch_uid="report-schedule-beat-entry"
        )
