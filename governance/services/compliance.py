"""Compliance writes: a model's record against a requirement, with its evidence, reviewer and next review.

Every write checks the ``compliance.edit`` role through ``governance.core.tenancy.require``, validates everything
before saving, and records an audit event in the same transaction. Evidence files are checked by size,
extension and content (magic bytes), hashed with SHA-256, and kept when replaced so the audit trail's earlier
file names still resolve.
"""

import hashlib
import io
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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

from governance.core.audit import delete_audited, diff, record_event, snapshot
from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.models import (
    AIModel,
    ComplianceRecord,
    ComplianceStatus,
    Framework,
    LifecycleStage,
    Requirement,
)
from governance.models.actions import GovernanceAction
from governance.selectors.compliance import applicable_requirements, applies_to_model, coverage

__all__ = [
    "ALLOWED_EVIDENCE",
    "CarryOverResult",
    "applicable_requirements",
    "carry_over_records",
    "check_evidence_file",
    "check_evidence_link",
    "checked_upload",
    "clean_evidence_name",
    "coverage",
    "delete_record",
    "evidence_content_type",
    "evidence_file_applied",
    "evidence_max_bytes",
    "file_errors_joined",
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


def _whole_pdf(data: bytes) -> bool:
    """The whole file parses as a PDF with at least one page (not only a "%PDF-" start followed by HTML)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return len(PdfReader(io.BytesIO(data)).pages) > 0
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return False


def _whole_image(data: bytes, image_format: str) -> bool:
    """The whole file decodes as an image of that format (Pillow checks its structure and checksums)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != image_format:
                return False
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() does not decode the pixels; a truncated or padded file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    return True


def _content_matches(kind: str, data: bytes) -> bool:
    if kind in _MAGIC and not data.startswith(_MAGIC[kind]):
        return False
    if kind == "pdf":
        return _whole_pdf(data)
    if kind in {"png", "jpeg"}:
        return _whole_image(data, kind.upper())
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


def clean_evidence_name(name: str) -> str:
    """A safe stored name for an uploaded evidence file (its extension already checked)."""
    path = PurePath(get_valid_filename(PurePath(name).name) or "evidence")
    stem, suffix = path.stem[: MAX_FILENAME - len(path.suffix)], path.suffix.lower()
    return f"{stem}{suffix}"


def checked_upload(
    evidence_file: UploadedFile | None,
) -> tuple[tuple[bytes, str] | None, ValidationError | None]:
    """An evidence file checked before the transaction: its bytes and SHA-256, or the ValidationError that refuses
    it (kept, so ``file_errors_joined`` reports it together with the other fields' errors)."""
    if evidence_file is None:
        return None, None
    try:
        return check_evidence_file(evidence_file), None
    except ValidationError as exc:
        return None, exc


@contextmanager
def file_errors_joined(file_errors: ValidationError | None) -> Iterator[None]:
    """Around a record's field validation: a refused file's errors join the fields' (all shown at once), or
    are raised alone when the fields are fine."""
    try:
        yield
    except ValidationError as exc:
        if file_errors is not None:
            exc.error_dict.update(file_errors.error_dict)
        raise exc from None
    if file_errors is not None:
        raise file_errors


@contextmanager
def evidence_file_applied(
    record: Any, *, upload: tuple[bytes, str] | None, name: str, clear: bool
) -> Iterator[None]:
    """Set ``record``'s evidence file and SHA-256 from a checked upload (``check_evidence_file``), or clear them,
    for the block that saves the record and audits it; if that block fails, the new file is removed again (it is
    on disk already, the transaction is not: no orphan is left behind)."""
    if clear and upload is None:
        record.evidence_file = ""
        record.evidence_sha256 = ""
    stored_name = None
    if upload is not None:
        data, sha = upload
        record.evidence_file.save(clean_evidence_name(name), ContentFile(data), save=False)
        record.evidence_sha256 = sha
        stored_name = record.evidence_file.name
    try:
        yield
    except Exception:
        if stored_name:
            record.evidence_file.storage.delete(stored_name)
        raise


def check_evidence_link(link: str) -> list[str]:
    """What is wrong with an evidence link (empty when it is fine or not given)."""
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
    for message in check_evidence_link(evidence_link):
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
    require(actor, model.organisation_id, Permission.COMPLIANCE_EDIT)
    status = str(status or "")
    not_applicable_reason = (not_applicable_reason or "").strip()
    evidence_link = (evidence_link or "").strip()
    notes = (notes or "").strip()
    if status != ComplianceStatus.NOT_APPLICABLE:
        # A reason only means something for "not applicable"; do not keep a stale one.
        not_applicable_reason = ""

    upload, file_errors = checked_upload(evidence_file)

    with transaction.atomic():
        # The first review of a pair creates its record: two at once must take turns, not both insert.
        AIModel.objects.select_for_update().filter(pk=model.pk).first()
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
        with file_errors_joined(file_errors):
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

        before = None if created else snapshot(record)
        record.status = status
        record.not_applicable_reason = not_applicable_reason
        record.evidence_link = evidence_link
        record.notes = notes
        record.next_review_due = next_review_due
        record.reviewer = actor
        record.reviewed_at = timezone.now()
        with evidence_file_applied(
            record, upload=upload, name=getattr(evidence_file, "name", ""), clear=clear_evidence_file
        ):
            record.save()
            record_event(
                organisation=model.organisation,
                actor=actor,
                action=GovernanceAction.COMPLIANCE_CREATE if created else GovernanceAction.COMPLIANCE_UPDATE,
                obj=record,
                changes=diff(before, snapshot(record)),
                object_repr=f"{model.name} — {requirement.framework.key} {requirement.ref}",
            )
    return record


def delete_record(*, actor, record: ComplianceRecord) -> None:
    """Delete a record (the requirement returns to "not assessed"); its evidence file is kept for the audit."""
    require(actor, record.organisation_id, Permission.COMPLIANCE_EDIT)
    delete_audited(
        organisation=record.organisation,
        actor=actor,
        action=GovernanceAction.COMPLIANCE_DELETE,
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


# --- Carrying records over to a new framework version -----------------------------------------------------


@dataclass
class CarryOverResult:
    """What ``carry_over_records`` did, counted over every organisation.

    ``removed_refs`` maps each requirement ref that is gone from the new version to how many records were left
    behind on it (only refs that had records); ``wording_changed`` counts the copied records whose requirement's
    title or description changed.
    """

    old: Framework
    new: Framework
    copied: int = 0
    wording_changed: int = 0
    already_present: int = 0
    not_applicable_anymore: int = 0
    retired: int = 0
    removed_refs: dict[str, int] = field(default_factory=dict)
    copied_by_organisation: Counter[int] = field(default_factory=Counter)  # organisation id -> copies

    def summary(self) -> str:
        """One line for the loader's output."""
        removed = ", ".join(f"{ref} ({count})" for ref, count in sorted(self.removed_refs.items())) or "none"
        line = (
            f"Carried compliance records over from {self.old.name} version {self.old.version} "
            f"to version {self.new.version}: {self.copied} copied ({self.wording_changed} with changed wording), "
            f"{self.already_present} already present, {self.not_applicable_anymore} not applicable anymore, "
            f"removed refs: {removed}"
        )
        if self.retired:
            line += f", {self.retired} on retired models left behind"
        return line + "."


def _carry_over_note(old: Framework, new: Framework, changed: list[str], today: date) -> str:
    line = f"Carried over from {old.name} version {old.version} on {today.isoformat()}; "
    if changed:
        return line + (
            f"the requirement's {' and '.join(changed)} changed in version {new.version}, "
            "so review against the new wording before relying on this status."
        )
    return line + f"review against the new wording of version {new.version}."


def carry_over_records(
    *, actor=None, old: Framework, new: Framework, today: date | None = None
) -> CarryOverResult:
    """Copy every organisation's records on ``old`` to the requirement with the same ref in ``new``.

    A record is copied when its model has no record for that requirement yet, the new requirement's
    ``applies_to`` rules still select the model, and the model is not retired. The copy keeps the status, the
    not-applicable reason, the evidence (the same stored file and SHA-256: nothing is duplicated, and nothing in
    Plumbline deletes an evidence file when a record is deleted or its file replaced, so sharing is safe), the
    link, the notes, the reviewer and when they reviewed it. It gains a note line saying where it came from, and
    is due for review today unless its next review was already earlier; when the requirement's title or
    description changed, the note says so. Requirements gone from ``new`` are counted, not copied; requirements
    new in ``new`` stay "not assessed". Each copy is audited as ``compliance.carry_over`` in its organisation's
    trail (by ``actor``, or "system").

    Idempotent: a second run finds every copy already present. This is a system operation across every
    organisation (the loader calls it), so no role is checked.
    """
    if old.key != new.key or old.pk == new.pk:
        raise ValueError("Records carry over between two different versions of the same framework.")
    today = today or timezone.localdate()
    result = CarryOverResult(old=old, new=new)
    with transaction.atomic():
        # Two carry-overs into the same version take turns, so neither copies a record the other just made.
        Framework.objects.select_for_update().filter(pk=new.pk).first()
        new_requirements = {r.ref: r for r in new.requirements.all()}
        present = set(
            ComplianceRecord.objects.filter(requirement__framework=new).values_list(
                "model_id", "requirement_id"
            )
        )
        old_records = (
            ComplianceRecord.objects.filter(requirement__framework=old)
            .select_related("model", "organisation", "requirement")
            .order_by("organisation_id", "model_id", "requirement__position")
        )
        for old_record in old_records:
            model, old_requirement = old_record.model, old_record.requirement
            requirement = new_requirements.get(old_requirement.ref)
            if requirement is None:
                result.removed_refs[old_requirement.ref] = result.removed_refs.get(old_requirement.ref, 0) + 1
                continue
            if (model.pk, requirement.pk) in present:
                result.already_present += 1
                continue
            if model.lifecycle_stage == LifecycleStage.RETIRED:
                result.retired += 1
                continue
            if not applies_to_model(requirement, model):
                result.not_applicable_anymore += 1
                continue
            changed = [
                name
                for name in ("title", "description")
                if getattr(old_requirement, name) != getattr(requirement, name)
            ]
            note = _carry_over_note(old, new, changed, today)
            due = old_record.next_review_due
            carried = ComplianceRecord.objects.create(
                organisation=old_record.organisation,
                model=model,
                requirement=requirement,
                status=old_record.status,
                not_applicable_reason=old_record.not_applicable_reason,
                # The same stored name: both records serve the one file, which keeps its hash.
                evidence_file=old_record.evidence_file.name,
                evidence_sha256=old_record.evidence_sha256,
                evidence_link=old_record.evidence_link,
                notes=f"{old_record.notes}\n\n{note}" if old_record.notes else note,
                reviewer_id=old_record.reviewer_id,
                reviewed_at=old_record.reviewed_at,
                next_review_due=today if due is None or due > today else due,
            )
            present.add((model.pk, requirement.pk))
            changes = diff(None, snapshot(carried))
            changes.pop("updated_at", None)
            changes["carried_from_record"] = [None, old_record.pk]
            record_event(
                organisation=old_record.organisation,
                actor=actor,
                action=GovernanceAction.COMPLIANCE_CARRY_OVER,
                obj=carried,
                changes=changes,
                object_repr=f"{model.name} — {new.key} {requirement.ref}",
            )
            result.copied += 1
            result.wording_changed += bool(changed)
            result.copied_by_organisation[old_record.organisation_id] += 1
    return result
