"""Aggregates of validated ratings, following the 2024 report's conventions.

Every table carries a ``convention`` column that names how it was computed:

- ``pooled``: capability and sector figures pool all country x capability ratings
  (for gaps: all gaps; for change: all recommendations) of the group;
- ``country mean``: a country's overall maturity is the mean of its ratings;
- ``country-sector means``: a region's sector figure is the mean and sample SD of its
  countries' sector means; a region's overall figure is over all its country x sector
  means.

Blank ratings are missing, never 0, and every SD is the sample SD (ddof=1).
"""

from __future__ import annotations

import pandas as pd

from mrc_pipeline.reference import Reference
from mrc_pipeline.stats import correlate, grouped_summary

POOLED = "pooled ratings of all countries; sample SD (ddof=1); blanks excluded"
COUNTRY_MEAN = "mean of the country's capability ratings; blanks excluded"
COUNTRY_SECTOR = ("mean and sample SD of country-level sector means; overall over "
                  "all country x sector means; blanks excluded")

#: Variable -> (table, rating column). ``change`` lives on recommendations.
VARIABLE_SOURCES = {
    "maturity": ("capability_ratings", "maturity"),
    "priority": ("gaps", "priority"),
    "presence": ("gaps", "presence"),
    "change": ("recommendations", "realistic_change"),
}


def with_country(frame: pd.DataFrame, assessments: pd.DataFrame) -> pd.DataFrame:
    """Attach iso3, country and region of each row's assessment."""
    cols = ["assessment_id", "iso3", "country", "region"]
    return frame.merge(assessments[cols], on="assessment_id", how="left", validate="m:1")


