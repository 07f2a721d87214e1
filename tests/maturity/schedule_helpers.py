"""Reassessment schedules for the schedule tests, saved through the real service."""

from maturity import services
from maturity.models import ReassessmentSchedule


def saved_schedule(
    actor, organisation, frequency: str = "monthly", business_unit=None, active: bool = True
) -> ReassessmentSchedule:
    """The reassessment schedule of ``organisation`` (or ``business_unit``), saved by ``actor``."""
    return services.save_schedule(
        actor=actor,
        organisation=organisation,
        business_unit=business_unit,
        frequency=frequency,
        active=active,
    )
