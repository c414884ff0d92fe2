"""The comparative-analysis report: sentences generated from the tables, rendered as
one self-contained HTML file.

The report is a list of sections. Each comes from a *section builder*, a function
that takes the ``ReportInputs`` and returns a ``Section`` (or None when the tables it
needs are absent); ``SECTION_BUILDERS`` lists them in report order. Adding a section
is one function that reads ``inputs.table(name)`` plus one entry in that list.

Every sentence that states a number or a ranking is made here from the tables, so a
changed rating changes the text. Numbers are rounded (half up, 2 decimals) only for
display; ties are decided on full precision. Figures are inlined as base64 PNG, and
the page loads nothing from the network.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd
from jinja2 import Environment, PackageLoader

from mrc_pipeline import aggregate
from mrc_pipeline.display import MISSING, fmt, format_p, is_missing
from mrc_pipeline.priority_report import priorities_section
from mrc_pipeline.reference import VARIABLE_NAMES, VARIABLES, Reference
from mrc_pipeline.stats import SD_CONVENTION
from mrc_pipeline.store import atomic_write_bytes

TITLE = "Comparative analysis of MRC assessments"

#: Words for the size of |r| (Cohen's conventions), lower bound -> word.
STRENGTH = ((0.5, "strong"), (0.3, "moderate"), (0.1, "weak"), (0.0, "negligible"))
ALPHA = 0.05
HIGHEST, LOWEST = "\u25b2", "\u25bc"


# --- blocks and sections -------------------------------------------------------------

@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: ClassVar[str] = "paragraph"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    kind: ClassVar[str] = "bullets"


@dataclass(frozen=True)
class Table:
    """A table of display strings; ``numeric`` columns are right-aligned; a collapsed
    table sits inside a closed ``<details>`` element."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()
    note: str = ""
    collapsed: bool = False
    kind: ClassVar[str] = "table"


@dataclass(frozen=True)
class Image:
    """An inlined PNG; ``width`` is its display width in CSS pixels (0: natural)."""

    caption: str
    alt: str
    data_uri: str
    width: int = 0
    kind: ClassVar[str] = "image"


Block = Paragraph | Bullets | Table | Image


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)


@dataclass
class ReportInputs:
    """What the section builders read: tables by asset name, figure files by asset
    name ({"png": path, ...}), the latest check outcomes and provenance lines."""

    ref: Reference
    tables: Mapping[str, pd.DataFrame]
    figures: Mapping[str, Mapping[str, str | Path]] = field(default_factory=dict)
    checks: pd.DataFrame | None = None
    provenance: Mapping[str, str] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame | None:
        frame = self.tables.get(name)
        return frame if isinstance(frame, pd.DataFrame) else None

    def image(self, name: str, caption: str, alt: str) -> Image | None:
        files = self.figures.get(name) or {}
        png = files.get("png")
        if not png or not Path(png).is_file():
            return None
        raw = Path(png).read_bytes()
        data = base64.b64encode(raw).decode("ascii")
        return Image(caption, alt, f"data:image/png;base64,{data}", _display_width(raw))


SectionBuilder = Callable[[ReportInputs], Section | None]

#: CSS pixels per inch.
CSS_DPI = 96


def _display_width(png: bytes) -> int:
    """A figure's width at its drawn size in CSS pixels: the pixel width of the PNG
    header scaled by the resolution of its pHYs chunk; 0 (natural size) when either
    is missing."""
    at = png.find(b"pHYs", 0, 200)
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24 or at < 0:
        return 0
    dots_per_metre = int.from_bytes(png[at + 4:at + 8], "big")
    if not dots_per_metre:
        return 0
    return round(int.from_bytes(png[16:20], "big") * CSS_DPI / (dots_per_metre * 0.0254))


# --- sentence helpers ----------------------------------------------------------------

