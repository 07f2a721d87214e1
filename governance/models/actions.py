"""The names of the changes governance records in the audit trail (``AuditEvent.action``).

Each app declares its own vocabulary as a StrEnum and registers it at start-up; ``record_event`` refuses an
action no app declared, so a typo cannot write an event no filter or report will ever find.
"""

from enum import StrEnum


class GovernanceAction(StrEnum):
    # Memberships the identity provider decides (single sign-on maps its groups to roles at each sign-in).
    MEMBERSHIP_CREATE = "membership.create"
    MEMBERSHIP_UPDATE = "membership.update"
    MEMBERSHIP_DELETE = "membership.delete"
    MODEL_CREATE = "model.create"
    MODEL_UPDATE = "model.update"
    MODEL_DELETE = "model.delete"
    MODEL_STAGE_CHANGE = "model.stage_change"
    VERSION_REGISTER = "version.register"
    VERSION_RETIRE = "version.retire"
    VERSION_PROMOTE = "version.promote"
    APPROVAL_REQUEST = "approval.request"
    APPROVAL_APPROVE = "approval.approve"
    APPROVAL_REJECT = "approval.reject"
    APPROVAL_OVERRIDE = "approval.override"
    RELEASE_POLICY_UPDATE = "release_policy.update"
    VALIDATION_CREATE = "validation.create"
    VALIDATION_UPDATE = "validation.update"
    FINDING_CREATE = "finding.create"
    FINDING_UPDATE = "finding.update"
    DEPLOYMENT_CHECK = "deployment.check"
    DEPLOYMENT_RECORD = "deployment.record"
    DEPLOYMENT_UPDATE = "deployment.update"
    RISK_CREATE = "risk.create"
    RISK_UPDATE = "risk.update"
    RISK_DELETE = "risk.delete"
    COMPLIANCE_CREATE = "compliance.create"
    COMPLIANCE_UPDATE = "compliance.update"
    COMPLIANCE_DELETE = "compliance.delete"
    COMPLIANCE_CARRY_OVER = "compliance.carry_over"
    KPI_CREATE = "kpi.create"
    KPI_UPDATE = "kpi.update"
    KPI_DELETE = "kpi.delete"
    INCIDENT_CREATE = "incident.create"
    INCIDENT_UPDATE = "incident.update"
    INCIDENT_DELETE = "incident.delete"
    REPORT_REQUESTED = "report.requested"
    # A report's file and SHA-256, once rendered: the signed chain then covers what was issued.
    REPORT_ISSUED = "report.issued"
    REPORT_SCHEDULE_CREATE = "report_schedule.create"
    REPORT_SCHEDULE_UPDATE = "report_schedule.update"
    REPORT_SCHEDULE_DELETE = "report_schedule.delete"
    REPORT_SCHEDULE_RUN = "report_schedule.run"
    REPORT_SCHEDULE_SKIPPED = "report_schedule.skipped"
    REPORT_SCHEDULE_RUN_REQUEST = "report_schedule.run_request"
