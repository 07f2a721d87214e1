"""Checks every write service makes of what it is given, before its own rules."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError


def refuse_unknown_fields(data: dict[str, Any], allowed: Iterable[str]) -> None:
    """A field the service does not set from input (a typo, or a derived or protected one) is a field error,
    never silently dropped or set."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({field: ["This field cannot be set."] for field in sorted(unknown)})
