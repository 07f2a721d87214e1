"""Report branding writes: the logo, accent colour, classification line and sign-off roles every report prints.

Only an organisation's administrators change them (``branding.manage``). Everything is checked before anything is
saved; the organisation row is locked for the change and one audit event records the fields that changed (the
logo as its SHA-256, never its bytes). A submission that changes nothing records nothing.
"""

import hashlib
import io
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from governance.core.audit import record_event
from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.models import Organisation
from governance.models.actions import GovernanceAction
from governance.rules.branding import accent_errors, classification_errors, signoff_role_errors
from governance.selectors.branding import LOGO_MAX_BYTES, LOGO_MAX_SIDE, stored_logo

__all__ = ["LOGO_EXTENSIONS", "LOGO_MAX_BYTES", "LOGO_MAX_SIDE", "branding_update", "check_logo"]

# Extension → the format Pillow must find in the file, and the extension it is stored under.
LOGO_EXTENSIONS = {"png": ("PNG", "png"), "jpg": ("JPEG", "jpg"), "jpeg": ("JPEG", "jpg")}


@dataclass(frozen=True)
class CheckedLogo:
    data: bytes
    sha256: str
    extension: str  # as stored: png or jpg


def _logo_error(message: str) -> ValidationError:
    return ValidationError({"logo": [message]})


def check_logo(upload: UploadedFile) -> CheckedLogo:
    """The upload's bytes and SHA-256 if it is a whole PNG or JPEG within the limits; ValidationError on ``logo``."""
    from PIL import Image, UnidentifiedImageError

    extension = PurePath(upload.name or "").suffix.lower().lstrip(".")
    if extension not in LOGO_EXTENSIONS:
        raise _logo_error("The logo must be a PNG or JPEG file (.png, .jpg or .jpeg).")
    limit = f"{LOGO_MAX_BYTES // (1024 * 1024)} MiB"
    if upload.size is not None and upload.size > LOGO_MAX_BYTES:
        raise _logo_error(f"The logo is {upload.size:,} bytes; the limit is {limit}.")
    chunks, size = [], 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > LOGO_MAX_BYTES:  # the declared size is the client's word: count what arrives
            raise _logo_error(f"The logo is larger than the limit of {limit}.")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise _logo_error("The logo file is empty.")
    image_format, stored_extension = LOGO_EXTENSIONS[extension]
    try:
        with Image.open(io.BytesIO(data)) as image:
            found, (width, height) = image.format, image.size
            if found != image_format:
                raise _logo_error(f"The file's content is not a valid .{extension} image.")
            # Before decoding: a small file can declare a huge canvas (a decompression bomb).
            if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
                raise _logo_error(
                    f"The logo is {width} x {height} pixels; the limit is {LOGO_MAX_SIDE} x {LOGO_MAX_SIDE}."
                )
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() does not decode the pixels; a truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _logo_error(f"The file's content is not a valid .{extension} image.") from None
    return CheckedLogo(data=data, sha256=hashlib.sha256(data).hexdigest(), extension=stored_extension)


def _stored_logo_sha256(organisation: Organisation) -> str | None:
    if not organisation.report_logo:
        return None
    data = stored_logo(organisation)
    # A logo lost from storage is still recorded as replaced: its name is all that is known of it.
    return (
        hashlib.sha256(data).hexdigest() if data is not None else f"missing: {organisation.report_logo.name}"
    )


def branding_update(
    *,
    actor,
    organisation: Organisation,
    classification: str,
    accent_colour: str,
    signoff_roles: list[str],
    logo: UploadedFile | None,
    remove_logo: bool,
) -> Organisation:
    """Set the organisation's report branding; returns the organisation as saved.

    ``logo`` None keeps the stored logo (``remove_logo`` drops it; a new logo wins over ``remove_logo``). An empty
    accent colour means Plumbline's default, no sign-off roles each report kind's own rows. Raises ValidationError
    keyed by ``classification``, ``accent_colour``, ``signoff_roles`` and ``logo``; nothing is saved on error.
    """
    require(actor, organisation, Permission.BRANDING_MANAGE)
    classification = (classification or "").strip()
    accent_colour = (accent_colour or "").strip().lower()
    roles = [str(role).strip() for role in signoff_roles or []]

    errors: dict[str, list[str]] = {}
    for field, messages in (
        ("classification", classification_errors(classification)),
        ("accent_colour", accent_errors(accent_colour)),
        ("signoff_roles", signoff_role_errors(roles)),
    ):
        if messages:
            errors[field] = messages
    checked: CheckedLogo | None = None
    if logo is not None:
        try:
            checked = check_logo(logo)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    stored_name = None
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        changes: dict[str, list[Any]] = {}
        for field, value in (
            ("classification", classification),
            ("report_accent_colour", accent_colour),
            ("report_signoff_roles", roles),
        ):
            if getattr(locked, field) != value:
                changes[field] = [getattr(locked, field), value]
                setattr(locked, field, value)
        old_logo = locked.report_logo.name or ""
        if checked is not None or (remove_logo and old_logo):
            before_sha = _stored_logo_sha256(locked)
            after_sha = checked.sha256 if checked is not None else None
            if before_sha != after_sha:
                changes["report_logo"] = [before_sha, after_sha]
                if checked is None:
                    locked.report_logo = ""
                else:
                    # Named by the service, never by the uploader: no path, no odd characters.
                    name = f"organisation-{locked.pk}-{checked.sha256[:16]}.{checked.extension}"
                    locked.report_logo.save(name, ContentFile(checked.data), save=False)
                    stored_name = locked.report_logo.name
        if not changes:
            return locked
        try:
            locked.save(
                update_fields=[
                    "classification",
                    "report_accent_colour",
                    "report_signoff_roles",
                    "report_logo",
                ]
            )
            record_event(
                organisation=locked,
                actor=actor,
                action=GovernanceAction.BRANDING_UPDATE,
                obj=locked,
                changes=changes,
                object_repr=f"Report branding of {locked.name}",
            )
        except Exception:
            # The new file is on disk; the transaction is not. Do not leave an orphan behind.
            if stored_name:
                locked.report_logo.storage.delete(stored_name)
            raise
        if "report_logo" in changes and old_logo and old_logo != locked.report_logo.name:
            # The audit event keeps the old logo's SHA-256; the file itself is no longer printed anywhere.
            storage = locked.report_logo.storage
            transaction.on_commit(lambda: storage.delete(old_logo))
    return locked
