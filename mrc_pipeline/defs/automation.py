"""Automation: the assessments-folder sensor, the daily refresh schedule and the
declarative automation that recomputes the unpartitioned assets.

- ``assessments_folder_sensor`` hashes every workbook each tick. A new or changed file
  (by content, never by modification time) registers its partition if needed and
  requests one run of it; a file saved again unchanged requests nothing; a removed
  file withdraws its assessment (the partition is deleted, its stored outputs and
  table versions stay readable, the aggregates are recomputed without it).
- The unpartitioned assets carry ``AGGREGATE_CONDITION``: once any assessment's tables
  update and no run of them is in progress, they are recomputed together, each once,
  reading every partition in one scan.
- ``daily_refresh`` re-checks the whole folder ignoring the sensor's cursor (catching
  what a stopped sensor missed, and re-running what a code or reference change made
  out of date) and refreshes the aggregates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from dagster import (
    AssetKey,
    AssetObservation,
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    DagsterInstance,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    schedule,
    sensor,
)
from dagster._core.definitions.data_version import DATA_VERSION_TAG
from dagster._core.events import DagsterEventType

from mrc_pipeline.defs.partitions import ASSESSMENTS_PARTITION, assessments_partitions
from mrc_pipeline.defs.resources import MrcPaths, code_version
from mrc_pipeline.store import PartitionStore
from mrc_pipeline.sync import (
    FolderEntry,
    SyncPlan,
    plan_sync,
    scan_folder,
    validator_version,
)

SENSOR_NAME = "assessments_folder_sensor"
SCHEDULE_NAME = "daily_refresh"
AUTOMATION_SENSOR_NAME = "aggregates_automation_sensor"
#: Run tag on every run that recomputes the aggregates; dagster.yaml allows one at a time.
AGGREGATE_TAG = "mrc/aggregates"
#: The table whose latest materialisation per partition records the validated version.
VERSIONED_ASSET = AssetKey("assessment_info")

#: Recompute once any dependency updated (or will be updated in the same tick), when
#: none of them is being written. Unlike ``eager()`` a missing dependency does not
#: block: an assessment whose workbook fails validation has no tables, and the others
#: must still be aggregated. Nothing runs before a first assessment has validated.
AGGREGATE_CONDITION = (
    AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_in_progress()
    & ~AutomationCondition.in_progress()
).with_label("after any assessment's tables update")


def validated_versions(instance: DagsterInstance) -> dict[str, str]:
    """Partition -> data version of its latest validated tables, in one query."""
    tags = instance.event_log_storage.get_latest_tags_by_partition(
        VERSIONED_ASSET, DagsterEventType.ASSET_MATERIALIZATION, [DATA_VERSION_TAG])
    return {key: values[DATA_VERSION_TAG] for key, values in tags.items()
            if DATA_VERSION_TAG in values}


def plan_for_folder(instance: DagsterInstance, paths: MrcPaths, entries: list[FolderEntry],
                    *, candidates: Iterable[str] | None = None,
                    full: bool = False) -> SyncPlan:
    """The sync plan of ``entries`` against the instance's partitions and versions."""
    stored = PartitionStore(paths.output / "store").partitions(VERSIONED_ASSET.path[-1])
    return plan_sync(
        entries, instance.get_dynamic_partitions(ASSESSMENTS_PARTITION),
        validated_versions(instance), stored,
        validator_version(code_version(), Path(paths.data_dir)),
        candidates=candidates, full=full)


def withdrawal(aid: str, files: Iterable[str] = ()) -> AssetObservation:
    """The mark left on a withdrawn assessment: an observation of its validated tables
    (its stored outputs and the table versions that included it stay readable)."""
    return AssetObservation(asset_key=VERSIONED_ASSET, partition=aid, metadata={
        "status": "withdrawn",
        "reason": "its workbook is no longer in the assessments folder",
        "files": ", ".join(sorted(files)) or "unknown"})


def withdraw(instance: DagsterInstance, aids: Iterable[str]) -> None:
    """Mark each assessment withdrawn, then delete its partition."""
    for aid in aids:
        instance.report_runless_asset_event(withdrawal(aid))
        instance.delete_dynamic_partition(ASSESSMENTS_PARTITION, aid)


def read_cursor(cursor: str | None) -> tuple[dict[str, tuple[str | None, str]], int]:
    """File name -> (assessment id, short hash) seen last tick, and the tick counter."""
    if not cursor:
        return {}, 0
    data = json.loads(cursor)
    files = {name: (value[0], value[1]) for name, value in data.get("files", {}).items()}
    return files, int(data.get("seq", 0))


def write_cursor(entries: list[FolderEntry], seq: int) -> str:
    """A compact cursor: the tick counter and file name -> [id, first 16 hex of hash]."""
    files = {e.name: [e.assessment_id, e.short_hash] for e in entries}
    return json.dumps({"seq": seq, "files": files}, separators=(",", ":"), sort_keys=True)


def run_key(entry: FolderEntry, seq: int) -> str:
    """Run key of one assessment run: id, workbook hash and the sensor's change counter.

    The same tick evaluated again gives the same key, so Dagster launches the run once.
    The counter makes a later return to an earlier file (a correction reverted, a
    workbook removed then dropped again) a new key, which id and hash alone would not.
    """
    return f"{entry.assessment_id}:{entry.short_hash}:{seq}"


