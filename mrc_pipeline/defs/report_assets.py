"""Figures and the HTML report: thin wiring over ``mrc_pipeline.figures`` and
``mrc_pipeline.report``.

Each figure asset draws one figure from the output tables, writes it as PNG and SVG
under ``<output>/figures/`` and returns the written paths (a small dict); the UI shows
the figure through the materialisation metadata. The ``report`` asset renders
``<output>/report.html`` from the tables and those figures on every aggregate run.
"""

import base64
import datetime as dt

import pandas as pd
from dagster import (
    AssetCheckKey,
    AssetExecutionContext,
    AssetIn,
    MetadataValue,
    Output,
    RunsFilter,
    asset,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecordStatus,
)
from dagster._core.storage.tags import PARTITION_NAME_TAG

from mrc_pipeline import figures, report
from mrc_pipeline.defs.partitions import ASSESSMENTS_PARTITION
from mrc_pipeline.defs.resources import MrcPaths, code_version

FIGURES_GROUP = "figures"
REPORT_GROUP = "report"
FIGURES_DIR = "figures"
REPORT_FILE = "report.html"
#: Seed of the scatter plots' jitter, so a re-run draws the same picture.
JITTER_SEED = 20240601


def _publish(context: AssetExecutionContext, paths: MrcPaths, name: str,
             fig) -> Output:
    """Save ``fig`` as ``<output>/figures/<name>.png|.svg``; the PNG goes in metadata."""
    files = figures.save_figure(fig, paths.output / FIGURES_DIR, name)
    png = files["png"].read_bytes()
    context.log.info(f"Figure {name}: wrote {len(files)} files "
                     f"({len(png)} bytes PNG) to {files['png'].parent}")
    encoded = base64.b64encode(png).decode("ascii")
    return Output({fmt: str(path) for fmt, path in files.items()}, metadata={
        "figure": MetadataValue.md(f"![{name}](data:image/png;base64,{encoded})"),
        "png_path": MetadataValue.path(str(files["png"])),
        "svg_path": MetadataValue.path(str(files["svg"])),
    })


@asset(group_name=FIGURES_GROUP)
def figure_maturity_by_country(context: AssetExecutionContext, paths: MrcPaths,
                               maturity_by_country: pd.DataFrame) -> Output:
    """Figure 1: mean maturity per assessment, sorted, coloured by region."""
    fig = figures.maturity_by_country_figure(maturity_by_country, paths.reference())
    return _publish(context, paths, "maturity_by_country", fig)


@asset(group_name=FIGURES_GROUP)
def figure_gap_analysis(context: AssetExecutionContext, paths: MrcPaths,
                        gap_ratings_by_sector: pd.DataFrame) -> Output:
    """Figure 2: pooled priority, presence and realistic change per sector, +/- SD."""
    fig = figures.gap_analysis_figure(gap_ratings_by_sector, paths.reference())
    return _publish(context, paths, "gap_analysis", fig)


@asset(group_name=FIGURES_GROUP)
def figure_regional_maturity_change(context: AssetExecutionContext, paths: MrcPaths,
                                    regional_summary: pd.DataFrame) -> Output:
    """Per region, sector means of maturity and of realistic change."""
    fig = figures.regional_figure(regional_summary, paths.reference(),
                                  ("maturity", "change"))
    return _publish(context, paths, "regional_maturity_change", fig)


@asset(group_name=FIGURES_GROUP)
def figure_regional_priority_presence(context: AssetExecutionContext, paths: MrcPaths,
                                      regional_summary: pd.DataFrame) -> Output:
    """Per region, sector means of priority and of presence."""
    fig = figures.regional_figure(regional_summary, paths.reference(),
                                  ("priority", "presence"))
    return _publish(context, paths, "regional_priority_presence", fig)


@asset(group_name=FIGURES_GROUP)
def figure_heatmap_country_capability(context: AssetExecutionContext, paths: MrcPaths,
                                      assessments: pd.DataFrame,
                                      capability_ratings: pd.DataFrame) -> Output:
    """Heat map of maturity, assessment x capability, grouped by region and sector."""
    fig = figures.capability_heatmap(capability_ratings, assessments, paths.reference())
    return _publish(context, paths, "heatmap_country_capability", fig)


@asset(group_name=FIGURES_GROUP)
def figure_heatmap_region_sector(context: AssetExecutionContext, paths: MrcPaths,
                                 regional_summary: pd.DataFrame) -> Output:
    """Heat maps of region x sector means, one panel per variable."""
    fig = figures.region_sector_heatmap(regional_summary, paths.reference())
    return _publish(context, paths, "heatmap_region_sector", fig)


@asset(group_name=FIGURES_GROUP)
def figure_scatter_maturity_presence(context: AssetExecutionContext, paths: MrcPaths,
                                     country_sector_means: pd.DataFrame,
                                     correlations: pd.DataFrame) -> Output:
    """Maturity vs presence per country x sector cell, with r, n and p."""
    fig = figures.correlation_scatter(country_sector_means, correlations,
                                      paths.reference(), "maturity", "presence",
                                      seed=JITTER_SEED)
    return _publish(context, paths, "scatter_maturity_presence", fig)


@asset(group_name=FIGURES_GROUP)
def figure_scatter_maturity_change(context: AssetExecutionContext, paths: MrcPaths,
                                   country_sector_means: pd.DataFrame,
                                   correlations: pd.DataFrame) -> Output:
    """Maturity vs realistic change per country x sector cell, with r, n and p."""
    fig = figures.correlation_scatter(country_sector_means, correlations,
                                      paths.reference(), "maturity", "change",
                                      seed=JITTER_SEED)
    return _publish(context, paths, "scatter_maturity_change", fig)


