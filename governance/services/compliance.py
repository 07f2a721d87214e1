"""Compliance writes: a model's record against a requirement, with its evidence, reviewer and next review.

Every write checks the ``compliance.edit`` role through ``governance.tenancy.require``, validates everything
before saving, and records an audit event in the same transaction. Evidence files are checked by size,
extension and content (magic bytes), hashed with SHA-256, and kept when replaced so the audit trail's earlier
file names still resolve.
"""

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from governance.audit import delete_audited, diff, record_event, snapshot
from governance.models import AIModel, ComplianceRecord, ComplianceStatus, LifecycleStage, Requirement
from governance.selectors.compliance import applicable_requirements, applies_to_model, coverage
from governance.tenancy import require

__all__ = [
    "ALLOWED_EVIDENCE",
    "applicable_requirements",
    "coverage",
    "delete_record",
    "evidence_max_bytes",
    "update_record",
]

DEFAULT_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
MAX_NOTES = 10_000
MAX_FILENAME = 120


@dataclass(frozen=True)
class EvidenceType:
    """An accepted evidence format: its content type and how its content is recognised."""

    content_type: str
    kind: str  # "pdf", "png", "jpeg", "docx", "xlsx" or "text"


ALLOWED_EVIDENCE: dict[str, EvidenceType] = {
    "pdf": EvidenceType("application/pdf", "pdf"),
    "png": EvidenceType("image/png", "png"),
    "jpg": EvidenceType("image/jpeg", "jpeg"),
    "jpeg": EvidenceType("image/jpeg", "jpeg"),
    "docx": EvidenceType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": EvidenceType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": EvidenceType("text/csv", "text"),
    "txt": EvidenceType("text/plain", "text"),
    "md": EvidenceType("text/markdown", "text"),
}
_MAGIC = {"pdf": b"%PDF-", "png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff"}
# The part every genuine Office Open XML file of that kind contains.
_OOXML_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


def evidence_max_bytes() -> int:
    """The largest evidence file accepted (settings.COMPLIANCE_EVIDENCE_MAX_BYTES, default 10 MiB)."""
    return int(getattr(settings, "COMPLIANCE_EVIDENCE_MAX_BYTES", DEFAULT_EVIDENCE_MAX_BYTES))


def evidence_content_type(name: str) -> str:
    """The content type an evidence file is served with, from its (validated) extension."""
    extension = PurePath(name).suffix.lower().lstrip(".")
    evidence = ALLOWED_EVIDENCE.get(extension)
    return evidence.content_type if evidence else "application/octet-stream"


def _content_matches(kind: str, data: bytes) -> bool:
    if kind in _MAGIC:
        return data.startswith(_MAGIC[kind])
    if kind in _OOXML_PART:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return False
        return "[Content_Types].xml" in names and _OOXML_PART[kind] in names
    # Text evidence: UTF-8 without NUL bytes (a renamed binary fails here).
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_evidence_file(upload: UploadedFile) -> tuple[bytes, str]:
    """The file's bytes and SHA-256 if it is acceptable evidence; ValidationError on ``evidence_file`` if not."""
    limit = evidence_max_bytes()
    name = PurePath(upload.name or "").name
    extension = PurePath(name).suffix.lower().lstrip(".")
    allowed = ", ".join(sorted(ALLOWED_EVIDENCE))
    if extension not in ALLOWED_EVIDENCE:
        raise ValidationError(
            {"evidence_file": [f"Files of this type are not accepted; allowed: {allowed}."]}
        )
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            {"evidence_file": [f"The file is {upload.size:,} bytes; the limit is {limit:,} bytes."]}
        )
    chunks, size, digest = [], 0, hashlib.sha256()
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise ValidationError(
                {"evidence_file": [f"The file is larger than the limit of {limit:,} bytes."]}
            )
        digest.update(chunk)
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise ValidationError({"evidence_file": ["The file is empty."]})
    if not _content_matches(ALLOWED_EVIDENCE[extension].kind, data):
        raise ValidationError({"evidence_file": [f"The file's content is not a valid .{extension} file."]})
    return data, digest.hexdigest()


def _clean_name(name: str) -> str:
    path = PurePath(get_valid_filename(PurePath(name).name) or "evidence")
    stem, suffix = path.stem[: MAX_FILENAME - len(path.suffix)], path.suffix.lower()
    return f"{stem}{suffix}"


def _check_link(link: str) -> list[str]:
    if not link:
        return []
    if len(link) > 500:
        return ["Links are limited to 500 characters."]
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        return ["Enter a valid http(s) address."]
    return []


