"""Framework catalogues: every shipped file loads, citations are real and unique, versions are immutable, and the
applies_to rules select the right models."""

import re
import shutil
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from governance.compliance_catalogue import (
    DATA_DIR,
    applies_to_errors,
    load_all,
    load_framework,
    read_catalogue,
    rules_match,
    shipped_files,
)
from governance.models import AIModel, Framework, Requirement

SHIPPED = {"eu-ai-act", "nist-ai-rmf", "iso-iec-42001", "sr-11-7"}


def _write(tmp_path: Path, data: dict, name: str = "fw.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _minimal(**overrides) -> dict:
    data = {
        "key": "test-fw",
        "version": "1",
        "name": "Test framework",
        "publisher": "Us",
        "source_url": "https://example.com/fw",
        "description": "A framework for tests.",
        "requirements": [
            {"ref": "R1", "section": "S", "title": "First", "description": "Do the first thing."},
            {
                "ref": "R2",
                "section": "S",
                "title": "Second",
                "description": "Do the second thing.",
                "applies_to": {"eu_ai_act_category": ["high_risk"]},
            },
        ],
    }
    data.update(overrides)
    return data


def _model(**fields) -> AIModel:
    defaults = {
        "eu_ai_act_category": "minimal",
        "risk_tier": "medium",
        "lifecycle_stage": "production",
        "decisions_about_people": "none",
        "third_party": False,
        "processes_personal_data": False,
    }
    return AIModel(**{**defaults, **fields})


@pytest.mark.django_db
def test_every_shipped_file_loads_once_and_is_current():
    results = load_all()
    assert {f.key for f, created in results if created} == SHIPPED
    assert set(Framework.objects.filter(is_current=True).values_list("key", flat=True)) == SHIPPED
    requirements = Requirement.objects.count()
    # Loading again changes nothing.
    again = load_all()
    assert not any(created for _, created in again)
    assert Requirement.objects.count() == requirements
    assert Framework.objects.count() == len(SHIPPED)


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.name)
def test_shipped_files_have_unique_citations_and_short_own_word_descriptions(path):
    data = read_catalogue(path)
    refs = [r["ref"] for r in data["requirements"]]
    assert len(refs) == len(set(refs)), "citations must be unique"
    assert data["source_url"].startswith("https://")
    for requirement in data["requirements"]:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", requirement["description"].strip()) if s]
        assert 1 <= len(sentences) <= 3, requirement["ref"]
        assert len(requirement["description"]) <= 600, requirement["ref"]


def _refs(key: str) -> dict[str, dict]:
    path = next(p for p in shipped_files() if read_catalogue(p)["key"] == key)
    return {r["ref"]: r for r in read_catalogue(path)["requirements"]}


def test_eu_ai_act_cites_the_articles_and_scopes_them_by_category():
    refs = _refs("eu-ai-act")
    for article in (5, 9, 10, 11, 12, 13, 14, 15, 17, 26, 27, 50, 72, 73):
        assert f"Art. {article}" in refs
    for article in (9, 10, 11, 12, 13, 14, 15, 26, 73):
        assert refs[f"Art. {article}"]["applies_to"] == {"eu_ai_act_category": ["high_risk"]}
    assert set(refs["Art. 50"]["applies_to"]["eu_ai_act_category"]) == {"limited", "high_risk"}
    assert "applies_to" not in refs["Art. 5"]  # every model is screened for prohibited practices


def test_nist_has_one_requirement_per_category():
    refs = set(_refs("nist-ai-rmf"))
    expected = (
        {f"GOVERN {i}" for i in range(1, 7)}
        | {f"MAP {i}" for i in range(1, 6)}
        | {f"MEASURE {i}" for i in range(1, 5)}
        | {f"MANAGE {i}" for i in range(1, 5)}
    )
    assert refs == expected


