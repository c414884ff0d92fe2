"""Figures of the comparative analysis, drawn from the output tables.

Every drawing function takes DataFrames (and the reference data) and returns a
matplotlib ``Figure`` made without pyplot and attached to the Agg canvas, so no global
figure registry keeps it alive. ``save_figure`` writes a figure as PNG and SVG, each
atomically, and then closes it. Colours come from the Okabe-Ito palette (readable
with the common colour-vision deficiencies); heat maps use ``cividis``.

Plotted values are the tables' full-precision values; rounding happens only in the
printed labels (2 decimals, half up).
"""

from __future__ import annotations

import io
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from mrc_pipeline.display import fmt, format_p
from mrc_pipeline.reference import VARIABLE_NAMES, Reference
from mrc_pipeline.store import atomic_write_bytes

#: Okabe-Ito colours in the order categories take them (yellow last: weak on white).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9",
             "#F0E442", "#000000")
VARIABLE_COLOURS = {"maturity": "#0072B2", "priority": "#D55E00", "presence": "#56B4E9",
                    "change": "#009E73"}
HEATMAP_CMAP = "cividis"
MISSING_COLOUR = "#DDDDDD"
DPI = 150
FORMATS = ("png", "svg")
#: Half-width of the uniform jitter added to scatter points (in scale units).
JITTER = 0.1
#: Above this many assessments, per-assessment figures keep every bar or cell but
#: drop names and values (unreadable, and slow to draw: a minute at 1000) and stop
#: growing; the tables hold the numbers.
MAX_LABELLED = 60


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(str(text), width=width, break_long_words=False)


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _titles(fig: Figure, what: str, grain: str) -> None:
    """Bold title saying what is shown; a smaller line below it saying at what grain."""
    fig.suptitle(what, fontsize=12, fontweight="bold")
    fig.axes[0].set_title(grain, fontsize=9, loc="left", color="#333333")


def _panels(width: float, height: float, what: str, grain: str, ncols: int,
            **kwargs) -> tuple[Figure, np.ndarray]:
    """A figure of ``ncols`` panels under a bold title (what) and a line (grain)."""
    fig = _new_figure(width, height)
    fig.suptitle(what, fontsize=12, fontweight="bold")
    sub = fig.subfigures(1, 1)
    sub.suptitle(grain, fontsize=9, color="#333333")
    return fig, sub.subplots(1, ncols, squeeze=False, **kwargs)[0]


def _colours(categories: Sequence[str]) -> dict[str, str]:
    return {c: OKABE_ITO[i % len(OKABE_ITO)] for i, c in enumerate(categories)}


def region_colours(ref: Reference) -> dict[str, str]:
    return _colours(ref.regions["region"].tolist())


def sector_colours(ref: Reference) -> dict[str, str]:
    return _colours(ref.sector_order)


def level_labels(ref: Reference, scale: str) -> dict[int, str]:
    """``{1: "Construction (1)", ...}``: the scale's level names with their number."""
    return {level: f"{name} ({level})" for level, name in ref.level_names(scale).items()}


def _level_axis(axis, ref: Reference, scale: str) -> None:
    labels = level_labels(ref, scale)
    axis.set_ticks(list(labels), list(labels.values()))


def _scale_label(ref: Reference, variable: str) -> str:
    lo, hi = ref.scale_bounds(variable)
    return f"{VARIABLE_NAMES[variable]} ({lo}-{hi})"


def _text_colour(rgba) -> str:
    r, g, b = to_rgb(rgba)
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"


def _region_name(ref: Reference) -> dict[str, str]:
    return dict(zip(ref.regions["region"], ref.regions["region_name"]))


def assessment_labels(info: pd.DataFrame) -> list[str]:
    """Country names, with the year added where a country has several assessments."""
    repeated = info["country"].duplicated(keep=False)
    return [f"{c} {y}" if rep else str(c)
            for c, y, rep in zip(info["country"], info["assessment_id"].str[-4:], repeated)]


