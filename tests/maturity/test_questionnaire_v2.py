"""Questionnaire 2026.2: v1's questions unchanged, evidence signals on what Plumbline can observe, and an action
per level transition for every question."""

from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError

from maturity.evidence import SIGNALS
from maturity.questionnaire import DATA_DIR, load_questionnaire

V1, V2 = DATA_DIR / "v1.yaml", DATA_DIR / "v2.yaml"


def questions(path: Path) -> dict[str, dict]:
    data = yaml.safe_load(path.read_bytes())
    return {q["key"]: {**q, "factor": f["key"]} for f in data["factors"] for q in f["questions"]}


def test_v2_keeps_every_v1_question_weight_and_descriptor_so_answers_carry_over_by_key():
    old, new = questions(V1), questions(V2)

    assert list(old) == list(new)
    for key, question in old.items():
        for field in ("text", "guidance", "weight", "levels", "factor"):
            assert new[key].get(field) == question.get(field), (key, field)


def test_at_least_twelve_questions_over_all_five_factors_name_a_known_signal():
    with_signal = {k: q for k, q in questions(V2).items() if "evidence" in q}

    assert len(with_signal) >= 12
    assert {q["factor"] for q in with_signal.values()} == {
        "strategy",
        "architecture",
        "modeling",
        "processes",
        "governance",
    }
    assert {q["evidence"]["signal"] for q in with_signal.values()} <= set(SIGNALS)


def test_every_question_has_an_action_per_level_transition():
    for key, question in questions(V2).items():
        actions = question.get("actions")
        assert actions is not None, key
        assert [a["to"] for a in actions] == [1, 2, 3, 4, 5], key
        assert all(a["effort"] in {"S", "M", "L"} and a["action"].strip() for a in actions), key


@pytest.mark.django_db
def test_v2_loads_with_its_evidence_and_actions():
    load_questionnaire(V1)
    questionnaire, created = load_questionnaire(V2)

    assert created and questionnaire.is_current and questionnaire.version == "2026.2"
    monitoring = questionnaire.factors.get(key="processes").questions.get(key="processes-monitoring")
    assert monitoring.evidence == {
        "signal": "monitoring-coverage",
        "at_least": {"2": 0.1, "3": 0.5, "4": 0.8, "5": 0.95},
    }
    assert len(monitoring.actions) == 5


def _first_question(data: dict) -> dict:
    return data["factors"][0]["questions"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda q: q.update(evidence={"signal": "gut-feeling", "at_least": {5: 0.9}}),
            "unknown evidence signal",
        ),
        (
            lambda q: q.update(evidence={"signal": "business-kpis", "at_least": {3: 0.5, 5: 0.9}}),
            "every level",
        ),
        (
            lambda q: q.update(evidence={"signal": "business-kpis", "at_least": {4: 0.8, 5: 0.5}}),
            "smaller share",
        ),
        (lambda q: q.update(evidence={"signal": "business-kpis", "at_least": {5: 1.5}}), "from 0 to 1"),
        (lambda q: q["actions"].pop(), "one per level"),
        (lambda q: q["actions"][0].update(effort="XL"), "effort must be one of"),
        (lambda q: q["actions"][2].update(requires=["no-such-question>=2"]), "names no other question"),
        (lambda q: q["actions"][2].update(requires=["strategy-funding at least 2"]), "question-key>=level"),
    ],
)
def test_malformed_evidence_or_actions_are_refused_naming_the_question(tmp_path, change, message):
    data = yaml.safe_load(V2.read_bytes())
    data["version"] = "2099.1"
    change(_first_question(data))
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")

    with pytest.raises(ValidationError) as refused:
        load_questionnaire(path)

    assert "strategy-business-alignment" in refused.value.message_dict
    assert message in " ".join(refused.value.message_dict["strategy-business-alignment"])
