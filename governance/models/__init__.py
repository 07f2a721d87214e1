"""Governance models, one module per concept; import them from here."""

from .accounts import ApiToken, ExternalIdentity, TokenRevocation, TokenScope
from .audit import AuditBundle, AuditBundleStatus, AuditCheckpoint, AuditEvent, AuditVerification
from .compliance import ComplianceRecord, ComplianceStatus, Framework, Requirement
from .incidents import Incident, IncidentSeverity, IncidentStatus
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
from .jobs import PendingJob
from .monitoring import KPIDefinition, KPIDirection, KPIKind, KPIMeasurement, MeasurementSource
from .organisations import BusinessUnit, Membership, Organisation
from .release import (
    Deployment,
    DeploymentCheck,
    DeploymentEnvironment,
    DeploymentStatus,
    DeploymentStrategy,
    FindingSeverity,
    FindingStatus,
    ReleasePolicy,
    ReleaseTarget,
    Validation,
    ValidationFinding,
    ValidationOutcome,
    ValidationScope,
)
from .reminders import ReminderDigest
from .reports import Report, ReportSchedule, ReportStatus, ScheduleFrequency
from .risks import Risk, RiskCategory, RiskStatus

__all__ = [
    "AIModel",
    "ApiToken",
    "ApprovalKind",
    "ApprovalRequest",
    "ApprovalStatus",
    "AuditBundle",
    "AuditBundleStatus",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditVerification",
    "BusinessUnit",
    "ComplianceRecord",
    "ComplianceStatus",
    "DecisionsAboutPeople",
    "Deployment",
    "DeploymentCheck",
    "DeploymentEnvironment",
    "DeploymentStatus",
    "DeploymentStrategy",
    "EUAIActCategory",
    "ExternalIdentity",
    "FindingSeverity",
    "FindingStatus",
    "Framework",
    "Incident",
    "IncidentSeverity",
    "IncidentStatus",
    "KPIDefinition",
    "KPIDirection",
    "KPIKind",
    "KPIMeasurement",
    "LifecycleStage",
    "MeasurementSource",
    "Membership",
    "ModelVersion",
    "Organisation",
    "PendingJob",
    "ReleasePolicy",
    "ReleaseTarget",
    "ReminderDigest",
    "Report",
    "ReportSchedule",
    "ReportStatus",
    "Requirement",
    "Risk",
    "RiskCategory",
    "RiskStatus",
    "RiskTier",
    "ScheduleFrequency",
    "TokenRevocation",
    "TokenScope",
    "Validation",
    "ValidationFinding",
    "ValidationOutcome",
    "ValidationScope",
    "VersionStatus",
]
