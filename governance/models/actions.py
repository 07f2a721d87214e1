"""The names of the changes governance records in the audit trail (``AuditEvent.action``).

Each app declares its own vocabulary as a StrEnum and registers it at start-up; ``record_event`` refuses an
action no app declared, so a typo cannot write an event no filter or report will ever find.
"""

from enum import StrEnum


class GovernanceAction(StrEnum):
    # Organisations and their units, kept by platform administrators in the Django admin
    # (governance.services.organisations); an organisation's creation is the first event of its own trail.
    ORGANISATION_CREATE = "organisation.create"
    ORGANISATION_UPDATE = "organisation.update"
    BUSINESS_UNIT_CREATE = "business_unit.create"
    BUSINESS_UNIT_UPDATE = "business_unit.update"
    BUSINESS_UNIT_DELETE = "business_unit.delete"
    # Memberships the identity provider decides (single sign-on maps its groups to roles at each sign-in) or a
    # platform administrator sets in the Django admin.
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
    APPLICABILITY_UPDATE = "applicability.update"
    APPLICABILITY_ISSUE = "applicability.issue"
    TECHNICAL_DOCUMENTATION_UPDATE = "technical_documentation.update"
    MODEL_CARD_UPDATE = "model_card.update"
    BRANDING_UPDATE = "branding.update"
    KPI_CREATE = "kpi.create"
    KPI_UPDATE = "kpi.update"
    KPI_DELETE = "kpi.delete"
    INCIDENT_CREATE = "incident.create"
    INCIDENT_UPDATE = "incident.update"
    INCIDENT_DELETE = "incident.delete"
    REPORT_REQUESTED = "report.requested"
    # A report's file and SHA-256, once rendered: the signed chain then covers what was issued.
    REPORT_ISSUED = "report.issued"
    # An evidence bundle of the trail was asked for (who took the trail away, which range).
    AUDIT_BUNDLE_REQUESTED = "audit.bundle_requested"
    REPORT_SCHEDULE_CREATE = "report_schedule.create"
    REPORT_SCHEDULE_UPDATE = "report_schedule.update"
    REPORT_SCHEDULE_DELETE = "report_schedule.delete"
    REPORT_SCHEDULE_RUN = "report_schedule.run"
    REPORT_SCHEDULE_SKIPPED = "report_schedule.skipped"
    REPORT_SCHEDULE_RUN_REQUEST = "report_schedule.run_request"
    # Webhook endpoints administrators register; "disabled" is the system's, after repeated failed deliveries.
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_UPDATE = "webhook.update"
    WEBHOOK_DELETE = "webhook.delete"
    WEBHOOK_DISABLED = "webhook.disabled"
    # MLflow registries kept in step with the inventory (governance.services.registry_sync): connections, each sync
    # run (the system's on schedule), a champion alias moved without an approval, and the alias set after one.
    REGISTRY_CONNECTION_CREATE = "registry.connection_create"
    REGISTRY_CONNECTION_UPDATE = "registry.connection_update"
    REGISTRY_SYNC = "registry.sync"
    REGISTRY_UNAPPROVED_PROMOTION = "registry.unapproved_promotion"
    REGISTRY_ALIAS_SET = "registry.alias_set"


