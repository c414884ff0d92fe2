"""Prioritisation of gaps (per assessment) and of sectors (per region and globally).

``gap_priorities``: every gap with its priority and presence ratings and the realistic
change of the recommendations that address it (``recommendations.gap_id`` ->
``gaps.gap_id`` within the same assessment), aggregated by a stated rule (max or
mean of the rated recommendations). Each gap falls in one quadrant:

- ``act now``: urgent, changeable, and the organisation is present;
- ``build presence``: urgent and changeable, but the organisation is weak or absent;
- ``advocate``: urgent, but change is not realistic;
- ``monitor``: not urgent;
- ``unrated: ...``: the rating the rule needs is missing (priority; realistic change,
  or no recommendation addresses the gap; presence). Unrated gaps are reported as
  such, never scored as 0, and get no rank.

Within an assessment gaps are ranked by quadrant (in the order above), then by a
score, the weighted sum of priority, realistic change and presence each rescaled to
0-1 on its scale; ties by higher priority, then gap id. The thresholds, the change
rule and the weights are a :class:`PriorityRules`.

``sector_priorities``: per region and globally, sectors ranked by mean priority,
presence and realistic change, the three rankings side by side; the means follow
``gap_ratings_by_sector`` (global: pooled ratings; region: country-sector means).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from mrc_pipeline import aggregate
from mrc_pipeline.reference import Reference

log = logging.getLogger("mrc_pipeline")

ACT_NOW = "act now"
BUILD_PRESENCE = "build presence"
ADVOCATE = "advocate"
MONITOR = "monitor"
UNRATED_PRIORITY = "unrated: priority missing"
NO_RECOMMENDATION = "unrated: no recommendation addresses the gap"
UNRATED_CHANGE = "unrated: realistic change missing"
UNRATED_PRESENCE = "unrated: presence missing"

#: Quadrants in rank order; the unrated ones are listed last and never ranked.
QUADRANTS: tuple[str, ...] = (ACT_NOW, BUILD_PRESENCE, ADVOCATE, MONITOR,
                              UNRATED_PRIORITY, NO_RECOMMENDATION, UNRATED_CHANGE,
                              UNRATED_PRESENCE)
RATED_QUADRANTS: tuple[str, ...] = QUADRANTS[:4]

ChangeRule = Literal["max", "mean"]

#: Scale of each rating the score uses: (scale name in the reference, column).
SCORED = (("priority", "priority"), ("change", "realistic_change"),
          ("presence", "presence"))


@dataclass(frozen=True)
class PriorityRules:
    """Thresholds, change rule and score weights of the gap prioritisation.

    Defaults: a gap is urgent at priority 4 (harmful) or 5 (urgent); changeable when
    the realistic change of its recommendations is 3 (moderate) or more; the
    organisation is present at presence 3 (regular) or 4 (wide). A gap addressed by
    several recommendations takes the highest of their ratings (``max``: one
    realistic route suffices); ``mean`` is the stricter alternative.
    """

    urgent_priority: int = 4
    changeable_change: int = 3
    present_presence: int = 3
    change_rule: ChangeRule = "max"
    priority_weight: float = 0.5
    change_weight: float = 0.3
    presence_weight: float = 0.2

    def check(self, ref: Reference) -> None:
        """Raise ValueError naming the setting when a threshold or weight is invalid."""
        for name, scale in (("urgent_priority", "priority"),
                            ("changeable_change", "change"),
                            ("present_presence", "presence")):
            lo, hi = ref.scale_bounds(scale)
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ValueError(f"{name} = {value} is outside the {scale} scale "
                                 f"({lo}-{hi})")
        if self.change_rule not in ("max", "mean"):
            raise ValueError(f"change_rule = {self.change_rule!r}; expected 'max' or "
                             "'mean'")
        weights = self.weights
        if any(w < 0 or math.isnan(w) for w in weights.values()) or not sum(
                weights.values()):
            raise ValueError(f"score weights must be non-negative and not all 0, got "
                             f"{weights}")

    @classmethod
    def of_table(cls, frame: pd.DataFrame) -> PriorityRules:
        """The thresholds and change rule a ``gap_priorities`` table was built with
        (weights are not stored in columns and take their defaults)."""
        if frame.empty:
            return cls()
        row = frame.iloc[0]
        return cls(urgent_priority=int(row["urgent_at"]),
                   changeable_change=int(row["changeable_at"]),
                   present_presence=int(row["present_at"]),
                   change_rule=str(row["change_rule"]))

    @property
    def weights(self) -> dict[str, float]:
        return {"priority": self.priority_weight, "change": self.change_weight,
                "presence": self.presence_weight}

    def describe(self) -> str:
        """The rule in one line, as stored in every row of ``gap_priorities``."""
        w = self.weights
        return (f"urgent: priority >= {self.urgent_priority}; changeable: realistic "
                f"change ({self.change_rule} over the gap's rated recommendations) >= "
                f"{self.changeable_change}; present: presence >= "
                f"{self.present_presence}; score = {w['priority']:g}*priority + "
                f"{w['change']:g}*change + {w['presence']:g}*presence, each rescaled to "
                "0-1 on its scale; rank by quadrant, then score, priority, gap id; "
                "unrated gaps are not scored or ranked")


def classify(priority: float | None, change: float | None, presence: float | None,
             n_recommendations: int, rules: PriorityRules) -> str:
    """The quadrant of one gap; a missing rating the rule needs gives an unrated
    quadrant naming it (a non-urgent gap is ``monitor`` whatever else is missing)."""
    if _missing(priority):
        return UNRATED_PRIORITY
    if priority < rules.urgent_priority:
        return MONITOR
    if _missing(change):
        return NO_RECOMMENDATION if n_recommendations == 0 else UNRATED_CHANGE
    if change < rules.changeable_change:
        return ADVOCATE
    if _missing(presence):
        return UNRATED_PRESENCE
    return ACT_NOW if presence >= rules.present_presence else BUILD_PRESENCE


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float)
                                               and math.isnan(value))


def change_by_gap(recommendations: pd.DataFrame, rule: ChangeRule) -> pd.DataFrame:
    """Per (assessment_id, gap_id) addressed: number of recommendations, number rated,
    their realistic change by ``rule`` (NaN when none is rated) and their ids."""
    recs = recommendations.dropna(subset=["gap_id"])
    change = pd.to_numeric(recs["realistic_change"]).astype("Float64").astype(float)
    recs = recs.assign(_c=change)
    grouped = recs.groupby(["assessment_id", "gap_id"], sort=False)
    out = grouped.agg(n_recommendations=("rec_id", "size"),
                      n_recommendations_rated=("_c", "count"),
                      realistic_change=("_c", rule),
                      recommendation_ids=("rec_id", lambda s: ", ".join(sorted(s))))
    return out.reset_index()


def _rescaled(values: pd.Series, scale: str, ref: Reference) -> pd.Series:
    lo, hi = ref.scale_bounds(scale)
    return (pd.to_numeric(values).astype(float) - lo) / (hi - lo)


def gap_score(frame: pd.DataFrame, rules: PriorityRules, ref: Reference) -> pd.Series:
    """Weighted sum of the rescaled ratings; NaN when a rating with a weight above 0
    is missing (never filled with 0)."""
    score = pd.Series(0.0, index=frame.index)
    for scale, column in SCORED:
        weight = rules.weights[scale]
        if weight:
            score = score + weight * _rescaled(frame[column], scale, ref)
    return score


def rank_gaps(frame: pd.DataFrame) -> pd.Series:
    """Rank 1..n within each assessment over the rated quadrants: by quadrant order,
    score (descending, unscored last), priority (descending), gap id; unrated gaps
    get no rank."""
    order = {q: i for i, q in enumerate(QUADRANTS)}
    keyed = frame.assign(_q=frame["quadrant"].map(order),
                         _s=-frame["score"].astype(float),
                         _p=-pd.to_numeric(frame["priority"]).astype(float))
    rated = keyed[keyed["quadrant"].isin(RATED_QUADRANTS)]
    rated = rated.sort_values(["assessment_id", "_q", "_s", "_p", "gap_id"],
                              na_position="last", kind="stable")
    ranks = rated.groupby("assessment_id", sort=False).cumcount() + 1
    return ranks.reindex(frame.index).astype("Int64")


GAP_PRIORITY_COLUMNS = [
    "assessment_id", "iso3", "country", "region", "rank", "quadrant", "score",
    "gap_id", "sector", "capability_no", "description", "priority", "presence",
    "realistic_change", "n_recommendations", "n_recommendations_rated",
    "recommendation_ids", "urgent_at", "changeable_at", "present_at", "change_rule",
    "rule"]


def gap_priorities(gaps: pd.DataFrame, recommendations: pd.DataFrame,
                   assessments: pd.DataFrame, ref: Reference,
                   rules: PriorityRules = PriorityRules()) -> pd.DataFrame:
    """Every gap with its ratings, the change of its recommendations, its quadrant,
    score and rank within its assessment (see the module docstring)."""
    rules.check(ref)
    change = change_by_gap(recommendations, rules.change_rule)
    known = set(zip(gaps["assessment_id"], gaps["gap_id"]))
    dangling = [k for k in zip(change["assessment_id"], change["gap_id"]) if k not in known]
    if dangling:
        log.warning(f"{len(dangling)} gap ids named by recommendations have no gap in "
                    f"their assessment: {', '.join(f'{a} {g}' for a, g in dangling[:10])}")
    out = gaps.merge(change, on=["assessment_id", "gap_id"], how="left", validate="1:1")
    out["n_recommendations"] = out["n_recommendations"].fillna(0).astype(int)
    out["n_recommendations_rated"] = out["n_recommendations_rated"].fillna(0).astype(int)
    out["realistic_change"] = out["realistic_change"].astype(float)
    out["quadrant"] = [
        classify(_value(p), c, _value(s), n, rules)
        for p, c, s, n in zip(out["priority"], out["realistic_change"], out["presence"],
                              out["n_recommendations"])]
    score = gap_score(out, rules, ref)
    out["score"] = score.where(out["quadrant"].isin(RATED_QUADRANTS))
    out["rank"] = rank_gaps(out)
    out = out.assign(urgent_at=rules.urgent_priority, changeable_at=rules.changeable_change,
                     present_at=rules.present_presence, change_rule=rules.change_rule,
                     rule=rules.describe())
    out = aggregate.with_country(out, assessments)
    out = out.sort_values(["assessment_id", "rank", "gap_id"], na_position="last",
                          kind="stable").reset_index(drop=True)
    counts = out["quadrant"].value_counts()
    log.info(f"Prioritised {len(out)} gaps of {out['assessment_id'].nunique()} "
             f"assessments: " + ", ".join(f"{counts.get(q, 0)} {q}" for q in QUADRANTS))
    return out[GAP_PRIORITY_COLUMNS]


def _value(value: object) -> float:
    return math.nan if _missing(value) else float(value)


def country_counts(frame: pd.DataFrame, by: list[str], value: str,
                   assessments: pd.DataFrame) -> pd.DataFrame:
    """Per group of ``by``: number of distinct countries (ISO3) with a rated
    ``value`` in it, as ``n_countries``."""
    rated = frame.dropna(subset=[value])
    if "iso3" not in rated:
        rated = rated.merge(assessments[["assessment_id", "iso3"]], on="assessment_id",
                            how="left")
    if rated.empty:
        return pd.DataFrame(columns=[*by, "n_countries"])
    return rated.groupby(by, dropna=False)["iso3"].nunique().rename(
        "n_countries").reset_index()


SECTOR_VARIABLES = ("priority", "presence", "change")
SECTOR_CONVENTION = {
    "global": "pooled ratings of all countries (recommendations for change); "
              "blanks excluded",
    "region": "mean of country-level sector means; blanks excluded"}
RANK_CONVENTION = ("rank 1 = highest mean; ties share the best rank; a sector without "
                   "ratings is unranked")


def rank_desc(values: pd.Series) -> pd.Series:
    """Rank 1 = highest; ties share the lowest rank number; NaN stays unranked."""
    return values.rank(ascending=False, method="min").astype("Int64")


def sector_means_long(gaps: pd.DataFrame, recommendations: pd.DataFrame,
                      cells: pd.DataFrame, assessments: pd.DataFrame,
                      ref: Reference) -> pd.DataFrame:
    """``gap_ratings_by_sector`` with the number of countries behind each figure:
    scope, region, variable, sector, n, n_countries, mean, sd, convention."""
    tables = {"gaps": gaps, "recommendations": recommendations}
    means = aggregate.gap_ratings_by_sector(tables, cells, ref)
    parts = []
    for variable in SECTOR_VARIABLES:
        table, column = aggregate.VARIABLE_SOURCES[variable]
        frame = aggregate.with_country(tables[table], assessments)
        glob = country_counts(frame, ["sector"], column, assessments)
        parts.append(glob.assign(scope="global", region=None, variable=variable))
        reg = cells[(cells["variable"] == variable)].dropna(subset=["mean"])
        reg = country_counts(reg, ["region", "sector"], "mean", assessments)
        parts.append(reg.assign(scope="region", variable=variable))
    counts = pd.concat(parts, ignore_index=True)
    key = ["scope", "region", "variable", "sector"]
    means = means.assign(region=means["region"].fillna(""))
    counts = counts.assign(region=counts["region"].fillna(""))
    out = means.merge(counts[key + ["n_countries"]], on=key, how="left")
    out["n_countries"] = out["n_countries"].fillna(0).astype(int)
    out["region"] = out["region"].replace("", None)
    return out[["scope", "region", "variable", "sector", "n", "n_countries", "mean", "sd",
                "convention"]]


def sector_priorities(gaps: pd.DataFrame, recommendations: pd.DataFrame,
                      cells: pd.DataFrame, assessments: pd.DataFrame,
                      ref: Reference) -> pd.DataFrame:
    """Per scope (global, each region) and sector: mean, rank, n and number of
    countries of priority, presence and realistic change, side by side."""
    long = sector_means_long(gaps, recommendations, cells, assessments, ref)
    return widen_sector_ranks(long, ref)


def widen_sector_ranks(long: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """The long per-variable sector means as one row per scope and sector, each
    variable's mean ranked among the sectors of its scope."""
    long = long.assign(_r=long["region"].fillna(""))
    long["rank"] = long.groupby(["scope", "_r", "variable"])["mean"].transform(
        lambda s: s.rank(ascending=False, method="min"))
    wide = long.set_index(["scope", "_r", "sector", "variable"])[
        ["mean", "rank", "n", "n_countries"]].unstack("variable")
    out = pd.DataFrame(index=wide.index)
    for variable in SECTOR_VARIABLES:
        out[f"{variable}_mean"] = wide[("mean", variable)].astype(float)
        out[f"{variable}_rank"] = wide[("rank", variable)].astype("Int64")
    for variable in SECTOR_VARIABLES:
        out[f"{variable}_n"] = wide[("n", variable)].fillna(0).astype(int)
        out[f"{variable}_countries"] = wide[("n_countries", variable)].fillna(0).astype(
            int)
    out = out.reset_index()
    out["region"] = out["_r"].replace("", None)
    out["convention"] = out["scope"].map(SECTOR_CONVENTION) + "; " + RANK_CONVENTION
    sector_order = {s: i for i, s in enumerate(ref.sector_order)}
    out = out.assign(_a=out["scope"].map({"global": 0, "region": 1}),
                     _s=out["sector"].map(sector_order))
    out = out.sort_values(["_a", "_r", "_s"]).reset_index(drop=True)
    columns = ["scope", "region", "sector"]
    columns += [f"{v}_{s}" for v in SECTOR_VARIABLES for s in ("mean", "rank")]
    columns += [f"{v}_{s}" for v in SECTOR_VARIABLES for s in ("n", "countries")]
    return out[columns + ["convention"]]


def top_sectors(priorities: pd.DataFrame, variable: str, scope: str = "global",
                region: str | None = None, count: int = 3) -> list[str]:
    """The sectors ranked best on ``variable`` in one scope, best first; ties kept,
    in the table's (reference) sector order."""
    rows = priorities[(priorities["scope"] == scope)]
    if region is not None:
        rows = rows[rows["region"] == region]
    ranked = rows.dropna(subset=[f"{variable}_rank"])
    ranked = ranked.sort_values(f"{variable}_rank", kind="stable")
    limit = ranked[f"{variable}_rank"].head(count).max() if len(ranked) else 0
    return ranked[ranked[f"{variable}_rank"] <= limit]["sector"].tolist()
