"""plumbline-verify: check a Plumbline audit evidence bundle on your own machine, without Plumbline.

    pip install cryptography
    python offline_verifier.py BUNDLE.zip --trust-key FINGERPRINT [--expect-checkpoint HASH ...]
    (or, where Plumbline is installed: plumbline-verify BUNDLE.zip --trust-key FINGERPRINT)

This file imports only the Python standard library and ``cryptography``, so an auditor can read all of it and run
it on a machine that never saw Plumbline's code or database. It recomputes

- the SHA-256 of every file against the manifest, and the manifest's Ed25519 signature;
- every event's hash (canonical JSON of its fields, see ``event_hash``) and its link to the event before;
- every checkpoint's hash and Ed25519 signature and its link to the checkpoint before, that the events it names
  are the events in the bundle, and that no checkpoint signs past the trail's end (events deleted at the end);
- that every event in the bundle is sealed: the first continues a signed checkpoint (or the trail's start) and the
  last is one a checkpoint signed;
- that each issued report's checkpoint is in the bundle and its ``report.issued`` event names the same SHA-256;

and prints a summary, or names each break and exits 1 (2: the bundle or the options cannot be read).

Whom to trust is yours to say: ``--trust-key`` pins the organisation's signing key (its fingerprint from the
public "Audit signing keys" page, 64 hexadecimal digits, or the short 16-digit form), so a bundle forged whole
under another key is refused. ``--expect-checkpoint`` names the last checkpoint hash of a bundle you verified
before (this program prints it): the new bundle must contain it, so a trail rewritten since then, newest
checkpoints and all, is refused too.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from typing import IO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "plumbline-audit-bundle/1"
GENESIS_HASH = "0" * 64
MANIFEST, MANIFEST_SIGNATURE = "manifest.json", "manifest.sig.json"
EVENTS, CHECKPOINTS, KEYS, REPORTS = "events.jsonl", "checkpoints.jsonl", "public_keys.json", "reports.jsonl"
REPORT_ISSUED = "report.issued"
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
FINGERPRINT = re.compile(r"^(?:[0-9a-f]{16}|[0-9a-f]{64})$")
HASH = re.compile(r"^[0-9a-f]{64}$")


def canonical_json(payload: dict) -> bytes:
    """Sorted keys, no spaces, ASCII: the bytes Plumbline hashes and signs."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def event_hash(event: dict) -> str:
    return hashlib.sha256(canonical_json({name: event[name] for name in EVENT_FIELDS})).hexdigest()


def checkpoint_payload(checkpoint: dict) -> bytes:
    return canonical_json({name: checkpoint[name] for name in CHECKPOINT_FIELDS})


def full_fingerprint(key: Ed25519PublicKey) -> str:
    """The SHA-256 of the key's raw 32 bytes, 64 hexadecimal digits (what to pin)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def key_fingerprint(key: Ed25519PublicKey) -> str:
    """The short form Plumbline names a key by in checkpoints: the first 16 digits of ``full_fingerprint``."""
    return full_fingerprint(key)[:16]


class BundleUnreadable(Exception):
    """Not a bundle this verifier can read at all, or malformed (exit 2)."""


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
    # Full fingerprints of the keys whose signatures held.
    signing_keys: set[str] = field(default_factory=set)

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        def plural(count: int, noun: str) -> str:
            return f"{count:,} {noun}{'' if count == 1 else 's'}"

        events = plural(self.event_count, "event")
        if self.event_count:
            events += f" (#{self.first_sequence:,} to #{self.last_sequence:,})"
        text = ", ".join(
            [
                f"{self.organisation}: {events}",
                plural(self.checkpoint_count, "checkpoint"),
                plural(self.report_count, "issued report"),
            ]
        )
        if not self.intact:
            return f"{text}: {plural(len(self.problems), 'problem')} found"
        text += ", chain intact"
        if self.last_checkpoint:
            checkpoint = self.last_checkpoint
            text += (
                f", last checkpoint at #{checkpoint['sequence']:,} {checkpoint['created_at']}"
                f" signed by key {checkpoint['key_id']}"
            )
        return text


def _json_lines(bundle: zipfile.ZipFile, name: str):
    """Each line of a JSON Lines file as a dict, streamed (a trail of millions of events is never held whole)."""
    with bundle.open(name) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise BundleUnreadable(f"{name}, line {number}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise BundleUnreadable(f"{name}, line {number}: not a JSON object")
            yield row


def _load_keys(entries, pins: list[str] | None, result: Result) -> dict[str, Ed25519PublicKey]:
    """The bundle's keys by short id; with pins, only the pinned ones (the others cannot vouch for anything)."""
    if not isinstance(entries, list):
        raise BundleUnreadable(f"{KEYS} is not a list of keys")
    keys: dict[str, Ed25519PublicKey] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise BundleUnreadable(f"{KEYS}: an entry is not a JSON object")
        listed = entry.get("key_id")
        try:
            key = serialization.load_pem_public_key(str(entry["pem"]).encode())
        except (KeyError, ValueError, TypeError):
            result.problems.append(f"public key {listed!r}: not a PEM public key")
            continue
        if not isinstance(key, Ed25519PublicKey):
            result.problems.append(f"public key {listed!r}: not an Ed25519 key")
            continue
        full = full_fingerprint(key)
        if full[:16] != listed:
            result.problems.append(
                f"public key listed as {listed!r} has fingerprint {full[:16]} (swapped or edited)"
            )
        if pins and not any(full.startswith(pin) for pin in pins):
            continue
        keys[full[:16]] = key
    return keys


