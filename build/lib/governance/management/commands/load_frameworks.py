"""Load the shipped compliance framework catalogues (or one file) into the database. Safe to run repeatedly."""

from pathlib import Path

from django.db import transaction

from governance.compliance_catalogue import DATA_DIR, load_framework, read_catalogue, shipped_files
from governance.core.catalogues import LoadCatalogueCommand, version_sort_key
from governance.models import Framework
from governance.services.compliance import CarryOverResult, carry_over_records


class Command(LoadCatalogueCommand):
    """`manage.py load_frameworks`: load the compliance catalogues, carrying records over to new versions."""

    help = (
        "Load every governance/data/frameworks/*.yaml (the newest version of each framework becomes current), "
        "or one file with --file. Unchanged versions are left as they are; changed content under a loaded "
        "version is refused. When a new version becomes current, every organisation's compliance records on "
        "the previous version are carried over to it and flagged for review (unless --no-carry-over)."
    )
    noun = "framework"
    data_dir = DATA_DIR

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-carry-over",
            action="store_true",
            help="Do not copy compliance records from the previous version to a new current version.",
        )

    def handle(self, *args, **options) -> None:
        self.carry_over = not options["no_carry_over"]
        self.carried: dict[int, CarryOverResult] = {}
        super().handle(*args, **options)

    def shipped_files(self) -> list[Path]:
        return shipped_files()

    def load(self, path: Path, make_current: bool) -> tuple[Framework, bool]:
        # Loading and carrying over commit together: a failed carry-over must not leave a current version that
        # a rerun would treat as already loaded (and so never carry over to).
        with transaction.atomic():
            previous = self._previous_version(path) if make_current and self.carry_over else None
            framework, created = load_framework(path, make_current=make_current)
            if created and previous is not None and previous.pk != framework.pk:
                self.carried[framework.pk] = carry_over_records(old=previous, new=framework)
        return framework, created

    def _previous_version(self, path: Path) -> Framework | None:
        """The version records would be carried from: the current one, else the newest loaded one."""
        key = read_catalogue(path)["key"]
        versions = list(Framework.objects.filter(key=key))
        current = [f for f in versions if f.is_current]
        if current:
            return current[0]
        return max(versions, key=lambda f: version_sort_key(f.version), default=None)

    def describe_loaded(self, framework: Framework, path: Path) -> str:
        line = (
            f"Loaded {framework.name} version {framework.version} from {path.name}: "
            f"{framework.requirements.count()} requirements{' (current)' if framework.is_current else ''}."
        )
        if framework.pk in self.carried:
            line += "\n" + self.carried[framework.pk].summary()
        return line

    def describe_existing(self, framework: Framework, path: Path) -> str:
        return f"{framework.name} {framework.version} ({path.name}) already loaded."
