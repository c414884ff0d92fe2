"""Sentences generated from the prioritisation tables, so a changed rating changes the
text. Internal sentences name countries and gaps; the public ones are built from the
public tables only (aggregates over at least k countries)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from mrc_pipeline.priorities import QUADRANTS, RATED_QUADRANTS, SECTOR_VARIABLES
from mrc_pipeline.reference import Reference
from mrc_pipeline.stats import round_half_up

VARIABLE_PHRASES = {"priority": "gap priority", "presence": "presence",
                    "change": "realistic change"}


def join_words(items: Iterable[str]) -> str:
    items = [str(i) for i in items]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _level(value: object, ref: Reference, scale: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "not rated"
    names = ref.level_names(scale)
    level = int(value)
    return f"{level} {names.get(level, '').lower()}".strip()


def _gap_phrase(row: pd.Series, ref: Reference) -> str:
    text = str(row["description"]).rstrip(".") if pd.notna(row["description"]) else ""
    label = f"{row['gap_id']}" + (f" \u201c{text}\u201d" if text else "")
    return (f"{label} ({row['sector']}; {row['quadrant']}: priority "
            f"{_level(row['priority'], ref, 'priority')}, change "
            f"{_level(row['realistic_change'], ref, 'change')}, presence "
            f"{_level(row['presence'], ref, 'presence')})")


def _counts_phrase(counts: pd.Series, quadrants: Iterable[str]) -> list[str]:
    return [f"{int(counts[q])} {q}" for q in quadrants if counts.get(q, 0)]


def assessment_sentence(rows: pd.DataFrame, ref: Reference, top: int = 3) -> str:
    """The top ``top`` ranked gaps of one assessment and how its gaps divide among the
    quadrants; unrated gaps are counted, with the rating they lack."""
    first = rows.iloc[0]
    who = f"{first['country']} ({first['assessment_id']})"
    ranked = rows.dropna(subset=["rank"]).sort_values("rank")
    counts = rows["quadrant"].value_counts()
    rated = _counts_phrase(counts, RATED_QUADRANTS)
    unrated = _counts_phrase(counts, [q for q in QUADRANTS if q not in RATED_QUADRANTS])
    if ranked.empty:
        lead = f"{who}: none of its {len(rows)} gaps can be ranked"
    else:
        items = [_gap_phrase(r, ref) for _, r in ranked.head(top).iterrows()]
        lead = f"{who}: first {join_words(items)}"
    parts = [lead]
    if rated:
        parts.append(f"of its {len(rows)} gaps, {join_words(rated)}")
    if unrated:
        parts.append(f"{sum(int(counts[q]) for q in QUADRANTS[4:] if counts.get(q, 0))} "
                     "are not ranked (" + join_words(u.replace("unrated: ", "")
                                                     for u in unrated) + ")")
    return "; ".join(parts) + "."


def assessment_sentences(gap_priorities: pd.DataFrame, ref: Reference,
                         top: int = 3) -> list[str]:
    """One sentence per assessment, in assessment id order."""
    return [assessment_sentence(rows, ref, top)
            for _, rows in gap_priorities.groupby("assessment_id", sort=True)]


def _sector_list(frame: pd.DataFrame, variable: str, mean: str, rank: str) -> str:
    rows = frame.dropna(subset=[rank]).sort_values(rank, kind="stable")
    best = rows[rows[rank] <= rows[rank].head(3).max()] if len(rows) else rows
    return join_words(f"{r['sector']} ({round_half_up(float(r[mean]), 2):.2f})"
                      for _, r in best.iterrows())


def sector_sentence(priorities: pd.DataFrame, scope: str, region: str | None,
                    label: str) -> str:
    """Where the means of priority, presence and realistic change are highest, from
    the wide ``sector_priorities`` (internal) table."""
    rows = priorities[priorities["scope"] == scope]
    if region is not None:
        rows = rows[rows["region"] == region]
    parts = []
    for variable in SECTOR_VARIABLES:
        listed = _sector_list(rows, variable, f"{variable}_mean", f"{variable}_rank")
        if listed:
            parts.append(f"{VARIABLE_PHRASES[variable]} is highest in {listed}")
    if not parts:
        return f"{label}: no sector has ratings."
    return f"{label}: " + "; ".join(parts) + "."


def public_sector_sentence(long: pd.DataFrame, scope: str, region: str | None,
                           label: str) -> str:
    """As :func:`sector_sentence`, from the public long ``sector_priorities``."""
    rows = long[long["scope"] == scope]
    if region is not None:
        rows = rows[rows["region"] == region]
    parts = []
    for variable in SECTOR_VARIABLES:
        listed = _sector_list(rows[rows["variable"] == variable], variable, "mean", "rank")
        if listed:
            parts.append(f"{VARIABLE_PHRASES[variable]} is highest in {listed}")
    if not parts:
        return f"{label}: no sector figure covers enough countries to be shown."
    return f"{label}: " + "; ".join(parts) + "."


def quadrant_sentence(quadrants: pd.DataFrame, k: int) -> str:
    """How the gaps of all regions divide among the quadrants (public table)."""
    glob = quadrants[quadrants["scope"] == "global"]
    counts = glob.set_index("quadrant")["n_gaps"]
    shown = _counts_phrase(counts, QUADRANTS)
    if not shown:
        return "No quadrant count covers enough countries to be shown."
    missing = [q for q in QUADRANTS if q not in counts.index]
    text = f"Across all regions, the gaps divide into {join_words(shown)}"
    if missing:
        text += (f"; a quadrant without a figure has no gaps or fewer than {k} countries "
                 "behind it")
    return text + "."

