"""``battlemap cadres-report`` (issue 15): every planted problem is found with its reason
and nothing else; names masked unless --show-names; CSV/XLSX/JSON; bad input exits 2."""

from __future__ import annotations

import argparse
import json

import pytest
from openpyxl import load_workbook

from battlemap.cli import cadres_report
from battlemap.geodata.datadir import read_manifest

_REASON_START = {
    "without_helper": "无帮扶责任人",
    "not_visited": "超期未走访",
    "helper_over_limit": "帮扶户数超限",
    "far_checkin": "未真正入户",
    "impossible_travel": "轨迹异常",
}


def _run(capsys, *argv: str) -> str:
    parser = argparse.ArgumentParser()
    cadres_report.register(parser.add_subparsers())
    args = parser.parse_args(["cadres-report", *argv])
    assert args.func(args) == 0
    return capsys.readouterr().out


def _key(problem: dict) -> tuple:
    kind = problem["kind"]
    if kind == "far_checkin":
        ids = problem.get("visit_ids") or [problem.get("visit_id")]
        return kind, ids[0]
    if kind == "impossible_travel":
        return kind, problem["cadre_id"], problem["date"]
    if kind == "helper_over_limit":
        return kind, problem["cadre_id"]
    return kind, problem["hh_id"]


def test_planted_problems_found_with_reasons_and_nothing_else(
    small_data_dir, embedded_store, capsys
) -> None:
    planted = read_manifest(small_data_dir)["cadre_problems"]
    year = planted["year"]
    out = _run(capsys, "--region", "52", "--year", str(year), "--format", "json",
               "--data-dir", str(small_data_dir))  # fmt: skip
    report = json.loads(out)
    found = report["problems"]
    assert sorted(map(_key, found)) == sorted(map(_key, planted["problems"]))
    for problem in found:
        assert problem["reason"].startswith(_REASON_START[problem["kind"]]), problem
    travel = {p["cadre_id"]: p for p in planted["problems"] if p["kind"] == "impossible_travel"}
    for problem in found:
        if problem["kind"] == "impossible_travel":
            assert problem["visit_ids"] == travel[problem["cadre_id"]]["visit_ids"]
    flagged = {p["cadre_id"] for p in found if p["cadre_id"]}
    cadres = {c["cadre_id"]: c for c in report["cadres"]}
    assert all(cadres[c]["problems"] for c in flagged if c in cadres)
    assert sum(bool(c["problems"]) for c in report["cadres"]) == len(flagged & set(cadres))
    # the year before has none
    assert cadres_report.report_tables(embedded_store, "52", year - 1)["problems"] == []


def test_names_masked_unless_asked_and_files(
    small_data_dir, embedded_store, tmp_path, capsys
) -> None:
    problems = read_manifest(small_data_dir)["cadre_problems"]["problems"]
    code = next(p["cadre_id"] for p in problems if p.get("cadre_id"))[:6]
    base = ["--region", code, "--year", "2018", "--data-dir", str(small_data_dir)]
    masked = cadres_report.report_tables(embedded_store, code, 2018)["cadres"]
    shown = cadres_report.report_tables(embedded_store, code, 2018, show_names=True)["cadres"]
    assert masked and all(m["name"][1:] == "*" * max(len(s["name"]) - 1, 1)
                          for m, s in zip(masked, shown, strict=True))  # fmt: skip
    assert any(s["name"] != m["name"] for m, s in zip(masked, shown, strict=True))
    unit = cadres_report.report_tables(embedded_store, code, 2018)["units"][0]["unit"]
    one = cadres_report.report_tables(embedded_store, code, 2018, unit=unit)
    assert {c["unit"] for c in one["cadres"]} == {unit} and len(one["units"]) == 1
    path = tmp_path / "r.xlsx"
    _run(capsys, *base, "--format", "xlsx", "--output", str(path))
    book = load_workbook(path)
    assert book.sheetnames == ["下级地区", "帮扶单位", "帮扶干部", "问题清单"]
    assert book["帮扶干部"].max_row == len(masked) + 1
    csv_text = _run(capsys, *base)
    assert csv_text.splitlines()[0].startswith("section,rank,code,cadres")
    assert sum(line.startswith("cadre,") for line in csv_text.splitlines()) == len(masked)


