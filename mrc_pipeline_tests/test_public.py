"""Disclosure control: suppression rules on hand-built frames, the scan on planted
disclosures, and the public set of the shipped data."""

import io
import shutil
import zipfile

import pandas as pd
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from mrc_pipeline import aggregate, public
from mrc_pipeline import priorities as P
from mrc_pipeline.public import DisclosureRules, DisclosureTerms, Suppressor
from mrc_pipeline.store import write_xlsx_export

PLG = "Policy Legislation and Governance"
CJ = "Criminal Justice"

# Three countries: two in Africa, one alone in Eurasia.
INFO = pd.DataFrame({"assessment_id": ["KEN-2023", "UGA-2023", "MDA-2023"],
                     "iso3": ["KEN", "UGA", "MDA"],
                     "country": ["Kenya", "Uganda", "Moldova"],
                     "region": ["Africa", "Africa", "Eurasia"]})


def ratings():
    # Capability 1 rated by all three, capability 2 only by Moldova (the others blank):
    # capability 2 must go (1 country), and with it the Policy sector's pooled row,
    # from which capability 2 = sector minus capability 1 would follow.
    # Criminal Justice (3) is rated by all three.
    return aggregate.with_country(pd.DataFrame({
        "assessment_id": ["KEN-2023", "UGA-2023", "MDA-2023"] * 3,
        "capability_no": [1, 1, 1, 2, 2, 2, 3, 3, 3],
        "sector": [PLG] * 6 + [CJ] * 3,
        "maturity": pd.array([2, 3, 2, None, None, 4, 1, 2, 2], dtype="Int64"),
    }), INFO)


def test_small_capability_and_the_total_revealing_it_are_suppressed(ref):
    s = Suppressor(2)
    cap, sec = public.maturity_tables(ratings(), ref, s)
    assert 2 not in set(cap.capability_no) and 1 in set(cap.capability_no)
    assert PLG not in set(sec.sector) and CJ in set(sec.sector)
    reasons = dict(zip(s.frame()["group"], s.frame()["reason"]))
    assert reasons["capability_no=2, capability=Legislation"] == "fewer than 2 countries"
    assert reasons[f"sector={PLG}"].startswith("would reveal")
    # Capabilities 4-20 have no ratings at all (0 countries) and are suppressed too.
    assert set(cap.capability_no) == {1, 3}
    assert (cap.n_countries >= 2).all() and (sec.n_countries >= 2).all()


def test_suppressed_parts_from_k_countries_leave_the_total(ref):
    # Now Uganda rates capability 2 as well: its two raters make it publishable, and
    # nothing is hidden in the Policy total.
    frame = ratings()
    frame.loc[(frame.capability_no == 2) & (frame.iso3 == "UGA"), "maturity"] = 3
    s = Suppressor(2)
    cap, sec = public.maturity_tables(frame, ref, s)
    assert {1, 2, 3} <= set(cap.capability_no) and PLG in set(sec.sector)
    # With k = 3 capability 2 (2 countries) goes, and so does the Policy total.
    cap3, sec3 = public.maturity_tables(frame, ref, Suppressor(3))
    assert 2 not in set(cap3.capability_no) and PLG not in set(sec3.sector)


def cells():
    # Country-sector maturity means. Eurasia has a single country: every Eurasia row
    # goes. In Africa, Uganda leaves Criminal Justice blank: that sector row has one
    # country and goes, and so does Africa's overall row (overall minus Policy would
    # give Kenya's Criminal Justice mean).
    return pd.DataFrame({
        "assessment_id": ["KEN-2023", "UGA-2023", "KEN-2023", "UGA-2023", "MDA-2023",
                          "MDA-2023"],
        "iso3": ["KEN", "UGA", "KEN", "UGA", "MDA", "MDA"],
        "country": ["Kenya", "Uganda", "Kenya", "Uganda", "Moldova", "Moldova"],
        "region": ["Africa", "Africa", "Africa", "Africa", "Eurasia", "Eurasia"],
        "sector": [PLG, PLG, CJ, CJ, PLG, CJ], "variable": ["maturity"] * 6,
        "n": [2, 2, 4, 0, 2, 4], "mean": [2.0, 3.0, 1.5, None, 2.5, 2.0]})


