"""``import population``: rural population per village-year into both stores' aggregates."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from battlemap.geodata import aggregate
from battlemap.geodata.datadir import AGGREGATES_FILE, read_manifest, read_table
from battlemap.geodata.embedded import EmbeddedStore, build_aggregates
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.population import import_population
from battlemap.geodata.regions import REGION_COLUMNS, RegionTree

COUNTY = "522631"


def _cache(data_dir: Path) -> np.ndarray:
    tree = RegionTree(read_table(data_dir, "regions", list(REGION_COLUMNS)))
    years = tuple(read_manifest(data_dir)["years"])
    values = aggregate.from_frame(read_table(data_dir, AGGREGATES_FILE), tree.codes, years)
    assert values is not None
    return values


def _rebuilt(data_dir: Path, scratch: Path) -> np.ndarray:
    shutil.copytree(data_dir, scratch, ignore=shutil.ignore_patterns(".*"))
    tree = RegionTree(read_table(scratch, "regions", list(REGION_COLUMNS)))
    return build_aggregates(scratch, tree, tuple(read_manifest(scratch)["years"]))


@pytest.fixture
def county_population(empty_dir: Path) -> pd.DataFrame:
    """The county's villages, 2019 and 2020, with 10 % more people than stored."""
    rural = read_table(empty_dir, "rural_population")
    rows = rural[rural["code"].str.startswith(COUNTY) & rural["year"].isin([2019, 2020])]
    rows = rows.assign(persons=(rows["persons"] * 1.1).round().astype(int))
    return rows.rename(columns={"code": "行政区划代码", "year": "年度", "persons": "农村人口"})


def test_population_reaches_both_stores_and_rejects_bad_rows(
    county_population: pd.DataFrame, empty_dir: Path, tmp_path: Path, postgis_cluster, digests
) -> None:
    from battlemap.geodata.postgis.store import PostgisStore

    dsn = postgis_cluster.load_database("import_population", empty_dir)
    village = county_population["行政区划代码"].iloc[0]
    bad = pd.DataFrame(
        {
            "行政区划代码": ["", "52263x", COUNTY, "522631999999", village, village, village],
            "年度": ["2019", "2019", "2019", "2019", "1999", "2019", "2020"],
            "农村人口": ["10", "10", "10", "10", "10", "-3", "12.5"],
        }
    )
    rows = pd.concat([county_population.astype(str), bad, county_population.iloc[:1]])
    path = tmp_path / "人口.csv"
    rows.to_csv(path, index=False, encoding="gbk")

    report = import_population(path, empty_dir, dsn=dsn)
    assert report.reasons == {
        "missing_code": 1,
        "bad_code": 1,
        "not_a_village": 1,
        "unknown_village": 1,
        "bad_year": 1,
        "bad_persons": 2,
        "duplicate_in_file": 1,
    }
    assert report.loaded == len(county_population)
    assert report.population == {"inserted": 0, "updated": len(county_population), "unchanged": 0}
    assert report.aggregates == {"embedded": "updated", "postgis": "updated"}
    rejects = pd.read_csv(report.rejects_file, dtype=str, encoding="utf-8-sig")
    assert rejects["row"].astype(int).tolist() == list(
        range(len(county_population) + 2, len(rows) + 2)
    )

    stored = read_table(empty_dir, "rural_population").set_index(["code", "year"])["persons"]
    want = county_population.set_index(["行政区划代码", "年度"])["农村人口"]
    assert (stored.loc[want.index].to_numpy() == want.to_numpy()).all()
    np.testing.assert_array_equal(_cache(empty_dir), _rebuilt(empty_dir, tmp_path / "rebuilt"))

    embedded, postgis = EmbeddedStore(empty_dir), PostgisStore(dsn)
    try:
        for code in ("520000000000", COUNTY + "000000", village):
            for year in (2018, 2019, 2020):
                assert embedded.counts(code, year) == postgis.counts(code, year), (code, year)
        assert embedded.counts(village, 2020)["rural_population"] == want.loc[(village, 2020)]
    finally:
        postgis.close()

    before = digests(empty_dir)
    again = import_population(path, empty_dir, dsn=dsn)
    assert again.population["updated"] == 0 and digests(empty_dir) == before


def test_dry_run_writes_nothing(
    county_population, empty_dir: Path, tmp_path: Path, digests
) -> None:
    path = tmp_path / "population.csv"
    county_population.to_csv(path, index=False)
    before = digests(empty_dir)
    report = import_population(path, empty_dir, dry_run=True)
    assert report.population["updated"] == len(county_population)
    assert digests(empty_dir) == before


def test_a_file_without_a_persons_column_is_refused(empty_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "population.csv"
    pd.DataFrame({"行政区划代码": ["522631100201"], "年度": [2020]}).to_csv(path, index=False)
    with pytest.raises(ImportFileError, match="no persons column"):
        import_population(path, empty_dir)


def test_a_huge_year_and_a_long_line_are_rejects_not_crashes(
    county_population, empty_dir: Path, tmp_path: Path
) -> None:
    """ "1e400" parses as a float but is no whole number (it raised OverflowError); a line with
    more cells than the header, read before an earlier row's reject, is sorted into the
    rejects file (pandas could not read it back)."""
    path = tmp_path / "population.csv"
    rows = county_population.head(3).astype(str)
    rows.iloc[1, 1] = "1e400"
    rows.to_csv(path, index=False)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("522631100201,2019,10,extra,cells,here\n")
    report = import_population(path, empty_dir, dry_run=True)
    assert report.reasons == {"bad_year": 1, "malformed_row": 1}
    with open(report.rejects_file, encoding="utf-8-sig", newline="") as handle:
        rejected = list(csv.reader(handle))[1:]
    assert [(r[0], r[1]) for r in rejected] == [("3", "bad_year"), ("5", "malformed_row")]
    assert rejected[1][-3:] == ["extra", "cells", "here"]  # every cell kept
