from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance.models import Organisation
from governance.services.audit_bundles import file_sha256, write_audit_bundle


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Write an organisation's audit evidence bundle (events, signed checkpoints, public keys, issued reports, "
        "a signed manifest) to a zip an auditor checks offline with plumbline-verify."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="The zip file to write.")
        parser.add_argument("--organisation", required=True, help="The organisation's slug.")
        parser.add_argument("--from", dest="date_from", type=_date, help="First day of events (YYYY-MM-DD).")
        parser.add_argument("--to", dest="date_to", type=_date, help="Last day of events (YYYY-MM-DD).")

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug {options['organisation']!r}.")
        if options["date_from"] and options["date_to"] and options["date_from"] > options["date_to"]:
            raise CommandError("--to is before --from.")
        out = Path(options["out"])
        if out.parent and not out.parent.is_dir():
            raise CommandError(f"No such folder: {out.parent}")
        with out.open("wb") as handle:
            summary = write_audit_bundle(
                handle, organisation=organisation, date_from=options["date_from"], date_to=options["date_to"]
            )
        self.stdout.write(
            f"Wrote {out}: {summary.event_count:,} events, {summary.checkpoint_count:,} checkpoints, "
            f"{summary.report_count:,} issued reports; SHA-256 {file_sha256(out)}."
        )
        pins = " ".join(f"--trust-key {fingerprint}" for fingerprint in summary.trust_keys)
        self.stdout.write(f"Verify it with: plumbline-verify {out} {pins}")