FIGURE_ASSETS = (
    "figure_maturity_by_country", "figure_gap_analysis",
    "figure_regional_maturity_change", "figure_regional_priority_presence",
    "figure_heatmap_country_capability", "figure_heatmap_region_sector",
    "figure_scatter_maturity_presence", "figure_scatter_maturity_change",
    "figure_gap_priorities",
)
#: Tables the report's section builders read; a new section's table is added here.
REPORT_TABLES = (
    "assessments", "maturity_by_sector", "maturity_by_capability", "maturity_by_country",
    "gap_ratings_by_sector", "regional_summary", "correlations", "published_comparison",
    "capability_ratings", "gaps", "recommendations", "published_audit",
    "bootstrap_intervals", "country_rank_intervals", "gap_priorities", "sector_priorities",
)
_DONE = {AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}


def graph_check_keys() -> list[AssetCheckKey]:
    """Every check declared by the asset and check modules of the Definitions."""
    # Imported late: the definitions module imports this one.
    from mrc_pipeline.definitions import ASSET_MODULES, CHECK_MODULES

    keys = {key for definition in load_assets_from_modules(ASSET_MODULES)
            for key in getattr(definition, "check_keys", ())}
    for checks in load_asset_checks_from_modules([*ASSET_MODULES, *CHECK_MODULES]):
        keys |= set(checks.check_keys)
    return sorted(keys, key=lambda k: (k.asset_key.to_user_string(), k.name))


def _run_partitions(instance, run_ids: set[str]) -> dict[str, str | None]:
    """The partition each run materialised (None for unpartitioned runs)."""
    if not run_ids:
        return {}
    runs = instance.get_runs(filters=RunsFilter(run_ids=sorted(run_ids)))
    return {run.run_id: run.tags.get(PARTITION_NAME_TAG) for run in runs}


def _detail(evaluation) -> str:
    """A failed check in a few words: its problem count, else its description."""
    for name in ("error_count", "failures"):
        value = getattr(evaluation.metadata.get(name), "value", None)
        if isinstance(value, int):
            return f"{value} problem{'' if value == 1 else 's'}"
        if isinstance(value, str) and value.startswith("- "):
            # A markdown list of what was found: the finding, not the expectation.
            found = [line[2:] for line in value.splitlines() if line.startswith("- ")]
            return "; ".join(found[:3]) + (f" (and {len(found) - 3} more)"
                                            if len(found) > 3 else "")
    return str(evaluation.description or "")


def latest_check_outcomes(context: AssetExecutionContext, page_size: int = 500
                          ) -> pd.DataFrame:
    """The latest completed evaluation of every check of the graph, per registered
    assessment for per-assessment checks (the partition is the run's), read from the
    instance's event log newest first until every assessment has an outcome."""
    instance = context.instance
    registered = set(instance.get_dynamic_partitions(ASSESSMENTS_PARTITION))
    storage = instance.event_log_storage
    rows = []
    for key in graph_check_keys():
        seen: set[str | None] = set()
        cursor = None
        while True:
            page = storage.get_asset_check_execution_history(
                key, limit=page_size, cursor=cursor, status=_DONE)
            partitions = _run_partitions(instance, {r.run_id for r in page})
            for record in page:
                part = record.partition or partitions.get(record.run_id)
                if part in seen or (part is not None and part not in registered):
                    continue
                seen.add(part)
                evaluation = record.event.get_dagster_event().asset_check_evaluation_data
                rows.append({"asset": key.asset_key.to_user_string(), "check": key.name,
                             "partition": part, "passed": bool(evaluation.passed),
                             "severity": evaluation.severity.value,
                             "detail": "" if evaluation.passed else _detail(evaluation)})
            if len(page) < page_size or None in seen or registered <= seen:
                break
            cursor = page[-1].id
    return pd.DataFrame(rows, columns=["asset", "check", "partition", "passed", "severity",
                                       "detail"])


@asset(group_name=REPORT_GROUP,
       ins={name: AssetIn() for name in REPORT_TABLES + FIGURE_ASSETS})
def report_html(context: AssetExecutionContext, paths: MrcPaths, **inputs) -> Output:
    """The comparative-analysis report: one self-contained HTML file, figures inlined."""
    checks = latest_check_outcomes(context)
    tables = {name: inputs[name] for name in REPORT_TABLES}
    provenance = {
        "Assessments": str(len(tables["assessments"])),
        "Generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "Run": context.run_id,
        "Code version": code_version(),
    }
    report_inputs = report.ReportInputs(
        ref=paths.reference(), tables=tables,
        figures={name: inputs[name] for name in FIGURE_ASSETS if inputs[name]},
        checks=checks, provenance=provenance)
    sections = report.build_sections(report_inputs)
    html = report.render_html(sections, provenance)
    path = report.write_report(html, paths.output / REPORT_FILE)
    images = html.count('src="data:image/png;base64,')
    context.log.info(f"Report: {len(sections)} sections, {images} figures inlined, "
                     f"{len(html)} characters, written to {path}")
    return Output({"path": str(path)}, metadata={
        "path": MetadataValue.path(str(path)), "sections": len(sections),
        "figures_inlined": images, "bytes": len(html.encode("utf-8")),
        "checks_evaluated": len(checks),
        "checks_failed": len(checks) - int(checks["passed"].astype(bool).sum())})
