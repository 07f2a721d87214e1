import pytest

from governance.models import AIModel, EUAIActCategory, RiskTier
from governance.rules.tiering import derived_risk_tier, effective_risk_tier


@pytest.mark.parametrize(
    ("materiality", "complexity", "expected"),
    [
        (5, 5, RiskTier.CRITICAL),
        (5, 4, RiskTier.CRITICAL),
        (4, 5, RiskTier.CRITICAL),
        (4, 4, RiskTier.HIGH),
        (3, 4, RiskTier.HIGH),
        (5, 2, RiskTier.MEDIUM),
        (3, 3, RiskTier.MEDIUM),
        (2, 3, RiskTier.MEDIUM),
        (5, 1, RiskTier.LOW),
        (1, 1, RiskTier.LOW),
    ],
)
def test_matrix_thresholds(materiality, complexity, expected):
    assert derived_risk_tier(materiality, complexity, EUAIActCategory.MINIMAL) == expected


def test_eu_high_risk_is_at_least_high():
    assert derived_risk_tier(1, 1, EUAIActCategory.HIGH_RISK) == RiskTier.HIGH
    assert derived_risk_tier(5, 5, EUAIActCategory.HIGH_RISK) == RiskTier.CRITICAL


def test_prohibited_is_always_critical():
    assert derived_risk_tier(1, 1, EUAIActCategory.PROHIBITED) == RiskTier.CRITICAL


def test_limited_category_does_not_raise_the_tier():
    assert derived_risk_tier(1, 2, EUAIActCategory.LIMITED) == RiskTier.LOW


def test_out_of_range_scores_are_clamped():
    assert derived_risk_tier(9, 9, EUAIActCategory.MINIMAL) == RiskTier.CRITICAL
    assert derived_risk_tier(0, 0, EUAIActCategory.MINIMAL) == RiskTier.LOW


def test_effective_tier_uses_override_with_reason():
    model = AIModel(materiality=1, complexity=1, eu_ai_act_category=EUAIActCategory.MINIMAL)
    assert effective_risk_tier(model) == RiskTier.LOW
    model.risk_tier_override = RiskTier.HIGH
    model.risk_tier_override_reason = "Feeds regulatory capital."
    assert effective_risk_tier(model) == RiskTier.HIGH


def test_override_without_reason_is_ignored():
    model = AIModel(
        materiality=1,
        complexity=1,
        eu_ai_act_category=EUAIActCategory.MINIMAL,
        risk_tier_override=RiskTier.CRITICAL,
        risk_tier_override_reason="  ",
    )
    assert effective_risk_tier(model) == RiskTier.LOW
