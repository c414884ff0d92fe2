"""Figures on hand-built frames: axes, labels and plotted data, never pixels."""

import sys
import xml.etree.ElementTree as ET

import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer

from mrc_pipeline import aggregate, figures
from mrc_pipeline.figures import OKABE_ITO

POLICY = "Policy Legislation and Governance"
CJ = "Criminal Justice"
MATURITY_TICKS = ["Construction (1)", "Improvement (2)", "Integration (3)", "Maturity (4)"]


def texts(labels) -> list[str]:
    return [t.get_text() for t in labels]


def overlapping_texts(fig) -> list[tuple[str, str]]:
    """Pairs of texts the renderer actually draws whose boxes overlap (by more than
    a pixel each way)."""
    renderer = fig.canvas.get_renderer()
    drawn: dict[int, matplotlib.text.Text] = {}
    original = renderer.draw_text

    def record(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if mtext is not None and s.strip():
            drawn[id(mtext)] = mtext
        return original(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = record
    try:
        fig.draw(renderer)
    finally:
        del renderer.draw_text
    boxes = [(t.get_text(), t.get_window_extent(renderer).padded(-1))
             for t in drawn.values()]
    return [(a, b) for i, (a, box_a) in enumerate(boxes)
            for b, box_b in boxes[i + 1:] if box_a.overlaps(box_b)]


def by_country_frame() -> pd.DataFrame:
    # Three assessments in three regions; Romania rated 18 of 20 capabilities.
    return pd.DataFrame({
        "iso3": ["KEN", "COL", "ROU"], "country": ["Kenya", "Colombia", "Romania"],
        "region": ["Africa", "America", "Eurasia"],
        "assessment_id": ["KEN-2023", "COL-2023", "ROU-2024"],
        "n": [20, 20, 18], "mean": [2.15, 1.5, 2.3]})


def test_maturity_by_country_bars_are_the_sorted_means(ref):
    fig = figures.maturity_by_country_figure(by_country_frame(), ref)
    ax = fig.axes[0]
    # Highest first (the y axis is inverted, so the first bar is the top one).
    assert [p.get_width() for p in ax.patches] == [2.3, 2.15, 1.5]
    assert texts(ax.get_yticklabels()) == ["Romania", "Kenya", "Colombia"]
    assert ax.yaxis_inverted()
    assert texts(ax.get_xticklabels()) == MATURITY_TICKS
    # Value labels rounded for display only.
    assert [t.get_text() for t in ax.texts] == ["2.30", "2.15", "1.50"]
    # Regions take the Okabe-Ito colours in reference order: Africa, America, Eurasia.
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours == [OKABE_ITO[2].lower(), OKABE_ITO[0].lower(), OKABE_ITO[1].lower()]
    assert fig.get_suptitle() == "Maturity by country"
    assert "3 assessments" in ax.get_title(loc="left")
    legend = fig.legends[0]
    assert texts(legend.get_texts()) == ["Africa", "Latin America and the Caribbean",
                                         "Eurasia"]
    figures.close_figure(fig)


def test_assessment_labels_add_the_year_only_for_repeated_countries():
    info = pd.DataFrame({"country": ["Kenya", "Kenya", "Uganda"],
                         "assessment_id": ["KEN-2023", "KEN-2025", "UGA-2023"]})
    assert figures.assessment_labels(info) == ["Kenya 2023", "Kenya 2025", "Uganda"]


def gap_frame() -> pd.DataFrame:
    # Global rows for Policy (all three variables) and Criminal Justice (priority
    # only, a single rating so no SD); a regional row that the figure must ignore.
    return pd.DataFrame({
        "scope": ["global"] * 4 + ["region"],
        "region": [None] * 4 + ["Africa"],
        "variable": ["priority", "presence", "change", "priority", "priority"],
        "sector": [POLICY, POLICY, POLICY, CJ, POLICY],
        "n": [4, 4, 3, 1, 2],
        "mean": [3.0, 2.0, 4.0, 5.0, 1.0],
        "sd": [1.0, 0.5, 0.25, np.nan, 0.1]})


def test_gap_analysis_bars_and_sd_error_bars(ref):
    fig = figures.gap_analysis_figure(gap_frame(), ref)
    ax = fig.axes[0]
    priority, presence, change = [c for c in ax.containers if isinstance(c, BarContainer)]
    # One bar per sector and variable; sectors without data have no height.
    assert priority.patches[0].get_height() == 3.0
    assert priority.patches[1].get_height() == 5.0
    assert presence.patches[0].get_height() == 2.0
    assert change.patches[0].get_height() == 4.0
    assert np.isnan(presence.patches[1].get_height())
    # Error bars span mean - SD to mean + SD.
    segment = priority.errorbar.lines[2][0].get_segments()[0]
    assert [y for _, y in segment] == [2.0, 4.0]
    segment = change.errorbar.lines[2][0].get_segments()[0]
    assert [y for _, y in segment] == [3.75, 4.25]
    sectors = [t.replace("\n", " ") for t in texts(ax.get_xticklabels())]
    assert sectors == ref.sector_order
    assert texts(fig.legends[0].get_texts()) == ["Priority (1-5)", "Presence (1-4)",
                                                 "Realistic change (1-5)"]
    # 4 + 1 rated gaps for priority, 3 recommendations for change.
    assert "5 rated gaps" in ax.get_title(loc="left")
    assert "3 rated recommendations" in ax.get_title(loc="left")
    figures.close_figure(fig)


def summary_frame() -> pd.DataFrame:
    # Two regions, two variables: an overall row and two sector rows each.
    rows = []
    for region, base in (("Africa", 2.0), ("Eurasia", 3.0)):
        for variable, shift in (("maturity", 0.0), ("change", 1.0)):
            rows.append((region, variable, "overall", None, 4, base + shift + 0.1))
            rows.append((region, variable, "sector", POLICY, 2, base + shift))
            rows.append((region, variable, "sector", CJ, 2, base + shift + 0.2))
    frame = pd.DataFrame(rows, columns=["region", "variable", "scope", "sector", "n",
                                        "mean"])
    return frame.assign(sd=0.1, is_highest=False, is_lowest=False)


def test_regional_figure_plots_sector_means_per_region(ref):
    fig = figures.regional_figure(summary_frame(), ref, ("maturity", "change"))
    maturity, change = fig.axes[:2]
    assert maturity.get_title() == "Maturity (1-4)"
    assert change.get_title() == "Realistic change (1-5)"
    # Bars are drawn sector by sector, each with one bar per region present.
    heights = [p.get_height() for p in maturity.patches[:4]]
    assert heights == [2.0, 3.0, 2.2, 3.2]
    assert [p.get_height() for p in change.patches[:2]] == [3.0, 4.0]
    # The dashed line of each region sits at its overall mean.
    lines = maturity.collections[0].get_segments()
    assert [seg[0][1] for seg in lines] == pytest.approx([2.1, 3.1])
    assert texts(maturity.get_xticklabels()) == ["Africa", "Eurasia"]
    assert texts(maturity.get_yticklabels()) == MATURITY_TICKS
    assert texts(change.get_yticklabels())[-1] == "Very High (5)"
    figures.close_figure(fig)


def test_capability_heatmap_holds_every_rating(ref):
    # Kenya rates capabilities 1 and 2 and leaves 3 blank; Romania rates 1-3; no
    # capability 4-20 row exists at all, so those cells show as not rated too.
    ratings = pd.DataFrame({
        "assessment_id": ["ROU-2024"] * 3 + ["KEN-2023"] * 3,
        "capability_no": [1, 2, 3, 1, 2, 3],
        "maturity": pd.array([1, 4, 2, 2, 3, pd.NA], dtype="Int64")})
    info = pd.DataFrame({"assessment_id": ["ROU-2024", "KEN-2023"],
                         "country": ["Romania", "Kenya"], "region": ["Eurasia", "Africa"]})
    fig = figures.capability_heatmap(ratings, info, ref)
    ax = fig.axes[0]
    grid = ax.images[0].get_array()
    assert grid.shape == (20, 2)
    # Columns grouped by region in reference order: Africa (Kenya) before Eurasia.
    assert texts(ax.get_xticklabels()) == ["Kenya", "Romania"]
    assert grid[0, 0] == 2 and grid[1, 0] == 3 and grid[0, 1] == 1 and grid[1, 1] == 4
    assert grid.mask[2, 0] and not grid.mask[2, 1] and grid.mask[19].all()
    annotations = texts(ax.texts)
    assert annotations[:6] == ["2", "1", "3", "4", "\u2013", "2"]
    assert annotations.count("\u2013") == 20 * 2 - 5
    assert texts(ax.get_yticklabels())[0] == "1 Leadership"
    top, right = ax.child_axes[1], ax.child_axes[0]
    assert texts(right.get_yticklabels())[1] == "Criminal Justice"
    assert texts(top.get_xticklabels()) == ["Africa", "Eurasia"]
    figures.close_figure(fig)


def test_region_sector_heatmap_cells_are_the_means(ref):
    fig = figures.region_sector_heatmap(summary_frame(), ref)
    maturity, change = fig.axes[:2]
    grid = maturity.images[0].get_array()
    # Rows follow the sector order, columns the regions present.
    assert grid[0].tolist() == [2.0, 3.0] and grid[1].tolist() == [2.2, 3.2]
    assert grid.mask[2:].all()
    assert texts(maturity.texts)[:4] == ["2.00", "3.00", "2.20", "3.20"]
    assert texts(maturity.get_xticklabels()) == ["Africa", "Eurasia"]
    assert maturity.images[0].norm.vmin == 1 and maturity.images[0].norm.vmax == 4
    assert change.images[0].norm.vmax == 5
    assert change.get_title() == "Realistic change (1-5)"
    figures.close_figure(fig)


def scatter_cells() -> pd.DataFrame:
    # Four country x sector cells with both means; E has no presence, so it is no pair.
    rows = [("A-2023", 2, 1), ("B-2023", 3, 2), ("C-2023", 2, 2), ("D-2023", 4, 4),
            ("E-2023", 2, None)]
    out = []
    for aid, maturity, presence in rows:
        region = "Africa" if aid < "C" else "Eurasia"
        out.append((aid, POLICY, "maturity", 1, maturity, region))
        out.append((aid, POLICY, "presence", 1, presence, region))
    return pd.DataFrame(out, columns=["assessment_id", "sector", "variable", "n", "mean",
                                      "region"]).astype({"mean": float})


def points(fig) -> np.ndarray:
    ax = fig.axes[0]
    return np.vstack([c.get_offsets() for c in ax.collections if len(c.get_offsets())])


def test_scatter_points_are_the_correlated_cells_jittered(ref):
    cells = scatter_cells()
    corr = aggregate.correlations(cells)
    fig = figures.correlation_scatter(cells, corr, ref, "maturity", "presence", seed=1,
                                      jitter=0.1)
    drawn = points(fig)
    # Same cells as the correlation (n = 4), each within the jitter of its data point.
    data = np.array([[2, 1], [3, 2], [2, 2], [4, 4]], dtype=float)
    assert len(drawn) == 4 == int(corr.iloc[0]["n"])
    for point in data:
        assert (np.abs(drawn - point) <= 0.1).all(axis=1).sum() >= 1
    assert not np.allclose(np.sort(drawn, axis=0), np.sort(data, axis=0))
    # r by hand: sum dxdy 3.25 / sqrt(2.75 * 4.75) = 0.8992
    assert fig.get_suptitle().startswith("Maturity vs presence: r = 0.90, n = 4, p = ")
    ax = fig.axes[0]
    assert texts(ax.get_xticklabels()) == MATURITY_TICKS
    assert texts(ax.get_yticklabels()) == ["Absent (1)", "Weak (2)", "Regular (3)",
                                           "Wide (4)"]
    assert "country x sector cell" in ax.get_title(loc="left")
    again = figures.correlation_scatter(cells, corr, ref, "maturity", "presence", seed=1,
                                        jitter=0.1)
    assert np.array_equal(points(again), drawn)  # the seed fixes the jitter
    figures.close_figure(fig)
    figures.close_figure(again)


def test_scatter_without_a_correlation_says_why(ref):
    cells = scatter_cells()
    cells = cells[cells["assessment_id"].isin(["A-2023", "B-2023"])]
    corr = aggregate.correlations(cells)
    fig = figures.correlation_scatter(cells, corr, ref, "maturity", "presence")
    assert "r not computed (only 2 complete pairs" in fig.get_suptitle()
    assert len(points(fig)) == 2
    figures.close_figure(fig)


def test_save_figure_writes_png_and_svg_and_closes(tmp_path, ref):
    fig = figures.maturity_by_country_figure(by_country_frame(), ref)
    first = figures.figure_bytes(fig, "svg")
    paths = figures.save_figure(fig, tmp_path / "figures", "country")
    assert set(paths) == {"png", "svg"}
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ET.parse(paths["svg"]).getroot().tag.endswith("svg")
    # Closed: no artists left, nothing registered with pyplot, no temporary files.
    assert fig.axes == [] and fig.legends == []
    pyplot = sys.modules.get("matplotlib.pyplot")
    assert pyplot is None or pyplot.get_fignums() == []
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "country.png", "country.svg"]
    # No timestamp in the SVG: the same figure gives the same bytes.
    assert paths["svg"].read_bytes() == first


def test_save_figure_closes_even_when_writing_fails(tmp_path, ref):
    fig = figures.maturity_by_country_figure(by_country_frame(), ref)
    blocker = tmp_path / "figures"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OSError):
        figures.save_figure(fig, blocker, "country")
    assert fig.axes == []


