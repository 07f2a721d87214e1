"""`plumbline post-card` against a running Plumbline: a pipeline writes the card of the version it registered."""

import json

import pytest

from governance.models import ModelCard, TokenScope
from governance.services.accounts import issue_api_token
from tests.governance.inventory_factories import AIModelFactory, ModelVersionFactory
from tests.governance.release.test_cli_end_to_end import plumbline

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pipeline_posts_then_merges_a_model_card(live_server, tmp_path, organisation, model_owner):
    model = AIModelFactory(organisation=organisation, owner=model_owner, name="Card fraud detector")
    version = ModelVersionFactory(model=model, version="2.1.0", metrics={"auc": 0.94})
    token = issue_api_token(model_owner, name="Pipeline", scope=TokenScope.READ_WRITE)[1]
    card = tmp_path / "card.json"
    card.write_text(
        json.dumps(
            {
                "intended_use": "Scores card transactions in real time; high scores are held for review.",
                "training_data": "Card transactions, 2024-01 to 2025-06, 1.2 billion rows.",
            }
        )
    )
    posted = plumbline(
        live_server.url, token, "post-card", str(card), "--model", model.name, "--version", "2.1.0"
    )
    assert posted.returncode == 0, posted.stderr
    assert "Model card of Card fraud detector 2.1.0 saved (2 section(s) written)." in posted.stdout

    card.write_text(json.dumps({"caveats_and_recommendations": "Retrain when the fraud mix shifts."}))
    merged = plumbline(
        live_server.url, token, "post-card", str(card), "--model", model.name, "--version", "2.1.0", "--merge"
    )
    assert merged.returncode == 0, merged.stderr
    saved = ModelCard.objects.get(version=version)
    assert saved.intended_use.startswith("Scores card transactions") and saved.caveats_and_recommendations

    card.write_text(json.dumps({"intended_usage": "typo"}))
    refused = plumbline(
        live_server.url, token, "post-card", str(card), "--model", model.name, "--version", "2.1.0"
    )
    assert refused.returncode == 2 and "intended_usage" in refused.stderr
