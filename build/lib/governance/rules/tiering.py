"""Derive a model's risk tier from its materiality, complexity and EU AI Act category (pure functions).

The matrix (materiality and complexity are each scored 1-5):

    score = materiality x complexity
    score >= 20  -> critical   (e.g. 5x4, 4x5, 5x5)
    score >= 12  -> high       (e.g. 3x4, 4x3, 4x4, 5x3)
    score >= 6   -> medium     (e.g. 2x3, 3x2, 3x3, 5x2)
    otherwise    -> low

The EU AI Act category sets a floor: a high-risk system is at least ``high``; a prohibited practice is
always ``critical``. A documented override (with a reason) replaces the derived tier.
"""

from governance.models.inventory import EUAIActCategory, RiskTier

# Most severe first, so a lower index means a more severe tier.
TIER_ORDER: tuple[str, ...] = (RiskTier.CRITICAL, RiskTier.HIGH, RiskTier.MEDIUM, RiskTier.LOW)
THRESHOLDS: tuple[tuple[int, str], ...] = ((20, RiskTier.CRITICAL), (12, RiskTier.HIGH), (6, RiskTier.MEDIUM))


def _more_severe(a: str, b: str) -> RiskTier:
    return RiskTier(a if TIER_ORDER.index(a) <= TIER_ORDER.index(b) else b)


def derived_risk_tier(materiality: int, complexity: int, eu_ai_act_category: str) -> RiskTier:
    """The tier the matrix gives; materiality and complexity are clamped to 1-5."""
    materiality = min(max(int(materiality), 1), 5)
    complexity = min(max(int(complexity), 1), 5)
    score = materiality * complexity
    tier: str = RiskTier.LOW
    for threshold, candidate in THRESHOLDS:
        if score >= threshold:
            tier = candidate
            break
    if eu_ai_act_category == EUAIActCategory.PROHIBITED:
        return RiskTier.CRITICAL
    if eu_ai_act_category == EUAIActCategory.HIGH_RISK:
        return _more_severe(tier, RiskTier.HIGH)
    return RiskTier(tier)


def effective_risk_tier(model) -> RiskTier:
    """The override when one is set with a reason, else the derived tier."""
    override = getattr(model, "risk_tier_override", "") or ""
    reason = (getattr(model, "risk_tier_override_reason", "") or "").strip()
    if override and reason:
        return RiskTier(override)
    return derived_risk_tier(model.materiality, model.complexity, model.eu_ai_act_category)
