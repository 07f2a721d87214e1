"""Evidence bundles and the offline verifier: an auditor's copy of the trail, checked without Plumbline.

Every tamper case is made twice: in the database before the export (the exporter faithfully signs what it finds,
so the verifier must find the break in the chain or against a checkpoint) and in the zip after it (what an
attacker between Plumbline and the auditor could do). The verifier always runs as a separate process, as the
console script an auditor runs.
"""

import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from governance import offline_verifier
from governance.core import signing
from governance.core.audit import _event_hash, record_event, verify_chain, write_checkpoint
from governance.models import (
    AuditBundle,
    AuditBundleStatus,
    AuditCheckpoint,
    AuditEvent,
    BusinessUnit,
    PendingJob,
)
from governance.models.actions import GovernanceAction
from governance.services import audit_bundles
from tests.governance.audit_helpers import tamper

VERIFIER = Path(sys.executable).with_name("plumbline-verify")


@pytest.fixture
def trail(organisation, admin_user_member, signing_key_file):
    """Eight events (the fifth issues a report) with checkpoints at #4, #5 and #8."""
    from governance.models import Report, ReportStatus

    unit = BusinessUnit.objects.create(organisation=organisation, name="Treasury")
    for number in range(1, 5):
        record_event(
            organisation=organisation,
            actor=admin_user_member,
            action=GovernanceAction.MODEL_UPDATE,
            obj=unit,
            changes={"name": [f"Treasury {number - 1}", f"Treasury {number}"]},
        )
    write_checkpoint(organisation)
    report = Report.objects.create(
        organisation=organisation,
        kind="model_inventory",
        title="Model inventory — Q4",
        status=ReportStatus.SUCCEEDED,
        sha256="ab" * 32,
    )
    record_event(
        organisation=organisation,
        actor=None,
        action=GovernanceAction.REPORT_ISSUED,
        obj=report,
        changes={"sha256": [None, report.sha256], "title": [None, report.title]},
    )
    checkpoint = write_checkpoint(organisation, force=True)
    from django.utils import timezone

    Report.objects.filter(pk=report.pk).update(issued_checkpoint=checkpoint, finished_at=timezone.now())
    for number in range(6, 9):
        record_event(
            organisation=organisation,
            actor=admin_user_member,
            action=GovernanceAction.MODEL_UPDATE,
            obj=unit,
            changes={"note": [None, f'=HYPERLINK("evil") {number}']},
        )
    write_checkpoint(organisation)
    return organisation


def _export(organisation, path: Path, *args: str) -> Path:
    call_command("export_audit_bundle", str(path), "--organisation", organisation.slug, *args)
    return path


def _verify(path: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [str(VERIFIER), str(path), *args], capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, done.stdout + done.stderr


def _current_key_id() -> str:
    """The fingerprint an auditor pins: the SHA-256 of the signing key (the public key page shows it)."""
    return signing.full_fingerprint(signing.signing_key().public_key())


def _rewrite(source: Path, target: Path, edit, *, refresh_manifest: bool = True) -> Path:
    """Copy a bundle, changing its files with ``edit(files)``; like a careful attacker, refresh the manifest's
    hashes (without the key, its signature cannot follow)."""
    with zipfile.ZipFile(source) as bundle:
        files = {name: bundle.read(name) for name in bundle.namelist()}
    edit(files)
    if refresh_manifest:
        _refresh_manifest(files)
    with zipfile.ZipFile(target, "w") as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return target


def _refresh_manifest(files: dict[str, bytes], **changes) -> None:
    """The manifest's file hashes made to match the files again (and any ``changes`` to its fields)."""
    manifest = {**json.loads(files["manifest.json"]), **changes}
    manifest["files"] = {
        name: hashlib.sha256(data).hexdigest()
        for name, data in files.items()
        if name not in ("manifest.json", "manifest.sig.json")
    }
    files["manifest.json"] = json.dumps(manifest, sort_keys=True, indent=2).encode()


def _lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().splitlines() if line]


def _jsonl(rows: list[dict]) -> bytes:
    return b"".join(json.dumps(row, sort_keys=True, ensure_ascii=False).encode() + b"\n" for row in rows)


# --- An intact bundle ------------------------------------------------------------------------------------


