"""Check a PDF against the reports Plumbline produced: the SHA-256 stored at render time is the reference."""

import hashlib
from collections.abc import Iterable

from django.db.models import QuerySet

from governance.models import Report, ReportStatus


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def stored_file_matches(report: Report) -> bool:
    """True when the stored file still has the hash recorded when it was rendered."""
    if report.status != ReportStatus.SUCCEEDED or not report.file or not report.sha256:
        return False
    try:
        with report.file.open("rb") as handle:
            return sha256_of(iter(lambda: handle.read(1 << 16), b"")) == report.sha256
    except OSError:
        return False


def find_by_content(reports: QuerySet, chunks: Iterable[bytes]) -> Report | None:
    """The succeeded report (among ``reports``, already scoped to the user) whose file these bytes are."""
    digest = sha256_of(chunks)
    return reports.filter(status=ReportStatus.SUCCEEDED, sha256=digest).first()


def issued_reports() -> QuerySet:
    """Every issued report of every organisation, with what the public verification page may show of it."""
    return Report.objects.filter(status=ReportStatus.SUCCEEDED).select_related(
        "organisation", "issued_checkpoint"
    )
