"""The assessment workbook (the *instrument*): reading it and validating it.

``read_workbook`` returns the sheets as read, every value with its cell reference;
``validate_workbook`` turns them into typed tables and collects every problem found,
each naming file, sheet and cell and what was expected. Nothing here knows Dagster.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from mrc_pipeline.labels import NOT_RATED, normalise_label, parse_rating
from mrc_pipeline.reference import Reference

#: Limits that keep a hostile or mistaken file from exhausting memory.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5_000
MAX_COLUMNS = 60

ASSESSMENT_ID = re.compile(r"^[A-Z]{3}-\d{4}$")

#: Canonical sheet name -> accepted names (English and Spanish).
SHEETS: dict[str, tuple[str, ...]] = {
    "assessment": ("assessment", "evaluacion", "evaluación"),
    "capabilities": ("capabilities", "capacidades"),
    "gaps": ("gaps", "brechas"),
    "recommendations": ("recommendations", "recomendaciones"),
}

#: Per sheet: canonical column -> (accepted headers, required).
COLUMNS: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {
    "assessment": {
        "field": (("field", "campo"), True),
        "value": (("value", "valor"), True),
    },
    "capabilities": {
        "capability_no": (("capability_no", "capability no", "no", "no.", "capacidad no",
                           "n.o", "numero", "número"), True),
        "capability": (("capability", "capacidad"), False),
        "sector": (("sector",), False),
        "maturity": (("maturity", "madurez"), True),
        "evidence": (("evidence", "evidencia", "notes", "notas"), False),
    },
    "gaps": {
        "gap_id": (("gap_id", "gap id", "id brecha", "id_brecha"), True),
        "sector": (("sector",), True),
        "capability_no": (("capability_no", "capability no", "capacidad no", "capacidad"),
                          False),
        "description": (("description", "descripcion", "descripción"), True),
        "priority": (("priority", "prioridad"), True),
        "presence": (("presence", "presencia"), True),
    },
    "recommendations": {
        "rec_id": (("rec_id", "recommendation id", "id recomendacion",
                    "id recomendación"), True),
        "sector": (("sector",), True),
        "capability_no": (("capability_no", "capability no", "capacidad no", "capacidad"),
                          False),
        "gap_id": (("gap_id", "gap id", "addresses_gap_id", "id brecha", "brecha"), True),
        "horizon": (("horizon", "horizonte"), True),
        "description": (("description", "descripcion", "descripción"), True),
        "realistic_change": (("realistic_change", "realistic change", "change",
                              "cambio realista", "cambio"), True),
    },
}

#: Fields of the ``assessment`` sheet: canonical -> accepted names.
ASSESSMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "country": ("country", "pais", "país"),
    "iso3": ("iso3", "iso"),
    "year": ("year", "round year", "año", "ano", "round date", "fecha"),
    "assessor_team": ("assessor team", "assessor_team", "equipo evaluador"),
    "taxonomy_version": ("taxonomy version", "taxonomy_version", "version de taxonomia",
                         "versión de taxonomía"),
}

HORIZONS: dict[str, str] = {
    "short": "short", "medium": "medium", "long": "long",
    "corto": "short", "mediano": "medium", "medio": "medium", "largo": "long",
}

#: Rating column -> scale.
RATING_COLUMNS = {"maturity": "maturity", "priority": "priority",
                  "presence": "presence", "realistic_change": "change"}


@dataclass(frozen=True)
class Issue:
    """One problem with a workbook, located as precisely as the problem allows."""

    file: str
    sheet: str | None
    cell: str | None
    message: str
    severity: str = "error"

    def location(self) -> str:
        where = self.file
        if self.sheet:
            where += f":{self.sheet}"
            if self.cell:
                where += f"!{self.cell}"
        return where

    def __str__(self) -> str:
        return f"{self.location()}: {self.severity}: {self.message}"


@dataclass
class RawWorkbook:
    """Sheets as read: per canonical sheet, one row per data row with ``_row`` (Excel
    row number) and ``_cells`` (canonical column -> cell reference)."""

    file: str
    sha256: str
    sheets: dict[str, pd.DataFrame] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]


@dataclass
class ValidatedAssessment:
    """Typed tables of one assessment, plus every issue found on the way."""

    assessment_id: str | None
    info: pd.DataFrame
    capability_ratings: pd.DataFrame
    gaps: pd.DataFrame
    recommendations: pd.DataFrame
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sheet_name_map(names: list[str]) -> dict[str, str]:
    """Canonical sheet -> actual sheet name in the workbook."""
    out: dict[str, str] = {}
    for actual in names:
        key = normalise_label(actual)
        for canonical, accepted in SHEETS.items():
            if key in {normalise_label(a) for a in accepted}:
                out.setdefault(canonical, actual)
    return out


def _not_xlsx_issue(path: Path) -> Issue | None:
    name = path.name
    size = path.stat().st_size
    if size == 0:
        return Issue(name, None, None, "the file is empty; expected an .xlsx workbook")
    if size > MAX_FILE_BYTES:
        return Issue(name, None, None, f"the file is {size} bytes, over the limit of "
                     f"{MAX_FILE_BYTES}; expected an assessment workbook of modest size")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return Issue(name, None, None, "the file is an OLE container: a password-protected "
                     "workbook or an old .xls file; save it as an unprotected .xlsx")
    if not head.startswith(b"PK"):
        return Issue(name, None, None, "the file is not an .xlsx workbook (no zip "
                     "signature; a CSV or text file renamed?); save it as .xlsx")
    if not zipfile.is_zipfile(path):
        return Issue(name, None, None, "the file is truncated or corrupt (incomplete "
                     "zip archive); save the workbook again")
    return None


def _header_map(sheet: str, header: list[object], file: str, header_row: int,
                issues: list[Issue]) -> dict[str, int]:
    """Canonical column -> 0-based column index, reporting unknown and missing headers."""
    spec = COLUMNS[sheet]
    accepted = {normalise_label(a): canonical
                for canonical, (aliases, _) in spec.items() for a in aliases}
    found: dict[str, int] = {}
    for idx, value in enumerate(header):
        if value is None or str(value).strip() == "":
            continue
        ref = f"{get_column_letter(idx + 1)}{header_row}"
        canonical = accepted.get(normalise_label(value))
        if canonical is None:
            issues.append(Issue(file, sheet, ref, f"column '{value}' is not part of the "
                                "instrument and is ignored", "warning"))
        elif canonical in found:
            issues.append(Issue(file, sheet, ref, f"column '{value}' repeats "
                                f"'{canonical}'; only the first is read", "warning"))
        else:
            found[canonical] = idx
    for canonical, (aliases, required) in spec.items():
        if required and canonical not in found:
            issues.append(Issue(file, sheet, f"{header_row}:{header_row}",
                                f"missing column '{canonical}' (accepted headers: "
                                f"{', '.join(aliases)})"))
    return found


def _find_header_row(rows: list[tuple], sheet: str) -> int:
    """Index of the first row that names at least one required column of ``sheet``."""
    required = {normalise_label(a) for aliases, req in COLUMNS[sheet].values()
                if req for a in aliases}
    for i, row in enumerate(rows[:20]):
        if any(v is not None and normalise_label(v) in required for v in row):
            return i
    return 0


def read_workbook(path: Path | str) -> RawWorkbook:
    """Read the four sheets of an instrument, keeping each value's cell reference."""
    path = Path(path)
    name = path.name
    raw = RawWorkbook(file=name, sha256=file_sha256(path) if path.is_file() else "")
    if not path.is_file():
        raw.issues.append(Issue(name, None, None, "file not found"))
        return raw
    problem = _not_xlsx_issue(path)
    if problem:
        raw.issues.append(problem)
        return raw
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values_wb = load_workbook(path, data_only=True)
            formula_wb = load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many types for broken files
        raw.issues.append(Issue(name, None, None, f"the workbook cannot be opened "
                                f"({type(exc).__name__}: {exc}); expected a valid .xlsx"))
        return raw
    sheet_names = _sheet_name_map(values_wb.sheetnames)
    for canonical in SHEETS:
        if canonical not in sheet_names:
            raw.issues.append(Issue(name, canonical, None, f"missing sheet '{canonical}' "
                                    f"(sheets found: {', '.join(values_wb.sheetnames)})"))
            continue
        actual = sheet_names[canonical]
        raw.sheets[canonical] = _read_sheet(values_wb[actual], formula_wb[actual],
                                            canonical, name, raw.issues)
    return raw


