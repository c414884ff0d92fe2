"""Disclosure control: the public set of tables and figures, and the scan that proves
it names no country.

Per-country ratings are seen by the assessed governments and partners, not by the
public. The public set (``<output>/public/``) holds only aggregates over at least
``k`` countries (:class:`DisclosureRules`), with the number of countries behind each
row in ``n_countries``; no country names, ISO3 codes, assessment ids, per-country rows
or gap and recommendation texts.

Suppression, stated in ``suppression_notes`` (which names groups, never countries):

- primary: a row computed from fewer than ``k`` countries is left out;
- secondary: a total whose published parts would, by subtraction, reveal suppressed
  parts that together cover fewer than ``k`` countries is left out too (a sector's
  pooled maturity and its capabilities; a region's overall figure and its sectors;
  the all-regions quadrant counts and the regions');
- rankings and highest/lowest marks are recomputed over the published rows only.

:func:`scan_public` reads every file of the folder (CSV, XLSX parts, HTML with its
inlined images, SVG text, PNG text chunks, any other file as text, and every file
name) for a country name (English or Spanish, any case, as a word or the start of one,
so "Kenyan" is a hit and "Kenya" inside another word is not) or an ISO3 code
of the data (whole upper-case tokens, so "COL" in "COLOUR" or "col" in HTML is not a
hit), and checks that every table's ``n_countries`` is at least ``k``.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import os
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from mrc_pipeline import aggregate
from mrc_pipeline.priorities import (
    QUADRANTS,
    SECTOR_CONVENTION,
    PriorityRules,
    rank_desc,
    sector_means_long,
)
from mrc_pipeline.reference import Reference
from mrc_pipeline.store import atomic_write_bytes, write_export, write_xlsx_export

log = logging.getLogger("mrc_pipeline")

COUNT = "n_countries"
NOTES = "suppression_notes"
#: Internal column: the set of countries behind a row (never written).
_SET = "_countries"


@dataclass(frozen=True)
class DisclosureRules:
    """The smallest number of countries a published aggregate may cover."""

    k: int = 2

    def check(self) -> None:
        if not isinstance(self.k, int) or self.k < 2:
            raise ValueError(f"k = {self.k!r}: a published aggregate must cover at least "
                             "2 countries (a group of one country is that country's "
                             "rating)")


@dataclass
class PublicRelease:
    """The public tables (each with ``n_countries``) and the suppression notes."""

    k: int
    tables: dict[str, pd.DataFrame]
    notes: pd.DataFrame

    def summary(self) -> dict[str, int]:
        return {"tables": len(self.tables),
                "rows": int(sum(len(t) for t in self.tables.values())),
                "suppressed": len(self.notes)}


# --- counting countries -------------------------------------------------------------


def country_sets(frame: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Per group of ``by``: the frozenset of countries (iso3) with a rated ``value``."""
    rated = frame.dropna(subset=[value])
    if rated.empty:
        return pd.DataFrame(columns=[*by, _SET])
    sets = rated.groupby(by, dropna=False)["iso3"].agg(frozenset)
    return sets.rename(_SET).reset_index()


