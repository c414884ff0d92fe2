"""Figures of the prioritisation, drawn with matplotlib's Agg canvas (no pyplot, so no
global figure registry and nothing to leak between figures).

- :func:`gap_priority_figure`: priority against the realistic change of each gap's
  recommendations, one point per gap, coloured by presence, one panel per region;
  ordinal ratings are jittered (seeded) so overlapping points show.
- :func:`sector_priority_figure`: the same axes at the sector level (means over at
  least k countries), for the public set.

:func:`save_figure` writes a public figure as PNG and SVG side by side with its SVG
text kept as text, so the disclosure scan can read every label.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mrc_pipeline import figures
from mrc_pipeline.priorities import PriorityRules
from mrc_pipeline.reference import Reference
from mrc_pipeline.store import atomic_write_bytes

log = logging.getLogger("mrc_pipeline")

#: Presence levels 1-4 on a colour-blind-safe sequential scale (viridis samples),
#: and a neutral grey with its own marker for "not rated".
PRESENCE_COLOURS = {1: "#440154", 2: "#31688e", 3: "#35b779", 4: "#fde725"}
UNRATED_COLOUR = "#9e9e9e"
JITTER = 0.18
RC = {"svg.fonttype": "none", "svg.hashsalt": "mrc-pipeline"}


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, folder: Path, name: str) -> dict[str, Path]:
    """Write ``<folder>/<name>.png`` and ``.svg`` atomically and close ``fig``, as
    ``figures.save_figure`` does, but keep the SVG's text as text (not glyph paths) so
    that every label can be searched, as the public set's disclosure scan does."""
    paths: dict[str, Path] = {}
    try:
        with matplotlib.rc_context(RC):
            for fmt in figures.FORMATS:
                buffer = io.BytesIO()
                meta = ({"Software": None} if fmt == "png"
                        else {"Date": None, "Creator": None})
                fig.savefig(buffer, format=fmt, dpi=figures.DPI, metadata=meta,
                            facecolor="white")
                path = Path(folder) / f"{name}.{fmt}"
                atomic_write_bytes(path, buffer.getvalue())
                paths[fmt] = path
    finally:
        figures.close_figure(fig)
    log.info(f"Wrote figure {name} as PNG and SVG to {folder}")
    return paths


def _level_ticks(ax, axis: str, ref: Reference, scale: str) -> None:
    names = ref.level_names(scale)
    lo, hi = ref.scale_bounds(scale)
    ticks = list(range(lo, hi + 1))
    labels = [f"{t} {names.get(t, '')}".strip() for t in ticks]
    if axis == "x":
        ax.set_xticks(ticks, labels, rotation=30, ha="right", fontsize=7)
        ax.set_xlim(lo - 0.5, hi + 0.5)
    else:
        ax.set_yticks(ticks, labels, fontsize=7)
        ax.set_ylim(lo - 0.5, hi + 0.5)


def _thresholds(ax, rules: PriorityRules) -> None:
    ax.axvline(rules.changeable_change - 0.5, color="0.4", lw=0.8, ls="--")
    ax.axhline(rules.urgent_priority - 0.5, color="0.4", lw=0.8, ls="--")


def _presence_legend(fig: Figure, ref: Reference, with_unrated: bool, title: str) -> None:
    names = ref.level_names("presence")
    handles = [Line2D([], [], marker="o", ls="", color=c, markeredgecolor="0.2",
                      label=f"{lvl} {names.get(lvl, '')}".strip())
               for lvl, c in PRESENCE_COLOURS.items()]
    if with_unrated:
        handles.append(Line2D([], [], marker="X", ls="", color=UNRATED_COLOUR,
                              label="not rated"))
    fig.legend(handles=handles, title=title, loc="outside right upper", fontsize=8,
               title_fontsize=8)


