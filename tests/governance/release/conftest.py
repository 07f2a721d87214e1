import pytest

from governance.core.roles import Role
from tests.governance.inventory_factories import AIModelFactory, ModelVersionFactory


@pytest.fixture
def validator(make_member):
    return make_member(Role.VALIDATOR, username="validator")


@pytest.fixture
def new_high_risk_model(organisation, model_owner):
    """The issue's scenario: a new high-risk (Tier 2) model with nothing recorded but one version."""
    model = AIModelFactory(
        organisation=organisation, owner=model_owner, name="Mortgage affordability", risk_tier="high"
    )
    ModelVersionFactory(model=model, version="0.1.0")
    return model


@pytest.fixture
def tier_one_model(organisation, model_owner):
    model = AIModelFactory(
        organisation=organisation, owner=model_owner, name="Capital model", risk_tier="critical"
    )
    ModelVersionFactory(
        model=model,
        version="3.0.0",
        artifact_uri="s3://models/capital/3.0.0",
        code_commit="9f8e7d6",
        training_data_ref="s3://data/capital/2026-09",
    )
    return model
