"""The audit of the published figures and the bootstrap intervals, as assets.

Configuration (Dagster run config, ``ops: {<asset>: {config: ...}}``):

- ``published_audit``: ``unrated_gaps_as_zero`` (default false) audits the gap figures
  under the report-compatible reading, unrated gaps counted as 0, and labels every row
  it changes; the default reading is never replaced silently.
- ``bootstrap_intervals``, ``country_rank_intervals``: ``resamples`` (default 2000)
  and ``seed`` (default 20240601), both recorded in every row's convention.
"""

import pandas as pd
from dagster import AssetExecutionContext, Config, Output, asset
from pydantic import Field

from mrc_pipeline import audit, bootstrap, published
from mrc_pipeline.defs.aggregate_assets import _output
from mrc_pipeline.defs.resources import MrcPaths

GROUP = "audit"


class PublishedAuditConfig(Config):
    """How the audit reads unrated gaps."""

    unrated_gaps_as_zero: bool = Field(
        default=False,
        description="Audit the gap figures under the report-compatible reading, unrated "
                    f"gaps counted as 0 (rows labelled '{audit.REPORT_COMPATIBLE}'). "
                    "Off by default: blanks are missing, never 0.")


class BootstrapConfig(Config):
    """Size and seed of a bootstrap."""

    resamples: int = Field(default=bootstrap.DEFAULT_RESAMPLES, ge=1,
                           description="Number of bootstrap resamples.")
    seed: int = Field(default=bootstrap.DEFAULT_SEED,
                      description="Seed of numpy's default_rng.")


@asset(group_name=GROUP)
def published_audit(context: AssetExecutionContext, config: PublishedAuditConfig,
                    paths: MrcPaths, assessment_info: pd.DataFrame,
                    capability_ratings: pd.DataFrame, gaps: pd.DataFrame,
                    recommendations: pd.DataFrame, maturity_by_capability: pd.DataFrame,
                    maturity_by_sector: pd.DataFrame, maturity_by_country: pd.DataFrame,
                    gap_ratings_by_sector: pd.DataFrame, regional_summary: pd.DataFrame,
                    correlations: pd.DataFrame) -> Output:
    """Each published figure: reproduced, differs or infeasible, with the reason."""
    ref = paths.reference()
    computed = {"maturity_by_capability": maturity_by_capability,
                "maturity_by_sector": maturity_by_sector,
                "maturity_by_country": maturity_by_country,
                "gap_ratings_by_sector": gap_ratings_by_sector,
                "regional_summary": regional_summary, "correlations": correlations}
    tables = {"capability_ratings": capability_ratings, "gaps": gaps,
              "recommendations": recommendations}
    compatible = audit.computed_tables(tables, assessment_info, ref, unrated_as_zero=True)
    out = audit.audit_published(published.load_published(paths.data_dir), computed, ref,
                                report_compatible=compatible,
                                unrated_as_zero=config.unrated_gaps_as_zero)
    counts = {v: int((out["verdict"] == v).sum()) for v in audit.VERDICTS}
    reading = audit.REPORT_COMPATIBLE if config.unrated_gaps_as_zero else \
        audit.DEFAULT_READING
    context.log.info(f"Audited {len(out)} published figures ({reading}): " +
                     ", ".join(f"{n} {v}" for v, n in counts.items()))
    return _output(out, assessment_info, convention=reading, **counts)


@asset(group_name=GROUP)
def bootstrap_intervals(context: AssetExecutionContext, config: BootstrapConfig,
                        paths: MrcPaths, assessment_info: pd.DataFrame,
                        country_sector_means: pd.DataFrame) -> Output:
    """95% bootstrap intervals (countries resampled) for sector, regional means and r."""
    out = bootstrap.bootstrap_intervals(country_sector_means, paths.reference(),
                                        resamples=config.resamples, seed=config.seed)
    context.log.info(f"{len(out)} intervals from {config.resamples} resamples, "
                     f"seed {config.seed}")
    return _output(out, assessment_info, resamples=config.resamples, seed=config.seed)


@asset(group_name=GROUP)
def country_rank_intervals(context: AssetExecutionContext, config: BootstrapConfig,
                           paths: MrcPaths, assessment_info: pd.DataFrame,
                           capability_ratings: pd.DataFrame) -> Output:
    """Per assessment (Figure 1): mean maturity, rank and 95% bootstrap rank interval."""
    out = bootstrap.country_rank_intervals(capability_ratings, assessment_info,
                                           paths.reference(), resamples=config.resamples,
                                           seed=config.seed)
    context.log.info(f"Rank intervals for {len(out)} assessments from "
                     f"{config.resamples} resamples, seed {config.seed}")
    return _output(out, assessment_info, resamples=config.resamples, seed=config.seed)
