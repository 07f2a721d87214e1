"""Statement of Applicability writes: the organisation's decision on one Annex A control, and issuing the whole
statement as a frozen, hashed, numbered copy.

Both need ``applicability.edit`` (administrators and risk & compliance officers), validate everything before
saving and record an audit event in the same transaction. Evidence files get the same checks as compliance
evidence (size, extension, content) and are hashed with SHA-256.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from governance.core.audit import diff, record_event, snapshot
from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.models import (
    ControlApplicability,
    ImplementationStatus,
    IssuedStatement,
    Membership,
    Organisation,
    Requirement,
)
from governance.models.actions import GovernanceAction
from governance.rules.applicability import entries_sha256, statement_counts
from governance.selectors.applicability import (
    ANNEX_A_PREFIX,
    ISO_42001,
    annex_a_framework,
    entry_for,
    entry_snapshot,
    statement_rows,
)
from governance.services.compliance import (
    check_evidence_link,
    checked_upload,
    evidence_file_applied,
    file_errors_joined,
)

MAX_JUSTIFICATION = 10_000
MAX_NOTE = 300


def _validate(
    *,
    organisation: Organisation,
    control: Requirement,
    applicable: bool | None,
    justification: str,
    implementation_status: str,
    owner,
    has_evidence: bool,
    evidence_link: str,
    next_review_due: date | None,
) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if control.framework.key != ISO_42001 or not control.ref.startswith(ANNEX_A_PREFIX):
        add("control", "Only ISO/IEC 42001 Annex A controls belong in the Statement of Applicability.")
    elif not control.framework.is_current:
        add("control", "This control belongs to a superseded catalogue version; use the current one.")
    if applicable is None:
        add("applicable", "Decide whether the control applies.")
    if not justification:
        add("justification", "Say why the control is included or excluded: an auditor asks for both.")
    elif len(justification) > MAX_JUSTIFICATION:
        add("justification", f"The justification is limited to {MAX_JUSTIFICATION:,} characters.")
    if implementation_status not in ImplementationStatus.values:
        add("implementation_status", f"Choose one of: {', '.join(ImplementationStatus.values)}.")
    elif applicable and implementation_status == ImplementationStatus.IMPLEMENTED and not has_evidence:
        message = "An implemented control needs evidence: upload a file or give a link."
        add("evidence_file", message)
        add("evidence_link", message)
    if applicable and owner is None:
        add("owner", "An applicable control needs an owner who answers for it.")
    if owner is not None and not Membership.objects.filter(organisation=organisation, user=owner).exists():
        add("owner", "The owner must be a member of the organisation.")
    for message in check_evidence_link(evidence_link):
        add("evidence_link", message)
    if next_review_due is not None and next_review_due < timezone.localdate():
        add("next_review_due", "The next review cannot be in the past.")
    if errors:
        raise ValidationError(errors)


def applicability_update(
    *,
    actor,
    organisation: Organisation,
    control: Requirement,
    applicable: bool | None,
    justification: str,
    implementation_status: str = ImplementationStatus.NOT_STARTED,
    owner=None,
    evidence_file: UploadedFile | None = None,
    evidence_link: str = "",
    next_review_due: date | None = None,
    clear_evidence_file: bool = False,
) -> ControlApplicability:
    """Record the organisation's decision on one Annex A control (creating its entry on the first decision).

    The actor becomes the reviewer and ``reviewed_at`` is now. An entry decided on an earlier catalogue version
    (same ref) is carried to the current control here, keeping its evidence file unless a new one is given.
    Raises ValidationError per field; nothing is saved on error.
    """
    require(actor, organisation, Permission.APPLICABILITY_EDIT)
    justification = (justification or "").strip()
    evidence_link = (evidence_link or "").strip()
    implementation_status = str(implementation_status or "")
    if applicable is False:
        # An excluded control is not being implemented; a leftover status would read as a claim.
        implementation_status = ImplementationStatus.NOT_STARTED
    if owner is not None and not isinstance(owner, get_user_model()):
        raise ValidationError({"owner": ["Choose a member of the organisation."]})

    upload, file_errors = checked_upload(evidence_file)

    with transaction.atomic():
        # The first decision on a control creates its entry: two at once must take turns, not both insert.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        current = (
            ControlApplicability.objects.select_for_update()
            .filter(organisation=organisation, requirement=control)
            .first()
        )
        earlier = None if current else entry_for(organisation, control)[0]
        created = current is None
        entry = current or ControlApplicability(
            organisation=organisation, requirement=control, ref=control.ref
        )
        if earlier is not None and not clear_evidence_file:
            entry.evidence_file, entry.evidence_sha256 = earlier.evidence_file.name, earlier.evidence_sha256
        keeps_file = bool(entry.evidence_file) and not clear_evidence_file
        with file_errors_joined(file_errors):
            _validate(
                organisation=organisation,
                control=control,
                applicable=applicable,
                justification=justification,
                implementation_status=implementation_status,
                owner=owner,
                has_evidence=bool(upload) or keeps_file or bool(evidence_link),
                evidence_link=evidence_link,
                next_review_due=next_review_due,
            )

        before = snapshot(earlier) if earlier is not None else None if created else snapshot(entry)
        entry.applicable = applicable
        entry.justification = justification
        entry.implementation_status = implementation_status
        entry.owner = owner
        entry.evidence_link = evidence_link
        entry.next_review_due = next_review_due
        entry.reviewed_by = actor
        entry.reviewed_at = timezone.now()
        with evidence_file_applied(
            entry, upload=upload, name=getattr(evidence_file, "name", ""), clear=clear_evidence_file
        ):
            entry.save()
            record_event(
                organisation=organisation,
                actor=actor,
                action=GovernanceAction.APPLICABILITY_UPDATE,
                obj=entry,
                changes=diff(before, snapshot(entry)),
                object_repr=f"{control.ref} {control.title}",
            )
    return entry


def statement_issue(*, actor, organisation: Organisation, note: str = "") -> IssuedStatement:
    """Freeze the organisation's current statement as the next numbered issue, hashed with SHA-256.

    Every control must be decided and justified first: an auditor reads an undecided control as a gap.
    """
    require(actor, organisation, Permission.APPLICABILITY_EDIT)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": [f"The note is limited to {MAX_NOTE} characters."]})
    framework = annex_a_framework()
    if framework is None:
        raise ValidationError("The ISO/IEC 42001 catalogue is not loaded (python manage.py load_frameworks).")
    with transaction.atomic():
        # Numbers are per organisation: two issues at once must take turns.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        rows = statement_rows(organisation, framework)
        undecided = [
            row.control.ref
            for row in rows
            if row.entry is None or row.entry.applicable is None or row.from_earlier_version
        ]
        if not rows:
            raise ValidationError("The catalogue has no Annex A controls to state.")
        if undecided:
            shown = ", ".join(undecided[:10]) + (
                f" and {len(undecided) - 10} more" if len(undecided) > 10 else ""
            )
            raise ValidationError(
                f"Decide every control against the current catalogue before issuing; still open: {shown}."
            )
        entries = [entry_snapshot(row) for row in rows]
        number = (
            IssuedStatement.objects.filter(organisation=organisation).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        issued = IssuedStatement.objects.create(
            organisation=organisation,
            framework=framework,
            number=number,
            issued_at=timezone.now(),
            issued_by=actor,
            note=note,
            entries=entries,
            sha256=entries_sha256(entries),
        )
        counts = statement_counts(entries)
        record_event(
            organisation=organisation,
            actor=actor,
            action=GovernanceAction.APPLICABILITY_ISSUE,
            obj=issued,
            changes={
                name: [None, value]
                for name, value in {
                    "number": number,
                    "framework": str(framework),
                    "sha256": issued.sha256,
                    "note": note,
                    **counts,
                }.items()
            },
            object_repr=str(issued),
        )
    return issued
