from django.apps import AppConfig


class MaturityConfig(AppConfig):
    name = "maturity"
    verbose_name = "MLOps maturity"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from governance.core.registry import audit_actions
        from governance.core.scheduling import delete_beat_entry
        from maturity.actions import MaturityAction
        from maturity.models import ReassessmentSchedule

        audit_actions.register(MaturityAction)
        post_delete.connect(
            delete_beat_entry, sender=ReassessmentSchedule, dispatch_uid="reassessment-schedule-beat-entry"
        )