def test_region_rows_primary_and_secondary(ref):
    s = Suppressor(2)
    out = public.regional_table(cells(), ref, s)
    assert set(out.region) == {"Africa"}
    assert out[["scope", "sector"]].values.tolist() == [["sector", PLG]]
    notes = s.frame()
    assert (notes["group"] == "region=Africa, variable=maturity, scope=overall").any()
    # The only published Africa sector is both highest and lowest of what is shown.
    assert bool(out.iloc[0]["is_highest"]) and bool(out.iloc[0]["is_lowest"])
    # No note names a country.
    terms = DisclosureTerms.from_data(ref, INFO["assessment_id"].tolist())
    assert not any(terms.find(" ".join(notes.astype(str).values.ravel())))


def test_quadrant_totals_and_regions(ref):
    # Africa: Kenya and Uganda each have an "advocate" gap (2 countries: published);
    # Kenya alone has a "monitor" gap (suppressed). Eurasia: Moldova alone, both of
    # its cells suppressed.
    # All regions, "advocate": 3 countries, but minus Africa's published cell it gives
    # Moldova's count (suppressed parts cover 1 country): suppressed too.
    # All regions, "monitor": the suppressed parts cover Kenya and Moldova, 2
    # countries, so the total is an aggregate over 2 countries and stays.
    gp = pd.DataFrame({
        "iso3": ["KEN", "UGA", "KEN", "MDA", "MDA"],
        "region": ["Africa", "Africa", "Africa", "Eurasia", "Eurasia"],
        "gap_id": ["G1", "G1", "G2", "G1", "G2"],
        "quadrant": [P.ADVOCATE, P.ADVOCATE, P.MONITOR, P.ADVOCATE, P.MONITOR],
        "rule": ["r"] * 5})
    s = Suppressor(2)
    out = public.quadrant_table(gp, s)
    assert out[["scope", "region", "quadrant", "n_gaps", "n_countries"]].values.tolist() == [
        ["global", None, P.MONITOR, 2, 2], ["region", "Africa", P.ADVOCATE, 2, 2]]
    reasons = dict(zip(s.frame()["group"], s.frame()["reason"]))
    assert reasons[f"scope=global, quadrant={P.ADVOCATE}"].startswith("would reveal")
    assert reasons[f"scope=region, region=Eurasia, quadrant={P.MONITOR}"] == (
        "fewer than 2 countries")
    assert len(reasons) == 4


def test_k_below_two_is_refused():
    with pytest.raises(ValueError, match="at least 2"):
        DisclosureRules(1).check()


def test_terms_match_whole_tokens_and_names(ref):
    terms = DisclosureTerms.from_data(ref, ["XYZ-2024"])
    # Codes: whole upper-case tokens only.
    assert terms.find("COL-2023") == [("ISO3 code", "COL")]
    assert terms.find("COLOUR col Colspan TKEN KENT") == []
    assert terms.find("file XYZ_2024.csv") == [("ISO3 code", "XYZ")]
    # Names: any case, across line breaks, and as the start of a word.
    assert terms.find("trinidad and\n tobago") == [("country name", "trinidad and\n tobago")]
    assert terms.find("Kenyan policy") == [("country name", "Kenya")]
    assert terms.find("Rumania") == [("country name", "Rumania")]
    assert terms.find("Matplotlib version3.11.2, https://matplotlib.org") == []


def png_with(**chunks) -> bytes:
    info = PngInfo()
    for key, (kind, text) in chunks.items():
        if kind == "tEXt":
            info.add_text(key, text)
        elif kind == "zTXt":
            info.add_text(key, text, zip=True)
        else:
            info.add_itxt(key, text, zip=True)
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def test_png_text_chunks_of_every_kind():
    data = png_with(A=("tEXt", "plain"), B=("zTXt", "packed"), C=("iTXt", "Uganda"))
    chunks = dict(public.png_text(data))
    assert chunks["A"] == "plain" and chunks["B"] == "packed"
    assert "Uganda" in chunks["C"]