def test_iso_42001_covers_clauses_4_to_10_and_annex_a_groups():
    refs = _refs("iso-iec-42001")
    clauses = {ref.split()[1].split(".")[0] for ref in refs if ref.startswith("Cl. ")}
    assert clauses == {str(n) for n in range(4, 11)}
    controls = [ref for ref in refs if ref.startswith("A.")]
    assert 25 <= len(controls) <= 38
    assert {".".join(ref.split(".")[:2]) for ref in controls} == {f"A.{n}" for n in range(2, 11)}
    assert refs["A.10.3"]["applies_to"] == {"third_party": True}


def test_iso_42001_lists_every_annex_a_control_for_the_statement_of_applicability():
    controls = {ref for ref in _refs("iso-iec-42001") if ref.startswith("A.")}
    per_group = {2: 3, 3: 2, 4: 5, 5: 4, 7: 5, 8: 4, 9: 3, 10: 3}
    expected = {f"A.{group}.{n}" for group, count in per_group.items() for n in range(2, 2 + count)}
    expected |= {"A.6.1.2", "A.6.1.3"} | {f"A.6.2.{n}" for n in range(2, 9)}
    assert controls == expected and len(controls) == 38


def test_sr_11_7_covers_development_validation_governance_and_vendors():
    refs = _refs("sr-11-7")
    titles = " ".join(r["title"].lower() for r in refs.values())
    for topic in ("conceptual soundness", "ongoing monitoring", "outcomes analysis", "inventory", "vendor"):
        assert topic in titles
    vendor = next(r for r in refs.values() if "vendor" in r["title"].lower())
    assert vendor["applies_to"] == {"third_party": True}
    # Everything else applies to every model (or by stage), never by EU category.
    assert all("eu_ai_act_category" not in r.get("applies_to", {}) for r in refs.values())


@pytest.mark.django_db
def test_changed_content_under_a_loaded_version_is_refused(tmp_path):
    path = _write(tmp_path, _minimal())
    framework, created = load_framework(path)
    assert created
    changed = _minimal()
    changed["requirements"][0]["description"] = "Do the first thing differently."
    with pytest.raises(ValidationError) as excinfo:
        load_framework(_write(tmp_path, changed))
    assert "new version" in str(excinfo.value.message_dict["version"])
    assert Requirement.objects.get(framework=framework, ref="R1").description == "Do the first thing."


@pytest.mark.django_db
def test_formatting_and_comments_are_not_changes(tmp_path):
    path = _write(tmp_path, _minimal())
    framework, _ = load_framework(path)
    # The same content in flow style, with a comment.
    path.write_text("# a comment\n" + yaml.safe_dump(_minimal(), default_flow_style=True, width=60))
    again, created = load_framework(path)
    assert (again.pk, created) == (framework.pk, False)


@pytest.mark.django_db
def test_a_new_version_becomes_current_and_the_old_one_is_kept(tmp_path):
    old, _ = load_framework(_write(tmp_path, _minimal()))
    new, created = load_framework(_write(tmp_path, _minimal(version="2"), "fw2.yaml"))
    assert created
    old.refresh_from_db()
    assert (old.is_current, new.is_current) == (False, True)
    assert Framework.objects.filter(key="test-fw").count() == 2
    # --not-current leaves the current version alone.
    third, _ = load_framework(_write(tmp_path, _minimal(version="3"), "fw3.yaml"), make_current=False)
    new.refresh_from_db()
    assert (new.is_current, third.is_current) == (True, False)


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"key": "Not A Slug"}, "key", "slug"),
        ({"version": 1}, "version", "non-empty string"),
        ({"source_url": "http://insecure.example"}, "source_url", "https"),
        ({"extra": "x"}, "extra", "unknown top-level"),
        ({"requirements": []}, "requirements", "non-empty list"),
    ],
)
def test_malformed_files_are_refused_with_clear_errors(tmp_path, change, key, message):
    with pytest.raises(ValidationError) as excinfo:
        read_catalogue(_write(tmp_path, _minimal(**change)))
    assert key in excinfo.value.message_dict
    assert message in " ".join(excinfo.value.message_dict[key])


