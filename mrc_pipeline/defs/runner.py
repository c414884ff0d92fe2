"""The main job behind ``mrc run``: register every workbook as a partition, run each
assessment's assets in its own run, then the aggregates once, and summarise."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetCheckSeverity, DagsterInstance

from mrc_pipeline.definitions import AGGREGATE_JOB, ASSESSMENT_JOB, build_definitions
from mrc_pipeline.defs.automation import plan_for_folder, withdraw
from mrc_pipeline.defs.partitions import ASSESSMENTS_PARTITION
from mrc_pipeline.defs.resources import MrcPaths
from mrc_pipeline.instrument import read_workbook, validate_workbook
from mrc_pipeline.reference import Reference
from mrc_pipeline.store import PartitionStore
from mrc_pipeline.sync import scan_folder

log = logging.getLogger("mrc_pipeline")

DAGSTER_YAML = """\
# Local Dagster instance of mrc-pipeline: SQLite storage in this folder, telemetry off
# (the pipeline makes no outbound network call).
telemetry:
  enabled: false
nux:
  enabled: false
# Runs requested by the sensors, the schedule and the UI wait in a queue. SQLite takes
# a few concurrent runs; the aggregates are recomputed by one run at a time.
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
concurrency:
  runs:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      - key: mrc/aggregates
        limit: 1