def _read_sheet(ws, ws_formulas, sheet: str, file: str, issues: list[Issue]) -> pd.DataFrame:
    if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
        issues.append(Issue(file, sheet, None, f"the sheet spans {ws.max_row} rows x "
                            f"{ws.max_column} columns; at most {MAX_ROWS} x {MAX_COLUMNS} "
                            "are read"))
        return pd.DataFrame()
    for merged in ws.merged_cells.ranges:
        issues.append(Issue(file, sheet, merged.coord, "merged cells; unmerge them and "
                            "fill every cell"))
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    if not rows:
        issues.append(Issue(file, sheet, None, "the sheet is empty; expected a header row"))
        return pd.DataFrame()
    h = _find_header_row(rows, sheet)
    if h > 0:
        issues.append(Issue(file, sheet, f"A{h + 1}", f"the header is on row {h + 1}; "
                            "rows above it are ignored", "warning"))
    columns = _header_map(sheet, list(rows[h]), file, h + 1, issues)
    records = []
    for offset, row in enumerate(rows[h + 1:]):
        excel_row = h + 2 + offset
        if all(v is None or (isinstance(v, str) and v.strip() == "") for v in row):
            continue
        rec: dict[str, object] = {"_row": excel_row}
        cells: dict[str, str] = {}
        for canonical, idx in columns.items():
            ref = f"{get_column_letter(idx + 1)}{excel_row}"
            value = row[idx] if idx < len(row) else None
            formula = ws_formulas.cell(row=excel_row, column=idx + 1).value
            if isinstance(formula, str) and formula.startswith("=") and value is None:
                issues.append(Issue(file, sheet, ref, f"formula {formula} has no cached "
                                    "value; open and save the workbook in Excel, or type "
                                    "the value"))
            rec[canonical] = value
            cells[canonical] = ref
        rec["_cells"] = cells
        records.append(rec)
    frame = pd.DataFrame.from_records(records)
    for canonical in COLUMNS[sheet]:
        if canonical not in frame.columns:
            frame[canonical] = None
    return frame


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _text(value: object) -> str | None:
    if _is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).replace("\u00a0", " ").strip()
    return s or None