def test_an_intact_bundle_verifies_offline_and_names_its_key(trail, tmp_path, capsys):
    bundle = _export(trail, tmp_path / "bundle.zip")
    output = capsys.readouterr().out
    key_id = _current_key_id()
    assert "8 events, 3 checkpoints, 1 issued reports" in output
    assert f"plumbline-verify {bundle} --trust-key {key_id}" in output

    code, printed = _verify(bundle, "--trust-key", key_id)
    assert code == 0, printed
    assert "8 events (#1 to #8), 3 checkpoints, 1 issued report, chain intact" in printed
    assert f"signed by key {key_id[:16]}" in printed and "BROKEN" not in printed
    last_hash = AuditCheckpoint.objects.filter(organisation=trail).order_by("-sequence").first().hash
    assert f"Last checkpoint hash: {last_hash}" in printed
    assert _verify(bundle, "--trust-key", key_id[:16])[0] == 0  # the short form works too
    code, printed = _verify(bundle)
    assert code == 2 and "say whose signatures you trust" in printed


def test_the_bundle_holds_every_field_in_a_stable_order_and_a_manifest_of_hashes(trail, tmp_path):
    bundle = zipfile.ZipFile(_export(trail, tmp_path / "bundle.zip"))
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["format"] == offline_verifier.FORMAT
    assert manifest["organisation"] == {"id": trail.pk, "slug": trail.slug, "name": trail.name}
    assert set(manifest["files"]) == {
        "events.jsonl",
        "checkpoints.jsonl",
        "public_keys.json",
        "reports.jsonl",
        "README.txt",
    }
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(bundle.read(name)).hexdigest() == digest
    raw = bundle.read("events.jsonl").decode().splitlines()
    events = [json.loads(line) for line in raw]
    assert [event["sequence"] for event in events] == list(range(1, 9))
    assert all(list(json.loads(line)) == sorted(json.loads(line)) for line in raw)
    stored = AuditEvent.objects.get(organisation=trail, sequence=3)
    assert events[2]["hash"] == stored.hash == _event_hash(stored)
    assert set(events[2]) == {*offline_verifier.EVENT_FIELDS, "hash", "id"}
    (report,) = _lines(bundle.read("reports.jsonl"))
    assert report["sha256"] == "ab" * 32 and report["checkpoint"]["sequence"] == 5
    keys = json.loads(bundle.read("public_keys.json"))
    assert [key["fingerprint"] for key in keys if key["current"]] == [_current_key_id()]
    signature = json.loads(bundle.read("manifest.sig.json"))
    public = signing.signing_key().public_key()
    public.verify(base64.b64decode(signature["signature"]), bundle.read("manifest.json"))


def test_a_date_range_bundle_holds_those_events_and_still_verifies(trail, tmp_path):
    from datetime import timedelta

    today = AuditEvent.objects.get(organisation=trail, sequence=1).created_at.date()
    bundle = _export(trail, tmp_path / "range.zip", "--from", str(today), "--to", str(today))
    code, printed = _verify(bundle, "--trust-key", _current_key_id())
    assert code == 0, printed
    empty = _export(trail, tmp_path / "empty.zip", "--to", str(today - timedelta(days=1)))
    code, printed = _verify(empty, "--trust-key", _current_key_id())
    assert code == 0, printed
    assert "0 events" in printed


def test_the_command_refuses_an_unknown_organisation_and_a_backwards_range(trail, tmp_path):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("export_audit_bundle", str(tmp_path / "x.zip"), "--organisation", "nope")
    with pytest.raises(CommandError, match="before"):
        _export(trail, tmp_path / "x.zip", "--from", "2026-12-02", "--to", "2026-12-01")
    with pytest.raises(CommandError, match="not a date"):
        _export(trail, tmp_path / "x.zip", "--from", "yesterday")


# --- Tampered in the database, then exported --------------------------------------------------------------


def _swap_two_events(organisation) -> None:
    third = AuditEvent.objects.get(organisation=organisation, sequence=3)
    fourth = AuditEvent.objects.get(organisation=organisation, sequence=4)
    tamper("UPDATE governance_auditevent SET sequence = %s WHERE id = %s", [1000, third.pk])
    tamper("UPDATE governance_auditevent SET sequence = %s WHERE id = %s", [3, fourth.pk])
    tamper("UPDATE governance_auditevent SET sequence = %s WHERE id = %s", [4, third.pk])


