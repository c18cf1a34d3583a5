"""Absurd values are rejected by name: coordinates out of range, regions outside their
parent, overlong fields; rejects files are safe to open in a spreadsheet and owner-only."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from battlemap.geodata.datadir import read_table
from battlemap.geodata.importer.boundaries import import_boundaries
from battlemap.geodata.importer.households import import_households
from battlemap.geodata.importer.rejects import neutralise

COUNTY = "522631"


def _rejects(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("column", "value"),
    [("lat", "1e308"), ("lat", "1e309"), ("lon", "-1e309"), ("lon", "200"), ("lat", "-90.5")],
)
def test_a_point_outside_the_globe_is_rejected(
    column: str, value: str, county_rows: pd.DataFrame, empty_dir: Path, tmp_path: Path
) -> None:
    rows = county_rows.head(14).astype({column: object})
    rows.loc[0, column] = value
    source = tmp_path / "hh.csv"
    rows.to_csv(source, index=False)
    report = import_households(source, empty_dir)
    assert report.reasons == {"coordinates_out_of_range": 1}
    (rejected,) = _rejects(Path(report.rejects_file))
    assert rejected["row"] == "2" and rejected[column] == neutralise(value)  # "'-1e309"
    assert "−90…90" in rejected["detail"]
    stored = read_table(empty_dir, "households")
    assert stored["lat"].between(-90, 90).all() and stored["lon"].between(-180, 180).all()


def test_overlong_fields_are_rejected_with_their_length(
    county_rows: pd.DataFrame, empty_dir: Path, tmp_path: Path
) -> None:
    rows = county_rows.head(14).copy()
    ids = rows["hh_id"].unique()
    rows.loc[rows["hh_id"] == ids[0], "head_name"] = "张" * 51
    rows.loc[rows["hh_id"] == ids[1], "head_name"] = "张" * 50  # the limit itself is fine
    rows["primary_cause"] = rows["primary_cause"].astype(object)
    rows.loc[rows.index[-1], "primary_cause"] = "*" * 200_000
    source = tmp_path / "hh.csv"
    rows.to_csv(source, index=False)
    report = import_households(source, empty_dir)
    assert report.reasons["too_long"] == int((rows["hh_id"] == ids[0]).sum()) + 1
    details = "\n".join(r["detail"] for r in _rejects(Path(report.rejects_file)))
    assert "户主姓名 (head_name) has 51 characters (at most 50)" in details
    assert "主要致贫原因 (primary_cause) has 200,000 characters (at most 100)" in details
    names = read_table(empty_dir, "households")["head_name"]
    assert names.str.len().max() == 50
    assert Path(report.rejects_file).stat().st_size < 20_000  # a huge cell is cut


def test_rejects_cells_never_become_formulas(
    county_rows: pd.DataFrame, empty_dir: Path, tmp_path: Path
) -> None:
    rows = county_rows.head(7).copy()
    rows["head_name"] = '=HYPERLINK("http://evil.example","点我")'
    rows["size"] = 99  # rejected
    source = tmp_path / "hh.csv"
    rows.to_csv(source, index=False)
    report = import_households(source, empty_dir)
    rejects = Path(report.rejects_file)
    rejected = _rejects(rejects)
    assert rejected and all(r["head_name"].startswith("'=HYPERLINK") for r in rejected)
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("张三", "张三"),
        ("1=1", "1=1"),
        (None, ""),
    ],
)
def test_neutralise_follows_owasp(cell, safe: str) -> None:
    assert neutralise(cell) == safe


def test_a_new_data_dir_and_its_files_are_owner_only(regions_file: Path, tmp_path: Path) -> None:
    data = tmp_path / "new"
    import_boundaries(regions_file, data, level="province")
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.rglob("*"):
        want = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == want, path


@pytest.fixture
def regions_file(small_data_dir: Path, tmp_path: Path) -> Path:
    regions = gpd.read_parquet(small_data_dir / "regions.parquet")
    province = regions[regions["level"] == 1][["code", "name", "geometry"]]
    path = tmp_path / "province.geojson"
    province.to_file(path)
    return path


def _county_file(small_data_dir: Path, tmp_path: Path, change) -> Path:
    regions = gpd.read_parquet(small_data_dir / "regions.parquet")
    county = regions[regions["code"] == f"{COUNTY}000000"][["code", "name", "geometry"]]
    county = county.reset_index(drop=True)
    change(county)
    path = tmp_path / "county.geojson"
    path.write_text(county.to_json(), encoding="utf-8")
    return path


def _to_paris(county: gpd.GeoDataFrame) -> None:
    geom = county.geometry[0]
    c = geom.centroid
    county.loc[0, "geometry"] = shapely.affinity.translate(geom, 2.35 - c.x, 48.85 - c.y)


def _huge_vertex(county: gpd.GeoDataFrame) -> None:
    county.loc[0, "geometry"] = shapely.Polygon([(109.0, 26.0), (1e308, 26.0), (109.1, 26.2)])


def _spike(county: gpd.GeoDataFrame) -> None:
    """One vertex far out: a sliver of area, but reaching 3° beyond the prefecture."""
    ring = list(county.geometry[0].geoms[0].exterior.coords)
    ring.insert(1, (ring[0][0] + 3.0, ring[0][1]))
    county.loc[0, "geometry"] = shapely.Polygon(ring)


def _long_name(county: gpd.GeoDataFrame) -> None:
    county.loc[0, "name"] = "县" * 51


@pytest.mark.parametrize(
    ("change", "reason", "detail"),
    [
        (_to_paris, "outside_parent", "not inside its parent 522600000000"),
        (_huge_vertex, "bad_coordinates", "vertex (1e+308, 26) is outside longitude"),
        (_spike, "outside_parent", "reaches beyond its parent"),
        (_long_name, "name_too_long", "51 characters (at most 50)"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_absurd_boundaries_are_rejected(
    change, reason: str, detail: str, small_data_dir: Path, empty_dir: Path, tmp_path: Path
) -> None:
    before = read_table(empty_dir, "regions", geo=True)
    path = _county_file(small_data_dir, tmp_path, change)
    report = import_boundaries(path, empty_dir, level="county")
    assert report.reasons == {reason: 1}
    (rejected,) = _rejects(Path(report.rejects_file))
    assert detail in rejected["detail"]
    after = read_table(empty_dir, "regions", geo=True)
    assert after["geometry"].equals(before["geometry"])


def test_a_nan_vertex_is_rejected(small_data_dir: Path, empty_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "nan.geojson"
    ring = [[109.0, 26.0], ["NaN", 26.0], [109.1, 26.2], [109.0, 26.0]]
    feature = {
        "type": "Feature",
        "properties": {"code": COUNTY, "name": "黎平县"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    text = json.dumps({"type": "FeatureCollection", "features": [feature]}).replace('"NaN"', "NaN")
    path.write_text(text, encoding="utf-8")
    report = import_boundaries(path, empty_dir, level="county")
    assert report.reasons == {"bad_coordinates": 1}
    assert "is not a number" in _rejects(Path(report.rejects_file))[0]["detail"]


def test_a_county_inside_its_parent_still_imports(
    small_data_dir: Path, empty_dir: Path, tmp_path: Path
) -> None:
    path = _county_file(small_data_dir, tmp_path, lambda county: None)
    report = import_boundaries(path, empty_dir, level="county")
    assert report.rejected == 0 and report.regions["unchanged"] == 1
