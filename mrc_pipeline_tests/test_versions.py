"""Versioned output tables: one version per run, ``mrc history``, incremental runs, and
a write that dies half-way leaving the previous version and the export intact."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from mrc_pipeline.cli import main
from mrc_pipeline.reference import DEFAULT_DATA_DIR
from mrc_pipeline.store import TableStore, write_export


@pytest.fixture(scope="module")
def second_run(pipeline_run, tmp_path_factory):
    """A copy of the session run's output and instance, then ``mrc run`` again on it
    with one workbook corrected: Colombia's capability 1 goes from 2 to 4."""
    from openpyxl import load_workbook

    from mrc_pipeline.defs.runner import run_pipeline

    _, output = pipeline_run
    base = tmp_path_factory.mktemp("rerun")
    shutil.copytree(output, base / "output")
    shutil.copytree(output.parent / "dagster", base / "dagster")
    data = base / "data"
    for folder in ("assessments", "reference", "published"):
        shutil.copytree(DEFAULT_DATA_DIR / folder, data / folder)
    wb = load_workbook(data / "assessments" / "COL-2023.xlsx")
    assert wb["capabilities"]["D2"].value == 2
    wb["capabilities"]["D2"] = 4
    wb.save(data / "assessments" / "COL-2023.xlsx")
    summary = run_pipeline(data, base / "output", base / "dagster", workers=1)
    return summary, base / "output"


def test_second_run_runs_only_the_changed_workbook(second_run):
    summary, output = second_run
    # The ten unchanged workbooks are the ones last validated: they are skipped.
    assert summary.run == ["COL-2023"] and len(summary.skipped) == 10
    assert len(summary.loaded) == 11 and not summary.failed and summary.aggregate_ok
    assert "1 run, 10 unchanged" in summary.render()
    # Table 4's first mean rises by 2/11 (from 23/11).
    caps = pd.read_csv(output / "exports" / "maturity_by_capability.csv")
    assert caps.loc[caps.capability_no == 1, "mean"].item() == pytest.approx(25 / 11)


def test_history_after_two_runs_lists_two_versions(second_run, capsys):
    _, output = second_run
    assert main(["history", "maturity_by_capability", "--output", str(output)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    versions = [line.split() for line in lines]
    assert [v[0] for v in versions] == ["0", "1"]  # version number first
    assert versions[0][2] != versions[1][2]  # each version its own run id
    assert all(line.endswith("11 assessments") for line in lines)
    # Each version records the workbook hashes it was computed from: COL's changed.
    hashes = [json.loads(e["input_hashes"]) for e in
              DeltaTable(str(output / "tables" / "maturity_by_capability")).history()]
    assert hashes[0]["COL-2023"] != hashes[1]["COL-2023"]
    assert hashes[0]["KEN-2023"] == hashes[1]["KEN-2023"]
    assert all(v[1].endswith("Z") and v[1][:4].isdigit() for v in versions)  # UTC time
    # --as-of prints that version of the table; it equals the Delta version read
    # without this project's code.
    assert main(["history", "maturity_by_capability", "--output", str(output),
                 "--as-of", "0", "--csv"]) == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out), float_precision="round_trip")
    direct = DeltaTable(str(output / "tables" / "maturity_by_capability"),
                        version=0).to_pandas()
    assert printed["mean"].tolist() == direct["mean"].tolist()
    assert len(printed) == 20


def test_history_names_what_exists(second_run, capsys):
    _, output = second_run
    assert main(["history", "no_such_table", "--output", str(output)]) == 2
    err = capsys.readouterr().err
    assert "no table 'no_such_table'" in err and "maturity_by_capability" in err
    assert main(["history", "correlations", "--output", str(output), "--as-of", "7"]) == 2
    assert "has no version 7; versions 0-1" in capsys.readouterr().err


