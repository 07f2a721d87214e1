"""The audit trail is append-only and its hash chain exposes tampering."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from governance.core.audit import diff, record_event, verify_chain
from governance.models import AuditEvent, BusinessUnit
from governance.models.actions import GovernanceAction
from tests.governance.audit_helpers import tamper


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


@pytest.mark.django_db(transaction=False)
def test_database_rejects_updates_on_postgresql(events):
    if connection.vendor != "postgresql":
        pytest.skip(
            "The append-only trigger is PostgreSQL's; SQLite relies on the application and the chain."
        )
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE governance_auditevent SET action = 'x'")


# Committed events: PostgreSQL would otherwise refuse the TRUNCATE for the pending foreign-key checks instead.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("table", ["governance_auditevent", "governance_auditcheckpoint"])
def test_database_refuses_truncate_on_postgresql(events, table):
    if connection.vendor != "postgresql":
        pytest.skip("The TRUNCATE guard is PostgreSQL's; SQLite has no TRUNCATE.")
    from django.db import DatabaseError, transaction

    with (
        pytest.raises(DatabaseError, match=f"TRUNCATE of {table} refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.count() == 2


def test_verify_audit_trail_detects_reordered_events(events):
    first, second = events
    tamper("UPDATE governance_auditevent SET sequence = %s WHERE id = %s", [99, first.pk])
    tamper("UPDATE governance_auditevent SET sequence = %s WHERE id = %s", [1, second.pk])
    tamper("UPDATE governance_auditevent SET sequence = %s WHERE id = %s", [2, first.pk])
    reasons = [str(p) for p in verify_chain()]
    assert any("event #1: does not link to the previous event" in r for r in reasons), reasons
    assert any("event #1: content does not match its hash" in r for r in reasons), reasons


def test_verify_audit_trail_detects_an_edited_event(events):
    first, _ = events
    tamper("UPDATE governance_auditevent SET changes = %s WHERE id = %s", ['{"name": ["A", "B"]}', first.pk])
    problems = verify_chain()
    assert [p.sequence for p in problems] == [1]
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_audit_trail")


def test_verify_audit_trail_detects_a_deleted_event(events):
    first, _ = events
    tamper("DELETE FROM governance_auditevent WHERE id = %s", [first.pk])
    reasons = [p.reason for p in verify_chain()]
    assert any("missing" in r for r in reasons)
    assert any("does not link" in r for r in reasons)


def test_verify_audit_trail_passes_on_an_intact_trail(events, capsys):
    call_command("verify_audit_trail")
    assert "2 events verified" in capsys.readouterr().out


# --- Signed checkpoints ---------------------------------------------------------------------------------


def _checkpointed(organisation):
    from governance.core.audit import write_checkpoint

    return write_checkpoint(organisation)


def test_a_checkpoint_signs_the_tail_and_is_written_only_when_the_trail_grew(
    events, organisation, signing_key_file
):
    checkpoint = _checkpointed(organisation)
    assert (checkpoint.sequence, checkpoint.event_count, checkpoint.last_hash) == (2, 2, events[1].hash)
    assert _checkpointed(organisation) is None
    assert verify_chain() == []
    with pytest.raises(PermissionError):
        checkpoint.delete()


def test_deleting_the_newest_events_is_caught_by_the_checkpoint(events, organisation, signing_key_file):
    _checkpointed(organisation)
    tamper("DELETE FROM governance_auditevent WHERE sequence = %s", [2])
    problems = [str(p) for p in verify_chain()]
    assert any("signed the trail up to #2, but it now ends at #1" in p for p in problems), problems


def test_a_chain_rebuilt_without_the_key_is_caught(events, organisation, signing_key_file):
    from governance.core.audit import _event_hash

    _checkpointed(organisation)
    second = AuditEvent.objects.get(sequence=2)
    second.object_repr = "rewritten"
    tamper(
        "UPDATE governance_auditevent SET object_repr = %s, hash = %s WHERE id = %s",
        ["rewritten", _event_hash(second), second.pk],
    )
    problems = [str(p) for p in verify_chain()]
    assert any("event #2 is not the event it signed" in p for p in problems), problems


def test_a_forged_or_untrusted_checkpoint_is_caught(
    events, organisation, signing_key_file, settings, tmp_path
):
    from governance.core import signing

    checkpoint = _checkpointed(organisation)
    tamper("UPDATE governance_auditcheckpoint SET event_count = %s WHERE id = %s", [99, checkpoint.pk])
    assert any("signature does not match" in str(p) for p in verify_chain())
    # Signed with another key that nobody configured as trusted.
    settings.AUDIT_SIGNING_KEY = ""
    settings.VAR_DIR = str(tmp_path)
    signing.signing_key.cache_clear()
    assert any("not a trusted key" in str(p) for p in verify_chain())


def test_a_rotated_key_still_verifies_its_checkpoints(
    events, organisation, signing_key_file, settings, tmp_path
):
    from governance.core import signing

    old = _checkpointed(organisation)
    old_public = tmp_path / "old-public.pem"
    old_public.write_text(signing.public_key_pem(signing.signing_key().public_key()))
    # A new key (generated under var/), with the old one's public key configured as previous.
    settings.AUDIT_SIGNING_KEY = ""
    settings.VAR_DIR = str(tmp_path)
    settings.AUDIT_PREVIOUS_PUBLIC_KEYS = [str(old_public)]
    signing.signing_key.cache_clear()
    unit = BusinessUnit.objects.get(organisation=organisation, name="Treasury")
    record_event(organisation=organisation, actor=None, action=GovernanceAction.MODEL_UPDATE, obj=unit)
    new = _checkpointed(organisation)
    assert new.key_id != old.key_id and (tmp_path / signing.GENERATED_KEY_NAME).exists()
    assert verify_chain() == []


def test_the_command_signs_and_verify_audit_trail_reports_a_removed_checkpoint(
    events, organisation, signing_key_file, capsys
):
    call_command("checkpoint_audit_trail")
    assert "checkpoint at #2 (2 events) signed by key" in capsys.readouterr().out
    call_command("checkpoint_audit_trail", "--force")
    first = organisation.audit_checkpoints.order_by("id").first()
    tamper("DELETE FROM governance_auditcheckpoint WHERE id = %s", [first.pk])
    with pytest.raises(CommandError):
        call_command("verify_audit_trail")
    assert "does not link to the previous checkpoint" in capsys.readouterr().err


def test_the_beat_task_checkpoints_every_trail_that_grew(
    events, organisation, other_organisation, signing_key_file
):
    from governance.tasks import checkpoint_audit_trails

    # An organisation with no events has nothing to sign: only ours gets a checkpoint, and only once.
    assert checkpoint_audit_trails() == 1
    assert checkpoint_audit_trails() == 0
    assert organisation.audit_checkpoints.count() == 1 and not other_organisation.audit_checkpoints.exists()


def test_the_public_key_page_lists_the_trusted_keys_and_the_log_names_the_last_checkpoint(
    client, login, auditor, events, organisation, signing_key_file
):
    from django.urls import reverse

    from governance.core import signing

    checkpoint = _checkpointed(organisation)
    page = client.get(reverse("audit-keys")).content.decode()  # no account needed
    fingerprint = signing.fingerprint(signing.signing_key().public_key())
    assert fingerprint == checkpoint.key_id and fingerprint in page and "BEGIN PUBLIC KEY" in page
    log = login(auditor).get(reverse("governance:audit-log")).content.decode()
    assert f"Last signed checkpoint: event #{checkpoint.sequence}" in log and fingerprint in log


def test_numbers_hash_as_the_database_stores_them(organisation, admin_user_member):
    """PostgreSQL's jsonb returns -0.0 as 0.0 and 1e16 as 10000000000000000: hashed as stored, such values (a
    KPI threshold of -0.0, a large count) never read as tampering later."""
    unit = BusinessUnit.objects.create(organisation=organisation, name="Treasury")
    record_event(
        organisation=organisation,
        actor=admin_user_member,
        action=GovernanceAction.KPI_UPDATE,
        obj=unit,
        changes={"target": [-0.0, 1e16], "nested": {"values": [1.5e300, -2.5, 0.1, -1e-7]}},
    )
    assert verify_chain() == []
