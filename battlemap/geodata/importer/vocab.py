"""Accepted spellings of coded values (status, household type, cause, yes/no) and suggestions.

Each vocabulary maps normalized spellings to the stored value; :func:`suggest_cause` names
the closest known cause for an unknown one (difflib), e.g. ``因病返贫`` → ``因病``.
"""

from __future__ import annotations

import difflib
import unicodedata
from functools import lru_cache

from battlemap.geodata.schema import (
    CAUSES,
    HH_TYPES,
    STATUS_EXITED,
    STATUS_POOR,
    STATUS_RETURNED,
)

__all__ = [
    "CAUSE_VALUES",
    "FLAG_VALUES",
    "HH_TYPE_VALUES",
    "STATUS_VALUES",
    "normalize_value",
    "suggest_cause",
]


def normalize_value(text: str) -> str:
    """NFKC, no spaces, lower case: ``' 一般户 '`` → ``'一般户'``, ``'YES'`` → ``'yes'``."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _vocab(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value, spellings in pairs.items():
        for spelling in (value, *spellings):
            out[normalize_value(spelling)] = value
    return out


STATUS_VALUES: dict[str, str] = _vocab(
    {
        STATUS_POOR: ("贫困", "在贫", "贫困户", "poor", "not exited"),
        STATUS_EXITED: ("脱贫", "已脱贫户", "exited"),
        STATUS_RETURNED: ("返贫户", "returned"),
    }
)
HH_TYPE_VALUES: dict[str, str] = _vocab(
    {
        "一般户": ("一般贫困户", "一般", "general"),
        "低保户": ("低保贫困户", "低保", "dibao"),
        "特困供养户": ("特困户", "特困供养贫困户", "特困", "五保户", "五保贫困户", "tekun"),
    }
)
assert set(HH_TYPE_VALUES.values()) == set(HH_TYPES)

_CAUSE_EXTRA = {
    "缺劳动力": ("缺劳力",),
    "交通条件落后": ("交通落后", "交通条件差"),
    "自身发展动力不足": ("自身发展力不足", "缺乏内生动力", "内生动力不足"),
    "其他": ("其它",),
}
CAUSE_VALUES: dict[str, str] = _vocab(
    {name: (f"{name}致贫", *_CAUSE_EXTRA.get(name, ())) for name in CAUSES}
)
FLAG_VALUES: dict[str, bool] = {
    normalize_value(k): v
    for keys, v in (
        (("是", "有", "y", "yes", "true", "t", "1", "√", "✓", "达标", "已参加", "安全"), True),
        (("否", "无", "n", "no", "false", "f", "0", "×", "✗", "未达标", "未参加", "不安全"), False),
    )
    for k in keys
}


@lru_cache(maxsize=4096)
def suggest_cause(text: str) -> str | None:
    """The closest known cause name to an unknown one, or None if nothing is close.

    >>> suggest_cause("因病返贫")
    '因病'
    >>> suggest_cause("缺资")
    '缺资金'
    """
    key = normalize_value(text)
    for name in CAUSES:  # a known name inside the text (因病返贫, 因残疾) is the best hint
        if name in key or (len(key) >= 2 and key in name):
            return name
    close = difflib.get_close_matches(key, list(CAUSE_VALUES), n=1, cutoff=0.4)
    return CAUSE_VALUES[close[0]] if close else None