@pytest.mark.parametrize(
    ("requirement", "message"),
    [
        ({"ref": "R1", "title": "Dup", "description": "Again."}, "duplicate ref"),
        ({"ref": "R3", "description": "No title."}, "non-empty title"),
        ({"ref": "R3", "title": "T", "description": "D.", "applies_to": {"colour": ["red"]}}, "unknown rule"),
        ({"ref": "R3", "title": "T", "description": "D.", "applies_to": {"risk_tier": ["huge"]}}, "'huge'"),
        ({"ref": "R3", "title": "T", "description": "D.", "applies_to": {"risk_tier": "high"}}, "list"),
        (
            {"ref": "R3", "title": "T", "description": "D.", "applies_to": {"third_party": "yes"}},
            "true or false",
        ),
        ({"ref": "R3", "title": "T", "description": "D.", "notes": "x"}, "unknown entry"),
    ],
)
def test_bad_requirements_are_named_in_the_error(tmp_path, requirement, message):
    data = _minimal()
    data["requirements"].append(requirement)
    with pytest.raises(ValidationError) as excinfo:
        read_catalogue(_write(tmp_path, data))
    assert message in " ".join(m for msgs in excinfo.value.message_dict.values() for m in msgs)


def test_invalid_yaml_is_refused(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("key: [unclosed\n")
    with pytest.raises(ValidationError) as excinfo:
        read_catalogue(path)
    assert "not valid YAML" in str(excinfo.value.message_dict["file"])


def test_applies_to_rules_select_models():
    high, limited, minimal = (_model(eu_ai_act_category=c) for c in ("high_risk", "limited", "minimal"))
    rules = {"eu_ai_act_category": ["high_risk"]}
    assert [rules_match(rules, m) for m in (high, limited, minimal)] == [True, False, False]
    transparency = {"eu_ai_act_category": ["limited", "high_risk"]}
    assert [rules_match(transparency, m) for m in (high, limited, minimal)] == [True, True, False]
    assert rules_match({}, minimal) and rules_match(None, minimal)
    assert rules_match({"third_party": True}, _model(third_party=True))
    assert not rules_match({"third_party": True}, _model(third_party=False))
    # Every key must match (AND).
    provider = {"eu_ai_act_category": ["high_risk"], "third_party": False}
    assert rules_match(provider, _model(eu_ai_act_category="high_risk"))
    assert not rules_match(provider, _model(eu_ai_act_category="high_risk", third_party=True))
    assert rules_match({"risk_tier": ["critical", "high"]}, _model(risk_tier="high"))
    assert not rules_match({"lifecycle_stage": ["production"]}, _model(lifecycle_stage="development"))
    assert applies_to_errors({"eu_ai_act_category": ["high_risk"], "third_party": False}) == []


@pytest.mark.django_db
def test_load_frameworks_command(tmp_path, capsys):
    call_command("load_frameworks")
    assert "Loaded EU AI Act" in capsys.readouterr().out
    call_command("load_frameworks")
    assert "already loaded" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No such file"):
        call_command("load_frameworks", file=tmp_path / "missing.yaml")
    broken = _write(tmp_path, _minimal(key="BAD KEY"))
    with pytest.raises(CommandError, match="slug"):
        call_command("load_frameworks", file=broken)


def test_readme_documents_every_rule():
    text = (DATA_DIR / "README.md").read_text()
    for rule in (
        "eu_ai_act_category",
        "risk_tier",
        "lifecycle_stage",
        "decisions_about_people",
        "third_party",
        "processes_personal_data",
    ):
        assert f"`{rule}`" in text


def test_shipped_directory_holds_only_the_four_frameworks(tmp_path):
    copied = tmp_path / "frameworks"
    shutil.copytree(DATA_DIR, copied)
    assert {read_catalogue(p)["key"] for p in shipped_files(copied)} == SHIPPED
