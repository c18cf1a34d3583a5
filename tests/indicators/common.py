"""Shared helpers of the indicator tests: the shipped rules as data, edited copies, TOML."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from typing import Any

from battlemap.indicators.rules import DEFAULT_RULES_PATH

__all__ = ["DEFAULT", "mutated", "to_toml"]

DEFAULT = tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value).lower() if isinstance(value, bool) else repr(value)


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A minimal TOML writer for the rules' shape (tables of scalars, lists, inline tables)."""
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict) or prefix.count(".")}
    tables = {k: v for k, v in data.items() if k not in scalars}
    lines = [f"[{prefix}]"] if prefix and scalars else []
    lines += [f'"{k}" = {_toml_value(v)}' for k, v in scalars.items()]
    for key, value in tables.items():
        lines.append(to_toml(value, f"{prefix}.{key}" if prefix else key))
    return "\n".join(lines) + "\n"


def mutated(change: Callable[[dict], object]) -> dict[str, Any]:
    data = copy.deepcopy(DEFAULT)
    change(data)
    return data
