"""Overrides and validations are printed in the model dossier and the inventory report (PDFs read back)."""

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from governance.reports import services as reports
from governance.services import inventory as inventory_services
from governance.services import release as release_services

pytestmark = pytest.mark.django_db
JUSTIFICATION = "Regulatory deadline; gaps tracked in remediation plan RP-9."


def text_of(report) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(report.file.read())).pages)


def test_an_override_and_a_validation_are_in_the_dossier_and_the_inventory(
    new_high_risk_model, model_owner, executive, validator, auditor, organisation
):
    release_services.record_validation(
        actor=validator,
        version=new_high_risk_model.versions.get(),
        scope=["data"],
        started_on=timezone.localdate(),
    )
    request = inventory_services.request_stage_change(
        actor=model_owner, model=new_high_risk_model, stage="production", justification="Ready."
    )
    inventory_services.decide_approval(
        actor=executive, request=request, approve=True, override_justification=JUSTIFICATION
    )
    dossier = reports.request_report(
        actor=auditor, organisation=organisation, kind="model_dossier", subject_id=new_high_risk_model.pk
    )
    text = " ".join(text_of(reports.generate_report(dossier.pk)).split())
    assert "Approved past failing release checks" in text and "RP-9" in text
    assert "release policy v1" in text and "Risk assessment recorded" in text
    assert "Independent validations" in text and "under way" in text

    inventory = reports.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    text = " ".join(text_of(reports.generate_report(inventory.pk)).split())
    assert "Release gates" in text and "RP-9" in text and "Mortgage affordability" in text