def maturity_by_country_figure(by_country: pd.DataFrame, ref: Reference) -> Figure:
    """Figure 1: one horizontal bar per assessment at its mean maturity, highest first,
    coloured by region; the value axis carries the maturity level names."""
    data = by_country.dropna(subset=["mean"]).sort_values(
        ["mean", "country"], ascending=[False, True], kind="stable")
    colours = region_colours(ref)
    labelled = len(data) <= MAX_LABELLED
    fig = _new_figure(8.5, 2.2 + 0.38 * max(min(len(data), MAX_LABELLED), 1))
    ax = fig.add_subplot()
    y = np.arange(len(data))
    bars = ax.barh(y, data["mean"], height=0.65 if labelled else 1.0,
                   color=[colours.get(r, OKABE_ITO[-1]) for r in data["region"]])
    if labelled:
        ax.bar_label(bars, labels=[fmt(v) for v in data["mean"]], padding=3, fontsize=8)
        ax.set_yticks(y, assessment_labels(data))
    else:
        ax.set_yticks([])
    ax.invert_yaxis()
    _, hi = ref.scale_bounds("maturity")
    ax.set_xlim(0, hi + 0.25)
    _level_axis(ax.xaxis, ref, "maturity")
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#CCCCCC", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel("Mean maturity (scale 1-4, blanks excluded)")
    ax.spines[["top", "right"]].set_visible(False)
    names = _region_name(ref)
    present = [r for r in ref.regions["region"] if r in set(data["region"])]
    fig.legend([Patch(color=colours[r]) for r in present], [names[r] for r in present],
               loc="outside lower center", ncols=max(len(present), 1), frameon=False,
               fontsize=8)
    _titles(fig, "Maturity by country",
            f"Mean of each assessment's capability ratings; {len(data)} assessments, "
            "sorted" + ("" if labelled else f"; names and values omitted above "
                        f"{MAX_LABELLED}"))
    return fig


GAP_VARIABLES = ("priority", "presence", "change")


