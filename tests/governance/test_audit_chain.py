"""The audit trail is append-only and its hash chain exposes tampering."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from governance.core.audit import diff, record_event, verify_chain
from governance.models import AuditEvent, BusinessUnit
from governance.models.actions import GovernanceAction


@pytest.fixture
def events(organisation, admin_user_member):
    unit = BusinessUnit.objects.create(organisation=organisation, name="Treasury")
    first = record_event(
        organisation=organisation, actor=admin_user_member, action=GovernanceAction.MODEL_CREATE, obj=unit
    )
    second = record_event(
        organisation=organisation,
        actor=admin_user_member,
        action=GovernanceAction.MODEL_UPDATE,
        obj=unit,
        changes=diff({"name": "Treasury"}, {"name": "Group Treasury"}),
    )
    return first, second


def test_events_link_to_their_predecessor(events):
    first, second = events
    assert first.sequence == 1 and second.sequence == 2
    assert second.prev_hash == first.hash
    assert second.changes == {"name": ["Treasury", "Group Treasury"]}
    assert verify_chain() == []


def test_application_refuses_to_change_or_delete_events(events):
    first, _ = events
    first.action = "delete"
    with pytest.raises(PermissionError):
        first.save()
    with pytest.raises(PermissionError):
        first.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="x")


def _tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Simulate a DBA with superuser rights bypassing the append-only trigger.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


@pytest.mark.django_db(transaction=False)
def test_database_rejects_updates_on_postgresql(events):
    if connection.vendor != "postgresql":
        pytest.skip(
            "The append-only trigger is PostgreSQL's; SQLite relies on the application and the chain."
        )
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE governance_auditevent SET action = 'x'")


def test_verify_audit_trail_detects_an_edited_event(events):
    first, _ = events
    _tamper("UPDATE governance_auditevent SET changes = %s WHERE id = %s", ['{"name": ["A", "B"]}', first.pk])
    problems = verify_chain()
    assert [p.sequence for p in problems] == [1]
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_audit_trail")


def test_verify_audit_trail_detects_a_deleted_event(events):
    first, _ = events
    _tamper("DELETE FROM governance_auditevent WHERE id = %s", [first.pk])
    reasons = [p.reason for p in verify_chain()]
    assert any("missing" in r for r in reasons)
    assert any("does not link" in r for r in reasons)


def test_verify_audit_trail_passes_on_an_intact_trail(events, capsys):
    call_command("verify_audit_trail")
    assert "2 events verified" in capsys.readouterr().out
