"""The assessment workbook (the *instrument*): reading it and validating it.

``read_workbook`` returns the sheets as read, every value with its cell reference;
``validate_workbook`` turns them into typed tables and collects every problem found,
each naming file, sheet and cell and what was expected. Nothing here knows Dagster.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from mrc_pipeline.labels import NOT_RATED, normalise_label, parse_rating
from mrc_pipeline.reference import Reference
from mrc_pipeline.xlsx_guard import package_problem

log = logging.getLogger(__name__)

#: Per sheet, the most rows and columns read; a larger sheet is refused before the
#: workbook is loaded whole (file and unzipped sizes are bounded in ``xlsx_guard``).
MAX_ROWS = 5_000
MAX_COLUMNS = 60
#: How far down the header row is looked for.
HEADER_SEARCH_ROWS = 20

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
        "evidence": (("evidence", "evidencia"), False),
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
        """One line: ``file:sheet!cell: severity: message``."""
        message = " ".join(self.message.split())
        return f"{self.location()}: {self.severity}: {message}"


@dataclass
class RawWorkbook:
    """Sheets as read: per canonical sheet, one row per data row with ``_row`` (Excel
    row number) and ``_cells`` (canonical column -> cell reference).

    ``titles`` maps each canonical sheet to its name in the workbook (errors name the
    sheet as the field officer sees it); ``incomplete`` lists the sheets that lack a
    required column, whose rows are not validated further."""

    file: str
    sha256: str
    sheets: dict[str, pd.DataFrame] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    incomplete: set[str] = field(default_factory=set)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def title(self, sheet: str) -> str:
        return self.titles.get(sheet, sheet)


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


def _sheet_titles(raw: RawWorkbook, names: list[str]) -> None:
    """Fill ``raw.titles`` (canonical sheet -> sheet name); report clashes and misses."""
    accepted = {normalise_label(a): canonical
                for canonical, aliases in SHEETS.items() for a in aliases}
    for actual in names:
        canonical = accepted.get(normalise_label(actual))
        if canonical is None:
            continue
        if canonical in raw.titles:
            raw.issues.append(Issue(raw.file, actual, None, f"a second '{canonical}' sheet "
                                    f"(the first is '{raw.titles[canonical]}'); keep one "
                                    "sheet and move its rows there"))
        else:
            raw.titles[canonical] = actual
    unused = [n for n in names if accepted.get(normalise_label(n)) is None]
    for canonical in SHEETS:
        if canonical in raw.titles:
            continue
        close = difflib.get_close_matches(canonical, unused, n=1, cutoff=0.7)
        hint = f"; is '{close[0]}' meant to be '{canonical}'?" if close else ""
        raw.issues.append(Issue(raw.file, canonical, None, f"missing sheet '{canonical}' "
                                f"(accepted names: {', '.join(SHEETS[canonical])}; sheets "
                                f"found: {', '.join(names)}){hint}"))


def _size_issues(path: Path, file: str) -> list[Issue]:
    """Sheets over the row or column limit, found by streaming (read-only mode) before
    the workbook is loaded whole. The declared dimension is checked first; as it may be
    missing or wrong, rows are then counted as they stream, stopping at the limit."""
    issues: list[Issue] = []
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            rows, cols = ws.max_row or 0, ws.max_column or 0
            if rows > MAX_ROWS or cols > MAX_COLUMNS:
                issues.append(Issue(file, ws.title, None, f"the sheet spans {rows} rows x "
                                    f"{cols} columns; at most {MAX_ROWS} rows x "
                                    f"{MAX_COLUMNS} columns are read (delete unused rows "
                                    "and columns)"))
                continue
            ws.reset_dimensions()
            for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if n > MAX_ROWS:
                    issues.append(Issue(file, ws.title, f"A{n}", f"the sheet has more than "
                                        f"{MAX_ROWS} rows (empty formatted rows count); "
                                        "delete the rows below the data"))
                    break
                if len(row) > MAX_COLUMNS and any(v is not None for v in row[MAX_COLUMNS:]):
                    issues.append(Issue(file, ws.title, f"{n}:{n}", "the row has values "
                                        f"beyond column {get_column_letter(MAX_COLUMNS)}; "
                                        f"at most {MAX_COLUMNS} columns are read"))
                    break
    finally:
        wb.close()
    return issues


def read_workbook(path: Path | str) -> RawWorkbook:
    """Read the four sheets of an instrument, keeping each value's cell reference.

    Never raises for a bad file: every problem becomes an ``Issue``."""
    path = Path(path)
    name = path.name
    raw = RawWorkbook(file=name, sha256="")
    if path.is_dir():
        raw.issues.append(Issue(name, None, None, "is a directory; expected an .xlsx "
                                "workbook file"))
        return raw
    if not path.is_file():
        raw.issues.append(Issue(name, None, None, "file not found; expected an .xlsx "
                                "workbook file"))
        return raw
    raw.sha256 = file_sha256(path)
    problem = package_problem(path)
    if problem:
        raw.issues.append(Issue(name, None, None, problem))
        return raw
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            too_large = _size_issues(path, name)
            if too_large:
                raw.issues.extend(too_large)
                return raw
            values_wb = load_workbook(path, data_only=True)
            formula_wb = load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many types for broken files
        refused = _entity_refusal(exc)
        if refused is not None:
            raw.issues.append(Issue(name, None, None, "the workbook contains XML entity "
                                    f"declarations ({type(refused).__name__}), which are "
                                    "refused; save the workbook again from Excel"))
            return raw
        raw.issues.append(Issue(name, None, None, f"the workbook cannot be opened "
                                f"({type(exc).__name__}: {exc}); expected a valid .xlsx"))
        return raw
    _sheet_titles(raw, values_wb.sheetnames)
    for canonical, actual in raw.titles.items():
        raw.sheets[canonical] = _read_sheet(values_wb[actual], formula_wb[actual],
                                            canonical, raw)
    return raw


def _entity_refusal(exc: BaseException) -> DefusedXmlException | None:
    """The defusedxml refusal behind an exception, if any (openpyxl wraps it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DefusedXmlException):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _header_map(sheet: str, header: list[object], raw: RawWorkbook,
                header_row: int) -> dict[str, int]:
    """Canonical column -> 0-based column index; unknown headers are warned about, a
    missing required column is an error (naming the near-miss header when there is
    one) and marks the sheet incomplete."""
    title = raw.title(sheet)
    spec = COLUMNS[sheet]
    accepted = {normalise_label(a): canonical
                for canonical, (aliases, _) in spec.items() for a in aliases}
    found: dict[str, int] = {}
    unknown: dict[str, int] = {}
    for idx, value in enumerate(header):
        if value is None or str(value).strip() == "":
            continue
        key = normalise_label(value)
        canonical = accepted.get(key)
        if canonical is None:
            unknown[key] = idx
        elif canonical in found:
            raw.issues.append(Issue(raw.file, title, _ref(idx, header_row),
                                    f"column '{str(value).strip()}' repeats column "
                                    f"'{canonical}' ({_ref(found[canonical], header_row)}); "
                                    "keep one of them"))
        else:
            found[canonical] = idx
    explained: set[str] = set()
    for canonical, (aliases, required) in spec.items():
        if not required or canonical in found:
            continue
        raw.incomplete.add(sheet)
        near = difflib.get_close_matches(
            normalise_label(canonical), [k for k in unknown if k not in explained],
            n=1, cutoff=0.75)
        if near:
            idx = unknown[near[0]]
            explained.add(near[0])
            raw.issues.append(Issue(raw.file, title, _ref(idx, header_row),
                                    f"column '{str(header[idx]).strip()}' is not a known "
                                    f"column; expected '{canonical}' (a misspelling?)"))
            continue
        width = max(len(header), 1)
        raw.issues.append(Issue(raw.file, title, f"A{header_row}:"
                                f"{get_column_letter(width)}{header_row}",
                                f"missing column '{canonical}' (accepted headers: "
                                f"{', '.join(aliases)})"))
    for key, idx in unknown.items():
        if key not in explained:
            raw.issues.append(Issue(raw.file, title, _ref(idx, header_row),
                                    f"column '{str(header[idx]).strip()}' is not part of "
                                    "the instrument and is ignored", "warning"))
    return found


