"""``battlemap import``: JSON report on stdout, summary on stderr, one-line errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from battlemap.cli import main


def _run(capsys, *argv: str) -> tuple[int, dict | None, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_households_report_and_summary(
    capsys, county_rows: pd.DataFrame, empty_dir: Path, tmp_path: Path
) -> None:
    rows = county_rows.iloc[:50].copy()
    rows.loc[3, "size"] = 0
    path = tmp_path / "rows.csv"
    rows.to_csv(path, index=False)
    code, report, err = _run(
        capsys, "import", "households", str(path), "--data-dir", str(empty_dir)
    )
    assert code == 0
    assert report["rows"] == 50 and report["rejected"] == 1
    assert report["reasons"] == {"size_out_of_range": 1}
    assert report["rejects_file"] == str(tmp_path / "rows.csv.rejects.csv")
    assert "loaded 49 of 50 rows" in err and "size_out_of_range 1" in err
    assert "rows/s" in err

    code, report, err = _run(
        capsys,
        "import",
        "households",
        str(path),
        "--data-dir",
        str(empty_dir),
        "--quiet",
        "--dry-run",
        "--rejects",
        str(tmp_path / "r.csv"),
    )
    assert code == 0 and err == "" and report["dry_run"] and not report["changed"]
    assert report["households"]["inserted"] == 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.csv", "does not exist"),
        (
            lambda d: (d / "x.csv").write_text("a,b\n1,2\n") and d / "x.csv",
            "missing required column(s) 户编号 (hh_id)",
        ),
        (lambda d: (d / "x.parquet").write_text("x") and d / "x.parquet", "unknown file type"),
    ],
)
def test_file_errors_are_one_line_exit_2(
    capsys, empty_dir: Path, tmp_path: Path, make, message: str
) -> None:
    code, report, err = _run(
        capsys, "import", "households", str(make(tmp_path)), "--data-dir", str(empty_dir), "--quiet"
    )
    assert code == 2 and report is None
    assert err.startswith("battlemap: error: ") and message in err
    assert err.count("\n") == 1


def test_missing_data_dir_is_one_line(capsys, county_rows: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    county_rows.iloc[:5].to_csv(path, index=False)
    code, _, err = _run(
        capsys,
        "import",
        "households",
        str(path),
        "--data-dir",
        str(tmp_path / "nowhere"),
        "--quiet",
    )
    assert code == 2 and "does not exist" in err and err.count("\n") == 1


def test_bad_options_are_usage_errors(capsys, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["import", "households", "x.csv", "--crs", "cgcs2000"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["import", "boundaries", "x.geojson", "--level", "hamlet"])
    capsys.readouterr()


def test_boundaries_command(capsys, small_data_dir: Path, tmp_path: Path) -> None:
    import geopandas as gpd

    regions = gpd.read_parquet(small_data_dir / "regions.parquet")
    province = regions[regions["level"] == 1][["code", "name", "geometry"]]
    path = tmp_path / "province.geojson"
    province.to_file(path)
    code, report, err = _run(
        capsys,
        "import",
        "boundaries",
        str(path),
        "--level",
        "province",
        "--data-dir",
        str(tmp_path / "new"),
    )
    assert code == 0 and report["created_data_dir"] and report["regions"]["inserted"] == 1
    assert "loaded 1 of 1 province features" in err


def test_population_command(capsys, empty_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "population.csv"
    rows = pd.DataFrame(
        {"code": ["522631100201", "522631"], "year": [2020, 2020], "rural_population": [812, 9]}
    )
    rows.to_csv(path, index=False)
    code, report, err = _run(
        capsys, "import", "population", str(path), "--data-dir", str(empty_dir)
    )
    assert code == 0 and report["loaded"] == 1 and report["reasons"] == {"not_a_village": 1}
    assert report["aggregates"] == {"embedded": "updated"}
    assert "loaded 1 of 2 rows" in err and "not_a_village 1" in err

    (tmp_path / "bad.csv").write_text("code,year\n522631100201,2020\n")
    code, report, err = _run(
        capsys, "import", "population", str(tmp_path / "bad.csv"), "--data-dir", str(empty_dir)
    )
    assert code == 2 and report is None and "no persons column" in err