def _int_cell(value: object) -> int | None | str:
    """Whole number in a cell, None when blank, or the offending text."""
    if _is_blank(value) or (isinstance(value, str) and normalise_label(value) in NOT_RATED):
        return None
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.datetime)):
        return str(value)
    try:
        number = float(str(value).replace(",", ".").strip())
    except ValueError:
        return str(value)
    return int(number) if number.is_integer() else str(value)


class _Validator:
    def __init__(self, raw: RawWorkbook, ref: Reference):
        self.raw = raw
        self.ref = ref
        self.issues: list[Issue] = list(raw.issues)

    def error(self, sheet: str, cell: str | None, message: str) -> None:
        self.issues.append(Issue(self.raw.file, sheet, cell, message))

    def rating(self, sheet: str, row: pd.Series, column: str) -> int | None:
        scale = RATING_COLUMNS[column]
        parsed = parse_rating(row[column], scale, self.ref.label_lookup[scale],
                              self.ref.scale_bounds(scale))
        if parsed.error:
            self.error(sheet, row["_cells"].get(column), parsed.error)
        return parsed.level

    def sector(self, sheet: str, row: pd.Series, capability_no: int | None) -> str | None:
        value = _text(row.get("sector"))
        if value is None:
            if capability_no is not None:
                return self.ref.capability_sector.get(capability_no)
            self.error(sheet, row["_cells"].get("sector"), "blank sector; expected one "
                       f"of: {', '.join(self.ref.sector_order)}")
            return None
        sector = self.ref.sector_lookup.get(normalise_label(value))
        if sector is None:
            self.error(sheet, row["_cells"].get("sector"), f"unknown sector '{value}'; "
                       f"expected one of: {', '.join(self.ref.sector_order)}")
            return None
        expected = self.ref.capability_sector.get(capability_no) if capability_no else None
        if expected and expected != sector:
            self.error(sheet, row["_cells"].get("sector"), f"sector '{value}' contradicts "
                       f"capability {capability_no}, which belongs to '{expected}'")
        return sector

    def capability_no(self, sheet: str, row: pd.Series, required: bool) -> int | None:
        value = _int_cell(row.get("capability_no"))
        cell = row["_cells"].get("capability_no")
        if value is None:
            if required:
                self.error(sheet, cell, "blank capability number; expected 1-20")
            return None
        if isinstance(value, str) or value not in self.ref.capability_sector:
            self.error(sheet, cell, f"unknown capability '{row.get('capability_no')}'; "
                       "expected a whole number 1-20")
            return None
        return value

    def info(self) -> tuple[str | None, pd.DataFrame]:
        sheet = self.raw.sheets.get("assessment")
        fields: dict[str, object] = {}
        cells: dict[str, str] = {}
        if sheet is not None and not sheet.empty:
            accepted = {normalise_label(a): c for c, al in ASSESSMENT_FIELDS.items() for a in al}
            for _, row in sheet.iterrows():
                key = accepted.get(normalise_label(_text(row["field"]) or ""))
                if key:
                    fields[key] = row["value"]
                    cells[key] = row["_cells"]["value"]
        iso3 = (_text(fields.get("iso3")) or "").upper()
        country = self.ref.country_by_iso3.get(iso3)
        if sheet is not None and country is None:
            self.error("assessment", cells.get("iso3"), f"unknown country ISO3 '{iso3}'; "
                       f"expected one of: {', '.join(sorted(self.ref.country_by_iso3))}")
        year_value = fields.get("year")
        year = year_value.year if isinstance(year_value, (dt.date, dt.datetime)) else (
            _int_cell(year_value))
        if sheet is not None and not (isinstance(year, int) and 1990 <= year <= 2100):
            self.error("assessment", cells.get("year"), f"year '{year_value}' is not a "
                       "four-digit year or date")
            year = None
        assessment_id = f"{iso3}-{year}" if country and year else None
        info = pd.DataFrame([{
            "assessment_id": assessment_id,
            "iso3": iso3 or None,
            "country": country["country"] if country else _text(fields.get("country")),
            "region": country["region"] if country else None,
            "year": year,
            "assessor_team": _text(fields.get("assessor_team")),
            "taxonomy_version": _text(fields.get("taxonomy_version")),
            "source_file": self.raw.file,
            "source_sha256": self.raw.sha256,
        }])
        info["year"] = info["year"].astype("Int64")
        return assessment_id, info

    def capabilities(self, aid: str | None) -> pd.DataFrame:
        sheet = self.raw.sheets.get("capabilities")
        rows: list[dict] = []
        seen: dict[int, str] = {}
        if sheet is None or sheet.empty:
            return _frame(rows, ["assessment_id", "capability_no", "sector", "maturity",
                                 "evidence", "source_cell"])
        for _, row in sheet.iterrows():
            no = self.capability_no("capabilities", row, required=True)
            if no is None:
                continue
            cell = row["_cells"].get("capability_no")
            if no in seen:
                self.error("capabilities", cell, f"capability {no} appears again "
                           f"(first at {seen[no]}); expected one row per capability")
                continue
            seen[no] = cell
            sector = self.sector("capabilities", row, no) if "sector" in row else None
            rows.append({
                "assessment_id": aid, "capability_no": no,
                "sector": sector or self.ref.capability_sector[no],
                "maturity": self.rating("capabilities", row, "maturity"),
                "evidence": _text(row.get("evidence")),
                "source_cell": row["_cells"].get("maturity"),
            })
        missing = sorted(set(self.ref.capability_sector) - set(seen))
        if missing:
            self.error("capabilities", None, "capabilities missing: "
                       f"{', '.join(map(str, missing))}; expected one row for each of 1-20 "
                       "(leave maturity blank when not rated)")
        return _frame(rows, ["assessment_id", "capability_no", "sector", "maturity",
                             "evidence", "source_cell"])

    def gaps(self, aid: str | None) -> pd.DataFrame:
        cols = ["assessment_id", "gap_id", "sector", "capability_no", "description",
                "priority", "presence", "source_cell"]
        sheet = self.raw.sheets.get("gaps")
        rows: list[dict] = []
        seen: dict[str, str] = {}
        for _, row in (sheet if sheet is not None else pd.DataFrame()).iterrows():
            gid = _text(row["gap_id"])
            cell = row["_cells"].get("gap_id")
            if gid is None:
                self.error("gaps", cell, "blank gap id; expected a unique id such as G01")
                continue
            if gid in seen:
                self.error("gaps", cell, f"gap id '{gid}' appears again (first at "
                           f"{seen[gid]}); expected unique ids")
                continue
            seen[gid] = cell
            no = self.capability_no("gaps", row, required=False)
            rows.append({
                "assessment_id": aid, "gap_id": gid,
                "sector": self.sector("gaps", row, no), "capability_no": no,
                "description": _text(row["description"]),
                "priority": self.rating("gaps", row, "priority"),
                "presence": self.rating("gaps", row, "presence"),
                "source_cell": cell,
            })
        return _frame(rows, cols)

    def recommendations(self, aid: str | None, gaps: pd.DataFrame) -> pd.DataFrame:
        cols = ["assessment_id", "rec_id", "gap_id", "sector", "capability_no", "horizon",
                "description", "realistic_change", "source_cell"]
        sheet = self.raw.sheets.get("recommendations")
        known_gaps = dict(zip(gaps["gap_id"], gaps["sector"])) if len(gaps) else {}
        rows: list[dict] = []
        seen: dict[str, str] = {}
        for _, row in (sheet if sheet is not None else pd.DataFrame()).iterrows():
            rid = _text(row["rec_id"])
            cell = row["_cells"].get("rec_id")
            if rid is None:
                self.error("recommendations", cell, "blank recommendation id")
                continue
            if rid in seen:
                self.error("recommendations", cell, f"recommendation id '{rid}' appears "
                           f"again (first at {seen[rid]}); expected unique ids")
                continue
            seen[rid] = cell
            gid = _text(row["gap_id"])
            if gid is not None and gid not in known_gaps:
                self.error("recommendations", row["_cells"].get("gap_id"), f"gap '{gid}' "
                           "does not exist in the gaps sheet")
            horizon_text = _text(row["horizon"])
            horizon = HORIZONS.get(normalise_label(horizon_text or ""))
            if horizon_text is not None and horizon is None:
                self.error("recommendations", row["_cells"].get("horizon"), f"unknown "
                           f"horizon '{horizon_text}'; expected short, medium or long "
                           "(corto, mediano, largo)")
            no = self.capability_no("recommendations", row, required=False)
            rows.append({
                "assessment_id": aid, "rec_id": rid, "gap_id": gid,
                "sector": self.sector("recommendations", row, no), "capability_no": no,
                "horizon": horizon, "description": _text(row["description"]),
                "realistic_change": self.rating("recommendations", row, "realistic_change"),
                "source_cell": cell,
            })
        return _frame(rows, cols)


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for col in ("capability_no", "maturity", "priority", "presence", "realistic_change"):
        if col in frame:
            frame[col] = frame[col].astype("Int64")
    return frame


