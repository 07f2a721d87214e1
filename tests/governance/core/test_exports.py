"""Registers as XLSX: opened back with openpyxl, checked for the header, types and formula-safety."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from governance.core.audit import record_event
from governance.core.exports import XLSX_CONTENT_TYPE, Column, csv_stream, xlsx_file
from governance.core.roles import Role
from governance.models.actions import GovernanceAction
from governance.services import incidents as incident_services
from governance.services import risks as risk_services
from tests.governance.inventory_factories import AIModelFactory

COLUMNS = (
    Column("id", "number", 8),
    Column("name", width=30),
    Column("due", "date", 12),
    Column("at", "datetime", 22),
    Column("loss", "number"),
    Column("third_party", "bool"),
    Column("note", width=40),
)
WHEN = datetime.datetime(2026, 12, 5, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
ROWS = [
    [1, '=HYPERLINK("http://evil")', datetime.date(2027, 4, 26), WHEN, Decimal("1240000.50"), True, "a\x00b"],
    [2, "@SUM(A1)", None, None, None, False, "+44 20 7946 0000"],
]


def _sheet(content: bytes):
    workbook = load_workbook(io.BytesIO(content))
    return workbook.worksheets[0]


def test_xlsx_has_a_bold_frozen_header_widths_and_typed_cells():
    sheet = _sheet(xlsx_file(COLUMNS, ROWS, "Risk register: Q4/2026").read())

    assert sheet.title == "Risk register  Q4 2026"
    assert [c.value for c in sheet[1]] == ["id", "name", "due", "at (UTC)", "loss", "third_party", "note"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 30 and sheet.column_dimensions["G"].width == 40

    first = {c.column_letter: c for c in sheet[2]}
    assert (first["A"].data_type, first["A"].value) == ("n", 1)
    # Text is stored as text, never as a formula a spreadsheet would run.
    assert (first["B"].data_type, first["B"].value) == ("s", '=HYPERLINK("http://evil")')
    assert first["C"].is_date and first["C"].value == datetime.datetime(2027, 4, 26)
    assert first["C"].number_format == "yyyy-mm-dd"
    # Spreadsheets hold no time zone: 09:30 at UTC+1 is written as 08:30 UTC.
    assert first["D"].is_date and first["D"].value == datetime.datetime(2026, 12, 5, 8, 30)
    assert (first["E"].data_type, first["E"].value) == ("n", 1240000.5)
    assert (first["F"].data_type, first["F"].value) == ("b", True)
    assert first["G"].value == "ab"  # XML cannot carry NUL; dropped in XLSX only

    second = {c.column_letter: c for c in sheet[3]}
    assert (second["B"].data_type, second["B"].value) == ("s", "@SUM(A1)")
    assert second["C"].value is None and second["D"].value is None
    assert (second["G"].data_type, second["G"].value) == ("s", "+44 20 7946 0000")
    assert sheet.max_row == 3


def test_csv_of_the_same_rows_keeps_iso_dates_and_escapes_formulas():
    lines = list(csv_stream(COLUMNS, ROWS))
    assert lines[0] == "id,name,due,at,loss,third_party,note\r\n"
    assert lines[1].startswith(
        '1,"\'=HYPERLINK(""http://evil"")",2027-04-26,2026-12-05T09:30:00+01:00,1240000.50,yes,'
    )
    assert lines[2] == "2,'@SUM(A1),,,,no,'+44 20 7946 0000\r\n"


@pytest.fixture
def records(organisation, other_organisation, risk_officer, model_owner, admin_user_member):
    model = AIModelFactory(organisation=organisation, owner=model_owner, name="=Scorecard")
    risk_services.create_risk(
        actor=risk_officer,
        organisation=organisation,
        model=model,
        title="Score drift",
        category="financial",
        likelihood=4,
        impact=5,
        due_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    incident_services.create_incident(
        actor=risk_officer,
        organisation=organisation,
        model=model,
        title="Approvals after drift",
        severity="high",
        occurred_at=timezone.now() - datetime.timedelta(days=3),
        detected_at=timezone.now() - datetime.timedelta(days=2),
        description="Arrears tripled.",
        financial_loss=Decimal("1240000.00"),
    )
    AIModelFactory(organisation=other_organisation, name="Not ours")
    record_event(
        organisation=organisation,
        actor=admin_user_member,
        action=GovernanceAction.MODEL_UPDATE,
        obj=model,
        changes={"purpose": ["old", "new"]},
    )
    return model


@pytest.mark.parametrize(
    ("url_name", "title", "checks"),
    [
        ("governance:model-export-xlsx", "Model inventory", {"name": "=Scorecard", "materiality": int}),
        (
            "governance:risk-export-xlsx",
            "Risk register",
            {"model": "=Scorecard", "inherent_score": 20, "overdue": True, "due_date": datetime.datetime},
        ),
        (
            "governance:incident-export-xlsx",
            "Incidents",
            {
                "title": "Approvals after drift",
                "financial_loss": 1240000,
                "occurred_at (UTC)": datetime.datetime,
            },
        ),
    ],
)
def test_each_register_downloads_as_xlsx(login, auditor, records, url_name, title, checks):
    response = login(auditor).get(reverse(url_name))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = _sheet(response.getvalue())
    assert sheet.title == title
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 1  # this organisation's records only
    for column, expected in checks.items():
        value = rows[0][column]
        assert isinstance(value, expected) if isinstance(expected, type) else value == expected, column


def test_the_audit_trail_downloads_as_xlsx_with_its_hashes(login, auditor, records):
    response = login(auditor).get(reverse("governance:audit-export-xlsx"))
    sheet = _sheet(response.getvalue())
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["sequence", "created_at (UTC)"] and header[-1] == "hash"
    last = [c.value for c in list(sheet.iter_rows())[-1]]
    assert isinstance(last[0], int) and isinstance(last[1], datetime.datetime)
    assert len(last[-1]) == 64


def test_exports_hold_only_the_users_organisation(login, make_member, records, outsider):
    # Another organisation's member exports their own (empty) register, never ours.
    sheet = _sheet(login(outsider).get(reverse("governance:risk-export-xlsx")).getvalue())
    assert sheet.max_row == 1
    member = make_member(Role.MODEL_OWNER, username="reader")
    assert login(member).get(reverse("governance:audit-export-xlsx")).status_code == 403


def test_model_versions_and_kpi_measurements_download_as_xlsx(login, auditor, organisation, model_owner):
    from governance.models import KPIDefinition, KPIMeasurement
    from tests.governance.inventory_factories import ModelVersionFactory

    model = AIModelFactory(organisation=organisation, owner=model_owner, name="Scorecard")
    ModelVersionFactory(model=model, version="1.0.0", metrics={"auc": 0.81}, code_commit="abc123")
    kpi = KPIDefinition.objects.create(
        model=model, name="AUC", warning_threshold=0.75, critical_threshold=0.7
    )
    KPIMeasurement.objects.create(kpi=kpi, measured_at=timezone.now(), value=0.72)
    client = login(auditor)

    versions = _sheet(
        client.get(reverse("governance:model-versions-export-xlsx", args=[model.pk])).getvalue()
    )
    header = [c.value for c in versions[1]]
    row = dict(zip(header, (c.value for c in versions[2]), strict=True))
    assert (row["model"], row["version"], row["code_commit"]) == ("Scorecard", "1.0.0", "abc123")
    assert row["metrics"] == '{"auc": 0.81}' and isinstance(row["registered_at (UTC)"], datetime.datetime)

    measurements = _sheet(client.get(reverse("governance:kpi-export-xlsx", args=[kpi.pk])).getvalue())
    header = [c.value for c in measurements[1]]
    row = dict(zip(header, (c.value for c in measurements[2]), strict=True))
    assert (row["kpi"], row["value"], row["status"]) == ("AUC", 0.72, "warning")

    csv_body = client.get(reverse("governance:kpi-export", args=[kpi.pk])).getvalue().decode()
    assert csv_body.splitlines()[0] == "model,kpi,measured_at,value,status,source,recorded_by"


def test_another_organisations_versions_and_kpis_answer_404(login, outsider, organisation, model_owner):
    from governance.models import KPIDefinition

    model = AIModelFactory(organisation=organisation, owner=model_owner)
    kpi = KPIDefinition.objects.create(model=model, name="AUC")
    client = login(outsider)
    assert client.get(reverse("governance:model-versions-export-xlsx", args=[model.pk])).status_code == 404
    assert client.get(reverse("governance:kpi-export", args=[kpi.pk])).status_code == 404
