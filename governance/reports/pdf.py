"""A report's HTML to one PDF file, holding the layout of a few dozen pages at a time whatever its length.

WeasyPrint keeps the layout of every page of a document until it has written the document (about 3 MiB a page),
so a 10,000-model report cannot be one WeasyPrint document. Instead:

1. The body (``base.html`` filled by the kind's template) is cut into pieces: the rows of its long tables, and
   the HTML between them.
2. Consecutive pieces, up to ``chunk_size`` characters of HTML, are laid out as a document of their own (a chunk)
   and written to a file before the next chunk is laid out. A chunk ends between two rows of a table; its last
   page is dropped and the rows on it begin the next chunk, so the pages flow as if the body were one document.
3. The cover and contents (``front.html``) are laid out once every section's page is known.
4. pypdf joins the files. What needs the page count (the title at the top, the classification line and
   "Page X of Y" at the bottom) is laid out on blank sheets (``furniture.html``) and stamped on each page.
"""

import itertools
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

# Row ids added to the chunks' HTML, to tell which rows each page holds (WeasyPrint reports the ids on a page).
ROW_ANCHOR = "plumbline-row-"
# A table is cut only this many rows (a page or two) after it or the chunk began, so that the pages a chunk drops
# hold rows only; shorter tables (the sign-off, the summaries) are never cut.
ROWS_BEFORE_CUT = 50
# Blank sheets laid out per page-furniture document.
SHEETS_PER_DOCUMENT = 500
# WeasyPrint lays out in CSS pixels and writes PDF points.
POINTS_PER_PX = 0.75

_BODY_OPEN = re.compile(r"<body\b[^>]*>")
_SECTION = re.compile(r"(<section\b[^>]*>)(.*?)</section>", re.DOTALL)
_TABLE = re.compile(
    r"(<table\b[^>]*>\s*(?:<thead\b.*?</thead>\s*)?<tbody\b[^>]*>)(.*?)</tbody>\s*</table>",
    re.DOTALL,
)
_ROW = re.compile(r"<tr\b")

Progress = Callable[[float], None]  # the share of the body laid out, 0 to 1


@dataclass(frozen=True)
class Piece:
    html: str
    section: int | None  # the top-level <section> it is in
    table: int | None  # the table it is a row of; None for the HTML between rows


@dataclass
class Body:
    """The body's pieces, in order, and what a chunk needs to reopen around them."""

    head: str  # up to <body>
    opening: str  # <body …>
    tail: str  # from </body>
    pieces: list[Piece] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # each section's opening tag
    tables: list[str] = field(default_factory=list)  # each cut table's opening: <table>, <thead>, <tbody>
    table_starts: list[int] = field(default_factory=list)  # each cut table's first piece

    def chunk_html(self, start: int, end: int) -> str:
        """A document of pieces ``start`` to ``end`` (excluded), inside the sections and tables they belong to."""
        # A chunk that carries on from another starts as a page the body continues on would: no top margin.
        parts = [
            self.head,
            self.opening if start == 0 else "<body data-continued" + self.opening[len("<body") :],
        ]
        section = table = None
        for index in range(start, end):
            piece = self.pieces[index]
            if table is not None and piece.table != table:
                parts.append("</tbody></table>")
                table = None
            if piece.section != section:
                if section is not None:
                    parts.append("</section>")
                if piece.section is not None:
                    parts.append(self.sections[piece.section])
                section = piece.section
            if piece.table is None:
                parts.append(piece.html)
                continue
            if piece.table != table:
                opening = self.tables[piece.table]
                if index != self.table_starts[piece.table]:
                    opening = "<table data-continued" + opening[len("<table") :]
                parts.append(opening)
                table = piece.table
            parts.append(f'<tr id="{ROW_ANCHOR}{index}"{piece.html[3:]}')
        if table is not None:
            parts.append("</tbody></table>")
        if section is not None:
            parts.append("</section>")
        parts.append(self.tail)
        return "".join(parts)

    def chunk_end(self, start: int, chunk_size: int) -> int:
        """Where the chunk from ``start`` ends: between two rows of a table once ``chunk_size`` is reached."""
        size = rows = 0
        for index in range(start, len(self.pieces) - 1):
            piece = self.pieces[index]
            size += len(piece.html)
            rows = rows + 1 if piece.table is not None else 0
            if size >= chunk_size and rows >= ROWS_BEFORE_CUT and self.pieces[index + 1].table == piece.table:
                return index + 1
        return len(self.pieces)

    def _add_between_rows(self, html: str, section: int | None) -> None:
        if html.strip():
            self.pieces.append(Piece(html, section, None))

    def _add_content(self, html: str, start: int, end: int, section: int | None) -> None:
        """html[start:end] as pieces: the rows of each long table, and the HTML around them."""
        position = start
        for table in _TABLE.finditer(html, start, end):
            rows = [row.start() for row in _ROW.finditer(html, table.start(2), table.end(2))]
            if len(rows) <= ROWS_BEFORE_CUT or html[table.start(2) : rows[0]].strip():
                continue  # stays whole, in the HTML between rows
            if html.find("<table", table.start(2), table.end(2)) != -1:
                raise ValueError(
                    "A report table holds another table: the body cannot be cut between its rows."
                )
            self._add_between_rows(html[position : table.start()], section)
            index = len(self.tables)
            self.tables.append(table.group(1))
            self.table_starts.append(len(self.pieces))
            bounds = [*rows, table.end(2)]
            self.pieces.extend(Piece(html[a:b], section, index) for a, b in itertools.pairwise(bounds))
            position = table.end()
        self._add_between_rows(html[position:end], section)