def gap_priority_figure(gaps: pd.DataFrame, rules: PriorityRules, ref: Reference,
                        seed: int = 7) -> Figure:
    """Priority (y) against realistic change (x) per gap, coloured by presence, one
    panel per region; gaps missing either rating are counted in the panel title.

    ``gaps`` is ``gap_priorities`` (region, priority, realistic_change, presence).
    """
    regions = ref.regions.set_index("region")["region_name"].to_dict()
    present = [r for r in regions if r in set(gaps["region"])]
    fig = new_figure(4.2 * max(len(present), 1) + 1.6, 4.6)
    axes = fig.subplots(1, max(len(present), 1), sharex=True, sharey=True, squeeze=False)[0]
    rng = np.random.default_rng(seed)
    any_unrated = False
    for ax, region in zip(axes, present):
        rows = gaps[gaps["region"] == region]
        x = pd.to_numeric(rows["realistic_change"]).astype(float)
        y = pd.to_numeric(rows["priority"]).astype(float)
        presence = pd.to_numeric(rows["presence"]).astype("Float64")
        plotted = x.notna() & y.notna()
        n_out = int((~plotted).sum())
        jx = x[plotted] + rng.uniform(-JITTER, JITTER, int(plotted.sum()))
        jy = y[plotted] + rng.uniform(-JITTER, JITTER, int(plotted.sum()))
        p = presence[plotted]
        colours = [PRESENCE_COLOURS.get(int(v), UNRATED_COLOUR) if pd.notna(v)
                   else UNRATED_COLOUR for v in p]
        rated = p.notna().to_numpy()
        any_unrated |= bool((~rated).any())
        ax.scatter(jx[rated], jy[rated], c=[c for c, r in zip(colours, rated) if r],
                   s=28, alpha=0.85, edgecolors="0.2", linewidths=0.4, marker="o")
        if (~rated).any():
            ax.scatter(jx[~rated], jy[~rated], c=UNRATED_COLOUR, s=30, marker="X",
                       linewidths=0.4)
        _thresholds(ax, rules)
        ax.set_title(f"{regions[region]}\n{int(plotted.sum())} gaps plotted; {n_out} "
                     "without priority or change", fontsize=9)
        _level_ticks(ax, "x", ref, "change")
        _level_ticks(ax, "y", ref, "priority")
        ax.set_xlabel(f"Realistic change ({rules.change_rule} of its recommendations)",
                      fontsize=8)
        ax.grid(alpha=0.25)
    axes[0].set_ylabel("Gap priority", fontsize=8)
    fig.suptitle("Gap priority against realistic change of its recommendations, per gap "
                 "(jittered), by region; dashed lines: quadrant thresholds", fontsize=10)
    _presence_legend(fig, ref, any_unrated, "Presence")
    return fig


def sector_priority_figure(sectors: pd.DataFrame, rules: PriorityRules, ref: Reference,
                           k: int) -> Figure:
    """Mean priority against mean realistic change per sector, coloured by mean
    presence, one panel per scope (all regions, then each region).

    ``sectors`` is long: scope, region, variable, sector, mean (only published rows).
    """
    wide = sectors.assign(_r=sectors["region"].fillna("")).pivot_table(
        index=["scope", "_r", "sector"], columns="variable", values="mean",
        aggfunc="first").reset_index()
    regions = ref.regions.set_index("region")["region_name"].to_dict()
    panels = [("global", "", "All regions")]
    panels += [("region", r, name) for r, name in regions.items()
               if r in set(wide["_r"])]
    for column in ("priority", "change", "presence"):
        if column not in wide:
            wide[column] = np.nan
    fig = new_figure(3.6 * len(panels) + 3.2, 4.6)
    axes = fig.subplots(1, len(panels), sharex=True, sharey=True, squeeze=False)[0]
    number = dict(zip(ref.sectors["sector"], ref.sectors["sector_no"]))
    shown = wide.dropna(subset=["priority", "change"])
    for ax, (scope, region, title) in zip(axes, panels):
        rows = shown[(shown["scope"] == scope) & (shown["_r"] == region)]
        rated = rows["presence"].notna()
        colours = [_presence_colour(v) for v in rows.loc[rated, "presence"]]
        ax.scatter(rows.loc[rated, "change"], rows.loc[rated, "priority"], s=60,
                   c=colours, edgecolors="0.2", linewidths=0.5)
        ax.scatter(rows.loc[~rated, "change"], rows.loc[~rated, "priority"], s=60,
                   c=UNRATED_COLOUR, marker="X")
        # Sectors at (almost) the same point share one label, "2, 4".
        spots = rows.assign(_x=rows["change"].round(2), _y=rows["priority"].round(2))
        for (x, y), group in spots.groupby(["_x", "_y"]):
            label = ", ".join(str(number[s]) for s in group["sector"])
            ax.annotate(label, (x, y), fontsize=7, xytext=(5, 2),
                        textcoords="offset points")
        _thresholds(ax, rules)
        ax.set_title(f"{title}\n{len(rows)} sectors shown", fontsize=9)
        _level_ticks(ax, "x", ref, "change")
        _level_ticks(ax, "y", ref, "priority")
        ax.set_xlabel("Mean realistic change", fontsize=8)
        ax.grid(alpha=0.25)
    _zoom(axes[0], shown)
    axes[0].set_ylabel("Mean gap priority", fontsize=8)
    fig.suptitle(f"Sector means of gap priority and realistic change, coloured by mean "
                 f"presence (groups of at least {k} countries)\nAll regions: pooled "
                 "ratings; each region: mean of its country-sector means", fontsize=10)
    _presence_legend(fig, ref, True, "Mean presence\n(nearest level)")
    key = [Line2D([], [], ls="", label=f"{n}  {s}") for s, n in number.items()]
    fig.legend(handles=key, title="Sectors", loc="outside right lower", fontsize=7,
               title_fontsize=8, handlelength=0, handletextpad=0)
    return fig


