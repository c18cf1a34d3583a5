"""The store interface: region-rooted counts per (region, year), two engines behind it.

Every query names a region code and a year, so per-user region scope can be enforced in
one place. Stores return integer counts (:data:`~battlemap.geodata.metrics.METRIC_NAMES`);
indicators turn them into ratios, identically for every engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from battlemap.geodata.errors import YearOutOfRangeError
from battlemap.geodata.regions import RegionInfo, RegionTree

__all__ = ["Counts", "Store", "open_store"]

Counts = dict[str, int]


class Store(ABC):
    """A read-only view of one data set: the region tree plus counts per region and year."""

    regions: RegionTree
    years: tuple[int, ...]

    def region(self, code: str | int) -> RegionInfo:
        return self.regions.get(code)

    def check_year(self, year: int) -> int:
        if year not in self.years:
            raise YearOutOfRangeError(
                f"year {year} is outside the data set's years {self.years[0]}–{self.years[-1]}"
            )
        return int(year)

    def counts(self, code: str | int, year: int) -> Counts:
        """All metrics of one region in one year."""
        info = self.region(code)
        return self._counts([info.code], self.check_year(year))[info.code]

    def children_counts(self, code: str | int, year: int) -> dict[str, Counts]:
        """All metrics of each child of a region in one year, keyed by child code."""
        children = self.regions.children(self.region(code).code)
        if not children:
            return {}
        return self._counts([c.code for c in children], self.check_year(year))

    def series(self, code: str | int) -> dict[int, Counts]:
        """All metrics of one region for every year (trend lines)."""
        info = self.region(code)
        return {year: self._counts([info.code], year)[info.code] for year in self.years}

    @abstractmethod
    def _counts(self, codes: list[str], year: int) -> dict[str, Counts]:
        """Counts for known codes in a valid year."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or memory."""


def open_store(
    kind: str = "embedded", *, data_dir: str | Path | None = None, dsn: str | None = None
) -> Store:
    """Open the embedded store on ``data_dir`` or the PostGIS store on ``dsn``."""
    if kind == "embedded":
        from battlemap.geodata.embedded import EmbeddedStore

        return EmbeddedStore(data_dir)
    if kind == "postgis":
        from battlemap.geodata.postgis import PostgisStore

        return PostgisStore(dsn)
    raise ValueError(f"unknown store {kind!r}: use 'embedded' or 'postgis'")
