"""Per-assessment assets: the workbook as read, then its validated tables.

The raw asset carries the blocking ``workbook_valid`` check: a workbook with any
error stops there, so its validated tables keep their previous version (or stay
absent) and the aggregates never see half-valid data.
"""


import warnings
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetOut,
    DataVersion,
    Failure,
    MetadataValue,
    Output,
    asset,
    multi_asset,
)
from dagster._utils.warnings import BetaWarning

from mrc_pipeline.defs.metadata import table_metadata
from mrc_pipeline.defs.partitions import assessments_partitions
from mrc_pipeline.defs.resources import MrcPaths, code_version
from mrc_pipeline.instrument import (
    Issue,
    RawWorkbook,
    read_workbook,
    validate_workbook,
)
from mrc_pipeline.reference import Reference
from mrc_pipeline.schemas import schema_errors
from mrc_pipeline.sync import scan_folder, validated_version, validator_version

VALIDATED_TABLES = ("assessment_info", "capability_ratings", "gaps", "recommendations")
MAX_LISTED = 50
DESCRIPTIONS = {
    "assessment_info": "One row per assessment: country, region, year, source file hash.",
    "capability_ratings": "Maturity 1-4 per assessment and capability (blank = not rated).",
    "gaps": "Gaps per assessment with priority 1-5 and presence 1-4.",
    "recommendations": "Recommendations per assessment with realistic change 1-5.",
}


def find_workbook(folder: Path, assessment_id: str, ref: Reference | None = None
                  ) -> Path | None:
    """The workbook of an assessment: ``ID.xlsx`` if present, else the first file
    (by name) whose contents give that id."""
    direct = folder / f"{assessment_id}.xlsx"
    if direct.is_file():
        return direct
    return next((folder / e.name for e in scan_folder(folder, ref=ref)
                 if e.assessment_id == assessment_id), None)


def issues_markdown(issues: list[Issue]) -> MetadataValue:
    lines = [f"- `{i.location()}`" + str(i)[len(i.location()):] for i in issues[:MAX_LISTED]]
    if len(issues) > MAX_LISTED:
        lines.append(f"- ... and {len(issues) - MAX_LISTED} more")
    return MetadataValue.md("\n".join(lines) or "none")


@asset(
    partitions_def=assessments_partitions,
    group_name="assessment",
    check_specs=[AssetCheckSpec(
        "workbook_valid", asset="raw_workbook", blocking=True,
        description="The workbook reads and every cell validates against the instrument "
                    "and the reference data; lists every error with its cell.")],
)
def raw_workbook(context: AssetExecutionContext, paths: MrcPaths):
    """The assessment workbook's four sheets as read, each value with its cell."""
    aid = context.partition_key
    path = find_workbook(paths.assessments_dir, aid, paths.reference())
    if path is None:
        raw = RawWorkbook(file=f"{aid}.xlsx", sha256="")
        raw.issues.append(Issue(raw.file, None, None, "no workbook for this assessment "
                                f"in {paths.assessments_dir.name}/"))
    else:
        raw = read_workbook(path)
    issues = validate_workbook(raw, paths.reference(), expected_id=aid).issues
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity != "error"]
    context.log.info(f"{raw.file}: read {sum(len(s) for s in raw.sheets.values())} rows "
                     f"in {len(raw.sheets)} sheets; {len(errors)} errors, "
                     f"{len(warnings)} warnings")
    yield Output(raw, metadata={
        "file": raw.file, "sha256": raw.sha256,
        "rows_per_sheet": {k: len(v) for k, v in raw.sheets.items()},
        "warnings": issues_markdown(warnings)})
    yield AssetCheckResult(
        check_name="workbook_valid", passed=not errors, severity=AssetCheckSeverity.ERROR,
        metadata={"error_count": len(errors), "warning_count": len(warnings),
                  "errors": issues_markdown(errors)})


@multi_asset(
    partitions_def=assessments_partitions,
    group_name="assessment",
    outs={name: AssetOut(description=DESCRIPTIONS[name]) for name in VALIDATED_TABLES},
    check_specs=[AssetCheckSpec("schema", asset=name, blocking=True,
                                description=f"pandera schema of {name}")
                 for name in VALIDATED_TABLES],
)
def validated_assessment(context: AssetExecutionContext, paths: MrcPaths,
                         raw_workbook: RawWorkbook):
    """Typed tables of one assessment: labels mapped to levels, blanks as missing."""
    ref = paths.reference()
    validated = validate_workbook(raw_workbook, ref, expected_id=context.partition_key)
    if validated.errors:
        # Reached only when run without the raw check (e.g. a selection that skips it).
        raise Failure(f"{raw_workbook.file} has {len(validated.errors)} errors; nothing "
                      "written", metadata={"errors": issues_markdown(validated.errors)})
    frames = {"assessment_info": validated.info,
              "capability_ratings": validated.capability_ratings,
              "gaps": validated.gaps, "recommendations": validated.recommendations}
    # The data version says which workbook content and validator produced the tables;
    # incremental runs and the folder sensor skip an assessment whose version is current.
    version = DataVersion(validated_version(
        raw_workbook.sha256, validator_version(code_version(), Path(paths.data_dir))))
    for name, frame in frames.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BetaWarning)  # data_version is a beta argument
            output = Output(frame, output_name=name, metadata=table_metadata(frame),
                            data_version=version)
        yield output
    for name, frame in frames.items():
        problems = schema_errors(name, frame, ref)
        yield AssetCheckResult(asset_key=name, check_name="schema", passed=not problems,
                               metadata={"failures": len(problems),
                                         "details": MetadataValue.md(
                                             "\n".join(problems[:MAX_LISTED]) or "none")})
