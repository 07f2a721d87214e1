"""Report branding reads: an organisation's stored report logo, for the settings page and the PDF cover."""

import logging
from pathlib import PurePath

from governance.models import Organisation

logger = logging.getLogger(__name__)

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 4000  # pixels, either way
LOGO_CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
# How a stored logo's first bytes name its format: the file name alone is not trusted at render time.
LOGO_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def logo_content_type(name: str) -> str:
    """The content type a stored logo is served with, from its extension (set by the service, never the user)."""
    return LOGO_CONTENT_TYPES.get(PurePath(name).suffix.lower().lstrip("."), "application/octet-stream")


def sniff_logo_type(data: bytes) -> str | None:
    """``image/png`` or ``image/jpeg`` from the content's signature; None for anything else."""
    return next((kind for magic, kind in LOGO_MAGIC.items() if data.startswith(magic)), None)


def stored_logo(organisation: Organisation) -> bytes | None:
    """The organisation's logo as stored, or None: no logo, missing from storage, or larger than any upload may be.

    Read to at most one byte past the upload limit, so a file swapped in storage cannot make a report hold an
    unbounded amount in memory.
    """
    if not organisation.report_logo:
        return None
    try:
        with organisation.report_logo.open("rb") as handle:
            data = handle.read(LOGO_MAX_BYTES + 1)
    except OSError:
        logger.warning(
            "The report logo %s of organisation %s is missing.",
            organisation.report_logo.name,
            organisation.pk,
        )
        return None
    if len(data) > LOGO_MAX_BYTES:
        logger.warning(
            "The report logo of organisation %s is larger than %s bytes.", organisation.pk, LOGO_MAX_BYTES
        )
        return None
    return data