def _attach(frame: pd.DataFrame, sets: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    key = {c: frame[c].astype(object).where(frame[c].notna(), "") for c in by}
    left = frame.assign(**{f"_k{i}": key[c] for i, c in enumerate(by)})
    right = sets.assign(**{f"_k{i}": sets[c].astype(object).where(sets[c].notna(), "")
                           for i, c in enumerate(by)})
    keys = [f"_k{i}" for i in range(len(by))]
    out = left.merge(right[keys + [_SET]], on=keys, how="left").drop(columns=keys)
    out[_SET] = [s if isinstance(s, frozenset) else frozenset() for s in out[_SET]]
    out[COUNT] = out[_SET].map(len).astype(int)
    return out


# --- suppression --------------------------------------------------------------------


@dataclass
class Suppressor:
    """Collects suppressed groups as notes while tables are built."""

    k: int
    notes: list[dict] = field(default_factory=list)

    def primary(self, frame: pd.DataFrame, table: str, group: list[str]) -> pd.Series:
        """Mask of rows from fewer than k countries (noted)."""
        mask = (frame[COUNT].astype(int) < self.k).astype(bool)
        self.note(frame[mask], table, group, f"fewer than {self.k} countries")
        return mask

    def secondary(self, parent: pd.DataFrame, parent_mask: pd.Series, child: pd.DataFrame,
                  child_mask: pd.Series, key: list[str], table: str,
                  group: list[str]) -> pd.Series:
        """Extend ``parent_mask`` to the totals from which suppressed children that
        together cover fewer than k countries could be recovered by subtraction;
        ``key`` maps a child to its parent (empty: one parent of all children)."""
        hidden = child[child_mask]
        if hidden.empty:
            return parent_mask
        union: dict[tuple, frozenset] = {}
        for k, countries in zip(_keys(hidden, key), hidden[_SET]):
            union[k] = union.get(k, frozenset()) | countries
        covered = pd.Series([len(union.get(k, frozenset())) for k in _keys(parent, key)],
                            index=parent.index)
        extra = ((covered > 0) & (covered < self.k) & ~parent_mask).astype(bool)
        self.note(parent[extra], table, group,
                   "would reveal a suppressed group by subtraction")
        return parent_mask | extra

    def note(self, rows: pd.DataFrame, table: str, group: list[str], reason: str) -> None:
        for values in rows[group].to_dict(orient="records"):
            described = ", ".join(f"{c}={v}" for c, v in values.items()
                                  if v is not None and v == v)
            self.notes.append({"table": table, "group": described or "all",
                               "reason": reason})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.notes, columns=["table", "group", "reason"])


def _keys(frame: pd.DataFrame, key: list[str]) -> list[tuple]:
    if not key:
        return [()] * len(frame)
    cols = [frame[c].astype(object).where(frame[c].notna(), "") for c in key]
    return list(zip(*cols))


def _publish(frame: pd.DataFrame, mask: pd.Series, columns: list[str]) -> pd.DataFrame:
    return frame.loc[~mask, columns].reset_index(drop=True)


# --- the public tables --------------------------------------------------------------


def coverage(assessments: pd.DataFrame, s: Suppressor) -> pd.DataFrame:
    """Countries and assessments in all and per region."""
    glob = pd.DataFrame({"scope": ["global"], "region": [None],
                         "n_assessments": [len(assessments)],
                         _SET: [frozenset(assessments["iso3"])]})
    reg = assessments.groupby("region").agg(
        n_assessments=("assessment_id", "size"), **{_SET: ("iso3", frozenset)})
    reg = reg.reset_index().assign(scope="region")
    out = pd.concat([glob, reg], ignore_index=True)
    out[COUNT] = out[_SET].map(len)
    mask = s.primary(out, "coverage", ["scope", "region"])
    child = out["scope"] == "region"
    mask = mask | s.secondary(out[~child], mask[~child], out[child], mask[child], [],
                              "coverage", ["scope"]).reindex(out.index, fill_value=False)
    return _publish(out, mask, ["scope", "region", COUNT, "n_assessments"])


