"""csv, xlsx, gpkg and geojson exports round-trip to the numbers of ``battlemap stats``."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import geopandas as gpd
import pandas as pd
import pytest

from battlemap.exports import ExportRequest, render
from battlemap.exports.stamp import SYNTHETIC_MARK
from battlemap.viewstate import ViewState
from tests.clirun import run_cli

WHEN = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def stats(small_data_dir, prefecture, county) -> dict[str, dict]:
    """``battlemap stats`` of the prefecture and of one of its counties, as printed."""
    out = {}
    for code in (prefecture, county):
        done = run_cli(
            "stats", "--region", code, "--year", "2018", "--data-dir", str(small_data_dir)
        )
        assert done.returncode == 0, done.stderr
        out[code] = json.loads(done.stdout)
    return out


def _csv(data: bytes) -> pd.DataFrame:
    assert data.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    return pd.read_csv(io.BytesIO(data), comment="#", encoding="utf-8-sig", dtype={"code": str})


def _check_indicators(frame: pd.DataFrame, stats, prefecture, county) -> None:
    children = stats[prefecture]["children"]
    assert sorted(frame["code"]) == sorted(children)
    incidence = dict(zip(frame["code"], frame["incidence_pct"], strict=True))
    for code, value in children.items():
        assert (
            incidence[code] == pytest.approx(value, abs=1e-12)
            if value is not None
            else (pd.isna(incidence[code]))
        )
    row = frame.set_index("code").loc[county]
    for key in ("poor_persons", "rural_population", "registered_persons", "exited_persons"):
        assert row[key] == stats[county][key], key
    assert row["exit_progress_pct"] == pytest.approx(stats[county]["exit_progress_pct"])
    assert row["name"] == stats[county]["name"]


def test_csv_indicators_match_stats(open_access, prefecture, county, stats) -> None:
    state = ViewState(region=prefecture, year=2018)
    result = render("csv", ExportRequest(open_access, state, "map", {}, WHEN))
    assert result.filename == f"{prefecture}_2018_incidence.csv"
    text = result.data.decode("utf-8-sig")
    assert f"# region_code: {prefecture}" in text and f"# synthetic: {SYNTHETIC_MARK}" in text
    assert "# rules_digest: " in text and "# generated_at: 2026-12-04T12:00:00Z" in text
    _check_indicators(_csv(result.data), stats, prefecture, county)


def test_csv_exit_checks_have_reasons(open_access, prefecture) -> None:
    state = ViewState(region=prefecture, year=2016)
    frame = _csv(render("csv", ExportRequest(open_access, state, "exit_checks")).data)
    flagged = [c.code for c in open_access.children(prefecture) if c.poverty_flag]
    assert sorted(frame["code"]) == sorted(flagged)
    failing = frame[frame["status"] == "fail"]
    assert failing["reasons"].notna().all() and (failing["reasons"].str.len() > 0).all()


def test_xlsx_sheets_match_stats(open_access, prefecture, county, stats) -> None:
    state = ViewState(region=prefecture, year=2018)
    result = render("xlsx", ExportRequest(open_access, state, "map", {}, WHEN))
    sheets = pd.read_excel(io.BytesIO(result.data), sheet_name=None, dtype={"code": str})
    assert set(sheets) == {
        "indicators",
        "exit_checks",
        "说明 about",
    }  # no households above a county
    _check_indicators(sheets["indicators"], stats, prefecture, county)
    about = dict(zip(sheets["说明 about"]["key"], sheets["说明 about"]["value"], strict=True))
    assert about["region_code"] == prefecture and about["synthetic"] == SYNTHETIC_MARK


def test_xlsx_of_a_county_has_masked_households(open_access, county, embedded_store) -> None:
    state = ViewState(region=county, year=2018)
    sheets = pd.read_excel(
        io.BytesIO(render("xlsx", ExportRequest(open_access, state)).data), sheet_name=None
    )
    households = sheets["households"]
    raw = embedded_store.households(county, 2018)
    assert len(households) == len(raw)
    assert households["head_name"].str.fullmatch(r".\*+").all()  # masked as on the page
    assert not set(households["head_name"]) & set(raw["head_name"])


def test_gpkg_reads_back_in_wgs84(open_access, prefecture, county, stats, tmp_path) -> None:
    state = ViewState(region=prefecture, year=2018)
    result = render("gpkg", ExportRequest(open_access, state, "map", {}, WHEN))
    path = tmp_path / result.filename
    path.write_bytes(result.data)
    frame = gpd.read_file(path, layer="regions")
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == len(stats[prefecture]["children"])
    assert frame.geometry.is_valid.all() and (frame.geometry.area > 0).all()
    assert frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    _check_indicators(pd.DataFrame(frame.drop(columns="geometry")), stats, prefecture, county)
    stamp = gpd.read_file(path, layer="stamp")
    assert dict(zip(stamp["key"], stamp["value"], strict=True))["region_code"] == prefecture


def test_geojson_has_polygons_values_and_stamp(open_access, prefecture, stats) -> None:
    state = ViewState(region=prefecture, year=2018)
    collection = json.loads(render("geojson", ExportRequest(open_access, state)).data)
    assert collection["battlemap"]["region_code"] == prefecture
    props = {f["properties"]["code"]: f["properties"] for f in collection["features"]}
    for code, value in stats[prefecture]["children"].items():
        assert props[code]["incidence_pct"] == pytest.approx(value)
    lon, lat = collection["features"][0]["geometry"]["coordinates"][0][0][0][:2]
    assert 103 < lon < 110 and 24 < lat < 30  # degrees (EPSG:4326), in Guizhou


@pytest.mark.parametrize("table", ["indicators", "exit_checks", "households"])
def test_both_stores_export_the_same_rows(embedded_store, postgis_store, county, table) -> None:
    from battlemap.geodata.access import ScopedStore

    state = ViewState(region=county, year=2018)
    frames = [
        _csv(render("csv", ExportRequest(ScopedStore(store), state, table, {}, WHEN)).data)
        for store in (embedded_store, postgis_store)
    ]
    assert len(frames[0]) > 0
    pd.testing.assert_frame_equal(frames[0], frames[1])
