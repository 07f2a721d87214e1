"""Registers exported as CSV or XLSX from one description: columns with their kind, and rows of plain values.

A register names its columns (``Column``: header, kind, width) and yields rows of Python values (text, numbers,
dates, datetimes, booleans, None). ``export_response`` writes them as

- CSV (``governance.core.csv_export``): dates and times in ISO 8601, booleans as yes/no, formula-like text
  escaped with an apostrophe;
- XLSX (openpyxl in write-only mode, so rows go to a temporary file one at a time and 10,000 rows hold as little
  memory as ten): a bold, frozen header row, column widths, typed cells (numbers as numbers, dates as dates,
  times in UTC as date-times, booleans as booleans), and every text cell stored as text, which a spreadsheet never
  evaluates, whatever it starts with.
"""

import datetime
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from governance.core.csv_export import csv_lines

FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters XML 1.0 cannot carry (openpyxl refuses them): dropped from XLSX text, kept in CSV.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Excel's limit for one cell's text.
MAX_CELL_TEXT = 32_767


@dataclass(frozen=True)
class Column:
    """One column of a register: its header (the same in CSV and XLSX), what its values are, and its width in
    characters in XLSX."""

    header: str
    kind: str = "text"  # text, number, date, datetime, bool
    width: int = 14


def csv_value(value: Any) -> Any:
    """A plain value as the CSV exports have always written it: ISO 8601 dates and times, empty for None."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def csv_stream(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    return csv_lines([c.header for c in columns], ([csv_value(v) for v in row] for row in rows))


def _xlsx_value(sheet, value: Any) -> Any:
    """``value`` as a write-only sheet takes it: plain values as they are (openpyxl types them and gives dates
    their format), and a cell object only for text that would otherwise be read as a formula."""
    if isinstance(value, datetime.datetime):
        # Spreadsheets keep no time zone: times are written in UTC, as the header says.
        return value.astimezone(datetime.UTC).replace(tzinfo=None) if value.tzinfo is not None else value
    if value is None or isinstance(value, bool | int | float | Decimal | datetime.date):
        return value
    text = _ILLEGAL_XML.sub("", str(value))[:MAX_CELL_TEXT]
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    # Stored as a string, never as a formula: "=HYPERLINK(…)" in a model's name stays text.
    cell.data_type = "s"
    return cell


def xlsx_file(columns: Sequence[Column], rows: Iterable[Sequence[Any]], title: str):
    """The register as an XLSX workbook in a temporary file (positioned at its start)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=_header_text(column))
        cell.font = bold
        cell.alignment = Alignment(vertical="top")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_value(sheet, value) for value in row])
    output = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    workbook.save(output)
    output.seek(0)
    return output


def _header_text(column: Column) -> str:
    return f"{column.header} (UTC)" if column.kind == "datetime" else column.header


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"


def export_response(
    export_format: str, filename: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], title: str
) -> HttpResponse:
    """The register as a download: ``filename`` without extension, ``export_format`` one of FORMATS."""
    if export_format == "xlsx":
        return FileResponse(
            xlsx_file(columns, rows, title),
            as_attachment=True,
            filename=f"{filename}.xlsx",
            content_type=XLSX_CONTENT_TYPE,
        )
    response = StreamingHttpResponse(csv_stream(columns, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
