"""Load the shipped compliance framework catalogues (or one file) into the database. Safe to run repeatedly."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from governance.compliance_catalogue import DATA_DIR, load_framework, shipped_files


class Command(BaseCommand):
    """`manage.py load_frameworks`: load the compliance catalogues."""

    help = (
        "Load every governance/data/frameworks/*.yaml (the newest version of each framework becomes current), "
        "or one file with --file. Unchanged versions are left as they are; changed content under a loaded "
        "version is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="Load only this framework file.")
        parser.add_argument(
            "--not-current",
            action="store_true",
            help="Load a new version without making it the current version of its framework.",
        )

    def handle(self, *args, **options):
        path = options["file"] or DATA_DIR
        try:
            if options["file"]:
                if not path.is_file():
                    raise CommandError(f"No such file: {path}")
                paths = [path]
            else:
                paths = shipped_files()
                if not paths:
                    raise CommandError(f"No framework files found in {DATA_DIR}.")
            for path in paths:
                framework, created = load_framework(path, make_current=not options["not_current"])
                if created:
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"Loaded {framework.name} version {framework.version} from {path.name}: "
                            f"{framework.requirements.count()} requirements"
                            f"{' (current)' if framework.is_current else ''}."
                        )
                    )
                elif options["verbosity"] >= 1:
                    self.stdout.write(f"{framework.name} {framework.version} ({path.name}) already loaded.")
        except ValidationError as exc:
            details = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
            raise CommandError(f"{path}: {details}") from exc
