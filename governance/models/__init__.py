"""Governance models, one module per concept; import them from here."""

from .audit import AuditEvent
from .organisations import BusinessUnit, Membership, Organisation

__all__ = ["AuditEvent", "BusinessUnit", "Membership", "Organisation"]
