"""The store interface: region-rooted counts per (region, year), two engines behind it.

Every query names a region code and a year, so per-user region scope can be enforced in
one place. Stores return integer counts (:data:`~battlemap.geodata.metrics.METRIC_NAMES`);
indicators turn them into ratios, identically for every engine.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from battlemap.geodata.codes import PREFIX_LENGTHS
from battlemap.geodata.errors import BattlemapError, YearOutOfRangeError
from battlemap.geodata.features import (
    HEX_RESOLUTION,
    HEXBIN_COLUMNS,
    HOUSEHOLD_COLUMNS,
    LABOUR_COLUMNS,
    MET_COLUMNS,
    RELOCATION_COLUMNS,
    RegionShapes,
    UnitRows,
    build_shapes,
    code_range,
    hexbins_from_cells,
    origin_prefix_length,
)
from battlemap.geodata.regions import RegionInfo, RegionTree
from battlemap.lru import BoundedCache

if TYPE_CHECKING:
    from battlemap.geodata.metrics import MetricSet
    from battlemap.indicators.rules import ExitRules

__all__ = ["Counts", "CountyAssessment", "RegionStats", "Store", "open_store"]

Counts = dict[str, int]
SHAPES_CACHE_ENTRIES = 2048  # every prefecture and county, the townships in view
SHAPES_CACHE_BYTES = 128 * 1024 * 1024
SHAPES_WAIT_S = 2.0  # longest wait for another thread's build of the same shapes


@dataclass(frozen=True)
class CountyAssessment:
    """Third-party assessment of a county in a year (percent; None when not surveyed)."""

    code: str
    year: int
    satisfaction_pct: float | None
    missed_registration_pct: float | None


@dataclass(frozen=True)
class RegionStats:
    """Everything a stats call reads of one region and year, fetched together.

    ``series``: the region's counts in every year of the data set; ``children``: each
    child's counts in ``year``; ``parent``: the parent's counts in ``year`` (None for a
    province); ``assessment``: the region's county assessment in ``year``, if any.
    """

    code: str
    year: int
    series: dict[int, Counts]
    children: dict[str, Counts]
    parent: Counts | None
    assessment: CountyAssessment | None

    @property
    def counts(self) -> Counts:
        """The region's counts in ``year``."""
        return self.series[self.year]


