"""The one CSV writer: what a spreadsheet would run as a formula stays text; numbers stay numbers."""

import csv
import io

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from governance.core.audit import record_event
from governance.core.csv_export import FORMULA_PREFIXES, csv_text, safe_cell, unescape_cell
from governance.models import BusinessUnit
from governance.models.actions import GovernanceAction


@given(st.text())
def test_text_never_starts_a_formula_and_reads_back_unchanged_but_for_the_apostrophe(text):
    cell = safe_cell(text)
    assert not cell.startswith(FORMULA_PREFIXES)
    assert cell == text or cell == f"'{text}"
    header, row = csv.reader(io.StringIO(csv_text(["value"], [[text]]), newline=""))
    assert header == ["value"] and row == [cell]
    assert unescape_cell(cell) == text or text.startswith("'")


@pytest.mark.parametrize(
    ("value", "written"),
    [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("@SUM(A1)", "'@SUM(A1)"), (-3, -3), (None, ""), (True, "yes")],
)
def test_cells(value, written):
    assert safe_cell(value) == written


@pytest.mark.django_db
def test_the_audit_export_escapes_formulas_in_what_users_typed(
    login, auditor, organisation, admin_user_member
):
    unit = BusinessUnit.objects.create(organisation=organisation, name="=cmd|' /C calc'!A0")
    record_event(
        organisation=organisation, actor=admin_user_member, action=GovernanceAction.MODEL_CREATE, obj=unit
    )
    response = login(auditor).get(reverse("governance:audit-export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["object_repr"].startswith("'=")
