"""Unpartitioned assets over every validated assessment, each read in one scan."""


import pandas as pd
from dagster import AssetExecutionContext, AssetIn, MetadataValue, Output, asset

from mrc_pipeline import aggregate, published
from mrc_pipeline.defs.metadata import table_metadata
from mrc_pipeline.defs.resources import MrcPaths
from mrc_pipeline.instrument import file_sha256

GROUP = "aggregates"


def _output(frame: pd.DataFrame, info: pd.DataFrame, **extra: object) -> Output:
    """The table with the assessment set it came from recorded for its version."""
    hashes = dict(zip(info["assessment_id"], info["source_sha256"])) if len(info) else {}
    frame = frame.reset_index(drop=True)
    metadata = table_metadata(frame, assessments=len(hashes), **extra)
    # Attached last: pandas deep-copies attrs on every operation.
    frame.attrs["commit"] = {"assessments": sorted(hashes), "input_hashes": hashes}
    return Output(frame, metadata=metadata)


def _tables(capability_ratings, gaps, recommendations) -> dict[str, pd.DataFrame]:
    return {"capability_ratings": capability_ratings, "gaps": gaps,
            "recommendations": recommendations}


@asset(group_name=GROUP)
def assessments(context: AssetExecutionContext, paths: MrcPaths,
                assessment_info: pd.DataFrame, capability_ratings: pd.DataFrame,
                gaps: pd.DataFrame, recommendations: pd.DataFrame) -> Output:
    """Catalogue: one row per validated assessment, its counts and whether the
    workbook in the folder is still the one validated (status current or stale)."""
    out = aggregate.assessments_catalogue(
        assessment_info, _tables(capability_ratings, gaps, recommendations))
    folder = paths.assessments_dir
    current = {row.assessment_id: (folder / row.source_file) for row in out.itertuples()}
    out["status"] = [
        "workbook missing" if not path.is_file() else
        ("current" if file_sha256(path) == sha else "stale: the workbook changed and "
         "its new version has not validated")
        for path, sha in zip(current.values(), out["source_sha256"])]
    context.log.info(f"Catalogued {len(out)} assessments; "
                     f"{int((out['status'] != 'current').sum())} not current")
    return _output(out, assessment_info)


@asset(group_name=GROUP)
def country_sector_means(assessment_info: pd.DataFrame, capability_ratings: pd.DataFrame,
                         gaps: pd.DataFrame, recommendations: pd.DataFrame) -> Output:
    """Long table at the country x sector grain: n and mean of each variable."""
    cells = aggregate.country_sector_means(
        _tables(capability_ratings, gaps, recommendations), assessment_info)
    return _output(cells, assessment_info)


@asset(group_name=GROUP)
def maturity_by_capability(paths: MrcPaths, assessment_info: pd.DataFrame,
                           capability_ratings: pd.DataFrame) -> Output:
    """Maturity per capability (report Table 4): pooled ratings, n, mean, sample SD."""
    return _output(aggregate.maturity_by_capability(capability_ratings, paths.reference()),
                   assessment_info)


@asset(group_name=GROUP)
def maturity_by_sector(paths: MrcPaths, assessment_info: pd.DataFrame,
                       capability_ratings: pd.DataFrame) -> Output:
    """Maturity per sector (report Table 3): pooled country x capability ratings."""
    return _output(aggregate.maturity_by_sector(capability_ratings, paths.reference()),
                   assessment_info)


@asset(group_name=GROUP)
def maturity_by_country(paths: MrcPaths, assessment_info: pd.DataFrame,
                        capability_ratings: pd.DataFrame) -> Output:
    """Maturity per assessment (report Figure 1): mean of its capability ratings."""
    return _output(aggregate.maturity_by_country(capability_ratings, assessment_info,
                                                 paths.reference()), assessment_info)


@asset(group_name=GROUP)
def maturity_by_region(paths: MrcPaths, assessment_info: pd.DataFrame,
                       country_sector_means: pd.DataFrame) -> Output:
    """Maturity per region and sector, over country-level sector means."""
    return _output(aggregate.maturity_by_region(country_sector_means, paths.reference()),
                   assessment_info)


@asset(group_name=GROUP)
def gap_ratings_by_sector(paths: MrcPaths, assessment_info: pd.DataFrame,
                          gaps: pd.DataFrame, recommendations: pd.DataFrame,
                          country_sector_means: pd.DataFrame) -> Output:
    """Priority, presence and realistic change per sector, globally and per region."""
    tables = {"gaps": gaps, "recommendations": recommendations}
    return _output(aggregate.gap_ratings_by_sector(tables, country_sector_means,
                                                   paths.reference()), assessment_info)


@asset(group_name=GROUP)
def correlations(assessment_info: pd.DataFrame, country_sector_means: pd.DataFrame) -> Output:
    """Maturity vs presence and vs realistic change: n, Pearson r, p, 95% CI, Spearman."""
    out = aggregate.correlations(country_sector_means)
    summary = {f"r_maturity_{row.y}": float(row.pearson_r) for row in out.itertuples()}
    return _output(out, assessment_info, **{k: MetadataValue.float(v)
                                            for k, v in summary.items()})


@asset(group_name=GROUP)
def regional_summary(paths: MrcPaths, assessment_info: pd.DataFrame,
                     country_sector_means: pd.DataFrame) -> Output:
    """Per region and variable: each sector and overall, with highest/lowest marked."""
    return _output(aggregate.regional_summary(country_sector_means, paths.reference()),
                   assessment_info)


@asset(group_name=GROUP, ins={name: AssetIn() for name in (
    "maturity_by_capability", "maturity_by_sector", "maturity_by_country",
    "gap_ratings_by_sector", "regional_summary", "correlations")})
def published_comparison(context: AssetExecutionContext, paths: MrcPaths,
                         assessment_info: pd.DataFrame, **computed: pd.DataFrame) -> Output:
    """Every figure the June 2024 report published beside the computed one."""
    out = published.compare(published.load_published(paths.data_dir), computed)
    equal = int(out["equal_at_published_precision"].sum())
    context.log.info(f"{equal} of {len(out)} published figures reproduced at 2 decimals")
    return _output(out, assessment_info, reproduced=equal, published_figures=len(out))
