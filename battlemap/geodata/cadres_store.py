"""Cadre data of a store (issue 15): counts per region and year, and a region's rows.

:func:`cadre_source` gives the engine for a store (embedded: arrays built from the data
dir's parquet on first use; PostGIS: :mod:`battlemap.geodata.postgis.cadres`), kept on the
store object so it is built once. A data dir or database without the cadre tables gives a
source whose ``has_data`` is False (the panels say 无数据, stats gives ``"cadres": null``).

Counts (:data:`~battlemap.indicators.cadres.CADRE_COUNT_NAMES`) are taken on 31 December:
cadres in post and helpers over the limit by the cadre's village, the others by the
household's village; the embedded engine computes them per village and year with the pure
functions of :mod:`battlemap.indicators.cadres` and sums them per code prefix, the PostGIS
engine with its own SQL, so the parity test compares two implementations.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from battlemap.geodata import aggregate
from battlemap.geodata.cache_prune import prune_superseded
from battlemap.geodata.cadre_arrays import (
    ARRAY_NAMES,
    ARRAYS_BUNDLE,
    ARRAYS_FORMAT,
    STATUS_NAMES,
    build_cadre_arrays,
    give_back_memory,
)
from battlemap.geodata.cadre_tables import CADRE_FILES, VISIT_KINDS
from battlemap.geodata.datadir import owner_only, read_manifest
from battlemap.geodata.embedded_cache import cache_root, cached_bundle
from battlemap.geodata.features import code_range
from battlemap.geodata.mapped_text import MappedText
from battlemap.geodata.metrics import MetricSet, metric_set, warning_categories
from battlemap.geodata.schema import POOR_STATUSES
from battlemap.geodata.sorted_bounds import bounds
from battlemap.indicators import cadres as ind
from battlemap.indicators.cadre_rules import CadreRules, default_cadre_rules
from battlemap.indicators.warning import WARNING_CATEGORIES

__all__ = ["CadreFrames", "CadreSource", "EmbeddedCadres", "cadre_source", "region_frames_empty"]

log = logging.getLogger(__name__)
# per-region counts, keyed by data version and rules: cache_root() / "cadres-<digest>/"
# (the array bundles' cache dir, never the data dir, which may be read-only)
CACHE_DIR = "cadres"
CACHE_FORMAT = 1
_STATUS = STATUS_NAMES  # codes 0, 1, 2; -1 not registered
_LOCK = threading.Lock()
_WARNING_NAMES = np.asarray([*WARNING_CATEGORIES, None], dtype=object)  # index −1: None

HOUSEHOLD_COLUMNS = ("hh_id", "village_code", "lon", "lat", "status", "prev_status", "warning")
CADRE_COLUMNS = ("cadre_id", "name", "unit", "unit_level", "role", "village_code",
                 "start_day", "end_day")  # fmt: skip
ASSIGNMENT_COLUMNS = ("cadre_id", "hh_id", "start_day", "end_day")
VISIT_COLUMNS = ("visit_id", "cadre_id", "hh_id", "day", "lon", "lat", "kind", "hh_lon",
                 "hh_lat", "hh_village_code")  # fmt: skip


@dataclass
class CadreFrames:
    """A region's rows for one year, sorted by their keys (identical across engines).

    ``households``: registered households of the region with the year's and the previous
    year's status (None when not registered) and ``warning``, the year's early-warning
    category (:data:`~battlemap.indicators.warning.WARNING_CATEGORIES`, None: not at risk;
    the store's ``warning_households_*`` definition); ``cadres``: cadres whose village is in the
    region; ``assignments``: rows of the region's households; ``visits``: visits dated in
    the year to the region's households or by the region's cadres, with the household's point.
    """

    households: pd.DataFrame
    cadres: pd.DataFrame
    assignments: pd.DataFrame
    visits: pd.DataFrame
    # optional: per assignment and visit row, (household row, cadre row) positions in the
    # households and cadres frames (−1: not there), so no ID join is needed
    positions: dict | None = None


def region_frames_empty() -> CadreFrames:
    """Frames with no rows (a store without cadre tables)."""
    return CadreFrames(
        *(pd.DataFrame({c: [] for c in cols}) for cols in
          (HOUSEHOLD_COLUMNS, CADRE_COLUMNS, ASSIGNMENT_COLUMNS, VISIT_COLUMNS))
    )  # fmt: skip


class CadreSource(ABC):
    """Cadre counts and rows of one store."""

    has_data: bool
    rules: CadreRules

    def counts(self, code: str, year: int) -> dict[str, int] | None:
        """The ``cadres`` stats object of a (known) region and year; None without data."""
        if not self.has_data:
            return None
        return self.counts_many([code], year)[code]

    @abstractmethod
    def counts_many(self, codes: list[str], year: int) -> dict[str, dict[str, int]]:
        """Counts of several known regions in one year."""

    @abstractmethod
    def frames(self, code: str, year: int) -> CadreFrames:
        """The region's rows for the year (:class:`CadreFrames`)."""


def cadre_source(store) -> CadreSource:
    """The cadre engine of ``store`` (built once per store object)."""
    source = store.__dict__.get("_cadre_source")
    if source is not None:
        return source
    with _LOCK:
        source = store.__dict__.get("_cadre_source")
        if source is None:
            rules = getattr(store.rules, "cadres", None) or default_cadre_rules()
            if hasattr(store, "data_dir"):
                source = EmbeddedCadres(
                    store.data_dir, store.regions.codes, store.years, rules, store.metrics
                )
            else:
                from battlemap.geodata.postgis.cadres import PostgisCadres

                source = PostgisCadres(store, rules)
            store.__dict__["_cadre_source"] = source
    return source


class EmbeddedCadres(CadreSource):
    """Cadre arrays memory-mapped from the cache dir (:mod:`.cadre_arrays`, shared by the
    workers), counts per village and year rolled up by code prefix."""

    def __init__(
        self,
        data_dir: Path,
        codes: list[str],
        years: tuple[int, ...],
        rules: CadreRules,
        metrics: MetricSet | None = None,
    ) -> None:
        self.data_dir, self.codes, self.years, self.rules = Path(data_dir), codes, years, rules
        self.metrics = metrics or metric_set()
        self._warning_lock = threading.Lock()
        self.has_data = all((self.data_dir / f).is_file() for f in CADRE_FILES.values())
        self._values: np.ndarray | None = None
        self._index = {c: i for i, c in enumerate(codes)}
        self._build_lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------------
    def _load(self) -> None:
        """The in-memory arrays (for a region's rows)."""
        if getattr(self, "hh_id", None) is not None:
            return
        with self._build_lock:
            if getattr(self, "hh_id", None) is None:
                self._build()

    def _counts_values(self) -> np.ndarray:
        """[region, year, count] from the cache file when it matches, else computed."""
        if self._values is None:
            with self._build_lock:
                if self._values is None:
                    self._values = self._cached()
        return self._values

    def _cache_path(self) -> Path | None:
        """The counts file in the cache dir; None when the data dir has no version."""
        manifest = read_manifest(self.data_dir)
        if not manifest.get("version"):
            return None
        key = json.dumps([manifest.get("version"), manifest.get("import_id"), self.years,
                          self.rules.not_visited_days, self.rules.max_households,
                          self.rules.far_checkin_m, len(self.codes), CACHE_FORMAT])  # fmt: skip
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        return cache_root() / f"{CACHE_DIR}-{digest}" / "counts.npy"

    def _cached(self) -> np.ndarray:
        path = self._cache_path()
        shape = (len(self.codes), len(self.years), len(ind.CADRE_COUNT_NAMES))
        try:
            values = np.load(path, allow_pickle=False) if path is not None else None
            if values is not None and values.shape == shape and values.dtype == np.int64:
                prune_superseded(path.parent, self.data_dir)
                return values
        except (OSError, ValueError):
            pass
        self._build_arrays_locked()
        values = self._aggregate()
        if path is None:
            return values
        try:
            with owner_only():
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                with open(tmp, "wb") as handle:
                    np.save(handle, values, allow_pickle=False)
                os.replace(tmp, path)
        except OSError as exc:  # a read-only or full cache dir: serve from memory
            log.warning("%s: cannot write the cadre counts cache: %s", path.parent, exc)
        prune_superseded(path.parent, self.data_dir)
        return values

    def _build_arrays_locked(self) -> None:
        if getattr(self, "hh_id", None) is None:
            self._build()

    def _build(self) -> None:
        """Map the arrays from their bundle in the cache dir (built once per data version,
        by one process while the others wait; a data dir without a version or an
        unwritable cache dir: built in this process's memory)."""
        manifest = read_manifest(self.data_dir)
        parts = (str(manifest.get("version") or ""), str(manifest.get("import_id")))
        parts += (repr(self.years), str(ARRAYS_FORMAT))
        built = []

        def build() -> dict[str, object]:
            built.append(True)
            return build_cadre_arrays(self.data_dir, self.years)

        bundle = cached_bundle(ARRAYS_BUNDLE, parts, build, source=self.data_dir)
        if built:  # the build's freed Arrow and numpy memory, back to the system
            give_back_memory()
        self._use(bundle)

    def _use(self, bundle: dict) -> None:
        """Set the arrays from a bundle (``hh_id`` last: readers check it without the lock)."""
        for name in ARRAY_NAMES:
            setattr(self, name, bundle[name])
        self.hh_text = MappedText(bundle["hh_id"])
        self.c_text = {c: MappedText(bundle[f"c_{c}"]) for c in CADRE_COLUMNS[:6]}
        self.hh_id = bundle["hh_id"]

    def _aggregate(self) -> np.ndarray:
        villages = aggregate.village_codes(self.codes)
        where = pd.Index(villages).get_indexer(self.villages)  # vocabulary -> village row
        hv, cv = where[self.hh_vil], where[self.c_vil]
        nv, n = len(villages), len(self.hh_id)
        out = np.zeros((nv, len(self.years), len(ind.CADRE_COUNT_NAMES)), dtype=np.int64)

        def add(k: int, m: int, where: np.ndarray, mask: np.ndarray) -> None:
            sel = mask & (where >= 0)
            out[:, k, m] += np.bincount(where[sel], minlength=nv)

        far = ind.haversine_m(
            self.v_lon, self.v_lat, self.hh_lon[self.v_hh], self.hh_lat[self.v_hh]
        ) > self.rules.far_checkin_m  # fmt: skip
        v_village = hv[self.v_hh]
        for k, year in enumerate(self.years):
            day = ind.year_end_day(year)
            poor = np.isin(self.status[:, k], (0, 2))
            helped = ind.covered(n, self.a_hh, self.a_start, self.a_end, day)
            recent = np.zeros(n, dtype=bool)
            window = (self.v_day > day - self.rules.not_visited_days) & (self.v_day <= day)
            recent[self.v_hh[window]] = True
            loads = ind.helper_loads(len(self.c_start), self.a_cad, self.a_start, self.a_end, day)
            in_year = (self.v_day >= ind.year_start_day(year)) & (self.v_day <= day)
            add(k, 0, cv, ind.active_on(self.c_start, self.c_end, day))
            add(k, 1, hv, poor)
            add(k, 2, hv, poor & ~helped)
            add(k, 3, cv, loads > self.rules.max_households)
            add(k, 4, hv, poor & ~recent)
            add(k, 5, v_village, in_year)
            add(k, 6, v_village, in_year & far)
        return aggregate.roll_up(self.codes, villages, out)

    def _warnings(self) -> np.ndarray:
        """int8 [household, year]: index into WARNING_CATEGORIES of each household's
        early-warning category (−1: none), rows in the order of the cadre arrays.

        Computed a household part at a time by the path of the store's own counts
        (``household_year_arrays``, then the ``warning_households_*`` masks via
        :func:`~battlemap.geodata.metrics.warning_categories`), so it sums to the store's
        warning counts; kept as an array bundle in the cache dir (shared by workers,
        rebuilt for a new data version or other exit rules)."""
        self._load()
        found = getattr(self, "_warning_matrix", None)
        if found is not None:
            return found
        with self._warning_lock:
            found = getattr(self, "_warning_matrix", None)
            if found is None:
                version = str(read_manifest(self.data_dir).get("version") or "")
                parts = (version, self.metrics.digest, repr(self.years))
                bundle = cached_bundle(
                    "cadre-warnings", parts, self._build_warnings, source=self.data_dir
                )
                found = self._warning_matrix = bundle["category"]
        return found

    def _build_warnings(self) -> dict[str, np.ndarray]:
        from battlemap.geodata.embedded import household_files, present_columns, read_frame

        d = self.data_dir
        hh_columns = present_columns(d, "households", aggregate.HOUSEHOLD_YEAR_HH_COLUMNS)
        hy_columns = present_columns(d, "household_years", aggregate.HOUSEHOLD_YEAR_COLUMNS)
        years = pd.Index(self.years)
        ids, parts = [], []
        for hh_file, hy_file in household_files(d):
            households = read_frame(hh_file, hh_columns)
            household_years = read_frame(hy_file, hy_columns)
            part = np.full((len(households), len(years)), -1, dtype=np.int8)
            if len(household_years):
                rows, row_hh = aggregate.household_year_arrays(households, household_years)
                column = years.get_indexer(household_years["year"])
                ok = column >= 0
                part[row_hh[ok], column[ok]] = warning_categories(rows, self.metrics)[ok]
            hh_ids = pa.array(households["hh_id"], pa.string(), from_pandas=True)
            # a part of several row groups reads as a ChunkedArray (the 2.3 M set's do)
            ids.extend(hh_ids.chunks if isinstance(hh_ids, pa.ChunkedArray) else [hh_ids])
            parts.append(part)
        matrix = np.concatenate(parts) if parts else np.zeros((0, len(years)), np.int8)
        where = pc.index_in(
            self.hh_id, value_set=pa.concat_arrays(ids) if ids else pa.array([], pa.string())
        )
        where = pc.fill_null(where, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        out = np.full((len(where), len(years)), -1, dtype=np.int8)
        out[where >= 0] = matrix[where[where >= 0]]
        return {"category": out}

    # -- queries ---------------------------------------------------------------------------
    def counts_many(self, codes: list[str], year: int) -> dict[str, dict[str, int]]:
        if not self.has_data:
            return {}
        values = self._counts_values()
        k = self.years.index(int(year))
        rows = values[[self._index[c] for c in codes], k]
        return {
            c: dict(zip(ind.CADRE_COUNT_NAMES, row.tolist(), strict=True))
            for c, row in zip(codes, rows, strict=True)
        }

    def frames(self, code: str, year: int) -> CadreFrames:
        if not self.has_data:
            return region_frames_empty()
        self._load()
        lo, hi = code_range(code)
        k = self.years.index(int(year))
        # the region's villages: a run of the (sorted) vocabulary, then of the sorted rows
        v_lo = np.searchsorted(self.villages, lo, side="left")
        v_hi = np.searchsorted(self.villages, hi, side="right")
        h0, h1 = (int(i) for i in bounds(self.hh_vil, (v_lo, v_hi)))
        in_h = np.zeros(len(self.hh_id), dtype=bool)
        in_h[h0:h1] = self.status[h0:h1, k] >= 0
        rows = h0 + np.nonzero(in_h[h0:h1])[0]
        span_pos = np.full(h1 - h0, -1, dtype=np.int64)  # household row -> frame row
        span_pos[rows - h0] = np.arange(len(rows))
        names = np.asarray([*_STATUS, None], dtype=object)
        prev = self.status[rows, k - 1] if k > 0 else np.full(len(rows), -1)
        c0, c1 = bounds(self.c_vil_sorted, (v_lo, v_hi))
        in_c = np.zeros(len(self.c_vil), dtype=bool)
        in_c[self.c_by_village[c0:c1]] = True
        c_rows = np.nonzero(in_c)[0]
        c_pos = np.full(len(in_c), -1, dtype=np.int64)
        c_pos[c_rows] = np.arange(len(c_rows))
        a0, a1 = bounds(self.a_hh, (h0, h1))  # assignments by household row
        a = a0 + np.nonzero(in_h[self.a_hh[a0:a1]])[0]
        a = a[_assignment_order(self.hh_rank[self.a_hh[a]], self.a_start[a], self.a_cad[a])]
        first, last = ind.year_start_day(year), ind.year_end_day(year)
        # a visit of the region is to one of its households (one slice of the visits) or by
        # one of its cadres: to a household of the cadre's village (the same slice) or not
        v0, v1 = bounds(self.v_hh, (h0, h1))
        foreign = self.v_foreign[(self.v_foreign < v0) | (self.v_foreign >= v1)]
        v = np.concatenate([np.arange(v0, v1), foreign])
        in_v = (self.v_day[v] >= first) & (self.v_day[v] <= last)
        v = v[in_v & (in_h[self.v_hh[v]] | in_c[self.v_cad[v]])]
        v = v[np.argsort(self.v_id[v], kind="stable")]
        # text from the mapped Arrow columns: each household's and cadre's ID made once
        a_hh, a_cad, v_hh, v_cad = self.a_hh[a], self.a_cad[a], self.v_hh[v], self.v_cad[v]
        hh_ids, a_hh_ids, v_hh_ids = self.hh_text.take_many(rows, a_hh, v_hh)
        c_ids, a_c_ids, v_c_ids = self.c_text["cadre_id"].take_many(c_rows, a_cad, v_cad)
        households = _frame(
            hh_id=hh_ids,
            village_code=self.villages[self.hh_vil[rows]],
            lon=self.hh_lon[rows],
            lat=self.hh_lat[rows],
            status=names[self.status[rows, k]],
            prev_status=names[prev],
            warning=_WARNING_NAMES[self._warnings()[rows, k]],
        )
        cadres = _frame(
            cadre_id=c_ids,
            **{name: self.c_text[name].take(c_rows) for name in CADRE_COLUMNS[1:6]},
            start_day=self.c_start[c_rows],
            end_day=self.c_end[c_rows],
        )
        assignments = _frame(
            cadre_id=a_c_ids,
            hh_id=a_hh_ids,
            start_day=self.a_start[a],
            end_day=self.a_end[a],
        )  # ordered by hh_id, start, cadre_id (the hh_id and cadre_id ranks)
        visits = _frame(
            visit_id=self.v_id[v].astype(np.int64),
            cadre_id=v_c_ids,
            hh_id=v_hh_ids,
            day=self.v_day[v].astype(np.int64),
            lon=self.v_lon[v],
            lat=self.v_lat[v],
            kind=np.asarray(VISIT_KINDS, dtype=object)[self.v_kind[v]],
            hh_lon=self.hh_lon[v_hh],
            hh_lat=self.hh_lat[v_hh],
            hh_village_code=self.villages[self.hh_vil[v_hh]],
        )
        # row positions (no string joins needed); an engine without them is joined by ID
        positions = {
            "assignments": (_positions(span_pos, h0, a_hh), c_pos[a_cad]),
            "visits": (_positions(span_pos, h0, v_hh), c_pos[v_cad]),
        }
        return CadreFrames(households, cadres, assignments, visits, positions)


def _positions(span_pos: np.ndarray, start: int, rows: np.ndarray) -> np.ndarray:
    """Frame rows of household ``rows`` (−1: outside the region), from the positions of
    the region's span of rows (not an array over all households: a request's memory
    stays the size of its region)."""
    at = rows.astype(np.int64) - start
    inside = (at >= 0) & (at < len(span_pos))
    out = np.full(len(rows), -1, dtype=np.int64)
    out[inside] = span_pos[at[inside]]
    return out


def _assignment_order(hh_rank: np.ndarray, start: np.ndarray, cadre: np.ndarray) -> np.ndarray:
    """Order by household ID, start day, cadre ID: one stable integer sort when the combined
    key fits in 63 bits (it does for any province), else a lexsort."""
    if not len(start):
        return np.arange(0)
    hh_rank = hh_rank.astype(np.int64, copy=False)  # the key below needs 64 bits
    days = int(start.max() - start.min()) + 1
    cadres = int(cadre.max()) + 1
    if (int(hh_rank.max()) + 1) * days * cadres < 2**62:
        key = (hh_rank * days + (start - start.min())) * cadres + cadre
        return np.argsort(key, kind="stable")
    return np.lexsort((cadre, start, hh_rank))


def _frame(**columns: np.ndarray) -> pd.DataFrame:
    """A frame of numpy columns; text stays plain ``object`` (as the PostGIS engine's)."""
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object if values.dtype == object else values.dtype)
            for name, values in columns.items()
        }
    )


def poor_statuses() -> tuple[str, ...]:
    """Statuses counted poor at year end (未脱贫, 返贫)."""
    return POOR_STATUSES


def cadre_counts(store, code: str | int, year: int) -> dict[str, int] | None:
    """``battlemap stats``' ``cadres`` object for a region and year (None: no cadre data)."""
    info = store.region(code)
    return cadre_source(store).counts(info.code, store.check_year(year))