def _validate(
    model: AIModel,
    requirement: Requirement,
    status: str,
    not_applicable_reason: str,
    has_evidence: bool,
    evidence_link: str,
    notes: str,
    next_review_due: date | None,
) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if requirement.framework.is_current is False:
        add("requirement", "This requirement belongs to a superseded framework version; use the current one.")
    elif not applies_to_model(requirement, model):
        add("requirement", f"{requirement.ref} does not apply to {model.name} (see its applicability rules).")
    if model.lifecycle_stage == LifecycleStage.RETIRED:
        add("model", "Retired models are outside compliance scope.")
    if status not in ComplianceStatus.values:
        add("status", f"Choose one of: {', '.join(ComplianceStatus.values)}.")
    elif status == ComplianceStatus.NOT_APPLICABLE and not not_applicable_reason:
        add("not_applicable_reason", "Say why the requirement does not apply to this model.")
    elif status == ComplianceStatus.COMPLIANT and not has_evidence:
        add("evidence_file", "Compliant needs evidence: upload a file or give a link.")
        add("evidence_link", "Compliant needs evidence: upload a file or give a link.")
    elif status in (ComplianceStatus.PARTIAL, ComplianceStatus.NON_COMPLIANT) and not notes:
        add("notes", "Say what is missing and what is planned to close the gap.")
    for message in _check_link(evidence_link):
        add("evidence_link", message)
    if len(notes) > MAX_NOTES:
        add("notes", f"Notes are limited to {MAX_NOTES:,} characters.")
    if len(not_applicable_reason) > MAX_NOTES:
        add("not_applicable_reason", f"The reason is limited to {MAX_NOTES:,} characters.")
    if next_review_due is not None and next_review_due < timezone.localdate():
        add("next_review_due", "The next review cannot be in the past.")
    if errors:
        raise ValidationError(errors)


def update_record(
    *,
    actor,
    model: AIModel,
    requirement: Requirement,
    status: str,
    not_applicable_reason: str = "",
    evidence_file: UploadedFile | None = None,
    evidence_link: str = "",
    notes: str = "",
    next_review_due: date | None = None,
    clear_evidence_file: bool = False,
) -> ComplianceRecord:
    """Record a review of ``model`` against ``requirement`` (creating the record on first review).

    ``evidence_file`` None keeps the stored file (``clear_evidence_file`` drops it); the actor becomes the
    reviewer and ``reviewed_at`` is now. Raises ValidationError per field; nothing is saved on error.
    """
    require(actor, model.organisation_id, "compliance.edit")
    status = str(status or "")
    not_applicable_reason = (not_applicable_reason or "").strip()
    evidence_link = (evidence_link or "").strip()
    notes = (notes or "").strip()
    if status != ComplianceStatus.NOT_APPLICABLE:
        # A reason only means something for "not applicable"; do not keep a stale one.
        not_applicable_reason = ""

    upload: tuple[bytes, str] | None = None
    file_errors: ValidationError | None = None
    if evidence_file is not None:
        try:
            upload = check_evidence_file(evidence_file)
        except ValidationError as exc:
            file_errors = exc

    with transaction.atomic():
        record = (
            ComplianceRecord.objects.select_for_update()
            .filter(model=model, requirement=requirement)
            .select_related("requirement__framework")
            .first()
        )
        created = record is None
        if created:
            record = ComplianceRecord(
                organisation_id=model.organisation_id, model=model, requirement=requirement
            )
        keeps_file = bool(record.evidence_file) and not clear_evidence_file
        has_evidence = bool(upload) or keeps_file or bool(evidence_link)
        try:
            _validate(
                model,
                requirement,
                status,
                not_applicable_reason,
                has_evidence,
                evidence_link,
                notes,
                next_review_due,
            )
        except ValidationError as exc:
            if file_errors is not None:
                exc.error_dict.update(file_errors.error_dict)
            raise exc from None
        if file_errors is not None:
            raise file_errors

        before = None if created else snapshot(record)
        record.status = status
        record.not_applicable_reason = not_applicable_reason
        record.evidence_link = evidence_link
        record.notes = notes
        record.next_review_due = next_review_due
        record.reviewer = actor
        record.reviewed_at = timezone.now()
        if clear_evidence_file and not upload:
            record.evidence_file = ""
            record.evidence_sha256 = ""
        stored_name = None
        if upload is not None:
            data, sha = upload
            record.evidence_file.save(_clean_name(evidence_file.name), ContentFile(data), save=False)
            record.evidence_sha256 = sha
            stored_name = record.evidence_file.name
        try:
            record.save()
            record_event(
                organisation=model.organisation,
                actor=actor,
                action="compliance.create" if created else "compliance.update",
                obj=record,
                changes=diff(before, snapshot(record)),
                object_repr=f"{model.name} — {requirement.framework.key} {requirement.ref}",
            )
        except Exception:
            # The file is already on disk; the transaction is not. Do not leave an orphan behind.
            if stored_name:
                record.evidence_file.storage.delete(stored_name)
            raise
    return record


def delete_record(*, actor, record: ComplianceRecord) -> None:
    """Delete a record (the requirement returns to "not assessed"); its evidence file is kept for the audit."""
    require(actor, record.organisation_id, "compliance.edit")
    delete_audited(
        organisation=record.organisation,
        actor=actor,
        action="compliance.delete",
        obj=record,
        object_repr=f"{record.model.name} — {record.requirement.framework.key} {record.requirement.ref}",
    )


def record_fields(record: ComplianceRecord) -> dict[str, Any]:
    """The editable values of an existing record, as ``update_record`` takes them (for partial updates)."""
    return {
        "status": record.status,
        "not_applicable_reason": record.not_applicable_reason,
        "evidence_link": record.evidence_link,
        "notes": record.notes,
        "next_review_due": record.next_review_due,
    }