def _signature_problem(keys: dict, key_id, payload: bytes, signature) -> str | None:
    """None when the signature holds, else why not."""
    key = keys.get(key_id) if isinstance(key_id, str) else None
    if key is None:
        return f"signed by key {key_id}, which is not among the trusted keys"
    try:
        key.verify(base64.b64decode(str(signature), validate=True), payload)
    except (InvalidSignature, ValueError, binascii.Error):
        return f"its signature does not verify with key {key_id} (forged or edited)"
    return None


def _check_manifest(
    bundle: zipfile.ZipFile, manifest_bytes: bytes, manifest: dict, keys, result: Result
) -> None:
    try:
        signed = json.loads(bundle.read(MANIFEST_SIGNATURE))
    except KeyError:
        result.problems.append(f"the manifest is not signed ({MANIFEST_SIGNATURE} is missing)")
    except ValueError:
        result.problems.append(f"{MANIFEST_SIGNATURE} is not JSON")
    else:
        if not isinstance(signed, dict):
            raise BundleUnreadable(f"{MANIFEST_SIGNATURE} is not a JSON object")
        why = _signature_problem(keys, signed.get("key_id"), manifest_bytes, signed.get("signature"))
        if why:
            result.problems.append(f"manifest: {why}")
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise BundleUnreadable(f"{MANIFEST}: 'files' is not a map of file names to SHA-256")
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


@dataclass
class _Events:
    hashes: dict[int, str] = field(default_factory=dict)
    first_prev_hash: str | None = None
    # report id -> the SHA-256 its report.issued event recorded
    issued: dict[str, str | None] = field(default_factory=dict)


def _check_events(bundle: zipfile.ZipFile, manifest: dict, organisation_id, result: Result) -> _Events:
    seen = _Events()
    expected_sequence = manifest.get("first_sequence") or 1
    # The first event of a bundle that starts later links to a checkpoint, checked with the checkpoints.
    expected_prev = GENESIS_HASH if expected_sequence == 1 else None
    for position, event in enumerate(_json_lines(bundle, EVENTS), start=1):
        try:
            sequence, recorded_hash, prev_hash = event["sequence"], event["hash"], event["prev_hash"]
            computed = event_hash(event)
        except KeyError as exc:
            result.problems.append(f"{EVENTS} line {position}: an event without its field {exc}")
            continue
        if not isinstance(sequence, int) or isinstance(sequence, bool):
            raise BundleUnreadable(f"{EVENTS} line {position}: the sequence is not a number")
        if event["organisation"] != organisation_id:
            result.problems.append(f"event #{sequence}: belongs to another organisation")
        if sequence in seen.hashes:
            result.problems.append(f"event #{sequence}: appears twice")
        elif sequence < expected_sequence:
            result.problems.append(f"event #{sequence}: out of order (after #{expected_sequence - 1})")
        elif sequence > expected_sequence:
            gap = f"#{expected_sequence}" + (
                f" to #{sequence - 1}" if sequence > expected_sequence + 1 else ""
            )
            result.problems.append(f"event {gap}: missing (deleted), the next event is #{sequence}")
        if seen.first_prev_hash is None:
            seen.first_prev_hash = prev_hash
        if expected_prev is not None and prev_hash != expected_prev:
            result.problems.append(f"event #{sequence}: does not link to the event before it")
        if computed != recorded_hash:
            result.problems.append(f"event #{sequence}: its content does not match its hash (edited)")
        seen.hashes.setdefault(sequence, recorded_hash)
        if event.get("action") == REPORT_ISSUED and isinstance(event.get("changes"), dict):
            recorded = event["changes"].get("sha256")
            seen.issued[str(event.get("object_id"))] = recorded[-1] if isinstance(recorded, list) else None
        expected_prev, expected_sequence = recorded_hash, max(expected_sequence, sequence + 1)
        result.event_count += 1
    if seen.hashes:
        result.first_sequence, result.last_sequence = min(seen.hashes), max(seen.hashes)
    for bound, actual in (("first", result.first_sequence), ("last", result.last_sequence)):
        declared = manifest.get(f"{bound}_sequence")
        if declared != actual:
            result.problems.append(
                f"the manifest says the events' {bound} is #{declared}, the bundle's is #{actual} "
                "(events removed from the bundle)"
            )
    return seen