def split_body(html: str) -> Body:
    """Cut a report body into pieces; the contract is in ``templates/governance/pdf/base.html``."""
    body_open = _BODY_OPEN.search(html)
    body_close = html.rfind("</body>")
    if body_open is None or body_close < body_open.end():
        raise ValueError("A report body needs <body> and </body>.")
    body = Body(head=html[: body_open.start()], opening=body_open.group(), tail=html[body_close:])
    position = body_open.end()
    for section in _SECTION.finditer(html, position, body_close):
        body._add_content(html, position, section.start(), None)
        index = len(body.sections)
        body.sections.append(section.group(1))
        count = len(body.pieces)
        body._add_content(html, section.start(2), section.end(2), index)
        if len(body.pieces) == count:  # an empty section still carries its id (a contents entry's target)
            body.pieces.append(Piece("", index, None))
        position = section.end()
    body._add_content(html, position, body_close, None)
    return body


@dataclass
class _Laid:
    """What the body's chunks left: their files, each page's orientation, the page each id is on (from 0)."""

    files: list[Path] = field(default_factory=list)
    wide: list[bool] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)


def _rows_by_page(document) -> list[set[int]]:
    """The rows (piece indexes) each page holds part of; their ids are dropped so the PDF does not list them."""
    rows = []
    for page in document.pages:
        names = [name for name in page.anchors if name.startswith(ROW_ANCHOR)]
        rows.append({int(name.removeprefix(ROW_ANCHOR)) for name in names})
        for name in names:
            del page.anchors[name]
    return rows


def _carry(rows: list[set[int]], body: Body, start: int) -> tuple[int, int] | None:
    """(pages to keep, first piece of the next chunk) for a chunk that ends inside a table: its last page (or more,
    for a row that spans pages) goes, and the rows on it are laid out again at the top of the next chunk. None when
    the dropped pages could hold something other than whole rows, or nothing would be kept."""
    cut = len(rows) - 1
    first = min(rows[cut], default=None)
    while first is not None:
        earliest = next(page for page, present in enumerate(rows) if first in present)
        if earliest == cut:
            break
        cut, first = earliest, min(set().union(*rows[earliest:]))
    if first is None or cut == 0 or first == start or body.pieces[first - 1].table is None:
        return None
    return cut, first


def _lay_out_body(body: Body, folder: Path, chunk_size: int, progress: Progress) -> _Laid:
    from weasyprint import HTML

    laid = _Laid()
    start = 0
    while start < len(body.pieces):
        end = body.chunk_end(start, chunk_size)
        document = HTML(string=body.chunk_html(start, end), base_url=str(settings.BASE_DIR)).render()
        rows = _rows_by_page(document)
        keep, following = len(document.pages), end
        if end < len(body.pieces):
            keep, following = _carry(rows, body, start) or (keep, following)
        for page in document.pages[:keep]:
            for name in page.anchors:
                laid.anchors.setdefault(name, len(laid.wide))
            laid.wide.append(page.width > page.height)
        path = folder / f"body-{len(laid.files):05d}.pdf"
        document.copy(document.pages[:keep]).write_pdf(path)
        laid.files.append(path)
        del document
        start = following
        progress(start / len(body.pieces))
    return laid


