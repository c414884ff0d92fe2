"""The audit of the June 2024 report's figures: reproduce each one, or prove it infeasible.

Every figure in ``data/published`` gets one verdict:

- ``infeasible``: no data on the report's scales and n could produce it, whether the
  figure was rounded or truncated: a check of :mod:`mrc_pipeline.checks` fails under
  both readings (GRIM, SD range, scale bounds, parts against their whole);
- ``reproduced``: otherwise, the computed value rounds to it at the published
  precision (2 decimals);
- ``differs``: otherwise; the reason gives the computed value and the difference, and
  what explains it where something does (truncation instead of rounding, the
  report-compatible reading of unrated gaps).

The n behind each published figure, as the report and its numbers give it: Table 4
and the sector rows of Table 3 are over the 11 countries of the report (n = 11 per
capability, 11 x capabilities per sector); a country's mean is over the 20
capabilities; a region's sector figure is over its countries' sector means (Africa 2,
America 6, Eurasia 3 countries) and its overall figure over its country x sector means.
The report gives no n for the global gap table; the audit uses the shipped data's
counts and says so.

The default reading counts a blank rating as missing. The report-compatible reading
(``unrated_as_zero``) counts unrated gaps (blank priority or presence) as 0, the way the
published global gap table appears to have been made; it is never the default, and
every table and audit row computed under it is labelled :data:`REPORT_COMPATIBLE`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from mrc_pipeline import aggregate, published as published_mod
from mrc_pipeline.checks import (
    Check,
    correlation_within_bounds,
    display_convention,
    fmt,
    grim,
    mean_within_scale,
    parts_whole_mean,
    parts_whole_sd,
    sd_range,
    sd_within_scale,
    truncate_as_stored,
)
from mrc_pipeline.reference import Reference
from mrc_pipeline.stats import round_half_up

log = logging.getLogger(__name__)

COLUMNS = ["table", "row", "statistic", "published", "computed", "verdict", "reason"]
VERDICTS = ("reproduced", "differs", "infeasible")
DECIMALS = published_mod.DECIMALS

DEFAULT_READING = "blanks missing, never 0"
REPORT_COMPATIBLE = "report-compatible: unrated counted as 0"
#: Words that end the reason of a row the report-compatible reading alone reproduces.
REPORT_COMPATIBLE_REPRODUCES = "which reproduces the published figure"

#: Variables rated on gaps, whose blanks the report-compatible reading counts as 0.
GAP_VARIABLES = ("priority", "presence")

# Table names as published_comparison writes them, so the two tables join.
T4 = "Table 4 maturity by capability"
T3 = "Table 3 maturity by sector"
COUNTRY = "Country maturity means (text)"
GAPS = "Table 3 gap analysis by sector"
REGIONAL = "Regional summary"
CORRELATIONS = "Correlations"

Key = tuple[str, str, str]
#: One check under the two readings of the printed figure: rounded, truncated.
Proof = tuple[Check, Check]


# --- the report-compatible reading ------------------------------------------------

def count_unrated_as_zero(gaps: pd.DataFrame) -> pd.DataFrame:
    """The gaps with every blank priority and presence set to 0 (report-compatible)."""
    out = gaps.copy()
    for column in GAP_VARIABLES:
        out[column] = pd.to_numeric(out[column]).astype("Float64").fillna(0)
    return out


def _label(frame: pd.DataFrame, variable: pd.Series) -> pd.DataFrame:
    """Prefix the convention of rows of a gap variable with the report-compatible tag."""
    out = frame.copy()
    base = out["convention"] if "convention" in out else pd.Series("", index=out.index)
    tagged = variable.isin(GAP_VARIABLES)
    out["convention"] = base.where(~tagged, REPORT_COMPATIBLE + "; " + base.astype(str))
    return out


def computed_tables(tables: dict[str, pd.DataFrame], info: pd.DataFrame, ref: Reference,
                    *, unrated_as_zero: bool = False) -> dict[str, pd.DataFrame]:
    """The tables :func:`mrc_pipeline.published.compare` reads, computed from the
    validated tables; with ``unrated_as_zero`` unrated gaps count as 0 and every row of
    priority or presence says so in its ``convention``."""
    tables = dict(tables)
    if unrated_as_zero:
        tables["gaps"] = count_unrated_as_zero(tables["gaps"])
    caps = tables["capability_ratings"]
    cells = aggregate.country_sector_means(tables, info)
    out = {
        "maturity_by_capability": aggregate.maturity_by_capability(caps, ref),
        "maturity_by_sector": aggregate.maturity_by_sector(caps, ref),
        "maturity_by_country": aggregate.maturity_by_country(caps, info, ref),
        "gap_ratings_by_sector": aggregate.gap_ratings_by_sector(tables, cells, ref),
        "regional_summary": aggregate.regional_summary(cells, ref),
        "correlations": aggregate.correlations(cells),
    }
    if unrated_as_zero:
        for name in ("gap_ratings_by_sector", "regional_summary"):
            out[name] = _label(out[name], out[name]["variable"])
        out["correlations"] = _label(out["correlations"], out["correlations"]["y"])
    return out


# --- what the published tables say about each other --------------------------------

def _both(check: Callable[..., Check], *args, **kwargs) -> Proof:
    """A check under the rounded and the truncated reading of the printed figures."""
    return (check(*args, display="round", **kwargs),
            check(*args, display="truncate", **kwargs))


@dataclass
class _Regional:
    """The regional summary as bounds: a sector the report names has its own figure;
    any other sector lies between the region's lowest and highest sector."""

    rows: pd.DataFrame

    def bounds(self, region: str, variable: str, sector: str) -> tuple[float, float] | None:
        sub = self.rows[(self.rows.region == region) & (self.rows.variable == variable)]
        named = sub[sub.sector == sector]
        if len(named):
            return float(named["mean"].min()), float(named["mean"].max())
        low = sub[sub.scope.str.startswith("lowest")]["mean"]
        high = sub[sub.scope.str.startswith("highest")]["mean"]
        if low.empty or high.empty:
            return None
        return float(low.min()), float(high.max())