class Store(ABC):
    """A read-only view of one data set: the region tree plus counts per region and year."""

    regions: RegionTree
    years: tuple[int, ...]
    metrics: MetricSet  # the metric definitions under the active exit rules
    # every query is a round trip to a server: readers fetch all years of a region at once
    batch_years: bool = False

    @property
    def rules(self) -> ExitRules:
        """The exit rules the store's rule-dependent counts were computed with."""
        return self.metrics.rules

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

    def counts_many(self, codes: list[str], year: int) -> dict[str, Counts]:
        """All metrics of several regions in one year (one query), keyed by 12-digit code."""
        full = [self.region(c).code for c in codes]
        if not full:
            return {}
        return self._counts(full, self.check_year(year))

    def counts_years(self, codes: list[str], years: list[int]) -> dict[int, dict[str, Counts]]:
        """All metrics of several regions in several years, keyed by year then code (one
        query on a database engine)."""
        full = [self.region(c).code for c in codes]
        checked = [self.check_year(y) for y in years]
        if not full:
            return {y: {} for y in checked}
        return self._counts_years(full, checked)

    def _counts_years(self, codes: list[str], years: list[int]) -> dict[int, dict[str, Counts]]:
        """Counts for known codes in valid years (engines with round trips override)."""
        return {year: self._counts(codes, year) for year in years}

    def region_stats(self, code: str | int, year: int) -> RegionStats:
        """The region's series, its children and parent in ``year`` and its assessment:
        what ``battlemap stats`` reads, in one query on a database engine."""
        info = self.region(code)
        year = self.check_year(year)
        children = [c.code for c in self.regions.children(info.code)]
        return self._region_stats(info.code, info.parent_code, children, year)

    def _region_stats(
        self, code: str, parent: str | None, children: list[str], year: int
    ) -> RegionStats:
        """RegionStats of a known region (engines with round trips override)."""
        return RegionStats(
            code=code,
            year=year,
            series={y: self._counts([code], y)[code] for y in self.years},
            children=self._counts(children, year) if children else {},
            parent=self._counts([parent], year)[parent] if parent else None,
            assessment=self._assessments([code], year).get(code),
        )

    def assessment(self, code: str | int, year: int) -> CountyAssessment | None:
        """The county's assessment in ``year``; None when the data set has none."""
        info = self.region(code)
        return self._assessments([info.code], self.check_year(year)).get(info.code)

    def assessments(self, codes: list[str], year: int) -> dict[str, CountyAssessment]:
        """Assessments of several counties in one year; codes without one are left out."""
        full = [self.region(c).code for c in codes]
        return self._assessments(full, self.check_year(year)) if full else {}

    def _assessments(self, codes: list[str], year: int) -> dict[str, CountyAssessment]:
        """Assessments of known codes in a valid year (engines override; default: none)."""
        return {}

    def series(self, code: str | int) -> dict[int, Counts]:
        """All metrics of one region for every year (trend lines)."""
        info = self.region(code)
        return {year: self._counts([info.code], year)[info.code] for year in self.years}

    @abstractmethod
    def _counts(self, codes: list[str], year: int) -> dict[str, Counts]:
        """Counts for known codes in a valid year."""

    # -- map features (region-rooted; engines fetch rows, features.py shapes them) -------
    def unit_shapes(self, code: str | int) -> RegionShapes:
        """Display boundaries of a region's map units: its children, or itself for a village.

        Simplified once per region (coverage simplification) and kept in a bounded LRU
        cache (:data:`SHAPES_CACHE_ENTRIES` regions, :data:`SHAPES_CACHE_BYTES` of GeoJSON).
        """
        info = self.region(code)
        cache: BoundedCache[RegionShapes] = self.__dict__.setdefault(
            "_shapes_cache",
            BoundedCache(SHAPES_CACHE_ENTRIES, SHAPES_CACHE_BYTES, lambda s: len(s.geojson)),
        )
        shapes = cache.get(info.code)
        if shapes is None:
            lock: threading.Lock = self.__dict__.setdefault("_shapes_lock", threading.Lock())
            # one thread builds while others wait for it, but never long: a build stuck on
            # a hung database must not queue every map request behind it
            locked = lock.acquire(timeout=SHAPES_WAIT_S)
            try:
                shapes = cache.get(info.code)
                if shapes is None:
                    units = [c.code for c in self.regions.children(info.code)] or [info.code]
                    shapes = build_shapes(info.code, self._unit_rows(units))
                    cache.put(info.code, shapes)
            finally:
                if locked:
                    lock.release()
        return shapes

    def households(self, code: str | int, year: int) -> pd.DataFrame:
        """Households under a region registered in ``year`` with that year's status.

        Columns :data:`~battlemap.geodata.features.HOUSEHOLD_COLUMNS`, ordered by village
        code then hh_id; ``met_<guarantee>`` says whether the household meets each guarantee
        in ``year`` under the store's exit rules (the radar's definition). ``head_name`` is
        raw: mask it before it leaves the server.
        """
        info = self.region(code)
        frame = self._households(*code_range(info.code), self.check_year(year))
        if list(frame.columns) != list(HOUSEHOLD_COLUMNS):
            frame = frame[list(HOUSEHOLD_COLUMNS)]
        wanted = {c: "object" for c in HOUSEHOLD_COLUMNS}
        wanted.update(lon="float64", lat="float64", size="int64")  # text stays plain object
        wanted.update(dict.fromkeys(MET_COLUMNS, "bool"))
        if any(str(frame[c].dtype) != t for c, t in wanted.items()):
            frame = frame.astype(wanted)
        keys = list(zip(frame["village_code"].tolist(), frame["hh_id"].tolist(), strict=True))
        if any(a > b for a, b in pairwise(keys)):  # engines usually return them sorted
            frame = frame.sort_values(["village_code", "hh_id"], kind="stable")
        return frame.reset_index(drop=True)

    def hexbins(self, code: str | int, year: int, resolution: int | None = None) -> pd.DataFrame:
        """Poor households and persons per H3 cell under a region in ``year``.

        ``resolution`` defaults to :data:`~battlemap.geodata.features.HEX_RESOLUTION` of the
        region's level; 0–7 aggregate the stored ``h3_r7`` cells, 8–9 the ``h3_r9`` cells.
        """
        info = self.region(code)
        res = HEX_RESOLUTION[info.level] if resolution is None else int(resolution)
        if not 0 <= res <= 9:
            raise BattlemapError(f"H3 resolution {res} is outside 0–9")
        source = 7 if res <= 7 else 9
        cells = self._hex_cells(*code_range(info.code), self.check_year(year), source)
        out = hexbins_from_cells(
            cells["cell"].to_numpy(),
            cells["poor_households"].to_numpy(),
            cells["poor_persons"].to_numpy(),
            res,
        )
        return out[list(HEXBIN_COLUMNS)]

    def relocation_flows(self, code: str | int, year: int) -> pd.DataFrame:
        """Relocated households/persons up to ``year`` from each unit of a region to each site.

        Columns :data:`~battlemap.geodata.features.RELOCATION_COLUMNS`; ``origin_code`` is the
        unit (child, or the village itself) the households moved from.
        """
        info = self.region(code)
        frame = self._relocation_flows(
            *code_range(info.code), self.check_year(year), origin_prefix_length(info.code)
        )
        return _tidy(
            frame, RELOCATION_COLUMNS, ["origin_code", "site_code"], ints=("households", "persons")
        )

    def labour_flows(self, code: str | int, year: int) -> pd.DataFrame:
        """Labour outflow in ``year`` from each county-or-higher unit of a region.

        Labour flows are recorded per county: a county shows its own flows, a township or
        village none. Columns :data:`~battlemap.geodata.features.LABOUR_COLUMNS`.
        """
        info = self.region(code)
        year = self.check_year(year)
        if info.level > 3:
            return pd.DataFrame({c: [] for c in LABOUR_COLUMNS}).astype(
                {"dest_lon": "float64", "dest_lat": "float64", "persons": "int64"}
            )
        length = min(origin_prefix_length(info.code), PREFIX_LENGTHS[3])
        frame = self._labour_flows(*code_range(info.code), year, length)
        return _tidy(frame, LABOUR_COLUMNS, ["origin_code", "destination_name"], ints=("persons",))

    @abstractmethod
    def _unit_rows(self, codes: list[str]) -> UnitRows:
        """Name, label point and full geometry (WKB) of known region codes."""

    @abstractmethod
    def _households(self, lo: str, hi: str, year: int) -> pd.DataFrame:
        """HOUSEHOLD_COLUMNS of households with village_code in [lo, hi] and a row in year."""

    @abstractmethod
    def _hex_cells(self, lo: str, hi: str, year: int, source: int) -> pd.DataFrame:
        """HEXBIN_COLUMNS grouped on the stored ``h3_r{source}`` cell, villages in [lo, hi]."""

    @abstractmethod
    def _relocation_flows(self, lo: str, hi: str, year: int, origin_len: int) -> pd.DataFrame:
        """RELOCATION_COLUMNS for relocations up to ``year`` from villages in [lo, hi].

        ``origin_code`` = the first ``origin_len`` digits of the village code, zero-padded;
        site coordinates are the minimum over the site's rows.
        """

    @abstractmethod
    def _labour_flows(self, lo: str, hi: str, year: int, origin_len: int) -> pd.DataFrame:
        """LABOUR_COLUMNS for flows in ``year`` from counties in [lo, hi] (minimum coords)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or memory."""


