"""Demo and benchmark data for governance: the demo organisation's inventory, KPIs, compliance, risks,
incidents and report schedules (``seed_demo``), and the synthetic inventories the benchmarks measure.

``register()`` puts governance's seeders on ``governance.core.registry.demo_seeders``; other apps add theirs.
"""

from typing import Any

from governance.core.registry import DemoSeeder, demo_seeders


def _seed(function) -> Any:
    """A seeder that takes (organisation, users) from the demo context."""
    return lambda context: function(context["organisation"], context["users"])


def register() -> None:
    """Called from ``GovernanceConfig.ready``; the order is the order ``seed_demo`` runs them in."""
    from governance.demo.applicability import seed_applicability_demo
    from governance.demo.compliance import seed_compliance_demo
    from governance.demo.inventory import seed_inventory_demo
    from governance.demo.model_cards import seed_model_cards_demo
    from governance.demo.monitoring import seed_monitoring_demo
    from governance.demo.release import seed_release_demo
    from governance.demo.reports import seed_report_schedules_demo
    from governance.demo.risks import seed_risks_demo
    from governance.demo.technical_documentation import seed_technical_documentation_demo

    for key, order, function in (
        ("inventory", 30, seed_inventory_demo),
        ("monitoring", 40, seed_monitoring_demo),
        ("compliance", 50, seed_compliance_demo),
        ("statement-of-applicability", 55, seed_applicability_demo),
        ("risks", 60, seed_risks_demo),
        ("release", 65, seed_release_demo),
        ("model-cards", 67, seed_model_cards_demo),
        ("technical-documentation", 68, seed_technical_documentation_demo),
        ("report-schedules", 70, seed_report_schedules_demo),
    ):
        demo_seeders.register(DemoSeeder(key=key, seed=_seed(function), order=order))
