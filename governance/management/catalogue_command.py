"""The shape shared by the commands that load versioned data files (questionnaires, framework catalogues)."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class LoadCatalogueCommand(BaseCommand):
    """Load every shipped file, or one with ``--file``; a file already loaded unchanged is left alone.

    Subclasses name what they load and supply the loader and the two lines they print.
    """

    noun = "catalogue"  # "framework", "questionnaire": used in --help and messages
    data_dir: Path

    def shipped_files(self) -> list[Path]:
        raise NotImplementedError

    def load(self, path: Path, make_current: bool) -> tuple[Any, bool]:
        """Load one file; answer the loaded object and whether it was new."""
        raise NotImplementedError

    def describe_loaded(self, obj: Any, path: Path) -> str:
        raise NotImplementedError

    def describe_existing(self, obj: Any, path: Path) -> str:
        raise NotImplementedError

    def add_arguments(self, parser) -> None:
        parser.add_argument("--file", type=Path, help=f"Load only this {self.noun} file.")
        parser.add_argument(
            "--not-current",
            action="store_true",
            help=f"Load a new version without making it the current {self.noun}.",
        )

    def handle(self, *args, **options) -> None:
        path = options["file"] or self.data_dir
        try:
            if options["file"]:
                if not path.is_file():
                    raise CommandError(f"No such file: {path}")
                paths = [path]
            else:
                paths = self.shipped_files()
                if not paths:
                    raise CommandError(f"No {self.noun} files found in {self.data_dir}.")
            for path in paths:
                obj, created = self.load(path, make_current=not options["not_current"])
                if created:
                    self.stdout.write(self.style.SUCCESS(self.describe_loaded(obj, path)))
                elif options["verbosity"] >= 1:
                    self.stdout.write(self.describe_existing(obj, path))
        except ValidationError as exc:
            details = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
            raise CommandError(f"{path}: {details}") from exc