WRITER = textwrap.dedent("""
    import sys, time
    import pyarrow as pa
    from deltalake import write_deltalake

    schema = pa.schema([("x", pa.int64())])

    def batches():
        for i in range(1000):
            yield pa.record_batch([pa.array(range(i * 100_000, (i + 1) * 100_000))],
                                  schema=schema)
            if i == 0:
                print("first batch handed over", flush=True)
            time.sleep(0.5)

    reader = pa.RecordBatchReader.from_batches(schema, batches())
    write_deltalake(sys.argv[1], reader, mode="overwrite", target_file_size=1024)
""")


def test_write_killed_half_way_leaves_the_previous_version(tmp_path):
    table = tmp_path / "tables" / "t"
    store = TableStore(tmp_path / "tables")
    store.write("t", pd.DataFrame({"x": [1, 2, 3]}), {"run_id": "first"})
    export = write_export(tmp_path / "exports" / "t.csv", store.read("t"))
    before = export.read_bytes()
    # A writer overwriting the table dies (SIGKILL) while it is writing data files.
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(table)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "first batch handed over"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(list(table.glob("*.parquet"))) < 2:
            time.sleep(0.05)
        assert proc.poll() is None  # still inside the write when killed
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert len(list(table.glob("*.parquet"))) >= 2  # it had written data files
    # The log never got the new commit: version 0 is the table, unchanged.
    assert DeltaTable(str(table)).version() == 0
    assert store.read("t")["x"].tolist() == [1, 2, 3]
    assert export.read_bytes() == before


def test_failed_table_write_leaves_table_and_export_intact(tmp_path, monkeypatch):
    from dagster import build_output_context

    from mrc_pipeline.defs.resources import MrcIOManager

    manager = MrcIOManager(output_dir=str(tmp_path))
    first = pd.DataFrame({"sector": ["A", "B"], "mean": [1.5, 2.5]})
    manager.handle_output(build_output_context(asset_key="t", run_id="r1"), first)
    export = tmp_path / "exports" / "t.csv"
    before = export.read_bytes()

    import deltalake

    real = deltalake.write_deltalake

    def dies_half_way(uri, data, **kwargs):
        # Hand the writer one batch, then fail as a crash would.
        def batches():
            yield data.to_batches()[0]
            raise OSError("disk gone half-way")
        reader = pa.RecordBatchReader.from_batches(data.schema, batches())
        return real(uri, reader, **kwargs)

    monkeypatch.setattr(deltalake, "write_deltalake", dies_half_way)
    second = pd.DataFrame({"sector": ["A", "B"], "mean": [9.0, 9.0]})
    with pytest.raises(Exception, match="disk gone half-way"):
        manager.handle_output(build_output_context(asset_key="t", run_id="r2"), second)
    assert DeltaTable(str(tmp_path / "tables" / "t")).version() == 0
    assert TableStore(tmp_path / "tables").read("t")["mean"].tolist() == [1.5, 2.5]
    assert export.read_bytes() == before


def test_export_write_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = write_export(tmp_path / "t.csv", pd.DataFrame({"x": [1]}))
    before = path.read_bytes()

    def no_space(fd):
        raise OSError("no space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError):
        write_export(path, pd.DataFrame({"x": [2, 3]}))
    assert path.read_bytes() == before
    assert [p.name for p in Path(tmp_path).iterdir()] == ["t.csv"]  # no temp left


def test_exports_neutralise_spreadsheet_formulas(tmp_path):
    # Text a spreadsheet would evaluate gets a leading quote; numbers (even in a text
    # column), blanks and other text are left alone.
    frame = pd.DataFrame({"note": ["=SUM(A1)", "+1", "-x", "@a", "ok", None, 5, "\tx"],
                          "value": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]})
    path = write_export(tmp_path / "t.csv", frame)
    back = pd.read_csv(path, keep_default_na=False)
    assert back["note"].tolist() == ["'=SUM(A1)", "'+1", "'-x", "'@a", "ok", "", "5",
                                     "'\tx"]
    assert back["value"].tolist()[0] == -1.5
