"""Demo data for `make run`: Acme Bank, one user per role, past assessments and a model inventory.

Idempotent: running it again leaves existing demo data as it is. Sends no email: the history it records (a KPI
breach, say) is the past, and the console backend of `make run` would print its notifications as set-up output.
"""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from governance.core.audit import record_verification, write_checkpoint
from governance.core.registry import demo_seeders
from governance.core.roles import Role
from governance.models import BusinessUnit, Membership, Organisation

DEMO_PASSWORD = "plumbline-demo"
DEMO_ORGANISATION = "Acme Bank"
DEMO_UNITS = ("Retail Banking", "Corporate & Investment Banking")
# username, role, full name; "admin" is also a Django superuser for /admin/.
DEMO_USERS = (
    ("admin", Role.ADMIN, "Ada Admin"),
    ("cio", Role.EXECUTIVE, "Charlotte Ives"),
    ("assessor", Role.ASSESSOR, "Sam Assessor"),
    ("owner", Role.MODEL_OWNER, "Omar Owner"),
    ("risk", Role.RISK_OFFICER, "Rita Risk"),
    ("validator", Role.VALIDATOR, "Valerie Validator"),
    ("auditor", Role.AUDITOR, "Audrey Auditor"),
)


class Command(BaseCommand):
    help = "Load the questionnaire and demo data (Acme Bank, users for every role, assessments, inventory)."

    def handle(self, *args, **options):
        # Only while seeding: the running app's notifications go out through the configured backend.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._seed(options)

    def _seed(self, options) -> None:
        call_command("load_questionnaire", verbosity=options["verbosity"])
        call_command("load_frameworks", verbosity=options["verbosity"])
        with transaction.atomic():
            organisation, _ = Organisation.objects.get_or_create(
                name=DEMO_ORGANISATION, defaults={"classification": "Confidential — internal use only"}
            )
            units = [
                BusinessUnit.objects.get_or_create(organisation=organisation, name=n)[0] for n in DEMO_UNITS
            ]
            users = {}
            User = get_user_model()
            for username, role, full_name in DEMO_USERS:
                first, last = full_name.split(" ", 1)
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "email": f"{username}@acme-bank.example",
                    },
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    if role == Role.ADMIN:
                        user.is_staff = user.is_superuser = True
                    user.save()
                Membership.objects.get_or_create(
                    user=user, organisation=organisation, defaults={"role": role}
                )
                users[str(role)] = user

        # Each app's demo data, by each seeder's order (governance.core.registry.demo_seeders); in one
        # transaction, so a half-loaded demo is never left behind and SQLite syncs to disk once, not per row.
        context = {"organisation": organisation, "units": units, "users": users}
        with transaction.atomic():
            for seeder in demo_seeders:
                seeder.seed(context)
        # Sealed and verified as beat would within the hour, so the audit pages show a signed, verified trail.
        write_checkpoint(organisation)
        record_verification(organisation)

        self.stdout.write(self.style.SUCCESS(f"Demo organisation: {organisation.name}"))
        self.stdout.write(f"Log in with any of these (password for all: {DEMO_PASSWORD}):")
        for username, role, full_name in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role.label:<28} {full_name}")