def _forge_checkpoint(organisation) -> None:
    from governance.models import AuditCheckpoint

    checkpoint = AuditCheckpoint.objects.filter(organisation=organisation).order_by("sequence").last()
    tamper("UPDATE governance_auditcheckpoint SET event_count = %s WHERE id = %s", [7, checkpoint.pk])


DATABASE_TAMPERING = {
    "edit": (
        lambda org: tamper(
            "UPDATE governance_auditevent SET object_repr = %s WHERE organisation_id = %s AND sequence = 2",
            ["Treasury (renamed)", org.pk],
        ),
        "event #2: its content does not match its hash",
    ),
    "delete in the middle": (
        lambda org: tamper(
            "DELETE FROM governance_auditevent WHERE organisation_id = %s AND sequence = 6", [org.pk]
        ),
        "event #6: missing (deleted), the next event is #7",
    ),
    "delete at the end": (
        lambda org: tamper(
            "DELETE FROM governance_auditevent WHERE organisation_id = %s AND sequence >= 7", [org.pk]
        ),
        "signed the trail up to #8, but it ends at #6 (events deleted at the end)",
    ),
    "reorder": (_swap_two_events, "event #3: does not link to the event before it"),
    "forged checkpoint": (_forge_checkpoint, "its signature does not verify"),
}


@pytest.mark.parametrize("case", DATABASE_TAMPERING)
def test_tampering_in_the_database_is_caught_by_both_verifiers(case, trail, tmp_path):
    tamper, expected = DATABASE_TAMPERING[case]
    tamper(trail)
    assert verify_chain(trail), "verify_audit_trail missed it"
    with pytest.raises(CommandError, match="problem"):
        call_command("verify_audit_trail", "--organisation", trail.slug)
    code, printed = _verify(_export(trail, tmp_path / "bundle.zip"), "--trust-key", _current_key_id())
    assert code == 1, printed
    assert expected in printed
    assert "problem" in printed.splitlines()[-1]


# --- Tampered in the zip ----------------------------------------------------------------------------------


def _edit_event(files):
    events = _lines(files["events.jsonl"])
    events[1]["actor_label"] = "someone-else"
    files["events.jsonl"] = _jsonl(events)


def _drop_event(index):
    def edit(files):
        events = _lines(files["events.jsonl"])
        del events[index]
        files["events.jsonl"] = _jsonl(events)

    return edit


def _drop_tail(files):
    files["events.jsonl"] = _jsonl(_lines(files["events.jsonl"])[:-2])
    manifest = json.loads(files["manifest.json"])
    manifest["last_sequence"] = manifest["trail_last_sequence"] = 6
    files["manifest.json"] = json.dumps(manifest).encode()


def _reorder(files):
    events = _lines(files["events.jsonl"])
    events[2], events[3] = events[3], events[2]
    files["events.jsonl"] = _jsonl(events)


def _forge(files):
    checkpoints = _lines(files["checkpoints.jsonl"])
    checkpoints[0]["event_count"] = 2
    checkpoints[0]["hash"] = hashlib.sha256(offline_verifier.checkpoint_payload(checkpoints[0])).hexdigest()
    files["checkpoints.jsonl"] = _jsonl(checkpoints)


def _resign_with(key: Ed25519PrivateKey):
    """A forger with a key of their own: rebuilds every hash, signature and the key list."""
    key_id = offline_verifier.key_fingerprint(key.public_key())

    def edit(files):
        events = _lines(files["events.jsonl"])[:-2]  # hide the last two events
        checkpoints, previous = [], offline_verifier.GENESIS_HASH
        for checkpoint in _lines(files["checkpoints.jsonl"]):
            if checkpoint["sequence"] > events[-1]["sequence"]:
                continue
            checkpoint.update(key_id=key_id, prev_checkpoint_hash=previous)
            payload = offline_verifier.checkpoint_payload(checkpoint)
            checkpoint["signature"] = base64.b64encode(key.sign(payload)).decode()
            checkpoint["hash"] = previous = hashlib.sha256(payload).hexdigest()
            checkpoints.append(checkpoint)
        # ...and seals the shortened trail with a checkpoint of their own.
        sealed = {**checkpoints[-1], "id": 999, "sequence": events[-1]["sequence"]}
        sealed.update(
            last_hash=events[-1]["hash"], event_count=events[-1]["sequence"], prev_checkpoint_hash=previous
        )
        payload = offline_verifier.checkpoint_payload(sealed)
        sealed["signature"] = base64.b64encode(key.sign(payload)).decode()
        sealed["hash"] = hashlib.sha256(payload).hexdigest()
        checkpoints.append(sealed)
        files["events.jsonl"] = _jsonl(events)
        files["checkpoints.jsonl"] = _jsonl(checkpoints)
        files["reports.jsonl"] = b""
        files["public_keys.json"] = json.dumps(
            [{"key_id": key_id, "pem": signing.public_key_pem(key.public_key()), "current": True}]
        ).encode()
        end = events[-1]["sequence"]
        _refresh_manifest(files, last_sequence=end, trail_last_sequence=end)
        files["manifest.sig.json"] = json.dumps(
            {"key_id": key_id, "signature": base64.b64encode(key.sign(files["manifest.json"])).decode()}
        ).encode()

    return edit


