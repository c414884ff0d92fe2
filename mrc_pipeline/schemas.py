"""pandera schemas of the validated per-assessment tables: the one schema source from
which the blocking schema checks are derived."""

from __future__ import annotations

import pandera.pandas as pa

from mrc_pipeline.reference import Reference

ID = r"^[A-Z]{3}-\d{4}$"


def _rating(scale: str, ref: Reference, nullable: bool = True) -> pa.Column:
    lo, hi = ref.scale_bounds(scale)
    return pa.Column("Int64", pa.Check.in_range(lo, hi), nullable=nullable,
                     description=f"{scale} level {lo}-{hi}; blank = not rated")


def _sector(ref: Reference, nullable: bool = False) -> pa.Column:
    return pa.Column(str, pa.Check.isin(ref.sector_order), nullable=nullable)


def _capability(ref: Reference, nullable: bool) -> pa.Column:
    return pa.Column("Int64", pa.Check.isin(ref.capabilities["capability_no"].tolist()),
                     nullable=nullable)


def capability_ratings_schema(ref: Reference) -> pa.DataFrameSchema:
    def sector_matches(df):
        return df["sector"] == df["capability_no"].map(ref.capability_sector)

    return pa.DataFrameSchema(
        {
            "assessment_id": pa.Column(str, pa.Check.str_matches(ID)),
            "capability_no": _capability(ref, nullable=False),
            "sector": _sector(ref),
            "maturity": _rating("maturity", ref),
            "evidence": pa.Column(str, nullable=True),
            "source_cell": pa.Column(str, nullable=True),
        },
        checks=[pa.Check(sector_matches, error="sector must be the capability's sector")],
        unique=["assessment_id", "capability_no"],
        strict=True,
        name="capability_ratings",
    )


def gaps_schema(ref: Reference) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "assessment_id": pa.Column(str, pa.Check.str_matches(ID)),
            "gap_id": pa.Column(str),
            "sector": _sector(ref),
            "capability_no": _capability(ref, nullable=True),
            "description": pa.Column(str, nullable=True),
            "priority": _rating("priority", ref),
            "presence": _rating("presence", ref),
            "source_cell": pa.Column(str, nullable=True),
        },
        unique=["assessment_id", "gap_id"],
        strict=True,
        name="gaps",
    )


def recommendations_schema(ref: Reference) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "assessment_id": pa.Column(str, pa.Check.str_matches(ID)),
            "rec_id": pa.Column(str),
            "gap_id": pa.Column(str, nullable=True),
            "sector": _sector(ref),
            "capability_no": _capability(ref, nullable=True),
            "horizon": pa.Column(str, pa.Check.isin(["short", "medium", "long"]),
                                 nullable=True),
            "description": pa.Column(str, nullable=True),
            "realistic_change": _rating("change", ref),
            "source_cell": pa.Column(str, nullable=True),
        },
        unique=["assessment_id", "rec_id"],
        strict=True,
        name="recommendations",
    )


def assessment_info_schema(ref: Reference) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "assessment_id": pa.Column(str, pa.Check.str_matches(ID)),
            "iso3": pa.Column(str, pa.Check.isin(ref.countries["iso3"].tolist())),
            "country": pa.Column(str),
            "region": pa.Column(str, pa.Check.isin(ref.regions["region"].tolist())),
            "year": pa.Column("Int64", pa.Check.in_range(1990, 2100)),
            "assessor_team": pa.Column(str, nullable=True),
            "taxonomy_version": pa.Column(str, nullable=True),
            "source_file": pa.Column(str),
            "source_sha256": pa.Column(str, pa.Check.str_length(64, 64)),
        },
        unique=["assessment_id"],
        strict=True,
        name="assessment_info",
    )


SCHEMAS = {
    "assessment_info": assessment_info_schema,
    "capability_ratings": capability_ratings_schema,
    "gaps": gaps_schema,
    "recommendations": recommendations_schema,
}


def schema_errors(name: str, frame, ref: Reference) -> list[str]:
    """Every schema failure of ``frame`` as one readable line (empty when valid)."""
    from pandera.errors import SchemaErrors

    try:
        SCHEMAS[name](ref).validate(frame.reset_index(drop=True), lazy=True)
    except SchemaErrors as exc:
        fc = exc.failure_cases
        lines = []
        for row in fc.itertuples():
            where = f"row {row.index}" if row.index is not None and row.index == row.index \
                else "table"
            lines.append(f"{name}: {row.column or ''} {row.check} failed at {where}: "
                         f"{row.failure_case!r}".replace("  ", " "))
        return lines
    return []
