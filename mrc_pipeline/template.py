"""Writing instrument workbooks: blank templates for field officers and demo data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from mrc_pipeline.reference import Reference

#: Column headers per language; the first English header of instrument.COLUMNS.
HEADERS: dict[str, dict[str, list[str]]] = {
    "en": {
        "assessment": ["field", "value"],
        "capabilities": ["capability_no", "capability", "sector", "maturity", "evidence"],
        "gaps": ["gap_id", "sector", "capability_no", "description", "priority",
                 "presence"],
        "recommendations": ["rec_id", "sector", "capability_no", "gap_id", "horizon",
                            "description", "realistic_change"],
    },
    "es": {
        "assessment": ["campo", "valor"],
        "capabilities": ["número", "capacidad", "sector", "madurez", "evidencia"],
        "gaps": ["id brecha", "sector", "capacidad no", "descripción", "prioridad",
                 "presencia"],
        "recommendations": ["id recomendación", "sector", "capacidad no", "id brecha",
                            "horizonte", "descripción", "cambio realista"],
    },
}
SHEET_TITLES = {
    "en": {"assessment": "assessment", "capabilities": "capabilities", "gaps": "gaps",
           "recommendations": "recommendations"},
    "es": {"assessment": "evaluacion", "capabilities": "capacidades", "gaps": "brechas",
           "recommendations": "recomendaciones"},
}
FIELD_LABELS = {
    "en": ["country", "iso3", "year", "assessor team", "taxonomy version"],
    "es": ["país", "iso3", "año", "equipo evaluador", "versión de taxonomía"],
}
HORIZON_LABELS = {"en": ["short", "medium", "long"], "es": ["corto", "mediano", "largo"]}
#: Rating column index (0-based) per sheet -> scale.
RATING_COLUMNS = {"capabilities": {3: "maturity"},
                  "gaps": {4: "priority", 5: "presence"},
                  "recommendations": {6: "change"}}
TEMPLATE_ROWS = 200


def _dropdown(ws, column: int, choices: list[str], last_row: int, prompt: str) -> None:
    dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"',
                        allow_blank=True, showErrorMessage=True)
    dv.error = prompt
    dv.errorTitle = "Rating"
    dv.prompt = prompt
    dv.showInputMessage = True
    letter = get_column_letter(column + 1)
    dv.add(f"{letter}2:{letter}{last_row}")
    ws.add_data_validation(dv)


def _rating_choices(ref: Reference, scale: str, lang: str) -> list[str]:
    names = ref.level_names(scale, lang)
    return [f"{level}" for level in names] + [names[level] for level in names]


def write_instrument(path: Path, *, iso3: str, year: int, ref: Reference,
                     lang: str = "en", assessor_team: str = "",
                     capabilities: pd.DataFrame | None = None,
                     gaps: pd.DataFrame | None = None,
                     recommendations: pd.DataFrame | None = None) -> Path:
    """Write an instrument workbook: filled when frames are given, blank otherwise.

    Every rating column carries an Excel drop-down of the scale's numbers and labels.
    """
    if lang not in HEADERS:
        raise ValueError(f"language '{lang}' is not supported; expected en or es")
    iso3 = iso3.upper()
    country = ref.country_by_iso3.get(iso3)
    if country is None:
        raise ValueError(f"unknown country ISO3 '{iso3}'; expected one of "
                         f"{', '.join(sorted(ref.country_by_iso3))}")
    wb = Workbook()
    wb.remove(wb.active)
    titles, headers = SHEET_TITLES[lang], HEADERS[lang]
    sheets = {name: wb.create_sheet(titles[name]) for name in titles}
    for name, ws in sheets.items():
        ws.append(headers[name])
        for cell in ws[1]:
            cell.font = Font(bold=True)
    country_name = country["country_es"] if lang == "es" else country["country"]
    for label, value in zip(FIELD_LABELS[lang], [country_name, iso3, year,
                                                 assessor_team, "WeProtect MNR 2022"]):
        sheets["assessment"].append([label, value])

    caps = ref.capabilities.merge(ref.sectors[["sector", "sector_es"]], on="sector")
    ratings = (capabilities.set_index("capability_no")["maturity"]
               if capabilities is not None else pd.Series(dtype=object))
    for row in caps.sort_values("capability_no").itertuples():
        value = ratings.get(row.capability_no)
        sheets["capabilities"].append([
            row.capability_no, row.capability,
            row.sector_es if lang == "es" else row.sector,
            None if value is None or pd.isna(value) else int(value), None])
    for frame, name, cols in (
        (gaps, "gaps", ["gap_id", "sector", "capability_no", "description", "priority",
                        "presence"]),
        (recommendations, "recommendations", ["rec_id", "sector", "capability_no",
                                              "gap_id", "horizon", "description",
                                              "realistic_change"]),
    ):
        if frame is None:
            continue
        for rec in frame[cols].itertuples(index=False):
            sheets[name].append([None if pd.isna(v) else (int(v) if isinstance(v, float)
                                                          else v) for v in rec])

    sector_names = (ref.sectors["sector_es"] if lang == "es" else ref.sectors["sector"])
    for name, columns in RATING_COLUMNS.items():
        for column, scale in columns.items():
            lo, hi = ref.scale_bounds(scale)
            _dropdown(sheets[name], column, _rating_choices(ref, scale, lang),
                      TEMPLATE_ROWS, f"{scale} {lo}-{hi}, or blank when not rated")
    # Sector names contain commas, so their drop-down lives in a hidden list sheet.
    lists = wb.create_sheet("lists")
    for i, sector in enumerate(sector_names, start=1):
        lists.cell(row=i, column=1, value=sector)
    lists.sheet_state = "hidden"
    for name in ("gaps", "recommendations"):
        dv = DataValidation(type="list", formula1=f"lists!$A$1:$A${len(sector_names)}",
                            allow_blank=False)
        dv.add(f"B2:B{TEMPLATE_ROWS}")
        sheets[name].add_data_validation(dv)
    _dropdown(sheets["recommendations"], 4, HORIZON_LABELS[lang], TEMPLATE_ROWS,
              "short, medium or long")
    for ws in sheets.values():
        for col in range(1, ws.max_column + 1):
            ws.column_dimensions[get_column_letter(col)].width = 18
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
