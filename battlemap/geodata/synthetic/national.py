"""A national synthetic data set: several provinces under the root ``000000000000`` (全国).

Each province is generated on its own (:func:`~battlemap.geodata.synthetic.generate.generate`,
its share of the households and a seed drawn from ``[seed, province]``), then the DESIGN
tables are put together: the provinces' regions under a national root row (the union of
their outlines), the household tables part by part (a household's part depends only on its
ID, which carries its village code, so the parts of all provinces merge as they are), the
other tables appended. The counts are rolled up once more, now with the national row.
Generation grows linearly with the provinces: each is generated alone, and the merge reads
each file once. Only the DESIGN tables and the county assessments are merged (other tables'
IDs are per province); a one-province data set is unchanged by this module.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from battlemap.geodata.codes import NATIONAL_CODE, NATIONAL_NAME
from battlemap.geodata.datadir import (
    AGGREGATES_FILE,
    MANIFEST_FILE,
    holds_data,
    list_files,
    owner_only,
    read_manifest,
    read_table,
    seal_manifest,
    write_manifest,
    write_table,
)
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.metrics import metric_set
from battlemap.geodata.partitions import PARTITIONED_TABLES, PARTITIONS, part_name
from battlemap.geodata.regions import REGION_COLUMNS, RegionTree
from battlemap.geodata.schema import OPTIONAL_TABLE_FILES, REGION_TABLE_COLUMNS, TABLE_FILES
from battlemap.geodata.synthetic.config import GeneratorConfig

__all__ = ["generate_national", "province_seed", "split_households"]

_BUILD = ".national-build"
_COUNTED = ("households", "persons", "household_years", "relocations", "labour_flows")
_APPENDED = ("relocations", "labour_flows", "rural_population", "county_assessments")


def province_seed(seed: int, province: str) -> int:
    """The seed a province of a national set is generated with (its own, deterministic)."""
    return int(np.random.SeedSequence([seed, int(province)]).generate_state(1)[0])


def split_households(households: int, provinces: list[str]) -> dict[str, int]:
    """Households per province: an even split, the remainder to the first ones."""
    share, rest = divmod(households, len(provinces))
    return {p: share + (1 if i < rest else 0) for i, p in enumerate(provinces)}


def _regions(dirs: list[Path]) -> gpd.GeoDataFrame:
    frames = [read_table(d, "regions", geo=True) for d in dirs]
    regions = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    top = regions.level == 1
    regions.loc[top, "parent_code"] = NATIONAL_CODE
    outline = shapely.union_all(regions.geometry[top].to_numpy())
    if outline.geom_type == "Polygon":
        outline = shapely.MultiPolygon([outline])
    label = shapely.point_on_surface(outline)
    root = {
        "code": NATIONAL_CODE,
        "level": 0,
        "name": NATIONAL_NAME,
        "parent_code": None,
        "zone": regions.zone[top].iloc[0],
        "poverty_flag": False,
        "area_km2": float(regions.area_km2[top].sum()),
        "label_lon": shapely.get_x(label),
        "label_lat": shapely.get_y(label),
        "geometry": outline,
    }
    rows = pd.concat([gpd.GeoDataFrame([root], crs=regions.crs), regions], ignore_index=True)
    rows = gpd.GeoDataFrame(rows, geometry="geometry", crs=regions.crs)
    rows["level"] = rows.level.astype(regions.level.dtype)
    return rows[list(REGION_TABLE_COLUMNS)].sort_values("code").reset_index(drop=True)


def _concat(paths: list[Path]) -> pa.Table:
    tables = [pq.read_table(p) for p in paths if p.is_file()]
    return pa.concat_tables(tables, promote_options="default")


def generate_national(
    data_dir: str | Path,
    provinces: list[str],
    *,
    households: int = GeneratorConfig.households,
    seed: int = GeneratorConfig.seed,
    quiet: bool = False,
    force: bool = False,
) -> dict:
    """Write a national data set of ``provinces`` (2-digit codes) into ``data_dir``."""
    from battlemap.geodata.embedded import build_aggregates
    from battlemap.geodata.synthetic.generate import generate

    provinces = sorted(set(provinces))
    if len(provinces) < 2:
        raise DataDirError("a national data set needs two provinces or more")
    data_dir = Path(data_dir)
    present = holds_data(data_dir)
    if present and not force:
        raise DataDirError(
            f"{data_dir} already holds data ({', '.join(present[:3])}): pass --force to "
            "replace it, or choose a new or empty dir"
        )
    build = data_dir / _BUILD
    shares = split_households(households, provinces)
    with owner_only():
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(build, ignore_errors=True)
        dirs = []
        for province in provinces:
            config = GeneratorConfig(
                households=shares[province], seed=province_seed(seed, province), province=province
            )
            target = build / province
            generate(target, config, quiet=quiet)
            dirs.append(target)
        for stale in (MANIFEST_FILE, AGGREGATES_FILE):
            (data_dir / stale).unlink(missing_ok=True)
        write_table(data_dir, "regions", _regions(dirs))
        for table in PARTITIONED_TABLES:
            (data_dir / TABLE_FILES[table]).mkdir(exist_ok=True)
            for part in range(PARTITIONS):
                name = part_name(table, part)
                pq.write_table(
                    _concat([d / name for d in dirs]), data_dir / name, compression="zstd"
                )
        for table in _APPENDED:
            name = TABLE_FILES.get(table) or OPTIONAL_TABLE_FILES[table]
            if (dirs[0] / name).is_file():
                pq.write_table(_concat([d / name for d in dirs]), data_dir / name)
        manifests = [read_manifest(d) for d in dirs]
        shutil.rmtree(build)
        first = manifests[0]
        manifest = {
            "synthetic": True,
            "generator_version": first.get("generator_version"),
            "seed": seed,
            "province": NATIONAL_CODE,
            "provinces": {p: province_seed(seed, p) for p in provinces},
            "years": first["years"],
            "counts": _counts(manifests),
            "note": "Synthetic demo households (合成演示数据) inside real county boundaries, "
            f"{len(provinces)} provinces under a national root.",
            "generated_by_province": {
                p: m.get("generated") for p, m in zip(provinces, manifests, strict=True)
            },
        }
        write_manifest(data_dir, seal_manifest(manifest, list_files(data_dir)))
        tree = RegionTree(read_table(data_dir, "regions", list(REGION_COLUMNS)))
        years = tuple(int(y) for y in first["years"])
        build_aggregates(data_dir, tree, years, metric_set())
        manifest = seal_manifest(read_manifest(data_dir), list_files(data_dir))
        write_manifest(data_dir, manifest)
    return manifest


def _counts(manifests: list[dict]) -> dict:
    """The provinces' counts added up (and one national region)."""
    total: dict = {"regions": {"0": 1}}
    for manifest in manifests:
        for key, value in manifest["counts"].items():
            if key == "regions":
                for level, n in value.items():
                    total["regions"][level] = total["regions"].get(level, 0) + n
            elif key in _COUNTED:
                total[key] = total.get(key, 0) + value
    return total
