"""Builders of instrument workbooks for the tests: one good workbook written by the
project's own writer, and the edits that spoil it (openpyxl edits for what Excel
users do, raw zip and XML rewrites for hostile files).

Layout of the English workbook written by ``good_workbook`` (Excel cells):

- ``assessment``: A2:B6 = country, iso3, year, assessor team, taxonomy version;
- ``capabilities``: rows 2-21 hold capabilities 1-20; A number, B name, C sector,
  D maturity (capability n is rated ``MATURITY[n]``), E evidence;
- ``gaps``: rows 2-3 hold G01 (capability 1, Policy ...) and G02 (Criminal Justice);
  A gap_id, B sector, C capability_no, D description, E priority, F presence;
- ``recommendations``: rows 2-3 hold R01 -> G01 and R02 -> G02; A rec_id, B sector,
  C capability_no, D gap_id, E horizon, F description, G realistic_change;
- a hidden ``lists`` sheet for the sector drop-down.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from mrc_pipeline.reference import Reference
from mrc_pipeline.template import write_instrument

#: Maturity of capability n in the good workbook: 1, 2, 3, 4, 1, 2, ...
MATURITY = {n: (n - 1) % 4 + 1 for n in range(1, 21)}
POLICY = "Policy Legislation and Governance"
#: Worksheet part of each sheet, in the order the writer creates them.
PARTS = {"assessment": "xl/worksheets/sheet1.xml",
         "capabilities": "xl/worksheets/sheet2.xml",
         "gaps": "xl/worksheets/sheet3.xml",
         "recommendations": "xl/worksheets/sheet4.xml"}


def good_workbook(folder: Path, ref: Reference, name: str = "KEN-2023.xlsx",
                  lang: str = "en") -> Path:
    """A valid workbook for KEN-2023 (see the module docstring for its cells)."""
    caps = pd.DataFrame({"capability_no": list(MATURITY),
                         "maturity": list(MATURITY.values())})
    gaps = pd.DataFrame([
        {"gap_id": "G01", "sector": POLICY, "capability_no": 1,
         "description": "No national strategy", "priority": 4, "presence": 2},
        {"gap_id": "G02", "sector": "Criminal Justice", "capability_no": None,
         "description": "Few trained investigators", "priority": 5, "presence": 3},
    ])
    recs = pd.DataFrame([
        {"rec_id": "R01", "sector": POLICY, "capability_no": 1, "gap_id": "G01",
         "horizon": "short", "description": "Adopt a strategy", "realistic_change": 3},
        {"rec_id": "R02", "sector": "Criminal Justice", "capability_no": None,
         "gap_id": "G02", "horizon": "long", "description": "Train investigators",
         "realistic_change": 4},
    ])
    iso3, year = Path(name).stem.split("-")[:2] if re.match(
        r"^[A-Z]{3}-\d{4}", Path(name).stem) else ("KEN", "2023")
    return write_instrument(Path(folder) / name, iso3=iso3, year=int(year), ref=ref,
                            lang=lang, assessor_team="Field team",
                            capabilities=caps, gaps=gaps, recommendations=recs)


def edit(path: Path, change: Callable) -> Path:
    """Open with openpyxl, apply ``change(workbook)``, save in place."""
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def rewrite_part(path: Path, part: str, change: Callable[[str], str]) -> Path:
    """Rewrite one XML part of the zip with ``change(text)``, other parts unchanged."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w",
                                                       zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, data)
    shutil.move(tmp, path)
    return path


def set_cell_xml(path: Path, sheet: str, ref: str, xml: str) -> Path:
    """Replace the ``<c r="ref">`` element of a sheet with ``xml``."""
    pattern = re.compile(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)')

    def change(text: str) -> str:
        new, n = pattern.subn(lambda _: xml, text, count=1)
        assert n == 1, f"{ref} not found in {sheet}"
        return new

    return rewrite_part(path, PARTS[sheet], change)


def prepend_prolog(path: Path, sheet: str, prolog: str, cell: str, entity: str) -> Path:
    """Put ``prolog`` (an XML declaration and DTD) before a sheet's root element and
    make ``cell`` an inline string that refers to ``&entity;``."""
    path = set_cell_xml(path, sheet, cell,
                        f'<c r="{cell}" t="inlineStr"><is><t>&{entity};</t></is></c>')
    return rewrite_part(path, PARTS[sheet], lambda text: prolog + text)