def join_words(items: Iterable[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def m_sd(mean: object, sd: object = None, n: object = None, unit: str = "") -> str:
    """``M = 2.32, SD = 0.57, n = 22 ratings``; SD left out where it is undefined."""
    parts = [f"M = {fmt(mean)}"]
    if not is_missing(sd):
        parts.append(f"SD = {fmt(sd)}")
    if n is not None and not is_missing(n):
        parts.append(f"n = {int(n)}" + (f" {unit}" if unit else ""))
    return ", ".join(parts)


def level_phrase(value: object, ref: Reference, scale: str) -> str:
    """Where a mean lies on a scale: ``at Improvement (2)`` or ``between Improvement
    (2) and Integration (3)`` (judged on the value rounded to 2 decimals)."""
    if is_missing(value):
        return "not computed"
    names = ref.level_names(scale)
    lo, hi = ref.scale_bounds(scale)
    shown = float(fmt(value))
    below = min(max(math.floor(shown), lo), hi)
    if shown == below or below == hi:
        return f"at {names[below]} ({below})"
    return f"between {names[below]} ({below}) and {names[below + 1]} ({below + 1})"


def _agree(n: int, one: str, many: str) -> str:
    """The word that agrees with the count ``n``."""
    return one if n == 1 else many


def _same(a: float, b: float) -> bool:
    return round(float(a), 12) == round(float(b), 12)


def extremes(frame: pd.DataFrame, value: str, k: int = 1,
             highest: bool = True) -> pd.DataFrame:
    """The ``k`` rows with the highest (or lowest) ``value``, plus any rows tied with
    the k-th; rows with a missing value never rank."""
    valid = frame.dropna(subset=[value]).sort_values(value, ascending=not highest,
                                                     kind="stable")
    if valid.empty or k <= 0:
        return valid.iloc[0:0]
    cut = valid[value].iloc[min(k, len(valid)) - 1]
    keep = [i < k or _same(v, cut) for i, v in enumerate(valid[value])]
    return valid[keep]


def _listed(rows: pd.DataFrame, label: str, value: str) -> str:
    return join_words(f"{r[label]} ({fmt(r[value])})" for _, r in rows.iterrows())


# --- sentence generators -------------------------------------------------------------

def country_ranking_sentences(by_country: pd.DataFrame, ref: Reference, k_high: int = 3,
                              k_low: int = 2) -> list[str]:
    """Highest and lowest country means, their range and where they lie on the scale."""
    data = by_country.dropna(subset=["mean"]).copy()
    if data.empty:
        return ["No assessment has a rated capability, so no country mean exists."]
    data["label"] = _country_labels(data)
    n = len(data)
    top = extremes(data, "mean", min(k_high, n))
    out = [f"Ranked by mean maturity over their rated capabilities, the highest of the "
           f"{n} assessments {'is' if len(top) == 1 else 'are'} "
           f"{_listed(top, 'label', 'mean')}."]
    if n > len(top):
        low = extremes(data[~data.index.isin(top.index)], "mean", min(k_low, n - len(top)),
                       highest=False)
        out.append(f"The lowest {'is' if len(low) == 1 else 'are'} "
                   f"{_listed(low, 'label', 'mean')}.")
    first, last = data.loc[data["mean"].idxmax()], data.loc[data["mean"].idxmin()]
    bands = data["mean"].map(lambda v: level_phrase(v, ref, "maturity")).value_counts()
    parts = [f"{count} {phrase}" for phrase, count in bands.items()]
    parts[0] = f"{bands.iloc[0]} {'lies' if bands.iloc[0] == 1 else 'lie'} {bands.index[0]}"
    out.append(f"Country means run from {fmt(last['mean'])} ({last['label']}) to "
               f"{fmt(first['mean'])} ({first['label']}). Of the {n} means, "
               f"{join_words(parts)}.")
    per_region = data.groupby("region")["mean"].agg(["count", "std"]).dropna()
    if len(per_region) >= 2:
        hi_r, lo_r = per_region["std"].idxmax(), per_region["std"].idxmin()
        names = dict(zip(ref.regions["region"], ref.regions["region_name"]))
        out.append(f"Country means vary most within {names.get(hi_r, hi_r)} "
                   f"(SD = {fmt(per_region.loc[hi_r, 'std'])} over "
                   f"{int(per_region.loc[hi_r, 'count'])} assessments) and least within "
                   f"{names.get(lo_r, lo_r)} (SD = {fmt(per_region.loc[lo_r, 'std'])} over "
                   f"{int(per_region.loc[lo_r, 'count'])}).")
    return out


def _country_labels(frame: pd.DataFrame) -> list[str]:
    repeated = frame["country"].duplicated(keep=False)
    return [f"{c} {a[-4:]}" if rep else str(c)
            for c, a, rep in zip(frame["country"], frame["assessment_id"], repeated)]


def sector_maturity_sentences(by_sector: pd.DataFrame) -> list[str]:
    """Highest and lowest pooled sector maturity, and where ratings vary most/least."""
    data = by_sector.dropna(subset=["mean"])
    if data.empty:
        return ["No maturity rating was given, so no sector mean exists."]
    high, low = extremes(data, "mean"), extremes(data, "mean", highest=False)

    def named(rows: pd.DataFrame) -> str:
        return join_words(f"{r['sector']} ({m_sd(r['mean'], r['sd'], r['n'], 'ratings')})"
                          for _, r in rows.iterrows())

    out = [f"Pooled over all countries, the highest mean maturity is in {named(high)}, "
           f"the lowest in {named(low)}."]
    spread = data.dropna(subset=["sd"])
    if len(spread) >= 2:
        most, least = extremes(spread, "sd"), extremes(spread, "sd", highest=False)
        out.append(f"Ratings vary most in {_listed(most, 'sector', 'sd')} and least in "
                   f"{_listed(least, 'sector', 'sd')} (sample SD).")
    return out


def capability_sentences(by_capability: pd.DataFrame, ref: Reference) -> list[str]:
    """Per sector, the capability with the highest mean maturity (ties all named)."""
    out = []
    data = by_capability.assign(label=by_capability["capability_no"].astype(str) + " "
                                + by_capability["capability"])
    for sector in ref.sector_order:
        rows = data[data["sector"] == sector]
        best = extremes(rows, "mean")
        if best.empty:
            out.append(f"{sector}: no rated capability.")
            continue
        listed = join_words(f"{r['label']} ({m_sd(r['mean'], r['sd'])})"
                            for _, r in best.iterrows())
        out.append(f"{sector}: {listed}.")
    return out


def gap_sentences(gap_ratings: pd.DataFrame) -> list[str]:
    """Per variable, the sector order by pooled mean, highest first."""
    glob = gap_ratings[gap_ratings["scope"] == "global"]
    out = []
    for variable in ("priority", "presence", "change"):
        rows = glob[glob["variable"] == variable].dropna(subset=["mean"])
        if rows.empty:
            out.append(f"{VARIABLE_NAMES[variable]}: no rated value.")
            continue
        high, low = extremes(rows, "mean"), extremes(rows, "mean", highest=False)
        order = rows.sort_values("mean", ascending=False, kind="stable")
        out.append(
            f"{VARIABLE_NAMES[variable]}: highest in "
            f"{join_words(f'{r.sector} ({m_sd(r.mean, r.sd)})' for r in high.itertuples())}"
            f", lowest in "
            f"{join_words(f'{r.sector} ({m_sd(r.mean, r.sd)})' for r in low.itertuples())}"
            f"; order from highest: {join_words(order['sector'])}.")
    return out


def region_variable_sentence(summary: pd.DataFrame, region: str, variable: str,
                             ref: Reference) -> str:
    """One region's overall figure for a variable and its highest and lowest sectors,
    as marked in ``regional_summary`` (ties all named)."""
    rows = summary[(summary["region"] == region) & (summary["variable"] == variable)]
    name = f"{VARIABLE_NAMES[variable]} ({'-'.join(map(str, ref.scale_bounds(variable)))})"
    overall = rows[rows["scope"] == "overall"]
    if overall.empty or is_missing(overall["mean"].iloc[0]):
        return f"{name}: no rated value in this region."
    o = overall.iloc[0]
    sectors = rows[rows["scope"] == "sector"]

    def named(flag: str) -> str:
        marked = sectors[sectors[flag].astype(bool)]
        return join_words(f"{r.sector} ({m_sd(r.mean, r.sd)})" for r in marked.itertuples())

    return (f"{name}: overall {m_sd(o['mean'], o['sd'], o['n'], 'country x sector means')}"
            f", {level_phrase(o['mean'], ref, variable)}; highest {named('is_highest')}; "
            f"lowest {named('is_lowest')}.")


def strength(r: float) -> str:
    for bound, word in STRENGTH:
        if abs(r) >= bound:
            return word
    return STRENGTH[-1][1]


def _strength_words() -> str:
    named = [(bound, word) for bound, word in reversed(STRENGTH) if bound > 0]
    return (f"|r| of at least {join_words(f'{b:g}' for b, _ in named)} is called "
            f"{join_words(w for _, w in named)}")


def correlation_sentence(row: Mapping | pd.Series) -> str:
    """Direction, strength, r with its 95% CI, p, Spearman rho and n, or the reason
    nothing was computed."""
    x, y = VARIABLE_NAMES.get(row["x"], row["x"]), VARIABLE_NAMES.get(row["y"], row["y"])
    pair = f"{x} and {y.lower()}"
    n = int(row["n"])
    if is_missing(row["pearson_r"]):
        return f"{pair}: not computed ({row['reason']}; n = {n})."
    r = float(row["pearson_r"])
    direction = "positive" if r > 0 else "negative" if r < 0 else "zero"
    ci = ("" if is_missing(row["ci_low"]) else
          f" (95% CI {fmt(row['ci_low'])} to {fmt(row['ci_high'])})")
    significant = ("significant" if float(row["pearson_p"]) < ALPHA else
                   "not significant")
    return (f"{pair}: {strength(r)} {direction} correlation, Pearson r = {fmt(r)}{ci}, "
            f"{format_p(row['pearson_p'])}, {significant} at the {ALPHA:.0%} level; "
            f"Spearman rho = {fmt(row['spearman_rho'])} ({format_p(row['spearman_p'])}); "
            f"n = {n} country x sector cells.")


def published_sentences(comparison: pd.DataFrame) -> list[str]:
    """How many published figures the computed values reproduce, overall and per table."""
    equal = comparison["equal_at_published_precision"].astype(bool)
    same, differ = int(equal.sum()), int((~equal).sum())
    out = [f"Of the {len(comparison)} figures the published report gives, {same} "
           f"{_agree(same, 'equals', 'equal')} the computed value at their published "
           f"precision (2 decimals) and {differ} {_agree(differ, 'does', 'do')} not."]
    for table, rows in comparison.groupby("table", sort=False):
        ok = rows["equal_at_published_precision"].astype(bool)
        diff = rows["difference"].abs()
        worst = "" if ok.all() or diff.dropna().empty else (
            f"; largest absolute difference {fmt(diff.max())} ({rows.loc[diff.idxmax(), 'row']}"
            f", {rows.loc[diff.idxmax(), 'statistic']})")
        out.append(f"{table}: {int(ok.sum())} of {len(rows)} equal{worst}.")
    return out


def unrated_counts(capability_ratings: pd.DataFrame, gaps: pd.DataFrame,
                   recommendations: pd.DataFrame) -> pd.DataFrame:
    """Per variable: values the workbooks hold, how many are rated and how many blank."""
    rows = []
    for variable in VARIABLES:
        table, column = aggregate.VARIABLE_SOURCES[variable]
        frame = {"capability_ratings": capability_ratings, "gaps": gaps,
                 "recommendations": recommendations}[table]
        total = len(frame)
        rated = int(frame[column].notna().sum()) if column in frame else 0
        rows.append({"variable": variable, "values": total, "rated": rated,
                     "unrated": total - rated})
    return pd.DataFrame(rows)


def unrated_sentence(counts: pd.DataFrame) -> str:
    parts = [f"{VARIABLE_NAMES[r.variable].lower()} {r.unrated} of {r.values}"
             for r in counts.itertuples()]
    return (f"Blank ratings (missing, never counted as 0): {join_words(parts)}. Every mean, "
            "SD and correlation leaves them out.")


def catalogue_sentences(assessments: pd.DataFrame) -> list[str]:
    """How many assessments validated, and which are no longer current."""
    status = assessments["status"].astype(str)
    current = status == "current"
    n = len(assessments)
    out = [f"{n} validated {_agree(n, 'assessment', 'assessments')}: {int(current.sum())} "
           f"current, {int((~current).sum())} not current."]
    for row in assessments[~current].itertuples():
        out.append(f"{row.assessment_id} ({row.source_file}): {row.status}.")
    return out


WARN = "WARN"


def _warned(checks: pd.DataFrame) -> pd.Series:
    """Checks not passed whose severity is a warning (the rest failed as errors)."""
    passed = checks["passed"].astype(bool)
    severity = checks["severity"] if "severity" in checks else pd.Series("", checks.index)
    return ~passed & (severity == WARN)


def check_sentences(checks: pd.DataFrame | None) -> list[str]:
    """The latest outcome of each check when the report was written (per assessment
    where checks are per assessment): counts, and each one not passed by name."""
    if checks is None or checks.empty:
        return ["No check outcome is recorded in the Dagster instance."]
    passed = checks["passed"].astype(bool)
    warned = _warned(checks)
    out = [f"Latest outcome of each check when this report was written: {len(checks)} "
           f"evaluated, {int(passed.sum())} passed, {int((~passed & ~warned).sum())} "
           f"failed, {int(warned.sum())} raised a warning."]
    for row, warn in zip(checks[~passed].itertuples(), warned[~passed]):
        where = f" on {row.partition}" if isinstance(row.partition, str) else ""
        detail = f": {row.detail}" if getattr(row, "detail", "") else ""
        out.append(f"{row.asset} {row.check}{where} {'warned' if warn else 'failed'}"
                   f"{detail}.")
    return out


# --- tables ---------------------------------------------------------------------------

def _cell(value: object, decimals: int = 2) -> str:
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar -> Python
    if is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return fmt(value, decimals)
    return str(value)


def table_block(frame: pd.DataFrame, columns: Mapping[str, str], caption: str,
                note: str = "", collapsed: bool = False, decimals: int = 2) -> Table:
    """A table of ``frame``'s ``columns`` (column -> header), numbers for display."""
    rows = tuple(tuple(_cell(v, decimals) for v in rec)
                 for rec in frame[list(columns)].itertuples(index=False))
    numeric = tuple(pd.api.types.is_numeric_dtype(frame[c]) and
                    not pd.api.types.is_bool_dtype(frame[c]) for c in columns)
    return Table(caption, tuple(columns.values()), rows, numeric, note, collapsed)


def _n_range(frame: pd.DataFrame) -> str:
    n = frame["n"].dropna()
    if n.empty:
        return "0"
    lo, hi = int(n.min()), int(n.max())
    return str(lo) if lo == hi else f"{lo}-{hi}"


# --- section builders -----------------------------------------------------------------

def _countries_by_region(assessments: pd.DataFrame, ref: Reference) -> list[str]:
    names = dict(zip(ref.regions["region"], ref.regions["region_name"]))
    out = []
    for region in ref.regions["region"]:
        rows = assessments[assessments["region"] == region].sort_values("country")
        if len(rows):
            out.append(f"{names[region]} ({join_words(_country_labels(rows))})")
    return out


def methodology_section(inputs: ReportInputs) -> Section | None:
    """Sample, scales with their level names, conventions and the n of each table."""
    ref = inputs.ref
    assessments = inputs.table("assessments")
    section = Section("methodology", "Methodology")
    if assessments is not None and len(assessments):
        years = assessments["year"].astype(int)
        regions = _countries_by_region(assessments, ref)
        section.blocks.append(Paragraph(
            f"This report covers {len(assessments)} validated assessments "
            f"({years.min()}-{years.max()}) in {len(regions)} regions: "
            f"{join_words(regions)}."))
    scale_rows = []
    for variable in VARIABLES:
        lo, hi = ref.scale_bounds(variable)
        levels = "; ".join(f"{level} {name}" for level, name in
                           ref.level_names(variable).items())
        table, column = aggregate.VARIABLE_SOURCES[variable]
        scale_rows.append((VARIABLE_NAMES[variable], f"{lo}-{hi}", levels,
                           f"{table}.{column}"))
    section.blocks.append(Table("Rating scales", ("Variable", "Range", "Levels", "Source"),
                                tuple(scale_rows), (False, True, False, False)))
    section.blocks.append(Bullets((
        f"Capability and sector figures: {aggregate.POOLED}.",
        f"A country's maturity: {aggregate.COUNTRY_MEAN}; the mean of its sector means "
        "is shown beside it.",
        f"Regional figures: {aggregate.COUNTRY_SECTOR}.",
        f"Spread: {SD_CONVENTION}; a figure from fewer than 2 values has no SD.",
        f"Correlations: Pearson r with a two-sided p and a 95% CI (Fisher z), and "
        f"Spearman rho, over {aggregate.CORRELATION_UNIT}; {_strength_words()}; "
        f"significant means p < {ALPHA:g}.",
        "Rankings are decided on full-precision values; ties are all named. Numbers are "
        "rounded half up to 2 decimals for display only; a mean is placed between the "
        "two scale levels around it.",
    )))
    n_rows = []
    for name, counts in (("maturity_by_sector", "ratings per sector"),
                         ("maturity_by_capability", "ratings per capability"),
                         ("maturity_by_country", "rated capabilities per assessment"),
                         ("gap_ratings_by_sector", "gaps or recommendations per sector "
                          "(global); countries per sector (regional)"),
                         ("regional_summary", "countries per sector; country x sector "
                          "means per overall figure"),
                         ("correlations", "country x sector cells with both means")):
        frame = inputs.table(name)
        if frame is not None and "n" in frame:
            n_rows.append((name, counts, _n_range(frame)))
    if n_rows:
        section.blocks.append(Table("What n counts in each table", ("Table", "n counts",
                                                                     "n"),
                                    tuple(n_rows), (False, False, True)))
    return section


def global_section(inputs: ReportInputs) -> Section | None:
    """Maturity by sector, capability and country, and gap ratings by sector."""
    ref = inputs.ref
    section = Section("global", "Global analysis")
    by_sector = inputs.table("maturity_by_sector")
    if by_sector is not None:
        sub = Section("global-sector", "Maturity by sector")
        sub.blocks.append(table_block(by_sector, {"sector": "Sector", "n": "n", "mean": "M",
                                                  "sd": "SD"},
                                      "Maturity by sector, all countries pooled",
                                      "n: country x capability ratings in the sector."))
        sub.blocks += [Paragraph(s) for s in sector_maturity_sentences(by_sector)]
        section.subsections.append(sub)
    by_capability = inputs.table("maturity_by_capability")
    if by_capability is not None:
        sub = Section("global-capability", "Maturity by capability")
        frame = by_capability.assign(label=by_capability["capability_no"].astype(str) + ". "
                                     + by_capability["capability"])
        sub.blocks.append(table_block(frame, {"label": "Capability", "sector": "Sector",
                                              "n": "n", "mean": "M", "sd": "SD"},
                                      "Maturity by capability, all countries pooled",
                                      "n: countries that rated the capability."))
        sub.blocks.append(Paragraph("Capability with the highest mean maturity in each "
                                    "sector:"))
        sub.blocks.append(Bullets(tuple(capability_sentences(by_capability, ref))))
        section.subsections.append(sub)
    by_country = inputs.table("maturity_by_country")
    if by_country is not None:
        sub = Section("global-country", "Maturity by country")
        image = inputs.image("figure_maturity_by_country", "Maturity by country: mean of "
                             "each assessment's capability ratings.",
                             "Horizontal bars of mean maturity per country, by region")
        sub.blocks += [b for b in [image] if b]
        sub.blocks += [Paragraph(s) for s in country_ranking_sentences(by_country, ref)]
        frame = by_country.assign(label=_country_labels(by_country))
        sub.blocks.append(table_block(
            frame, {"label": "Country", "region": "Region", "n": "n rated",
                    "n_missing": "n blank", "mean": "M", "sd": "SD",
                    "mean_of_sector_means": "Mean of sector means"},
            "Maturity by country", "n rated: capabilities rated out of "
            f"{len(ref.capabilities)}; the mean of sector means is an alternative reading."))
        heat = inputs.image("figure_heatmap_country_capability", "Maturity of each "
                            "capability in each assessment.", "Heat map of maturity, "
                            "countries by capabilities")
        sub.blocks += [b for b in [heat] if b]
        section.subsections.append(sub)
    gaps = inputs.table("gap_ratings_by_sector")
    if gaps is not None:
        sub = Section("global-gaps", "Gaps and recommendations by sector")
        glob = gaps[gaps["scope"] == "global"]
        wide = glob.pivot_table(index="sector", columns="variable",
                                values=["n", "mean", "sd"], aggfunc="first")
        wide.columns = [f"{stat}_{var}" for stat, var in wide.columns]
        wide = wide.reindex(ref.sector_order).reset_index()
        columns = {"sector": "Sector"}
        for variable in ("priority", "presence", "change"):
            name = VARIABLE_NAMES[variable]
            for stat, head in (("n", "n"), ("mean", "M"), ("sd", "SD")):
                if f"{stat}_{variable}" in wide:
                    columns[f"{stat}_{variable}"] = f"{name} {head}"
        for col in [c for c in wide if c.startswith("n_")]:
            wide[col] = wide[col].astype("Int64")
        sub.blocks.append(table_block(wide, columns, "Priority, presence and realistic "
                                      "change by sector, all countries pooled",
                                      "n: rated gaps (priority, presence) or rated "
                                      "recommendations (change) in the sector."))
        image = inputs.image("figure_gap_analysis", "Gap analysis by sector: mean and "
                             "sample SD of the pooled ratings.", "Grouped bars of priority,"
                             " presence and realistic change per sector")
        sub.blocks += [b for b in [image] if b]
        sub.blocks.append(Bullets(tuple(gap_sentences(gaps))))
        section.subsections.append(sub)
    return section if section.subsections else None


def regional_section(inputs: ReportInputs) -> Section | None:
    """Per region and variable: overall figure, highest and lowest sector."""
    summary = inputs.table("regional_summary")
    if summary is None:
        return None
    ref = inputs.ref
    section = Section("regional", "Regional analysis")
    section.blocks.append(Paragraph(
        "Regional figures are over country-level sector means: a sector's figure is the "
        "mean and sample SD of its countries' means in that sector, and a region's "
        "overall figure is over all its country x sector means."))
    for name, caption, alt in (
            ("figure_regional_maturity_change", "Sector means by region: maturity and "
             "realistic change.", "Grouped bars of sector means per region"),
            ("figure_regional_priority_presence", "Sector means by region: priority and "
             "presence.", "Grouped bars of sector means per region"),
            ("figure_heatmap_region_sector", "Region x sector means for each variable.",
             "Heat maps of region by sector means")):
        image = inputs.image(name, caption, alt)
        section.blocks += [b for b in [image] if b]
    assessments = inputs.table("assessments")
    names = dict(zip(ref.regions["region"], ref.regions["region_name"]))
    for region in [r for r in ref.regions["region"] if r in set(summary["region"])]:
        title = names.get(region, region)
        if assessments is not None:
            members = assessments[assessments["region"] == region].sort_values("country")
            title += f" ({join_words(_country_labels(members))})"
        sub = Section(f"region-{region.lower()}", title)
        sub.blocks.append(Bullets(tuple(region_variable_sentence(summary, region, v, ref)
                                        for v in VARIABLES
                                        if v in set(summary["variable"]))))
        sub.blocks.append(_region_table(summary, region, ref))
        section.subsections.append(sub)
    return section


def _region_table(summary: pd.DataFrame, region: str, ref: Reference) -> Table:
    rows = summary[summary["region"] == region]
    variables = [v for v in VARIABLES if v in set(rows["variable"])]
    out = []
    for sector in [None, *ref.sector_order]:
        scope = rows[(rows["scope"] == "overall")] if sector is None else rows[
            rows["sector"] == sector]
        cells = [sector or "Overall"]
        for variable in variables:
            r = scope[scope["variable"] == variable]
            if r.empty:
                cells += [MISSING, MISSING]
                continue
            r = r.iloc[0]
            mark = f" {HIGHEST}" if bool(r["is_highest"]) else (
                f" {LOWEST}" if bool(r["is_lowest"]) else "")
            cells += [str(int(r["n"])), f"{fmt(r['mean'])} ({fmt(r['sd'])}){mark}"]
        out.append(tuple(cells))
    columns = ["Sector"]
    for variable in variables:
        columns += [f"{VARIABLE_NAMES[variable]} n", f"{VARIABLE_NAMES[variable]} M (SD)"]
    name = dict(zip(ref.regions["region"], ref.regions["region_name"])).get(region, region)
    return Table(f"{name}: mean (SD) by sector and variable", tuple(columns), tuple(out),
                 (False,) + (True,) * (2 * len(variables)),
                 f"n: countries with a mean in the sector; overall: country x sector means. "
                 f"{HIGHEST} highest, {LOWEST} lowest sector (ties all marked).")


def correlations_section(inputs: ReportInputs) -> Section | None:
    """Pearson and Spearman correlations of maturity with presence and with change."""
    corr = inputs.table("correlations")
    if corr is None:
        return None
    section = Section("correlations", "Correlations")
    section.blocks.append(Bullets(tuple(correlation_sentence(r) for _, r in
                                        corr.iterrows())))
    frame = corr.assign(pair=[f"{VARIABLE_NAMES.get(x, x)} vs {VARIABLE_NAMES.get(y, y)}"
                              for x, y in zip(corr["x"], corr["y"])])
    section.blocks.append(table_block(
        frame, {"pair": "Pair", "n": "n", "pearson_r": "r", "ci_low": "95% CI low",
                "ci_high": "95% CI high", "pearson_p": "p", "spearman_rho": "Spearman rho",
                "spearman_p": "Spearman p", "reason": "Note"},
        "Correlations over country x sector cells", f"n: {aggregate.CORRELATION_UNIT} "
        "with both means present.", decimals=3))
    for name, caption in (("figure_scatter_maturity_presence", "Maturity vs presence"),
                          ("figure_scatter_maturity_change", "Maturity vs realistic "
                           "change")):
        image = inputs.image(name, f"{caption}, one point per country x sector cell "
                             "(jittered).", f"Scatter plot: {caption.lower()}")
        section.blocks += [b for b in [image] if b]
    return section


def published_section(inputs: ReportInputs) -> Section | None:
    """How far the computed figures reproduce the published ones."""
    comparison = inputs.table("published_comparison")
    if comparison is None:
        return None
    section = Section("published", "Published versus computed")
    sentences = published_sentences(comparison)
    section.blocks.append(Paragraph(sentences[0]))
    section.blocks.append(Bullets(tuple(sentences[1:])))
    differing = comparison[~comparison["equal_at_published_precision"].astype(bool)]
    if len(differing):
        section.blocks.append(table_block(
            differing, {"table": "Table", "row": "Row", "statistic": "Statistic",
                        "published": "Published", "computed": "Computed",
                        "difference": "Difference", "note": "Note"},
            f"The {len(differing)} published figures not reproduced at 2 decimals",
            collapsed=True, decimals=3))
    return section


def audit_report_section(inputs: ReportInputs) -> Section | None:
    """Verdict on every published figure: reproduced, differs or infeasible, and why."""
    from mrc_pipeline.audit import audit_section

    table = inputs.table("published_audit")
    if table is None:
        return None
    content = audit_section(table)
    section = Section("audit", content.title)
    section.blocks.append(Paragraph(content.sentences[0]))
    section.blocks.append(Bullets(tuple(content.sentences[1:])))
    section.blocks.append(table_block(
        content.counts, {"table": "Table", "figures": "Figures", "reproduced": "Reproduced",
                         "differs": "Differs", "infeasible": "Infeasible"},
        "Verdicts per published table"))
    if len(content.infeasible):
        section.blocks.append(table_block(
            content.infeasible, {"table": "Table", "row": "Row", "statistic": "Statistic",
                                 "published": "Published", "reason": "Why no data can "
                                 "produce it"},
            f"The {len(content.infeasible)} published figures proved infeasible",
            collapsed=True))
    return section


def uncertainty_sentences(intervals: pd.DataFrame, ranks: pd.DataFrame | None) -> list[str]:
    """Widest sector interval of global maturity, correlation intervals, rank spread."""
    out: list[str] = []
    glob = intervals[(intervals["scope"] == "global") & (intervals["statistic"] == "mean")
                     & (intervals["variable"] == "maturity")]
    if len(glob):
        widest = glob.assign(w=glob["ci_high"] - glob["ci_low"]).sort_values(
            "w", ascending=False, kind="stable").iloc[0]
        out.append(f"Resampling countries, the least certain sector maturity mean is "
                   f"{widest['sector']}: {fmt(widest['estimate'])} with a 95% interval of "
                   f"{fmt(widest['ci_low'])} to {fmt(widest['ci_high'])}.")
    for row in intervals[intervals["statistic"] == "pearson r"].itertuples():
        out.append(f"{str(row.variable).capitalize()}: r = "
                   f"{fmt(row.estimate)}, 95% bootstrap interval {fmt(row.ci_low)} to "
                   f"{fmt(row.ci_high)} over {int(row.n_countries)} countries.")
    if ranks is not None and len(ranks):
        spread = ranks.assign(w=ranks["rank_high"] - ranks["rank_low"])
        firm = spread[spread["w"] == 0]
        out.append(f"Of the {len(ranks)} countries, {len(firm)} "
                   f"{'has' if len(firm) == 1 else 'have'} a 95% rank interval of a "
                   f"single place; the widest rank interval spans "
                   f"{int(spread['w'].max()) + 1} places.")
    return out


def uncertainty_section(inputs: ReportInputs) -> Section | None:
    """Bootstrap intervals for sector and regional means and correlations; rank
    intervals of the country ordering."""
    intervals = inputs.table("bootstrap_intervals")
    if intervals is None:
        return None
    ranks = inputs.table("country_rank_intervals")
    section = Section("uncertainty", "Uncertainty")
    section.blocks.append(Bullets(tuple(uncertainty_sentences(intervals, ranks))))
    conventions = intervals["convention"].dropna().unique()
    section.blocks.append(table_block(
        intervals, {"statistic": "Statistic", "scope": "Scope", "region": "Region",
                    "variable": "Variable", "sector": "Sector", "n_countries": "Countries",
                    "estimate": "Estimate", "ci_low": "95% low", "ci_high": "95% high"},
        "Bootstrap 95% intervals", note=conventions[0] if len(conventions) else "",
        collapsed=True))
    if ranks is not None and len(ranks):
        section.blocks.append(table_block(
            ranks, {"country": "Country", "region": "Region", "mean": "Mean",
                    "mean_low": "Mean low", "mean_high": "Mean high", "rank": "Rank",
                    "rank_low": "Rank low", "rank_high": "Rank high"},
            "Rank intervals of the country ordering (Figure 1)",
            note=str(ranks["convention"].iloc[0])))
    return section


def data_quality_section(inputs: ReportInputs) -> Section | None:
    """Assessment catalogue, check outcomes and blank ratings."""
    section = Section("quality", "Data quality")
    assessments = inputs.table("assessments")
    if assessments is not None:
        section.blocks += [Paragraph(s) for s in catalogue_sentences(assessments)]
        section.blocks.append(table_block(
            assessments, {"assessment_id": "Assessment", "country": "Country",
                          "capabilities_rated": "Capabilities rated",
                          "gaps": "Gaps", "gaps_priority_rated": "Priority rated",
                          "gaps_presence_rated": "Presence rated",
                          "recommendations": "Recommendations", "status": "Status",
                          "source_file": "Workbook"},
            "Assessments catalogue", "Status: whether the workbook in the folder is still "
            "the one validated."))
    tables = [inputs.table(n) for n in ("capability_ratings", "gaps", "recommendations")]
    if all(t is not None for t in tables):
        counts = unrated_counts(*tables)
        section.blocks.append(Paragraph(unrated_sentence(counts)))
        counts = counts.assign(variable=counts["variable"].map(VARIABLE_NAMES))
        section.blocks.append(table_block(counts, {"variable": "Variable",
                                                   "values": "Values", "rated": "Rated",
                                                   "unrated": "Blank"},
                                          "Rated and blank values"))
    section.blocks.append(Paragraph(check_sentences(inputs.checks)[0]))
    failed = check_sentences(inputs.checks)[1:]
    if failed:
        section.blocks.append(Bullets(tuple(failed)))
    if inputs.checks is not None and len(inputs.checks):
        checks = inputs.checks.assign(passed=inputs.checks["passed"].astype(bool),
                                      warned=_warned(inputs.checks))
        checks["failed"] = ~checks["passed"] & ~checks["warned"]
        per_check = checks.groupby(["asset", "check"], sort=True).agg(
            evaluated=("passed", "size"), passed=("passed", "sum"),
            failed=("failed", "sum"), warned=("warned", "sum")).reset_index()
        section.blocks.append(table_block(per_check, {"asset": "Asset", "check": "Check",
                                                      "evaluated": "Evaluated",
                                                      "passed": "Passed",
                                                      "failed": "Failed",
                                                      "warned": "Warning"},
                                          "Check outcomes (latest per assessment)"))
    return section if section.blocks else None


#: The report's sections, in order. A new section is a builder added here.
SECTION_BUILDERS: list[SectionBuilder] = [
    methodology_section,
    global_section,
    regional_section,
    correlations_section,
    priorities_section,
    published_section,
    audit_report_section,
    uncertainty_section,
    data_quality_section,
]


# --- rendering ------------------------------------------------------------------------

def build_sections(inputs: ReportInputs,
                   builders: Sequence[SectionBuilder] | None = None) -> list[Section]:
    builders = SECTION_BUILDERS if builders is None else builders
    return [s for s in (build(inputs) for build in builders) if s is not None]


def _environment() -> Environment:
    return Environment(loader=PackageLoader("mrc_pipeline", "templates"), autoescape=True,
                       trim_blocks=True, lstrip_blocks=True)


def render_html(sections: Sequence[Section], provenance: Mapping[str, str] | None = None,
                title: str = TITLE) -> str:
    """The whole report as one HTML page (styles inline, no scripts)."""
    template = _environment().get_template("report.html.j2")
    return template.render(title=title, sections=sections,
                           provenance=dict(provenance or {}))


def render_report(inputs: ReportInputs,
                  builders: Sequence[SectionBuilder] | None = None) -> str:
    return render_html(build_sections(inputs, builders), inputs.provenance)


def write_report(html: str, path: Path) -> Path:
    atomic_write_bytes(Path(path), html.encode("utf-8"))
    return Path(path)
