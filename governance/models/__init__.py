"""Governance models, one module per concept; import them from here."""

from .audit import AuditEvent
from .inventory import (
    AIModel,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    DecisionsAboutPeople,
    EUAIActCategory,
    LifecycleStage,
    ModelVersion,
    RiskTier,
    VersionStatus,
)
from .monitoring import KPIDefinition, KPIDirection, KPIKind, KPIMeasurement, MeasurementSource
from .organisations import BusinessUnit, Membership, Organisation
from .reports import Report, ReportKind, ReportStatus

__all__ = [
    "AIModel",
    "ApprovalKind",
    "ApprovalRequest",
    "ApprovalStatus",
    "AuditEvent",
    "BusinessUnit",
    "DecisionsAboutPeople",
    "EUAIActCategory",
    "KPIDefinition",
    "KPIDirection",
    "KPIKind",
    "KPIMeasurement",
    "LifecycleStage",
    "MeasurementSource",
    "Membership",
    "ModelVersion",
    "Organisation",
    "Report",
    "ReportKind",
    "ReportStatus",
    "RiskTier",
    "VersionStatus",
]
