"""Rating cells: numbers, labels in English and Spanish, blanks, and errors."""

import datetime as dt

import pytest

from mrc_pipeline.labels import normalise_label, parse_rating


def parse(ref, value, scale="maturity"):
    return parse_rating(value, scale, ref.label_lookup[scale], ref.scale_bounds(scale))


@pytest.mark.parametrize("value, scale, level", [
    (3, "maturity", 3), (3.0, "maturity", 3), ("3 ", "maturity", 3),
    ("Construction", "maturity", 1), ("build", "maturity", 1),
    ("ENHANCEMENT", "maturity", 2), ("  Integración\u00a0", "maturity", 3),
    ("integracion", "maturity", 3), ("Madurez", "maturity", 4),
    ("Urgente", "priority", 5), ("harmful", "priority", 4),
    ("Wide", "presence", 4), ("Extensive", "presence", 4), ("débil", "presence", 2),
    ("Null", "change", 1), ("None", "change", 1), ("muy  alta", "change", 5),
])
def test_accepted_values(ref, value, scale, level):
    assert parse(ref, value, scale).level == level


@pytest.mark.parametrize("value", [None, "", "  ", "N/A", "n/a", "NA", "-", "No aplica"])
def test_not_rated_markers(ref, value):
    result = parse(ref, value)
    assert result.level is None and result.error is None


@pytest.mark.parametrize("value, fragment", [
    (0, "blank when not rated"), ("0", "blank when not rated"),
    ("2,5", "non-integer"), (2.5, "non-integer"), (5, "out of range"),
    ("Excellent", "unknown maturity label"), (dt.datetime(2024, 3, 1), "date"),
])
def test_errors(ref, value, fragment):
    result = parse(ref, value)
    assert result.level is None and fragment in result.error


def test_normalise_strips_accents_case_and_nbsp():
    assert normalise_label("\u00a0 Muy   ALTA ") == "muy alta"
    assert normalise_label("Construcción") == "construccion"
