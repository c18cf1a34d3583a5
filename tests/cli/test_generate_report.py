"""``battlemap generate --report``: the generator's targets beside what it generated."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from battlemap.geodata.datadir import read_manifest


def _cli(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("battlemap")
    assert exe, "the battlemap console script is not installed (pip install -e .)"
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )


def test_report_prints_targets_beside_generated(tmp_path: Path) -> None:
    out = tmp_path / "d"
    done = _cli(
        "generate",
        "--data-dir",
        str(out),
        "--households",
        "3000",
        "--seed",
        "5",
        "--quiet",
        "--report",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert json.loads(lines[0])["households"] == 3000
    table = {line.split()[0]: line for line in lines[2:]}
    manifest = read_manifest(out)
    assert manifest["targets"]["poverty_counties"] == 66
    # each measure on one line: target, then what was generated
    assert table["poverty_counties"].split("|")[0].split()[-1] == "66"
    assert table["poverty_counties"].split("|")[1].strip() == "66"
    # a target and its generated measure share a line even when their names differ
    ratio = table["warned_return_ratio_min"].split("|")
    assert ratio[0].split()[-1] == "4"
    assert ratio[1].strip() == f"{manifest['generated']['warned_return_ratio']:g}"
    assert "warned_return_ratio" not in table
    assert table["poverty_villages"].split("|")[1].strip() == str(
        manifest["generated"]["poverty_villages"]
    )
    assert "2014: 18" in table["incidence_pct"].split("|")[0]


def test_without_report_prints_counts_only(tmp_path: Path) -> None:
    done = _cli("generate", "--data-dir", str(tmp_path / "d"), "--households", "500", "--quiet")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1
