"""The Annex IV outline and the completeness score, on plain data (no database)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.rules.technical_documentation import (
    completeness,
    document_items,
    is_recorded,
    load_outline,
    parse_outline,
    sections_completeness,
)

OUTLINE = load_outline()
TITLES = [
    "General description and intended purpose",
    "Elements of the system and its development process",
    "Monitoring, functioning and control, including human oversight",
    "Risk management system",
    "Changes over the lifecycle",
    "Harmonised standards and other specifications applied",
    "EU declaration of conformity",
    "Post-market monitoring plan",
]


def test_the_shipped_outline_has_the_eight_annex_iv_sections_in_order_with_citations():
    assert [s.title for s in OUTLINE.sections] == TITLES
    assert [s.citation for s in OUTLINE.sections][3] == "Art. 9"
    assert "Art. 72" in OUTLINE.sections[-1].citation
    assert all(s.description and (s.facts or s.texts) for s in OUTLINE.sections)
    assert set(OUTLINE.text_keys) == {
        "instructions_for_use",
        "design_choices",
        "data_governance",
        "human_oversight",
        "limitations",
        "standards_applied",
        "declaration_reference",
        "post_market_plan",
    }
    assert len(set(OUTLINE.fact_keys)) == len(OUTLINE.fact_keys)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(sections=[]), "sections: a non-empty list"),
        (lambda d: d["sections"][1]["facts"].append({"key": "purpose", "label": "Again"}), "used twice"),
        (lambda d: d["sections"][0].update(citation=""), "citation is required"),
        (lambda d: d["sections"][6].update(texts=[]), "at least one fact or text"),
        (lambda d: d.update(version=0), "version"),
        (lambda d: d["sections"][0]["texts"].append({"key": "x-y", "label": "X", "help": "Y"}), "not a name"),
    ],
)
def test_a_malformed_outline_is_refused_with_the_reason(change, problem):
    import yaml

    from governance.rules.technical_documentation import DATA_DIR

    data = yaml.safe_load((DATA_DIR / "v1.yaml").read_text())
    change(data)
    with pytest.raises(ValidationError) as raised:
        parse_outline(data)
    assert any(problem in message for message in raised.value.message_dict["file"]), raised.value


def test_values_that_count_as_recorded():
    assert not is_recorded(None) and not is_recorded("  ") and not is_recorded([]) and not is_recorded({})
    assert is_recorded("x") and is_recorded([["row"]]) and is_recorded(0)
    # An empty list is a fact where the outline says what it means ("No incident recorded.").
    assert is_recorded([], empty="No incident recorded.")


def test_items_mark_what_is_not_recorded_and_the_score_counts_them():
    sections = document_items(
        OUTLINE, {"purpose": "Scores loans.", "incidents": []}, {"design_choices": "GBM."}
    )
    general = sections[0]
    assert [i.recorded for i in general.facts][:2] == [True, False]  # purpose yes, owner absent
    assert general.texts[0].value is None and not general.texts[0].recorded
    development = sections[1]
    assert next(i for i in development.texts if i.key == "design_choices").recorded
    assert next(i for i in sections[-1].facts if i.key == "incidents").recorded
    total = len(OUTLINE.fact_keys) + len(OUTLINE.text_keys)
    assert sections_completeness(OUTLINE, sections) == round(100 * 3 / total, 1)


def test_everything_recorded_is_100_and_nothing_is_0():
    facts = dict.fromkeys(OUTLINE.fact_keys, True)
    texts = dict.fromkeys(OUTLINE.text_keys, "Written.")
    assert completeness(OUTLINE, facts, texts) == 100.0
    assert completeness(OUTLINE, {}, {}) == 0.0
    assert completeness(OUTLINE, facts, {**texts, "design_choices": "   "}) < 100


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    missing_facts=st.sets(st.sampled_from(OUTLINE.fact_keys)),
    missing_texts=st.sets(st.sampled_from(OUTLINE.text_keys)),
    blank=st.sampled_from([None, "", "  \n"]),
)
def test_the_score_is_a_percentage_and_100_exactly_when_nothing_is_missing(
    missing_facts, missing_texts, blank
):
    facts = {key: key not in missing_facts for key in OUTLINE.fact_keys}
    texts = {key: blank if key in missing_texts else "Written." for key in OUTLINE.text_keys}
    score = completeness(OUTLINE, facts, texts)
    assert 0 <= score <= 100
    assert (score == 100) == (not missing_facts and not missing_texts)
    assert (score == 0) == (len(missing_facts) + len(missing_texts) == len(facts) + len(texts))
