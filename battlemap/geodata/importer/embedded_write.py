"""Upsert imported households into the embedded store's parquet files (staged, then swapped).

Households are keyed by ``hh_id``, yearly rows by ``(hh_id, year)``. A row equal to the one
in the store counts as unchanged; when nothing is inserted or updated no file is written at
all, so re-importing the same file leaves the data dir byte for byte as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from battlemap.geodata import aggregate, partitions
from battlemap.geodata.datadir import AGGREGATES_FILE, MANIFEST_FILE, read_table, write_table
from battlemap.geodata.importer.atomic import DataDirTransaction
from battlemap.geodata.importer.keys import hh_ids, joint_codes, positions, year_keys
from battlemap.geodata.metrics import METRIC_NAMES
from battlemap.geodata.partitions import PARTITIONED_TABLES, part_name, part_path
from battlemap.geodata.regions import REGION_COLUMNS, RegionTree

__all__ = [
    "HOUSEHOLD_COMPARE",
    "YEAR_COMPARE",
    "Changes",
    "Upsert",
    "merge_into",
    "read_part",
    "rebuild_aggregates",
    "write_part",
]

StoredPart = tuple[pa.Table, pa.Table]  # households, household_years of one part
StoreSchemas = tuple[pa.Schema, pa.Schema]
Rewrite = tuple[bool, bool]  # per table: its part file must be written anew

# Columns that define "the same row" (geometry and H3 cells follow from lon/lat).
HOUSEHOLD_COMPARE = (
    "village_code",
    "lon",
    "lat",
    "size",
    "hh_type",
    "primary_cause",
    "secondary_causes",
    "registered_year",
    "head_name",
)
YEAR_COMPARE = (
    "status",
    "income_per_capita",
    "housing_safe",
    "no_dropout",
    "medical_insured",
    "pension_insured",
    "water_safe",
    "electricity",
    "relocated",
)


@dataclass
class Changes:
    """What an upsert does to one table."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)

    def as_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}