def _order_sectors(frame: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    order = {s: i for i, s in enumerate(ref.sector_order)}
    return frame.assign(_o=frame["sector"].map(order)).sort_values(
        [c for c in ("region", "variable") if c in frame] + ["_o"]).drop(columns="_o")


def maturity_by_capability(ratings: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """One row per capability: n, mean and SD of all countries' maturity ratings."""
    out = grouped_summary(ratings, ["capability_no"], "maturity")
    out = ref.capabilities.merge(out, on="capability_no", how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out["convention"] = POOLED
    return out[["capability_no", "capability", "sector", "n", "mean", "sd", "convention"]]


def maturity_by_sector(ratings: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """One row per sector: n, mean and SD of all country x capability ratings in it."""
    out = grouped_summary(ratings, ["sector"], "maturity")
    out = ref.sectors[["sector"]].merge(out, on="sector", how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out["convention"] = POOLED
    return out[["sector", "n", "mean", "sd", "convention"]]


def country_sector_means(tables: dict[str, pd.DataFrame],
                         assessments: pd.DataFrame) -> pd.DataFrame:
    """Long table: assessment x sector x variable -> n ratings and their mean."""
    parts = []
    for variable, (table, column) in VARIABLE_SOURCES.items():
        frame = tables[table]
        s = grouped_summary(frame, ["assessment_id", "sector"], column)
        parts.append(s.assign(variable=variable)[["assessment_id", "sector", "variable",
                                                  "n", "mean"]])
    cells = pd.concat(parts, ignore_index=True)
    return with_country(cells, assessments)


def maturity_by_country(ratings: pd.DataFrame, assessments: pd.DataFrame,
                        ref: Reference) -> pd.DataFrame:
    """One row per assessment: mean maturity over its capabilities, and, labelled,
    the mean of its sector means as an alternative reading."""
    overall = grouped_summary(ratings, ["assessment_id"], "maturity")
    sector = grouped_summary(ratings, ["assessment_id", "sector"], "maturity")
    alt = sector.groupby("assessment_id")["mean"].mean().rename("mean_of_sector_means")
    out = with_country(overall, assessments).merge(alt, on="assessment_id", how="left")
    out["n_missing"] = len(ref.capabilities) - out["n"]
    out["convention"] = COUNTRY_MEAN
    out = out.sort_values("mean", ascending=False, kind="stable")
    return out[["iso3", "country", "region", "assessment_id", "n", "n_missing", "mean",
                "sd", "mean_of_sector_means", "convention"]].reset_index(drop=True)


def regional_summary(cells: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Per region and variable: one row per sector and an overall row, over country-
    level sector means; ``is_highest``/``is_lowest`` mark the extreme sectors (ties
    all marked)."""
    valid = cells.dropna(subset=["mean"])
    by_sector = grouped_summary(valid, ["region", "variable", "sector"], "mean")
    by_sector["scope"] = "sector"
    overall = grouped_summary(valid, ["region", "variable"], "mean")
    overall["scope"] = "overall"
    overall["sector"] = None
    out = pd.concat([overall, by_sector], ignore_index=True)
    sec = out["scope"] == "sector"
    grp = out[sec].groupby(["region", "variable"])["mean"]
    out["is_highest"] = False
    out["is_lowest"] = False
    out.loc[sec, "is_highest"] = out.loc[sec, "mean"].round(12) == grp.transform("max").round(12)
    out.loc[sec, "is_lowest"] = out.loc[sec, "mean"].round(12) == grp.transform("min").round(12)
    out["convention"] = COUNTRY_SECTOR
    order = {v: i for i, v in enumerate(VARIABLE_SOURCES)}
    sector_order = {s: i for i, s in enumerate(ref.sector_order)}
    out = out.assign(_v=out["variable"].map(order),
                     _s=out["sector"].map(sector_order).fillna(-1))
    out = out.sort_values(["region", "_v", "_s"]).drop(columns=["_v", "_s"])
    return out[["region", "variable", "scope", "sector", "n", "mean", "sd", "is_highest",
                "is_lowest", "convention"]].reset_index(drop=True)


def maturity_by_region(cells: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Per region: maturity by sector and overall over country-level sector means."""
    out = regional_summary(cells[cells["variable"] == "maturity"], ref)
    return out.drop(columns="variable")


def gap_ratings_by_sector(tables: dict[str, pd.DataFrame], cells: pd.DataFrame,
                          ref: Reference) -> pd.DataFrame:
    """Priority, presence and realistic change per sector: globally pooled over all
    gaps (recommendations for change), and per region over country-sector means."""
    parts = []
    for variable, (table, column) in VARIABLE_SOURCES.items():
        if variable == "maturity":
            continue
        g = grouped_summary(tables[table], ["sector"], column)
        parts.append(g.assign(scope="global", region=None, variable=variable,
                              convention=POOLED))
    regional = regional_summary(cells[cells["variable"] != "maturity"], ref)
    regional = regional[regional["scope"] == "sector"].assign(scope="region",
                                                               convention=COUNTRY_SECTOR)
    out = pd.concat(parts + [regional], ignore_index=True)
    sector_order = {s: i for i, s in enumerate(ref.sector_order)}
    var_order = {"priority": 0, "presence": 1, "change": 2}
    out = out.assign(_a=out["scope"].map({"global": 0, "region": 1}),
                     _r=out["region"].fillna(""), _v=out["variable"].map(var_order),
                     _s=out["sector"].map(sector_order))
    out = out.sort_values(["_a", "_r", "_v", "_s"]).drop(columns=["_a", "_r", "_v", "_s"])
    return out[["scope", "region", "variable", "sector", "n", "mean", "sd",
                "convention"]].reset_index(drop=True)


#: Pairs of variables correlated, at the report's unit (country x sector means).
CORRELATION_PAIRS = (("maturity", "presence"), ("maturity", "change"))
CORRELATION_UNIT = "country x sector (means of each assessment's ratings in a sector)"


def correlations(cells: pd.DataFrame) -> pd.DataFrame:
    """Pearson r, p and 95% CI and Spearman rho of maturity with presence and with
    realistic change, one pair per country x sector cell with both means present."""
    wide = cells.pivot_table(index=["assessment_id", "sector"], columns="variable",
                             values="mean", aggfunc="first")
    rows = []
    for x, y in CORRELATION_PAIRS:
        xs = wide[x] if x in wide else pd.Series(dtype=float)
        ys = wide[y] if y in wide else pd.Series(dtype=float)
        rows.append(correlate(xs, ys, x_name=x, y_name=y, unit=CORRELATION_UNIT).as_dict())
    return pd.DataFrame(rows)


def assessments_catalogue(infos: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per validated assessment with the counts of what it holds."""
    out = infos.copy()
    caps = tables["capability_ratings"]
    counts = {
        "capabilities_rated": caps.dropna(subset=["maturity"]).groupby("assessment_id").size(),
        "gaps": tables["gaps"].groupby("assessment_id").size(),
        "gaps_priority_rated": tables["gaps"].dropna(subset=["priority"]).groupby(
            "assessment_id").size(),
        "gaps_presence_rated": tables["gaps"].dropna(subset=["presence"]).groupby(
            "assessment_id").size(),
        "recommendations": tables["recommendations"].groupby("assessment_id").size(),
    }
    for name, series in counts.items():
        out[name] = out["assessment_id"].map(series).fillna(0).astype(int)
    return out.sort_values("assessment_id").reset_index(drop=True)
