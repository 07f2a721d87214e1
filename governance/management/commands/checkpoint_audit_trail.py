from django.core.management.base import BaseCommand, CommandError

from governance.core import signing
from governance.core.audit import AuditIntegrityError, write_checkpoint
from governance.models import Organisation


class Command(BaseCommand):
    help = "Sign a checkpoint of each organisation's audit trail (of one with --organisation) now."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", help="Slug of one organisation (default: all).")
        parser.add_argument(
            "--force", action="store_true", help="Sign even when nothing happened since the last."
        )

    def handle(self, *args, **options):
        organisations = Organisation.objects.all()
        if options["organisation"]:
            organisations = organisations.filter(slug=options["organisation"])
            if not organisations.exists():
                raise CommandError(f"No organisation with slug {options['organisation']!r}.")
        key_id = signing.fingerprint(signing.signing_key().public_key())
        refused = []
        for organisation in organisations:
            try:
                checkpoint = write_checkpoint(organisation, force=options["force"])
            except AuditIntegrityError as error:
                self.stderr.write(f"{organisation.slug}: {error}")
                refused.append(organisation.slug)
                continue
            if checkpoint is None:
                self.stdout.write(f"{organisation.slug}: nothing new since the last checkpoint.")
            else:
                self.stdout.write(
                    f"{organisation.slug}: checkpoint at #{checkpoint.sequence} "
                    f"({checkpoint.event_count} events) signed by key {key_id}."
                )
        if refused:
            raise CommandError(
                f"Not signed: {', '.join(refused)} (run verify_audit_trail to see every break)."
            )
