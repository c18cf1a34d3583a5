"""``battlemap generate``: a whole synthetic province data dir, deterministic by seed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from battlemap.geodata import aggregate
from battlemap.geodata.boundaries import load_province_boundaries, zone_of
from battlemap.geodata.cells import h3_cells
from battlemap.geodata.datadir import (
    AGGREGATES_FILE,
    holds_data,
    list_files,
    owner_only,
    seal_manifest,
    write_manifest,
    write_table,
)
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.journal import discard_pending
from battlemap.geodata.metrics import STATUS_CODES, metric_set
from battlemap.geodata.schema import CAUSES, EQUAL_AREA_CRS, HH_TYPES, REGION_TABLE_COLUMNS, YEARS
from battlemap.geodata.synthetic import (
    cadres,
    flows,
    funds,
    households,
    population,
    records,
    report,
)
from battlemap.geodata.synthetic.config import (
    GENERATOR_VERSION,
    RELOCATION_DESTINATIONS,
    GeneratorConfig,
)
from battlemap.geodata.synthetic.flags import poverty_flags
from battlemap.geodata.synthetic.names import person_names
from battlemap.geodata.synthetic.points import points_in_polygons
from battlemap.geodata.synthetic.subdivide import allocate, subdivide
from battlemap.indicators.rules import default_rules

__all__ = ["generate"]

_STATUS_NAMES = np.asarray(sorted(STATUS_CODES, key=STATUS_CODES.get))
ASSESSMENT_FROM = 2016  # third-party exit assessments (第三方评估) start


class _Progress:
    def __init__(self, quiet: bool) -> None:
        self.start = time.perf_counter()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(
                f"[{time.perf_counter() - self.start:6.1f}s] {message}", file=sys.stderr, flush=True
            )


def _seat_points(counties: pd.DataFrame) -> np.ndarray:
    """County label points, moved inside the polygon where they fall outside."""
    geoms = counties.geometry.to_numpy()
    x, y = counties.label_lon.to_numpy(float), counties.label_lat.to_numpy(float)
    inside = shapely.contains_xy(geoms, x, y)
    rep = shapely.point_on_surface(geoms)
    return np.column_stack(
        [np.where(inside, x, shapely.get_x(rep)), np.where(inside, y, shapely.get_y(rep))]
    )


def _regions(config: GeneratorConfig, rng: np.random.Generator, log: _Progress):
    upper = load_province_boundaries(config.province)
    counties = upper[upper.level == 3].reset_index(drop=True)
    seats = _seat_points(counties)
    county_area = shapely.area(counties.geometry.to_numpy())
    total_towns, total_villages = config.region_totals(len(counties))
    n_town = allocate(total_towns, county_area**0.5, min(4, total_towns // len(counties)))
    n_town = np.minimum(n_town, 300)
    towns = subdivide(
        counties,
        n_town,
        rng,
        first_codes=((100, 0.45), (200, 0.55)),
        suffixes=("镇", "乡"),
        seat_points=seats,
    )
    log(f"regions: {len(towns):,} townships in {len(counties)} counties")
    town_area = shapely.area(towns.geometry.to_numpy())
    n_village = allocate(total_villages, town_area**0.5, min(3, total_villages // len(towns)))
    villages = subdivide(
        towns, np.minimum(n_village, 200), rng, first_codes=((200, 1.0),), suffixes=("村",)
    )
    log(f"regions: {len(villages):,} villages")
    counties = counties.assign(seat_x=seats[:, 0], seat_y=seats[:, 1])
    return upper, counties, towns, villages


def _county_assessments(
    counties: pd.DataFrame, exit_year: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Third-party assessments per county, 2016–2020 (none before: those years say 无数据).

    Satisfaction (群众认可度) is lower in poorer counties and rises as the county's exit
    year nears, reaching 90 % by then; missed registration (漏评率) is usually well under
    2 %, occasionally above before the exit year, below from then on.
    """
    years = [y for y in YEARS if y >= ASSESSMENT_FROM]
    n = len(counties) * len(years)
    incidence = np.repeat(counties.incidence.to_numpy(float), len(years))
    exit_at = np.repeat(exit_year, len(years))
    year = np.tile(np.asarray(years), len(counties))
    to_go = np.clip((exit_at - year) / (YEARS[-1] - ASSESSMENT_FROM), 0, 1)
    satisfaction = rng.normal(97.0 - 40 * incidence * to_go, 2.0, n)
    satisfaction = np.where(to_go > 0, satisfaction, np.maximum(satisfaction, 90.5))
    satisfaction = np.clip(satisfaction, 70, 99.9)
    missed = np.clip(rng.gamma(2.0, 0.35, n), 0, 10)
    missed = np.where(to_go > 0, missed, np.minimum(missed, 1.9))
    return pd.DataFrame(
        {
            "code": np.repeat(counties.code.to_numpy(str), len(years)).astype(object),
            "year": np.tile(np.asarray(years, dtype=np.int16), len(counties)),
            "satisfaction_pct": np.round(satisfaction, 1),
            "missed_registration_pct": np.round(missed, 2),
        }
    )


