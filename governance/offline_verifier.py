"""plumbline-verify: check a Plumbline audit evidence bundle on your own machine, without Plumbline.

    pip install cryptography
    python offline_verifier.py BUNDLE.zip [--trust-key FINGERPRINT ...]
    (or, where Plumbline is installed: plumbline-verify BUNDLE.zip)

This file imports only the Python standard library and ``cryptography``, so an auditor can read all of it and run
it on a machine that never saw Plumbline's code or database. It recomputes

- the SHA-256 of every file against the manifest, and the manifest's Ed25519 signature;
- every event's hash (canonical JSON of its fields, see ``event_hash``) and its link to the event before;
- every checkpoint's hash and Ed25519 signature, its link to the checkpoint before, and that the event it names
  is the event in the bundle (catching events deleted at the end, and a chain rebuilt without the key);
- that each issued report's checkpoint is in the bundle and, when the range holds it, its ``report.issued``
  event names the same SHA-256;

and prints a summary, or names each break and exits 1 (2: the bundle cannot be read). Pin the key you were
given out of band (the organisation's public "Audit signing keys" page) with ``--trust-key``: a bundle whose
signatures all check out under some other key, e.g. one forged from scratch, is then refused.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import zipfile
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "plumbline-audit-bundle/1"
GENESIS_HASH = "0" * 64
MANIFEST, MANIFEST_SIGNATURE = "manifest.json", "manifest.sig.json"
EVENTS, CHECKPOINTS, KEYS, REPORTS = "events.jsonl", "checkpoints.jsonl", "public_keys.json", "reports.jsonl"
# The fields of an event that its hash covers, in the payload's own names.
EVENT_FIELDS = (
    "organisation",
    "sequence",
    "actor",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "request_id",
    "created_at",
    "prev_hash",
)
CHECKPOINT_FIELDS = (
    "organisation",
    "sequence",
    "last_hash",
    "event_count",
    "created_at",
    "prev_checkpoint_hash",
    "key_id",
)


def canonical_json(payload: dict) -> bytes:
    """Sorted keys, no spaces, ASCII: the bytes Plumbline hashes and signs."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def event_hash(event: dict) -> str:
    return hashlib.sha256(canonical_json({name: event[name] for name in EVENT_FIELDS})).hexdigest()


def checkpoint_payload(checkpoint: dict) -> bytes:
    return canonical_json({name: checkpoint[name] for name in CHECKPOINT_FIELDS})


def key_fingerprint(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the key's raw 32 bytes (as Plumbline's pages show it)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class BundleUnreadable(Exception):
    """Not a bundle this verifier can read at all (exit 2)."""


@dataclass
class Result:
    problems: list[str] = field(default_factory=list)
    event_count: int = 0
    first_sequence: int | None = None
    last_sequence: int | None = None
    checkpoint_count: int = 0
    last_checkpoint: dict | None = None
    report_count: int = 0
    organisation: str = ""
    signing_keys: set[str] = field(default_factory=set)

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.event_count:
            span = f"#{self.first_sequence:,} to #{self.last_sequence:,}"
            events = f"{self.event_count:,} event{'s' if self.event_count != 1 else ''} ({span})"
        else:
            events = "0 events"
        parts = [
            f"{self.organisation}: {events}",
            f"{self.checkpoint_count:,} checkpoint{'s' if self.checkpoint_count != 1 else ''}",
            f"{self.report_count:,} issued report{'s' if self.report_count != 1 else ''}",
        ]
        text = ", ".join(parts)
        if not self.intact:
            return f"{text}: {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} found"
        text += ", chain intact"
        if self.last_checkpoint:
            checkpoint = self.last_checkpoint
            text += (
                f", last checkpoint at #{checkpoint['sequence']:,} {checkpoint['created_at']}"
                f" signed by key {checkpoint['key_id']}"
            )
        return text


def _json_lines(bundle: zipfile.ZipFile, name: str) -> list[dict]:
    rows = []
    with bundle.open(name) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as exc:
                    raise BundleUnreadable(f"{name}, line {number}: not JSON ({exc})") from None
    return rows


def _load_keys(entries: list[dict], result: Result) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for entry in entries:
        try:
            key = serialization.load_pem_public_key(entry["pem"].encode())
        except (KeyError, ValueError, TypeError):
            result.problems.append(f"public key {entry.get('key_id')!r}: not a PEM public key")
            continue
        if not isinstance(key, Ed25519PublicKey):
            result.problems.append(f"public key {entry.get('key_id')!r}: not an Ed25519 key")
            continue
        actual = key_fingerprint(key)
        if actual != entry.get("key_id"):
            result.problems.append(
                f"public key listed as {entry.get('key_id')!r} has fingerprint {actual} (swapped or edited)"
            )
        keys[actual] = key
    return keys