@dataclass
class _Builder:
    """The checks each published figure must pass, keyed like published_comparison."""

    published: dict[str, pd.DataFrame]
    computed: dict[str, pd.DataFrame]
    ref: Reference
    proofs: dict[Key, list[Proof]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        countries = self.published["country_maturity_means"]
        #: Countries of the report and per region (the regional figures' n).
        self.n_countries = len(countries)
        self.region_n = countries["region"].value_counts().sort_index().to_dict()
        self.n_capabilities = len(self.ref.capabilities)
        self.regional = _Regional(self.published["regional_summary"])

    def add(self, key: Key, *proofs: Proof) -> None:
        self.proofs.setdefault(key, []).extend(proofs)

    def scale(self, variable: str) -> tuple[int, int]:
        return self.ref.scale_bounds(variable)

    def what(self, variable: str) -> str:
        lo, hi = self.scale(variable)
        return f"{variable} ({lo}-{hi})"

    def regional_parts(self, variable: str, sector: str) -> dict | None:
        """Bounds of each region's figure for a sector, weighted by its countries."""
        lows, highs, labels, weights = [], [], [], []
        for region, n in self.region_n.items():
            b = self.regional.bounds(region, variable, sector)
            if b is None:
                return None
            lows.append(b[0])
            highs.append(b[1])
            labels.append(region)
            weights.append(n)
        weighting = "country-weighted (" + ", ".join(
            f"{r} {n}" for r, n in self.region_n.items()) + " countries, each counted " \
            "once as in the regional figures)"
        return {"lows": lows, "highs": highs, "labels": labels, "weights": weights,
                "part_noun": f"regional {variable} mean of this sector",
                "weighting": weighting}

    def table_4(self) -> None:
        n, scale = self.n_countries, self.scale("maturity")
        for r in self.published["maturity_by_capability_global"].itertuples():
            row = f"{r.capability_no} {r.capability}"
            self.add((T4, row, "mean"),
                     _both(mean_within_scale, r.mean, scale, what=self.what("maturity")),
                     _both(grim, r.mean, n))
            self.add((T4, row, "sd"), _both(sd_range, r.mean, r.sd, n, scale))

    def sector_maturity(self) -> None:
        n, scale = self.n_countries, self.scale("maturity")
        caps = self.published["maturity_by_capability_global"].merge(
            self.ref.capabilities[["capability_no", "sector"]], on="capability_no")
        for r in self.published["maturity_by_sector_global"].itertuples():
            part = caps[caps.sector == r.sector]
            m = len(part)
            mean_proofs = [
                _both(mean_within_scale, r.mean, scale, what=self.what("maturity")),
                _both(grim, r.mean, n * m),
                _both(parts_whole_mean, r.mean, part["mean"].tolist(),
                      part["mean"].tolist(), [n] * m,
                      labels=[f"capability {c}" for c in part.capability_no],
                      part_noun="capability mean of this sector",
                      weighting=f"n-weighted (n = {n} each)")]
            regional = self.regional_parts("maturity", r.sector)
            if regional:
                mean_proofs.append(_both(parts_whole_mean, r.mean, **regional))
            self.add((T3, r.sector, "mean"), *mean_proofs)
            self.add((T3, r.sector, "sd"),
                     _both(sd_range, r.mean, r.sd, n * m, scale),
                     _both(parts_whole_sd, r.sd, [n] * m, part["mean"].tolist(),
                           part["sd"].tolist(),
                           parts="capabilities of this sector in Table 4"))

    def country_means(self) -> None:
        n, scale = self.n_capabilities, self.scale("maturity")
        rows = self.published["country_maturity_means"].dropna(subset=["mean"])
        for r in rows.itertuples():
            self.add((COUNTRY, r.country, "mean"),
                     _both(mean_within_scale, r.mean, scale, what=self.what("maturity")),
                     _both(grim, r.mean, n))

    def global_gaps(self) -> None:
        gaps = self.computed["gap_ratings_by_sector"]
        rated = gaps[gaps["scope"] == "global"].set_index(["variable", "sector"])["n"]
        for r in self.published["gaps_by_sector_global"].itertuples():
            for variable in ("priority", "presence", "change"):
                scale = self.scale(variable)
                mean, sd = getattr(r, f"{variable}_mean"), getattr(r, f"{variable}_sd")
                proofs = [_both(mean_within_scale, mean, scale, what=self.what(variable))]
                regional = self.regional_parts(variable, r.sector)
                if regional:
                    proofs.append(_both(parts_whole_mean, mean, **regional))
                self.add((GAPS, r.sector, f"{variable} mean"), *proofs)
                n = int(rated.get((variable, r.sector), 0))
                unit = "recommendations" if variable == "change" else "rated gaps"
                self.add((GAPS, r.sector, f"{variable} sd"),
                         _both(sd_within_scale, mean, sd, n, scale,
                               n_source=f"({unit} of this sector in the shipped data; "
                                        "the report gives no n)"))

    def regional_summary(self) -> None:
        for r in self.published["regional_summary"].itertuples():
            scale, n = self.scale(r.variable), int(self.region_n.get(r.region, 0))
            what = self.what(r.variable)
            mean_proofs = [_both(mean_within_scale, r.mean, scale, what=what)]
            if r.scope == "overall":
                row = f"{r.region} {r.variable} overall"
                parts = [self.regional.bounds(r.region, r.variable, s)
                         for s in self.ref.sector_order]
                if all(parts):
                    mean_proofs.append(_both(
                        parts_whole_mean, r.mean, [p[0] for p in parts],
                        [p[1] for p in parts], [1] * len(parts),
                        labels=self.ref.sector_order,
                        part_noun="sector mean of this region",
                        weighting=f"equal-weighted ({n} countries in every sector)"))
                n_values = n * len(self.ref.sector_order)
            else:
                row = f"{r.region} {r.variable} {r.scope}: {r.sector}"
                n_values = n
                if r.variable == "maturity":
                    m = int((self.ref.capabilities.sector == r.sector).sum())
                    mean_proofs.append(_both(grim, r.mean, n * m))
            self.add((REGIONAL, row, "mean"), *mean_proofs)
            self.add((REGIONAL, row, "sd"),
                     _both(sd_within_scale, r.mean, r.sd, n_values, scale,
                           n_source="country means" if r.scope != "overall" else
                           "country x sector means"))

    def correlations(self) -> None:
        for r in self.published["correlations"].itertuples():
            check = correlation_within_bounds(r.r)
            self.add((CORRELATIONS, f"{r.x} vs {r.y}", "pearson r"), (check, check))

    def build(self) -> dict[Key, list[Proof]]:
        self.table_4()
        self.sector_maturity()
        self.country_means()
        self.global_gaps()
        self.regional_summary()
        self.correlations()
        return self.proofs


# --- verdicts -------------------------------------------------------------------

def _equal(value: float, published: float) -> bool:
    return not math.isnan(value) and round_half_up(value, DECIMALS) == round(
        published, DECIMALS)


def _difference(value: float, published: float) -> str:
    if math.isnan(value):
        return "nothing computed corresponds to it"
    diff = value - published
    side = "above" if diff > 0 else "below"
    return f"computed {value:.4f} is {abs(diff):.4f} {side} the published {fmt(published)}"


def _other_reading(value: float, other: float, published: float, unrated_as_zero: bool,
                   reproduced: bool) -> str:
    """A sentence on the other reading of unrated gaps where it reproduces the figure
    and the audited reading does not, or comes closer to it."""
    if reproduced or math.isnan(other):
        return ""
    name = (f"the default reading ({DEFAULT_READING})" if unrated_as_zero else
            f"counting unrated gaps as 0 ({REPORT_COMPATIBLE})")
    if _equal(other, published):
        ending = ("which reproduces it" if unrated_as_zero else
                  REPORT_COMPATIBLE_REPRODUCES)
        return f"{name} gives {other:.4f}, {ending}"
    if math.isnan(value) or abs(other - published) < abs(value - published):
        return f"{name} gives {other:.4f}, closer but not equal"
    return ""


def _verdict(published: float, value: float, proofs: list[Proof]) -> tuple[str, list[str]]:
    """The verdict and the sentences behind it, before any note on other readings."""
    impossible = [rnd for rnd, cut in proofs if not rnd.passed and not cut.passed]
    if impossible:
        truncated = " (truncated instead of rounded, it is impossible too)"
        return "infeasible", [c.reason for c in impossible[:-1]] + [
            impossible[-1].reason + truncated]
    if _equal(value, published):
        names = ", ".join(dict.fromkeys(rnd.name for rnd, _ in proofs))
        tail = f"; checks passed: {names}" if names else ""
        return "reproduced", [f"computed {value:.4f} rounds to the published "
                              f"{fmt(published)}{tail}"]
    sentences = [_difference(value, published)]
    if _truncates_to(value, published):
        sentences.append(display_convention(published, value, DECIMALS).reason)
    for rnd, cut in proofs:
        if not rnd.passed:  # possible only if truncated: both sentences tell why
            sentences += [rnd.reason, cut.reason]
    return "differs", sentences


def _truncates_to(value: float, published: float) -> bool:
    """Whether cutting the stored value's digits gives the published figure."""
    return not math.isnan(value) and round(
        truncate_as_stored(value, DECIMALS), DECIMALS) == round(published, DECIMALS)


def audit_published(published: dict[str, pd.DataFrame], computed: dict[str, pd.DataFrame],
                    ref: Reference, *,
                    report_compatible: dict[str, pd.DataFrame] | None = None,
                    unrated_as_zero: bool = False) -> pd.DataFrame:
    """One row per published figure: table, row, statistic (as published_comparison
    names them), published and computed value, verdict and the reason in words.

    ``computed`` holds the tables of the default reading; ``report_compatible`` the
    same tables with unrated gaps counted as 0 (see :func:`computed_tables`). With
    ``unrated_as_zero`` the computed column and the verdicts use the report-compatible
    tables, and every row whose value that changes is labelled so in its reason;
    either way the reason names the other reading where it alone reproduces a figure.
    """
    if unrated_as_zero and report_compatible is None:
        raise ValueError("unrated_as_zero needs the report-compatible tables")
    default = published_mod.compare(published, computed)
    keys = list(zip(default["table"], default["row"], default["statistic"]))
    values = dict(zip(keys, default["computed"]))
    notes = dict(zip(keys, default["note"]))
    other = dict(zip(keys, published_mod.compare(published, report_compatible)["computed"]
                     )) if report_compatible is not None else {}
    proofs = _Builder(published, computed, ref).build()
    unknown = set(proofs) - set(keys)
    if unknown:
        raise ValueError(f"audit checks for figures published_comparison does not list: "
                         f"{sorted(unknown)[:3]}")
    rows, explained = [], _truncation_tally(default)
    for key, pub in zip(keys, default["published"]):
        base, alt = float(values[key]), float(other.get(key, math.nan))
        changes = key in other and not _same(base, alt)
        value = alt if unrated_as_zero and changes else base
        verdict, sentences = _verdict(pub, value, proofs.get(key, []))
        if changes:
            sentences.append(_other_reading(value, base if unrated_as_zero else alt, pub,
                                            unrated_as_zero, verdict == "reproduced"))
        if key[0] == COUNTRY and verdict == "differs" and _truncates_to(value, pub):
            sentences.append(explained)
        note = str(notes.get(key) or "")
        if note.startswith("computed ranking differs") or key[0] == CORRELATIONS:
            sentences.append(note)
        reason = "; ".join(s for s in sentences if s)
        if unrated_as_zero and changes:
            reason = f"[{REPORT_COMPATIBLE}] {reason}"
        rows.append((*key, pub, value, verdict, reason))
    out = pd.DataFrame(rows, columns=COLUMNS)
    log.info("Audited %d published figures: %s", len(out),
             ", ".join(f"{v} {int((out.verdict == v).sum())}" for v in VERDICTS))
    return out


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, abs_tol=1e-12)


