"""Model cards: the service that writes them, their Markdown, the card pages, the model page's card column and the
"Model card" PDF (rendered in-process as the worker renders it and read back with pypdf)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from governance.models import AuditEvent, ModelCard, ModelVersion, VersionStatus
from governance.rules.model_cards import FIELDS, MAX_TEXT, escape_cell, render_markdown
from governance.selectors.model_cards import card_markdown
from governance.services.model_cards import model_card_save
from tests.governance.inventory_factories import ModelVersionFactory
from tests.governance.test_inventory_pages import DETAIL_QUERIES
from tests.governance.test_report_kinds import assert_audit_ready, read_pdf, render

CARD = {
    "intended_use": "Scores personal-loan applications for the approve/refer/decline decision.",
    "out_of_scope_uses": "Not for mortgages or credit cards.",
    "factors": "Age band, employment type and channel.",
    "metrics": "Gini and KS for rank ordering; bad rate per band for calibration.",
    "evaluation_data": "Out-of-time sample, January to June 2024.",
    "training_data": "Booked applications 2019-2023.",
    "quantitative_analyses": "Out-of-time Gini 0.63, stable across age bands.",
    "ethical_considerations": "Declined applicants may ask for human review.",
    "caveats_and_recommendations": "Recalibrate when PSI exceeds 0.25.",
}


@pytest.fixture
def version(ai_model):
    return ModelVersionFactory(
        model=ai_model,
        version="3.2.0",
        metrics={"gini": 0.63, "ks": 0.46},
        artifact_uri="s3://models/scorecard/3.2.0/model.pkl",
        code_commit="9f3c2ab",
        training_data_ref="s3://data/scorecard/snapshot-7.parquet",
        status=VersionStatus.CHAMPION,
    )


def _card_events():
    return AuditEvent.objects.filter(action="model_card.update").order_by("sequence")


# --- Service ----------------------------------------------------------------------------------------------


def test_first_save_creates_the_card_and_records_who_wrote_what(model_owner, version):
    card = model_card_save(actor=model_owner, version=version, fields={"intended_use": " Loans.\r\n"})

    assert card.pk and card.version == version and card.organisation_id == version.model.organisation_id
    assert card.intended_use == "Loans." and card.updated_by == model_owner
    (event,) = _card_events()
    assert event.changes == {
        "intended_use": ["", "Loans."],
        "version": [None, "Retail credit scorecard 3.2.0"],
    }
    assert event.object_repr == "Model card of Retail credit scorecard 3.2.0"


def test_later_saves_record_only_changed_sections_and_nothing_when_nothing_changed(model_owner, version):
    model_card_save(actor=model_owner, version=version, fields=CARD)
    model_card_save(actor=model_owner, version=version, fields={**CARD, "factors": "Age band only."})
    model_card_save(actor=model_owner, version=version, fields={"factors": "Age band only."})

    events = list(_card_events())
    assert len(events) == 2
    assert set(events[1].changes) == {"factors", "version"}
    assert events[1].changes["factors"] == [CARD["factors"], "Age band only."]
    card = ModelCard.objects.get(version=version)
    assert card.intended_use == CARD["intended_use"]  # sections not sent keep their text


def test_unknown_fields_and_overlong_texts_are_field_errors_and_save_nothing(model_owner, version):
    with pytest.raises(ValidationError) as unknown:
        model_card_save(actor=model_owner, version=version, fields={"intended_use": "x", "auc": 0.9})
    with pytest.raises(ValidationError) as long:
        model_card_save(actor=model_owner, version=version, fields={"factors": "x" * (MAX_TEXT + 1)})
    with pytest.raises(ValidationError) as typed:
        model_card_save(actor=model_owner, version=version, fields={"metrics": {"auc": 0.9}})

    assert unknown.value.message_dict == {"auc": ["This field cannot be set."]}
    assert "At most 20,000 characters" in long.value.message_dict["factors"][0]
    assert list(typed.value.message_dict) == ["metrics"]
    assert not ModelCard.objects.exists() and not _card_events().exists()


def test_only_admins_and_model_owners_write_cards_and_outsiders_learn_nothing(
    version, auditor, risk_officer, outsider, admin_user_member
):
    for reader in (auditor, risk_officer):
        with pytest.raises(PermissionDenied):
            model_card_save(actor=reader, version=version, fields={"factors": "x"})
    with pytest.raises(Http404):
        model_card_save(actor=outsider, version=version, fields={"factors": "x"})
    model_card_save(actor=admin_user_member, version=version, fields={"factors": "x"})
    assert ModelCard.objects.get().factors == "x"


# --- Markdown -----------------------------------------------------------------------------------------------


def test_markdown_has_title_details_every_section_and_the_metrics_table(model_owner, version):
    model_card_save(actor=model_owner, version=version, fields={**CARD, "caveats_and_recommendations": ""})
    card = ModelCard.objects.get()

    text = card_markdown(ModelVersion.objects.select_related("model__owner").get(), card)

    assert text.startswith("# Model card: Retail credit scorecard 3.2.0\n")
    assert "## Model details" in text
    assert "| Artifact URI | s3://models/scorecard/3.2.0/model.pkl |" in text
    assert "| Code commit | 9f3c2ab |" in text and "| Status | Champion |" in text
    for heading in ("Intended use", "Out-of-scope uses", "Ethical considerations", "Quantitative analyses"):
        assert f"\n## {heading}\n" in text
    assert CARD["intended_use"] in text
    assert "## Caveats and recommendations\n\n_Not recorded_" in text
    assert "| Metric | Value |\n|---|---:|\n| gini | 0.63 |\n| ks | 0.46 |" in text


def test_markdown_table_cells_cannot_break_the_table():
    text = render_markdown(
        model_name="Fraud | *beta*",
        version_label="1.0",
        details=[("Owner", "a|b\nc"), ("Business unit", "")],
        texts={},
        metrics={"f1|macro": {"by_segment": [0.7, 0.8]}, "auc": float("nan")},
    )

    assert text.startswith(r"# Model card: Fraud \| \*beta\* 1.0")
    assert r"| Owner | a\|b c |" in text and "| Business unit | — |" in text
    assert r'| f1\|macro | \{"by\_segment": \[0.7, 0.8\]\} |' in text and "| auc | nan |" in text
    assert text.count("_Not recorded_") == len(FIELDS)
    assert escape_cell("") == "—"


# --- Pages ----------------------------------------------------------------------------------------------------


def _url(name, version, *extra):
    return reverse(f"governance:{name}", args=[version.model_id, version.pk, *extra])


def test_card_page_shows_the_sections_the_version_metrics_and_not_recorded(
    login, auditor, model_owner, version
):
    model_card_save(actor=model_owner, version=version, fields={"intended_use": CARD["intended_use"]})

    response = login(auditor).get(_url("model-card", version))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Model card: Retail credit scorecard 3.2.0" in page
    assert CARD["intended_use"] in page
    assert '<td>gini</td><td class="num">0.63</td>' in page
    assert page.count("Not recorded") == len(FIELDS) - 1
    assert _url("model-card-markdown", version) in page
    assert _url("model-card-edit", version) not in page  # an auditor reads, never edits


def test_owner_writes_the_card_on_the_page_and_downloads_it_as_markdown(login, model_owner, version):
    client = login(model_owner)
    page = client.get(_url("model-card", version)).content.decode()
    assert "Write card" in page and "No card has been written" in page

    response = client.post(_url("model-card-edit", version), {**CARD, "factors": ""})
    assert response.status_code == 302 and response["Location"] == _url("model-card", version)
    download = client.get(_url("model-card-markdown", version))

    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/markdown")
    assert download["Content-Disposition"] == (
        'attachment; filename="model-card-Retail-credit-scorecard-3.2.0.md"'
    )
    body = download.content.decode()
    assert CARD["ethical_considerations"] in body and "## Factors\n\n_Not recorded_" in body


def test_edit_form_keeps_the_text_and_names_the_field_when_refused(login, model_owner, version):
    response = login(model_owner).post(
        _url("model-card-edit", version), {**CARD, "training_data": "y" * (MAX_TEXT + 1)}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "at most 20000 characters" in page and CARD["intended_use"] in page
    assert not ModelCard.objects.exists()


def test_readers_cannot_edit_and_other_organisations_get_404(login, auditor, outsider, model_owner, version):
    model_card_save(actor=model_owner, version=version, fields=CARD)
    assert login(auditor).get(_url("model-card-edit", version)).status_code == 403
    assert login(auditor).post(_url("model-card-edit", version), CARD).status_code == 403
    for name in ("model-card", "model-card-edit", "model-card-markdown"):
        assert login(outsider).get(_url(name, version)).status_code == 404, name
    # A version of another model of the same organisation is not this model's version.
    other = ModelVersionFactory(model__organisation=version.model.organisation)
    url = reverse("governance:model-card", args=[other.model_id, version.pk])
    assert login(model_owner).get(url).status_code == 404
    assert login(model_owner).get(f"/models/{10**30}/versions/{version.pk}/card/").status_code == 404


def test_markdown_of_a_version_without_a_card_is_404(login, model_owner, version):
    assert login(model_owner).get(_url("model-card-markdown", version)).status_code == 404


def test_model_page_marks_the_versions_with_a_card_in_its_query_budget(
    login, model_owner, ai_model, version, django_assert_max_num_queries
):
    ModelVersion.objects.bulk_create(ModelVersion(model=ai_model, version=f"0.{i}") for i in range(30))
    ModelVersion.objects.exclude(pk=version.pk).update(
        registered_at=version.registered_at - timedelta(days=1)
    )
    model_card_save(actor=model_owner, version=version, fields=CARD)
    client = login(model_owner)

    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("governance:model-detail", args=[ai_model.pk]))

    page = response.content.decode()
    assert f'<a href="{_url("model-card", version)}">Card</a>' in page
    assert page.count("No card yet") == 19  # the first page's other versions


def test_version_lookup_suggests_the_organisations_versions_only(login, model_owner, version, foreign_model):
    ModelVersionFactory(model=foreign_model, version="3.2.0")
    response = login(model_owner).get(reverse("governance:model-version-lookup"), {"q": "scorecard 3.2"})
    assert response.json() == {"results": [{"id": version.pk, "name": "Retail credit scorecard 3.2.0"}]}


# --- PDF ------------------------------------------------------------------------------------------------------


def test_model_card_pdf_has_every_section_the_metrics_and_not_recorded(organisation, model_owner, version):
    model_card_save(actor=model_owner, version=version, fields={**CARD, "ethical_considerations": ""})

    report = render(model_owner, organisation, "model_card", subject_id=version.pk)

    text, reader, content = read_pdf(report)
    assert_audit_ready(report, text, reader, content)
    assert "Model card: Retail credit scorecard 3.2.0" in text
    for heading in ("Model details", "Intended use", "Out-of-scope uses", "Factors", "Evaluation data"):
        assert heading in text
    assert "Metrics registered with this version" in text and "gini 0.63" in text and "ks 0.46" in text
    assert CARD["quantitative_analyses"] in text
    assert "Ethical considerations Not recorded" in text and "8 of 9" in text
    assert "Not recorded: Ethical considerations." in text  # the summary names what is missing
    assert "s3://models/scorecard/3.2.0/model.pkl" in text.replace(" ", "")


def test_model_card_report_refuses_another_organisations_version(organisation, model_owner, foreign_model):
    from governance.reports import services

    foreign_version = ModelVersionFactory(model=foreign_model)
    with pytest.raises(ValidationError) as refused:
        services.request_report(
            actor=model_owner, organisation=organisation, kind="model_card", subject_id=foreign_version.pk
        )
    assert "subject_id" in refused.value.message_dict


def test_dossier_includes_the_champions_card(organisation, model_owner, risk_officer, version):
    model_card_save(actor=model_owner, version=version, fields={**CARD, "factors": ""})

    report = render(risk_officer, organisation, "model_dossier", subject_id=version.model_id)

    text, _, _ = read_pdf(report)
    assert "Model cards of versions" in text and "Version 3.2.0 (champion)" in text
    assert CARD["intended_use"] in text and "Not recorded" in text
    assert "model_card.update" in text  # the card's audit event is in the appendix
