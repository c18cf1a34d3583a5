"""``battlemap export``: a stamped file per view or per child region; bad input is one
line, exit code 2 and no file left at the path."""

from __future__ import annotations

import pytest

import battlemap.cli.export as export_cli
from battlemap.cli import main
from battlemap.geodata.errors import BattlemapError
from tests.clirun import run_cli


@pytest.fixture(scope="module")
def prefecture(embedded_store) -> str:
    return embedded_store.regions.children(embedded_store.regions.roots()[0].code)[0].code


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["export", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_one_view_as_the_console_script(small_data_dir, prefecture, tmp_path) -> None:
    out = tmp_path / "view.csv"
    done = run_cli(
        "export", "--region", prefecture[:4], "--year", "2018", "--format", "csv",
        "--out", str(out), "--data-dir", str(small_data_dir), "--language", "en",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    text = out.read_text(encoding="utf-8-sig")
    assert f"# region_code: {prefecture}" in text and "# indicator_label: Poverty incidence" in text
    assert [p.name for p in tmp_path.iterdir()] == ["view.csv"]  # no temporary file left


def test_children_one_file_each_with_progress(
    capsys, small_data_dir, embedded_store, prefecture, tmp_path, monkeypatch
) -> None:
    children = embedded_store.regions.children(prefecture)
    broken = children[1].code
    real = export_cli.render

    def render(fmt, request):  # one child fails (say, its data is damaged): the rest go on
        if request.state.region == broken:
            raise BattlemapError("damaged child")
        return real(fmt, request)

    monkeypatch.setattr(export_cli, "render", render)
    out = tmp_path / "counties"
    code, _, err = _run(
        capsys, "--region", prefecture, "--year", "2018", "--format", "geojson", "--children",
        "--out", str(out), "--data-dir", str(small_data_dir),
    )  # fmt: skip
    assert code == 1
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{c.code}_2018_incidence.geojson" for c in children if c.code != broken)
    assert f"{broken} {children[1].name}: error: damaged child" in err
    assert f"[{'#' * 30}] {len(children)}/{len(children)}" in err  # the progress bar's end
    assert f"{len(children) - 1} of {len(children)} files written" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "529999", "--format", "csv"], "529999000000 is not in this data set"),
        (["--region", "5201", "--year", "2031", "--format", "csv"], "2031"),
        (["--region", "5201", "--format", "docx"], "unknown export format 'docx'"),
        (["--region", "5201", "--format", "csv", "--layers", "tiles"], "unknown layer 'tiles'"),
        (["--region", "5201", "--format", "csv", "--indicator", "gdp"], "unknown indicator"),
        (["--region", "5201", "--format", "png", "--size", "a3"], "unknown picture size"),
    ],
)
def test_bad_input_is_one_line_and_no_file(capsys, small_data_dir, tmp_path, args, message):
    out = tmp_path / "x.out"
    if "--year" not in args:
        args = [*args, "--year", "2018"]
    code, _, err = _run(capsys, *args, "--out", str(out), "--data-dir", str(small_data_dir))
    assert code == 2, err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_path_and_missing_chromium(capsys, small_data_dir, tmp_path, monkeypatch):
    common = ["--region", "5201", "--year", "2018", "--data-dir", str(small_data_dir)]
    code, _, err = _run(capsys, *common, "--format", "csv", "--out", str(tmp_path / "no" / "x"))
    assert code == 2 and "does not exist" in err
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    code, _, err = _run(capsys, *common, "--format", "png", "--out", str(tmp_path / "m.png"))
    assert code == 2 and "is not an executable Chromium" in err
    assert list(tmp_path.iterdir()) == []
