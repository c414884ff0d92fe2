"""Great Expectations suites as Dagster asset checks, run once per aggregate run.

One multi-asset check reads the validated tables (every assessment, one scan each)
and the output tables, runs ``mrc_pipeline.quality`` over them, writes the Data Docs
site to ``<output>/quality/`` and reports each check on its asset: the checks over
the validated tables on the ``assessments`` catalogue (being unpartitioned, it never
makes Dagster load partitions one by one), the bounds check on each output table.
"""

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetIn,
    MetadataValue,
    multi_asset_check,
)

from mrc_pipeline import quality
from mrc_pipeline.defs.resources import MrcPaths

VALIDATED = ("assessment_info", "capability_ratings", "gaps", "recommendations")
OUTPUTS = (*quality.OUTPUT_TABLES, quality.CORRELATIONS)
MAX_LISTED = 30

SPECS = [AssetCheckSpec(name, asset=quality.CATALOGUE, description=text,
                        additional_deps=list(VALIDATED))
         for name, (_, text) in quality.VALIDATED_CHECKS.items()]
SPECS += [AssetCheckSpec(quality.BOUNDS_CHECK, asset=table,
                         description="Great Expectations: every mean within its scale, "
                                     "every SD within 0 and the scale's range")
          for table in OUTPUTS]


@multi_asset_check(
    specs=SPECS,
    ins={name: AssetIn(name) for name in (*VALIDATED, *OUTPUTS)},
    description="Great Expectations suites over the validated tables and the outputs; "
                "Data Docs in <output>/quality/.",
)
def great_expectations_checks(context: AssetCheckExecutionContext, paths: MrcPaths,
                              **tables: pd.DataFrame):
    """Run the suites, write Data Docs, report one result per check."""
    validated = {name: tables[name] for name in VALIDATED}
    outputs = {name: tables[name] for name in OUTPUTS}
    docs = paths.output / "quality"
    findings = quality.run_quality(validated, outputs, paths.reference(), docs_dir=docs)
    index = docs / "index.html"
    for f in findings:
        severity = (AssetCheckSeverity.WARN if f.severity == quality.WARNING
                    else AssetCheckSeverity.ERROR)
        listed = "\n".join(f"- {line}" for line in f.failures[:MAX_LISTED]) or "none"
        yield AssetCheckResult(
            asset_key=f.asset, check_name=f.check, passed=f.passed, severity=severity,
            description=f.description,
            metadata={"expectations": f.expectations, "failures": MetadataValue.md(listed),
                      "data_docs": MetadataValue.path(str(index))})
    failed = [f for f in findings if not f.passed]
    context.log.info(f"Great Expectations: {len(findings)} checks, {len(failed)} not "
                     f"passed; Data Docs at {index}")