def maturity_tables(ratings: pd.DataFrame, ref: Reference,
                    s: Suppressor) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pooled maturity per capability and per sector, with their country counts."""
    cap = _attach(aggregate.maturity_by_capability(ratings, ref),
                  country_sets(ratings, ["capability_no"], "maturity"), ["capability_no"])
    sec = _attach(aggregate.maturity_by_sector(ratings, ref),
                  country_sets(ratings, ["sector"], "maturity"), ["sector"])
    cap_mask = s.primary(cap, "maturity_by_capability", ["capability_no", "capability"])
    sec_mask = s.primary(sec, "maturity_by_sector", ["sector"])
    sec_mask = s.secondary(sec, sec_mask, cap, cap_mask, ["sector"], "maturity_by_sector",
                           ["sector"])
    cap_cols = ["capability_no", "capability", "sector", "n", COUNT, "mean", "sd",
                "convention"]
    return (_publish(cap, cap_mask, cap_cols),
            _publish(sec, sec_mask, ["sector", "n", COUNT, "mean", "sd", "convention"]))


def regional_table(cells: pd.DataFrame, ref: Reference, s: Suppressor) -> pd.DataFrame:
    """``regional_summary`` over published rows: highest and lowest re-marked."""
    out = aggregate.regional_summary(cells, ref)
    rated = cells.dropna(subset=["mean"])
    by_sector = _attach(out[out["scope"] == "sector"],
                        country_sets(rated, ["region", "variable", "sector"], "mean"),
                        ["region", "variable", "sector"])
    overall = _attach(out[out["scope"] == "overall"],
                      country_sets(rated, ["region", "variable"], "mean"),
                      ["region", "variable"])
    group = ["region", "variable", "scope", "sector"]
    sec_mask = s.primary(by_sector, "regional_summary", group)
    all_mask = s.primary(overall, "regional_summary", group)
    all_mask = s.secondary(overall, all_mask, by_sector, sec_mask, ["region", "variable"],
                           "regional_summary", group)
    columns = ["region", "variable", "scope", "sector", "n", COUNT, "mean", "sd",
               "is_highest", "is_lowest", "convention"]
    kept = pd.concat([_publish(overall, all_mask, columns),
                      _publish(by_sector, sec_mask, columns)], ignore_index=True)
    sec = kept["scope"] == "sector"
    grp = kept[sec].groupby(["region", "variable"])["mean"]
    kept["is_highest"] = False
    kept["is_lowest"] = False
    kept.loc[sec, "is_highest"] = kept.loc[sec, "mean"].round(12) == grp.transform(
        "max").round(12)
    kept.loc[sec, "is_lowest"] = kept.loc[sec, "mean"].round(12) == grp.transform(
        "min").round(12)
    order = {s: i for i, s in enumerate(ref.sector_order)}
    variables = {v: i for i, v in enumerate(aggregate.VARIABLE_SOURCES)}
    kept = kept.assign(_v=kept["variable"].map(variables),
                       _s=kept["sector"].map(order).fillna(-1))
    return kept.sort_values(["region", "_v", "_s"]).drop(columns=["_v", "_s"]).reset_index(
        drop=True)


def sector_tables(gaps: pd.DataFrame, recommendations: pd.DataFrame, cells: pd.DataFrame,
                  assessments: pd.DataFrame, ref: Reference,
                  s: Suppressor) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Public ``gap_ratings_by_sector`` and ``sector_priorities`` (long: one row per
    scope, variable and sector; ranks over the published sectors of the scope)."""
    long = sector_means_long(gaps, recommendations, cells, assessments, ref)
    group = ["scope", "region", "variable", "sector"]
    mask = s.primary(long, "gap_ratings_by_sector", group)
    ratings = _publish(long, mask, ["scope", "region", "variable", "sector", "n", COUNT,
                                    "mean", "sd", "convention"])
    ranked = ratings.assign(_r=ratings["region"].fillna(""))
    ranked["rank"] = ranked.groupby(["scope", "_r", "variable"])["mean"].transform(
        lambda v: rank_desc(v).astype(float)).astype("Int64")
    ranked["convention"] = ranked["scope"].map(SECTOR_CONVENTION) + (
        "; rank 1 = highest mean among the published sectors of the scope; ties share "
        "the best rank")
    priorities = ranked[["scope", "region", "variable", "sector", "n", COUNT, "mean",
                         "rank", "convention"]]
    # The same rows are left out of both tables; note them once for each.
    s.note(long[mask], "sector_priorities", group, f"fewer than {s.k} countries")
    return ratings, priorities.reset_index(drop=True)


def correlation_table(cells: pd.DataFrame, assessments: pd.DataFrame,
                      s: Suppressor) -> pd.DataFrame:
    """``correlations`` with the number of countries behind the complete pairs."""
    out = aggregate.correlations(cells)
    wide = cells.pivot_table(index=["assessment_id", "sector"], columns="variable",
                             values="mean", aggfunc="first")
    iso = dict(zip(assessments["assessment_id"], assessments["iso3"]))
    sets = []
    for row in out.itertuples():
        if row.x in wide and row.y in wide:
            pairs = wide[[row.x, row.y]].dropna()
            sets.append(frozenset(iso.get(a) for a in pairs.index.get_level_values(0)))
        else:
            sets.append(frozenset())
    out[_SET] = sets
    out[COUNT] = out[_SET].map(len)
    mask = s.primary(out, "correlations", ["x", "y"])
    columns = [c for c in out.columns if c not in (_SET, COUNT)]
    columns.insert(columns.index("n") + 1, COUNT)
    return _publish(out, mask, columns)