def validate_workbook(raw: RawWorkbook, ref: Reference,
                      expected_id: str | None = None) -> ValidatedAssessment:
    """Typed tables of one workbook and every issue found (read issues included)."""
    v = _Validator(raw, ref)
    aid, info = v.info()
    if expected_id and aid and aid != expected_id:
        v.error("assessment", None, f"the workbook describes {aid} but is registered as "
                f"{expected_id}; rename the file or fix ISO3 and year")
    caps = v.capabilities(aid)
    gaps = v.gaps(aid)
    recs = v.recommendations(aid, gaps)
    return ValidatedAssessment(aid, info, caps, gaps, recs, v.issues)


def assessment_id_for(path: Path) -> str:
    """Partition key of a workbook: ``ISO3-YEAR`` from its name, else from its contents."""
    stem = path.stem.upper()
    if ASSESSMENT_ID.match(stem):
        return stem
    raw = read_workbook(path)
    aid, _ = _Validator(raw, Reference()).info()
    if aid:
        return aid
    safe = re.sub(r"[^A-Z0-9]+", "-", stem).strip("-")[:40] or "UNKNOWN"
    return f"INVALID-{safe}"


def discover_workbooks(folder: Path) -> dict[str, Path]:
    """Assessment id -> workbook path, for every ``*.xlsx`` in ``folder``."""
    found: dict[str, Path] = {}
    for path in sorted(Path(folder).glob("*.xlsx")):
        if path.name.startswith(("~$", ".")):
            continue
        found.setdefault(assessment_id_for(path), path)
    return found
