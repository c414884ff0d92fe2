"""Prioritisation assets: gaps ranked per assessment, sectors ranked per region and
globally, and the figure of gap priority against realistic change."""

import pandas as pd
from dagster import AssetExecutionContext, Config, Output, asset
from pydantic import Field

from mrc_pipeline import priorities, priority_figures
from mrc_pipeline.defs.aggregate_assets import GROUP, _output
from mrc_pipeline.defs.report_assets import FIGURES_GROUP, JITTER_SEED, _publish
from mrc_pipeline.defs.resources import MrcPaths
from mrc_pipeline.priorities import PriorityRules

FIGURE = "gap_priorities"


class PriorityConfig(Config):
    """Quadrant thresholds, change rule and score weights (see ``PriorityRules``)."""

    urgent_priority: int = Field(
        default=4, description="A gap is urgent at this priority or above "
        "(default 4 = harmful; 5 = urgent).")
    changeable_change: int = Field(
        default=3, description="A gap is changeable when the realistic change of its "
        "recommendations is at least this (default 3 = moderate).")
    present_presence: int = Field(
        default=3, description="The organisation is present at this presence or above "
        "(default 3 = regular).")
    change_rule: str = Field(
        default="max", description="How the realistic change of several "
        "recommendations of one gap is combined: max (default) or mean.")
    priority_weight: float = Field(default=0.5, description="Score weight of priority.")
    change_weight: float = Field(default=0.3, description="Score weight of change.")
    presence_weight: float = Field(default=0.2, description="Score weight of presence.")

    def rules(self) -> PriorityRules:
        return PriorityRules(
            urgent_priority=self.urgent_priority, changeable_change=self.changeable_change,
            present_presence=self.present_presence, change_rule=self.change_rule,
            priority_weight=self.priority_weight, change_weight=self.change_weight,
            presence_weight=self.presence_weight)


@asset(group_name=GROUP)
def gap_priorities(context: AssetExecutionContext, config: PriorityConfig, paths: MrcPaths,
                   assessment_info: pd.DataFrame, gaps: pd.DataFrame,
                   recommendations: pd.DataFrame) -> Output:
    """Per assessment and gap: quadrant (act now, build presence, advocate, monitor or
    unrated), score and rank, with the realistic change of its recommendations."""
    out = priorities.gap_priorities(gaps, recommendations, assessment_info,
                                    paths.reference(), config.rules())
    counts = out["quadrant"].value_counts()
    context.log.info(f"{len(out)} gaps placed: " + ", ".join(
        f"{int(counts.get(q, 0))} {q}" for q in priorities.QUADRANTS))
    return _output(out, assessment_info, rule=config.rules().describe(),
                   **{f"gaps {q}": int(counts.get(q, 0)) for q in priorities.QUADRANTS})


@asset(group_name=GROUP)
def sector_priorities(paths: MrcPaths, assessment_info: pd.DataFrame, gaps: pd.DataFrame,
                      recommendations: pd.DataFrame,
                      country_sector_means: pd.DataFrame) -> Output:
    """Per region and globally: sectors ranked by mean priority, presence and realistic
    change, the three rankings side by side."""
    ref = paths.reference()
    out = priorities.sector_priorities(gaps, recommendations, country_sector_means,
                                       assessment_info, ref)
    leaders = {f"top {v} (global)": ", ".join(priorities.top_sectors(out, v))
               for v in priorities.SECTOR_VARIABLES}
    return _output(out, assessment_info, **leaders)


@asset(group_name=FIGURES_GROUP)
def figure_gap_priorities(context: AssetExecutionContext, paths: MrcPaths,
                          gap_priorities: pd.DataFrame) -> Output:
    """Gap priority against realistic change, one point per gap, coloured by presence,
    one panel per region."""
    rules = PriorityRules.of_table(gap_priorities)
    fig = priority_figures.gap_priority_figure(gap_priorities, rules, paths.reference(),
                                               seed=JITTER_SEED)
    plotted = int(gap_priorities[["priority", "realistic_change"]].notna().all(
        axis=1).sum())
    context.log.info(f"Plotted {plotted} of {len(gap_priorities)} gaps")
    return _publish(context, paths, FIGURE, fig)