def _log_plan(log, plan: SyncPlan) -> None:
    log.info(f"assessments folder: {plan.summary()}")
    for name in plan.invalid:
        log.warning(f"{name}: neither the file name nor the assessment sheet gives a "
                    "valid ISO3-YEAR id; no partition is created for it")
    for aid, names in plan.duplicate.items():
        log.warning(f"{aid} is claimed by {', '.join(names)}; only {names[0]} is read")


def build_folder_sensor(assessment_job, aggregate_job):
    """The sensor on ``<data>/assessments`` requesting runs of the two jobs."""

    @sensor(name=SENSOR_NAME, jobs=[assessment_job, aggregate_job],
            minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
            description="New or changed workbook (by content hash) -> register its "
                        "partition and run it; removed workbook -> withdraw it.")
    def assessments_folder_sensor(context: SensorEvaluationContext, paths: MrcPaths):
        if not paths.assessments_dir.is_dir():
            # An unmounted or mistyped folder must not withdraw every assessment.
            return SkipReason(f"{paths.assessments_dir} is not a folder; nothing changed")
        known, seq = read_cursor(context.cursor)
        entries = scan_folder(paths.assessments_dir, known, paths.reference())
        fresh = [e for e in entries if known.get(e.name) != (e.assessment_id, e.short_hash)]
        plan = plan_for_folder(context.instance, paths, entries,
                               candidates={e.assessment_id for e in fresh})
        # Report a file without a valid id once, when it appears or changes.
        plan.invalid = [e.name for e in fresh if e.assessment_id is None]
        acts = bool(plan.register or plan.run or plan.withdraw or plan.restored)
        seq = seq + 1 if acts else seq
        if acts or plan.invalid:
            _log_plan(context.log, plan)
        requests = [RunRequest(job_name=assessment_job.name, partition_key=aid,
                               run_key=run_key(entry, seq),
                               tags={"mrc/workbook": entry.name,
                                     "mrc/workbook_sha256": entry.sha256})
                    for aid, entry in plan.run.items()]
        # Runs of changed assessments make the automation recompute the aggregates
        # after them; only a withdrawal or restore alone needs an explicit refresh.
        if plan.refresh_aggregates and not plan.run:
            requests.append(RunRequest(
                job_name=aggregate_job.name, run_key=f"aggregates:{seq}",
                tags={AGGREGATE_TAG: "withdrawn or restored",
                      "mrc/withdrawn": ",".join(plan.withdraw)[:200],
                      "mrc/restored": ",".join(plan.restored)[:200]}))
        partition_requests = []
        if plan.register:
            partition_requests.append(assessments_partitions.build_add_request(plan.register))
        if plan.withdraw:
            partition_requests.append(
                assessments_partitions.build_delete_request(plan.withdraw))
        gone = [withdrawal(aid, [n for n, (i, _) in known.items() if i == aid])
                for aid in plan.withdraw]
        return SensorResult(run_requests=requests,
                            dynamic_partitions_requests=partition_requests,
                            asset_events=gone, cursor=write_cursor(entries, seq))

    return assessments_folder_sensor


def build_daily_refresh(assessment_keys: list[AssetKey], aggregate_keys: list[AssetKey]):
    """The daily schedule: sync the whole folder, run what is out of date, refresh."""

    @schedule(name=SCHEDULE_NAME, cron_schedule="0 3 * * *", target=AssetSelection.all(),
              default_status=DefaultScheduleStatus.RUNNING,
              description="Daily: re-check every workbook (ignoring the sensor's "
                          "cursor), run the out-of-date ones, refresh the aggregates.")
    def daily_refresh(context: ScheduleEvaluationContext, paths: MrcPaths):
        instance = context.instance
        if not paths.assessments_dir.is_dir():
            return SkipReason(f"{paths.assessments_dir} is not a folder; nothing changed")
        entries = scan_folder(paths.assessments_dir, ref=paths.reference())
        plan = plan_for_folder(instance, paths, entries)
        _log_plan(context.log, plan)
        # Schedules cannot return partition requests; they change the instance directly.
        if plan.register:
            instance.add_dynamic_partitions(ASSESSMENTS_PARTITION, plan.register)
        withdraw(instance, plan.withdraw)
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        requests = [RunRequest(asset_selection=assessment_keys, partition_key=aid,
                               run_key=f"{day}:{aid}:{entry.short_hash}",
                               tags={"mrc/workbook": entry.name,
                                     "mrc/workbook_sha256": entry.sha256})
                    for aid, entry in plan.run.items()]
        if not plan.run:
            if not instance.get_dynamic_partitions(ASSESSMENTS_PARTITION):
                return SkipReason("no assessment registered; nothing to aggregate")
            requests.append(RunRequest(asset_selection=aggregate_keys,
                                       run_key=f"{day}:aggregates",
                                       tags={AGGREGATE_TAG: "daily refresh"}))
        return requests

    return daily_refresh


def build_automation_sensor(aggregate_selection: AssetSelection):
    """The declarative-automation sensor of the aggregates, running by default."""
    return AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR_NAME, target=aggregate_selection,
        default_status=DefaultSensorStatus.RUNNING, emit_backfills=False,
        run_tags={AGGREGATE_TAG: "automation"}, minimum_interval_seconds=30,
        description="Recomputes the unpartitioned assets after assessments update.")