def gap_analysis_figure(gap_ratings: pd.DataFrame, ref: Reference) -> Figure:
    """Figure 2: per sector, mean priority, presence and realistic change over all
    countries' gaps (recommendations for change), with +/- 1 SD error bars."""
    glob = gap_ratings[gap_ratings["scope"] == "global"]
    sectors = ref.sector_order
    fig = _new_figure(10, 5.4)
    ax = fig.add_subplot()
    width = 0.26
    top = 5.0
    for i, variable in enumerate(GAP_VARIABLES):
        sub = glob[glob["variable"] == variable].set_index("sector").reindex(sectors)
        x = np.arange(len(sectors)) + (i - 1) * width
        ax.bar(x, sub["mean"], width, yerr=sub["sd"], capsize=3,
               color=VARIABLE_COLOURS[variable], label=_scale_label(ref, variable),
               error_kw={"elinewidth": 0.9, "ecolor": "#333333"})
        top = max(top, float(np.nanmax((sub["mean"] + sub["sd"].fillna(0)).to_numpy(
            dtype=float), initial=0)))
    ax.set_xticks(np.arange(len(sectors)), [_wrap(s, 16) for s in sectors], fontsize=8)
    ax.set_ylim(0, top + 0.3)
    ax.set_yticks(range(0, int(np.ceil(top + 0.3)) + 1))
    ax.set_ylabel("Mean rating; error bar = 1 sample SD")
    ax.grid(axis="y", color="#CCCCCC", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    n_gaps = int(glob.loc[glob["variable"] == "priority", "n"].sum())
    n_recs = int(glob.loc[glob["variable"] == "change", "n"].sum())
    _titles(fig, "Gap analysis by sector, all countries",
            f"Pooled ratings per sector: {n_gaps} rated gaps (priority), {n_recs} rated "
            "recommendations (change); mean +/- SD")
    return fig


def regional_figure(summary: pd.DataFrame, ref: Reference,
                    variables: Sequence[str] = ("maturity", "change")) -> Figure:
    """Per region, one bar per sector at the mean of its countries' sector means, one
    panel per variable; a dashed line marks the region's overall mean."""
    regions = [r for r in ref.regions["region"] if r in set(summary["region"])]
    names = _region_name(ref)
    sectors = ref.sector_order
    colours = sector_colours(ref)
    shown = " and ".join(VARIABLE_NAMES[v].lower() for v in variables)
    fig, axes = _panels(5.6 * len(variables) + 0.4, 5.8,
                        f"Sector means by region: {shown}",
                        "Each bar: mean of the region's country-level sector means",
                        len(variables))
    width = 0.8 / len(sectors)
    xs = np.arange(len(regions))
    for ax, variable in zip(axes, variables):
        sub = summary[summary["variable"] == variable]
        cells = sub[sub["scope"] == "sector"]
        for j, sector in enumerate(sectors):
            values = cells[cells["sector"] == sector].set_index("region")["mean"]
            ax.bar(xs - 0.4 + width * (j + 0.5), values.reindex(regions), width,
                   color=colours[sector], label=sector)
        overall = sub[sub["scope"] == "overall"].set_index("region")["mean"]
        ax.hlines(overall.reindex(regions), xs - 0.42, xs + 0.42, colors="black",
                  linestyles="--", linewidth=1.1, label="Region overall")
        ax.set_xticks(xs, [_wrap(names[r], 18) for r in regions], fontsize=8)
        _, hi = ref.scale_bounds(variable)
        ax.set_ylim(0, hi + 0.2)
        _level_axis(ax.yaxis, ref, variable)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", color="#CCCCCC", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_title(_scale_label(ref, variable), fontsize=10)
    handles = [Patch(color=colours[s]) for s in sectors]
    handles.append(Line2D([], [], color="black", linestyle="--"))
    fig.legend(handles, sectors + ["Region overall (all country x sector means)"],
               loc="outside lower center", ncols=4, frameon=False, fontsize=8)
    return fig


def _annotate(ax, matrix: np.ndarray, image, text: callable, fontsize: float) -> None:
    for (i, j), value in np.ndenumerate(matrix):
        missing = np.isnan(value)
        colour = "#555555" if missing else _text_colour(image.cmap(image.norm(value)))
        ax.text(j, i, text(value) if not missing else "\u2013", ha="center",
                va="center", fontsize=fontsize, color=colour)


def capability_heatmap(ratings: pd.DataFrame, assessments: pd.DataFrame,
                       ref: Reference) -> Figure:
    """Maturity of every capability (rows, grouped by sector) in every assessment
    (columns, grouped by region), each cell annotated; blank ratings in grey."""
    order = {r: i for i, r in enumerate(ref.regions["region"])}
    info = assessments.assign(_r=assessments["region"].map(order)).sort_values(
        ["_r", "country", "assessment_id"], kind="stable")
    caps = ref.capabilities.sort_values("capability_no")
    matrix = (ratings.assign(maturity=pd.to_numeric(ratings["maturity"]).astype(float))
              .pivot_table(index="capability_no", columns="assessment_id",
                           values="maturity", aggfunc="first", dropna=False)
              .reindex(index=caps["capability_no"], columns=info["assessment_id"]))
    values = matrix.to_numpy(dtype=float)
    lo, hi = ref.scale_bounds("maturity")
    cmap = ListedColormap(mpl.colormaps[HEATMAP_CMAP](np.linspace(0.1, 0.95, hi - lo + 1))
                          ).with_extremes(bad=MISSING_COLOUR)
    norm = BoundaryNorm(np.arange(lo - 0.5, hi + 1), cmap.N)
    labelled = len(info) <= MAX_LABELLED
    fig = _new_figure(4.8 + 0.55 * max(min(len(info), MAX_LABELLED), 1), 10.5)
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    if labelled:
        _annotate(ax, values, image, lambda v: f"{v:.0f}", 8)
    ax.set_yticks(range(len(caps)), [_wrap(f"{n} {c}", 34) for n, c in
                                     zip(caps["capability_no"], caps["capability"])],
                  fontsize=7.5)
    # Vertical labels stay apart however many assessments there are.
    if labelled:
        ax.set_xticks(range(len(info)), assessment_labels(info), rotation=90, fontsize=8)
    else:
        ax.set_xticks([])
    ax.tick_params(length=0)
    sector_of = caps["sector"].tolist()
    bands = _bands(sector_of)
    region_bands = _bands(info["region"].tolist())
    for _, start, _end in bands[1:]:
        ax.axhline(start - 0.5, color="white", linewidth=2.5)
    for _, start, _end in region_bands[1:]:
        ax.axvline(start - 0.5, color="white", linewidth=2.5)
    right = ax.secondary_yaxis("right")
    right.set_yticks([(s + e) / 2 for _, s, e in bands],
                     [_wrap(name, 16) for name, _, _ in bands], fontsize=8)
    right.tick_params(length=0)
    names = _region_name(ref)
    top = ax.secondary_xaxis("top")
    top.set_xticks([(s + e) / 2 for _, s, e in region_bands],
                   [_wrap(names.get(name, name), max(8, 9 * (e - s + 1)))
                    for name, s, e in region_bands], fontsize=8, fontweight="bold")
    top.tick_params(length=0)
    for spine in list(ax.spines.values()) + list(right.spines.values()) + list(
            top.spines.values()):
        spine.set_visible(False)
    bar = fig.colorbar(image, ax=ax, location="bottom", shrink=0.7, aspect=40, pad=0.02)
    _level_axis(bar.ax.xaxis, ref, "maturity")
    bar.ax.tick_params(labelsize=8)
    bar.set_label("Maturity level; grey with a dash = not rated", fontsize=8)
    _titles(fig, "Maturity by country and capability",
            f"One cell per assessment x capability rating; {len(info)} assessments x "
            f"{len(caps)} capabilities" + ("" if labelled else
                                          f"; names and values omitted above "
                                          f"{MAX_LABELLED} assessments"))
    return fig


def _bands(labels: list[str]) -> list[tuple[str, int, int]]:
    """Runs of equal consecutive labels as (label, first index, last index)."""
    out: list[tuple[str, int, int]] = []
    for i, label in enumerate(labels):
        if out and out[-1][0] == label:
            out[-1] = (label, out[-1][1], i)
        else:
            out.append((label, i, i))
    return out


def region_sector_heatmap(summary: pd.DataFrame, ref: Reference) -> Figure:
    """Per variable, a sector x region grid of the mean of country-level sector means,
    each cell annotated, coloured on the variable's own scale."""
    variables = [v for v in VARIABLE_NAMES if v in set(summary["variable"])]
    regions = [r for r in ref.regions["region"] if r in set(summary["region"])]
    names = _region_name(ref)
    sectors = ref.sector_order
    fig, axes = _panels(2.2 + 2.3 * max(len(variables), 1), 5.8,
                        "Sector means by region, per variable",
                        "Each cell: mean of the region's country-level sector means",
                        max(len(variables), 1), sharey=True)
    for k, (ax, variable) in enumerate(zip(axes, variables)):
        cells = summary[(summary["variable"] == variable) & (summary["scope"] == "sector")]
        matrix = cells.pivot_table(index="sector", columns="region", values="mean",
                                   aggfunc="first").reindex(index=sectors, columns=regions)
        values = matrix.to_numpy(dtype=float)
        lo, hi = ref.scale_bounds(variable)
        cmap = mpl.colormaps[HEATMAP_CMAP].with_extremes(bad=MISSING_COLOUR)
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap,
                          norm=Normalize(lo, hi), aspect="auto")
        _annotate(ax, values, image, fmt, 8)
        ax.set_xticks(range(len(regions)), [_wrap(names[r], 14) for r in regions],
                      fontsize=8)
        ax.set_yticks(range(len(sectors)), [_wrap(s, 20) for s in sectors], fontsize=8)
        ax.tick_params(length=0, labelleft=k == 0)
        ax.set_title(_scale_label(ref, variable), fontsize=10)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(image, ax=ax, location="bottom", shrink=0.9, pad=0.03)
        bar.set_ticks(range(lo, hi + 1))
        bar.ax.tick_params(labelsize=7)
    return fig


