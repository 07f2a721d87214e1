"""Report branding rules: what an organisation's classification line, accent colour and sign-off roles may be, and
the palette a report is printed in.

Pure functions: ``governance.services.branding`` checks an administrator's input with them, and the PDF pipeline
(``governance.reports.render``) checks the stored values again before they reach a report's CSS, so a value
changed behind the service's back prints the default instead of breaking the stylesheet.
"""

import math
import re
from dataclasses import dataclass

MAX_CLASSIFICATION = 120
MAX_SIGNOFF_ROLES = 6
MAX_ROLE_LENGTH = 80
# WCAG 2's minimum for large text and graphical objects: headings and rules are printed in the accent colour on
# white paper, and a pale accent also fails on a greyscale printer.
MIN_CONTRAST = 3.0
ACCENT_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")

# The share of white mixed into the accent for the lighter colours of the palette.
RULE_WHITE = 0.55
GROUP_WHITE = 0.80
TINT_WHITE = 0.88

RGB = tuple[int, int, int]


def parse_colour(value: object) -> RGB | None:
    """The (red, green, blue) of a ``#RRGGBB`` string; None for anything else."""
    if not isinstance(value, str) or not ACCENT_PATTERN.fullmatch(value):
        return None
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def hex_colour(rgb: RGB) -> str:
    """``#rrggbb``, built from numbers: the only form a colour reaches a stylesheet in."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2's relative luminance of an sRGB colour (0 for black, 1 for white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: RGB, second: RGB) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def contrast_on_white(rgb: RGB) -> float:
    return contrast_ratio(rgb, (255, 255, 255))


def _has_control_character(value: str) -> bool:
    # One line of print: a line break or a control character would break the footer or the sign-off table.
    return any(ord(character) < 32 or ord(character) == 127 for character in value)


def classification_errors(value: str) -> list[str]:
    if not value:
        return ["Give the classification line printed on every page, e.g. “Confidential — internal use”."]
    if len(value) > MAX_CLASSIFICATION:
        return [
            f"The classification line is limited to {MAX_CLASSIFICATION} characters ({len(value)} given)."
        ]
    if _has_control_character(value):
        return ["The classification line must be one line of text, without control characters."]
    return []


def accent_errors(value: str) -> list[str]:
    """What is wrong with an accent colour (empty: fine, and an empty value means Plumbline's default)."""
    if not value:
        return []
    rgb = parse_colour(value)
    if rgb is None:
        return [
            "Give the colour as # and six hexadecimal digits, e.g. #1f4e79, or leave it empty for the default."
        ]
    ratio = contrast_on_white(rgb)
    if ratio < MIN_CONTRAST:
        # Rounded down: a ratio of 2.996 must not read as the 3.00 it fails to reach.
        shown = math.floor(ratio * 100) / 100
        return [
            f"{value} has a contrast ratio of {shown:.2f}:1 against white; headings need at least "
            f"{MIN_CONTRAST:g}:1 to stay readable. Choose a darker colour."
        ]
    return []


def signoff_role_errors(roles: list[str]) -> list[str]:
    """What is wrong with a list of sign-off roles (an empty list is fine: each report kind's own rows)."""
    errors = []
    if len(roles) > MAX_SIGNOFF_ROLES:
        errors.append(f"A report has at most {MAX_SIGNOFF_ROLES} sign-off roles ({len(roles)} given).")
    if any(not role for role in roles):
        errors.append("A sign-off role cannot be empty.")
    long = [role for role in roles if len(role) > MAX_ROLE_LENGTH]
    if long:
        errors.append(f"Each role is limited to {MAX_ROLE_LENGTH} characters: “{long[0][:40]}…” is longer.")
    if any(_has_control_character(role) for role in roles):
        errors.append("Each role must be one line of text, without control characters.")
    seen: set[str] = set()
    for role in roles:
        key = role.casefold()
        if key in seen:
            errors.append(f"“{role}” is listed twice.")
            break
        seen.add(key)
    return errors


def printable_signoff_roles(value: object) -> tuple[str, ...]:
    """The stored roles if they pass the rules, else none (the report kind's own rows print instead)."""
    if not isinstance(value, list) or not all(isinstance(role, str) for role in value):
        return ()
    roles = [role.strip() for role in value]
    return () if signoff_role_errors(roles) else tuple(roles)


@dataclass(frozen=True)
class Palette:
    """The colours a report is printed in, each ``#rrggbb``."""

    heading: str  # headings, key figures
    rule: str  # rules under headings, figure borders
    group: str  # group rows of tables
    tint: str  # table header cells


def _towards_white(rgb: RGB, share: float) -> RGB:
    return tuple(round(channel + (255 - channel) * share) for channel in rgb)  # type: ignore[return-value]


def palette(accent: object) -> Palette | None:
    """The palette of an accent colour that passes the rules; None for the default (empty or failing values)."""
    rgb = parse_colour(accent)
    if rgb is None or contrast_on_white(rgb) < MIN_CONTRAST:
        return None
    return Palette(
        heading=hex_colour(rgb),
        rule=hex_colour(_towards_white(rgb, RULE_WHITE)),
        group=hex_colour(_towards_white(rgb, GROUP_WHITE)),
        tint=hex_colour(_towards_white(rgb, TINT_WHITE)),
    )