def quadrant_table(gap_priorities: pd.DataFrame, s: Suppressor) -> pd.DataFrame:
    """Number of gaps per quadrant, in all and per region (no gap is listed)."""
    rule = gap_priorities["rule"].iloc[0] if len(gap_priorities) else ""
    glob = gap_priorities.groupby("quadrant").agg(
        n_gaps=("gap_id", "size"), **{_SET: ("iso3", frozenset)}).reset_index()
    glob = glob.assign(scope="global", region=None)
    reg = gap_priorities.groupby(["region", "quadrant"]).agg(
        n_gaps=("gap_id", "size"), **{_SET: ("iso3", frozenset)}).reset_index()
    reg = reg.assign(scope="region")
    out = pd.concat([glob, reg], ignore_index=True)
    out[COUNT] = out[_SET].map(len)
    group = ["scope", "region", "quadrant"]
    mask = s.primary(out, "gap_quadrants", group)
    child = out["scope"] == "region"
    mask = mask | s.secondary(out[~child], mask[~child], out[child], mask[child],
                              ["quadrant"], "gap_quadrants", group).reindex(
                                  out.index, fill_value=False)
    out["rule"] = rule
    order = {q: i for i, q in enumerate(QUADRANTS)}
    out = out.assign(_a=(out["scope"] == "region").astype(int), _r=out["region"].fillna(""),
                     _q=out["quadrant"].map(order))
    out = out.sort_values(["_a", "_r", "_q"])
    return _publish(out, mask.reindex(out.index),
                    ["scope", "region", "quadrant", "n_gaps", COUNT, "rule"])


#: The public tables, in the order they are written.
PUBLIC_TABLES = ("coverage", "maturity_by_capability", "maturity_by_sector",
                 "regional_summary", "gap_ratings_by_sector", "sector_priorities",
                 "gap_quadrants", "correlations")


def build_release(tables: dict[str, pd.DataFrame], assessments: pd.DataFrame,
                  cells: pd.DataFrame, gap_priorities: pd.DataFrame, ref: Reference,
                  rules: DisclosureRules = DisclosureRules()) -> PublicRelease:
    """Every public table from the validated tables (``capability_ratings``, ``gaps``,
    ``recommendations``), the catalogue, ``country_sector_means`` and
    ``gap_priorities``, suppressed to groups of at least ``rules.k`` countries."""
    rules.check()
    s = Suppressor(rules.k)
    ratings = aggregate.with_country(tables["capability_ratings"], assessments)
    cap, sec = maturity_tables(ratings, ref, s)
    gap_ratings, sector_priorities = sector_tables(
        tables["gaps"], tables["recommendations"], cells, assessments, ref, s)
    out = {
        "coverage": coverage(assessments, s),
        "maturity_by_capability": cap,
        "maturity_by_sector": sec,
        "regional_summary": regional_table(cells, ref, s),
        "gap_ratings_by_sector": gap_ratings,
        "sector_priorities": sector_priorities,
        "gap_quadrants": quadrant_table(gap_priorities, s),
        "correlations": correlation_table(cells, assessments, s),
    }
    release = PublicRelease(rules.k, {n: out[n] for n in PUBLIC_TABLES}, s.frame())
    log.info(f"Public set: {release.summary()['rows']} rows in {len(out)} tables over "
             f"groups of at least {rules.k} countries; {len(release.notes)} groups "
             "suppressed")
    return release


# --- writing ------------------------------------------------------------------------

README = """\
Public set of the MRC comparative analysis
===========================================

Every table here is an aggregate over at least {k} countries; the column
n_countries gives the number of countries behind each row. No country, code or
per-country figure is published, and gap and recommendation texts are left out.
Groups from fewer than {k} countries, and totals that would reveal them by
subtraction, are left out; exports/suppression_notes.csv lists them.
With few countries behind a figure, its mean and SD can still narrow down the
values behind it (two values are fully determined by their mean and SD): raise k
for stronger protection.

exports/     each table as CSV (full precision) and XLSX
figures/     PNG and SVG figures drawn from the published rows only
report.html  the report's public edition, built from these tables and figures
"""


