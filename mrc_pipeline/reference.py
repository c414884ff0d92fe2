"""Reference data shipped in ``data/reference``: sectors, capabilities, countries, scales."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from mrc_pipeline.labels import normalise_label

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PACKAGE_ROOT / "data"

#: The four rating variables, in report order, and the column that holds each.
VARIABLES: tuple[str, ...] = ("maturity", "priority", "presence", "change")

#: How each variable is named in figures and the report.
VARIABLE_NAMES: dict[str, str] = {"maturity": "Maturity", "priority": "Priority",
                                  "presence": "Presence", "change": "Realistic change"}


@dataclass(frozen=True)
class Reference:
    """Read-only view of the reference tables in one data folder."""

    data_dir: Path = DEFAULT_DATA_DIR

    def _read(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.data_dir / "reference" / name, keep_default_na=False)

    @cached_property
    def sectors(self) -> pd.DataFrame:
        return self._read("sectors.csv")

    @cached_property
    def capabilities(self) -> pd.DataFrame:
        return self._read("capabilities.csv")

    @cached_property
    def countries(self) -> pd.DataFrame:
        return self._read("countries.csv")

    @cached_property
    def regions(self) -> pd.DataFrame:
        return self._read("regions.csv")

    @cached_property
    def scales(self) -> pd.DataFrame:
        return self._read("scales.csv")

    @cached_property
    def scale_definitions(self) -> pd.DataFrame:
        return self._read("scale_definitions.csv").set_index("scale")

    @property
    def sector_order(self) -> list[str]:
        return self.sectors.sort_values("sector_no")["sector"].tolist()

    def scale_bounds(self, scale: str) -> tuple[int, int]:
        row = self.scale_definitions.loc[scale]
        return int(row["min"]), int(row["max"])

    def level_names(self, scale: str, language: str = "en") -> dict[int, str]:
        """First label of each level of a scale, in the given language."""
        rows = self.scales[(self.scales.scale == scale) & (self.scales.language == language)]
        return rows.drop_duplicates("level").set_index("level")["label"].to_dict()

    @cached_property
    def label_lookup(self) -> dict[str, dict[str, int]]:
        """Per scale: normalised label -> level."""
        out: dict[str, dict[str, int]] = {}
        for row in self.scales.itertuples():
            out.setdefault(row.scale, {})[normalise_label(row.label)] = int(row.level)
        return out

    @cached_property
    def sector_lookup(self) -> dict[str, str]:
        """Normalised English or Spanish sector name, or its number -> canonical name."""
        out: dict[str, str] = {}
        for row in self.sectors.itertuples():
            for name in (row.sector, row.sector_es, str(row.sector_no)):
                out[normalise_label(name)] = row.sector
            # Accept the comma-separated spelling used in the report's text too.
            out[normalise_label(row.sector.replace("Policy ", "Policy, "))] = row.sector
        return out

    @cached_property
    def capability_name(self) -> dict[int, str]:
        return dict(zip(self.capabilities.capability_no, self.capabilities.capability))

    @cached_property
    def capability_by_name(self) -> dict[str, int]:
        """Normalised capability name -> its number."""
        return {normalise_label(name): int(no) for no, name in self.capability_name.items()}

    @cached_property
    def capability_sector(self) -> dict[int, str]:
        return dict(zip(self.capabilities.capability_no, self.capabilities.sector))

    @cached_property
    def country_by_iso3(self) -> dict[str, dict[str, str]]:
        return self.countries.set_index("iso3").to_dict(orient="index")
