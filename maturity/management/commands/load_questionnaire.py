"""Load the shipped questionnaire versions (or one file) into the database. Safe to run repeatedly."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from maturity.questionnaire import DATA_DIR, load_questionnaire, shipped_files


class Command(BaseCommand):
    help = (
        "Load every maturity/data/questionnaire/*.yaml in version order (the newest becomes current), "
        "or one file with --file. Unchanged versions are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="Load only this questionnaire file.")
        parser.add_argument(
            "--not-current",
            action="store_true",
            help="Load a new version without making it the current questionnaire.",
        )

    def handle(self, *args, **options):
        path = options["file"] or DATA_DIR
        try:
            if options["file"]:
                path = options["file"]
                if not path.is_file():
                    raise CommandError(f"No such file: {path}")
                paths = [path]
            else:
                paths = shipped_files()
                if not paths:
                    raise CommandError("No questionnaire files found in maturity/data/questionnaire/.")
            for path in paths:
                questionnaire, created = load_questionnaire(path, make_current=not options["not_current"])
                if created:
                    questions = sum(f.questions.count() for f in questionnaire.factors.all())
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"Loaded questionnaire {questionnaire.version} from {path.name}: "
                            f"{questionnaire.factors.count()} factors, {questions} questions"
                            f"{' (current)' if questionnaire.is_current else ''}."
                        )
                    )
                elif options["verbosity"] >= 1:
                    self.stdout.write(f"Questionnaire {questionnaire.version} ({path.name}) already loaded.")
        except ValidationError as exc:
            details = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
            raise CommandError(f"{path}: {details}") from exc