def draw_figures(release: PublicRelease, ref: Reference, priority_rules: PriorityRules,
                 folder: Path) -> dict[str, dict[str, Path]]:
    """The public figures, each drawn from public tables only: name -> written files."""
    from mrc_pipeline import figures
    from mrc_pipeline import priority_figures as pf

    t = release.tables
    regional = not t["regional_summary"].empty
    specs = [
        ("gap_analysis", True,
         lambda: figures.gap_analysis_figure(t["gap_ratings_by_sector"], ref)),
        ("regional_maturity_change", regional, lambda: figures.regional_figure(
            t["regional_summary"], ref, ("maturity", "change"))),
        ("regional_priority_presence", regional, lambda: figures.regional_figure(
            t["regional_summary"], ref, ("priority", "presence"))),
        ("heatmap_region_sector", regional,
         lambda: figures.region_sector_heatmap(t["regional_summary"], ref)),
        ("sector_priorities", True, lambda: pf.sector_priority_figure(
            t["sector_priorities"], priority_rules, ref, release.k)),
        ("gap_quadrants", True,
         lambda: pf.quadrant_figure(t["gap_quadrants"], ref, release.k)),
    ]
    return {name: pf.save_figure(draw(), folder, name)
            for name, wanted, draw in specs if wanted}


def write_release(release: PublicRelease, output_dir: Path, ref: Reference,
                  priority_rules: PriorityRules = PriorityRules(),
                  provenance: dict[str, str] | None = None) -> Path:
    """Write the release (tables, figures, report) to ``<output_dir>/public`` in one
    swap (readers see the old set or the new, never a mix) and return that folder."""
    from mrc_pipeline.public_report import render_public_report

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output_dir, prefix=".public-new-"))
    try:
        exports = staging / "exports"
        for name, frame in {**release.tables, NOTES: release.notes}.items():
            write_export(exports / f"{name}.csv", frame)
            write_xlsx_export(exports / f"{name}.xlsx", frame, name)
        drawn = draw_figures(release, ref, priority_rules, staging / "figures")
        html = render_public_report(release, ref, drawn, provenance)
        atomic_write_bytes(staging / "report.html", html.encode("utf-8"))
        atomic_write_bytes(staging / "README.txt", README.format(k=release.k).encode())
        mask = os.umask(0)
        os.umask(mask)
        staging.chmod(0o777 & ~mask)
        target = output_dir / "public"
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=output_dir, prefix=".public-old-"))
            target.rename(old / "public")
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info(f"Wrote the public set to {target}: {len(release.tables)} tables, "
             f"{len(release.notes)} suppression notes, {len(drawn)} figures, report.html")
    return target


# --- the scan -----------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One disclosure found in a public file."""

    path: str
    where: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path} ({self.where}): {self.kind}: {self.detail}"


@dataclass(frozen=True)
class DisclosureTerms:
    """What may not appear in a public file: country names and ISO3 codes."""

    names: frozenset[str]
    codes: frozenset[str]

    @classmethod
    def from_data(cls, ref: Reference, assessment_ids: list[str] = ()) -> DisclosureTerms:
        """Names (English, Spanish) and codes of the reference countries, plus the
        country code of every assessment id."""
        c = ref.countries
        names = {n.strip() for n in pd.concat([c["country"], c["country_es"]]) if n.strip()}
        codes = set(c["iso3"]) | {a.split("-")[0] for a in assessment_ids if a}
        return cls(frozenset(names), frozenset(codes))

    def find(self, text: str) -> list[tuple[str, str]]:
        """(kind, token) of every country name or code in ``text``."""
        hits = [("ISO3 code", t) for t in _TOKEN.findall(text) if t in self.codes]
        hits += [("country name", m.group(0)) for m in self._names.finditer(text)]
        return hits

    @cached_property
    def _names(self) -> re.Pattern:
        alternatives = sorted(self.names, key=len, reverse=True)
        body = "|".join(r"\s+".join(map(re.escape, n.split())) for n in alternatives)
        # A name may start a longer word ("Kenyan"), never end one.
        return re.compile(rf"(?<![^\W\d_])(?:{body})", re.IGNORECASE)


