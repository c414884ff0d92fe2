"""The June 2024 report's published figures, set beside the computed ones."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from mrc_pipeline.stats import round_half_up

#: Published precision of every figure in ``data/published``.
DECIMALS = 2

COLUMNS = ["table", "row", "statistic", "published", "computed", "difference",
           "equal_at_published_precision", "note"]


def load_published(data_dir: Path) -> dict[str, pd.DataFrame]:
    folder = Path(data_dir) / "published"
    return {p.stem: pd.read_csv(p) for p in sorted(folder.glob("*.csv"))}


def _row(table: str, row: str, statistic: str, published: float, computed: float,
         note: str = "") -> dict:
    published = float(published)
    computed = float(computed) if computed is not None else math.nan
    equal = (not math.isnan(computed)) and round_half_up(computed, DECIMALS) == round(
        published, DECIMALS)
    return {"table": table, "row": row, "statistic": statistic, "published": published,
            "computed": computed, "difference": computed - published,
            "equal_at_published_precision": bool(equal), "note": note}


def compare(published: dict[str, pd.DataFrame], computed: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every published number beside its computed counterpart (NaN where none exists)."""
    rows: list[dict] = []
    cap = computed["maturity_by_capability"].set_index("capability_no")
    for r in published["maturity_by_capability_global"].itertuples():
        for stat in ("mean", "sd"):
            rows.append(_row("Table 4 maturity by capability", f"{r.capability_no} "
                             f"{r.capability}", stat, getattr(r, stat),
                             cap.loc[r.capability_no, stat]))
    sec = computed["maturity_by_sector"].set_index("sector")
    for r in published["maturity_by_sector_global"].itertuples():
        for stat in ("mean", "sd"):
            rows.append(_row("Table 3 maturity by sector", r.sector, stat,
                             getattr(r, stat), sec.loc[r.sector, stat]))
    # A country assessed in several rounds is compared on its earliest round.
    by_country = computed["maturity_by_country"].sort_values("assessment_id")
    rounds = by_country.groupby("country")["assessment_id"].agg(list)
    country = by_country.drop_duplicates("country").set_index("country")
    for r in published["country_maturity_means"].dropna(subset=["mean"]).itertuples():
        value = country["mean"].get(r.country, math.nan)
        ids = rounds.get(r.country, [])
        note = (f"{len(ids)} rounds; compared: {ids[0]}" if len(ids) > 1 else "")
        rows.append(_row("Country maturity means (text)", r.country, "mean", r.mean,
                         value, note))
    gaps = computed["gap_ratings_by_sector"]
    glob = gaps[gaps["scope"] == "global"].set_index(["variable", "sector"])
    for r in published["gaps_by_sector_global"].itertuples():
        for variable in ("priority", "presence", "change"):
            for stat in ("mean", "sd"):
                key = (variable, r.sector)
                value = glob.loc[key, stat] if key in glob.index else math.nan
                rows.append(_row("Table 3 gap analysis by sector", r.sector,
                                 f"{variable} {stat}", getattr(r, f"{variable}_{stat}"),
                                 value))
    reg = computed["regional_summary"]
    for r in published["regional_summary"].itertuples():
        sub = reg[(reg.region == r.region) & (reg.variable == r.variable)]
        if r.scope == "overall":
            match = sub[sub.scope == "overall"]
            label, note = f"{r.region} {r.variable} overall", ""
        else:
            match = sub[(sub.scope == "sector") & (sub.sector == r.sector)]
            flag = "is_highest" if r.scope.startswith("highest") else "is_lowest"
            agrees = bool(len(match)) and bool(match[flag].iloc[0])
            label = f"{r.region} {r.variable} {r.scope}: {r.sector}"
            note = ("computed ranking agrees" if agrees else
                    "computed ranking differs: " + ", ".join(sub[sub[flag]]["sector"]))
        for stat in ("mean", "sd"):
            value = match[stat].iloc[0] if len(match) else math.nan
            rows.append(_row("Regional summary", label, stat, getattr(r, stat), value,
                             note))
    corr = computed["correlations"].set_index("y")
    names = {"ICMEC presence": "presence", "realistic level of change": "change"}
    for r in published["correlations"].itertuples():
        y = names.get(r.y, r.y)
        value = corr.loc[y, "pearson_r"] if y in corr.index else math.nan
        n = int(corr.loc[y, "n"]) if y in corr.index else 0
        rows.append(_row("Correlations", f"{r.x} vs {r.y}", "pearson r", r.r, value,
                         f"n = {n} country x sector cells"))
    return pd.DataFrame(rows, columns=COLUMNS)
