"""Load the shipped compliance framework catalogues (or one file) into the database. Safe to run repeatedly."""

from pathlib import Path

from governance.compliance_catalogue import DATA_DIR, load_framework, shipped_files
from governance.management.catalogue_command import LoadCatalogueCommand
from governance.models import Framework


class Command(LoadCatalogueCommand):
    """`manage.py load_frameworks`: load the compliance catalogues."""

    help = (
        "Load every governance/data/frameworks/*.yaml (the newest version of each framework becomes current), "
        "or one file with --file. Unchanged versions are left as they are; changed content under a loaded "
        "version is refused."
    )
    noun = "framework"
    data_dir = DATA_DIR

    def shipped_files(self) -> list[Path]:
        return shipped_files()

    def load(self, path: Path, make_current: bool) -> tuple[Framework, bool]:
        return load_framework(path, make_current=make_current)

    def describe_loaded(self, framework: Framework, path: Path) -> str:
        return (
            f"Loaded {framework.name} version {framework.version} from {path.name}: "
            f"{framework.requirements.count()} requirements{' (current)' if framework.is_current else ''}."
        )

    def describe_existing(self, framework: Framework, path: Path) -> str:
        return f"{framework.name} {framework.version} ({path.name}) already loaded."
