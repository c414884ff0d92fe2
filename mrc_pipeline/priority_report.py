"""The report's prioritisation section: the rule, the gap figure, where intervention
would be most effective per region, and the top gaps of every assessment, each in
generated sentences.

``mrc_pipeline.report`` lists :func:`priorities_section` among its section builders;
the report module is imported when the section is built, not at import time, as it
imports this one.
"""

from __future__ import annotations

import pandas as pd

from mrc_pipeline.priorities import QUADRANTS, SECTOR_VARIABLES
from mrc_pipeline.priority_text import assessment_sentences, sector_sentence
from mrc_pipeline.reference import VARIABLE_NAMES

TOP_GAPS = 3


def _quadrant_counts(gap_priorities: pd.DataFrame) -> pd.DataFrame:
    counts = gap_priorities.pivot_table(index=["assessment_id", "country"],
                                        columns="quadrant", values="gap_id",
                                        aggfunc="size", fill_value=0)
    counts = counts.reindex(columns=[q for q in QUADRANTS], fill_value=0)
    return counts.reset_index()


def priorities_section(inputs):
    """Prioritisation: quadrants of the gaps and the leading sectors (None when
    neither table is there)."""
    from mrc_pipeline import report as r

    gp = inputs.table("gap_priorities")
    sp = inputs.table("sector_priorities")
    if gp is None and sp is None:
        return None
    ref = inputs.ref
    section = r.Section("priorities", "Prioritisation")
    if gp is not None and len(gp):
        section.blocks.append(r.Paragraph(
            "Each gap is set beside the realistic change of the recommendations that "
            "address it and placed in a quadrant: act now (urgent, changeable, present), "
            "build presence (urgent and changeable, little presence), advocate (urgent, "
            "hard to change) or monitor (not urgent); a gap missing a rating the rule "
            "needs is reported as unrated, never scored as 0. Rule: "
            f"{gp['rule'].iloc[0]}."))
        image = inputs.image("figure_gap_priorities", "Gap priority against realistic "
                             "change per gap, coloured by presence, by region.",
                             "Scatter panels of gap priority against realistic change")
        section.blocks += [b for b in [image] if b]
    if sp is not None and len(sp):
        names = dict(zip(ref.regions["region"], ref.regions["region_name"]))
        sub = r.Section("priorities-sectors", "Where intervention would be most effective")
        lines = [sector_sentence(sp, "global", None, "All regions (pooled ratings)")]
        lines += [sector_sentence(sp, "region", region, names.get(region, region))
                  for region in ref.regions["region"] if region in set(sp["region"])]
        sub.blocks.append(r.Bullets(tuple(lines)))
        columns = {"sector": "Sector"}
        for variable in SECTOR_VARIABLES:
            columns[f"{variable}_mean"] = f"{VARIABLE_NAMES[variable]} M"
            columns[f"{variable}_rank"] = "rank"
        glob = sp[sp["scope"] == "global"]
        sub.blocks.append(r.table_block(glob, columns, "Sectors ranked by mean priority, "
                                        "presence and realistic change, all regions "
                                        "(rank 1 = highest)", note=glob[
                                            "convention"].iloc[0] if len(glob) else ""))
        section.subsections.append(sub)
    if gp is not None and len(gp):
        sub = r.Section("priorities-assessments", "Top gaps per assessment")
        sub.blocks.append(r.Bullets(tuple(assessment_sentences(gp, ref, TOP_GAPS))))
        counts = _quadrant_counts(gp)
        columns = {"country": "Country", "assessment_id": "Assessment"}
        columns.update({q: q for q in QUADRANTS})
        sub.blocks.append(r.table_block(counts, columns, "Gaps per quadrant and "
                                        "assessment", collapsed=True, decimals=0))
        section.subsections.append(sub)
    return section
