"""Measure the audit trail's integrity work at a size: full verification, a signed checkpoint, an evidence bundle's
export and its offline verification (time, size, the verifier's peak memory).

The trail is built in a throw-away organisation inside a transaction that is rolled back, so the database is left
as it was: events written in bulk with their real hashes and links, a checkpoint every CHECKPOINT_EVERY events.
"""

import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from governance import offline_verifier
from governance.core import signing
from governance.core.audit import GENESIS_HASH, event_fields, verify_chain, write_checkpoint
from governance.demo.benchmark import build_organisation
from governance.models import AuditEvent
from governance.services.audit_bundles import write_audit_bundle

CHECKPOINT_EVERY = 1000
BATCH = 5000


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time verify_audit_trail, a checkpoint, an evidence bundle's export and its offline verification."

    def add_arguments(self, parser):
        parser.add_argument(
            "--events", type=int, default=100_000, help="Events in the trail (default 100,000)."
        )

    def handle(self, *args, **options):
        count = options["events"]
        if count < 1:
            raise CommandError("--events must be at least 1.")
        try:
            with transaction.atomic():
                self._measure(count)
                raise _Rollback
        except _Rollback:
            pass

    def _measure(self, count: int) -> None:
        organisation, _ = build_organisation(f"audit-{count}")
        started = time.perf_counter()
        self._build_trail(organisation, count)
        self.stdout.write(
            f"{count:,} events with {count // CHECKPOINT_EVERY:,} checkpoints built in "
            f"{time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        problems = verify_chain(organisation)
        self.stdout.write(
            f"verify_audit_trail: {time.perf_counter() - started:.2f} s, {len(problems)} problems"
        )

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bundle.zip"
            started = time.perf_counter()
            with path.open("wb") as handle:
                summary = write_audit_bundle(handle, organisation=organisation)
            elapsed = time.perf_counter() - started
            size = path.stat().st_size / 1024 / 1024
            self.stdout.write(
                f"export_audit_bundle: {elapsed:.2f} s, {summary.event_count:,} events, {size:.1f} MiB zip"
            )
            pins = [signing.full_fingerprint(signing.signing_key().public_key())]
            started = time.perf_counter()
            result = offline_verifier.verify_bundle(str(path), pins)
            elapsed = time.perf_counter() - started
            # Memory in a second run: tracing slows Python down several times.
            tracemalloc.start()
            offline_verifier.verify_bundle(str(path), pins)
            peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
            tracemalloc.stop()
            self.stdout.write(
                f"plumbline-verify: {elapsed:.2f} s, peak {peak:.0f} MiB of Python memory, "
                f"{'intact' if result.intact else f'{len(result.problems)} problems'}"
            )

    def _build_trail(self, organisation, count: int) -> None:
        prev_hash, batch = GENESIS_HASH, []
        start = timezone.now() - timedelta(days=365)
        for sequence in range(1, count + 1):
            event = AuditEvent(
                organisation=organisation,
                sequence=sequence,
                actor=None,
                actor_label="system",
                action="model.update",
                object_type="governance.aimodel",
                object_id=str(sequence % 997),
                object_repr=f"Benchmark model {sequence % 997}",
                changes={"next_review_due": [None, "2027-01-01"], "risk_score": [1.5, sequence / 7]},
                request_id="",
                created_at=start + timedelta(seconds=sequence * 30),
                prev_hash=prev_hash,
            )
            event.hash = prev_hash = offline_verifier.event_hash(event_fields(event))
            batch.append(event)
            if sequence % CHECKPOINT_EVERY == 0 or sequence == count:
                AuditEvent.objects.bulk_create(batch, batch_size=BATCH)
                batch = []
                write_checkpoint(organisation)
