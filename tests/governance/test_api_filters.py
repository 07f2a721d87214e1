"""List filters in the API read as questions: a record nobody can see selects nothing; a malformed value, an
empty one or a yes/no that is neither answers 400 naming the parameter (never a silently unfiltered list)."""

import pytest

from tests.governance.inventory_factories import AIModelFactory


@pytest.fixture
def owner_client(api_client, organisation, model_owner):
    AIModelFactory(organisation=organisation, owner=model_owner, name="Scorecard")
    return api_client(model_owner)


def test_a_filter_naming_an_unknown_or_foreign_record_selects_nothing(
    owner_client, other_organisation, outsider
):
    foreign = AIModelFactory(organisation=other_organisation, owner=outsider, name="Theirs")
    for query in ("model=999999", "model=-4", f"model={foreign.pk}", "model=Theirs", "owner=999999"):
        path = "/api/v1/risks/" if query.startswith("model") else "/api/v1/models/"
        answer = owner_client.get(f"{path}?{query}")
        assert answer.status_code == 200 and answer.json()["results"] == [], query


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("overdue=yes", "overdue", "Use true or false."),
        ("risk_tier=", "risk_tier", "Leave the parameter out instead of sending it empty."),
        ("owner=abc", "owner", None),
        ("lifecycle_stage=nonsense", "lifecycle_stage", None),
    ],
)
def test_a_malformed_filter_is_refused_by_name(owner_client, query, field, message):
    answer = owner_client.get(f"/api/v1/models/?{query}")
    assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"
    errors = answer.json()["errors"]
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]


def test_free_text_and_ordering_may_be_empty(owner_client):
    assert owner_client.get("/api/v1/models/?q=").json()["count"] == 1
    assert owner_client.get("/api/v1/risks/?ordering=").status_code == 200