def _zoom(ax, rows: pd.DataFrame) -> None:
    """Limits around the plotted means (shared axes follow), padded by half a level."""
    if rows.empty:
        return
    ax.set_xlim(rows["change"].min() - 0.5, rows["change"].max() + 0.5)
    ax.set_ylim(rows["priority"].min() - 0.5, rows["priority"].max() + 0.5)


def _presence_colour(value: float) -> str:
    level = int(np.clip(np.floor(value + 0.5), 1, 4))
    return PRESENCE_COLOURS[level]


#: Quadrant colours: Okabe-Ito for the four rated quadrants, hatched greys for the
#: unrated ones.
QUADRANT_STYLE = {
    "act now": ("#009E73", ""), "build presence": ("#56B4E9", ""),
    "advocate": ("#E69F00", ""), "monitor": ("#CC79A7", ""),
    "unrated: priority missing": ("#bdbdbd", "//"),
    "unrated: no recommendation addresses the gap": ("#969696", "xx"),
    "unrated: realistic change missing": ("#d9d9d9", ".."),
    "unrated: presence missing": ("#737373", "\\\\"),
}


def quadrant_figure(quadrants: pd.DataFrame, ref: Reference, k: int) -> Figure:
    """Number of gaps per quadrant, stacked, one bar for all regions and one per
    region; cells from fewer than ``k`` countries are absent from the table and so
    from the bars.

    ``quadrants`` is the public ``gap_quadrants``: scope, region, quadrant, n_gaps.
    """
    regions = ref.regions.set_index("region")["region_name"].to_dict()
    bars = [("global", "", "All regions")]
    bars += [("region", r, name) for r, name in regions.items()
             if r in set(quadrants["region"].dropna())]
    fig = new_figure(9.5, 2.2 + 0.55 * len(bars))
    ax = fig.subplots()
    table = quadrants.assign(_r=quadrants["region"].fillna(""))
    longest = max([table[(table["scope"] == s) & (table["_r"] == r)]["n_gaps"].sum()
                   for s, r, _ in bars] + [1])
    used = []
    for y, (scope, region, _) in enumerate(bars):
        rows = table[(table["scope"] == scope) & (table["_r"] == region)]
        counts = dict(zip(rows["quadrant"], rows["n_gaps"]))
        left = 0
        for quadrant, (colour, hatch) in QUADRANT_STYLE.items():
            width = counts.get(quadrant, 0)
            if not width:
                continue
            ax.barh(y, width, left=left, color=colour, hatch=hatch, edgecolor="white",
                    label=quadrant if quadrant not in used else None)
            used.append(quadrant)
            if width >= 0.025 * longest:
                ax.text(left + width / 2, y, str(int(width)), ha="center", va="center",
                        fontsize=7)
            left += width
    ax.set_yticks(range(len(bars)), [b[2] for b in bars], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Number of gaps", fontsize=8)
    ax.set_title(f"Gaps per quadrant, all regions and by region\n(cells from fewer than "
                 f"{k} countries left out)", fontsize=10)
    fig.legend(loc="outside lower center", fontsize=7, ncols=3)
    return fig
