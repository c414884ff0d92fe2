"""``mrc validate`` and ``mrc template``: exit status, one line per issue, no traceback;
a filled template (English or Spanish) validates; the reader's second line of defence
against XML entities; cached formula values are used."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
from openpyxl import load_workbook

from mrc_pipeline import instrument
from mrc_pipeline.cli import main
from mrc_pipeline.instrument import check_workbook, read_workbook, validate_workbook
from mrc_pipeline.reference import DEFAULT_DATA_DIR
from mrc_pipeline_tests.test_bad_workbooks import _billion_laughs, _external_entity
from mrc_pipeline_tests.workbook_factory import edit, good_workbook, set_cell_xml


def test_validate_clean_workbook_exits_0(tmp_path, ref, capsys):
    path = good_workbook(tmp_path, ref)
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "KEN-2023.xlsx: ok" in err


def test_validate_warnings_only_exits_0(tmp_path, ref, capsys):
    path = edit(good_workbook(tmp_path, ref), lambda wb: wb["gaps"].cell(1, 7, "notas 2"))
    assert main(["validate", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines() == ["KEN-2023.xlsx:gaps!G1: warning: column 'notas 2' is not "
                                "part of the instrument and is ignored"]


def test_validate_prints_one_line_per_error_and_exits_1(tmp_path, ref, capsys):
    good = good_workbook(tmp_path, ref)
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()

    def two_faults(wb):
        wb["capabilities"]["D2"] = 0
        wb["gaps"]["E2"] = 2.5

    bad = edit(good_workbook(bad_dir, ref), two_faults)
    code = main(["validate", str(good), str(bad), str(tmp_path / "missing.xlsx"),
                 str(bad_dir)])
    out, err = capsys.readouterr()
    assert code == 1
    # Two arguments are named KEN-2023.xlsx, and one is missing: those lines carry the
    # path as given.
    assert out.splitlines() == [
        f"{bad}:capabilities!D2: error: found 0, expected a whole number 1-4, a "
        "maturity label or blank (leave the cell blank when not rated)",
        f"{bad}:gaps!E2: error: found 2.5, a non-integer; expected a whole number "
        "1-5, a priority label or blank",
        f"{tmp_path / 'missing.xlsx'}: error: file not found; expected an .xlsx workbook file",
        "bad: error: is a directory; expected an .xlsx workbook file",
    ]
    assert "4 workbook(s) checked: 4 error(s), 0 warning(s)" in err


def test_validate_command_never_shows_a_traceback(tmp_path):
    # The installed entry point, as a field officer runs it, on three kinds of bad input.
    csv = tmp_path / "UGA-2023.xlsx"
    csv.write_text("a,b\n1,2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mrc_pipeline.cli", "validate", str(csv),
         str(tmp_path / "nope.xlsx"), str(tmp_path)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert len(proc.stdout.splitlines()) == 3


def test_check_workbook_turns_a_reader_failure_into_an_issue(tmp_path, ref, monkeypatch):
    def broken(path):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(instrument, "read_workbook", broken)
    issues = check_workbook(good_workbook(tmp_path, ref), ref)
    assert [str(i) for i in issues] == [
        "KEN-2023.xlsx: error: the workbook could not be checked (RuntimeError: "
        "unexpected)"]


def test_template_has_capabilities_and_dropdowns(tmp_path, ref):
    path = tmp_path / "KEN-2025.xlsx"
    assert main(["template", "--country", "KEN", "--year", "2025", "-o", str(path)]) == 0
    wb = load_workbook(path)
    caps = wb["capabilities"]
    assert [caps.cell(r, 1).value for r in range(2, 22)] == list(range(1, 21))
    assert all(caps.cell(r, 4).value is None for r in range(2, 22))
    # One list validation on each rating column: maturity D; priority E, presence F;
    # realistic change G.
    expected = {"capabilities": {"D"}, "gaps": {"E", "F"}, "recommendations": {"G"}}
    for sheet, columns in expected.items():
        lists = {str(dv.sqref)[0] for dv in wb[sheet].data_validations.dataValidation
                 if dv.type == "list" and dv.formula1.startswith('"1,2,3,4')}
        assert lists == columns, sheet
    maturity = wb["capabilities"].data_validations.dataValidation[0]
    assert maturity.formula1 == '"1,2,3,4,Construction,Improvement,Integration,Maturity"'


def test_template_rejects_unknown_country_without_traceback(tmp_path, capsys):
    code = main(["template", "--country", "XYZ", "--year", "2025", "-o",
                 str(tmp_path / "x.xlsx")])
    _, err = capsys.readouterr()
    assert code == 2 and "unknown country ISO3 'XYZ'" in err
    assert not (tmp_path / "x.xlsx").exists()


def test_filled_english_template_validates(tmp_path, ref, capsys):
    path = tmp_path / "KEN-2025.xlsx"
    main(["template", "--country", "KEN", "--year", "2025", "-o", str(path)])

    def fill(wb):
        caps = wb["capabilities"]
        for r in range(2, 22):
            caps.cell(r, 4, ["Build", "enhancement", 3, "Maturity"][r % 4])
        wb["gaps"].append(["G1", "Victim Support", 9, "No shelters", "Urgent", "Wide"])
        wb["recommendations"].append(["R1", "Victim Support", None, "G1", "medium",
                                      "Fund shelters", "None"])

    edit(path, fill)
    assert main(["validate", str(path)]) == 0
    v = validate_workbook(read_workbook(path), ref)
    assert v.gaps[["priority", "presence"]].iloc[0].tolist() == [5, 4]
    assert v.recommendations["realistic_change"].tolist() == [1]


def test_filled_spanish_template_validates(tmp_path, ref, capsys):
    """Spanish labels typed loosely, numbers as text with decimal commas, blanks."""
    path = tmp_path / "ECU-2025.xlsx"
    assert main(["template", "--country", "ECU", "--year", "2025", "--lang", "es",
                 "-o", str(path)]) == 0
    capsys.readouterr()
    typed = {2: "Construcción", 3: "MEJORA", 4: " integracion\u00a0", 5: "madurez",
             6: "3 ", 7: "2,0", 8: "no aplica", 9: "N/A", 10: "-", 11: 4}

    def fill(wb):
        caps = wb["capacidades"]
        for r, value in typed.items():
            caps.cell(r, 4, value)
            caps.cell(r, 5, "cobertura del 12,5 % de las provincias")
        wb["evaluacion"]["B5"] = "Equipo de campo"
        wb["brechas"].append(["B01", "Justicia penal", 3, "Solo 2,5 fiscales por "
                              "100.000 habitantes", "urgente", "débil"])
        wb["brechas"].append(["B02", "apoyo a las víctimas", None, "Sin refugios",
                              "n/a", "Amplia"])
        wb["recomendaciones"].append(["R01", "Justicia penal", 3, "B01", "corto",
                                      "Formar fiscales", "Muy alto"])
        wb["recomendaciones"].append(["R02", None, None, "B02", "Largo",
                                      "Financiar refugios", "nula"])

    edit(path, fill)
    assert main(["validate", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert out == ""
    v = validate_workbook(read_workbook(path), ref)
    maturity = v.capability_ratings.set_index("capability_no")["maturity"]
    # Rows 2-11 hold capabilities 1-10; "no aplica", "N/A" and "-" are not rated.
    assert [None if pd.isna(m) else int(m) for m in maturity.loc[1:10]] == [
        1, 2, 3, 4, 3, 2, None, None, None, 4]
    assert maturity.loc[11:].isna().all()
    assert v.capability_ratings["evidence"].iloc[0] == "cobertura del 12,5 % de las provincias"
    assert v.gaps["description"].iloc[0] == "Solo 2,5 fiscales por 100.000 habitantes"
    assert [[None if pd.isna(x) else int(x) for x in row] for row in
            v.gaps[["priority", "presence"]].itertuples(index=False)] == [[5, 2], [None, 4]]
    assert v.gaps["sector"].tolist() == ["Criminal Justice", "Victim Support"]
    assert v.recommendations["horizon"].tolist() == ["short", "long"]
    assert v.recommendations["realistic_change"].tolist() == [5, 1]


def test_cached_formula_value_is_used(tmp_path, ref):
    # D2 holds =1+2 with the value 3 that Excel cached when it saved the file.
    path = set_cell_xml(good_workbook(tmp_path, ref), "capabilities", "D2",
                        '<c r="D2"><f>1+2</f><v>3</v></c>')
    v = validate_workbook(read_workbook(path), ref)
    assert v.issues == []
    assert v.capability_ratings.set_index("capability_no").loc[1, "maturity"] == 3


def test_parser_refuses_entities_when_the_scan_is_bypassed(tmp_path, ref, monkeypatch):
    """defusedxml, under openpyxl, refuses the entity declarations by itself."""
    monkeypatch.setattr(instrument, "package_problem", lambda path: None)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for path in (_billion_laughs(tmp_path / "a", ref), _external_entity(tmp_path / "b", ref)):
        assert [str(i) for i in read_workbook(path).issues] == [
            "KEN-2023.xlsx: error: the workbook contains XML entity declarations "
            "(EntitiesForbidden), which are refused; save the workbook again from Excel"]


def test_shipped_workbooks_validate_clean(ref):
    for path in sorted((DEFAULT_DATA_DIR / "assessments").glob("*.xlsx")):
        assert check_workbook(path, ref) == [], path.name


def test_blank_template_is_not_a_valid_assessment(tmp_path, capsys):
    # A template nobody filled in has no rating at all: validate says so instead of
    # letting an empty assessment into the aggregates.
    path = tmp_path / "KEN-2025.xlsx"
    main(["template", "--country", "KEN", "--year", "2025", "-o", str(path)])
    capsys.readouterr()
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert ("KEN-2025.xlsx:capabilities!D2:D21: error: no capability has a maturity "
            "rating; expected at least one rating 1-4 (a blank cell means not rated)") in out


def test_a_name_of_another_capability_betrays_a_shifted_row(tmp_path, ref, capsys):
    def swap(wb):
        wb["capabilities"]["B2"] = "Legislation"
        wb["capabilities"]["B3"] = "leadership "
    path = edit(good_workbook(tmp_path, ref), swap)
    assert main(["validate", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert ("KEN-2023.xlsx:capabilities!B2: error: 'Legislation' is the name of capability "
            "2, but this row is capability 1 ('Leadership'); check that the rows are not "
            "shifted") in lines
    b3 = "KEN-2023.xlsx:capabilities!B3: error: 'leadership' is the name of capability 1"
    assert any(line.startswith(b3) for line in lines)


def test_notes_column_is_an_extra_column_not_a_second_evidence(tmp_path, ref, capsys):
    path = edit(good_workbook(tmp_path, ref), lambda wb: wb["capabilities"].cell(1, 6, "notes"))
    assert main(["validate", str(path)]) == 0
    assert "column 'notes' is not part of the instrument" in capsys.readouterr().out


def test_same_file_name_in_two_folders_is_told_apart(tmp_path, ref, capsys):
    a = edit(good_workbook(tmp_path / "a", ref), lambda wb: wb["capabilities"].cell(2, 4, 0))
    b = edit(good_workbook(tmp_path / "b", ref), lambda wb: wb["capabilities"].cell(2, 4, 9))
    missing = tmp_path / "nowhere" / "KEN-2020.xlsx"
    assert main(["validate", str(a), str(b), str(missing)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{a}:capabilities!D2: error: found 0")
    assert lines[1].startswith(f"{b}:capabilities!D2: error: found 9")
    assert lines[2].startswith(f"{missing}: error:")


def test_run_refuses_an_output_folder_it_cannot_write(tmp_path, capsys):
    # A file where the output folder should be: one clear line and exit status 2,
    # before any run starts.
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    code = main(["run", "--output", str(blocker), "--dagster-home", str(tmp_path / "dg")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"mrc run: --output {blocker}: cannot write there")
    assert "Traceback" not in err