@dataclass(frozen=True)
class _Front:
    file: Path
    wide: list[bool]
    # (page, rectangle in PDF points, target page) of each contents entry, all pages counted from 0
    links: list[tuple[int, tuple[float, float, float, float], int]]


def _points(area: tuple[float, float, float, float], page_height: float) -> tuple[float, float, float, float]:
    """A (left, top, right, bottom) area in CSS pixels from the page's top as a PDF rectangle, in points."""
    left, top, right, bottom = area
    return tuple(value * POINTS_PER_PX for value in (left, page_height - bottom, right, page_height - top))


def _lay_out_front(
    front_html: Callable[[dict[str, int]], str], anchors: dict[str, int], folder: Path
) -> _Front:
    """The cover and contents, numbered for the body that follows them (their own length is found by trying)."""
    from weasyprint import HTML

    front_pages = 2
    for _ in range(3):
        pages = {name: front_pages + page + 1 for name, page in anchors.items()}
        document = HTML(string=front_html(pages), base_url=str(settings.BASE_DIR)).render()
        if len(document.pages) == front_pages:
            break
        front_pages = len(document.pages)
    else:
        raise RuntimeError("The cover and contents do not settle on a page count.")
    areas: dict[tuple[int, str], tuple[float, float, float, float]] = {}
    for number, page in enumerate(document.pages):
        # Contents entries point into the body, another file: pypdf links them once the files are joined.
        for link_type, target, (x, y, width, height), _ in page.links:
            if link_type == "internal" and target in anchors:
                # One area per entry, around the boxes WeasyPrint reports (its text, its dot leader, its number).
                x1, y1, x2, y2 = areas.get((number, target), (x, y, x + width, y + height))
                areas[number, target] = (min(x1, x), min(y1, y), max(x2, x + width), max(y2, y + height))
        page.links[:] = [link for link in page.links if link[0] != "internal"]
    links = [
        (number, _points(area, document.pages[number].height), front_pages + anchors[target])
        for (number, target), area in areas.items()
    ]
    path = folder / "front.pdf"
    document.write_pdf(path)
    return _Front(file=path, wide=[page.width > page.height for page in document.pages], links=links)


def _stamp_furniture(
    writer, furniture_html: Callable[[list[tuple[int, bool]], int], str], wide: list[bool], folder: Path
) -> None:
    """Lay out the page furniture on blank sheets, a few hundred at a time, and stamp each on its page."""
    from pypdf import PdfReader
    from weasyprint import HTML

    total = len(wide)
    for first in range(0, total, SHEETS_PER_DOCUMENT):
        sheets = [
            (number + 1, wide[number]) for number in range(first, min(total, first + SHEETS_PER_DOCUMENT))
        ]
        path = folder / "furniture.pdf"
        HTML(string=furniture_html(sheets, total), base_url=str(settings.BASE_DIR)).write_pdf(path)
        reader = PdfReader(path)
        if len(reader.pages) != len(sheets):
            raise RuntimeError(f"The page furniture has {len(reader.pages)} sheets for {len(sheets)} pages.")
        for offset, sheet in enumerate(reader.pages):
            page = writer.pages[first + offset]
            page.merge_page(sheet)
            page.compress_content_streams()


def write_pdf(
    body: Body,
    *,
    front_html: Callable[[dict[str, int]], str],
    furniture_html: Callable[[list[tuple[int, bool]], int], str],
    destination: BinaryIO,
    chunk_size: int,
    progress: Progress,
) -> int:
    """Write the report whose body is ``body`` (``split_body``) to ``destination``; returns its page count.

    ``front_html(pages)`` renders the cover and contents given the page number of each id in the body;
    ``furniture_html(sheets, total)`` renders one blank sheet per (page number, landscape) of ``sheets``.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Link

    with tempfile.TemporaryDirectory(prefix="plumbline-report-") as scratch:
        folder = Path(scratch)
        laid = _lay_out_body(body, folder, chunk_size, progress)
        body.pieces.clear()  # laid out: their HTML need not wait for the join
        front = _lay_out_front(front_html, laid.anchors, folder)
        writer = PdfWriter()
        for path in [front.file, *laid.files]:
            writer.append(path)
        _stamp_furniture(writer, furniture_html, front.wide + laid.wide, folder)
        for page, rectangle, target in front.links:
            writer.add_annotation(page_number=page, annotation=Link(rect=rectangle, target_page_index=target))
        writer.add_metadata(dict(PdfReader(front.file).metadata or {}))
        writer.write(destination)
        return len(writer.pages)