def _check_checkpoints(
    bundle, events: _Events, manifest: dict, organisation_id, keys, result: Result
) -> dict:
    """Checkpoints are exported whole (all of them, whatever the date range), so their chain is checked from the
    first; each is compared with the events the bundle holds, and none may sign past the trail's end."""
    expected_prev = GENESIS_HASH
    trail_end = manifest.get("trail_last_sequence")
    if not isinstance(trail_end, int):
        raise BundleUnreadable(f"{MANIFEST}: 'trail_last_sequence' is not a number")
    by_hash: dict[str, dict] = {}
    by_id: dict = {}
    signed_sequences: dict[int, str] = {}
    for position, checkpoint in enumerate(_json_lines(bundle, CHECKPOINTS), start=1):
        name = f"checkpoint {checkpoint.get('id', position)} (at #{checkpoint.get('sequence')})"
        try:
            payload = checkpoint_payload(checkpoint)
        except KeyError as exc:
            result.problems.append(f"{name}: without its field {exc}")
            continue
        sequence = checkpoint["sequence"]
        if not isinstance(sequence, int) or isinstance(sequence, bool):
            raise BundleUnreadable(f"{CHECKPOINTS} line {position}: the sequence is not a number")
        result.checkpoint_count += 1
        why = _signature_problem(keys, checkpoint["key_id"], payload, checkpoint.get("signature"))
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
        if checkpoint["organisation"] != organisation_id:
            result.problems.append(f"{name}: belongs to another organisation")
        if sequence > trail_end:
            result.problems.append(
                f"{name}: signed the trail up to #{sequence}, but it ends at #{trail_end} (events deleted at the end)"
            )
        elif sequence in events.hashes and events.hashes[sequence] != checkpoint["last_hash"]:
            result.problems.append(f"{name}: event #{sequence} is not the event it signed")
        if checkpoint["event_count"] != sequence:
            result.problems.append(f"{name}: signed {checkpoint['event_count']} events up to #{sequence}")
        signed_sequences[sequence] = checkpoint["last_hash"]
        by_hash[str(checkpoint.get("hash"))] = checkpoint
        by_id[checkpoint.get("id")] = checkpoint
        result.last_checkpoint = checkpoint
    _check_sealed(events, signed_sequences, result)
    return {"by_hash": by_hash, "by_id": by_id}


def _check_sealed(events: _Events, signed: dict[int, str], result: Result) -> None:
    """Every event in the bundle lies between two signatures: the first continues a checkpoint (or the start of
    the trail), and a checkpoint signed the last. Otherwise events at either edge could be edited or dropped
    with the hashes recomputed, and nothing signed would tell."""
    first, last = result.first_sequence, result.last_sequence
    if first is None or last is None:
        return
    if first > 1 and signed.get(first - 1) != events.first_prev_hash:
        result.problems.append(
            f"event #{first}: the bundle's first event does not continue a signed checkpoint at #{first - 1}"
        )
    if last not in signed:
        covered = max((sequence for sequence in signed if sequence < last), default=first - 1)
        result.problems.append(
            f"events #{max(covered + 1, first)} to #{last}: no signed checkpoint covers them "
            "(anything could have been changed there)"
        )


def _check_reports(bundle, checkpoints: dict, events: _Events, result: Result) -> None:
    for report in _json_lines(bundle, REPORTS):
        result.report_count += 1
        name = f"report {report.get('id')} ({report.get('title')!r})"
        checkpoint = report.get("checkpoint")
        if checkpoint is not None and not isinstance(checkpoint, dict):
            raise BundleUnreadable(f"{REPORTS}: {name} has a malformed checkpoint")
        if checkpoint and checkpoint.get("hash") not in checkpoints["by_hash"]:
            result.problems.append(f"{name}: issued at a checkpoint that is not in the bundle")
        recorded = events.issued.get(str(report.get("id")))
        if recorded is not None and recorded != report.get("sha256"):
            result.problems.append(
                f"{name}: its SHA-256 differs from the one its report.issued event recorded"
            )