def test_no_label_overlaps_on_the_shipped_data(shipped, ref):
    # Every figure drawn from the shipped assessments: no two texts overlap.
    tables = {"capability_ratings": shipped["capability_ratings"], "gaps": shipped["gaps"],
              "recommendations": shipped["recommendations"]}
    info = shipped["info"]
    cells = aggregate.country_sector_means(tables, info)
    summary = aggregate.regional_summary(cells, ref)
    drawn = {
        "country": figures.maturity_by_country_figure(
            aggregate.maturity_by_country(shipped["capability_ratings"], info, ref), ref),
        "gaps": figures.gap_analysis_figure(
            aggregate.gap_ratings_by_sector(tables, cells, ref), ref),
        "regional": figures.regional_figure(summary, ref, ("maturity", "change")),
        "regional2": figures.regional_figure(summary, ref, ("priority", "presence")),
        "heatmap": figures.capability_heatmap(shipped["capability_ratings"], info, ref),
        "heatmap2": figures.region_sector_heatmap(summary, ref),
        "scatter": figures.correlation_scatter(cells, aggregate.correlations(cells), ref),
    }
    for name, fig in drawn.items():
        assert overlapping_texts(fig) == [], name
        figures.close_figure(fig)


def test_many_assessments_keep_every_bar_and_cell_but_drop_labels(ref):
    # 61 assessments (one over MAX_LABELLED): every value is still drawn, names and
    # values are left to the tables, and the figure stops growing.
    n = figures.MAX_LABELLED + 1
    ids = [f"A{i:02d}-2024" for i in range(n)]
    by_country = pd.DataFrame({"iso3": [i[:3] for i in ids], "country": ids,
                               "region": ["Africa"] * n, "assessment_id": ids,
                               "mean": np.linspace(1.0, 4.0, n)})
    fig = figures.maturity_by_country_figure(by_country, ref)
    ax = fig.axes[0]
    assert len(ax.patches) == n and len(ax.texts) == 0 and list(ax.get_yticks()) == []
    assert "names and values omitted above 60" in ax.get_title(loc="left")
    small = figures.maturity_by_country_figure(by_country.head(figures.MAX_LABELLED), ref)
    assert fig.get_figheight() == small.get_figheight()
    figures.close_figure(fig)
    figures.close_figure(small)
    ratings = pd.DataFrame({"assessment_id": ids, "capability_no": 1,
                            "maturity": pd.array([2] * n, dtype="Int64")})
    heat = figures.capability_heatmap(ratings, by_country, ref)
    ax = heat.axes[0]
    grid = ax.images[0].get_array()
    assert grid.shape == (20, n) and (grid[0] == 2).all()
    assert len(ax.texts) == 0 and list(ax.get_xticks()) == []
    figures.close_figure(heat)
