"""Demo report schedules: the monthly inventory report for the auditors, so the schedules page has content.

Call ``seed_report_schedules_demo(organisation, users)`` with the role -> user dict the demo seeding uses (needs
"admin"). Idempotent: an organisation that already has schedules is left as it is.
"""

from governance.models import Framework, ReportSchedule, ScheduleFrequency
from governance.reports.services import available_kinds
from governance.services.report_schedules import save_report_schedule

# (kind, frequency, attach the PDF, parameters)
DEMO_SCHEDULES = [
    ("model_inventory", ScheduleFrequency.MONTHLY, True, {}),
    ("compliance", ScheduleFrequency.QUARTERLY, False, {"framework": "eu-ai-act"}),
]


def seed_report_schedules_demo(organisation, users: dict) -> list[ReportSchedule]:
    """Schedule the demo organisation's recurring reports to its auditor and an external audit firm."""
    admin = users.get("admin")
    if admin is None or ReportSchedule.objects.filter(organisation=organisation).exists():
        return []
    auditor = users.get("auditor")
    recipients = [auditor.email] if auditor and auditor.email else []
    recipients.append("model-risk-audit@audit-firm.example")
    available = {kind for kind, _label in available_kinds()}
    loaded = set(Framework.objects.filter(is_current=True).values_list("key", flat=True))
    return [
        save_report_schedule(
            actor=admin,
            organisation=organisation,
            kind=kind,
            frequency=frequency,
            recipients=recipients,
            attach_pdf=attach_pdf,
            active=True,
            parameters=parameters,
        )
        for kind, frequency, attach_pdf, parameters in DEMO_SCHEDULES
        if kind in available and parameters.get("framework", "") in loaded | {""}
    ]
