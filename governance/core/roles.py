"""Roles and what each may do: the one table every page, endpoint and service checks against."""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    EXECUTIVE = "executive", "Executive"
    ASSESSOR = "assessor", "Assessor"
    MODEL_OWNER = "model_owner", "Model owner"
    RISK_OFFICER = "risk_officer", "Risk & compliance officer"
    # Independent model validation (SR 11-7's "effective challenge"): records validations and their findings.
    VALIDATOR = "validator", "Model validator"
    AUDITOR = "auditor", "Auditor (read-only)"


ADMIN, EXECUTIVE, ASSESSOR = Role.ADMIN, Role.EXECUTIVE, Role.ASSESSOR
OWNER, RISK, AUDITOR = Role.MODEL_OWNER, Role.RISK_OFFICER, Role.AUDITOR
VALIDATOR = Role.VALIDATOR


class Permission(StrEnum):
    """An action a role may be allowed; a name that is not here is a programming error, never a quiet denial."""

    VIEW = "view"
    ORGANISATION_MANAGE = "organisation.manage"
    MEMBERSHIP_MANAGE = "membership.manage"
    ASSESSMENT_EDIT = "assessment.edit"
    ASSESSMENT_SUBMIT = "assessment.submit"
    ASSESSMENT_APPROVE = "assessment.approve"
    # Adopt a maturity roadmap item as an improvement action with an owner and a due date.
    IMPROVEMENT_ADOPT = "improvement.adopt"
    SCHEDULE_MANAGE = "schedule.manage"
    MODEL_EDIT = "model.edit"
    MODEL_APPROVE = "model.approve"
    # Approve although an overridable release check fails, with a written justification.
    RELEASE_OVERRIDE = "release.override"
    RELEASE_POLICY_MANAGE = "release_policy.manage"
    VALIDATION_RECORD = "validation.record"
    DEPLOYMENT_CHECK = "deployment.check"
    DEPLOYMENT_RECORD = "deployment.record"
    VERSION_REGISTER = "version.register"
    RISK_EDIT = "risk.edit"
    COMPLIANCE_EDIT = "compliance.edit"
    # Decide the Statement of Applicability of ISO/IEC 42001 Annex A controls, and issue it.
    APPLICABILITY_EDIT = "applicability.edit"
    # Write the free-text parts of a high-risk model's EU AI Act Annex IV technical documentation.
    TECHNICAL_DOCUMENTATION_EDIT = "technical_documentation.edit"
    # Write a version's model card (pipelines post it with their owner's token).
    MODEL_CARD_EDIT = "model_card.edit"
    # Report branding: logo, accent colour, classification line, sign-off roles.
    BRANDING_MANAGE = "branding.manage"
    KPI_EDIT = "kpi.edit"
    KPI_MEASURE = "kpi.measure"
    INCIDENT_EDIT = "incident.edit"
    AUDIT_VIEW = "audit.view"
    # Export the trail as an evidence bundle an auditor verifies offline.
    AUDIT_EXPORT = "audit.export"
    REPORT_REQUEST = "report.request"
    REPORT_SCHEDULE = "report.schedule"


# Every member of an organisation may read its records; these are the actions that change something.
# Separation of duties is enforced on top of this table by the services (submitter != approver).
PERMISSIONS: dict[Permission, frozenset[str]] = {
    Permission.VIEW: frozenset(Role.values),
    Permission.ORGANISATION_MANAGE: frozenset({ADMIN}),
    Permission.MEMBERSHIP_MANAGE: frozenset({ADMIN}),
    Permission.ASSESSMENT_EDIT: frozenset({ADMIN, ASSESSOR}),
    Permission.ASSESSMENT_SUBMIT: frozenset({ADMIN, ASSESSOR}),
    Permission.ASSESSMENT_APPROVE: frozenset({ADMIN, EXECUTIVE}),
    Permission.IMPROVEMENT_ADOPT: frozenset({ADMIN, EXECUTIVE, ASSESSOR}),
    Permission.SCHEDULE_MANAGE: frozenset({ADMIN}),
    Permission.MODEL_EDIT: frozenset({ADMIN, OWNER, RISK}),
    Permission.MODEL_APPROVE: frozenset({EXECUTIVE, RISK}),
    Permission.RELEASE_OVERRIDE: frozenset({EXECUTIVE}),
    Permission.RELEASE_POLICY_MANAGE: frozenset({ADMIN}),
    Permission.VALIDATION_RECORD: frozenset({VALIDATOR}),
    # Pipelines act with their owner's token: whoever may register versions may ask the gate and record deployments.
    Permission.DEPLOYMENT_CHECK: frozenset({ADMIN, OWNER}),
    Permission.DEPLOYMENT_RECORD: frozenset({ADMIN, OWNER}),
    Permission.VERSION_REGISTER: frozenset({ADMIN, OWNER}),
    Permission.RISK_EDIT: frozenset({ADMIN, OWNER, RISK}),
    Permission.COMPLIANCE_EDIT: frozenset({ADMIN, RISK}),
    Permission.APPLICABILITY_EDIT: frozenset({ADMIN, RISK}),
    Permission.TECHNICAL_DOCUMENTATION_EDIT: frozenset({ADMIN, OWNER, RISK}),
    Permission.MODEL_CARD_EDIT: frozenset({ADMIN, OWNER}),
    Permission.BRANDING_MANAGE: frozenset({ADMIN}),
    Permission.KPI_EDIT: frozenset({ADMIN, OWNER}),
    Permission.KPI_MEASURE: frozenset({ADMIN, OWNER}),
    Permission.INCIDENT_EDIT: frozenset({ADMIN, OWNER, RISK}),
    Permission.AUDIT_VIEW: frozenset({ADMIN, EXECUTIVE, RISK, AUDITOR}),
    Permission.AUDIT_EXPORT: frozenset({ADMIN, AUDITOR}),
    Permission.REPORT_REQUEST: frozenset(Role.values),
    Permission.REPORT_SCHEDULE: frozenset({ADMIN}),
}


def permission_table_problems() -> list[str]:
    """What is wrong with the table (a permission without a row, a role that does not exist); checked at start-up."""
    problems = [
        f"Permission {p.value!r} has no row in PERMISSIONS." for p in Permission if p not in PERMISSIONS
    ]
    for permission, roles in PERMISSIONS.items():
        problems += [
            f"PERMISSIONS[{permission.value!r}] names unknown role {r!r}." for r in roles - set(Role.values)
        ]
    return problems


def role_allows(role: str | None, action: Permission | str) -> bool:
    """True when ``role`` may perform ``action``. An unknown action raises ValueError: a typo must fail loudly."""
    permission = Permission(action)
    if role is None:
        return False
    return role in PERMISSIONS[permission]
