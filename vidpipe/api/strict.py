"""Strict, total parsing of what arrives as text: path segments, query values, form fields.

Python and pydantic read numbers leniently (`" 1"`, `"1.0"`, `"1_0"`, `"²"`, `"inf"`, 5,000
digits); a door reads only plain ASCII decimal of a bounded length, so every such input is a
clear 4xx, never a surprise value or a 500 (int() of 5,000 digits raises, SQLite overflows on
20).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

INTEGER = re.compile(r"[0-9]{1,18}")
DECIMAL = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9})?|\.[0-9]{1,9}")
NOT_DIGITS = "must be a whole number written in plain decimal digits (at most 18)"
NOT_DECIMAL = "must be a plain decimal number, like 4 or 2.5"


def _digits_only(value: Any) -> Any:
    if isinstance(value, str) and not INTEGER.fullmatch(value):
        raise ValueError(NOT_DIGITS)
    return value


# After a path or query int's Path(...)/Query(...): `Annotated[int, Path(...), Digits]`.
Digits = BeforeValidator(_digits_only)
DigitsInt = Annotated[int, Digits]


# A JSON number, the only spelling the API's description promises for a query float.
JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][-+]?[0-9]{1,3})?")


def _json_number_only(value: Any) -> Any:
    if isinstance(value, str) and not JSON_NUMBER.fullmatch(value):
        raise ValueError("must be a number, like 4 or 2.5")
    return value


# After a query float's Query(...): `Annotated[float, Query(...), Decimal]` (validators after
# the parameter, so that its bounds stay in the OpenAPI description).
Decimal = BeforeValidator(_json_number_only)


def whole_number(text: str | None) -> int | None:
    """Plain decimal digits as an int; None for anything else (signs, spaces, `²`, 10+ digits)."""
    return int(text) if text is not None and INTEGER.fullmatch(text) else None


def decimal(text: str) -> float:
    """A form's number: plain decimal only; ValueError for `1_0`, `nan`, `inf`, `1e3`, `²`."""
    value = text.strip()
    if not DECIMAL.fullmatch(value):
        raise ValueError(NOT_DECIMAL)
    number = float(value)
    if not math.isfinite(number):  # cannot happen with the pattern; kept as the last word
        raise ValueError(NOT_DECIMAL)
    return number


def is_decimal(text: str) -> bool:
    try:
        decimal(text)
    except ValueError:
        return False
    return True
