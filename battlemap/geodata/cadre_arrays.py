"""The embedded cadre engine's arrays, built once per data version and memory-mapped (issue 19).

:func:`build_cadre_arrays` reads the data dir's households, household years and cadre tables
into flat arrays without Python objects: numbers and row positions as numpy arrays, IDs and
names as Arrow string arrays, village codes as positions in a sorted vocabulary. The
engine (:class:`~battlemap.geodata.cadres_store.EmbeddedCadres`) keeps them as an array
bundle (:func:`~battlemap.geodata.embedded_cache.cached_bundle`), so the 23 M visits of a
2.3 M-household province are one set of pages in the page cache shared by every worker,
not ~2 GB of each worker's own memory.

Row orders (what ``frames`` relies on): households by village code, then ID; cadres by ID;
assignments and visits by household row (file order within one).
"""

from __future__ import annotations

import contextlib
import ctypes
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from battlemap.geodata.cadre_tables import VISIT_KINDS
from battlemap.geodata.datadir import read_table
from battlemap.geodata.mapped_text import text_array
from battlemap.geodata.parquet_file import read_parquet
from battlemap.geodata.schema import STATUS_EXITED, STATUS_POOR, STATUS_RETURNED

__all__ = ["ARRAYS_BUNDLE", "ARRAYS_FORMAT", "ARRAY_NAMES", "build_cadre_arrays",
           "give_back_memory"]  # fmt: skip

ARRAYS_BUNDLE = "cadre-arrays"  # the bundle's name in the cache dir
ARRAYS_FORMAT = 1  # bump when what the bundle holds or how it is built changes
STATUS_NAMES = (STATUS_POOR, STATUS_EXITED, STATUS_RETURNED)  # codes 0, 1, 2; −1 not registered
TEXT_COLUMNS = ("cadre_id", "name", "unit", "unit_level", "role", "village_code")
# the numpy arrays (the Arrow ones: hh_id and c_<text column>)
ARRAY_NAMES = (
    "villages", "hh_vil", "hh_lon", "hh_lat", "hh_rank", "status",
    "c_vil", "c_by_village", "c_vil_sorted", "c_start", "c_end",
    "a_cad", "a_hh", "a_start", "a_end",
    "v_id", "v_cad", "v_hh", "v_day", "v_lon", "v_lat", "v_kind", "v_foreign",
)  # fmt: skip