def _tidy(
    frame: pd.DataFrame, columns: tuple[str, ...], order: list[str], *, ints: tuple[str, ...]
) -> pd.DataFrame:
    """Columns in order, integer counts as int64, floats as float64, rows sorted by ``order``."""
    frame = frame[list(columns)].copy()
    for name in columns:
        if name in ints:
            frame[name] = frame[name].to_numpy(np.int64)
        elif name.endswith(("_lon", "_lat")):
            frame[name] = frame[name].to_numpy(np.float64)
        else:
            frame[name] = frame[name].astype(object)
    return frame.sort_values(order, kind="stable").reset_index(drop=True)


def open_store(
    kind: str = "embedded",
    *,
    data_dir: str | Path | None = None,
    dsn: str | None = None,
    rules: ExitRules | None = None,
    db_timeout_s: float | None = None,
    read_dsns: tuple[str, ...] = (),
) -> Store:
    """Open the embedded store on ``data_dir`` or the PostGIS store on ``dsn``.

    ``rules`` are the exit rules for the rule-dependent counts (default: ``load_rules()``,
    i.e. ``$BATTLEMAP_RULES`` or the shipped rules); ``db_timeout_s`` bounds PostGIS
    connects and statements (default 5 s); ``read_dsns``: replicas of ``dsn`` that PostGIS
    reads go to (``dsn`` stays the primary).
    """
    if kind == "embedded":
        from battlemap.geodata.embedded import EmbeddedStore

        return EmbeddedStore(data_dir, rules=rules)
    if kind == "postgis":
        from battlemap.geodata.postgis import PostgisStore

        return PostgisStore(dsn, rules=rules, timeout_s=db_timeout_s, read_dsns=read_dsns)
    raise ValueError(f"unknown store {kind!r}: use 'embedded' or 'postgis'")
