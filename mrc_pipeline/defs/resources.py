"""Resources: folder locations and the IO manager of every asset."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd
from dagster import (
    ConfigurableIOManager,
    ConfigurableResource,
    DagsterInvariantViolationError,
    InputContext,
    OutputContext,
)

import mrc_pipeline
from mrc_pipeline.reference import DEFAULT_DATA_DIR, Reference
from mrc_pipeline.store import (
    PartitionStore,
    TableStore,
    write_export,
    write_xlsx_export,
)


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus a digest of the package's source files."""
    h = hashlib.sha256()
    root = Path(mrc_pipeline.__file__).parent
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return f"{mrc_pipeline.__version__}+{h.hexdigest()[:12]}"


def default_output_dir() -> str:
    return os.environ.get("MRC_OUTPUT_DIR", "output")


def default_data_dir() -> str:
    return os.environ.get("MRC_DATA_DIR", str(DEFAULT_DATA_DIR))


class MrcPaths(ConfigurableResource):
    """Where inputs are read (``data_dir``) and outputs written (``output_dir``)."""

    data_dir: str
    output_dir: str

    @property
    def assessments_dir(self) -> Path:
        return Path(self.data_dir) / "assessments"

    @property
    def output(self) -> Path:
        return Path(self.output_dir)

    def reference(self) -> Reference:
        return Reference(Path(self.data_dir))


#: The partitioned tables an aggregate run has read, kept for that run only: its
#: steps (in one process) read each table once rather than once per asset. Frames are
#: handed out as copies.
_RUN_READS: dict[tuple[str, str, tuple[str, ...]], tuple[pd.DataFrame, list[str]]] = {}
_RUN_READS_OWNER: list[str | None] = [None]


def _run_id(context: InputContext) -> str | None:
    try:
        return context.step_context.run_id
    except DagsterInvariantViolationError:
        return None


def _read_many_once_per_run(store: PartitionStore, name: str, keys: list[str],
                            run_id: str | None) -> tuple[pd.DataFrame, list[str]]:
    if run_id is None:
        return store.read_many(name, keys)
    if _RUN_READS_OWNER[0] != run_id:
        _RUN_READS.clear()
        _RUN_READS_OWNER[0] = run_id
    cache_key = (str(store.root), name, tuple(keys))
    if cache_key not in _RUN_READS:
        _RUN_READS[cache_key] = store.read_many(name, keys)
    frame, missing = _RUN_READS[cache_key]
    return frame.copy(), list(missing)


class MrcIOManager(ConfigurableIOManager):
    """Per-assessment outputs go to ``<output>/store``; unpartitioned tables become a
    new Delta version under ``<output>/tables`` and a CSV and an XLSX under
    ``<output>/exports``.

    A partitioned input read by an unpartitioned asset is every materialised partition
    in one scan; partitions registered but never materialised (a workbook that failed
    its checks) are left out and logged.
    """

    output_dir: str
    #: Where the versioned tables go when not ``<output>/tables``: a folder or an
    #: object-storage URI such as ``s3://bucket/mrc/tables``.
    tables_uri: str = ""

    @property
    def _partitions(self) -> PartitionStore:
        return PartitionStore(Path(self.output_dir) / "store")

    @property
    def _tables(self) -> TableStore:
        return TableStore(self.tables_uri or Path(self.output_dir) / "tables")

    def handle_output(self, context: OutputContext, obj: object) -> None:
        name = context.asset_key.path[-1]
        if context.has_asset_partitions:
            self._partitions.write(name, context.asset_partition_key, obj)
            return
        if not isinstance(obj, pd.DataFrame):
            self._partitions.write(name, "_all", obj)
            return
        # Taken off the frame before it is converted: pandas deep-copies attrs on every
        # operation, and the input hashes of a thousand assessments make that slow.
        commit = {"run_id": context.run_id, "code_version": code_version(),
                  "asset": name, **obj.attrs.pop("commit", {})}
        version = self._tables.write(name, obj, commit)
        export = write_export(Path(self.output_dir) / "exports" / f"{name}.csv", obj)
        write_xlsx_export(Path(self.output_dir) / "exports" / f"{name}.xlsx", obj, name)
        context.add_output_metadata({"table_version": version,
                                     "table_path": str(self._tables.path(name)),
                                     "export_path": str(export)})

    def load_input(self, context: InputContext) -> object:
        name = context.asset_key.path[-1]
        if context.has_asset_partitions:
            keys = list(context.asset_partition_keys)
            if context.has_partition_key:
                return self._partitions.read(name, keys[0])
            frame, missing = _read_many_once_per_run(self._partitions, name, keys,
                                                     _run_id(context))
            if missing:
                context.log.warning(f"{name}: {len(missing)} of {len(keys)} assessments "
                                    f"have no validated data and are left out: "
                                    f"{', '.join(missing)}")
            return frame
        if self._tables.exists(name):
            return self._tables.read(name)
        return self._partitions.read(name, "_all")
