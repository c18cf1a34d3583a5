"""Wall settings from a TOML file (bad file: one line naming file and key) and the URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from battlemap.geodata.errors import BattlemapError
from battlemap.wall.config import WallConfig, load_wall_config, wall_config_from_query
from tests.clirun import run_cli


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wall.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("table", ["", "[wall]\n"])
def test_toml_file_sets_every_key(tmp_path: Path, table: str) -> None:
    path = _write(
        tmp_path,
        table + 'interval = 10\nresume = 30\ntour = ["5201", "520102000000"]\nstart = "52"\n'
        'lang = "en"\nyear = 2017\nplay_years = true\nrefresh = 20\nindicator = "poor_persons"\n'
        "flows = true\n",
    )
    config = load_wall_config(path)
    assert config == WallConfig(
        interval=10,
        resume=30,
        tour=("520100000000", "520102000000"),
        start="520000000000",
        lang="en",
        year=2017,
        play_years=True,
        refresh=20,
        indicator="poor_persons",
        flows=True,
    )


def test_attention_tour_from_toml(tmp_path: Path) -> None:
    config = load_wall_config(_write(tmp_path, 'tour = "attention:7"\n'))
    assert config.tour == () and config.attention == 7


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("interval = 1\n", "interval: interval 1 s is outside"),
        ('tour = "attention:99"\n', "tour: attention top 99"),
        ('tour = ["52x"]\n', "tour: '52x' is not a region code"),
        ('lang = "fr"\n', "lang: lang must be zh or en"),
        ("colour = 3\n", "colour: unknown key"),
        ("interval = \n", "not valid TOML"),
    ],
)
def test_bad_toml_names_file_and_key(tmp_path: Path, text: str, words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(BattlemapError) as info:
        load_wall_config(path)
    assert str(path) in str(info.value) and words in str(info.value)


def test_url_overrides_file_and_reports_bad_parameters() -> None:
    base = WallConfig(interval=20, lang="zh")
    query = {
        "interval": ["5"],
        "lang": ["en"],
        "tour": ["attention3"],
        "resume": ["x"],
        "token": ["secret"],
        "play": ["1"],
    }
    config, problems = wall_config_from_query(base, query)
    assert (config.interval, config.lang, config.attention, config.play_years) == (5, "en", 3, True)
    assert config.resume == base.resume
    assert len(problems) == 1 and problems[0].startswith("resume:")


def test_config_round_trips_through_the_page_store() -> None:
    config = WallConfig(tour=("520100000000",), year=2016)
    assert WallConfig.from_dict(config.to_dict()) == config


def test_run_refuses_a_bad_wall_config(tmp_path: Path) -> None:
    path = _write(tmp_path, "interval = 1\n")
    result = run_cli("run", "--data-dir", str(tmp_path / "d"), "--wall-config", str(path))
    assert result.returncode == 2
    assert "wall config" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "d").exists()  # refused before generating any demo data
