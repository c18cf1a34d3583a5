"""Row checks of one chunk: every bad row gets reasons, good rows become normalized columns.

Checks that need only the row itself and the store run here, vectorized: low-cardinality
columns (codes, years, vocabularies) are parsed once per distinct value, the rest with
pyarrow kernels. Checks across rows (duplicates in the file, status sequences) run once at
the end in :mod:`.checks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from battlemap.geodata.importer.context import StoreContext
from battlemap.geodata.importer.crs import to_wgs84
from battlemap.geodata.importer.headers import (
    FIELD_BY_NAME,
    FIELDS,
    FLAG_FIELDS,
    HOUSEHOLD_MODE,
    YEAR_MODE,
    HeaderMap,
)
from battlemap.geodata.importer.parse import (
    Mapped,
    clean,
    int_or_none,
    is_null,
    map_values,
    parse_float,
)
from battlemap.geodata.importer.readers import RawChunk
from battlemap.geodata.importer.reasons import REASONS, reason_index
from battlemap.geodata.importer.vocab import (
    CAUSE_VALUES,
    FLAG_VALUES,
    HH_TYPE_VALUES,
    STATUS_VALUES,
    normalize_value,
    suggest_cause,
)
from battlemap.geodata.schema import HH_TYPES, STATUS_EXITED, STATUS_POOR, STATUS_RETURNED

__all__ = [
    "ID_PATTERN",
    "MAX_CELL_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_SIZE",
    "NORMALIZED_SCHEMA",
    "ChunkResult",
    "metres_outside",
    "validate_chunk",
]

ID_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z_\-]{3,39}$"
MAX_SIZE = 20
# Longest accepted cell, in characters: a name, and any other mapped column (codes, years,
# vocabularies and flags are far shorter; a longer cell is junk, never a value).
MAX_NAME_LENGTH = 50
MAX_CELL_LENGTH = 100
MAX_LENGTHS: dict[str, int] = {"head_name": MAX_NAME_LENGTH}
COORD_DECIMALS = 6
_M_PER_DEGREE = 111_320.0
_SECONDARY_SPLIT = re.compile(r"[;；,，、|/\s]+")
_INT_FIELDS = ("size", "registered_year", "year", "exit_year")

NORMALIZED_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("hh_id", pa.string()),
        ("village_code", pa.string()),
        ("lon", pa.float64()),
        ("lat", pa.float64()),
        ("size", pa.int16()),
        ("hh_type", pa.string()),
        ("primary_cause", pa.string()),
        ("secondary_causes", pa.list_(pa.string())),
        ("registered_year", pa.int16()),
        ("head_name", pa.string()),
        ("year", pa.int16()),  # household-year files
        ("exit_year", pa.int16()),  # household files (null = not exited)
        ("status", pa.string()),
        ("income_per_capita", pa.float64()),
        *((name, pa.bool_()) for name in FLAG_FIELDS),
    ]
)


@dataclass
class ChunkResult:
    """Normalized good rows and the rejected rows of one chunk."""

    good: pa.Table  # NORMALIZED_SCHEMA
    rejected: np.ndarray  # positions in the chunk
    reasons: list[str]
    details: list[str]
    blank: int


class _Problems:
    """Per-row reasons, in check order; details are built only for the affected rows."""

    def __init__(self, n: int) -> None:
        self.first = np.full(n, len(REASONS), dtype=np.int16)
        self.details: dict[int, list[str]] = {}

    def add(self, mask: np.ndarray, code: str, detail: Callable[[np.ndarray], list[str]]) -> None:
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        self.first[positions] = np.minimum(self.first[positions], reason_index(code))
        for pos, text in zip(positions.tolist(), detail(positions), strict=True):
            self.details.setdefault(pos, []).append(text)

    @property
    def bad(self) -> np.ndarray:
        return self.first < len(REASONS)


def _label(name: str) -> str:
    return f"{FIELD_BY_NAME[name].label} ({name})"


def _norm_code(text: str) -> str:
    text = text.strip()
    return text[:-2] if text.endswith(".0") else text


def _split_causes(text: str) -> tuple[str, ...] | None:
    names: list[str] = []
    for part in _SECONDARY_SPLIT.split(text):
        if not part:
            continue
        name = CAUSE_VALUES.get(normalize_value(part))
        if name is None:
            return None
        if name not in names:
            names.append(name)
    return tuple(names)


def _cause_detail(field: str, text: str) -> str:
    parts = [text] if field == "primary_cause" else [
        p for p in _SECONDARY_SPLIT.split(text)
        if p and normalize_value(p) not in CAUSE_VALUES
    ]  # fmt: skip
    out = []
    for part in parts:
        hint = suggest_cause(part)
        out.append(
            f"{_label(field)} {part!r} is not a known cause"
            + (f" (did you mean {hint}?)" if hint else "")
        )
    return "; ".join(out)


def _village_detail(text: str) -> str:
    code = _norm_code(text)
    if not re.fullmatch(r"\d{12}", code):
        return f"{_label('village_code')} {text!r} is not a 12-digit village code"
    if code.endswith("000"):
        return f"{code} is not a village code (its last 3 digits are 000)"
    return f"village code {code} is not in the store's regions"


def _first_of_runs(keys: list[np.ndarray]) -> np.ndarray:
    """True at the first row of each run of equal consecutive keys."""
    n = len(keys[0])
    new = np.ones(n, dtype=bool)
    if n > 1:
        same = np.ones(n - 1, dtype=bool)
        for key in keys:
            same &= key[1:] == key[:-1]
        new[1:] = ~same
    return new


def metres_outside(geom: shapely.Geometry, x: float, y: float) -> float:
    """Distance from a point to a polygon in metres (local equirectangular scale)."""
    scale = np.cos(np.radians(y))
    scaled = shapely.transform(geom, lambda c: c * np.array([scale, 1.0]))
    return float(shapely.distance(scaled, shapely.Point(x * scale, y))) * _M_PER_DEGREE


class _Chunk:
    """One chunk being validated: mapped columns, problems, and helpers for messages."""

    def __init__(self, chunk: RawChunk, header: HeaderMap) -> None:
        self.raw = chunk
        self.n = len(chunk)
        self.header = header
        self.columns = {name: chunk.columns[i] for name, i in header.columns.items()}
        self.problems = _Problems(self.n)
        present = np.zeros(self.n, dtype=bool)
        for array in self.columns.values():
            present |= pc.fill_null(pc.utf8_length(array), 0).to_numpy(zero_copy_only=False) > 0
        if chunk.lon is not None:
            present |= np.isfinite(chunk.lon)
        self.blank = ~present

    def text(self, name: str, positions: np.ndarray) -> list[str]:
        values = self.columns[name].take(pa.array(positions, pa.int64())).to_pylist()
        return [(v or "").strip() for v in values]

    def add(self, mask: np.ndarray, code: str, detail: Callable[[np.ndarray], list[str]]) -> None:
        self.problems.add(mask & ~self.blank, code, detail)

    def same(self, message: str) -> Callable[[np.ndarray], list[str]]:
        return lambda pos: [message] * len(pos)

    def values(
        self,
        name: str,
        mapper: Callable[[str], object],
        code: str,
        describe: Callable[[str], str],
        missing: object = None,
        many: Callable[[list[str]], list[object]] | None = None,
    ) -> Mapped:
        """Map a low-cardinality column; unknown values are flagged with ``code``.

        Unknown and empty cells both get ``missing`` in the mapped values.
        """
        if name not in self.columns:
            return Mapped.constant(self.n, missing)
        mapped = map_values(self.columns[name], mapper, missing, missing, many=many)
        self.add(mapped.unknown, code, lambda pos: [describe(v) for v in self.text(name, pos)])
        return mapped


def validate_chunk(
    chunk: RawChunk, header: HeaderMap, ctx: StoreContext, crs: str = "wgs84"
) -> ChunkResult:
    """Check every row of ``chunk``; see :data:`~.reasons.REASONS` for what is checked."""
    c = _Chunk(chunk, header)
    n = c.n
    gis_points = chunk.lon is not None

    # -- IDs -------------------------------------------------------------------------------
    hh = clean(c.columns["hh_id"])
    hh_missing = is_null(hh)
    c.add(hh_missing, "missing_id", c.same(f"missing {_label('hh_id')}"))
    id_ok = pc.fill_null(pc.match_substring_regex(hh, ID_PATTERN), True).to_numpy(
        zero_copy_only=False
    )

    def id_detail(pos: np.ndarray) -> list[str]:
        out = []
        for v in c.text("hh_id", pos):
            hint = (
                " (a number in scientific notation: format the ID column as text)"
                if (re.search(r"\d[eE][+-]?\d", v))
                else ""
            )
            out.append(f"household ID {v!r} is malformed{hint}")
        return out

    c.add(~id_ok, "malformed_id", id_detail)

    # -- lengths: a 20 MB name must not reach the store or every response of its village --
    for name, array in c.columns.items():
        limit = MAX_LENGTHS.get(name, MAX_CELL_LENGTH)
        lengths = pc.fill_null(pc.utf8_length(array), 0).to_numpy(zero_copy_only=False)
        c.add(
            lengths > limit,
            "too_long",
            lambda pos, name=name, limit=limit, lengths=lengths: [
                f"{_label(name)} has {int(lengths[i]):,} characters (at most {limit})" for i in pos
            ],
        )

    # -- required values -------------------------------------------------------------------
    empty: dict[str, np.ndarray] = {}
    ints: dict[str, np.ndarray] = {}
    for name in _INT_FIELDS:
        label = _label(name)
        mapped = c.values(
            name,
            int_or_none,
            "bad_number",
            lambda v, label=label: f"{label} {v!r} is not a whole number",
            0,
        )
        ints[name], empty[name] = mapped.numpy(np.int64), mapped.empty

    def village_indexes(texts: list[str]) -> list[int | None]:
        found = ctx.villages.get_indexer([_norm_code(t) for t in texts])
        return [None if i < 0 else int(i) for i in found.tolist()]

    mapped = c.values(
        "village_code", lambda _: None, "unknown_village", _village_detail, -1, many=village_indexes
    )
    village, empty["village_code"] = mapped.numpy(np.int64), mapped.empty
    floats: dict[str, np.ndarray] = {}
    for name in ("lon", "lat", "income_per_capita"):
        if name not in c.columns or (gis_points and name in ("lon", "lat")):
            continue
        values, bad = parse_float(clean(c.columns[name]))
        floats[name] = values
        empty[name] = np.isnan(values) & ~bad
        label = _label(name)
        c.add(
            bad,
            "bad_number",
            lambda pos, name=name, label=label: [
                f"{label} {v!r} is not a number" for v in c.text(name, pos)
            ],
        )
    for field in FIELDS:
        if header.mode not in field.required or field.name in ("hh_id", "exit_year"):
            continue  # (a blank 脱贫年度 means not exited)
        if field.name in ("lon", "lat") and gis_points:
            if field.name == "lon":
                c.add(~np.isfinite(chunk.lon), "missing_value", c.same("missing point geometry"))
            continue
        missing = empty.get(field.name)
        if missing is None:
            missing = is_null(clean(c.columns[field.name]))
        c.add(missing, "missing_value", c.same(f"missing {_label(field.name)}"))
    lon = chunk.lon if gis_points else floats["lon"]
    lat = chunk.lat if gis_points else floats["lat"]

    # -- ranges and vocabularies -----------------------------------------------------------
    size = ints["size"]
    c.add(
        ~empty["size"] & ((size < 1) | (size > MAX_SIZE)) & ~c.problems.bad,
        "size_out_of_range",
        lambda pos: [f"{_label('size')} {int(size[i])} is outside 1–{MAX_SIZE}" for i in pos],
    )
    hh_type = c.values(
        "hh_type",
        lambda v: HH_TYPE_VALUES.get(normalize_value(v)),
        "unknown_hh_type",
        lambda v: f"{_label('hh_type')} {v!r} is not one of {', '.join(HH_TYPES)}",
    )
    cause = c.values(
        "primary_cause",
        lambda v: CAUSE_VALUES.get(normalize_value(v)),
        "unknown_cause",
        lambda v: _cause_detail("primary_cause", v),
    )
    secondary = c.values(
        "secondary_causes",
        _split_causes,
        "unknown_cause",
        lambda v: _cause_detail("secondary_causes", v),
        missing=(),
    )
    status_col = c.values(
        "status",
        lambda v: STATUS_VALUES.get(normalize_value(v)),
        "unknown_status",
        lambda v: (
            f"{_label('status')} {v!r} is not one of {STATUS_POOR}, "
            f"{STATUS_EXITED}, {STATUS_RETURNED}"
        ),
    )
    status = status_col.values
    flags: dict[str, np.ndarray] = {}
    for name in FLAG_FIELDS:
        label = _label(name)
        flags[name] = c.values(
            name,
            lambda v: FLAG_VALUES.get(normalize_value(v)),
            "bad_flag",
            lambda v, label=label: f"{label} {v!r} is not 是/否 (yes/no)",
            False,
        ).numpy(bool)

    # -- years -----------------------------------------------------------------------------
    years = np.asarray(ctx.years)
    span = f"{ctx.years[0]}–{ctx.years[-1]}"
    parsed = {name: ~empty[name] & ~c.problems.bad for name in _INT_FIELDS}
    for name in ("registered_year", "year"):
        if name not in c.columns:
            continue
        values = ints[name]
        label = _label(name)
        c.add(
            parsed[name] & ~np.isin(values, years),
            "year_out_of_range",
            lambda pos, values=values, label=label: [
                f"{label} {int(values[i])} is outside the store's years {span}" for i in pos
            ],
        )
    registered = ints["registered_year"]
    exit_year = ints["exit_year"]
    has_exit = ~empty["exit_year"]
    if header.mode == YEAR_MODE:
        year = ints["year"]
        c.add(
            (year < registered) & np.isin(year, years) & np.isin(registered, years),
            "year_out_of_range",
            lambda pos: [
                f"year {int(year[i])} is before the registration year {int(registered[i])}"
                for i in pos
            ],
        )
    else:
        c.add(
            has_exit
            & (~np.isin(exit_year, years) | (exit_year < registered))
            & np.isin(registered, years),
            "year_out_of_range",
            lambda pos: [
                f"{_label('exit_year')} {int(exit_year[i])} is outside "
                f"{int(registered[i])}–{ctx.years[-1]}"
                for i in pos
            ],
        )
        if "status" in c.columns:
            clash = (
                ((status == STATUS_POOR) & has_exit)
                | ((status == STATUS_EXITED) & ~has_exit)
                | (status == STATUS_RETURNED)
            )
            c.add(
                clash,
                "status_sequence",
                lambda pos: [
                    f"status {status[i]} does not fit 脱贫年度 "
                    f"{int(exit_year[i]) if has_exit[i] else '(blank)'}"
                    + (
                        " (a return to poverty needs one row per year)"
                        if status[i] == STATUS_RETURNED
                        else ""
                    )
                    for i in pos
                ],
            )

    # -- points ----------------------------------------------------------------------------
    with np.errstate(invalid="ignore"):  # (a pair valid once swapped: checked below)
        out_of_range = ~c.problems.bad & (
            np.isinf(lon)
            | np.isinf(lat)
            | (np.abs(lon) > 180)
            | (np.abs(lat) > 180)
            | ((np.abs(lat) > 90) & (np.abs(lon) > 90))
        )
    c.add(
        out_of_range,
        "coordinates_out_of_range",
        lambda pos: [
            f"point ({lon[i]:g}, {lat[i]:g}) is not a longitude in −180…180 and a latitude "
            "in −90…90"
            for i in pos
        ],
    )
    lon_w = np.full(n, np.nan)
    lat_w = np.full(n, np.nan)
    rows = np.flatnonzero(
        ~c.problems.bad & ~c.blank & (village >= 0) & np.isfinite(lon) & np.isfinite(lat)
    )
    if len(rows):
        hh_codes = hh.dictionary_encode().indices.to_numpy(zero_copy_only=False)[rows]
        new = _first_of_runs([hh_codes, village[rows], lon[rows], lat[rows]])
        first = rows[new]
        run_of = np.cumsum(new) - 1  # run index of each checked row
        x, y = to_wgs84(lon[first], lat[first], crs)
        x, y = np.round(x, COORD_DECIMALS), np.round(y, COORD_DECIMALS)
        lon_w[rows], lat_w[rows] = x[run_of], y[run_of]
        geoms = ctx.village_geoms[village[first]]
        outside = np.flatnonzero(~shapely.contains_xy(geoms, x, y))
        found: dict[str, dict[int, str]] = {"swapped_lon_lat": {}, "outside_village": {}}
        if len(outside):
            swapped = shapely.contains_xy(geoms[outside], y[outside], x[outside])
            for k, is_swapped in zip(outside.tolist(), swapped.tolist(), strict=True):
                v = int(village[first[k]])
                point = f"point ({lon[first[k]]:g}, {lat[first[k]]:g})"
                if is_swapped:
                    found["swapped_lon_lat"][k] = (
                        f"{point} is outside village {ctx.village_label(v)}; with longitude "
                        "and latitude swapped it is inside"
                    )
                    continue
                metres = metres_outside(geoms[k], x[k], y[k])
                if metres <= ctx.tolerance_m:
                    continue
                hits = ctx.tree.query(shapely.Point(x[k], y[k]), predicate="within")
                where_now = (
                    f"; it lies in village {ctx.village_label(int(hits[0]))}" if len(hits) else ""
                )
                found["outside_village"][k] = (
                    f"{point} is {metres / 1000:.2f} km outside village {ctx.village_label(v)}"
                    f" (tolerance {ctx.tolerance_m:g} m){where_now}"
                )
        for code, by_run in found.items():
            if not by_run:
                continue
            in_run = np.zeros(len(first), dtype=bool)
            in_run[list(by_run)] = True
            mask = np.zeros(n, dtype=bool)
            mask[rows[in_run[run_of]]] = True
            c.add(
                mask,
                code,
                lambda pos, by_run=by_run: [
                    by_run[int(run_of[np.searchsorted(rows, i)])] for i in pos.tolist()
                ],
            )

    # -- result ----------------------------------------------------------------------------
    good = ~c.problems.bad & ~c.blank
    rejected = np.flatnonzero(c.problems.bad & ~c.blank)
    names = list(REASONS)
    reasons = [names[c.problems.first[i]] for i in rejected.tolist()]
    details = ["; ".join(c.problems.details[i]) for i in rejected.tolist()]
    table = _normalized(
        good,
        chunk.rows,
        hh,
        village,
        ctx,
        lon_w,
        lat_w,
        ints,
        empty,
        hh_type,
        cause,
        secondary,
        status_col,
        flags,
        floats.get("income_per_capita"),
        clean(c.columns["head_name"]) if "head_name" in c.columns else None,
        header.mode,
    )
    return ChunkResult(
        good=table, rejected=rejected, reasons=reasons, details=details, blank=int(c.blank.sum())
    )


def _normalized(
    good: np.ndarray,
    rows: np.ndarray,
    hh: pa.Array,
    village: np.ndarray,
    ctx: StoreContext,
    lon: np.ndarray,
    lat: np.ndarray,
    ints: dict[str, np.ndarray],
    empty: dict[str, np.ndarray],
    hh_type: Mapped,
    cause: Mapped,
    secondary: Mapped,
    status: Mapped,
    flags: dict[str, np.ndarray],
    income: np.ndarray | None,
    head_name: pa.Array | None,
    mode: str,
) -> pa.Table:
    """The good rows as a :data:`NORMALIZED_SCHEMA` table."""
    count = int(good.sum())
    mask = pa.array(good)

    def pick(values: np.ndarray, type_: pa.DataType) -> pa.Array:
        return pa.array(values[good], type_)

    def optional_int(name: str, wanted: str) -> pa.Array:
        if mode != wanted:
            return pa.nulls(count, pa.int16())
        return pa.array(ints[name][good], pa.int16(), mask=empty[name][good])

    def pick_mapped(values: Mapped, type_: pa.DataType) -> pa.Array:
        return pc.filter(values.arrow(type_), mask)

    return pa.table(
        {
            "row": pa.array(rows[good], pa.int64()),
            "hh_id": pc.filter(hh, mask),
            "village_code": pc.take(ctx.village_codes, pa.array(np.maximum(village, 0)[good])),
            "lon": pick(lon, pa.float64()),
            "lat": pick(lat, pa.float64()),
            "size": pick(ints["size"], pa.int16()),
            "hh_type": pick_mapped(hh_type, pa.string()),
            "primary_cause": pick_mapped(cause, pa.string()),
            "secondary_causes": pick_mapped(secondary, pa.list_(pa.string())),
            "registered_year": pick(ints["registered_year"], pa.int16()),
            "head_name": pa.nulls(count, pa.string())
            if head_name is None
            else pc.filter(head_name, mask),
            "year": optional_int("year", YEAR_MODE),
            "exit_year": optional_int("exit_year", HOUSEHOLD_MODE),
            "status": pick_mapped(status, pa.string()),
            "income_per_capita": pa.nulls(count, pa.float64())
            if income is None
            else pa.array(income[good], pa.float64(), mask=np.isnan(income[good])),
            **{name: pick(flags[name], pa.bool_()) for name in FLAG_FIELDS},
        },
        schema=NORMALIZED_SCHEMA,
    )
