"""Cadre counts and rows (issue 15): both stores agree, an independent pandas recount from
the parquet files agrees, the planted problems are counted and nothing else, and a data
dir without cadre tables opens with no cadre data."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from battlemap.geodata.cadres_store import cadre_counts, cadre_source
from battlemap.geodata.datadir import read_manifest, record_files
from battlemap.geodata.embedded import EmbeddedStore

PROVINCE = "520000000000"


def _some_codes(store) -> list[str]:
    county = store.regions.children(store.regions.children(PROVINCE)[0].code)[0]
    town = store.regions.children(county.code)[0]
    village = store.regions.children(town.code)[0]
    return [PROVINCE, county.code, town.code, village.code]


def test_counts_agree_between_stores(embedded_store, postgis_store) -> None:
    codes = _some_codes(embedded_store)
    for year in embedded_store.years:
        got = cadre_source(postgis_store).counts_many(codes, year)
        assert got == cadre_source(embedded_store).counts_many(codes, year), year


def test_rows_agree_between_stores(embedded_store, postgis_store) -> None:
    county = _some_codes(embedded_store)[1]
    a = cadre_source(embedded_store).frames(county, 2018)
    b = cadre_source(postgis_store).frames(county, 2018)
    for name in ("households", "cadres", "assignments", "visits"):
        left, right = getattr(a, name), getattr(b, name)
        assert len(left) > 0, name
        pd.testing.assert_frame_equal(
            left.reset_index(drop=True), right.reset_index(drop=True), check_dtype=False
        )


def test_planted_problems_are_counted_and_nothing_else(embedded_store, small_data_dir) -> None:
    planted = read_manifest(small_data_dir)["cadre_problems"]
    kinds = pd.Series([p["kind"] for p in planted["problems"]]).value_counts().to_dict()
    for year in embedded_store.years:
        counts = cadre_counts(embedded_store, PROVINCE, year)
        expected = kinds if year == planted["year"] else {}
        assert counts["poor_households_without_helper"] == expected.get("without_helper", 0)
        assert counts["helpers_over_limit"] == expected.get("helper_over_limit", 0)
        assert counts["far_checkins_in_year"] == expected.get("far_checkin", 0)
        if year >= 2016:  # visit logs start in 2016
            assert counts["households_not_visited"] == expected.get("not_visited", 0)


@pytest.mark.parametrize("year", [2016, 2018])
def test_independent_recount_from_parquet(small_data_dir, embedded_store, year) -> None:
    """Coverage and visit counts straight from the parquet files with pandas merges."""
    d = small_data_dir
    day = pd.Timestamp(year, 12, 31)
    hh = pd.read_parquet(d / "households.parquet", columns=["hh_id", "village_code", "lon", "lat"])
    hy = pd.read_parquet(d / "household_years.parquet", columns=["hh_id", "year", "status"])
    poor = hy[(hy.year == year) & hy.status.astype(str).isin(["未脱贫", "返贫"])]
    a = pd.read_parquet(d / "assignments.parquet")
    start, end = pd.to_datetime(a.start_date), pd.to_datetime(a.end_date)
    helped = set(a.hh_id[(start <= day) & (end.isna() | (end >= day))])
    v = pd.read_parquet(d / "visits.parquet")
    date = pd.to_datetime(v.date)
    recent = set(v.hh_id[(date <= day) & (date > day - pd.Timedelta(days=90))])
    in_year = v[date.dt.year == year].merge(hh, on="hh_id", suffixes=("", "_hh"))
    lat1, lat2 = np.radians(in_year.lat), np.radians(in_year.lat_hh)
    dlon = np.radians(in_year.lon_hh - in_year.lon)
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    metres = 2 * 6_371_008.8 * np.arcsin(np.sqrt(h))
    county = _some_codes(embedded_store)[1]
    for code, prefix in ((PROVINCE, "52"), (county, county[:6])):
        mine = poor[poor.hh_id.isin(hh.hh_id[hh.village_code.str.startswith(prefix)])]
        got = cadre_counts(embedded_store, code, year)
        assert got["poor_households"] == len(mine)
        assert got["poor_households_without_helper"] == (~mine.hh_id.isin(helped)).sum()
        assert got["households_not_visited"] == (~mine.hh_id.isin(recent)).sum()
        local = in_year.village_code.str.startswith(prefix)
        assert got["visits_in_year"] == local.sum()
        assert got["far_checkins_in_year"] == (local & (metres > 500)).sum()
    # visits per poor household per month (the report's and panel's rate), for the county
    from battlemap.indicators.cadre_report import region_detail

    source = cadre_source(embedded_store)
    summary = region_detail(source.frames(county, year), year, source.rules).summary
    mine = poor[poor.hh_id.isin(hh.hh_id[hh.village_code.str.startswith(county[:6])])]
    visits = in_year.hh_id.isin(mine.hh_id).sum()
    assert summary["visits_to_poor_households"] == visits
    assert summary["visits_per_household_per_month"] == round(visits / len(mine) / 12, 3)


def test_data_dir_without_cadre_tables(small_data_dir, tmp_path) -> None:
    old = tmp_path / "old"
    shutil.copytree(small_data_dir, old)
    for name in ("cadres", "assignments", "visits"):
        (old / f"{name}.parquet").unlink()
    record_files(old)
    store = EmbeddedStore(old)
    assert cadre_counts(store, PROVINCE, 2018) is None
    assert cadre_source(store).frames(PROVINCE, 2018).visits.empty
    from battlemap.geodata.access import ScopedStore
    from battlemap.views.cadres import cadres_panel, checkin_layer
    from battlemap.views.tables import household_panel
    from battlemap.viewstate import ViewState

    access = ScopedStore(store)
    county = _some_codes(store)[1]
    village = _some_codes(store)[3]
    assert cadres_panel(access, ViewState(region=county, year=2018)).note == "无帮扶干部数据"
    assert checkin_layer(access, village, 2018) == []
    table = household_panel(access, ViewState(region=village, year=2018))
    assert "helper" not in [c["id"] for c in table.columns]


def test_postgis_cadres_without_an_answer_count_as_none_for_now(postgis_store) -> None:
    from battlemap.geodata.errors import StoreUnavailableError
    from battlemap.geodata.postgis.cadres import PostgisCadres

    class Silent:
        def _fetch(self, *args):
            raise StoreUnavailableError("the database does not answer")

    source = PostgisCadres(Silent(), cadre_source(postgis_store).rules)
    assert source.has_data is False  # a page still draws
    source.store = postgis_store  # the database answers again: asked again
    assert source.has_data is True


def test_households_in_several_row_groups(small_data_dir, embedded_store, tmp_path, monkeypatch):
    """A households file of several row groups (as the 2.3 M set's parts are) reads its ids
    as a ChunkedArray: the cadre frames' warnings are the same as from one row group."""
    import pyarrow.parquet as pq

    monkeypatch.setenv("BATTLEMAP_CACHE_DIR", str(tmp_path / "cache"))  # built, not cached
    chunked = tmp_path / "chunked"
    shutil.copytree(small_data_dir, chunked)
    for path in (chunked / "households.parquet").glob("*.parquet"):
        pq.write_table(pq.read_table(path), path, row_group_size=1_000)
        assert pq.ParquetFile(path).num_row_groups > 1
    record_files(chunked)
    county = _some_codes(embedded_store)[1]
    got = cadre_source(EmbeddedStore(chunked)).frames(county, 2018)
    want = cadre_source(embedded_store).frames(county, 2018)
    assert not want.households.empty
    pd.testing.assert_frame_equal(got.households, want.households)


def test_visits_of_a_cadre_moved_to_another_village(small_data_dir, tmp_path, monkeypatch):
    """A region's visits are to its households or by its cadres: a cadre moved to a village of
    another county brings its visits to households of the old village along (``frames``
    reads one slice of visits plus those of cadres working outside their households' village),
    recounted here from the parquet files."""
    from battlemap.geodata.cadres_store import _STATUS

    monkeypatch.setenv("BATTLEMAP_CACHE_DIR", str(tmp_path / "cache"))
    moved = tmp_path / "moved"
    shutil.copytree(small_data_dir, moved)
    cadres = pd.read_parquet(moved / "cadres.parquet")
    visits = pd.read_parquet(moved / "visits.parquet")
    visits = visits[pd.to_datetime(visits.date).dt.year == 2018]
    cadre = visits.cadre_id.value_counts().index[0]
    old = cadres.loc[cadres.cadre_id == cadre, "village_code"].iloc[0]
    target = next(v for v in sorted(cadres.village_code) if v[:6] != old[:6])
    cadres.loc[cadres.cadre_id == cadre, "village_code"] = target
    cadres.to_parquet(moved / "cadres.parquet", index=False)
    record_files(moved)

    got = cadre_source(EmbeddedStore(moved)).frames(target, 2018).visits
    hh = pd.read_parquet(moved / "households.parquet", columns=["hh_id", "village_code"])
    hy = pd.read_parquet(moved / "household_years.parquet", columns=["hh_id", "year", "status"])
    registered = set(hy.hh_id[(hy.year == 2018) & hy.status.isin(_STATUS)])
    village = visits.hh_id.map(hh.set_index("hh_id").village_code)
    by_cadre = visits.cadre_id.map(cadres.set_index("cadre_id").village_code) == target
    to_household = (village == target) & visits.hh_id.isin(registered)
    want = visits.visit_id[by_cadre | to_household]
    assert (village[by_cadre] == old).any()  # visits outside the region's households
    assert sorted(got.visit_id) == sorted(want.astype("int64"))