def test_shipped_public_set_passes_the_scan(pipeline_run, ref, shipped):
    summary, output = pipeline_run
    folder = output / "public"
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    for name in public.PUBLIC_TABLES:
        assert f"exports/{name}.csv" in files
    assert {"exports/coverage.xlsx", "exports/suppression_notes.csv",
            "figures/sector_priorities.png", "figures/sector_priorities.svg",
            "figures/gap_quadrants.png", "figures/gap_quadrants.svg",
            "report.html", "README.txt"} <= files
    terms = DisclosureTerms.from_data(ref, shipped["info"]["assessment_id"].tolist())
    assert public.scan_public(folder, terms, 2) == []
    # The run's own blocking check ran and passed.
    checks = {c.check: c.passed for c in summary.checks if c.partition is None}
    assert checks["no_disclosure"] is True
    # The figures' SVG keeps its text: the scan reads the labels themselves.
    assert "<text" in (folder / "figures/gap_quadrants.svg").read_text()


def test_public_report_is_built_from_aggregates(pipeline_run):
    _, output = pipeline_run
    page = (output / "public" / "report.html").read_text(encoding="utf-8")
    for section in ("About this edition", "Global analysis", "Regional analysis",
                    "Correlations", "Prioritisation"):
        assert f"<h2>{section}</h2>" in page
    # Every public figure inlined, nothing loaded from elsewhere; no internal section.
    figures = list((output / "public" / "figures").glob("*.png"))
    assert page.count('<img src="data:image/png;base64,') == len(figures) == 6
    assert "Top gaps per assessment" not in page and "Data quality" not in page
    assert "The analysis covers 11 countries (11 assessments)" in page


def test_shipped_public_set_at_k_2(pipeline_run):
    _, output = pipeline_run
    exports = output / "public" / "exports"
    cov = pd.read_csv(exports / "coverage.csv")
    # 11 countries in all: 2 in Africa, 6 in the Americas, 3 in Eurasia.
    assert cov["n_countries"].tolist() == [11, 2, 6, 3]
    notes = pd.read_csv(exports / "suppression_notes.csv")
    # Only quadrant cells of one country are suppressed at k = 2 on the shipped data.
    assert set(notes["table"]) == {"gap_quadrants"}
    for name in public.PUBLIC_TABLES:
        frame = pd.read_csv(exports / f"{name}.csv")
        assert (frame["n_countries"] >= 2).all(), name
        assert not {"iso3", "country", "assessment_id", "description",
                    "gap_id"} & set(frame.columns), name


PLANTS = {
    "csv cell": lambda d: _edit_csv(d / "exports/maturity_by_sector.csv", "sector",
                                    "Kenya"),
    "csv small group": lambda d: _edit_csv(d / "exports/correlations.csv",
                                           "n_countries", 1),
    "xlsx cell": lambda d: _edit_xlsx(d / "exports/coverage.xlsx"),
    "svg text": lambda d: _replace(d / "figures/gap_quadrants.svg", "Eurasia",
                                   "Eurasia (ROU)"),
    "png metadata": lambda d: (d / "figures/gap_quadrants.png").write_bytes(
        png_with(Comment=("iTXt", "drawn for El Salvador"))),
    "html text": lambda d: (d / "report.html").write_text(
        "<html><body><p>Lowest in Honduras</p></body></html>"),
    "html inlined png": lambda d: (d / "report.html").write_text(
        '<img src="data:image/png;base64,' + __import__("base64").b64encode(
            png_with(Title=("tEXt", "Guatemala"))).decode() + '">'),
    "html table": lambda d: (d / "report.html").write_text(
        "<table><tr><th>region</th><th>n_countries</th></tr>"
        "<tr><td>Eurasia</td><td>1</td></tr></table>"),
    "file name": lambda d: (d / "figures/IDN.png").write_bytes(png_with()),
    "report table count": lambda d: _replace(d / "report.html", '<td class="num">11</td>',
                                             '<td class="num">1</td>'),
}


