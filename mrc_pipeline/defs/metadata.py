"""Materialisation metadata: row counts and a short preview the UI renders."""

from __future__ import annotations

import math

import pandas as pd
from dagster import MetadataValue


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace("|", "\\|").replace("\n", " ")[:60]


def markdown_preview(frame: pd.DataFrame, rows: int = 10) -> str:
    """A markdown table of the first ``rows`` rows (full precision stays in the data)."""
    head = frame.head(rows)
    lines = ["| " + " | ".join(map(str, head.columns)) + " |",
             "|" + "---|" * len(head.columns)]
    for rec in head.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in rec) + " |")
    if len(frame) > rows:
        lines.append(f"\n{len(frame) - rows} more rows")
    return "\n".join(lines)


def table_metadata(frame: pd.DataFrame, **extra: object) -> dict[str, object]:
    meta: dict[str, object] = {
        "dagster/row_count": len(frame),
        "preview": MetadataValue.md(markdown_preview(frame)),
    }
    meta.update(extra)
    return meta