@pytest.mark.parametrize("argv", [["--region", "99", "--year", "2018"],
                                  ["--region", "52", "--year", "1999"]])  # fmt: skip
def test_bad_input_is_one_line(small_data_dir, argv) -> None:
    from battlemap.geodata.errors import BattlemapError

    parser = argparse.ArgumentParser()
    cadres_report.register(parser.add_subparsers())
    args = parser.parse_args(["cadres-report", *argv, "--data-dir", str(small_data_dir)])
    with pytest.raises(BattlemapError):
        args.func(args)


def test_regions_ranked_by_exit_outcomes_and_stats_object(
    small_data_dir, embedded_store, capsys
) -> None:
    report = cadres_report.report_tables(embedded_store, "52", 2018)
    regions = report["regions"]
    assert [r["rank"] for r in regions] == list(range(1, len(regions) + 1)) and len(regions) == 9
    exits = [r["households_exited"] for r in regions]
    assert exits == sorted(exits, reverse=True)
    # every exited household has a helper: the wrong exits add up to the store's count
    wrong = embedded_store.counts("520000000000", 2018)["wrong_exit_households"]
    assert sum(r["households_wrong_exit"] for r in regions) == wrong > 0
    assert sum(r["cadres"] for r in regions) == sum(c["in_post"] for c in report["cadres"])
    from battlemap.cli import stats

    parser = argparse.ArgumentParser()
    stats.register(parser.add_subparsers())
    args = parser.parse_args(["stats", "--region", "52", "--year", "2018",
                              "--data-dir", str(small_data_dir)])  # fmt: skip
    assert args.func(args) == 0
    cadres = json.loads(capsys.readouterr().out)["cadres"]
    assert list(cadres) == [
        "cadres", "poor_households", "poor_households_without_helper", "helpers_over_limit",
        "households_not_visited", "visits_in_year", "far_checkins_in_year",
    ]  # fmt: skip
    assert cadres["cadres"] == len(report["cadres"]) - sum(
        not c["in_post"] for c in report["cadres"]
    )
    kinds = [p["kind"] for p in report["problems"]]
    assert cadres["poor_households_without_helper"] == kinds.count("without_helper")
    assert cadres["households_not_visited"] == kinds.count("not_visited")
    assert cadres["far_checkins_in_year"] == kinds.count("far_checkin")


def test_warnings_column_in_csv_xlsx_json(small_data_dir, tmp_path, capsys) -> None:
    county = "520102000000"
    base = ["--region", county, "--year", "2018", "--data-dir", str(small_data_dir)]
    report = json.loads(_run(capsys, *base, "--format", "json"))
    for table in ("regions", "units", "cadres"):
        assert all("households_warning" in row for row in report[table]), table
    total = sum(c["households_warning"] for c in report["cadres"] if c["in_post"])
    assert sum(u["households_warning"] for u in report["units"]) == total > 0
    lines = _run(capsys, *base).splitlines()
    header = lines[0].split(",")
    column = header.index("households_warning")
    assert header[column - 1 : column + 2] == [
        "households_wrong_exit", "households_warning", "households_returned",
    ]  # fmt: skip
    cadre_rows = [line.split(",") for line in lines if line.startswith("cadre,")]
    assert sum(int(r[column]) for r in cadre_rows if r[header.index("in_post")] == "True") == total
    path = tmp_path / "w.xlsx"
    _run(capsys, *base, "--format", "xlsx", "--output", str(path))
    book = load_workbook(path)
    for sheet in ("下级地区", "帮扶单位", "帮扶干部"):
        assert "households_warning" in [c.value for c in book[sheet][1]], sheet
