"""Turning what a field officer typed into a rating level, or a precise complaint."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass

#: Cell contents that mean "not rated" (after normalisation).
NOT_RATED = frozenset({"", "n/a", "na", "-", "no aplica", "n.a.", "no aplicable", "—", "–"})

_SPACES = re.compile(r"\s+")


def normalise_label(text: object) -> str:
    """Lower-case, strip accents and collapse all whitespace (non-breaking too)."""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return _SPACES.sub(" ", s.replace("\u00a0", " ")).strip().casefold()


@dataclass(frozen=True)
class Parsed:
    """A rating cell read: ``level`` is None when not rated; ``error`` says what went wrong."""

    level: int | None
    error: str | None = None


def _show_date(value: dt.date | dt.datetime | dt.time) -> str:
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat()


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def parse_rating(value: object, scale: str, lookup: dict[str, int],
                 bounds: tuple[int, int]) -> Parsed:
    """Map a cell to a level of ``scale``.

    Numbers (also as text, with a decimal comma), labels in English or Spanish and the
    not-rated markers are accepted. Non-integers are errors, never rounded; 0 is an
    error because a blank means not rated.
    """
    lo, hi = bounds
    expected = f"a whole number {lo}-{hi}, a {scale} label or blank"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Parsed(None)
    if isinstance(value, bool):
        return Parsed(None, f"found TRUE/FALSE, expected {expected}")
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return Parsed(None, f"found a date ({_show_date(value)}; is the cell formatted as "
                      f"a date?), expected {expected}")
    if isinstance(value, (int, float)):
        number: float | None = float(value)
        shown = repr(value)
    else:
        text = normalise_label(value)
        if text in NOT_RATED:
            return Parsed(None)
        if text in lookup:
            return Parsed(lookup[text])
        number = _number(text)
        shown = f"'{str(value).strip()}'"
        if number is None:
            return Parsed(None, f"unknown {scale} label {shown}, expected {expected}")
    if number == 0:
        return Parsed(None, f"found {shown}, expected {expected} (leave the cell blank when "
                      "not rated)")
    if not float(number).is_integer():
        return Parsed(None, f"found {shown}, a non-integer; expected {expected}")
    if not lo <= number <= hi:
        return Parsed(None, f"found {shown}, out of range; expected {expected}")
    return Parsed(int(number))