def _plain(array: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        array = pc.binary_join(array, "\x1f")
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    return array


def _equal(old: pa.Table, new: pa.Table, columns: tuple[str, ...]) -> np.ndarray:
    """Row-wise equality of aligned tables over ``columns`` (null equals null)."""
    same = np.ones(old.num_rows, dtype=bool)
    for name in columns:
        if name not in old.schema.names:
            same[:] = False
            continue
        a, b = _plain(old[name]), _plain(new[name]).cast(_plain(old[name]).type)
        both_null = pc.and_(pc.is_null(a), pc.is_null(b))
        eq = pc.or_(pc.fill_null(pc.equal(a, b), False), both_null)
        same &= eq.to_numpy(zero_copy_only=False)
    return same


def _match(new: pa.Table, old: pa.Table, old_ids: pa.ChunkedArray, with_year: bool) -> np.ndarray:
    """For each old row, the position of the new row with the same key; -1 when none.

    Only stored rows of households in ``new`` are keyed (a small update into a large store
    hashes the store's IDs once, not every key of it).
    """
    where = np.full(old.num_rows, -1, dtype=np.int64)
    if old.num_rows == 0 or new.num_rows == 0:
        return where
    candidates = np.flatnonzero(
        pc.is_in(old_ids, value_set=pc.unique(hh_ids(new))).to_numpy(zero_copy_only=False)
    )
    if not len(candidates):
        return where
    old = old.select(["hh_id", "year"] if with_year else ["hh_id"]).take(pa.array(candidates))
    new_hh, old_hh = joint_codes(new["hh_id"], old["hh_id"])
    if with_year:
        new_hh = year_keys(new_hh, new["year"].to_numpy())
        old_hh = year_keys(old_hh, old["year"].to_numpy())
    where[candidates] = positions(old_hh, new_hh)
    return where


def _target_schema(path: Path, fallback: pa.Schema) -> pa.Schema:
    """The file's schema without pandas metadata (keeps GeoParquet's ``geo``)."""
    schema = pq.read_schema(path) if path.exists() else fallback
    metadata = {k: v for k, v in (schema.metadata or {}).items() if k != b"pandas"}
    return schema.with_metadata(metadata)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` in ``schema``'s column order and types (status dictionaries decoded first)."""
    columns = []
    for field in schema:
        column = (
            table[field.name]
            if field.name in table.schema.names
            else pa.nulls(table.num_rows, field.type)
        )
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if pa.types.is_dictionary(field.type):
            column = pc.dictionary_encode(column.cast(field.type.value_type))
            column = column.cast(field.type)
        else:
            column = column.cast(field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


@dataclass
class Upsert:
    """One table's upsert: counts, the rows to insert and to update, the merged table, and
    the store's rows of the households the import touches (before it)."""

    changes: Changes
    inserts: pa.Table
    updates: pa.Table
    merged: pa.Table | None  # None when nothing changes
    before: pa.Table

    @property
    def rewrite(self) -> bool:
        """The table's file must be written anew (some row is inserted or updated)."""
        return self.changes.changed


@dataclass
class _Diff:
    """``new`` rows matched against the stored ``old`` rows by key."""

    old: pa.Table
    old_ids: pa.ChunkedArray  # ``old``'s IDs as large strings (matched twice)
    new: pa.Table
    with_year: bool
    where: np.ndarray  # per old row: position of the new row with its key, -1 when none
    is_new: np.ndarray  # per new row
    changed: np.ndarray  # per new row: replaces a stored row that differs
    same: int

    @classmethod
    def of(cls, old: pa.Table, new: pa.Table, with_year: bool, compare: tuple[str, ...]) -> _Diff:
        new = _conform(new, old.schema)
        old_ids = hh_ids(old)
        where = _match(new, old, old_ids, with_year)
        replaced = where >= 0
        same = _equal(old.filter(pa.array(replaced)), new.take(pa.array(where[replaced])), compare)
        is_new = np.ones(new.num_rows, dtype=bool)
        is_new[where[replaced]] = False
        changed = np.zeros(new.num_rows, dtype=bool)
        changed[where[replaced][~same]] = True
        return cls(old, old_ids, new, with_year, where, is_new, changed, int(same.sum()))

    def touched_ids(self) -> pa.ChunkedArray:
        """IDs of the households with an inserted or changed row."""
        return hh_ids(self.new).filter(pa.array(self.is_new | self.changed))

    def upsert(self, touched: pa.Array) -> Upsert:
        """Merge (sorted by key); ``before`` keeps the stored rows of ``touched``."""
        new, old = self.new, self.old
        changes = Changes(
            inserted=int(self.is_new.sum()), updated=int(self.changed.sum()), unchanged=self.same
        )
        inserts = new if self.is_new.all() else new.filter(pa.array(self.is_new))
        updates = new.filter(pa.array(self.changed)) if self.changed.any() else new.slice(0, 0)
        before = old.filter(pc.is_in(self.old_ids, value_set=touched)) if len(touched) else old[:0]
        self.old_ids = None  # type: ignore[assignment] - a copy as large as the IDs: free it
        if not changes.changed:
            return Upsert(changes, inserts, updates, None, before)
        sort = [("hh_id", "ascending")] + ([("year", "ascending")] if self.with_year else [])
        if old.num_rows == 0:
            return Upsert(changes, inserts, updates, new.sort_by(sort), before)
        self.old = None  # type: ignore[assignment]
        if not changes.inserted:  # updates only: rows replaced where they are, order kept
            index = np.arange(old.num_rows, dtype=np.int64)
            matched = self.where >= 0
            index[matched] = old.num_rows + self.where[matched]
            merged = pa.concat_tables([old, new]).take(pa.array(index))
        else:
            kept = old.filter(pa.array(self.where < 0))
            del old
            merged = pa.concat_tables([kept, new]).sort_by(sort)
        return Upsert(changes, inserts, updates, merged, before)


def _with_bbox(table: pa.Table) -> pa.Table:
    """GeoParquet metadata with the bbox of the merged points."""
    meta = dict(table.schema.metadata or {})
    if b"geo" not in meta or table.num_rows == 0:
        return table
    geo = json.loads(meta[b"geo"])
    column = geo.get("columns", {}).get(geo.get("primary_column", "geometry"))
    if column is not None:
        lon, lat = table["lon"], table["lat"]
        column["bbox"] = [
            pc.min(lon).as_py(),
            pc.min(lat).as_py(),
            pc.max(lon).as_py(),
            pc.max(lat).as_py(),
        ]
        column["geometry_types"] = ["Point"]
    meta[b"geo"] = json.dumps(geo).encode()
    return table.replace_schema_metadata(meta)


def read_part(data_dir: Path, part: int, fallback_schemas: StoreSchemas) -> StoredPart:
    """One part of both household tables, in the types the files have."""
    tables = []
    for table, fallback in zip(PARTITIONED_TABLES, fallback_schemas, strict=True):
        schema = _target_schema(part_path(data_dir, table, part), fallback)
        tables.append(partitions.read_part(data_dir, table, part).cast(schema))
    return tables[0], tables[1]


def merge_into(
    stored: StoredPart, households: pa.Table, household_years: pa.Table
) -> tuple[Upsert, Upsert, pa.Array]:
    """Upsert both household tables of one store part in memory; also the IDs of the
    touched households.

    When one table changes and the other does not, the other's ``merged`` is the stored
    table as it is; when neither changes both are None.
    """
    hh_diff = _Diff.of(stored[0], households, False, HOUSEHOLD_COMPARE)
    years_diff = _Diff.of(stored[1], household_years, True, YEAR_COMPARE)
    touched = pc.unique(
        pa.chunked_array(
            [*hh_diff.touched_ids().chunks, *years_diff.touched_ids().chunks], pa.large_string()
        )
    )
    hh, years = hh_diff.upsert(touched), years_diff.upsert(touched)
    if hh.merged is None and years.merged is None:
        return hh, years, touched
    if hh.merged is None:
        hh.merged = hh_diff.old
    if years.merged is None:
        years.merged = years_diff.old
    return hh, years, touched


def write_part(txn: DataDirTransaction, part: int, stored: StoredPart, rewrite: Rewrite) -> None:
    """Stage one part's household tables that changed (the other file stays as it is)."""
    for table, rows, changed in zip(PARTITIONED_TABLES, stored, rewrite, strict=True):
        if changed:
            rows = _with_bbox(rows) if table == "households" else rows
            pq.write_table(rows, txn.path(part_name(table, part)), compression="zstd")


def rebuild_aggregates(txn: DataDirTransaction, regions_dir: Path | None = None) -> None:
    """Recompute ``aggregates.parquet`` from the staged tables (the store's own function)."""
    from battlemap.geodata import embedded

    complete = txn.complete_dir()
    source = regions_dir or complete
    tree = RegionTree(read_table(source, "regions", list(REGION_COLUMNS)))
    manifest = json.loads((complete / MANIFEST_FILE).read_text(encoding="utf-8"))
    years = tuple(int(y) for y in manifest["years"])
    if tree.level_codes(5):
        embedded.build_aggregates(complete, tree, years)
    else:  # no villages yet (boundaries imported level by level): every count is zero
        zeros = np.zeros((len(tree.codes), len(years), len(METRIC_NAMES)), dtype=np.int64)
        write_table(complete, AGGREGATES_FILE, aggregate.to_frame(tree.codes, years, zeros))
    txn.path(AGGREGATES_FILE)  # swap the freshly written cache in too