def _find_header_row(rows: list[tuple], sheet: str) -> int:
    """Index of the first row that names at least one required column of ``sheet``."""
    required = {normalise_label(a) for aliases, req in COLUMNS[sheet].values()
                if req for a in aliases}
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(v is not None and normalise_label(v) in required for v in row):
            return i
    return 0


def _ref(idx: int, row: int) -> str:
    return f"{get_column_letter(idx + 1)}{row}"


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _read_sheet(ws, ws_formulas, sheet: str, raw: RawWorkbook) -> pd.DataFrame:
    file, title = raw.file, raw.title(sheet)
    for merged in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        raw.issues.append(Issue(file, title, merged.coord, "merged cells; unmerge them "
                                "and type the value in every cell"))
    cells = [tuple(r) for r in ws.iter_rows()]
    rows = [tuple(c.value for c in r) for r in cells]
    if not any(not _is_empty(v) for row in rows for v in row):
        raw.issues.append(Issue(file, title, "A1", "the sheet is empty; expected a header "
                                "row with the instrument's columns"))
        raw.incomplete.add(sheet)
        return pd.DataFrame(columns=["_row", "_cells", *COLUMNS[sheet]])
    h = _find_header_row(rows, sheet)
    if h > 0:
        raw.issues.append(Issue(file, title, f"A{h + 1}", f"the header is on row {h + 1}; "
                                f"expected it on row 1 (delete the {h} row(s) above it)"))
    columns = _header_map(sheet, list(rows[h]), raw, h + 1)
    records = []
    for offset, row in enumerate(cells[h + 1:]):
        excel_row = h + 2 + offset
        if all(_is_empty(c.value) for c in row):
            continue
        rec: dict[str, object] = {"_row": excel_row}
        refs: dict[str, str] = {}
        for canonical, idx in columns.items():
            ref = _ref(idx, excel_row)
            cell = row[idx] if idx < len(row) else None
            value = None if cell is None else cell.value
            formula = ws_formulas.cell(row=excel_row, column=idx + 1).value
            formula = formula if isinstance(formula, str) and formula.startswith("=") else None
            if cell is not None and cell.data_type == "e":
                source = f" (formula {formula})" if formula else ""
                raw.issues.append(Issue(file, title, ref, f"the cell shows the Excel error "
                                        f"{value}{source}; fix the formula or type the "
                                        "value"))
                value = None
            elif formula and value is None:
                raw.issues.append(Issue(file, title, ref, f"formula {formula} has no "
                                        "cached value; open and save the workbook in "
                                        "Excel, or type the value"))
            rec[canonical] = value
            refs[canonical] = ref
        rec["_cells"] = refs
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=["_row", *columns, "_cells"])
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
        self.field_cells: dict[str, str] = {}

    def error(self, sheet: str, cell: str | None, message: str) -> None:
        self.issues.append(Issue(self.raw.file, self.raw.title(sheet), cell, message))

    def rows(self, sheet: str) -> list[pd.Series]:
        """Data rows of a sheet that can be validated (present, all required columns)."""
        frame = self.raw.sheets.get(sheet)
        if frame is None or sheet in self.raw.incomplete:
            return []
        return [row for _, row in frame.iterrows()]

    def rating(self, sheet: str, row: pd.Series, column: str) -> int | None:
        scale = RATING_COLUMNS[column]
        parsed = parse_rating(row.get(column), scale, self.ref.label_lookup[scale],
                              self.ref.scale_bounds(scale))
        if parsed.error:
            self.error(sheet, row["_cells"].get(column), parsed.error)
        return parsed.level

    def sector(self, sheet: str, row: pd.Series, capability_no: int | None,
               fallback: str | None = None) -> str | None:
        """The row's sector; a blank one is taken from its capability, else from
        ``fallback`` (a recommendation's gap)."""
        value = _text(row.get("sector"))
        cell = row["_cells"].get("sector")
        if value is None:
            if capability_no is not None:
                return self.ref.capability_sector.get(capability_no)
            if fallback is not None:
                return fallback
            self.error(sheet, cell, "blank sector; expected one of: "
                       f"{', '.join(self.ref.sector_order)}")
            return None
        sector = self.ref.sector_lookup.get(normalise_label(value))
        if sector is None:
            self.error(sheet, cell, f"unknown sector '{value}'; expected one of: "
                       f"{', '.join(self.ref.sector_order)}")
            return None
        expected = self.ref.capability_sector.get(capability_no) if capability_no else None
        if expected and expected != sector:
            self.error(sheet, cell, f"sector '{value}' contradicts capability "
                       f"{capability_no}, which belongs to '{expected}'")
        return sector

    def capability_no(self, sheet: str, row: pd.Series, required: bool) -> int | None:
        value = _int_cell(row.get("capability_no"))
        cell = row["_cells"].get("capability_no")
        if value is None:
            if required:
                self.error(sheet, cell, "blank capability number; expected a whole "
                           "number 1-20")
            return None
        if isinstance(value, str) or value not in self.ref.capability_sector:
            shown = _text(row.get("capability_no"))
            self.error(sheet, cell, f"unknown capability '{shown}'; expected a whole "
                       "number 1-20")
            return None
        return value

    def info(self) -> tuple[str | None, pd.DataFrame]:
        fields: dict[str, object] = {}
        cells: dict[str, str] = {}
        accepted = {normalise_label(a): c for c, al in ASSESSMENT_FIELDS.items() for a in al}
        rows = self.rows("assessment")
        for row in rows:
            key = accepted.get(normalise_label(_text(row.get("field")) or ""))
            if key is None:
                continue
            if key in fields:
                self.error("assessment", row["_cells"].get("field"), f"field '{key}' "
                           f"appears again (first at {cells[key]}); expected it once")
                continue
            fields[key] = row.get("value")
            cells[key] = row["_cells"]["value"]
        checked = bool(rows)
        self.field_cells = cells
        for key in ("iso3", "year"):
            if checked and key not in fields:
                self.error("assessment", None, f"missing field '{key}' (accepted names: "
                           f"{', '.join(ASSESSMENT_FIELDS[key])}) in column A")
        iso3 = (_text(fields.get("iso3")) or "").upper()
        country = self.ref.country_by_iso3.get(iso3)
        if checked and "iso3" in fields and country is None:
            self.error("assessment", cells.get("iso3"), f"unknown country ISO3 '{iso3}'; "
                       f"expected one of: {', '.join(sorted(self.ref.country_by_iso3))}")
        name = _text(fields.get("country"))
        if country and name and normalise_label(name) not in {
                normalise_label(country["country"]), normalise_label(country["country_es"])}:
            self.error("assessment", cells.get("country"), f"country '{name}' contradicts "
                       f"ISO3 '{iso3}', which is {country['country']}")
        year_value = fields.get("year")
        year = year_value.year if isinstance(year_value, (dt.date, dt.datetime)) else (
            _int_cell(year_value))
        if checked and "year" in fields and not (
                isinstance(year, int) and 1990 <= year <= 2100):
            self.error("assessment", cells.get("year"), f"year '{_text(year_value) or ''}' "
                       "is not a four-digit year (1990-2100) or a date")
            year = None
        assessment_id = f"{iso3}-{year}" if country and isinstance(year, int) else None
        info = pd.DataFrame([{
            "assessment_id": assessment_id,
            "iso3": iso3 or None,
            "country": country["country"] if country else name,
            "region": country["region"] if country else None,
            "year": year if isinstance(year, int) else None,
            "assessor_team": _text(fields.get("assessor_team")),
            "taxonomy_version": _text(fields.get("taxonomy_version")),
            "source_file": self.raw.file,
            "source_sha256": self.raw.sha256,
        }])
        info["year"] = info["year"].astype("Int64")
        return assessment_id, info

    def capabilities(self, aid: str | None) -> pd.DataFrame:
        cols = ["assessment_id", "capability_no", "sector", "maturity", "evidence",
                "source_cell"]
        rows: list[dict] = []
        seen: dict[int, str] = {}
        data = self.rows("capabilities")
        for row in data:
            no = self.capability_no("capabilities", row, required=True)
            if no is None:
                continue
            cell = row["_cells"].get("capability_no")
            if no in seen:
                self.error("capabilities", cell, f"capability {no} appears again "
                           f"(first at {seen[no]}); expected one row per capability")
                continue
            seen[no] = cell
            self.capability_name(row, no)
            sector = self.sector("capabilities", row, no)
            rows.append({
                "assessment_id": aid, "capability_no": no,
                "sector": sector or self.ref.capability_sector[no],
                "maturity": self.rating("capabilities", row, "maturity"),
                "evidence": _text(row.get("evidence")),
                "source_cell": row["_cells"].get("maturity"),
            })
        missing = sorted(set(self.ref.capability_sector) - set(seen))
        complete = "capabilities" in self.raw.sheets and (
            "capabilities" not in self.raw.incomplete)
        if missing and complete:
            where = "A2"
            if data:
                column = re.sub(r"\d+", "", data[0]["_cells"]["capability_no"])
                where = f"{column}{data[0]['_row']}:{column}{data[-1]['_row']}"
            self.error("capabilities", where, "capabilities missing: "
                       f"{', '.join(map(str, missing))}; expected one row for each of 1-20 "
                       "(leave maturity blank when not rated)")
        if rows and complete and all(r["maturity"] is None for r in rows):
            first, last = rows[0]["source_cell"], rows[-1]["source_cell"]
            self.error("capabilities", f"{first}:{last}", "no capability has a maturity rating; "
                       "expected at least one rating 1-4 (a blank cell means not rated)")
        return _frame(rows, cols)

    def capability_name(self, row: dict, no: int) -> None:
        """A name that belongs to another capability betrays a shifted row; a name that
        matches none (another language, own wording) is accepted."""
        name = _text(row.get("capability"))
        if name is None:
            return
        owner = self.ref.capability_by_name.get(normalise_label(name))
        if owner is not None and owner != no:
            self.error("capabilities", row["_cells"].get("capability"),
                       f"'{name}' is the name of capability {owner}, but this row is "
                       f"capability {no} ('{self.ref.capability_name[no]}'); check that "
                       "the rows are not shifted")

    def gaps(self, aid: str | None) -> pd.DataFrame:
        cols = ["assessment_id", "gap_id", "sector", "capability_no", "description",
                "priority", "presence", "source_cell"]
        rows: list[dict] = []
        seen: dict[str, str] = {}
        for row in self.rows("gaps"):
            gid = _text(row.get("gap_id"))
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
                "description": _text(row.get("description")),
                "priority": self.rating("gaps", row, "priority"),
                "presence": self.rating("gaps", row, "presence"),
                "source_cell": cell,
            })
        return _frame(rows, cols)

    def recommendations(self, aid: str | None, gaps: pd.DataFrame) -> pd.DataFrame:
        cols = ["assessment_id", "rec_id", "gap_id", "sector", "capability_no", "horizon",
                "description", "realistic_change", "source_cell"]
        gaps_usable = "gaps" in self.raw.sheets and "gaps" not in self.raw.incomplete
        known_gaps = dict(zip(gaps["gap_id"], gaps["sector"])) if len(gaps) else {}
        rows: list[dict] = []
        seen: dict[str, str] = {}
        for row in self.rows("recommendations"):
            rid = _text(row.get("rec_id"))
            cell = row["_cells"].get("rec_id")
            if rid is None:
                self.error("recommendations", cell, "blank recommendation id; expected a "
                           "unique id such as R01")
                continue
            if rid in seen:
                self.error("recommendations", cell, f"recommendation id '{rid}' appears "
                           f"again (first at {seen[rid]}); expected unique ids")
                continue
            seen[rid] = cell
            gid = _text(row.get("gap_id"))
            gap_cell = row["_cells"].get("gap_id")
            if gid is not None and gaps_usable and gid not in known_gaps:
                self.error("recommendations", gap_cell, f"gap '{gid}' does not exist in "
                           f"the {self.raw.title('gaps')} sheet; expected the id of one "
                           "of its gaps")
            horizon_text = _text(row.get("horizon"))
            horizon = HORIZONS.get(normalise_label(horizon_text or ""))
            if horizon_text is not None and horizon is None:
                self.error("recommendations", row["_cells"].get("horizon"), f"unknown "
                           f"horizon '{horizon_text}'; expected short, medium or long "
                           "(corto, mediano, largo)")
            no = self.capability_no("recommendations", row, required=False)
            gap_sector = known_gaps.get(gid)
            sector = self.sector("recommendations", row, no, fallback=gap_sector)
            if sector and gap_sector and sector != gap_sector:
                self.error("recommendations", row["_cells"].get("sector"), f"sector "
                           f"'{_text(row.get('sector'))}' contradicts gap '{gid}', which "
                           f"is in '{gap_sector}'")
            rows.append({
                "assessment_id": aid, "rec_id": rid, "gap_id": gid,
                "sector": sector, "capability_no": no,
                "horizon": horizon, "description": _text(row.get("description")),
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
        v.error("assessment", v.field_cells.get("iso3"), f"the workbook describes {aid} "
                f"but its file name says {expected_id}; rename the file or fix ISO3 and "
                "year")
    caps = v.capabilities(aid)
    gaps = v.gaps(aid)
    recs = v.recommendations(aid, gaps)
    return ValidatedAssessment(aid, info, caps, gaps, recs, v.issues)


def check_workbook(path: Path | str, ref: Reference) -> list[Issue]:
    """Every issue of one workbook file, as ``mrc validate`` reports them.

    A file named ``ISO3-YEAR.xlsx`` must describe that assessment, as in the pipeline.
    Never raises: a failure of the reader itself becomes an issue too."""
    path = Path(path)
    stem = path.stem.upper()
    try:
        raw = read_workbook(path)
        expected = stem if ASSESSMENT_ID.match(stem) else None
        return validate_workbook(raw, ref, expected_id=expected).issues
    except Exception as exc:  # a reader bug must still give one line, not a traceback
        log.debug("reading %s failed", path, exc_info=True)
        return [Issue(path.name, None, None, f"the workbook could not be checked "
                      f"({type(exc).__name__}: {exc})")]