"""


def prepare_instance(home: Path) -> DagsterInstance:
    """A persistent instance in ``home`` with telemetry off (dagster.yaml written once)."""
    home = Path(home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return DagsterInstance.from_config(str(home))


@dataclass
class CheckOutcome:
    asset: str
    check: str
    partition: str | None
    passed: bool
    detail: str = ""
    severity: str = "error"


@dataclass
class RunSummary:
    output_dir: Path
    loaded: list[str] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)
    checks: list[CheckOutcome] = field(default_factory=list)
    aggregate_ok: bool = False
    reproduced: tuple[int, int] | None = None
    audit: dict[str, int] | None = None
    #: Assessments run this time, and those whose validated tables were current.
    run: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    #: Failed workbooks whose earlier valid version still feeds the aggregates.
    stale: set[str] = field(default_factory=set)
    #: Steps of the aggregate run that failed, with the first line of their error.
    failed_steps: list[tuple[str, str]] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        """0 when everything materialised and no check of error severity failed (warnings
        allowed); 1 when a workbook, a check or an aggregate step failed."""
        return 0 if self.aggregate_ok and not self.failed and not self.checks_failed else 1

    @property
    def checks_failed(self) -> list[CheckOutcome]:
        """Failed checks of error severity (warnings are listed apart)."""
        return [c for c in self.checks if not c.passed and c.severity == "error"]

    @property
    def checks_warned(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed and c.severity != "error"]

    def render(self) -> str:
        out = self.output_dir
        passed = sum(c.passed for c in self.checks)
        lines = [f"assessments loaded: {len(self.loaded)} ({', '.join(self.loaded)})"]
        if self.skipped:
            lines.append(f"  {len(self.run)} run, {len(self.skipped)} unchanged since their "
                         "last validated run and skipped (mrc run --full re-runs them)")
        if self.withdrawn:
            lines.append(f"  withdrawn (workbook removed): {', '.join(self.withdrawn)}")
        for aid, names in self.duplicates.items():
            lines.append(f"  {aid} is in {', '.join(names)}; only {names[0]} was read")
        lines.append(f"checks: {passed} passed, {len(self.checks_failed)} failed, "
                     f"{_count(len(self.checks_warned), 'warning')}")
        for aid, errors in self.failed.items():
            fate = ("the aggregates keep its last valid version (status stale in the "
                    "assessments table)" if aid in self.stale else
                    "this assessment was left out")
            lines.append(f"  {aid}: {_count(len(errors), 'error')}; {fate}")
            lines.extend(f"    {e}" for e in errors[:20])
            if len(errors) > 20:
                lines.append(f"    ... and {len(errors) - 20} more (mrc validate lists all)")
        for c in self.checks_failed + self.checks_warned:
            if c.partition is None:
                verdict = "failed" if c.severity == "error" else "warning"
                lines.append(f"  {c.asset}.{c.check} {verdict}: {c.detail}")
        lines.append("aggregates: " + ("materialised" if self.aggregate_ok else "FAILED"))
        lines.extend(f"  {step} failed: {message}" for step, message in self.failed_steps)
        if self.reproduced:
            lines.append(f"published figures reproduced at 2 decimals: "
                         f"{self.reproduced[0]} of {self.reproduced[1]} "
                         "(exports/published_comparison.csv)")
        if self.audit:
            lines.append("published figures audited: " + ", ".join(
                f"{n} {'differ' if v == 'differs' and n != 1 else v}"
                for v, n in self.audit.items()) +
                " (exports/published_audit.csv)")
        lines += [f"tables:  {out / 'tables'} (Delta Lake, versioned)",
                  f"exports: {out / 'exports'}"]
        for name, label in (("figures", "figures"), ("report.html", "report"),
                            ("quality", "quality"), ("public", "public")):
            if (out / name).exists():
                lines.append(f"{label + ':':8} {out / name}")
        return "\n".join(lines)


def _errors_of(result) -> list[str]:
    errors: list[str] = []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            continue
        md = evaluation.metadata.get("errors") or evaluation.metadata.get("details")
        text = getattr(md, "value", "") or ""
        errors.extend(line.lstrip("- ").replace("`", "") for line in text.splitlines())
    return errors


def _checks_of(result, partition: str | None) -> list[CheckOutcome]:
    out = []
    for ev in result.get_asset_check_evaluations():
        detail = str(ev.description or "")
        failures = getattr(ev.metadata.get("failures"), "value", "")
        if not ev.passed and isinstance(failures, str) and failures.startswith("- "):
            found = "; ".join(line[2:] for line in failures.splitlines()[:3])
            detail = f"expected {detail}; found {found}" if detail else found
        severity = "warning" if ev.severity == AssetCheckSeverity.WARN else "error"
        out.append(CheckOutcome(ev.asset_key.to_user_string(), ev.check_name, partition,
                                ev.passed, detail, severity))
    return out


#: Dagster's console logger prints every step event, and a failed blocking check as a
#: stack trace; the summary is what users read (failures included), the run log keeps
#: the rest.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _failed_steps(result) -> list[tuple[str, str]]:
    out = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.event_specific_data.error
            message = (error.message if error else "").strip().splitlines()
            out.append((event.step_key, message[-1] if message else "failed"))
    return out


def public_run_config(k: int = 2) -> dict:
    """Run config of the aggregate job that writes the public set too."""
    return {"ops": {"public_release": {"config": {"enabled": True, "k": k}}}}


def _invalid_file_errors(folder: Path, name: str, data_dir: Path) -> list[str]:
    """Errors of a workbook that gives no valid id (it gets no partition)."""
    validated = validate_workbook(read_workbook(folder / name), Reference(Path(data_dir)))
    errors = [str(i) for i in validated.errors]
    return errors or [f"{name}: error: no valid ISO3-YEAR id in the file name or the "
                      "assessment sheet"]


def _run_assessment(instance: DagsterInstance, job, aid: str
                    ) -> tuple[str, bool, list[str], list[CheckOutcome]]:
    """One assessment's run: whether it validated, its errors and check outcomes."""
    result = job.execute_in_process(partition_key=aid, instance=instance,
                                    run_config=QUIET, raise_on_error=False)
    errors = _errors_of(result)
    return aid, result.success and not errors, errors, _checks_of(result, aid)


def _run_assessment_in_worker(home: str, data_dir: str, output_dir: str, aid: str):
    """``_run_assessment`` in a worker process, with its own instance connection."""
    instance = DagsterInstance.from_config(home)
    try:
        job = build_definitions(data_dir, output_dir).resolve_job_def(ASSESSMENT_JOB)
        return _run_assessment(instance, job, aid)
    finally:
        instance.dispose()


def default_workers() -> int:
    """Assessment runs executed at once: one per CPU, at most 4 (the SQLite instance's
    limit of concurrent runs)."""
    return max(1, min(4, os.cpu_count() or 1))