def scatter_pairs(cells: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Country x sector cells with both means present: assessment_id, sector, region,
    x, y (the pairs ``aggregate.correlations`` uses)."""
    wide = cells.pivot_table(index=["assessment_id", "sector"], columns="variable",
                             values="mean", aggfunc="first")
    if x not in wide or y not in wide:
        return pd.DataFrame(columns=["assessment_id", "sector", "region", "x", "y"])
    pairs = wide[[x, y]].dropna().rename(columns={x: "x", y: "y"}).reset_index()
    region = cells.drop_duplicates("assessment_id").set_index("assessment_id")["region"]
    pairs["region"] = pairs["assessment_id"].map(region)
    return pairs[["assessment_id", "sector", "region", "x", "y"]]


def correlation_scatter(cells: pd.DataFrame, correlations: pd.DataFrame, ref: Reference,
                        x: str = "maturity", y: str = "presence", seed: int = 0,
                        jitter: float = JITTER) -> Figure:
    """One point per country x sector cell (x mean against y mean), coloured by
    region and jittered (seeded) so equal values stay visible; r, n and p of the
    ``correlations`` table in the title."""
    pairs = scatter_pairs(cells, x, y)
    rng = np.random.default_rng(seed)
    jx = rng.uniform(-jitter, jitter, len(pairs))
    jy = rng.uniform(-jitter, jitter, len(pairs))
    colours = region_colours(ref)
    names = _region_name(ref)
    fig = _new_figure(7.8, 6.6)
    ax = fig.add_subplot()
    for region in ref.regions["region"]:
        mask = (pairs["region"] == region).to_numpy()
        if mask.any():
            ax.scatter(pairs["x"].to_numpy(float)[mask] + jx[mask],
                       pairs["y"].to_numpy(float)[mask] + jy[mask], s=30, alpha=0.85,
                       color=colours[region], edgecolors="white", linewidths=0.5,
                       label=names[region])
    match = correlations[(correlations["x"] == x) & (correlations["y"] == y)]
    row = match.iloc[0] if len(match) else None
    r = float(row["pearson_r"]) if row is not None else float("nan")
    if np.isfinite(r) and len(pairs) >= 2:
        slope, intercept = np.polyfit(pairs["x"].astype(float), pairs["y"].astype(float), 1)
        xs = np.array([pairs["x"].min(), pairs["x"].max()], dtype=float)
        ax.plot(xs, intercept + slope * xs, color="#333333", linestyle="--", linewidth=1,
                label="Least-squares line")
    for axis, variable in ((ax.xaxis, x), (ax.yaxis, y)):
        _level_axis(axis, ref, variable)
    ax.tick_params(labelsize=8)
    (xlo, xhi), (ylo, yhi) = ref.scale_bounds(x), ref.scale_bounds(y)
    ax.set_xlim(xlo - 0.3, xhi + 0.3)
    ax.set_ylim(ylo - 0.3, yhi + 0.3)
    ax.set_xlabel(f"Mean {VARIABLE_NAMES[x].lower()} of the cell")
    ax.set_ylabel(f"Mean {VARIABLE_NAMES[y].lower()} of the cell")
    ax.grid(color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(loc="outside lower center", ncols=4, frameon=False, fontsize=8)
    n = int(row["n"]) if row is not None else len(pairs)
    if np.isfinite(r):
        stats = f"r = {fmt(r)}, n = {n}, {format_p(float(row['pearson_p']))}"
    else:
        reason = row["reason"] if row is not None else "no correlation computed"
        stats = f"r not computed ({reason}), n = {n}"
    _titles(fig, f"{VARIABLE_NAMES[x]} vs {VARIABLE_NAMES[y].lower()}: {stats}",
            f"One point per country x sector cell (Pearson r over the cells' means); "
            f"points jittered by up to +/-{jitter:g}")
    return fig


def close_figure(fig: Figure) -> None:
    """Release a figure's artists (and pyplot's reference, if pyplot made it)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    fig.clear()


def figure_bytes(fig: Figure, fmt_: str) -> bytes:
    """The figure rendered as ``png`` or ``svg``, without timestamps or version stamps
    so an unchanged figure gives unchanged bytes."""
    buf = io.BytesIO()
    metadata = {"Software": None} if fmt_ == "png" else {"Date": None, "Creator": None}
    with mpl.rc_context({"svg.hashsalt": "mrc-pipeline", "svg.fonttype": "path"}):
        fig.savefig(buf, format=fmt_, dpi=DPI, metadata=metadata, facecolor="white")
    return buf.getvalue()


def save_figure(fig: Figure, folder: Path, name: str) -> dict[str, Path]:
    """Write ``<folder>/<name>.png`` and ``.svg`` atomically; always closes ``fig``."""
    paths: dict[str, Path] = {}
    try:
        for fmt_ in FORMATS:
            path = Path(folder) / f"{name}.{fmt_}"
            atomic_write_bytes(path, figure_bytes(fig, fmt_))
            paths[fmt_] = path
    finally:
        close_figure(fig)
    return paths