def _swap_public_key(files):
    other = Ed25519PrivateKey.generate().public_key()
    keys = json.loads(files["public_keys.json"])
    keys[0]["pem"] = signing.public_key_pem(other)
    files["public_keys.json"] = json.dumps(keys).encode()


def _edit_manifest(files):
    manifest = json.loads(files["manifest.json"])
    manifest["organisation"]["name"] = "Another Bank"
    files["manifest.json"] = json.dumps(manifest, sort_keys=True, indent=2).encode()


BUNDLE_TAMPERING = {
    "edit": (_edit_event, "event #2: its content does not match its hash (edited)"),
    "delete in the middle": (_drop_event(4), "event #5: missing (deleted), the next event is #6"),
    "delete at the end": (_drop_tail, "signed the trail up to #8, but it ends at #6"),
    "reorder": (_reorder, "event #3: out of order (after #4)"),
    "forged checkpoint": (_forge, "its signature does not verify"),
    "swapped public key": (_swap_public_key, "(swapped or edited)"),
    "edited manifest": (_edit_manifest, "manifest: its signature does not verify"),
}


@pytest.mark.parametrize("case", BUNDLE_TAMPERING)
def test_a_bundle_tampered_after_export_is_rejected(case, trail, tmp_path):
    edit, expected = BUNDLE_TAMPERING[case]
    original = _export(trail, tmp_path / "bundle.zip")
    tampered = _rewrite(original, tmp_path / "tampered.zip", edit, refresh_manifest=case != "edited manifest")
    code, printed = _verify(tampered, "--trust-key", _current_key_id())
    assert code == 1, printed
    assert expected in printed
    if case not in ("edited manifest", "swapped public key"):
        # The manifest's signature also no longer holds: every edit is caught twice.
        assert "manifest: its signature does not verify" in printed


def test_a_bundle_forged_with_another_key_is_refused_when_the_key_is_pinned(trail, tmp_path):
    original = _export(trail, tmp_path / "bundle.zip")
    forged = _rewrite(
        original, tmp_path / "forged.zip", _resign_with(Ed25519PrivateKey.generate()), refresh_manifest=False
    )
    # Self-consistent: trusting the bundle's own keys it verifies, and says so, so the auditor compares.
    code, printed = _verify(forged, "--accept-bundle-keys")
    assert code == 0 and "taken from the bundle itself" in printed
    code, printed = _verify(forged, "--trust-key", _current_key_id())
    assert code == 1
    assert "not among the trusted keys" in printed


def test_an_unreadable_file_exits_2_with_a_plain_message(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    code, printed = _verify(junk, "--accept-bundle-keys")
    assert code == 2 and "cannot read" in printed
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as bundle:
        bundle.writestr("hello.txt", "hi")
    code, printed = _verify(empty, "--accept-bundle-keys")
    assert code == 2 and "not a Plumbline audit bundle" in printed


def test_the_verifier_imports_nothing_of_django_or_plumbline(trail, tmp_path):
    bundle = _export(trail, tmp_path / "bundle.zip")
    # A copy of the single file, run on its own in isolated mode, as an auditor would.
    copy = tmp_path / "auditor" / "offline_verifier.py"
    copy.parent.mkdir()
    copy.write_bytes(Path(offline_verifier.__file__).read_bytes())
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['offline_verifier.py', {str(bundle)!r}, '--accept-bundle-keys']\n"
        "try:\n"
        f"    runpy.run_path({str(copy)!r}, run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'django', 'governance', 'maturity', 'config'})\n"
        "print('EXIT', code, 'LOADED', loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, cwd=copy.parent, timeout=60
    )
    assert "EXIT 0 LOADED []" in done.stdout, done.stdout + done.stderr