_TOKEN = re.compile(r"[A-Za-z0-9]+")
_DATA_URI = re.compile(r"data:([\w.+/-]+)?(;[\w=.-]+)*;base64,([A-Za-z0-9+/=\s]+)")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_text(data: bytes) -> list[tuple[str, str]]:
    """(keyword, text) of every tEXt, zTXt and iTXt chunk of a PNG."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file (signature missing)")
    out, pos = [], len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"tEXt":
            key, _, text = body.partition(b"\0")
            out.append((key.decode("latin-1"), text.decode("latin-1")))
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            out.append((key.decode("latin-1"), zlib.decompress(rest[1:]).decode("latin-1")))
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            language, _, rest = rest.partition(b"\0")
            translated, _, text = rest.partition(b"\0")
            text = zlib.decompress(text) if compressed else text
            out.append((key.decode("latin-1"), " ".join(
                [language.decode("latin-1"), translated.decode("utf-8"),
                 text.decode("utf-8")])))
        elif kind == b"IEND":
            break
    return out


class _Tables(HTMLParser):
    """Collects the cell texts of every HTML table."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_findings(path: str, where: str, frame: pd.DataFrame, k: int) -> list[Finding]:
    """A table must count its countries, and every count must be at least k."""
    if COUNT not in frame.columns:
        return [Finding(path, where, "no country count",
                        f"the table has no {COUNT} column")]
    counts = pd.to_numeric(frame[COUNT], errors="coerce")
    bad = counts.isna() | (counts < k)
    return [Finding(path, f"{where} row {i + 2}", "small group",
                    f"{COUNT} = {frame[COUNT].iloc[i]!r}, fewer than {k}")
            for i in [int(j) for j in bad.to_numpy().nonzero()[0]]]


def _text_findings(path: str, where: str, text: str,
                   terms: DisclosureTerms) -> list[Finding]:
    return [Finding(path, where, kind, token) for kind, token in terms.find(text)]


def _scan_png(path: str, data: bytes, terms: DisclosureTerms, where: str = "PNG"):
    try:
        chunks = png_text(data)
    except (ValueError, zlib.error, struct.error) as exc:
        return [Finding(path, where, "unreadable", str(exc))]
    found = []
    for key, text in chunks:
        found += _text_findings(path, f"{where} text chunk {key}", f"{key} {text}", terms)
    return found


def _scan_html(path: str, text: str, terms: DisclosureTerms, k: int) -> list[Finding]:
    found: list[Finding] = []
    for i, match in enumerate(_DATA_URI.finditer(text)):
        mime = (match.group(1) or "").lower()
        data = base64.b64decode("".join(match.group(3).split()))
        where = f"inlined {mime or 'data'} #{i + 1}"
        if mime == "image/png":
            found += _scan_png(path, data, terms, where)
        else:
            found += _text_findings(path, where, html.unescape(
                data.decode("utf-8", "replace")), terms)
    rest = _DATA_URI.sub(" ", text)
    found += _text_findings(path, "text", html.unescape(rest), terms)
    parser = _Tables()
    parser.feed(rest)
    for n, rows in enumerate(parser.tables):
        header = rows[0] if rows else []
        counted = [i for i, h in enumerate(header) if h.lower() in (COUNT, "countries")]
        if counted and len(rows) > 1:
            values = [row[counted[0]] if len(row) > counted[0] else "" for row in rows[1:]]
            frame = pd.DataFrame({COUNT: values})
            found += table_findings(path, f"HTML table {n + 1}", frame, k)
    return found


def _scan_xlsx(path: str, data: bytes, terms: DisclosureTerms, k: int) -> list[Finding]:
    found: list[Finding] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            text = archive.read(member).decode("utf-8", "replace")
            found += _text_findings(path, f"part {member}", f"{member} "
                                    f"{html.unescape(text)}", terms)
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl")
    for name, frame in sheets.items():
        if name != NOTES:
            found += table_findings(path, f"sheet {name}", frame, k)
    return found


def scan_file(path: Path, root: Path, terms: DisclosureTerms, k: int) -> list[Finding]:
    """Every disclosure in one public file (its name included)."""
    rel = path.relative_to(root).as_posix()
    found = _text_findings(rel, "file name", rel, terms)
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".png":
        return found + _scan_png(rel, data, terms)
    if suffix == ".xlsx":
        return found + _scan_xlsx(rel, data, terms, k)
    text = data.decode("utf-8", "replace")
    if suffix in (".html", ".htm"):
        return found + _scan_html(rel, text, terms, k)
    if suffix == ".svg":
        return found + _text_findings(rel, "SVG text", html.unescape(text), terms)
    found += _text_findings(rel, "text", text, terms)
    if suffix == ".csv" and path.stem != NOTES:
        found += table_findings(rel, "CSV", pd.read_csv(io.StringIO(text)), k)
    return found


def scan_public(folder: Path, terms: DisclosureTerms, k: int) -> list[Finding]:
    """Every disclosure in every file under ``folder`` (empty list: nothing found)."""
    folder = Path(folder)
    found: list[Finding] = []
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        found += scan_file(path, folder, terms, k)
    log.info(f"Scanned {len(files)} public files: {len(found)} findings")
    return found
