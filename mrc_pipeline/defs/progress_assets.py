"""Change between assessment rounds of a country, as an unpartitioned table."""

import pandas as pd
from dagster import AssetExecutionContext, Output, asset

from mrc_pipeline import progress
from mrc_pipeline.defs.aggregate_assets import GROUP, _output
from mrc_pipeline.defs.resources import MrcPaths


@asset(group_name=GROUP)
def country_progress(context: AssetExecutionContext, paths: MrcPaths,
                     assessment_info: pd.DataFrame, capability_ratings: pd.DataFrame,
                     country_sector_means: pd.DataFrame) -> Output:
    """Per country assessed more than once: change per capability and per sector
    between consecutive rounds (earlier and later year, difference, n)."""
    out = progress.country_progress(assessment_info, capability_ratings,
                                    country_sector_means, paths.reference())
    pairs = out[["iso3", "year_earlier", "year_later"]].drop_duplicates()
    context.log.info(f"{len(pairs)} pairs of rounds over "
                     f"{pairs['iso3'].nunique()} countries; {len(out)} rows")
    return _output(out, assessment_info, round_pairs=len(pairs))
