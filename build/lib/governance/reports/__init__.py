"""Audit-ready PDF reports: request (services), render (render), verify (verify)."""
