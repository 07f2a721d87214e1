"""Fixtures shared by the governance record tests (risks, incidents); a test module may override them."""

import pytest

from tests.governance.inventory_factories import AIModelFactory


@pytest.fixture
def ai_model(organisation, model_owner):
    """A model of ``organisation`` owned by ``model_owner``."""
    return AIModelFactory(organisation=organisation, owner=model_owner, name="Retail credit scorecard")


@pytest.fixture
def foreign_model(other_organisation, outsider):
    """A model of another organisation: every read of it must answer 404, every write be refused."""
    return AIModelFactory(organisation=other_organisation, owner=outsider, name="Foreign model")
