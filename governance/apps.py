from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete

        from governance import demo
        from governance.accounts import oidc  # noqa: F401  (registers its start-up check)
        from governance.accounts.two_factor import owe_second_factor
        from governance.core import (
            checks,  # noqa: F401  (registers the start-up checks)
            navigation,
        )
        from governance.core.registry import audit_actions, nav_entries
        from governance.core.scheduling import delete_beat_entry
        from governance.models import ReportSchedule
        from governance.models.actions import GOVERNANCE_PHRASES, GovernanceAction
        from governance.reports import kinds, model_card_kind
        from governance.selectors import waiting

        audit_actions.register(GovernanceAction, GOVERNANCE_PHRASES)
        kinds.register()
        model_card_kind.register()
        from governance.reports import applicability_kind

        applicability_kind.register()
        from governance.reports import technical_documentation_kind

        technical_documentation_kind.register()
        waiting.register()
        demo.register()
        nav_entries.register(*navigation.GOVERNANCE_ENTRIES)
        from governance.selectors import home

        home.register()
        user_logged_in.connect(owe_second_factor, dispatch_uid="owe-second-factor")
        post_delete.connect(
            delete_beat_entry, sender=ReportSchedule, dispatch_uid="report-schedule-beat-entry"
        )
