"""``battlemap exit-report`` and the ``--rules`` option through the console script."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from battlemap.cli import main as cli_main
from battlemap.views.exit_report import exit_report
from tests.cli.test_stats_cli import run_cli
from tests.indicators.common import mutated, to_toml


def test_csv_lists_every_county_with_reasons(small_data_dir: Path, embedded_store) -> None:
    result = run_cli("exit-report", "--region", "52", "--year", "2015",
                     "--data-dir", str(small_data_dir))  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 66  # the poverty counties (贫困县)
    assert {r["poverty_flag"] for r in rows} == {"True"}
    assert rows[0]["standard"] == "贫困县摘帽"
    assert rows[0]["satisfaction_status"] == "no_data"
    assert "群众认可度无数据：缺少 2015 年第三方评估数据" in rows[0]["reasons"]
    expected = exit_report(embedded_store, "52", 2015)
    assert [r["code"] for r in rows] == [a.code for a in expected]
    assert [r["status"] for r in rows] == [a.status for a in expected]
    every = run_cli("exit-report", "--region", "52", "--year", "2015", "--all",
                    "--data-dir", str(small_data_dir))  # fmt: skip
    assert len(list(csv.DictReader(io.StringIO(every.stdout)))) == 88


def test_json_lists_villages_of_a_county(small_data_dir: Path, embedded_store) -> None:
    county = next(
        c for c in embedded_store.regions.level_codes(3) if embedded_store.region(c).poverty_flag
    )
    result = run_cli("exit-report", "--region", county, "--year", "2019", "--format", "json",
                     "--data-dir", str(small_data_dir))  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload == [a.as_dict() for a in exit_report(embedded_store, county, 2019)]
    assert {item["standard"] for item in payload} == {"贫困村出列"}
    assert {item["poverty_flag"] for item in payload} == {True}


def main(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process (faster than the console script for error paths)."""
    code = cli_main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_output_file_and_errors(small_data_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "report.csv"
    data = ["--data-dir", str(small_data_dir)]
    code, stdout, _ = main(capsys, "exit-report", "--region", "5201", "--year", "2019",
                           "--output", str(out), *data)  # fmt: skip
    assert code == 0 and stdout == ""
    assert out.read_bytes().startswith(b"\xef\xbb\xbfcode,name")  # BOM for Excel
    for args, fragment in [
        (["--region", "529999", "--year", "2019"], "529999000000 is not in this data set"),
        (["--region", "520102100", "--year", "2019", "--level", "county"], "has no county"),
        (["--region", "52", "--year", "2019", "--output", str(tmp_path / "no/dir.csv")],
         "cannot write"),
    ]:  # fmt: skip
        code, _, err = main(capsys, "exit-report", *args, *data)
        assert code == 2 and len(err.strip().splitlines()) == 1 and fragment in err, err


def test_bad_rules_file_is_one_clear_line(small_data_dir: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text(to_toml(mutated(lambda d: d["household"]["weights"].pop("water"))), "utf-8")
    for command in ("stats", "exit-report"):
        code, _, err = main(capsys, command, "--region", "52", "--year", "2019", "--rules",
                            str(bad), "--data-dir", str(small_data_dir))  # fmt: skip
        assert code == 2
        assert err.strip() == f"battlemap: error: rules file {bad}: [household.weights] lacks water"


def test_rules_option_changes_the_stats(small_data_dir: Path, tmp_path: Path, capsys) -> None:
    data = tmp_path / "data"
    shutil.copytree(small_data_dir, data)
    strict = tmp_path / "strict.toml"
    strict.write_text(to_toml(mutated(lambda d: d["household"].update(threshold=100))), "utf-8")
    args = ["stats", "--region", "52", "--year", "2019", "--data-dir", str(data)]
    code, stdout, _ = main(capsys, *args)
    default = json.loads(stdout)
    code, stdout, err = main(capsys, *args, "--rules", str(strict))
    assert code == 0, err
    changed = json.loads(stdout)
    assert changed["wrong_exit_households"] > default["wrong_exit_households"]
    assert changed["poor_persons"] == default["poor_persons"]
    assert set(changed["warning_households"]) == {"脱贫不稳定户", "边缘易致贫户", "突发严重困难户"}
    assert {"exit_checks", "radar", "exits_by_year", "wrong_exit_households"} <= set(changed)