def _hh_ids(village_codes: np.ndarray, village: np.ndarray) -> pa.Array:
    """16-digit household IDs: village code + 4-digit serial within the village."""
    start = np.searchsorted(village, np.arange(village.max() + 1))
    serial = np.arange(len(village)) - start[village] + 1
    serial_text = pc.utf8_lpad(pc.cast(pa.array(serial), pa.string()), 4, "0")
    codes = pa.array(village_codes).take(pa.array(village))
    return pc.binary_join_element_wise(codes, serial_text, "")


def generate(
    data_dir: str | Path,
    config: GeneratorConfig | None = None,
    *,
    quiet: bool = False,
    force: bool = False,
    **overrides,
) -> dict:
    """Write a synthetic province into ``data_dir`` (owner-only files); returns the manifest.

    A data dir that already holds data is refused unless ``force`` (then overwritten).
    """
    config = config or GeneratorConfig(**overrides)
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise DataDirError(f"{data_dir} is a file, not a data dir")
    present = holds_data(data_dir)
    if present and not force:
        raise DataDirError(
            f"{data_dir} already holds data ({', '.join(present[:3])}"
            f"{', …' if len(present) > 3 else ''}): generating would overwrite it; "
            "pass --force to replace it, or choose a new or empty dir"
        )
    with owner_only():
        data_dir.mkdir(parents=True, exist_ok=True)
        discard_pending(data_dir)  # (--force) an interrupted import must not finish over it
        return _generate(data_dir, config, _Progress(quiet))