# One-line summaries on the audit log page ("Omar Owner requested Stage change → Production for Retail credit
# scorecard"): a verb phrase after the actor's name (see governance.core.registry.AuditActions). Actions without
# one read "created/updated/deleted <record type> <record>".
GOVERNANCE_PHRASES: dict[str, str | tuple[str, ...]] = {
    GovernanceAction.ORGANISATION_CREATE: "created the organisation {object}",
    GovernanceAction.ORGANISATION_UPDATE: "changed the organisation's settings",
    GovernanceAction.BUSINESS_UNIT_CREATE: "created the business unit {name}",
    GovernanceAction.BUSINESS_UNIT_UPDATE: "changed the business unit {object}",
    GovernanceAction.BUSINESS_UNIT_DELETE: "deleted the business unit {name__before}",
    GovernanceAction.MEMBERSHIP_CREATE: "gave {user} the role {role}",
    GovernanceAction.MEMBERSHIP_UPDATE: "changed the role of {object} to {role}",
    GovernanceAction.MEMBERSHIP_DELETE: "withdrew the membership {object}",
    GovernanceAction.MODEL_CREATE: "registered the model {object}",
    GovernanceAction.MODEL_UPDATE: "updated the model {object}",
    GovernanceAction.MODEL_DELETE: "deleted the model {object}",
    GovernanceAction.MODEL_STAGE_CHANGE: "moved {object} from {lifecycle_stage__before} to {lifecycle_stage}",
    GovernanceAction.VERSION_REGISTER: "registered version {version} of {model}",
    GovernanceAction.VERSION_RETIRE: "retired {object}",
    GovernanceAction.VERSION_PROMOTE: "made {object} the {status}",
    GovernanceAction.APPROVAL_REQUEST: (
        "requested {kind} → {requested_stage} for {model}",
        "requested {kind}: {version}",
    ),
    GovernanceAction.APPROVAL_APPROVE: "approved {object}",
    GovernanceAction.APPROVAL_REJECT: "rejected {object}",
    GovernanceAction.APPROVAL_OVERRIDE: "overrode failing release checks for {object}",
    GovernanceAction.RELEASE_POLICY_UPDATE: "put {object} in force",
    GovernanceAction.VALIDATION_CREATE: (
        "recorded a validation of {version}: {outcome}",
        "recorded a validation of {version}",
    ),
    GovernanceAction.VALIDATION_UPDATE: "updated the {object}",
    GovernanceAction.FINDING_CREATE: "raised the validation finding {object}",
    GovernanceAction.FINDING_UPDATE: "updated the validation finding {object}",
    GovernanceAction.DEPLOYMENT_CHECK: (
        "asked the deployment gate whether {version} may go to {environment}",
        "asked the deployment gate about {object}",
    ),
    GovernanceAction.DEPLOYMENT_RECORD: (
        "recorded a deployment of {version} to {environment}",
        "recorded {object}",
    ),
    GovernanceAction.DEPLOYMENT_UPDATE: ("marked a deployment {status}", "updated {object}"),
    GovernanceAction.RISK_CREATE: "recorded the risk {object}",
    GovernanceAction.RISK_UPDATE: "updated the risk {object}",
    GovernanceAction.RISK_DELETE: "deleted the risk {object}",
    GovernanceAction.COMPLIANCE_CREATE: "recorded compliance with {object}",
    GovernanceAction.COMPLIANCE_UPDATE: "updated compliance with {object}",
    GovernanceAction.COMPLIANCE_DELETE: "deleted the compliance record {object}",
    GovernanceAction.COMPLIANCE_CARRY_OVER: "carried {object} over to a new catalogue version",
    GovernanceAction.APPLICABILITY_UPDATE: "updated the Statement of Applicability entry {object}",
    GovernanceAction.APPLICABILITY_ISSUE: "issued the {object}",
    GovernanceAction.TECHNICAL_DOCUMENTATION_UPDATE: "updated the Annex IV technical documentation of {model}",
    GovernanceAction.MODEL_CARD_UPDATE: "updated the model card of {version}",
    GovernanceAction.BRANDING_UPDATE: "changed the report branding",
    GovernanceAction.KPI_CREATE: "defined the KPI {object}",
    GovernanceAction.KPI_UPDATE: "updated the KPI {object}",
    GovernanceAction.KPI_DELETE: "deleted the KPI {object}",
    GovernanceAction.INCIDENT_CREATE: "reported the incident {object}",
    GovernanceAction.INCIDENT_UPDATE: "updated the incident {object}",
    GovernanceAction.INCIDENT_DELETE: "deleted the incident {object}",
    GovernanceAction.REPORT_REQUESTED: "requested the report {object}",
    GovernanceAction.REPORT_ISSUED: "issued the report {title}",
    GovernanceAction.AUDIT_BUNDLE_REQUESTED: "exported an audit evidence bundle",
    GovernanceAction.REPORT_SCHEDULE_CREATE: "scheduled the {object}",
    GovernanceAction.REPORT_SCHEDULE_UPDATE: "changed the schedule {object}",
    GovernanceAction.REPORT_SCHEDULE_DELETE: "deleted the schedule {object}",
    GovernanceAction.REPORT_SCHEDULE_RUN: "ran the schedule {object}",
    GovernanceAction.REPORT_SCHEDULE_SKIPPED: "skipped a run of {object}",
    GovernanceAction.REPORT_SCHEDULE_RUN_REQUEST: "asked to run {object} now",
    GovernanceAction.WEBHOOK_CREATE: "registered the webhook {object}",
    GovernanceAction.WEBHOOK_UPDATE: "changed the webhook {object}",
    GovernanceAction.WEBHOOK_DELETE: "deleted the webhook {object}",
    GovernanceAction.WEBHOOK_DISABLED: "disabled the webhook {object} after repeated failed deliveries",
    GovernanceAction.REGISTRY_CONNECTION_CREATE: "connected the MLflow registry {object}",
    GovernanceAction.REGISTRY_CONNECTION_UPDATE: "changed the MLflow registry connection {object}",
    GovernanceAction.REGISTRY_SYNC: "synchronised the MLflow registry {object}",
    GovernanceAction.REGISTRY_UNAPPROVED_PROMOTION: "flagged an unapproved promotion of {object} in its registry",
    GovernanceAction.REGISTRY_ALIAS_SET: (
        "set the registry alias {alias} on {object}",
        "set the champion alias on {object} in its registry",
    ),
}