def _days(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """date32 → int64 day numbers, null → −1."""
    return pc.fill_null(column.cast(pa.int32()), -1).to_numpy().astype(np.int64)


def _positions(values: pa.ChunkedArray, value_set: pa.Array) -> np.ndarray:
    """int32 position of each value in ``value_set`` (−1: not there)."""
    found = pc.index_in(values.cast(pa.string()), value_set=value_set)
    return pc.fill_null(found, -1).to_numpy().astype(np.int32)


def _households(data_dir: Path, years: tuple[int, ...]) -> dict[str, object]:
    hh = read_parquet(data_dir / "households.parquet", ["hh_id", "village_code", "lon", "lat"])
    hh = hh.sort_by([("village_code", "ascending"), ("hh_id", "ascending")])
    hh_id = hh["hh_id"].combine_chunks().cast(pa.string())
    village = hh["village_code"].to_numpy().astype(str)
    out: dict[str, object] = {"hh_id": hh_id, "hh_village": village}
    out["hh_lon"], out["hh_lat"] = hh["lon"].to_numpy(), hh["lat"].to_numpy()
    del hh
    rank = np.empty(len(hh_id), dtype=np.int64)  # rank of the ID (orders a region's rows)
    rank[np.asarray(pc.sort_indices(hh_id))] = np.arange(len(hh_id))
    out["hh_rank"] = rank
    hy = read_parquet(data_dir / "household_years.parquet", ["hh_id", "year", "status"])
    idx = pc.index_in(hy["hh_id"].cast(pa.string()), value_set=hh_id)
    ok = pc.is_valid(idx).to_numpy(zero_copy_only=False)
    idx = pc.fill_null(idx, 0).to_numpy().astype(np.int64)
    year = hy["year"].to_numpy().astype(np.int64)
    status_text = hy["status"].cast(pa.string())
    code = np.full(len(hy), -1, dtype=np.int8)
    for i, name in enumerate(STATUS_NAMES):
        code[pc.equal(status_text, name).to_numpy(zero_copy_only=False)] = i
    del hy, status_text
    known = np.asarray(years, dtype=np.int64)
    ypos = np.clip(np.searchsorted(known, year), 0, len(known) - 1)
    ok &= known[ypos] == year
    status = np.full((len(hh_id), len(years)), -1, dtype=np.int8)
    status[idx[ok], ypos[ok]] = code[ok]
    out["status"] = status
    return out


def _visits(path: Path, hh_id: pa.Array, cad_ids: pa.Array) -> dict[str, np.ndarray]:
    """The visits whose cadre and household are known, ordered by household row; one
    column read at a time (the 23 M rows' strings are never all in memory at once)."""

    def column(name: str) -> pa.ChunkedArray:
        return read_parquet(path, [name])[name]

    v_hh = _positions(column("hh_id"), hh_id)
    v_cad = _positions(column("cadre_id"), cad_ids)
    rows = np.flatnonzero((v_hh >= 0) & (v_cad >= 0))
    rows = rows[np.argsort(v_hh[rows], kind="stable")]
    out = {"v_hh": v_hh[rows], "v_cad": v_cad[rows]}
    del v_hh, v_cad
    out["v_id"] = column("visit_id").to_numpy()[rows]
    out["v_day"] = _days(column("date"))[rows].astype(np.int32)
    out["v_lon"] = column("lon").to_numpy()[rows]
    out["v_lat"] = column("lat").to_numpy()[rows]
    kind = pc.index_in(column("kind"), value_set=pa.array(VISIT_KINDS))
    out["v_kind"] = pc.fill_null(kind, len(VISIT_KINDS) - 1).to_numpy()[rows].astype(np.int8)
    return out


def build_cadre_arrays(data_dir: Path, years: tuple[int, ...]) -> dict[str, object]:
    """Every array of the cadre engine (:data:`ARRAY_NAMES`, ``hh_id`` and the cadres'
    ``c_<column>`` texts), read from the data dir's tables."""
    out = _households(data_dir, years)
    hh_id, hh_village = out["hh_id"], out.pop("hh_village")

    cadres = read_table(data_dir, "cadres")
    cadres = cadres.sort_values("cadre_id", kind="stable").reset_index(drop=True)
    cad_ids = pa.array(cadres["cadre_id"].astype(str).to_numpy(), pa.string())
    c_village = cadres["village_code"].astype(str).to_numpy()
    for name in TEXT_COLUMNS:
        out[f"c_{name}"] = text_array(cadres[name].to_numpy(object))
    out["c_start"] = _days(pa.array(cadres["start_date"], pa.date32()))
    out["c_end"] = _days(pa.array(cadres["end_date"], pa.date32()))
    del cadres
    # village codes as positions in one sorted vocabulary (same order as the codes)
    first = np.r_[True, hh_village[1:] != hh_village[:-1]] if len(hh_village) else []
    villages = np.union1d(hh_village[first], c_village)
    out["villages"] = villages.astype(object)
    out["hh_vil"] = np.searchsorted(villages, hh_village).astype(np.int32)
    out["c_vil"] = np.searchsorted(villages, c_village).astype(np.int32)
    out["c_by_village"] = np.argsort(out["c_vil"], kind="stable")
    out["c_vil_sorted"] = out["c_vil"][out["c_by_village"]]
    del hh_village, c_village

    columns = ["cadre_id", "hh_id", "start_date", "end_date"]
    a = read_parquet(data_dir / "assignments.parquet", columns)
    a_cad, a_hh = _positions(a["cadre_id"], cad_ids), _positions(a["hh_id"], hh_id)
    rows = np.flatnonzero((a_cad >= 0) & (a_hh >= 0))
    rows = rows[np.argsort(a_hh[rows], kind="stable")]
    out["a_cad"], out["a_hh"] = a_cad[rows], a_hh[rows]
    out["a_start"], out["a_end"] = _days(a["start_date"])[rows], _days(a["end_date"])[rows]
    del a, a_cad, a_hh

    out.update(_visits(data_dir / "visits.parquet", hh_id, cad_ids))
    # visits by a cadre of another village than the household's (``frames`` adds them)
    hh_vil, c_vil = out["hh_vil"], out["c_vil"]
    out["v_foreign"] = np.flatnonzero(hh_vil[out["v_hh"]] != c_vil[out["v_cad"]])
    return out


def give_back_memory() -> None:
    """Return freed memory to the system after a build: Arrow's allocator and glibc keep
    freed pages (~2.5 GB after building the 2.3 M set's cadre arrays), which a worker would
    otherwise hold for its life."""
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)