def _generate(data_dir: Path, config: GeneratorConfig, log: _Progress) -> dict:
    seeds = np.random.SeedSequence(config.seed).spawn(5)
    region_rng, profile_rng, hh_rng, year_rng, flow_rng = (np.random.default_rng(s) for s in seeds)

    upper, counties, towns, villages = _regions(config, region_rng, log)
    capital = upper[upper.level == 2].sort_values("code").iloc[0]
    county_prof = population.county_profiles(
        counties,
        np.array([capital.label_lon, capital.label_lat]),
        config.trajectory[YEARS[0]] / 100,
        profile_rng,
    ).assign(seat_x=counties.seat_x, seat_y=counties.seat_y)
    village_prof = population.village_profiles(villages, county_prof, profile_rng)
    flag = poverty_flags(county_prof, village_prof, config.province)
    village_prof["flag"] = village_prof.code.map(flag).to_numpy(bool)
    village_prof["county_flag"] = village_prof.county.map(flag).to_numpy(bool)
    rules = default_rules()  # the shipped exit rules the paces are built around
    threshold = rules.county.max_incidence_pct[zone_of(counties.code.iloc[0])] / 100

    draw, pop_2014 = households.draw_households(village_prof, config, threshold, hh_rng)
    n = len(draw.size)
    log(f"households: {n:,} drawn, {int(draw.size.sum()):,} persons")
    owner, lon, lat = points_in_polygons(
        villages.geometry.to_numpy(), np.bincount(draw.village, minlength=len(villages)), hh_rng
    )
    assert np.array_equal(owner, draw.village)
    log("households: points placed inside their villages")
    h3_r7, h3_r9 = h3_cells(lat, lon)
    log("households: H3 cells (res 7, 9)")
    village_codes = villages.code.to_numpy()
    hh_id = _hh_ids(village_codes, draw.village)
    cause_names = np.asarray(CAUSES)
    secondary = [
        [cause_names[s] for s in pair if s >= 0]
        for pair in zip(draw.secondary[0].tolist(), draw.secondary[1].tolist(), strict=True)
    ]
    hh_frame = gpd.GeoDataFrame(
        {
            "hh_id": hh_id.to_numpy(zero_copy_only=False),
            "village_code": village_codes[draw.village],
            "lon": lon,
            "lat": lat,
            "size": draw.size,
            "hh_type": np.asarray(HH_TYPES)[draw.hh_type],
            "primary_cause": cause_names[draw.cause],
            "secondary_causes": secondary,
            "registered_year": draw.registered_year,
            "h3_r7": h3_r7,
            "h3_r9": h3_r9,
            "head_name": person_names(hh_rng, n),
        },
        geometry=shapely.points(lon, lat),
        crs=4326,
    )

    rows = records.household_years(draw, config, year_rng)
    log(f"household_years: {len(rows['hh']):,} rows")
    hy_frame = pd.DataFrame(
        {
            "hh_id": hh_id.take(pa.array(rows["hh"])).to_numpy(zero_copy_only=False),
            "year": rows["year"],
            "status": pd.Categorical.from_codes(rows["status"], categories=_STATUS_NAMES),
            **{k: v for k, v in rows.items() if k not in ("hh", "year", "status")},
        }
    )

    population_rows = households.rural_population_by_year(pop_2014)
    rural = pd.DataFrame(
        {
            "code": np.tile(village_codes, len(YEARS)),
            "year": np.repeat(np.asarray(YEARS, dtype=np.int16), len(village_codes)),
            "persons": np.concatenate([population_rows[y] for y in YEARS]),
        }
    )

    sites = flows.resettlement_sites(villages, county_prof)
    moved = np.nonzero(draw.relocation_year < households.NO_YEAR)[0]
    chosen = flows.relocation_targets(
        village_codes[draw.village[moved]], sites, RELOCATION_DESTINATIONS, flow_rng
    )
    relocations = pd.DataFrame(
        {
            "hh_id": hh_id.take(pa.array(moved)).to_numpy(zero_copy_only=False),
            "year": draw.relocation_year[moved],
            "from_village_code": village_codes[draw.village[moved]],
            "to_site_code": chosen.site_code.to_numpy(str),
            "to_lon": chosen.lon.to_numpy(float),
            "to_lat": chosen.lat.to_numpy(float),
            "persons": draw.size[moved],
        }
    )
    county_persons = (
        pd.Series(draw.size)
        .groupby(pd.Series(village_codes[draw.village]).str[:6].str.ljust(12, "0"))
        .sum()
    )
    labour = flows.labour_flows(
        county_persons, (capital["name"], capital.label_lon, capital.label_lat), flow_rng
    )
    log(f"flows: {len(relocations):,} relocated households, {len(labour):,} labour flow rows")

    regions = gpd.GeoDataFrame(
        pd.concat(
            [
                pd.DataFrame({c: upper[c].to_numpy() for c in towns.columns}),
                towns,
                villages,
            ],
            ignore_index=True,
        ),
        crs=4326,
    ).sort_values("code", ignore_index=True)
    regions["geometry"] = [
        shapely.multipolygons(shapely.get_parts(g)) for g in regions.geometry.to_numpy()
    ]
    regions["zone"] = regions.code.map(zone_of)
    regions["poverty_flag"] = regions.code.map(flag).fillna(False).astype(bool)
    regions["area_km2"] = regions.to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6
    label = shapely.point_on_surface(regions.geometry.to_numpy())
    regions["label_lon"], regions["label_lat"] = shapely.get_x(label), shapely.get_y(label)
    regions = regions[list(REGION_TABLE_COLUMNS)]

    county_exit = pd.Series(draw.county_exit_year, index=draw.county_codes)
    assessments = _county_assessments(
        county_prof,
        county_exit.reindex(county_prof.code).fillna(YEARS[0]).to_numpy(),
        np.random.default_rng(np.random.SeedSequence(config.seed).spawn(6)[5]),
    )  # a 6th stream: others unchanged

    cadre = cadres.cadre_tables(
        config.seed,
        hh_id,
        draw.village,
        village_codes,
        village_prof["flag"].to_numpy(bool),
        lon,
        lat,
        draw.registered_year,
        records.status_matrix(draw),
        YEARS,
        dict(zip(regions.code, regions.name, strict=True)),
    )  # its own stream: other tables unchanged
    log(f"cadres: {cadre.cadres.num_rows:,} cadres, {cadre.visits.num_rows:,} visits")

    fund = funds.funds_tables(
        config.seed,
        regions,
        hh_frame.hh_id.to_numpy(),
        hh_frame.village_code.to_numpy(),
        draw.size,
        rows,
        config.province,
    )  # its own stream [seed, 14]: other tables unchanged
    log(f"funds: {len(fund.projects):,} projects, {len(fund.fund_payments):,} payments")

    codes = regions.code.tolist()
    metrics = metric_set()  # the active exit rules, as the store will use them
    values = aggregate.aggregate_tables(codes, YEARS, hh_frame, hy_frame, rural, metrics)
    log("aggregates: per code prefix and year")

    write_table(data_dir, "regions", regions)
    write_table(data_dir, "households", hh_frame)
    write_table(data_dir, "household_years", hy_frame)
    write_table(data_dir, "relocations", relocations)
    write_table(data_dir, "labour_flows", labour)
    write_table(data_dir, "rural_population", rural)
    write_table(data_dir, "county_assessments", assessments)
    cadres.write_cadre_tables(data_dir, cadre)
    for name, table in fund.tables().items():
        write_table(data_dir, name, table)
    write_table(data_dir, AGGREGATES_FILE, aggregate.to_frame(codes, YEARS, values, metrics.digest))
    manifest = {
        "synthetic": True,
        "generator_version": GENERATOR_VERSION,
        "seed": config.seed,
        "province": config.province,
        "years": list(YEARS),
        "trajectory_pct": {str(k): v for k, v in config.trajectory.items()},
        "counts": {
            "regions": {str(lv): int((regions.level == lv).sum()) for lv in range(1, 6)},
            "households": n,
            "persons": int(draw.size.sum()),
            "household_years": len(hy_frame),
            "relocations": len(relocations),
            "labour_flows": len(labour),
            "cadres": cadre.cadres.num_rows,
            "assignments": cadre.assignments.num_rows,
            "visits": cadre.visits.num_rows,
        },
        "funds": funds.manifest_part(fund),  # counts and planted anomalies (issue 14)
        "cadre_problems": cadre.problems,  # planted (issue 15): what the checks must find
        "note": "Synthetic demo households (合成演示数据) inside real county boundaries.",
        "targets": config.targets(*(int((regions.level == lv).sum()) for lv in (4, 5))),
        "generated": report.measures(draw, rows, regions, rural, relocations, labour, rules),
    }
    write_manifest(data_dir, seal_manifest(manifest, list_files(data_dir)))
    log(f"written to {data_dir}")
    return manifest
