"""The crosswalk to public MLOps maturity models: the shipped data, and criteria-based placement."""

from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError

from maturity import crosswalk
from maturity.questionnaire import shipped_files as questionnaire_files

SHIPPED = crosswalk.DATA_DIR / "v1.yaml"


def questionnaire_keys() -> set[str]:
    data = yaml.safe_load(questionnaire_files()[-1].read_bytes())
    return {q["key"] for f in data["factors"] for q in f["questions"]}


def test_shipped_crosswalk_covers_the_three_public_models_with_cited_sources():
    table = crosswalk.read(SHIPPED)

    assert [m.key for m in table.models] == ["microsoft", "google", "aws"]
    assert [len(m.levels) for m in table.models] == [5, 3, 4]
    assert [lv.name for lv in table.models[1].levels] == [
        "Manual process",
        "ML pipeline automation",
        "CI/CD pipeline automation",
    ]
    assert [lv.name for lv in table.models[2].levels] == ["Initial", "Repeatable", "Reliable", "Scalable"]
    for model in table.models:
        assert model.source_url.startswith("https://")
        assert all(level.definition for level in model.levels)
    # Every requirement names a question of the current questionnaire.
    assert table.question_keys() <= questionnaire_keys()


def _model() -> crosswalk.PublicModel:
    r = crosswalk.Requirement
    return crosswalk.PublicModel(
        key="m",
        name="M",
        publisher="P",
        source_url="https://example.org",
        source_title="S",
        levels=(
            crosswalk.PublicLevel(0, "Manual", "d", ()),
            crosswalk.PublicLevel(1, "Pipelines", "d", (r("a", 2, "w"), r("b", 3, "w"))),
            crosswalk.PublicLevel(2, "CI/CD", "d", (r("a", 4, "w"), r("c", 3, "w"))),
        ),
    )


def test_a_level_is_reached_only_when_it_and_every_level_below_are_met():
    model = _model()

    assert crosswalk.place(model, {"a": 2, "b": 3}).level.level == 1
    # Level 2's own criteria are met but level 1's are not: still level 0.
    assert crosswalk.place(model, {"a": 5, "b": 1, "c": 5}).level.level == 0
    top = crosswalk.place(model, {"a": 4, "b": 3, "c": 3})
    assert top.level.level == 2 and top.is_top and top.missing == ()


def test_what_is_missing_for_the_next_level_is_listed_with_the_current_answer():
    placement = crosswalk.place(_model(), {"a": 3, "b": 3, "c": None}, texts={"a": "Question A?"})

    assert placement.level.level == 1 and placement.next_level.level == 2
    assert [(g.requirement.question, g.requirement.min_level, g.current) for g in placement.missing] == [
        ("a", 4, 3),
        ("c", 3, None),
    ]
    assert placement.missing[0].question_text == "Question A?"


def test_not_applicable_meets_no_requirement():
    assert crosswalk.place(_model(), {"a": 2, "b": None}).level.level == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["models"][0]["levels"][1]["requires"].append(
                {"question": "x", "min_level": 9, "why": "w"}
            ),
            "min_level",
        ),
        (lambda d: d["models"][0]["levels"].pop(0), "numbered from 0"),
        (lambda d: d["models"][1].pop("source_url"), "source_url"),
        (
            lambda d: d["models"][2]["levels"][0]["requires"].append(
                {"question": "x", "min_level": 1, "why": "w"}
            ),
            "lowest level requires nothing",
        ),
    ],
)
def test_malformed_crosswalks_are_refused_naming_the_problem(tmp_path: Path, change, message):
    data = yaml.safe_load(SHIPPED.read_bytes())
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    with pytest.raises(ValidationError) as refused:
        crosswalk.read(path)

    assert message in " ".join(refused.value.messages)


@pytest.mark.django_db
def test_results_page_and_api_place_the_assessment_on_each_public_model(
    organisation, assessor, login, client, api_client
):
    from django.urls import reverse

    from maturity import services
    from maturity.models import Question
    from maturity.questionnaire import load_questionnaire

    questionnaire, _ = load_questionnaire(questionnaire_files()[-1])
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Crosswalked")
    keys = Question.objects.filter(factor__questionnaire=questionnaire).values_list("key", flat=True)
    services.save_answers(
        actor=assessor, assessment=assessment, answers=[{"question": k, "level": 2} for k in keys]
    )
    login(assessor)

    body = client.get(reverse("maturity:results", args=[assessment.pk])).content.decode()
    scores = api_client(assessor).get(f"/api/v1/assessments/{assessment.pk}/scores/").json()

    assert "On public MLOps maturity models" in body
    assert "Microsoft MLOps maturity model" in body and "1 — DevOps but no MLOps" in body
    microsoft = next(row for row in scores["crosswalk"] if row["model"] == "microsoft")
    assert (microsoft["level"], microsoft["next_level"], microsoft["next_level_name"]) == (
        1,
        2,
        "Automated training",
    )
    assert {gap["question"] for gap in microsoft["missing"]} >= {"processes-retraining"}
    assert all(gap["current"] == 2 for gap in microsoft["missing"])
    assert scores["crosswalk_version"] == "2026.1"
    assert [row["model"] for row in scores["crosswalk"]] == ["microsoft", "google", "aws"]
