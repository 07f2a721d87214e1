"""Roles and what each may do: the one table every page, endpoint and service checks against."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    EXECUTIVE = "executive", "Executive"
    ASSESSOR = "assessor", "Assessor"
    MODEL_OWNER = "model_owner", "Model owner"
    RISK_OFFICER = "risk_officer", "Risk & compliance officer"
    AUDITOR = "auditor", "Auditor (read-only)"


ADMIN, EXECUTIVE, ASSESSOR = Role.ADMIN, Role.EXECUTIVE, Role.ASSESSOR
OWNER, RISK, AUDITOR = Role.MODEL_OWNER, Role.RISK_OFFICER, Role.AUDITOR

# Every member of an organisation may read its records; these are the actions that change something.
# Separation of duties is enforced on top of this table by the services (submitter != approver).
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset(Role.values),
    "organisation.manage": frozenset({ADMIN}),
    "membership.manage": frozenset({ADMIN}),
    "assessment.edit": frozenset({ADMIN, ASSESSOR}),
    "assessment.submit": frozenset({ADMIN, ASSESSOR}),
    "assessment.approve": frozenset({ADMIN, EXECUTIVE}),
    "schedule.manage": frozenset({ADMIN}),
    "model.edit": frozenset({ADMIN, OWNER, RISK}),
    "model.approve": frozenset({EXECUTIVE, RISK}),
    "version.register": frozenset({ADMIN, OWNER}),
    "risk.edit": frozenset({ADMIN, OWNER, RISK}),
    "compliance.edit": frozenset({ADMIN, RISK}),
    "kpi.edit": frozenset({ADMIN, OWNER}),
    "kpi.measure": frozenset({ADMIN, OWNER}),
    "incident.edit": frozenset({ADMIN, OWNER, RISK}),
    "audit.view": frozenset({ADMIN, EXECUTIVE, RISK, AUDITOR}),
    "report.request": frozenset(Role.values),
    "report.schedule": frozenset({ADMIN}),
}


def role_allows(role: str | None, action: str) -> bool:
    """True when ``role`` may perform ``action``; unknown actions are denied."""
    if role is None:
        return False
    return role in PERMISSIONS.get(action, frozenset())
