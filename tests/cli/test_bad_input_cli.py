"""Bad input from an unlucky operator: one line naming the problem, exit 2, no traceback;
and no command overwrites data it did not create."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from openpyxl import Workbook

from battlemap.geodata.datadir import MANIFEST_FILE
from battlemap.geodata.importer.extract import import_rows
from battlemap.geodata.journal import JOURNAL_FILE
from tests.clirun import run_cli

COUNTY = "522631"


@pytest.fixture(scope="module")
def county_rows(small_data_dir: Path) -> pd.DataFrame:
    return import_rows(small_data_dir, prefix=COUNTY)


@pytest.fixture
def data_copy(small_data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(small_data_dir, target)
    return target


def _unterminated_quote(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
    """A quote opened in row 2 and never closed: the rest of the file becomes one field."""
    lines = rows.to_csv(index=False).splitlines()
    lines[2] = lines[2].replace(",", ',"', 1)
    path = tmp / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["import", "households", str(path), "--data-dir", str(data), "--quiet"]


def _manifest_years(years) -> Callable[[Path, pd.DataFrame, Path], list[str]]:
    def make(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
        manifest = json.loads((data / MANIFEST_FILE).read_text(encoding="utf-8"))
        manifest["years"] = years
        (data / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
        return ["stats", "--region", "520000000000", "--year", "2016", "--data-dir", str(data)]

    make.__name__ = f"manifest_years_{json.dumps(years)}"
    return make


def _seed_negative(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
    return ["generate", "--data-dir", str(tmp / "new"), "--seed", "-1", "--quiet"]


def _households_zero(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
    return ["generate", "--data-dir", str(tmp / "new"), "--households", "0", "--quiet"]


def _generate_into_a_file(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
    (tmp / "afile").write_text("x", encoding="utf-8")
    return ["generate", "--data-dir", str(tmp / "afile"), "--quiet"]


def _generate_over_data(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
    return ["generate", "--data-dir", str(data), "--households", "1000", "--quiet"]


def _run_over_data_without_manifest(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
    (data / MANIFEST_FILE).unlink()
    return ["run", "--data-dir", str(data), "--demo-households", "1000"]


def _mixed_geometry(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
    first = rows.drop(columns=["lon", "lat"]).head(2).reset_index(drop=True)
    frame = gpd.GeoDataFrame(
        first,
        geometry=[shapely.Point(108.7, 26.0), shapely.box(108.7, 26.0, 108.8, 26.1)],
        crs=4326,
    )
    path = tmp / "mixed.geojson"
    path.write_text(frame.to_json(), encoding="utf-8")
    return ["import", "households", str(path), "--data-dir", str(data), "--quiet"]


def _xlsx_second_sheet(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本表为建档立卡户数据，见第二个工作表"])
    sheet = book.create_sheet("户表")
    sheet.append(list(rows.columns))
    for values in rows.head(7).itertuples(index=False):
        sheet.append([None if pd.isna(v) else v for v in values])
    path = tmp / "two-sheets.xlsx"
    book.save(path)
    return ["import", "households", str(path), "--data-dir", str(data), "--quiet"]


def _part_with_wrong_schema(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
    """An older data dir (no file list) where a part file holds another table."""
    shutil.copy(data / "relocations.parquet", data / "households.parquet/part-04.parquet")
    manifest = json.loads((data / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest.pop("files")
    (data / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    (data / "aggregates.parquet").unlink()
    return ["stats", "--region", "520000000000", "--year", "2016", "--data-dir", str(data)]


CASES: list[tuple[Callable, str]] = [
    (_unterminated_quote, "probably never closed"),
    (_manifest_years([]), "'years' must be a non-empty list"),
    (_manifest_years(["2016"]), "'years' must be a non-empty list"),
    (_seed_negative, "--seed must be a whole number"),
    (_households_zero, "--households must be"),
    (_generate_into_a_file, "is a file, not a data dir"),
    (_generate_over_data, "pass --force"),
    (_run_over_data_without_manifest, "but no manifest.json"),
    (_mixed_geometry, "mixes geometry types (Point 1, Polygon 1)"),
    (_xlsx_second_sheet, "sheet '户表' has them: pass --sheet 户表"),
    (_part_with_wrong_schema, "part-04.parquet is not a readable parquet table"),
]


@pytest.mark.parametrize(("make", "expected"), CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_input_is_one_line_and_exit_2(
    make: Callable, expected: str, county_rows: pd.DataFrame, data_copy: Path, tmp_path: Path
) -> None:
    args = make(tmp_path, county_rows, data_copy)
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("battlemap: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr


def test_generate_over_data_changes_nothing_without_force(data_copy: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in data_copy.rglob("*")}
    assert run_cli("generate", "--data-dir", str(data_copy), "--households", "1000").returncode == 2
    assert {p: p.stat().st_mtime_ns for p in data_copy.rglob("*")} == before


def test_generate_with_force_replaces_the_data(data_copy: Path) -> None:
    # an import killed mid-commit left a journal: it must not be finished over the new data
    staging = data_copy / ".import-1-dead"
    staging.mkdir()
    shutil.copy(data_copy / "labour_flows.parquet", staging / "relocations.parquet")
    journal = {"staging": staging.name, "files": ["relocations.parquet"], "state": "committed"}
    (data_copy / JOURNAL_FILE).write_text(json.dumps(journal), encoding="utf-8")
    result = run_cli(
        "generate", "--data-dir", str(data_copy), "--households", "1000", "--quiet", "--force"
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((data_copy / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["counts"]["households"] == 1000
    assert not (data_copy / JOURNAL_FILE).exists() and not staging.exists()
    stats = run_cli(
        "stats", "--region", "520000000000", "--year", "2016", "--data-dir", str(data_copy)
    )
    assert stats.returncode == 0, stats.stderr


def test_run_over_data_without_manifest_leaves_it_alone(data_copy: Path) -> None:
    (data_copy / MANIFEST_FILE).unlink()
    before = {p: p.stat().st_mtime_ns for p in data_copy.rglob("*")}
    result = run_cli("run", "--data-dir", str(data_copy), "--demo-households", "1000")
    assert result.returncode == 2
    assert "households.parquet" in result.stderr or "aggregates.parquet" in result.stderr
    assert {p: p.stat().st_mtime_ns for p in data_copy.rglob("*")} == before


@pytest.mark.parametrize("province", ["52'--", "5", "520000", "ab", "00"])
def test_a_province_that_is_not_a_code_is_refused_by_argparse(
    province: str, tmp_path: Path
) -> None:
    result = run_cli("generate", "--data-dir", str(tmp_path / "new"), "--province", province)
    assert result.returncode == 2
    assert "not a 2-digit province code" in result.stderr
    assert not (tmp_path / "new").exists()


def _lat(value: str) -> Callable[[Path, pd.DataFrame, Path], list[str]]:
    def make(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
        rows = rows.head(14).astype({"lat": object})
        rows.loc[0, "lat"] = value
        path = tmp / "hh.csv"
        rows.to_csv(path, index=False)
        return ["import", "households", str(path), "--data-dir", str(data)]

    make.__name__ = f"lat_{value}"
    return make


def _nan_vertex(tmp: Path, rows: pd.DataFrame, data: Path) -> list[str]:
    ring = [[109.0, 26.0], ["NaN", 26.0], [109.1, 26.2], [109.0, 26.0]]
    feature = {
        "type": "Feature",
        "properties": {"code": COUNTY, "name": "黎平县"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    text = json.dumps({"type": "FeatureCollection", "features": [feature]})
    path = tmp / "nan.geojson"
    path.write_text(text.replace('"NaN"', "NaN"), encoding="utf-8")
    return ["import", "boundaries", str(path), "--level", "county", "--data-dir", str(data)]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_lat("1e308"), "coordinates_out_of_range"),
        (_lat("1e309"), "coordinates_out_of_range"),
        (_nan_vertex, "bad_coordinates"),
    ],
    ids=["lat_1e308", "lat_1e309", "nan_vertex"],
)
def test_absurd_values_are_rejected_rows_not_tracebacks(
    make: Callable, reason: str, county_rows: pd.DataFrame, data_copy: Path, tmp_path: Path
) -> None:
    """A bad value in a row is that row's reject (the file's other rows load, exit 0, as for
    every row-level problem); the summary line names the reason, nothing else is printed."""
    result = run_cli(*make(tmp_path, county_rows, data_copy))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    (summary,) = [line for line in result.stderr.splitlines() if line.startswith("rejected")]
    assert f"{reason} 1" in summary
