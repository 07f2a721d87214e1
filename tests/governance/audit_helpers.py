"""Helpers of the audit trail tests: tampering as someone with direct database access would."""

from django.db import connection


def tamper(sql: str, params: list) -> None:
    """Run ``sql`` past the append-only triggers, as a database superuser could (PostgreSQL's replica role skips
    triggers); on SQLite the application's guard is all there is, and raw SQL goes around it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
