"""Generated odd values for the numeric colorize options (model.options): what each must refuse or take.

Shared by the service's tests (Flask test client) and the gateway's (a real gateway
process in front of gunicorn), so both are held to the same values.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from hypothesis import strategies as st

from model.options import COLORIZE_OPTIONS, Option

NUMERIC_OPTIONS = tuple(option for option in COLORIZE_OPTIONS if option.kind in ("integer", "number"))

# What a red team sends: too many digits, non-finite spellings, other bases, other digit sets,
# separators, and an exponent that overflows a float.
ODD_TEXTS = (
    "9999999999999999999999999999",
    "9" * 5000,
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "1e400",
    "-1e400",
    "1e99999999999",
    "-0x10",
    "0x40",
    "0b1",
    "0o7",
    "1_000",
    "\u0666\u0664",  # Arabic-Indic "64"
    "\uff16\uff14",  # full-width "64"
    "64\x00",
    "6 4",
    "--1",
    "+-1",
    "+",
    ".",
    "e5",
    "1e",
    "1.5.1",
    "0,5",
    "1/2",
    "None",
    "true",
    "[1]",
    '"1"',
)

_PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+")
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def within_bounds(option: Option, text: str) -> bool:
    """Whether `text` is a plain number of the option's kind inside its bounds (the documented contract)."""
    text = text.strip()
    pattern = _PLAIN_INTEGER if option.kind == "integer" else _PLAIN_DECIMAL
    if not pattern.fullmatch(text):
        return False
    try:
        value = Decimal(text)
    except InvalidOperation:
        return False
    low, high = option.bounds
    return Decimal(str(low)) <= value <= Decimal(str(high))


def bad_values(option: Option) -> st.SearchStrategy[str]:
    """Texts the option must refuse with 422 invalid_parameter."""
    low, high = option.bounds
    return st.one_of(
        st.sampled_from(ODD_TEXTS),
        st.integers().filter(lambda number: not low <= number <= high).map(str),
        st.integers(min_value=10**20, max_value=10**400).map(lambda number: str(number * (1 if number % 2 else -1))),
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda number: not low <= number <= high).map(repr),
        # Inside the bounds but not an integer: wrong for an integer option.
        *(
            [st.floats(low, high).filter(lambda number: not number.is_integer()).map(repr)]
            if option.kind == "integer"
            else []
        ),
    )


def good_values(option: Option) -> st.SearchStrategy[str]:
    """Texts the option must take."""
    low, high = option.bounds
    if option.kind == "integer":
        return st.integers(int(low), int(high)).map(str) | st.integers(int(low), int(high)).map(lambda n: f"+{n:05d}")
    return st.floats(low, high).map(repr) | st.integers(int(low), int(high)).map(str)


def any_text() -> st.SearchStrategy[str]:
    """Arbitrary text that a query string or a form field can carry."""
    return st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


def bad_coordinates() -> st.SearchStrategy[str]:
    """Hint coordinates (as JSON number text, or not a number at all) that are not 0..1."""
    return st.one_of(
        st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "9" * 5000, '"0.5"', "null", "true", "[]"]),
        st.integers().filter(lambda number: number not in (0, 1)).map(str),
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda number: not 0 <= number <= 1).map(repr),
    )
