"""Load the shipped questionnaire versions (or one file) into the database. Safe to run repeatedly."""

from pathlib import Path

from governance.core.catalogues import LoadCatalogueCommand
from maturity.models import Questionnaire
from maturity.questionnaire import DATA_DIR, load_questionnaire, shipped_files


class Command(LoadCatalogueCommand):
    """`manage.py load_questionnaire`: load the maturity questionnaire versions."""

    help = (
        "Load every maturity/data/questionnaire/*.yaml in version order (the newest becomes current), "
        "or one file with --file. Unchanged versions are left as they are."
    )
    noun = "questionnaire"
    data_dir = DATA_DIR

    def shipped_files(self) -> list[Path]:
        return shipped_files()

    def load(self, path: Path, make_current: bool) -> tuple[Questionnaire, bool]:
        return load_questionnaire(path, make_current=make_current)

    def describe_loaded(self, questionnaire: Questionnaire, path: Path) -> str:
        questions = sum(f.questions.count() for f in questionnaire.factors.all())
        return (
            f"Loaded questionnaire {questionnaire.version} from {path.name}: "
            f"{questionnaire.factors.count()} factors, {questions} questions"
            f"{' (current)' if questionnaire.is_current else ''}."
        )

    def describe_existing(self, questionnaire: Questionnaire, path: Path) -> str:
        return f"Questionnaire {questionnaire.version} ({path.name}) already loaded."
