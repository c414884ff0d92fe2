"""The public edition of the report: built from the public tables alone (aggregates
over at least k countries), with the same sentence generators and page template as
the internal report, and no section that needs a country's rows."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mrc_pipeline import report as r
from mrc_pipeline.priority_text import public_sector_sentence, quadrant_sentence
from mrc_pipeline.public import PublicRelease
from mrc_pipeline.reference import VARIABLE_NAMES, VARIABLES, Reference

TITLE = f"{r.TITLE}: public edition"
COUNTRIES = "Countries"


def _names(ref: Reference) -> dict[str, str]:
    return dict(zip(ref.regions["region"], ref.regions["region_name"]))


def about_section(release: PublicRelease, ref: Reference) -> r.Section:
    """What the edition holds, what it leaves out, and which groups were suppressed."""
    section = r.Section("public-about", "About this edition")
    section.blocks.append(r.Paragraph(
        f"Every figure here is an aggregate over at least {release.k} countries. No "
        "country is named and no country's own ratings are shown; gap and "
        "recommendation texts are left out. A group from fewer than "
        f"{release.k} countries, and a total that would reveal such a group by "
        "subtraction, is left out and listed below. Mean and SD over few countries still "
        "narrow down the values behind them."))
    coverage = release.tables["coverage"]
    glob = coverage[coverage["scope"] == "global"]
    regions = coverage[coverage["scope"] == "region"]
    names = _names(ref)
    parts = [f"{names.get(row.region, row.region)} ({int(row.n_countries)})"
             for row in regions.itertuples()]
    if len(glob):
        text = (f"The analysis covers {int(glob['n_countries'].iloc[0])} countries "
                f"({int(glob['n_assessments'].iloc[0])} assessments)")
        text += f": {r.join_words(parts)}." if parts else "."
        section.blocks.append(r.Paragraph(text))
    notes = release.notes
    if len(notes):
        section.blocks.append(r.table_block(
            notes, {"table": "Table", "group": "Group left out", "reason": "Why"},
            f"{len(notes)} groups left out", collapsed=True))
    else:
        section.blocks.append(r.Paragraph("No group had to be left out."))
    return section


def global_section(release: PublicRelease, ref: Reference,
                   images: list[r.Image]) -> r.Section:
    t = release.tables
    section = r.Section("public-global", "Global analysis")
    section.blocks.append(r.Bullets(tuple(
        r.sector_maturity_sentences(t["maturity_by_sector"])
        + r.gap_sentences(t["gap_ratings_by_sector"]))))
    section.blocks += images
    section.blocks.append(r.table_block(
        t["maturity_by_sector"], {"sector": "Sector", "n": "n", "n_countries": COUNTRIES,
                                  "mean": "M", "sd": "SD"},
        "Maturity by sector, pooled ratings of all countries"))
    section.blocks.append(r.Bullets(tuple(
        r.capability_sentences(t["maturity_by_capability"], ref))))
    section.blocks.append(r.table_block(
        t["maturity_by_capability"], {"capability_no": "No.", "capability": "Capability",
                                      "sector": "Sector", "n": "n",
                                      "n_countries": COUNTRIES, "mean": "M", "sd": "SD"},
        "Maturity by capability, pooled ratings of all countries", collapsed=True))
    return section


def regional_section(release: PublicRelease, ref: Reference,
                     images: list[r.Image]) -> r.Section | None:
    summary = release.tables["regional_summary"]
    if summary.empty:
        return None
    section = r.Section("public-regional", "Regional analysis")
    section.blocks.append(r.Paragraph(
        "Regional figures are over country-level sector means; a sector figure from "
        f"fewer than {release.k} countries is left out."))
    section.blocks += images
    names = _names(ref)
    for region in [x for x in ref.regions["region"] if x in set(summary["region"])]:
        rows = summary[summary["region"] == region]
        sub = r.Section(f"public-region-{region.lower()}", names.get(region, region))
        sub.blocks.append(r.Bullets(tuple(
            r.region_variable_sentence(summary, region, v, ref) for v in VARIABLES
            if v in set(rows["variable"]))))
        table = rows.assign(variable=rows["variable"].map(VARIABLE_NAMES),
                            sector=rows["sector"].fillna("overall"))
        sub.blocks.append(r.table_block(
            table, {"variable": "Variable", "sector": "Sector", "n": "n",
                    "n_countries": COUNTRIES, "mean": "M", "sd": "SD"},
            f"{names.get(region, region)}: figures by variable and sector",
            collapsed=True))
        section.subsections.append(sub)
    return section


def correlations_section(release: PublicRelease) -> r.Section | None:
    corr = release.tables["correlations"]
    if corr.empty:
        return None
    section = r.Section("public-correlations", "Correlations")
    section.blocks.append(r.Bullets(tuple(r.correlation_sentence(row)
                                          for _, row in corr.iterrows())))
    return section


def priorities_section(release: PublicRelease, ref: Reference,
                       images: list[r.Image]) -> r.Section:
    t = release.tables
    section = r.Section("public-priorities", "Prioritisation")
    sectors = t["sector_priorities"]
    names = _names(ref)
    lines = [public_sector_sentence(sectors, "global", None, "All regions (pooled)")]
    lines += [public_sector_sentence(sectors, "region", region, names.get(region, region))
              for region in ref.regions["region"] if region in set(sectors["region"])]
    section.blocks.append(r.Bullets(tuple(lines)))
    quadrants = t["gap_quadrants"]
    rule = quadrants["rule"].iloc[0] if len(quadrants) else ""
    section.blocks.append(r.Paragraph(quadrant_sentence(quadrants, release.k)
                                      + (f" Rule: {rule}." if rule else "")))
    section.blocks += images
    return section


#: Public figures by section: (figure name, caption, alt text).
FIGURES = {
    "global": [("gap_analysis", "Mean priority, presence and realistic change per "
                "sector, all countries' gaps pooled, +/- 1 SD.", "Grouped bars per sector")],
    "regional": [
        ("regional_maturity_change", "Sector means by region: maturity and realistic "
         "change.", "Grouped bars of sector means per region"),
        ("regional_priority_presence", "Sector means by region: priority and presence.",
         "Grouped bars of sector means per region"),
        ("heatmap_region_sector", "Region x sector means for each variable.",
         "Heat maps of region by sector means")],
    "priorities": [
        ("sector_priorities", "Sector means of priority and realistic change, coloured "
         "by mean presence.", "Scatter panels of sector means"),
        ("gap_quadrants", "Gaps per quadrant, all regions and by region.",
         "Stacked bars of gap counts per quadrant")],
}


def public_sections(release: PublicRelease, ref: Reference,
                    figures: Mapping[str, Mapping[str, str | Path]]) -> list[r.Section]:
    """The public report's sections, from the release's tables and figures."""
    inputs = r.ReportInputs(ref=ref, tables=release.tables, figures=figures)

    def images(part: str) -> list[r.Image]:
        found = [inputs.image(*spec) for spec in FIGURES[part]]
        return [i for i in found if i is not None]

    sections = [about_section(release, ref),
                global_section(release, ref, images("global")),
                regional_section(release, ref, images("regional")),
                correlations_section(release),
                priorities_section(release, ref, images("priorities"))]
    return [s for s in sections if s is not None]


def render_public_report(release: PublicRelease, ref: Reference,
                         figures: Mapping[str, Mapping[str, str | Path]],
                         provenance: Mapping[str, str] | None = None) -> str:
    """The public report as one self-contained HTML page."""
    return r.render_html(public_sections(release, ref, figures), provenance, title=TITLE)

