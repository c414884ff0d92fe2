"""The shipped data reproduce the report's figures that the issue names."""

import pandas as pd
import pytest

from mrc_pipeline import audit, published
from mrc_pipeline.reference import DEFAULT_DATA_DIR


@pytest.fixture(scope="module")
def comparison(shipped, ref) -> pd.DataFrame:
    computed = audit.computed_tables(shipped, shipped["info"], ref)
    return published.compare(published.load_published(DEFAULT_DATA_DIR), computed)


def equal(frame: pd.DataFrame) -> int:
    return int(frame["equal_at_published_precision"].sum())


def test_table_4_all_40_numbers(comparison):
    t4 = comparison[comparison.table == "Table 4 maturity by capability"]
    assert (len(t4), equal(t4)) == (40, 40)


def test_policy_sector_row(comparison):
    policy = comparison[(comparison.table == "Table 3 maturity by sector")
                        & (comparison.row == "Policy Legislation and Governance")]
    assert policy.set_index("statistic")["published"].to_dict() == {"mean": 2.32, "sd": 0.57}
    assert equal(policy) == 2


def test_six_country_means(comparison):
    countries = comparison[comparison.table == "Country maturity means (text)"]
    reproduced = set(countries[countries.equal_at_published_precision]["row"])
    assert reproduced == {"Indonesia", "Colombia", "Kenya", "Honduras", "El Salvador",
                          "Guatemala"}


def test_regional_maturity_at_least_19_of_20(comparison):
    reg = comparison[(comparison.table == "Regional summary")
                     & comparison.row.str.contains(" maturity ")]
    assert len(reg) == 20
    # America overall mean is 1.979 against a published 1.97: the one known miss.
    assert equal(reg) == 19


def test_correlation_change_reproduced_at_66_cells(comparison):
    corr = comparison[comparison.table == "Correlations"].set_index("row")
    change = corr.loc["maturity vs realistic level of change"]
    assert change["equal_at_published_precision"] and "n = 66" in change["note"]
