"""The exit-rules file: shipped defaults, overrides by path and environment, bad files refused."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from battlemap.geodata.errors import BattlemapError, RulesError
from battlemap.indicators.rules import (
    DEFAULT_RULES_PATH,
    GUARANTEES,
    RULES_ENV,
    default_rules,
    load_rules,
    parse_rules,
)
from battlemap.settings import Settings
from tests.indicators.common import DEFAULT, mutated, to_toml


def test_shipped_defaults() -> None:
    rules = default_rules()
    h = rules.household
    assert h.threshold == 80
    assert h.vetoes == ("income", "housing", "education", "medical")
    assert tuple(h.weights) == GUARANTEES and sum(h.weights.values()) == 100
    assert h.income_lines == {2014: 2800, 2015: 2855, 2016: 2952, 2017: 3335, 2018: 3535,
                              2019: 3747, 2020: 4000}  # fmt: skip
    assert rules.village.max_incidence_pct == {"east": 2, "central": 2, "west": 3}
    assert rules.county.max_wrong_exit_pct == 2 and rules.county.min_satisfaction_pct == 90
    assert rules.warning.unstable_income_multiple == 1.5 and rules.warning.income_drop_pct == 30
    assert rules.warning.severe_causes == ("因病", "因灾")


def test_toml_writer_round_trips_the_defaults() -> None:
    assert tomllib.loads(to_toml(DEFAULT)) == DEFAULT
    assert parse_rules(DEFAULT) == default_rules()


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d["household"]["weights"].update(income=25), "sum to 95 points, not 100"),
        (lambda d: d["household"]["weights"].update(wifi=0), "household.weights.wifi is not an"),
        (lambda d: d["household"]["weights"].pop("water"), "[household.weights] lacks water"),
        (lambda d: d["household"]["weights"].update(income=29.5, water=10.5), "whole number"),
        (lambda d: d["household"]["weights"].update(income=-5, water=45), "outside [0, 100]"),
        (lambda d: d["household"].update(vetoes=["income", "car"]), "unknown indicator 'car'"),
        (lambda d: d["household"].update(vetoes=["income", "income"]), "lists a name twice"),
        (lambda d: d["household"].update(threshold=120), "threshold is 120, outside"),
        (lambda d: d["household"].update(threshold="80"), "must be a number"),
        (lambda d: d["household"]["income_line"].pop("2017"), "income_line lacks year 2017"),
        (lambda d: d["household"]["income_line"].update(abc=1), "income_line.abc is not a year"),
        (lambda d: d["household"].update(treshold=80), "[household] has unknown key 'treshold'"),
        (lambda d: d.pop("county"), "lacks section [county]"),
        (lambda d: d.update(extra={"a": 1}), "unknown section [extra]"),
        (
            lambda d: d["village"]["max_incidence_pct"].pop("west"),
            "[village.max_incidence_pct] lacks west",
        ),
        (lambda d: d["county"].update(min_satisfaction_pct=0), "outside (0, 100]"),
        (lambda d: d["warning"].update(severe_causes=["因病", "因懒"]), "unknown cause '因懒'"),
        (lambda d: d["warning"].update(edge_income_multiple=1.2), "must not be below"),
        (lambda d: d.update(household=[1, 2]), "[household] must be a table"),
    ],
)
def test_bad_rules_are_refused(change: Callable[[dict], object], fragment: str) -> None:
    with pytest.raises(RulesError) as info:
        parse_rules(mutated(change), source="rules file x.toml")
    assert fragment in str(info.value)
    assert str(info.value).startswith("rules file x.toml: ")
    assert isinstance(info.value, BattlemapError)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot be read"):
        load_rules(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[household\nthreshold = 80", encoding="utf-8")
    with pytest.raises(RulesError, match="is not valid TOML"):
        load_rules(broken)


def test_override_by_path_and_environment(tmp_path: Path, monkeypatch) -> None:
    custom = tmp_path / "rules.toml"
    custom.write_text(to_toml(mutated(lambda d: d["household"].update(threshold=90))), "utf-8")
    monkeypatch.delenv(RULES_ENV, raising=False)
    assert load_rules().household.threshold == 80
    assert load_rules(custom).household.threshold == 90
    monkeypatch.setenv(RULES_ENV, str(custom))
    assert load_rules().household.threshold == 90
    assert load_rules(DEFAULT_RULES_PATH).household.threshold == 80  # a path beats the env
    assert default_rules().household.threshold == 80


def test_edited_file_is_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(to_toml(DEFAULT), "utf-8")
    assert load_rules(path) == default_rules()
    path.write_text(to_toml(mutated(lambda d: d["county"].update(max_wrong_exit_pct=3))), "utf-8")
    assert load_rules(path).county.max_wrong_exit_pct == 3


def test_digest_follows_values_not_source(tmp_path: Path) -> None:
    path = tmp_path / "same.toml"
    path.write_text(to_toml(DEFAULT), "utf-8")
    assert load_rules(path).digest() == default_rules().digest()
    other = parse_rules(mutated(lambda d: d["household"]["weights"].update(income=20, pension=20)))
    assert other.digest() != default_rules().digest()


def test_years_without_a_line_are_refused() -> None:
    default_rules().check_years(range(2014, 2021))
    with pytest.raises(RulesError, match="no line for 2021"):
        default_rules().check_years([2020, 2021])


def test_settings_refuse_bad_rules_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(to_toml(mutated(lambda d: d["household"]["weights"].update(income=31))), "utf-8")
    with pytest.raises(RulesError, match="sum to 101 points"):
        Settings(rules_path=bad)
    assert Settings(rules_path=DEFAULT_RULES_PATH).rules == default_rules()
