"""Generator invariants on the small session set, plus determinism and other provinces."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from battlemap.geodata.codes import code_level, parent_code
from battlemap.geodata.datadir import read_manifest
from battlemap.geodata.schema import CAUSES, TABLE_FILES, YEARS
from battlemap.geodata.synthetic.config import DEFAULT_TRAJECTORY, GeneratorConfig
from battlemap.geodata.synthetic.generate import generate
from tests.conftest import SMALL_HOUSEHOLDS


@pytest.fixture(scope="module")
def regions(small_data_dir: Path) -> gpd.GeoDataFrame:
    return gpd.read_parquet(small_data_dir / "regions.parquet")


@pytest.fixture(scope="module")
def households(small_data_dir: Path) -> gpd.GeoDataFrame:
    return gpd.read_parquet(small_data_dir / "households.parquet")


@pytest.fixture(scope="module")
def household_years(small_data_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(small_data_dir / "household_years.parquet")


def test_codes_valid_unique_and_parented(regions: gpd.GeoDataFrame) -> None:
    assert regions.code.is_unique
    levels = regions.code.map(code_level)
    assert (levels == regions.level).all()
    assert (
        regions.parent_code.fillna("").to_numpy()
        == regions.code.map(lambda c: parent_code(c) or "").to_numpy()
    ).all()
    assert set(regions.parent_code.dropna()) <= set(regions.code)


def test_township_and_village_code_ranges(regions: gpd.GeoDataFrame) -> None:
    towns = regions[regions.level == 4]
    part = towns.code.str[6:9].astype(int)
    assert part.between(100, 399).all()
    assert (towns.name.str.endswith("镇") == (part < 200)).all()
    assert (towns.name.str.endswith("乡") == (part >= 200)).all()
    villages = regions[regions.level == 5]
    assert villages.code.str[9:].astype(int).between(200, 399).all()
    assert villages.name.str.endswith("村").all()


def test_guizhou_scale(regions: gpd.GeoDataFrame) -> None:
    """Guizhou's townships; villages fewer than its 17,000 at 50,000 households (eight
    households per village on average, so no village is empty)."""
    counts = regions.level.value_counts()
    assert (counts[1], counts[2], counts[3]) == (1, 9, 88)
    assert 1400 <= counts[4] <= 1600
    assert counts[5] == SMALL_HOUSEHOLDS // 8
    assert GeneratorConfig().region_totals(88) == (1500, 17000)  # the 2.3 M default


@pytest.mark.parametrize("level", [4, 5])
def test_children_tile_their_parent(regions: gpd.GeoDataFrame, level: int) -> None:
    """No gaps: child areas sum to the parent's; no overlaps: pairwise overlap is ~0."""
    children = regions[regions.level == level]
    parents = regions.set_index("code").loc[children.parent_code.unique()]
    child_area = (
        pd.Series(shapely.area(children.geometry.to_numpy()))
        .groupby(children.parent_code.to_numpy())
        .sum()
    )
    parent_area = shapely.area(parents.geometry.to_numpy())
    np.testing.assert_allclose(child_area.loc[parents.index], parent_area, rtol=1e-6)
    pairs = gpd.sjoin(children, children, predicate="overlaps")
    pairs = pairs[pairs.index != pairs.index_right]
    overlap = shapely.area(
        shapely.intersection(
            children.geometry.loc[pairs.index].to_numpy(),
            children.geometry.loc[pairs.index_right].to_numpy(),
        )
    )
    assert overlap.sum() < 1e-9 * shapely.area(children.geometry.to_numpy()).sum()


def test_every_point_inside_its_village(regions, households) -> None:
    villages = regions.set_index("code").geometry
    geoms = villages.loc[households.village_code].to_numpy()
    assert shapely.contains_xy(geoms, households.lon.to_numpy(), households.lat.to_numpy()).all()
    assert households.hh_id.is_unique
    assert (households.hh_id.str[:12] == households.village_code).all()


def test_household_distributions(households: gpd.GeoDataFrame) -> None:
    assert len(households) == SMALL_HOUSEHOLDS
    assert 3.0 <= households["size"].mean() <= 3.3
    assert 0.40 <= (households.primary_cause == "因病").mean() <= 0.44
    assert set(households.primary_cause) <= set(CAUSES)
    assert 0.17 <= households.hh_type.isin(["低保户", "特困供养户"]).mean() <= 0.25
    assert all(len(s) <= 2 for s in households.secondary_causes)