def test_the_verifier_is_served_publicly_as_one_file(client):
    response = client.get(reverse("audit-verifier"))
    assert response.status_code == 200
    assert (
        b"".join(response.streaming_content if response.streaming else [response.content])
        == Path(offline_verifier.__file__).read_bytes()
    )


# --- Asking for a bundle on the audit page ----------------------------------------------------------------


def test_an_auditor_exports_a_bundle_from_the_integrity_page(trail, client, login, auditor, tmp_path):
    page = login(auditor).get(reverse("governance:audit-integrity")).content.decode()
    assert "Export evidence bundle" in page and _current_key_id() in page
    log = client.get(reverse("governance:audit-log")).content.decode()
    assert f'action="{reverse("governance:audit-bundle-request")}"' in log
    response = client.post(reverse("governance:audit-bundle-request"), {"date_from": "", "date_to": ""})
    assert response.status_code == 302
    bundle = AuditBundle.objects.get(organisation=trail)
    assert PendingJob.objects.filter(task=audit_bundles.BUILD_TASK, kwargs={"bundle_id": bundle.pk}).exists()
    requested = AuditEvent.objects.filter(organisation=trail).order_by("-sequence").first()
    assert requested.action == GovernanceAction.AUDIT_BUNDLE_REQUESTED and requested.actor == auditor

    bundle = audit_bundles.build_audit_bundle(bundle.pk)
    # Sealed first: the request's own event (#9) is covered by a checkpoint the export signed.
    assert (
        bundle.status == AuditBundleStatus.READY and bundle.event_count == 9 and bundle.checkpoint_count == 4
    )
    assert bundle.attempts == 1
    response = client.get(reverse("governance:audit-bundle-download", args=[bundle.pk]))
    content = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/zip"
    assert hashlib.sha256(content).hexdigest() == bundle.sha256
    downloaded = tmp_path / "downloaded.zip"
    downloaded.write_bytes(content)
    code, printed = _verify(downloaded, "--trust-key", _current_key_id())
    assert code == 0, printed
    # Built again (a redelivered job) it stays as it was.
    assert audit_bundles.build_audit_bundle(bundle.pk).sha256 == bundle.sha256
    assert "Download" in client.get(reverse("governance:audit-integrity")).content.decode()


def test_a_backwards_range_is_a_form_error(trail, client, login, auditor):
    response = login(auditor).post(
        reverse("governance:audit-bundle-request"), {"date_from": "2026-12-02", "date_to": "2026-12-01"}
    )
    assert response.status_code == 400
    assert "The end of the range is before its start." in response.content.decode()
    assert not AuditBundle.objects.exists()


def test_only_auditors_and_admins_export_and_other_organisations_see_nothing(
    trail, client, login, executive, other_organisation, make_member
):
    from governance.core.roles import Role

    login(executive)
    assert client.post(reverse("governance:audit-bundle-request"), {}).status_code == 403
    assert "Export evidence bundle" not in client.get(reverse("governance:audit-integrity")).content.decode()
    bundle = AuditBundle.objects.create(organisation=trail, status=AuditBundleStatus.READY)
    outsider = make_member(Role.AUDITOR, organisation=other_organisation, username="other-auditor")
    login(outsider)
    assert client.get(reverse("governance:audit-bundle-download", args=[bundle.pk])).status_code == 404


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_bundle(celery_worker_process, trail, auditor, signing_key_file):
    import time

    # The worker signs the manifest with the deployment's key, as the web process does.
    celery_worker_process.start(extra_env={"AUDIT_SIGNING_KEY": str(signing_key_file)})
    bundle = audit_bundles.request_audit_bundle(actor=auditor, organisation=trail)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        bundle.refresh_from_db()
        if bundle.is_finished:
            break
        time.sleep(0.5)
    assert bundle.status == AuditBundleStatus.READY, bundle.error
    with bundle.file.open("rb") as handle:
        content = handle.read()
    assert hashlib.sha256(content).hexdigest() == bundle.sha256
    result = offline_verifier.verify_bundle(io.BytesIO(content), [_current_key_id()])
    assert result.intact, result.problems


