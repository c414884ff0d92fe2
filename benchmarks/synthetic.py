"""Synthetic assessments for benchmarks: N workbooks with random valid ratings.

``python benchmarks/synthetic.py DEST --n 1000 [--seed 7]`` writes a data folder
(``reference/`` with one synthetic country per two assessments added to
``countries.csv``, ``published/`` copied, and ``assessments/`` with N workbooks written
by the project's own instrument writer). Countries get codes ``QAA``, ``QAB``... and
two rounds each (2022 and 2024), so rounds compare in ``country_progress``. The same
seed gives the same ratings. Nothing here is real data.
"""

from __future__ import annotations

import argparse
import json
import shutil
import string
import sys
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

from mrc_pipeline.reference import DEFAULT_DATA_DIR, Reference
from mrc_pipeline.template import write_instrument

YEARS = (2022, 2024)
#: Share of ratings left blank ("not rated").
BLANK = 0.05
MANIFEST = "synthetic.json"


def country_codes(count: int) -> list[str]:
    """Synthetic ISO3 codes, none of them a real country's: QAA, QAB, ... then XAA..."""
    letters = string.ascii_uppercase
    codes = [f"{p}{a}{b}" for p in "QX" for a, b in product(letters, letters)]
    if count > len(codes):
        raise ValueError(f"at most {len(codes)} synthetic countries")
    return codes[:count]


def assessment_ids(n: int) -> list[tuple[str, int]]:
    """N (iso3, year) pairs: two rounds per synthetic country."""
    codes = country_codes((n + 1) // 2)
    return [(code, year) for code in codes for year in YEARS][:n]


def _rating(rng: np.random.Generator, low: int, high: int):
    return None if rng.random() < BLANK else int(rng.integers(low, high + 1))


def random_assessment(rng: np.random.Generator, ref: Reference, aid: str):
    """Capability ratings, gaps and recommendations of one assessment, all valid."""
    caps = ref.capabilities[["capability_no", "sector"]].copy()
    caps["maturity"] = [_rating(rng, 1, 4) for _ in range(len(caps))]
    caps["maturity"] = caps["maturity"].astype("Int64")
    gaps, recs = [], []
    for k in range(1, int(rng.integers(6, 16)) + 1):
        cap = caps.iloc[int(rng.integers(0, len(caps)))]
        with_capability = rng.random() < 0.7
        gid = f"G{k:02d}"
        gaps.append({"gap_id": gid, "sector": cap.sector,
                     "capability_no": int(cap.capability_no) if with_capability else None,
                     "description": f"Synthetic gap {k} of {aid}",
                     "priority": _rating(rng, 1, 5), "presence": _rating(rng, 1, 4)})
        recs.append({"rec_id": f"R{k:02d}", "sector": cap.sector,
                     "capability_no": gaps[-1]["capability_no"], "gap_id": gid,
                     "horizon": ["short", "medium", "long"][int(rng.integers(0, 3))],
                     "description": f"Synthetic recommendation {k} of {aid}",
                     "realistic_change": _rating(rng, 1, 5)})
    gaps = pd.DataFrame(gaps).astype({"capability_no": "Int64", "priority": "Int64",
                                      "presence": "Int64"})
    recs = pd.DataFrame(recs).astype({"capability_no": "Int64",
                                      "realistic_change": "Int64"})
    return caps, gaps, recs


def write_reference(dest: Path, codes: list[str]) -> Reference:
    """``dest/reference`` and ``dest/published`` from the shipped data, plus the
    synthetic countries (spread over the shipped regions)."""
    shutil.copytree(DEFAULT_DATA_DIR / "reference", dest / "reference", dirs_exist_ok=True)
    shutil.copytree(DEFAULT_DATA_DIR / "published", dest / "published", dirs_exist_ok=True)
    countries = pd.read_csv(DEFAULT_DATA_DIR / "reference" / "countries.csv",
                            keep_default_na=False)
    regions = sorted(countries["region"].unique())
    extra = pd.DataFrame({"iso3": codes, "country": [f"Synthetic {c}" for c in codes],
                          "country_es": [f"Sintético {c}" for c in codes],
                          "region": [regions[i % len(regions)] for i in range(len(codes))]})
    pd.concat([countries, extra]).to_csv(dest / "reference" / "countries.csv", index=False)
    return Reference(dest)


def write_workbook(dest: Path, ref: Reference, iso3: str, year: int,
                   rng: np.random.Generator) -> Path:
    aid = f"{iso3}-{year}"
    caps, gaps, recs = random_assessment(rng, ref, aid)
    return write_instrument(dest / "assessments" / f"{aid}.xlsx", iso3=iso3, year=year,
                            ref=ref, assessor_team="Synthetic", capabilities=caps,
                            gaps=gaps, recommendations=recs)


def build(dest: Path, n: int, seed: int = 7, spare: int = 1) -> Path:
    """A data folder with ``n`` synthetic workbooks (reused when already built with the
    same n and seed). ``spare`` more countries are in the reference for assessments
    added later (``add_assessment``)."""
    dest = Path(dest)
    manifest = {"n": n, "seed": seed, "spare": spare}
    marker = dest / MANIFEST
    if marker.is_file() and json.loads(marker.read_text()) == manifest:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    ids = assessment_ids(n)
    codes = country_codes((n + 1) // 2 + spare)
    ref = write_reference(dest, codes)
    rng = np.random.default_rng(seed)
    for iso3, year in ids:
        write_workbook(dest, ref, iso3, year, rng)
    marker.write_text(json.dumps(manifest))
    return dest


def add_assessment(dest: Path, seed: int = 99) -> Path:
    """One more workbook, of the first spare country; returns its path."""
    manifest = json.loads((Path(dest) / MANIFEST).read_text())
    iso3 = country_codes((manifest["n"] + 1) // 2 + 1)[-1]
    ref = Reference(Path(dest))
    return write_workbook(Path(dest), ref, iso3, YEARS[0], np.random.default_rng(seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--n", type=int, default=11)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    build(args.dest, args.n, args.seed)
    print(f"{args.n} synthetic assessments in {args.dest / 'assessments'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
