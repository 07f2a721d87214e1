"""An assessment's answers as a spreadsheet: every question, numbered as on the pages, typed cells."""

import csv
import io

from django.urls import reverse
from openpyxl import load_workbook

from maturity import services
from tests.maturity.conftest import answer


def test_answers_download_as_xlsx_and_csv(login, auditor, assessor, assessment):
    services.save_answers(
        actor=assessor,
        assessment=assessment,
        answers=[
            answer(
                "strategy-q1", 3, comment="=cmd|' /C calc'!A0", evidence_links=["https://wiki/x", "DOC-7"]
            ),
            answer("strategy-q2", not_applicable=True, not_applicable_reason="No portfolio yet."),
        ],
    )
    client = login(auditor)

    response = client.get(reverse("maturity:answers-export-xlsx", args=[assessment.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.getvalue())).worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 10  # every question, answered or not
    first = rows[0]
    assert (first["factor"], first["question"], first["level"]) == ("Strategy", "Strategy 1", 3)
    assert first["evidence"] == "https://wiki/x\nDOC-7"
    assert first["comment"] == "=cmd|' /C calc'!A0"
    assert sheet.cell(row=2, column=header.index("comment") + 1).data_type == "s"
    assert (rows[1]["not_applicable"], rows[1]["level"]) == (True, None)
    assert rows[2]["level"] is None and rows[2]["answered_by"] is None

    body = client.get(reverse("maturity:answers-export", args=[assessment.pk])).getvalue().decode()
    first_csv = next(csv.DictReader(io.StringIO(body)))
    assert first_csv["comment"] == "'=cmd|' /C calc'!A0" and first_csv["not_applicable"] == "no"


def test_another_organisations_assessment_answers_404(login, outsider, assessment):
    assert (
        login(outsider).get(reverse("maturity:answers-export-xlsx", args=[assessment.pk])).status_code == 404
    )
