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
    SCHEDULE_CREATE = "schedule.create"
    SCHEDULE_UPDATE = "schedule.update"
    SCHEDULE_RUN = "schedule.run"
    SCHEDULE_RUN_REQUEST = "schedule.run_request"