@pytest.mark.parametrize("count", [2, 40])
def test_the_integrity_page_needs_the_same_queries_at_any_size(
    count, organisation, admin_user_member, auditor, login, signing_key_file, django_assert_max_num_queries
):
    for number in range(count):
        record_event(
            organisation=organisation,
            actor=admin_user_member,
            action=GovernanceAction.MODEL_UPDATE,
            obj=organisation,
            changes={"name": [None, f"Bank {number}"]},
        )
        write_checkpoint(organisation)
        AuditBundle.objects.create(organisation=organisation, requested_by=auditor)
    client = login(auditor)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("governance:audit-integrity"))
    assert response.status_code == 200


# --- Ranges, continuity, malformed bundles, lost workers --------------------------------------------------


def _rewrite_chain_from(organisation, sequence: int) -> None:
    """What an attacker without the key does after an edit: recompute every later hash and link."""
    previous = AuditEvent.objects.filter(organisation=organisation, sequence__lt=sequence).order_by(
        "-sequence"
    )
    prev_hash = previous.first().hash if previous.exists() else offline_verifier.GENESIS_HASH
    for event in AuditEvent.objects.filter(organisation=organisation, sequence__gte=sequence).order_by(
        "sequence"
    ):
        event.prev_hash = prev_hash
        prev_hash = _event_hash(event)
        tamper(
            "UPDATE governance_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [event.prev_hash, prev_hash, event.pk],
        )


@pytest.fixture
def three_days(organisation, admin_user_member, signing_key_file, monkeypatch):
    """Events on three days, each day sealed by a checkpoint: #1-#3 on 1 Dec, #4-#6 on 2 Dec, #7-#8 on 3 Dec."""
    from datetime import UTC, datetime

    from django.utils import timezone

    unit = BusinessUnit.objects.create(organisation=organisation, name="Treasury")
    for day, numbers in ((1, range(1, 4)), (2, range(4, 7)), (3, range(7, 9))):
        moment = datetime(2026, 12, day, 10, tzinfo=UTC)
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        for number in numbers:
            record_event(
                organisation=organisation,
                actor=admin_user_member,
                action=GovernanceAction.MODEL_UPDATE,
                obj=unit,
                changes={"name": [None, f"Treasury {number}"]},
            )
        write_checkpoint(organisation)
    monkeypatch.undo()
    return organisation


def test_a_range_is_widened_to_the_checkpoints_around_it_and_verifies(three_days, tmp_path):
    bundle = _export(three_days, tmp_path / "range.zip", "--from", "2026-12-02", "--to", "2026-12-02")
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    assert (manifest["first_sequence"], manifest["last_sequence"]) == (4, 6)
    code, printed = _verify(bundle, "--trust-key", _current_key_id())
    assert code == 0, printed
    assert "3 events (#4 to #6)" in printed


@pytest.mark.parametrize(
    "attack, expected",
    [
        ("drop the first event of the range", "does not continue a signed checkpoint at #4"),
        ("drop the last event of the range", "no signed checkpoint covers them"),
        ("edit inside the range", "event #6 is not the event it signed"),
    ],
)
def test_a_range_rewritten_at_its_edges_is_caught(attack, expected, three_days, tmp_path):
    if attack == "drop the first event of the range":
        tamper(
            "DELETE FROM governance_auditevent WHERE organisation_id = %s AND sequence = 4", [three_days.pk]
        )
        _rewrite_chain_from(three_days, 5)
    elif attack == "drop the last event of the range":
        tamper(
            "DELETE FROM governance_auditevent WHERE organisation_id = %s AND sequence = 6", [three_days.pk]
        )
        _rewrite_chain_from(three_days, 7)
    else:
        tamper(
            "UPDATE governance_auditevent SET actor_label = 'someone' WHERE organisation_id = %s AND sequence = 5",
            [three_days.pk],
        )
        _rewrite_chain_from(three_days, 5)
    bundle = _export(three_days, tmp_path / "range.zip", "--from", "2026-12-02", "--to", "2026-12-02")
    code, printed = _verify(bundle, "--trust-key", _current_key_id())
    assert code == 1, printed
    assert expected in printed