def _signature_ok(
    keys: dict[str, Ed25519PublicKey], key_id: str, payload: bytes, signature: str
) -> str | None:
    """None when the signature holds, else why not."""
    key = keys.get(key_id)
    if key is None:
        return f"signed by key {key_id}, which is not among the trusted keys"
    try:
        key.verify(base64.b64decode(signature, validate=True), payload)
    except (InvalidSignature, ValueError, binascii.Error, TypeError):
        return f"its signature does not verify with key {key_id} (forged or edited)"
    return None


def _check_manifest(bundle: zipfile.ZipFile, manifest: dict, keys, result: Result) -> None:
    try:
        signed = json.loads(bundle.read(MANIFEST_SIGNATURE))
    except KeyError:
        result.problems.append("the manifest is not signed (manifest.sig.json is missing)")
    except ValueError:
        result.problems.append("manifest.sig.json is not JSON")
    else:
        why = _signature_ok(
            keys, signed.get("key_id", ""), bundle.read(MANIFEST), signed.get("signature", "")
        )
        if why:
            result.problems.append(f"manifest: {why}")
        else:
            result.signing_keys.add(signed["key_id"])
    listed = manifest.get("files", {})
    present = set(bundle.namelist()) - {MANIFEST, MANIFEST_SIGNATURE}
    for name in sorted(present - set(listed)):
        result.problems.append(f"{name}: in the bundle but not in the manifest")
    for name, expected in sorted(listed.items()):
        if name not in present:
            result.problems.append(f"{name}: listed in the manifest but missing from the bundle")
            continue
        digest = hashlib.sha256()
        with bundle.open(name) as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != expected:
            result.problems.append(f"{name}: its SHA-256 does not match the manifest (the file was changed)")


def _check_events(events: list[dict], manifest: dict, result: Result) -> dict[int, dict]:
    by_sequence: dict[int, dict] = {}
    expected_sequence = manifest.get("first_sequence") or 1
    expected_prev = None  # the first event of a date range links to one outside the bundle
    if expected_sequence == 1:
        expected_prev = GENESIS_HASH
    for position, event in enumerate(events, start=1):
        try:
            sequence, recorded_hash, prev_hash = event["sequence"], event["hash"], event["prev_hash"]
            computed = event_hash(event)
        except (KeyError, TypeError):
            result.problems.append(f"events.jsonl line {position}: an event without all its fields")
            continue
        if event["organisation"] != manifest["organisation"]["id"]:
            result.problems.append(f"event #{sequence}: belongs to another organisation")
        if sequence in by_sequence:
            result.problems.append(f"event #{sequence}: appears twice")
        elif sequence < expected_sequence:
            result.problems.append(f"event #{sequence}: out of order (after #{expected_sequence - 1})")
        elif sequence > expected_sequence:
            missing = (
                f"#{expected_sequence}"
                if sequence == expected_sequence + 1
                else f"#{expected_sequence} to #{sequence - 1}"
            )
            result.problems.append(f"event {missing}: missing (deleted), the next event is #{sequence}")
        if expected_prev is not None and prev_hash != expected_prev:
            result.problems.append(f"event #{sequence}: does not link to the event before it")
        if computed != recorded_hash:
            result.problems.append(f"event #{sequence}: its content does not match its hash (edited)")
        by_sequence.setdefault(sequence, event)
        expected_prev, expected_sequence = recorded_hash, max(expected_sequence, sequence + 1)
    result.event_count = len(events)
    if events:
        result.first_sequence = min(by_sequence, default=None)
        result.last_sequence = max(by_sequence, default=None)
    declared_last = manifest.get("last_sequence")
    if declared_last is not None and (result.last_sequence or 0) < declared_last:
        result.problems.append(
            f"the manifest says the events run to #{declared_last}, but the bundle ends at "
            f"#{result.last_sequence or 0} (events deleted at the end)"
        )
    return by_sequence


def _check_checkpoints(checkpoints, events: dict[int, dict], manifest: dict, keys, result: Result) -> dict:
    """Checkpoints are exported whole (all of them, whatever the date range), so their own chain is checked from
    the first; each is compared with the events the bundle holds, and none may sign past the trail's end."""
    expected_prev = GENESIS_HASH
    trail_end = manifest.get("trail_last_sequence", 0)
    whole_trail = (manifest.get("first_sequence") or 1) == 1 and manifest.get("last_sequence") == trail_end
    by_id = {}
    for position, checkpoint in enumerate(checkpoints, start=1):
        name = f"checkpoint {checkpoint.get('id', position)} (at #{checkpoint.get('sequence')})"
        try:
            payload = checkpoint_payload(checkpoint)
        except KeyError:
            result.problems.append(f"{name}: without all its fields")
            continue
        by_id[checkpoint.get("id")] = checkpoint
        why = _signature_ok(keys, checkpoint["key_id"], payload, checkpoint.get("signature", ""))
        if why:
            result.problems.append(f"{name}: {why}")
        else:
            result.signing_keys.add(checkpoint["key_id"])
        if hashlib.sha256(payload).hexdigest() != checkpoint.get("hash"):
            result.problems.append(f"{name}: its hash does not match its content")
        if checkpoint["prev_checkpoint_hash"] != expected_prev:
            result.problems.append(
                f"{name}: does not link to the checkpoint before it (one was removed or reordered)"
            )
        expected_prev = checkpoint.get("hash")
        if checkpoint["organisation"] != manifest["organisation"]["id"]:
            result.problems.append(f"{name}: belongs to another organisation")
        sequence = checkpoint["sequence"]
        if sequence > trail_end:
            result.problems.append(
                f"{name}: signed the trail up to #{sequence}, but it ends at #{trail_end} "
                "(events deleted at the end)"
            )
        elif sequence in events and events[sequence]["hash"] != checkpoint["last_hash"]:
            result.problems.append(f"{name}: event #{sequence} is not the event it signed")
        elif whole_trail and sequence:
            counted = sum(1 for number in events if number <= sequence)
            if counted != checkpoint["event_count"]:
                result.problems.append(
                    f"{name}: signed {checkpoint['event_count']} events up to #{sequence}, "
                    f"the bundle holds {counted}"
                )
        result.last_checkpoint = checkpoint
    result.checkpoint_count = len(checkpoints)
    return by_id


