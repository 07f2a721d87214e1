"""Model name pickers: thousands of models are chosen by typing a name (with suggestions), never from a drop-down
of every model, and links and API clients keep using ids."""

import pytest
from django.urls import reverse

from governance.models import Report
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def models(organisation, other_organisation):
    names = [
        "Retail credit scorecard",
        "Credit limit optimiser",
        "Card fraud detector",
        "Mortgage affordability",
    ]
    made = {name: AIModelFactory(organisation=organisation, name=name) for name in names}
    AIModelFactory(organisation=other_organisation, name="Credit secret of another bank")
    return made


def test_the_lookup_suggests_the_organisations_models_names_starting_with_the_text_first(
    login, auditor, models
):
    client = login(auditor)
    body = client.get(reverse("governance:model-lookup"), {"q": "cred"}).json()
    assert [item["name"] for item in body["results"]] == ["Credit limit optimiser", "Retail credit scorecard"]
    assert body["results"][0]["id"] == models["Credit limit optimiser"].pk
    assert client.get(reverse("governance:model-lookup"), {"q": ""}).json() == {"results": []}
    assert client.get(reverse("governance:model-lookup"), {"q": "x" * 5000}).status_code == 200
    assert client.get(reverse("governance:model-lookup"), {"q": "cred\x00"}).json()["results"]


def test_the_lookup_needs_a_sign_in(client, models):
    assert client.get(reverse("governance:model-lookup"), {"q": "cred"}).status_code == 302


def test_the_lookup_returns_at_most_twenty(login, auditor, organisation):
    AIModelFactory.create_batch(30, organisation=organisation)
    body = login(auditor).get(reverse("governance:model-lookup"), {"q": "model"}).json()
    assert len(body["results"]) == 20


@pytest.mark.parametrize("page", ["governance:risk-heatmap", "governance:incident-list"])
def test_registers_filter_by_name_or_id_and_never_list_every_model(page, login, risk_officer, models):
    from tests.governance.reminder_factories import IncidentFactory, RiskFactory

    factory = RiskFactory if page == "governance:risk-heatmap" else IncidentFactory
    scorecard, detector = models["Retail credit scorecard"], models["Card fraud detector"]
    factory(model=scorecard, title="Scorecard drift")
    factory(model=detector, title="Detector outage")
    client = login(risk_officer)
    html = client.get(reverse(page)).content.decode()
    assert "Mortgage affordability" not in html  # no drop-down of every model
    assert f'data-lookup="{reverse("governance:model-lookup")}"' in html and "<datalist" in html
    by_name = client.get(reverse(page), {"model": "retail CREDIT scorecard"}).content.decode()
    assert "Scorecard drift" in by_name and "Detector outage" not in by_name
    by_id = client.get(reverse(page), {"model": detector.pk}).content.decode()
    assert "Detector outage" in by_id and "Scorecard drift" not in by_id
    assert 'value="Card fraud detector"' in by_id  # the id from a link shows as the name
    # Another organisation's model is unknown here, said next to the field.
    unknown = client.get(reverse(page), {"model": "Credit secret of another bank"}).content.decode()
    assert "No AI model is called “Credit secret of another bank”" in unknown


def test_a_model_dossier_is_requested_by_the_models_name(login, auditor, models):
    client = login(auditor)
    response = client.post(
        reverse("governance:report-list"), {"kind": "model_dossier", "subject": "card fraud detector"}
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.subject_id == models["Card fraud detector"].pk
    refused = client.post(reverse("governance:report-list"), {"kind": "model_dossier", "subject": "Nope"})
    assert refused.status_code == 400 and "No AI model is called “Nope”" in refused.content.decode()
