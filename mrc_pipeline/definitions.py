"""The Definitions of mrc-pipeline, built by a factory so tests can swap folders."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import (
    AssetSelection,
    Definitions,
    define_asset_job,
    load_asset_checks_from_modules,
    load_assets_from_modules,
    multiprocess_executor,
)
from dagster._core.definitions.executor_definition import in_process_executor

from mrc_pipeline.defs import (
    aggregate_assets,
    assessment_assets,
    audit_assets,
    automation,
    priority_assets,
    progress_assets,
    public_assets,
    quality_checks,
    report_assets,
)
from mrc_pipeline.defs.partitions import assessments_partitions
from mrc_pipeline.defs.resources import (
    MrcIOManager,
    MrcPaths,
    default_data_dir,
    default_output_dir,
)

#: Modules whose assets make up the graph; a new module of assets is added here.
ASSET_MODULES = [assessment_assets, aggregate_assets, audit_assets, report_assets,
                 priority_assets, public_assets, progress_assets]
#: Modules of asset checks defined apart from their assets.
CHECK_MODULES = [quality_checks, public_assets]

ASSESSMENT_JOB = "assessment_job"
AGGREGATE_JOB = "aggregate_job"

assessment_selection = AssetSelection.groups("assessment")
#: Everything not per assessment: aggregates, and the figures and reports built on them.
aggregate_selection = AssetSelection.all() - assessment_selection

#: ``MRC_EXECUTOR``: in_process (default, fastest on one machine), multiprocess (each
#: step in its own process) or k8s (each step in its own pod; needs dagster-k8s).
EXECUTORS = {"in_process": in_process_executor, "multiprocess": multiprocess_executor}


def _executor():
    name = os.environ.get("MRC_EXECUTOR", "in_process")
    if name == "k8s":
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError as exc:
            raise ValueError("MRC_EXECUTOR=k8s needs the dagster-k8s package (same "
                             "release line as dagster)") from exc
        return k8s_job_executor
    if name not in EXECUTORS:
        raise ValueError(f"MRC_EXECUTOR={name!r}; expected one of "
                         f"{', '.join([*EXECUTORS, 'k8s'])}")
    return EXECUTORS[name]


def _with_automation(spec):
    """Unpartitioned assets recompute automatically after assessments update; not
    those that may skip their output (an opt-in release such as ``public_release``),
    which would be requested again after every update."""
    if spec.partitions_def is not None or spec.skippable:
        return spec
    return spec.replace_attributes(automation_condition=automation.AGGREGATE_CONDITION)


def build_definitions(data_dir: str | None = None,
                      output_dir: str | None = None) -> Definitions:
    """Definitions reading ``data_dir`` and writing ``output_dir`` (defaults: the
    ``MRC_DATA_DIR`` / ``MRC_OUTPUT_DIR`` environment variables, else the shipped
    data and ``output/``)."""
    data_dir = str(Path(data_dir or default_data_dir()).resolve())
    output_dir = str(Path(output_dir or default_output_dir()).resolve())
    assets = [a.map_asset_specs(_with_automation) for a in
              load_assets_from_modules(ASSET_MODULES)]
    jobs = [
        define_asset_job(ASSESSMENT_JOB, selection=assessment_selection,
                         partitions_def=assessments_partitions,
                         description="Read and validate one assessment workbook."),
        define_asset_job(AGGREGATE_JOB, selection=aggregate_selection,
                         tags={automation.AGGREGATE_TAG: "job"},
                         description="Recompute every table over all assessments."),
    ]
    unpartitioned = [spec.key for a in assets for spec in a.specs
                     if spec.partitions_def is None]
    partitioned = [spec.key for a in assets for spec in a.specs
                   if spec.partitions_def is not None]
    return Definitions(
        assets=assets,
        asset_checks=load_asset_checks_from_modules(CHECK_MODULES),
        jobs=jobs,
        sensors=[automation.build_folder_sensor(*jobs),
                 automation.build_automation_sensor(aggregate_selection)],
        schedules=[automation.build_daily_refresh(partitioned, unpartitioned)],
        executor=_executor(),
        resources={
            "paths": MrcPaths(data_dir=str(data_dir), output_dir=str(output_dir)),
            "io_manager": MrcIOManager(output_dir=str(output_dir),
                                       tables_uri=os.environ.get("MRC_TABLES_URI", "")),
        },
    )


defs = build_definitions()
