"""How numbers are shown in figures and the report: the only place values are rounded.

Stored tables and exports keep full precision; these helpers round half up (2.345 ->
2.35) for display only, and show a missing value as an en dash.
"""

from __future__ import annotations

import pandas as pd

from mrc_pipeline.stats import round_half_up

MISSING = "\u2013"


def is_missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def fmt(value: object, decimals: int = 2) -> str:
    """A number rounded half up to ``decimals`` places, or an en dash when missing."""
    if is_missing(value):
        return MISSING
    return f"{round_half_up(float(value), decimals):.{decimals}f}"


def format_p(p: object) -> str:
    """``p = 0.010``, ``p < 0.001``, or ``p not computed`` when missing."""
    if is_missing(p):
        return "p not computed"
    return "p < 0.001" if float(p) < 0.001 else f"p = {float(p):.3f}"
