"""Governance services (writes), one module per area: ``from governance.services import inventory``."""
