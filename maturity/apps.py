from django.apps import AppConfig


class MaturityConfig(AppConfig):
    name = "maturity"
    verbose_name = "MLOps maturity"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from governance.core.registry import NavEntry, NavGroup, audit_actions, nav_entries
        from governance.core.scheduling import delete_beat_entry
        from maturity import demo, panels, reports
        from maturity.actions import MATURITY_PHRASES, MaturityAction
        from maturity.models import ReassessmentSchedule

        audit_actions.register(MaturityAction, MATURITY_PHRASES)
        reports.register()
        panels.register()
        demo.register()
        nav_entries.register(
            NavEntry(
                "Maturity",
                "maturity:dashboard",
                "Overall and factor scores over time.",
                10,
                NavGroup.MATURITY,
            ),
            NavEntry(
                "Assessments",
                "maturity:assessment-list",
                "Answer, submit and approve maturity assessments.",
                20,
                NavGroup.MATURITY,
            ),
            NavEntry(
                "Compare units",
                "maturity:compare",
                "Business units side by side, factor by factor.",
                30,
                NavGroup.MATURITY,
            ),
            NavEntry(
                "Improvement actions",
                "maturity:action-list",
                "The actions planned to close the gaps the assessments found.",
                32,
                NavGroup.MATURITY,
            ),
            NavEntry(
                "Reassessments",
                "maturity:schedule-list",
                "When each business unit is due to be assessed again.",
                34,
                NavGroup.MATURITY,
            ),
        )
        post_delete.connect(
            delete_beat_entry, sender=ReassessmentSchedule, dispatch_uid="reassessment-schedule-beat-entry"
        )
