"""The rules file's [cadres] section (issue 15): optional, validated, outside the digest."""

from __future__ import annotations

import tomllib

import pytest

from battlemap.geodata.errors import RulesError
from battlemap.indicators.rules import DEFAULT_RULES_PATH, default_rules, parse_rules


def _data() -> dict:
    return tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def test_optional_and_outside_the_metrics_digest() -> None:
    data = _data()
    shipped = default_rules()
    del data["cadres"]
    older = parse_rules(data)
    assert older.cadres == shipped.cadres and older.digest() == shipped.digest()
    changed = _data()
    changed["cadres"]["max_households"] = 12
    rules = parse_rules(changed)
    assert rules.cadres.max_households == 12 and rules.digest() == shipped.digest()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(bogus=1), "unknown key 'bogus'"),
        (lambda c: c.update(not_visited_days=400), "not_visited_days is 400"),
        (lambda c: c["score"].pop("visit"), "lacks visit"),
        (lambda c: c.update(far_checkin_m="far"), "must be a number"),
    ],
)
def test_bad_section_is_refused(edit, message) -> None:
    data = _data()
    edit(data["cadres"])
    with pytest.raises(RulesError, match=message):
        parse_rules(data, source="test.toml")