def _run_assessments(instance: DagsterInstance, defs, aids: list[str], home: Path,
                     data_dir: Path, output_dir: Path, workers: int):
    """Every run, in ``workers`` processes forked from this one (which has imported
    everything already) where the platform forks, else one after the other."""
    if workers > 1 and len(aids) > 1 and "fork" in mp.get_all_start_methods():
        with ProcessPoolExecutor(max_workers=min(workers, len(aids)),
                                 mp_context=mp.get_context("fork")) as pool:
            yield from pool.map(_run_assessment_in_worker,
                                *zip(*[(str(home), str(data_dir), str(output_dir), aid)
                                       for aid in aids]))
        return
    job = defs.resolve_job_def(ASSESSMENT_JOB)
    for aid in aids:
        yield _run_assessment(instance, job, aid)


def run_pipeline(data_dir: Path, output_dir: Path, dagster_home: Path,
                 public: bool = False, k: int = 2, full: bool = False,
                 workers: int | None = None) -> RunSummary:
    """Materialise every asset on the workbooks in ``data_dir/assessments``; with
    ``public``, also the public set of aggregates over at least ``k`` countries.

    Incremental: an assessment whose workbook content and validator are those of its
    last validated materialisation is not run again (``full`` runs every one). The
    partitions follow the folder: a workbook that has gone is withdrawn. Assessment
    runs go ``workers`` at a time (default ``default_workers()``), then the aggregates.
    """
    paths = MrcPaths(data_dir=str(data_dir), output_dir=str(output_dir))
    if not paths.assessments_dir.is_dir():
        # A mistyped --data must not withdraw every registered assessment.
        raise FileNotFoundError(f"{paths.assessments_dir} is not a folder; expected the "
                                "assessments folder of the data folder (--data)")
    instance = prepare_instance(dagster_home)
    defs = build_definitions(str(data_dir), str(output_dir))
    summary = RunSummary(Path(output_dir))
    entries = scan_folder(paths.assessments_dir, ref=paths.reference())
    plan = plan_for_folder(instance, paths, entries, full=full)
    if plan.register:
        instance.add_dynamic_partitions(ASSESSMENTS_PARTITION, plan.register)
    withdraw(instance, plan.withdraw)
    log.info(f"{len(entries)} workbooks found: {plan.summary()}")
    summary.skipped = sorted(plan.current + plan.restored)
    summary.withdrawn = plan.withdraw
    for name in plan.invalid:
        summary.failed[name] = _invalid_file_errors(paths.assessments_dir, name, data_dir)
    for aid, names in plan.duplicate.items():
        summary.duplicates[aid] = names
    home = Path(os.environ["DAGSTER_HOME"])
    store = PartitionStore(Path(output_dir) / "store")
    for aid, ok, errors, checks in _run_assessments(
            instance, defs, list(plan.run), home, Path(data_dir), Path(output_dir),
            default_workers() if workers is None else workers):
        summary.checks += checks
        if ok:
            summary.run.append(aid)
        else:
            summary.failed[aid] = errors or ["the run failed; see the Dagster run log"]
            if store.exists("assessment_info", aid):
                summary.stale.add(aid)
    summary.run.sort()
    summary.loaded = sorted(summary.run + summary.skipped)
    agg_config = {**QUIET, **public_run_config(k)} if public else QUIET
    agg = defs.resolve_job_def(AGGREGATE_JOB).execute_in_process(
        instance=instance, run_config=agg_config, raise_on_error=False)
    summary.aggregate_ok = agg.success
    summary.failed_steps = _failed_steps(agg)
    for event in agg.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat and mat.asset_key.to_user_string() == "published_comparison":
            meta = mat.metadata
            summary.reproduced = (int(meta["reproduced"].value),
                                  int(meta["published_figures"].value))
        if mat and mat.asset_key.to_user_string() == "published_audit":
            summary.audit = {v: int(mat.metadata[v].value)
                             for v in ("reproduced", "differs", "infeasible")}
    summary.checks += _checks_of(agg, None)
    return summary