def _edit_csv(path, column, value):
    frame = pd.read_csv(path)
    frame.loc[0, column] = value
    frame.to_csv(path, index=False)


def _edit_xlsx(path):
    frame = pd.read_excel(path)
    frame.loc[0, "region"] = "Indonesia"
    write_xlsx_export(path, frame, "coverage")


def _replace(path, old, new):
    path.write_text(path.read_text().replace(old, new, 1))


@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_scan_fails_on_a_planted_disclosure(plant, pipeline_run, ref, shipped, tmp_path):
    _, output = pipeline_run
    folder = tmp_path / "public"
    shutil.copytree(output / "public", folder)
    PLANTS[plant](folder)
    terms = DisclosureTerms.from_data(ref, shipped["info"]["assessment_id"].tolist())
    findings = public.scan_public(folder, terms, 2)
    # Exactly the planted item is found (the rest of the set stays clean).
    assert len(findings) >= 1, plant
    expected = {"csv cell": "Kenya", "csv small group": "fewer than 2",
                "xlsx cell": "Indonesia", "svg text": "ROU",
                "png metadata": "El Salvador", "html text": "Honduras",
                "html inlined png": "Guatemala", "html table": "fewer than 2",
                "file name": "IDN", "report table count": "fewer than 2"}[plant]
    assert all(expected in f.detail for f in findings), [str(f) for f in findings]


def test_xlsx_parts_are_scanned_not_only_cells(ref, tmp_path):
    # A country in the workbook's document properties (not a cell) is found too.
    write_xlsx_export(tmp_path / "made.xlsx", pd.DataFrame({"n_countries": [3]}), "t")
    src = zipfile.ZipFile(tmp_path / "made.xlsx")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.namelist():
            body = src.read(item)
            if item == "docProps/core.xml":
                body = body.replace(b"openpyxl", b"Ecuador office")
            dst.writestr(item, body)
    (tmp_path / "made.xlsx").unlink()
    (tmp_path / "t.xlsx").write_bytes(out.getvalue())
    findings = public.scan_public(tmp_path, DisclosureTerms.from_data(ref), 2)
    assert [f.detail for f in findings] == ["Ecuador"]  # the creator property


def test_public_mode_leaves_internal_outputs_alone(pipeline_run, shipped, ref, tmp_path):
    """The public asset, run on a copy of a whole output folder, adds public/ and
    changes no other file; no other asset reads the public switch."""
    from dagster import build_asset_context

    from mrc_pipeline.defs.public_assets import PublicConfig, public_release
    from mrc_pipeline.defs.resources import MrcPaths

    _, output = pipeline_run
    copy = tmp_path / "output"
    shutil.copytree(output, copy, ignore=shutil.ignore_patterns("public"))

    def files():
        return {p.relative_to(copy).as_posix(): p.read_bytes()
                for p in copy.rglob("*") if p.is_file()}

    before = files()
    tables = {k: shipped[k] for k in ("capability_ratings", "gaps", "recommendations")}
    cells = aggregate.country_sector_means(tables, shipped["info"])
    gp = P.gap_priorities(shipped["gaps"], shipped["recommendations"], shipped["info"], ref)
    results = list(public_release(
        build_asset_context(), config=PublicConfig(enabled=True, k=3),
        paths=MrcPaths(data_dir=str(ref.data_dir), output_dir=str(copy)),
        assessment_info=shipped["info"], country_sector_means=cells, gap_priorities=gp,
        **tables))
    assert len(results) == 1 and results[0].value.k == 3
    after = files()
    assert {k: v for k, v in after.items() if not k.startswith("public/")} == before
    assert "public/exports/coverage.csv" in after
    # Switched off, the asset writes nothing and yields no output.
    shutil.rmtree(copy / "public")
    assert list(public_release(
        build_asset_context(), config=PublicConfig(),
        paths=MrcPaths(data_dir=str(ref.data_dir), output_dir=str(copy)),
        assessment_info=shipped["info"], country_sector_means=cells, gap_priorities=gp,
        **tables)) == []
    assert files() == before
