"""Data quality of the validated tables and the output tables, with Great Expectations.

``run_quality`` validates plain DataFrames against expectation suites and returns one
``Finding`` per check, ready to be reported as a Dagster asset check; it can also
write the Great Expectations Data Docs site. Nothing here knows Dagster.

Checks (the names are the asset checks' names):

- ``ge_complete`` (error): every assessment has its catalogue fields, at least one
  rated capability, at least one gap and at least one recommendation;
- ``ge_all_capabilities`` (error): every assessment has 20 capability rows, numbered
  1-20, each once;
- ``ge_ratings_in_scale`` (error): maturity 1-4, priority 1-5, presence 1-4,
  realistic change 1-5 (blanks are not rated and pass);
- ``ge_ratings_vary`` (warning): an assessment that gives all 20 capabilities the same
  maturity is flagged, as a likely copy-down, never rejected;
- ``ge_within_scale_bounds`` (error), per output table: every mean lies within its
  variable's scale, every SD within 0 and the scale's range (a sample SD of values in
  [lo, hi] never exceeds hi - lo), correlations within -1 and 1, p-values within 0
  and 1. Blank (NaN) figures are not checked: they are missing by convention.

Great Expectations is imported only when ``run_quality`` runs (it takes seconds).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mrc_pipeline.reference import Reference

log = logging.getLogger(__name__)

ERROR, WARNING = "error", "warning"
#: Checks over the validated tables, reported on the catalogue asset:
#: name -> (severity, what it checks).
VALIDATED_CHECKS: dict[str, tuple[str, str]] = {
    "ge_complete": (ERROR, "each assessment has its catalogue fields, a rated capability, "
                           "a gap and a recommendation"),
    "ge_all_capabilities": (ERROR, "each assessment rates capabilities 1-20, each once"),
    "ge_ratings_in_scale": (ERROR, "every rating lies within its scale"),
    "ge_ratings_vary": (WARNING, "no assessment gives all 20 capabilities the same "
                                 "maturity"),
}
BOUNDS_CHECK = "ge_within_scale_bounds"
#: The asset on which the checks over the validated tables are reported.
CATALOGUE = "assessments"
#: Output tables with figures on a rating scale: table -> (columns of means, columns of
#: SDs, the variable when the table has no ``variable`` column).
OUTPUT_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str | None]] = {
    "maturity_by_capability": (("mean",), ("sd",), "maturity"),
    "maturity_by_sector": (("mean",), ("sd",), "maturity"),
    "maturity_by_country": (("mean", "mean_of_sector_means"), ("sd",), "maturity"),
    "maturity_by_region": (("mean",), ("sd",), "maturity"),
    "country_sector_means": (("mean",), (), None),
    "gap_ratings_by_sector": (("mean",), ("sd",), None),
    "regional_summary": (("mean",), ("sd",), None),
}
CORRELATIONS = "correlations"
INFO_FIELDS = ("assessment_id", "iso3", "country", "region", "year", "source_sha256")
RATING_COLUMNS = {"capability_ratings": {"maturity": "maturity"},
                  "gaps": {"priority": "priority", "presence": "presence"},
                  "recommendations": {"realistic_change": "change"}}
DOCS_SITE = "quality"


@dataclass
class Finding:
    """The outcome of one check: passed or not, and each failed expectation in words."""

    check: str
    asset: str
    severity: str
    description: str
    passed: bool = True
    failures: list[str] = field(default_factory=list)
    expectations: int = 0


def completeness(info: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per assessment: what it holds, as counts.

    ``identical_maturity`` is True when all 20 capabilities are rated and with one
    level only."""
    caps = tables["capability_ratings"]
    ids = pd.Index(sorted(set(info["assessment_id"].dropna())
                          | set(caps["assessment_id"].dropna())), name="assessment_id")
    by = caps.groupby("assessment_id")
    rated = caps.dropna(subset=["maturity"]).groupby("assessment_id")
    out = pd.DataFrame(index=ids)
    out["capability_rows"] = by.size()
    out["distinct_capabilities"] = by["capability_no"].nunique()
    out["capabilities_rated"] = rated.size()
    out["maturity_levels"] = rated["maturity"].nunique()
    out["gaps"] = tables["gaps"].groupby("assessment_id").size()
    out["recommendations"] = tables["recommendations"].groupby("assessment_id").size()
    out = out.fillna(0).astype(int)
    out["identical_maturity"] = (out["capabilities_rated"] == 20) & (
        out["maturity_levels"] == 1)
    return out.reset_index()


