"""Versions of the output tables, listed and read back, with no Dagster in sight.

Every materialisation of an output table adds a Delta Lake version under
``<output>/tables/<table>`` whose commit records the run id, the code version and the
assessments (with their workbook hashes) it was computed from. ``mrc history`` reads
those commits; nothing here writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mrc_pipeline.store import TableStore, is_uri


class HistoryError(Exception):
    """A table or version that does not exist, with what does."""


@dataclass(frozen=True)
class TableVersion:
    version: int
    timestamp: dt.datetime
    run_id: str
    code_version: str
    assessments: int | None

    def line(self) -> str:
        """One line: version, UTC timestamp, run id, code version, assessments."""
        n = "?" if self.assessments is None else str(self.assessments)
        stamp = self.timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return (f"{self.version}  {stamp}  {self.run_id or '-'}  "
                f"{self.code_version or '-'}  {n} assessments")


def tables(location: Path | str) -> list[str]:
    """Names of the versioned tables in a local tables folder (empty for a URI)."""
    if is_uri(location) or not Path(location).is_dir():
        return []
    return sorted(p.name for p in Path(location).iterdir() if (p / "_delta_log").is_dir())


def _store(location: Path | str, table: str) -> TableStore:
    store = TableStore(location)
    if not store.exists(table):
        known = tables(location)
        raise HistoryError(f"no table '{table}' in {location}; tables: "
                           f"{', '.join(known) if known else 'none found (run mrc run first)'}")
    return store


def _count(value: object) -> int | None:
    if value is None:
        return None
    try:
        return len(json.loads(value) if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None


def versions(location: Path | str, table: str) -> list[TableVersion]:
    """Every version of ``table`` under ``location`` (a tables folder or URI), oldest
    first."""
    out = []
    for entry in _store(location, table).history(table):
        stamp = dt.datetime.fromtimestamp(entry.get("timestamp", 0) / 1000, dt.UTC)
        out.append(TableVersion(int(entry.get("version", 0)), stamp,
                                str(entry.get("run_id", "")),
                                str(entry.get("code_version", "")),
                                _count(entry.get("assessments"))))
    return out


def read_version(location: Path | str, table: str, version: int) -> pd.DataFrame:
    """The content of ``table`` as of ``version``."""
    store = _store(location, table)
    numbers = [v.version for v in versions(location, table)]
    if version not in numbers:
        raise HistoryError(f"{table} has no version {version}; versions "
                           f"{min(numbers)}-{max(numbers)}")
    return store.read(table, version=version)


def add_parser(sub) -> None:
    """Register ``mrc history`` on the ``mrc`` subcommand parsers."""
    p = sub.add_parser("history", help="list the versions of an output table, or print one")
    p.add_argument("table", help="table name, e.g. maturity_by_capability")
    p.add_argument("--output", default="output", help="output folder (default: output)")
    p.add_argument("--tables", default=None, metavar="URI",
                   help="where the tables are when not OUTPUT/tables (folder or URI)")
    p.add_argument("--as-of", type=int, default=None, metavar="N",
                   help="print version N of the table instead of the list")
    p.add_argument("--csv", action="store_true",
                   help="with --as-of: print CSV (full precision) instead of a text table")
    p.set_defaults(func=run_history)


def run_history(args: argparse.Namespace) -> int:
    """The command's handler; it writes to stdout and stderr by design."""
    location = args.tables or Path(args.output) / "tables"
    try:
        if args.as_of is None:
            for v in versions(location, args.table):
                print(v.line())
            return 0
        frame = read_version(location, args.table, args.as_of)
    except HistoryError as exc:
        print(f"mrc history: {exc}", file=sys.stderr)
        return 2
    if args.csv:
        sys.stdout.write(frame.to_csv(index=False, float_format="%.17g"))
    else:
        print(frame.to_string(index=False))
    return 0
