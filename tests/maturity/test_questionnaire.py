"""The shipped questionnaire loads, reloads idempotently, and malformed or silently edited files are refused."""

from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from maturity.levels import LEVEL_NAMES
from maturity.models import Assessment, Factor, Question, Questionnaire
from maturity.questionnaire import DATA_DIR, load_questionnaire, shipped_files
from tests.factories import OrganisationFactory

SHIPPED = DATA_DIR / "v1.yaml"
FACTOR_ORDER = ["strategy", "architecture", "modeling", "processes", "governance"]


def shipped_data() -> dict:
    return yaml.safe_load(SHIPPED.read_bytes())


def write(tmp_path: Path, data: dict, name: str = "q.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def error_text(exc: pytest.ExceptionInfo) -> str:
    return " ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.value.message_dict.items())


@pytest.mark.django_db
def test_shipped_questionnaire_loads_complete_and_current():
    questionnaire, created = load_questionnaire(SHIPPED)

    assert created
    assert questionnaire.is_current
    assert questionnaire.version == "2026.1"
    assert len(questionnaire.source_sha256) == 64
    factors = list(questionnaire.factors.all())
    assert [f.key for f in factors] == FACTOR_ORDER
    assert {f.key: f.weight for f in factors}["governance"] == 1.2
    questions = Question.objects.filter(factor__questionnaire=questionnaire)
    assert questions.count() >= 40
    for question in questions:
        assert question.text.strip() and question.guidance.strip()
        assert len(question.level_descriptors) == 6
        assert all(d.strip() for d in question.level_descriptors)
    # Some practices matter more than others.
    assert questions.exclude(weight=1.0).exists()
    assert questions.get(key="strategy-business-alignment").level_descriptors[0].startswith("ML work")


def test_yaml_level_names_match_the_scale_constant():
    levels = shipped_data()["levels"]
    assert {lv["level"]: lv["name"] for lv in levels} == LEVEL_NAMES


@pytest.mark.django_db
def test_loading_the_same_file_twice_is_a_no_op():
    first, created = load_questionnaire(SHIPPED)
    again, created_again = load_questionnaire(SHIPPED)

    assert created and not created_again
    assert again.pk == first.pk
    assert Questionnaire.objects.count() == 1
    assert Factor.objects.count() == 5
    assert Question.objects.count() == 40


@pytest.mark.django_db
def test_changed_content_with_the_same_version_is_refused(tmp_path):
    load_questionnaire(SHIPPED)
    data = shipped_data()
    data["factors"][0]["questions"][0]["text"] = "A reworded question"

    with pytest.raises(ValidationError) as exc:
        load_questionnaire(write(tmp_path, data))

    assert "changed content must carry a new version" in error_text(exc)
    assert Question.objects.filter(text="A reworded question").count() == 0
    assert Questionnaire.objects.count() == 1


@pytest.mark.django_db
def test_new_version_becomes_current_and_old_one_stays_for_its_assessments(tmp_path):
    old, _ = load_questionnaire(SHIPPED)
    assessment = Assessment.objects.create(
        organisation=OrganisationFactory(), questionnaire=old, title="2025 baseline"
    )
    data = shipped_data()
    data["version"] = "2026.2"
    data["factors"][0]["questions"][0]["text"] = "A reworded question"

    new, created = load_questionnaire(write(tmp_path, data))

    assert created and new.is_current
    old.refresh_from_db()
    assert not old.is_current
    assert list(Questionnaire.objects.filter(is_current=True)) == [new]
    assessment.refresh_from_db()
    assert assessment.questionnaire == old
    assert old.factors.get(key="strategy").questions.first().text != "A reworded question"
    assert new.factors.get(key="strategy").questions.first().text == "A reworded question"


@pytest.mark.django_db
def test_new_version_can_be_loaded_without_becoming_current(tmp_path):
    old, _ = load_questionnaire(SHIPPED)
    data = shipped_data()
    data["version"] = "2027.1-draft"

    draft, created = load_questionnaire(write(tmp_path, data), make_current=False)

    assert created and not draft.is_current
    old.refresh_from_db()
    assert old.is_current


def _five_descriptors(data):
    data["factors"][1]["questions"][2]["levels"].pop()
    return "architecture-model-registry"


def _duplicate_key(data):
    data["factors"][4]["questions"][1]["key"] = "modeling-reproducibility"
    return "modeling-reproducibility"


def _unknown_factor(data):
    data["factors"][2]["key"] = "culture"
    return "culture"


def _negative_weight(data):
    data["factors"][3]["questions"][0]["weight"] = -1
    return "processes-cicd"


def _renamed_level(data):
    data["levels"][3]["name"] = "Established"
    return "levels"


def _factor_without_questions(data):
    data["factors"][0]["questions"] = []
    return "strategy"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "break_file",
    [
        _five_descriptors,
        _duplicate_key,
        _unknown_factor,
        _negative_weight,
        _renamed_level,
        _factor_without_questions,
    ],
)
def test_malformed_files_are_refused_naming_the_key(tmp_path, break_file):
    data = shipped_data()
    data["version"] = "2099.1"
    offending = break_file(data)

    with pytest.raises(ValidationError) as exc:
        load_questionnaire(write(tmp_path, data))

    assert offending in exc.value.message_dict
    assert offending in error_text(exc)
    assert not Questionnaire.objects.exists()


@pytest.mark.django_db
def test_invalid_yaml_is_refused(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("version: '2026.9'\nfactors: [unclosed\n", encoding="utf-8")

    with pytest.raises(ValidationError) as exc:
        load_questionnaire(path)

    assert "not valid YAML" in error_text(exc)


@pytest.mark.django_db
def test_command_loads_shipped_files_and_is_idempotent(capsys):
    call_command("load_questionnaire")
    first = capsys.readouterr().out
    call_command("load_questionnaire")
    second = capsys.readouterr().out

    assert "Loaded questionnaire 2026.1" in first and "Loaded questionnaire 2026.2" in first
    assert "40 questions" in first
    assert "already loaded" in second
    # The newest version is the one new assessments are answered against; 2026.1 stays for those that were.
    assert Questionnaire.objects.get(is_current=True).version == "2026.2"
    assert Question.objects.filter(factor__questionnaire__version="2026.2").count() == 40


@pytest.mark.django_db
def test_command_loads_one_file_and_reports_a_bad_one(tmp_path, capsys):
    data = shipped_data()
    data["version"] = "2026.5"
    call_command("load_questionnaire", file=write(tmp_path, data))
    assert "Loaded questionnaire 2026.5" in capsys.readouterr().out

    data["version"] = "2026.6"
    data["factors"][0]["questions"][0]["levels"] = ["only one"]
    with pytest.raises(CommandError, match="strategy-business-alignment"):
        call_command("load_questionnaire", file=write(tmp_path, data, "bad.yaml"))
    assert list(Questionnaire.objects.values_list("version", flat=True)) == ["2026.5"]


@pytest.mark.django_db
def test_files_load_in_version_order_so_the_newest_ends_current(tmp_path):
    # File names deliberately disagree with the versions: the declared version decides the order.
    for name, version in [("a.yaml", "2026.10"), ("b.yaml", "2026.2"), ("c.yaml", "2025.9")]:
        data = shipped_data()
        data["version"] = version
        write(tmp_path, data, name)

    paths = shipped_files(tmp_path)
    for path in paths:
        load_questionnaire(path)

    assert [p.name for p in paths] == ["c.yaml", "b.yaml", "a.yaml"]
    assert Questionnaire.objects.get(is_current=True).version == "2026.10"
    assert Questionnaire.objects.count() == 3