def _truncation_tally(comparison: pd.DataFrame) -> str:
    """How many published country means rounding and truncation each reproduce."""
    rows = comparison[comparison["table"] == COUNTRY]
    pairs = [(c, p) for c, p in zip(rows.computed, rows.published) if not math.isnan(c)]
    by_round = sum(_equal(c, p) for c, p in pairs)
    by_cut = sum(_truncates_to(c, p) for c, p in pairs)
    return (f"truncating reproduces {by_cut} of the {len(rows)} published country means, "
            f"rounding {by_round}")


# --- the audit in the report ------------------------------------------------------

@dataclass(frozen=True)
class AuditSection:
    """What the report says about the audit: counts per table and verdict, sentences
    generated from them, and the figures proved infeasible with their reasons."""

    title: str
    counts: pd.DataFrame
    sentences: list[str]
    infeasible: pd.DataFrame


def audit_section(audit: pd.DataFrame) -> AuditSection:
    """The report section of an audit table (:func:`audit_published`'s output)."""
    counts = (audit.groupby(["table", "verdict"], sort=False).size()
              .unstack("verdict", fill_value=0).reindex(columns=list(VERDICTS),
                                                         fill_value=0))
    counts["figures"] = counts.sum(axis=1)
    total = {v: int((audit.verdict == v).sum()) for v in VERDICTS}
    def n(count: int, one: str, many: str) -> str:
        return f"{count} {one if count == 1 else many}"

    sentences = [
        f"Of the {n(len(audit), 'figure', 'figures')} the June 2024 report publishes, "
        f"{n(total['reproduced'], 'is', 'are')} reproduced at their published precision, "
        f"{n(total['differs'], 'differs', 'differ')} from the computed value and "
        f"{n(total['infeasible'], 'cannot', 'cannot')} be produced by any data on the "
        "report's scales and n."]
    verbs = {"reproduced": ("reproduced", "reproduced"), "differs": ("differs", "differ"),
             "infeasible": ("infeasible", "infeasible")}
    for table, row in counts.iterrows():
        parts = [n(int(row[v]), *verbs[v]) for v in VERDICTS if row[v]]
        sentences.append(f"{table}: of {n(int(row['figures']), 'figure', 'figures')}, "
                         f"{', '.join(parts)}.")
    compatible = int(audit.reason.str.contains(REPORT_COMPATIBLE_REPRODUCES,
                                               regex=False).sum())
    if compatible:
        sentences.append(
            f"Counting unrated gaps as 0 ({REPORT_COMPATIBLE}) reproduces "
            f"{n(compatible, 'published figure', 'published figures')} that the default "
            "reading, with blanks missing, does not.")
    infeasible = audit[audit.verdict == "infeasible"][["table", "row", "statistic",
                                                       "published", "reason"]]
    return AuditSection("Published figures: reproduced, differing, infeasible",
                        counts.reset_index(), sentences, infeasible.reset_index(drop=True))


__all__ = ["COLUMNS", "VERDICTS", "REPORT_COMPATIBLE", "DEFAULT_READING",
           "count_unrated_as_zero", "computed_tables", "audit_published", "AuditSection",
           "audit_section"]