def _suites(ref: Reference, n_capabilities: int) -> list[tuple[str, list]]:
    """(data asset, check, expectations) for the validated tables and the outputs."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    def between(column, lo, hi, check, **kw):
        return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=lo,
                                                 max_value=hi, meta={"check": check}, **kw)

    suites: list[tuple[str, list]] = []
    complete = [between(c, 1, None, "ge_complete")
                for c in ("capabilities_rated", "gaps", "recommendations")]
    capabilities = [between(c, n_capabilities, n_capabilities, "ge_all_capabilities")
                    for c in ("capability_rows", "distinct_capabilities")]
    vary = [gxe.ExpectColumnValuesToBeInSet(
        column="identical_maturity", value_set=[False], severity="warning",
        meta={"check": "ge_ratings_vary",
              "says": "all 20 capabilities rated at one and the same level"})]
    suites.append(("assessment_completeness", complete + capabilities + vary))
    suites.append(("assessment_info", [
        gxe.ExpectColumnValuesToNotBeNull(column=c, meta={"check": "ge_complete"})
        for c in INFO_FIELDS]))
    numbers = sorted(ref.capability_sector)
    suites.append(("capability_ratings", [
        gxe.ExpectColumnValuesToBeInSet(column="capability_no", value_set=numbers,
                                        meta={"check": "ge_all_capabilities"}),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["assessment_id", "capability_no"],
                                            meta={"check": "ge_all_capabilities"}),
    ]))
    for table, columns in RATING_COLUMNS.items():
        exps = [between(col, *ref.scale_bounds(scale), "ge_ratings_in_scale")
                for col, scale in columns.items()]
        suites.append((table, exps))
    scales = ref.scale_definitions.reset_index().set_index("variable")["scale"].to_dict()
    for table, (means, sds, fixed) in OUTPUT_TABLES.items():
        exps = []
        for variable, scale in scales.items():
            if fixed and variable != fixed:
                continue
            lo, hi = ref.scale_bounds(scale)
            cond = {} if fixed else {"row_condition": Column("variable") == variable}
            exps += [between(c, lo, hi, BOUNDS_CHECK, **cond) for c in means]
            exps += [between(c, 0, hi - lo, BOUNDS_CHECK, **cond) for c in sds]
        suites.append((table, exps))
    suites.append((CORRELATIONS, [
        between(c, -1, 1, BOUNDS_CHECK)
        for c in ("pearson_r", "spearman_rho", "ci_low", "ci_high")] + [
        between(c, 0, 1, BOUNDS_CHECK) for c in ("pearson_p", "spearman_p")]))
    return suites


def _context(docs_dir: Path | None):
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
    )

    sites = {}
    if docs_dir is not None:
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(Path(docs_dir).resolve())},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites, analytics_enabled=False)
    context = gx.get_context(mode="ephemeral", project_config=config)
    context.variables.progress_bars = {"globally": False}
    return context


def _describe(result, table: str, key: str | None) -> str:
    """One failed expectation in words: what was expected, and which rows broke it."""
    cfg = result.expectation_config
    kwargs = cfg.kwargs
    column = kwargs.get("column") or ", ".join(kwargs.get("column_list", []))
    what = cfg.type.replace("expect_", "").replace("_", " ")
    bounds = ""
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if lo is not None and hi is not None:
        bounds = f" [{lo:g}, {hi:g}]"
    elif lo is not None or hi is not None:
        what = what.replace("be between", "be at least" if hi is None else "be at most")
        bounds = f" {lo if hi is None else hi:g}"
    elif "value_set" in kwargs and len(kwargs["value_set"]) <= 3:
        bounds = f" {kwargs['value_set']}"
    condition = kwargs.get("row_condition")
    where = f" where {condition!r}" if condition else ""
    says = (cfg.meta or {}).get("says")
    if says:
        what, column, bounds = says, "", ""
    res = result.result or {}
    rows = res.get("unexpected_index_list") or []
    if key and rows and isinstance(rows[0], dict):
        shown = sorted({str(r.get(key)) for r in rows})
        found = f": {len(rows)} row(s), {key} {', '.join(shown[:10])}"
    elif res.get("unexpected_count"):
        sample = res.get("partial_unexpected_list", [])[:5]
        found = f": {res['unexpected_count']} row(s), e.g. {sample}"
    else:
        observed = res.get("observed_value")
        found = f": observed {observed}" if observed is not None else ""
    return f"{table}{'.' + column if column else ':'} {what}{bounds}{where}{found}"


#: Columns that identify a row in the failure messages, per table.
ROW_KEYS = {"assessment_completeness": "assessment_id", "assessment_info": "assessment_id",
            "capability_ratings": "assessment_id", "gaps": "assessment_id",
            "recommendations": "assessment_id", "maturity_by_capability": "capability_no",
            "maturity_by_sector": "sector", "maturity_by_country": "assessment_id",
            "maturity_by_region": "sector", "country_sector_means": "assessment_id",
            "gap_ratings_by_sector": "sector", "regional_summary": "region",
            "correlations": "y"}


def run_quality(validated: dict[str, pd.DataFrame], outputs: dict[str, pd.DataFrame],
                ref: Reference, docs_dir: Path | None = None) -> list[Finding]:
    """Validate the validated tables (``assessment_info``, ``capability_ratings``,
    ``gaps``, ``recommendations``) and the output tables given; with ``docs_dir``,
    write the Data Docs site there (replacing the previous one whole)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import great_expectations as gx

    frames = dict(validated)
    frames["assessment_completeness"] = completeness(validated["assessment_info"],
                                                     validated)
    frames.update({k: v for k, v in outputs.items()
                   if k in OUTPUT_TABLES or k == CORRELATIONS})
    findings = {name: Finding(name, CATALOGUE, sev, text)
                for name, (sev, text) in VALIDATED_CHECKS.items()}
    for table in outputs:
        if table in OUTPUT_TABLES or table == CORRELATIONS:
            findings[f"{table}:{BOUNDS_CHECK}"] = Finding(
                BOUNDS_CHECK, table, ERROR, "every figure lies within its scale's bounds")
    build_dir = None
    if docs_dir is not None:
        docs_dir = Path(docs_dir)
        docs_dir.parent.mkdir(parents=True, exist_ok=True)
        build_dir = Path(tempfile.mkdtemp(prefix=f".{docs_dir.name}.", dir=docs_dir.parent))
    try:
        context = _context(build_dir)
        source = context.data_sources.add_pandas("mrc")
        suites: dict[str, list] = {}
        for table, expectations in _suites(ref, len(ref.capability_sector)):
            suites.setdefault(table, []).extend(expectations)
        for table, expectations in suites.items():
            frame = frames.get(table)
            if frame is None:
                continue
            key = ROW_KEYS.get(table)
            suite = context.suites.add(gx.ExpectationSuite(name=table))
            for exp in expectations:
                suite.add_expectation(exp)
            batch = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe(
                "whole table")
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=table, data=batch, suite=suite))
            index = [key] if key in frame.columns else []
            result = definition.run(
                batch_parameters={"dataframe": frame.reset_index(drop=True)},
                result_format={"result_format": "COMPLETE",
                               "unexpected_index_column_names": index})
            for r in result.results:
                check = r.expectation_config.meta["check"]
                finding = findings[check if check != BOUNDS_CHECK else f"{table}:{check}"]
                finding.expectations += 1
                if not r.success:
                    finding.passed = False
                    finding.failures.append(_describe(r, table, key if index else None))
        if build_dir is not None:
            context.build_data_docs(site_names=[DOCS_SITE])
            if docs_dir.exists():
                shutil.rmtree(docs_dir)
            build_dir.rename(docs_dir)
            build_dir = None
    finally:
        if build_dir is not None:
            shutil.rmtree(build_dir, ignore_errors=True)
    out = list(findings.values())
    log.info(f"quality: {sum(f.expectations for f in out)} expectations in {len(out)} "
             f"checks; {sum(not f.passed for f in out)} checks not passed")
    return out
