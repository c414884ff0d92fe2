"""The public set: aggregates over at least k countries under ``<output>/public/``,
written only when the run config switches it on (``mrc run --public``), and the
blocking scan that fails on any country name, code or small group in it."""

import datetime as dt

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetIn,
    Config,
    MetadataValue,
    Output,
    asset,
    asset_check,
)
from pydantic import Field

from mrc_pipeline import public
from mrc_pipeline.defs.resources import MrcPaths, code_version
from mrc_pipeline.priorities import PriorityRules

GROUP = "public"
PUBLIC_ASSET = "public_release"
MAX_LISTED = 50


class PublicConfig(Config):
    """Whether to write the public set, and its smallest group."""

    enabled: bool = Field(default=False, description="Write the public set under "
                          "<output>/public (mrc run --public).")
    k: int = Field(default=2, description="Smallest number of countries a published "
                   "aggregate may cover (at least 2).")


@asset(group_name=GROUP, output_required=False)
def public_release(context: AssetExecutionContext, config: PublicConfig, paths: MrcPaths,
                   assessment_info: pd.DataFrame, capability_ratings: pd.DataFrame,
                   gaps: pd.DataFrame, recommendations: pd.DataFrame,
                   country_sector_means: pd.DataFrame, gap_priorities: pd.DataFrame):
    """Public tables, figures and report: aggregates over at least k countries, no
    country named (written only when ``enabled``)."""
    if not config.enabled:
        context.log.info("Public set not requested (enabled: false); nothing written")
        return
    ref = paths.reference()
    tables = {"capability_ratings": capability_ratings, "gaps": gaps,
              "recommendations": recommendations}
    release = public.build_release(tables, assessment_info, country_sector_means,
                                   gap_priorities, ref, public.DisclosureRules(config.k))
    provenance = {
        "Smallest group": f"{release.k} countries",
        "Generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "Run": context.run_id, "Code version": code_version()}
    folder = public.write_release(release, paths.output, ref,
                                  PriorityRules.of_table(gap_priorities), provenance)
    context.log.info(f"Public set written to {folder}: {release.summary()}")
    yield Output(release, metadata={
        "folder": MetadataValue.path(str(folder)), "k": release.k, **release.summary(),
        "suppression_notes": MetadataValue.md(_notes_markdown(release.notes))})


def _notes_markdown(notes: pd.DataFrame) -> str:
    lines = [f"- {r.table}: {r.group} ({r.reason})"
             for r in notes.head(MAX_LISTED).itertuples()]
    if len(notes) > MAX_LISTED:
        lines.append(f"- ... and {len(notes) - MAX_LISTED} more")
    return "\n".join(lines) or "none"


def scan_result(paths: MrcPaths, assessment_info: pd.DataFrame, k: int) -> AssetCheckResult:
    """Scan every file under ``<output>/public`` and report each finding."""
    terms = public.DisclosureTerms.from_data(paths.reference(),
                                             assessment_info["assessment_id"].tolist())
    folder = paths.output / "public"
    findings = public.scan_public(folder, terms, k)
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    listed = "\n".join(f"- {f}" for f in findings[:MAX_LISTED]) or "none"
    return AssetCheckResult(
        passed=not findings, severity=AssetCheckSeverity.ERROR,
        description=f"{len(findings)} disclosures in {files} public files" if findings
        else None,
        metadata={"files_scanned": files, "findings": len(findings), "k": k,
                  "details": MetadataValue.md(listed)})


@asset_check(asset=PUBLIC_ASSET, blocking=True,
             additional_ins={"assessment_info": AssetIn("assessment_info")},
             description="No file under <output>/public names a country or code of the "
                         "data, and every table counts at least k countries per row.")
def no_disclosure(paths: MrcPaths, public_release: public.PublicRelease,
                  assessment_info: pd.DataFrame) -> AssetCheckResult:
    return scan_result(paths, assessment_info, public_release.k)
