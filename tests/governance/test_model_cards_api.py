"""Model cards posted through the API, as a pipeline does with its owner's token: PUT creates or replaces the
card, PATCH changes some sections, GET reads it back with the version's metrics."""

import pytest

from governance.models import AuditEvent, ModelCard
from tests.governance.inventory_factories import ModelVersionFactory

CARD = {
    "intended_use": "Flags card payments in real time for blocking or step-up authentication.",
    "out_of_scope_uses": "Not for online-banking account takeover.",
    "factors": "Card-present versus card-not-present; merchant category.",
    "metrics": "ROC AUC; precision at a 1% alert rate.",
    "evaluation_data": "All authorisations of October 2024.",
    "training_data": "14 months of authorisations, genuine down-sampled 1:50.",
    "quantitative_analyses": "AUC 0.962; precision 0.41 at 1% alerts.",
    "ethical_considerations": "Genuine customers can release a blocked payment in the app.",
    "caveats_and_recommendations": "Retrain monthly.",
}


@pytest.fixture
def version(ai_model):
    return ModelVersionFactory(model=ai_model, version="2024.11", metrics={"auc": 0.962})


def _url(version, label=None, suffix="card/"):
    return f"/api/v1/models/{version.model_id}/versions/{label or version.version}/{suffix}"


def test_a_pipeline_puts_the_card_then_reads_it_back_with_the_version_metrics(
    api_client, model_owner, version
):
    client = api_client(model_owner)

    created = client.put(_url(version), CARD, format="json")
    again = client.put(_url(version), CARD, format="json")
    read = client.get(_url(version))

    assert created.status_code == 201, created.content
    assert again.status_code == 200
    body = read.json()
    assert read.status_code == 200
    assert {key: body[key] for key in CARD} == CARD
    assert body["version"] == "2024.11" and body["model"] == version.model_id
    assert body["version_metrics"] == {"auc": 0.962}
    assert body["updated_by"] == "model-owner"
    # Saving the same card twice wrote one audit event.
    assert AuditEvent.objects.filter(action="model_card.update").count() == 1


def test_put_replaces_the_whole_card_and_patch_changes_only_what_it_sends(api_client, model_owner, version):
    client = api_client(model_owner)
    client.put(_url(version), CARD, format="json")

    patched = client.patch(_url(version), {"factors": "Merchant category only."}, format="json")
    assert patched.status_code == 200
    assert patched.json()["factors"] == "Merchant category only."
    assert patched.json()["intended_use"] == CARD["intended_use"]

    replaced = client.put(_url(version), {"intended_use": "Real-time fraud scoring."}, format="json")
    assert replaced.status_code == 200
    card = ModelCard.objects.get(version=version)
    assert (
        card.intended_use == "Real-time fraud scoring."
        and card.factors == ""
        and card.caveats_and_recommendations == ""
    )


def test_patch_creates_a_card_that_does_not_exist_yet(api_client, model_owner, version):
    response = api_client(model_owner).patch(_url(version), {"metrics": "AUC."}, format="json")
    assert response.status_code == 201 and response.json()["metrics"] == "AUC."


def test_unknown_fields_are_field_errors_and_save_nothing(api_client, model_owner, version):
    response = api_client(model_owner).put(
        _url(version), {**CARD, "intended_usage": "typo", "version_metrics": {"auc": 1}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "intended_usage": ["This field cannot be set."],
        "version_metrics": ["This field cannot be set."],
    }
    assert not ModelCard.objects.exists()


def test_bad_values_are_field_errors(api_client, model_owner, version):
    client = api_client(model_owner)
    too_long = client.patch(_url(version), {"factors": "x" * 20_001}, format="json")
    not_text = client.patch(_url(version), {"factors": {"segment": "retail"}}, format="json")
    not_object = client.put(_url(version), ["intended_use"], format="json")

    assert too_long.status_code == 400 and "factors" in too_long.json()["errors"]
    assert not_text.status_code == 400 and "factors" in not_text.json()["errors"]
    assert not_object.status_code == 400 and "non_field_errors" in not_object.json()["errors"]
    assert not ModelCard.objects.exists()


def test_no_card_yet_is_a_404_that_says_how_to_create_one(api_client, auditor, version):
    response = api_client(auditor).get(_url(version))
    assert response.status_code == 404
    assert "has no model card yet: PUT one" in response.json()["detail"]


def test_unknown_version_and_other_organisations_answer_404(
    api_client, model_owner, outsider, version, foreign_model
):
    api_client(model_owner).put(_url(version), CARD, format="json")
    foreign_version = ModelVersionFactory(model=foreign_model, version="2024.11")

    assert api_client(model_owner).get(_url(version, label="9.9.9")).status_code == 404
    for method in ("get", "put", "patch"):
        response = getattr(api_client(outsider), method)(_url(version), CARD, format="json")
        assert response.status_code == 404, method
        assert "Retail credit scorecard" not in response.content.decode()
    # Our owner cannot write to another organisation's version either.
    assert api_client(model_owner).put(_url(foreign_version), CARD, format="json").status_code == 404
    assert ModelCard.objects.get().intended_use == CARD["intended_use"]


def test_readers_may_read_but_not_write(api_client, model_owner, auditor, version):
    api_client(model_owner).put(_url(version), CARD, format="json")
    assert api_client(auditor).get(_url(version)).status_code == 200
    assert api_client(auditor).patch(_url(version), {"factors": "x"}, format="json").status_code == 403
    assert ModelCard.objects.get().factors == CARD["factors"]


def test_the_card_as_markdown(api_client, model_owner, version):
    client = api_client(model_owner)
    assert client.get(_url(version, suffix="card.md")).status_code == 404
    client.put(_url(version), {**CARD, "factors": ""}, format="json")

    response = client.get(_url(version, suffix="card.md"), HTTP_ACCEPT="text/markdown")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert text.startswith("# Model card: Retail credit scorecard 2024.11")
    assert "## Factors\n\n_Not recorded_" in text and "| auc | 0.962 |" in text


def test_without_a_token_the_api_asks_for_one(client, version):
    response = client.put(_url(version), CARD, content_type="application/json")
    assert response.status_code == 401