def verify_bundle(
    source: str | IO[bytes],
    trusted_keys: list[str] | None = None,
    expected_checkpoints: list[str] | None = None,
) -> Result:
    """Check the bundle at ``source``. ``trusted_keys`` (fingerprints, 64 or 16 hexadecimal digits) pins the keys
    whose signatures count; ``expected_checkpoints`` (hashes) must all be in the bundle's checkpoint chain."""
    result = Result()
    pins = [pin.lower() for pin in trusted_keys or []]
    try:
        with zipfile.ZipFile(source) as bundle:
            try:
                manifest_bytes = bundle.read(MANIFEST)
            except KeyError:
                raise BundleUnreadable("no manifest.json: not a Plumbline audit bundle") from None
            manifest = json.loads(manifest_bytes)
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                found = manifest.get("format") if isinstance(manifest, dict) else None
                raise BundleUnreadable(f"format {found!r}; this verifier reads {FORMAT}")
            organisation = manifest.get("organisation")
            if not isinstance(organisation, dict):
                raise BundleUnreadable(f"{MANIFEST}: 'organisation' is not a JSON object")
            result.organisation = f"{organisation.get('name')} ({organisation.get('slug')})"
            try:
                key_entries = json.loads(bundle.read(KEYS))
            except KeyError:
                raise BundleUnreadable(f"no {KEYS} in the bundle") from None
            keys = _load_keys(key_entries, pins, result)
            _check_manifest(bundle, manifest_bytes, manifest, keys, result)
            events = _check_events(bundle, manifest, organisation.get("id"), result)
            checkpoints = _check_checkpoints(bundle, events, manifest, organisation.get("id"), keys, result)
            _check_reports(bundle, checkpoints, events, result)
            for expected in expected_checkpoints or []:
                if expected.lower() not in checkpoints["by_hash"]:
                    result.problems.append(
                        f"checkpoint {expected.lower()[:16]}… that you expected (from an earlier bundle or report) is "
                        "not in this trail: it was rewritten since, or this is another organisation's"
                    )
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleUnreadable(f"cannot read the bundle: {exc}") from None
    except KeyError as exc:
        raise BundleUnreadable(f"a file or field the format requires is missing: {exc}") from None
    except (ValueError, TypeError, AttributeError) as exc:
        raise BundleUnreadable(f"malformed bundle: {type(exc).__name__}: {exc}") from None
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
        help="the signing key to trust: its fingerprint from the organisation's public key page (64 hexadecimal "
        "digits, or the short 16); repeat for rotated keys",
    )
    parser.add_argument(
        "--expect-checkpoint",
        action="append",
        metavar="HASH",
        help="a checkpoint hash this trail must still contain (the last one of a bundle you verified before)",
    )
    parser.add_argument(
        "--accept-bundle-keys",
        action="store_true",
        help="trust whatever keys the bundle lists (only to look; a bundle forged whole passes this way)",
    )
    options = parser.parse_args(argv)
    pins = [pin.lower() for pin in options.trust_key or []]
    bad = [pin for pin in pins if not FINGERPRINT.match(pin)]
    expected = [value.lower() for value in options.expect_checkpoint or []]
    if bad or not all(HASH.match(value) for value in expected):
        parser.error("a fingerprint is 16 or 64 hexadecimal digits and a checkpoint hash 64")
    if not pins and not options.accept_bundle_keys:
        parser.error(
            "say whose signatures you trust: --trust-key FINGERPRINT (from the organisation's public key page), "
            "or --accept-bundle-keys to look without trusting"
        )
    try:
        result = verify_bundle(options.bundle, pins, expected)
    except BundleUnreadable as exc:
        print(f"plumbline-verify: {exc}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(f"BROKEN: {problem}")
    print(result.summary())
    if result.intact and result.last_checkpoint:
        print(
            f"Last checkpoint hash: {result.last_checkpoint['hash']} (keep it: --expect-checkpoint with it checks "
            "that the next bundle continues this trail)"
        )
    if result.intact and not pins:
        print(
            f"Signed by key(s) {', '.join(sorted(result.signing_keys)) or 'none'}, taken from the bundle itself: "
            "compare with the fingerprints the organisation published before you rely on it."
        )
    return 0 if result.intact else 1


if __name__ == "__main__":
    sys.exit(main())
