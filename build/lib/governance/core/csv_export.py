"""The one CSV writer every export uses: header, rows, and cells made safe for spreadsheets.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (CSV injection); a leading
apostrophe keeps such text as text. Only text is escaped: numbers stay numbers, so "-3" written as an int is
still a number in Excel.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` ready for a CSV cell: None as empty, booleans as yes/no, formula-like text escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value
    return value


def unescape_cell(text: str) -> str:
    """A cell as read back from one of our exports: the apostrophe ``safe_cell`` put before a formula goes.

    So an exported inventory imports again unchanged (a name such as "=Scorer" comes back as it was).
    """
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV lines (header first) one at a time, for a streaming response over a large queryset."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV as one string."""
    buffer = io.StringIO()
    buffer.writelines(csv_lines(header, rows))
    return buffer.getvalue()