def _check_reports(reports: list[dict], checkpoints: dict, events: dict[int, dict], result: Result) -> None:
    issued = {}
    for event in events.values():
        if event.get("action") == "report.issued":
            issued[str(event.get("object_id"))] = (event.get("changes") or {}).get("sha256", [None, None])[-1]
    for report in reports:
        name = f"report {report.get('id')} ({report.get('title')!r})"
        checkpoint = report.get("checkpoint")
        if checkpoint and checkpoint.get("id") not in checkpoints:
            result.problems.append(
                f"{name}: issued at checkpoint {checkpoint.get('id')}, which is not in the bundle"
            )
        elif checkpoint and checkpoints[checkpoint["id"]].get("hash") != checkpoint.get("hash"):
            result.problems.append(f"{name}: its checkpoint's hash differs from the checkpoint in the bundle")
        recorded = issued.get(str(report.get("id")))
        if recorded is not None and recorded != report.get("sha256"):
            result.problems.append(
                f"{name}: its SHA-256 differs from the one its report.issued event recorded"
            )
    result.report_count = len(reports)


def verify_bundle(path: str, trusted_keys: list[str] | None = None) -> Result:
    """Check the bundle at ``path``; ``trusted_keys`` (fingerprints) pins the signing keys you accept."""
    result = Result()
    try:
        with zipfile.ZipFile(path) as bundle:
            try:
                manifest = json.loads(bundle.read(MANIFEST))
            except KeyError:
                raise BundleUnreadable("no manifest.json: not a Plumbline audit bundle") from None
            if manifest.get("format") != FORMAT:
                raise BundleUnreadable(f"format {manifest.get('format')!r}; this verifier reads {FORMAT}")
            result.organisation = manifest["organisation"].get("name") or manifest["organisation"].get(
                "slug", ""
            )
            try:
                key_entries = json.loads(bundle.read(KEYS))
            except KeyError:
                raise BundleUnreadable(f"no {KEYS} in the bundle") from None
            keys = _load_keys(key_entries, result)
            if trusted_keys:
                pinned = {fingerprint.lower() for fingerprint in trusted_keys}
                for key_id in sorted(set(keys) - pinned):
                    result.problems.append(f"key {key_id} in the bundle is not one you trust (--trust-key)")
                keys = {key_id: key for key_id, key in keys.items() if key_id in pinned}
            _check_manifest(bundle, manifest, keys, result)
            events = _check_events(_json_lines(bundle, EVENTS), manifest, result)
            checkpoints = _check_checkpoints(_json_lines(bundle, CHECKPOINTS), events, manifest, keys, result)
            _check_reports(_json_lines(bundle, REPORTS), checkpoints, events, result)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleUnreadable(f"cannot read {path}: {exc}") from None
    except KeyError as exc:
        raise BundleUnreadable(f"a file or field the format requires is missing: {exc}") from None
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="plumbline-verify",
        description="Verify a Plumbline audit evidence bundle offline: hashes, chain, signed checkpoints, manifest.",
    )
    parser.add_argument(
        "bundle", help="the .zip exported by Plumbline (export_audit_bundle or the audit page)"
    )
    parser.add_argument(
        "--trust-key",
        action="append",
        metavar="FINGERPRINT",
        help="accept only signatures by this key (16 hex digits, from the organisation's public key page); repeat "
        "for rotated keys",
    )
    options = parser.parse_args(argv)
    try:
        result = verify_bundle(options.bundle, options.trust_key)
    except BundleUnreadable as exc:
        print(f"plumbline-verify: {exc}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(f"BROKEN: {problem}")
    print(result.summary())
    if result.intact and not options.trust_key:
        keys = ", ".join(sorted(result.signing_keys)) or "none"
        print(
            f"Signed by key(s) {keys}: compare with the fingerprints the organisation published, or pin them "
            "with --trust-key."
        )
    return 0 if result.intact else 1


if __name__ == "__main__":
    sys.exit(main())