def test_incidence_trajectory(embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    for year in YEARS:
        counts = embedded_store.counts(root, year)
        incidence = counts["poor_persons"] / counts["rural_population"] * 100
        assert incidence == pytest.approx(DEFAULT_TRAJECTORY[year], abs=0.1), year


def test_county_incidence_spread_and_remote_counties_poorer(embedded_store, regions) -> None:
    counties = regions[regions.level == 3].set_index("code")
    rates = (
        pd.Series(
            {
                code: (c := embedded_store.counts(code, 2014))["poor_persons"]
                / c["rural_population"]
                for code in counties.index
            }
        )
        * 100
    )
    assert 3 <= rates.min() <= 8 and 28 <= rates.max() <= 37
    capital = regions[regions.level == 2].sort_values("code").iloc[0]
    distance = np.hypot(
        counties.label_lon - capital.label_lon, counties.label_lat - capital.label_lat
    )
    assert rates.corr(distance, method="spearman") > 0.3


def test_status_consistency(household_years: pd.DataFrame, households) -> None:
    years = household_years.merge(households[["hh_id", "registered_year"]], on="hh_id")
    assert (years.year >= years.registered_year).all()
    assert set(household_years.status.astype(str)) <= {"未脱贫", "已脱贫", "返贫"}
    # 2020: nobody is still waiting to exit; a few households fell back that year
    last = household_years[household_years.year == 2020].status
    assert last.isin(["已脱贫", "返贫"]).all()
    assert 0 < (last == "返贫").mean() < 0.005
    ever_returned = household_years[household_years.status == "返贫"].hh_id.nunique()
    assert 0.01 < ever_returned / households.hh_id.nunique() < 0.06
    # exited households pass the four vetoes except a few wrong exits
    exited = household_years[household_years.status == "已脱贫"]
    vetoes_ok = exited.housing_safe & exited.no_dropout & exited.medical_insured
    assert 0.95 < vetoes_ok.mean() < 1.0


def test_relocations_and_flows(small_data_dir: Path, regions) -> None:
    relocations = pd.read_parquet(small_data_dir / "relocations.parquet")
    assert 0.15 <= len(relocations) / SMALL_HOUSEHOLDS <= 0.25  # Guizhou's scale
    # county-town and city sites: some in other counties (市州府所在地), most elsewhere
    # in their own county
    same_county = relocations.to_site_code.str[:6] == relocations.from_village_code.str[:6]
    assert 0.6 < same_county.mean() < 0.95
    assert relocations.to_site_code.isin(regions[regions.level == 5].code).all()
    flows = pd.read_parquet(small_data_dir / "labour_flows.parquet")
    assert flows.persons.gt(0).all()
    assert {"广州市", "深圳市"} <= set(flows.destination_name)


def test_manifest(small_data_dir: Path) -> None:
    manifest = read_manifest(small_data_dir)
    assert manifest["synthetic"] is True
    assert manifest["seed"] == 7
    assert manifest["counts"]["households"] == SMALL_HOUSEHOLDS


@pytest.fixture(scope="module")
def tiny_pair(tmp_path_factory) -> tuple[Path, Path, Path]:
    dirs = [tmp_path_factory.mktemp(n) for n in ("a", "b", "c")]
    for d, seed in zip(dirs, (3, 3, 4), strict=True):
        generate(d, households=3000, seed=seed, quiet=True)
    return dirs


@pytest.mark.parametrize("table", list(TABLE_FILES))
def test_deterministic_by_seed(tiny_pair, table: str) -> None:
    a, b, c = (pd.read_parquet(d / TABLE_FILES[table]) for d in tiny_pair)
    if "geometry" in a:
        a, b, c = (
            f.assign(geometry=shapely.to_wkb(gpd.GeoSeries.from_wkb(f.geometry))) for f in (a, b, c)
        )
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize("province", ["45", "53", "62"])
def test_other_provinces(tmp_path: Path, province: str) -> None:
    manifest = generate(tmp_path, households=2000, seed=1, province=province, quiet=True)
    regions = gpd.read_parquet(tmp_path / "regions.parquet")
    assert regions.code.str[:2].eq(province).all()
    assert manifest["counts"]["regions"]["3"] > 80
    assert regions[regions.level == 1].zone.iloc[0] == "west"
