"""The Dagster level of figures and report: ``mrc run`` writes them, the UI shows them."""

import html as html_lib
import re

from dagster import AssetKey, DagsterInstance

from mrc_pipeline import report
from mrc_pipeline.definitions import build_definitions
from mrc_pipeline.defs.report_assets import FIGURE_ASSETS, graph_check_keys
from mrc_pipeline.reference import Reference
from mrc_pipeline_tests.conftest import exported


def test_figures_and_report_are_in_the_aggregate_job(tmp_path):
    defs = build_definitions(output_dir=str(tmp_path))
    job = defs.resolve_job_def("aggregate_job")
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert len(FIGURE_ASSETS) >= 6
    assert set(FIGURE_ASSETS) | {"report_html"} <= selected


def test_main_job_writes_every_figure_as_png_and_svg(pipeline_run):
    _, output = pipeline_run
    names = [name.removeprefix("figure_") for name in FIGURE_ASSETS]
    for name in names:
        png, svg = output / "figures" / f"{name}.png", output / "figures" / f"{name}.svg"
        assert png.read_bytes()[:4] == b"\x89PNG", name
        assert b"<svg" in svg.read_bytes()[:2000], name
    assert len(list((output / "figures").iterdir())) == 2 * len(names)


def test_report_is_self_contained_with_figures_inlined(pipeline_run):
    summary, output = pipeline_run
    page = (output / "report.html").read_text(encoding="utf-8")
    # Every figure inlined once; nothing else is loaded from anywhere.
    assert page.count('<img src="data:image/png;base64,') == len(FIGURE_ASSETS)
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith(("data:", "#")) for s in sources)
    assert not re.search(r"<(script|link|iframe|object|embed)\b", page)
    assert "url(" not in page and "@import" not in page
    for section in ("Methodology", "Global analysis", "Regional analysis", "Correlations",
                    "Published versus computed", "Uncertainty", "Data quality",
                    "Published figures: reproduced, differing, infeasible"):
        assert f"<h2>{section}</h2>" in page
    # The summary of mrc run points at both.
    rendered = summary.render()
    assert f"figures: {output / 'figures'}" in rendered
    assert f"report:  {output / 'report.html'}" in rendered


def test_report_sentences_come_from_the_exported_tables(pipeline_run):
    _, output = pipeline_run
    page = (output / "report.html").read_text(encoding="utf-8")
    ref = Reference()
    by_country = exported(output, "maturity_by_country")
    for sentence in report.country_ranking_sentences(by_country, ref):
        assert html_lib.escape(sentence) in page
    corr = exported(output, "correlations")
    for _, row in corr.iterrows():
        assert html_lib.escape(report.correlation_sentence(row)) in page
    # The 5 checks of each of the 11 shipped workbooks all passed; the report counts
    # every check of the graph, each per assessment where it is per assessment.
    per_assessment = 55
    others = len(graph_check_keys()) - 5
    found = re.search(r"Latest outcome of each check when this report was written: "
                      r"(\d+) evaluated, (\d+) passed, (\d+) failed, (\d+) raised", page)
    evaluated, passed, failed, warned = map(int, found.groups())
    assert evaluated == per_assessment + others
    assert passed + failed + warned == evaluated and failed == 0
    assert "raw_workbook workbook_valid on" not in page
    # The audit section states the verdict counts of the exported audit.
    audit = exported(output, "published_audit")
    counts = audit["verdict"].value_counts()
    assert (f"Of the {len(audit)} figures the June 2024 report publishes, "
            f"{counts['reproduced']} are reproduced") in page


def test_figure_metadata_shows_the_figure_in_the_ui(pipeline_run):
    _, output = pipeline_run
    instance = DagsterInstance.from_config(str(output.parent / "dagster"))
    event = instance.get_latest_materialization_event(AssetKey("figure_gap_analysis"))
    metadata = event.asset_materialization.metadata
    assert metadata["figure"].value.startswith("![gap_analysis](data:image/png;base64,")
    assert metadata["png_path"].value == str(output / "figures" / "gap_analysis.png")
    report_event = instance.get_latest_materialization_event(AssetKey("report_html"))
    assert report_event.asset_materialization.metadata["figures_inlined"].value == len(
        FIGURE_ASSETS)
