from django.core.management.base import BaseCommand, CommandError

from governance.core.audit import verify_chain
from governance.models import AuditEvent, Organisation


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain; exits non-zero and lists each break if it was tampered with."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", help="Slug of one organisation (default: all).")

    def handle(self, *args, **options):
        organisation = None
        if options["organisation"]:
            organisation = Organisation.objects.filter(slug=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"No organisation with slug {options['organisation']!r}.")
        problems = verify_chain(organisation)
        if problems:
            for problem in problems:
                self.stderr.write(f"TAMPERED: {problem}")
            raise CommandError(f"Audit trail verification failed: {len(problems)} problem(s).")
        count = (
            AuditEvent.objects.filter(organisation=organisation).count()
            if organisation
            else AuditEvent.objects.count()
        )
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} events verified."))
