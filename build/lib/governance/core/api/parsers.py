"""The API's JSON parser: DRF's, refusing what would otherwise only fail deep inside as a 500.

NUL characters cannot be stored by PostgreSQL (neither in text columns nor in jsonb) and break lookups, so a body
containing one is refused up front with a 400 naming the top-level field. Numbers no float can hold (1e400 parses
to infinity, which ids and float fields turn into OverflowError) and JSON nested too deeply for Python's parser
are malformed bodies like any other (400), not crashes.
"""

import codecs
import math
import sys
from typing import Any

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

NUL_MESSAGE = "Remove the NUL character (\\u0000): it cannot be stored."


def contains_nul(value: Any) -> bool:
    """True when a string anywhere in ``value`` (keys included) has a NUL character."""
    pending = [value]
    while pending:  # iterative: the parser already accepted as deep a nesting as Python's stack allows
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"Out of range float values are not JSON compliant: {text[:40]}")
    return value


def _float_sized_int(text: str) -> int:
    value = int(text)
    if abs(value) > sys.float_info.max:
        raise ValueError(f"Integer out of range: {text[:40]}...")
    return value


class StorableJSONParser(JSONParser):
    """JSON bodies whose every number a float holds and whose every string the database can store."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        reader = codecs.getreader(get_encoding(parser_context or {}))(stream)
        try:
            data = json.load(
                reader,
                parse_constant=json.strict_constant if self.strict else None,
                parse_float=_finite_float,
                parse_int=_float_sized_int,
            )
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        if isinstance(data, dict):
            errors = {
                key if not contains_nul(key) else "non_field_errors": [NUL_MESSAGE]
                for key, value in data.items()
                if contains_nul(key) or contains_nul(value)
            }
        else:
            errors = {"non_field_errors": [NUL_MESSAGE]} if contains_nul(data) else {}
        if errors:
            raise ValidationError(errors)
        return data
