"""The names of the changes the maturity app records in the audit trail (see governance.models.actions)."""

from enum import StrEnum


class MaturityAction(StrEnum):
    ASSESSMENT_CREATE = "assessment.create"
    ASSESSMENT_ANSWER = "assessment.answer"
    ASSESSMENT_TARGETS = "assessment.targets"
    ASSESSMENT_SUBMIT = "assessment.submit"
    ASSESSMENT_APPROVE = "assessment.approve"
    ASSESSMENT_RETURN = "assessment.return"
    MATURITY_TARGET_CREATE = "maturity_target.create"
    MATURITY_TARGET_UPDATE = "maturity_target.update"
    IMPROVEMENT_ADOPT = "improvement.adopt"
    IMPROVEMENT_UPDATE = "improvement.update"
    SCHEDULE_CREATE = "schedule.create"
    SCHEDULE_UPDATE = "schedule.update"
    SCHEDULE_RUN = "schedule.run"
    SCHEDULE_RUN_REQUEST = "schedule.run_request"


# One-line summaries on the audit log page (see governance.core.registry.AuditActions).
MATURITY_PHRASES: dict[str, str | tuple[str, ...]] = {
    MaturityAction.ASSESSMENT_CREATE: "started the assessment {object}",
    MaturityAction.ASSESSMENT_ANSWER: "answered questions of {object}",
    MaturityAction.ASSESSMENT_TARGETS: "set the targets of {object}",
    MaturityAction.ASSESSMENT_SUBMIT: "submitted {object} for approval",
    MaturityAction.ASSESSMENT_APPROVE: "approved the assessment {object}",
    MaturityAction.ASSESSMENT_RETURN: "returned {object} to its assessors",
    MaturityAction.MATURITY_TARGET_CREATE: "set the maturity target {object}",
    MaturityAction.MATURITY_TARGET_UPDATE: "changed the maturity target {object}",
    MaturityAction.IMPROVEMENT_ADOPT: "adopted the improvement action {object}",
    MaturityAction.IMPROVEMENT_UPDATE: "updated the improvement action {object}",
    MaturityAction.SCHEDULE_CREATE: "scheduled {object}",
    MaturityAction.SCHEDULE_UPDATE: "changed the schedule {object}",
    MaturityAction.SCHEDULE_RUN: "started {object}",
    MaturityAction.SCHEDULE_RUN_REQUEST: "asked to start {object} now",
}