def test_a_trail_rewritten_and_re_signed_since_the_last_bundle_is_caught_by_continuity(trail, tmp_path):
    code, printed = _verify(_export(trail, tmp_path / "january.zip"), "--trust-key", _current_key_id())
    kept = printed.split("Last checkpoint hash: ")[1].split()[0]
    # Someone with database access (not the key) edits #2, recomputes the chain, removes every checkpoint and
    # lets beat sign the rewritten trail: on its own, the next bundle is consistent.
    tamper("DELETE FROM governance_report WHERE organisation_id = %s", [trail.pk])
    tamper("DELETE FROM governance_auditcheckpoint WHERE organisation_id = %s", [trail.pk])
    tamper(
        "UPDATE governance_auditevent SET actor_label = 'someone' WHERE organisation_id = %s AND sequence = 2",
        [trail.pk],
    )
    _rewrite_chain_from(trail, 2)
    february = _export(trail, tmp_path / "february.zip")
    assert _verify(february, "--trust-key", _current_key_id())[0] == 0
    code, printed = _verify(february, "--trust-key", _current_key_id(), "--expect-checkpoint", kept)
    assert code == 1
    assert f"checkpoint {kept[:16]}… that you expected" in printed


def test_nothing_is_signed_over_a_trail_that_no_longer_continues_its_checkpoint(trail, admin_user_member):
    from governance.core.audit import AuditIntegrityError

    tamper(
        "UPDATE governance_auditevent SET object_repr = 'x' WHERE organisation_id = %s AND sequence = 8",
        [trail.pk],
    )
    record_event(organisation=trail, actor=admin_user_member, action=GovernanceAction.MODEL_UPDATE, obj=trail)
    with pytest.raises(AuditIntegrityError, match="event #8"):
        write_checkpoint(trail)
    with pytest.raises(CommandError, match="Not signed"):
        call_command("checkpoint_audit_trail")


def _malformed(name: str, data: bytes):
    def edit(files):
        files[name] = data

    return edit


@pytest.mark.parametrize(
    "edit",
    [
        _malformed("manifest.json", b"not json"),
        _malformed("manifest.json", b"[]"),
        _malformed("public_keys.json", b'{"key_id": "x"}'),
        _malformed("events.jsonl", b'{"sequence": "one", "hash": "", "prev_hash": ""}\n'),
        _malformed("events.jsonl", b"[1, 2]\n"),
        _malformed("checkpoints.jsonl", b'{"sequence": null}\n'),
        _malformed("reports.jsonl", b'{"id": 1, "checkpoint": "yes"}\n'),
        _malformed("manifest.sig.json", b"[]"),
    ],
    ids=["manifest", "manifest-list", "keys", "sequence", "event-list", "checkpoint", "report", "signature"],
)
def test_a_malformed_bundle_is_a_plain_message_and_exit_2(edit, trail, tmp_path):
    bundle = _rewrite(_export(trail, tmp_path / "b.zip"), tmp_path / "m.zip", edit, refresh_manifest=False)
    code, printed = _verify(bundle, "--trust-key", _current_key_id())
    assert code in (1, 2), printed
    assert "Traceback" not in printed


def test_bad_options_are_refused_before_reading(tmp_path):
    code, printed = _verify(tmp_path / "x.zip", "--trust-key", "not-hex")
    assert code == 2 and "16 or 64 hexadecimal digits" in printed


def test_a_bundle_whose_worker_was_lost_goes_to_another_and_fails_after_three(trail, auditor):
    from datetime import timedelta

    bundle = audit_bundles.request_audit_bundle(actor=auditor, organisation=trail)
    AuditBundle.objects.filter(pk=bundle.pk).update(status=AuditBundleStatus.RUNNING, attempts=1)
    assert audit_bundles.requeue_stalled_bundles(lost_after=timedelta(0)) == []  # no heartbeat yet: not lost
    from django.utils import timezone

    AuditBundle.objects.filter(pk=bundle.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert audit_bundles.requeue_stalled_bundles() == [bundle.pk]
    assert AuditBundle.objects.get(pk=bundle.pk).status == AuditBundleStatus.QUEUED
    AuditBundle.objects.filter(pk=bundle.pk).update(attempts=audit_bundles.MAX_ATTEMPTS)
    failed = audit_bundles.build_audit_bundle(bundle.pk)
    assert failed.status == AuditBundleStatus.FAILED and "stopped 3 times" in failed.error
