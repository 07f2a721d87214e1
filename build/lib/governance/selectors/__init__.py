"""Governance selectors (reads), one module per area: ``from governance.selectors import inventory``."""
