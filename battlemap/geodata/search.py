"""Find a region by name or code: an in-memory index over the region tree (no store calls).

A query of digits matches codes by prefix (``5226`` → 黔东南州 and everything under it,
``522631100200`` → that village); other text matches names as a substring (``黔东南``).
Results come best first: an exact name, then names starting with the query, then the rest;
within each, higher levels before lower (a county before its villages), then by code.
Each result carries the path from the top (省 › 市 › 县 › 乡 › 村) for telling apart the
many villages of the same name. Searching 18,600 regions takes about a millisecond.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from battlemap.geodata.regions import RegionTree

__all__ = ["MIN_CHARS", "MIN_CJK_CHARS", "RegionIndex", "SearchHit", "long_enough"]

MIN_CHARS = 3  # digits or Latin letters before a search runs
MIN_CJK_CHARS = 2  # Chinese names are short: 遵义, 毕节 are whole prefecture names
PATH_SEPARATOR = " › "
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class SearchHit:
    """One matching region: its code, name, level and the names from the top down."""

    code: str
    name: str
    level: int
    path: tuple[str, ...]

    def path_text(self, separator: str = PATH_SEPARATOR) -> str:
        return separator.join(self.path)


def long_enough(query: str) -> bool:
    """True when ``query`` (stripped) is long enough to search: 3 characters, 2 Chinese."""
    text = query.strip()
    need = MIN_CJK_CHARS if _CJK.search(text) else MIN_CHARS
    return len(text) >= need


class RegionIndex:
    """Every region of a tree with its path, sorted by code for prefix lookups."""

    def __init__(self, tree: RegionTree) -> None:
        infos = [tree.get(code) for code in sorted(tree.codes)]
        self._codes = [i.code for i in infos]
        self._names = [i.name for i in infos]
        self._levels = [i.level for i in infos]
        position = {code: n for n, code in enumerate(self._codes)}
        self._parents = [position.get(i.parent_code or "", -1) for i in infos]

    def __len__(self) -> int:
        return len(self._codes)

    def _path(self, n: int, allows: Callable[[str], bool]) -> tuple[str, ...]:
        chain = []
        while n >= 0:
            if allows(self._codes[n]):
                chain.append(self._names[n])
            n = self._parents[n]
        return tuple(reversed(chain))

    def _hit(self, n: int, allows: Callable[[str], bool]) -> SearchHit:
        return SearchHit(self._codes[n], self._names[n], self._levels[n], self._path(n, allows))

    def _code_matches(self, digits: str) -> list[int]:
        """Positions of codes starting with ``digits`` (a contiguous range: codes sorted)."""
        lo = bisect.bisect_left(self._codes, digits)
        hi = bisect.bisect_left(self._codes, digits + ":")  # ':' sorts right after '9'
        return list(range(lo, hi))

    def _name_matches(self, text: str) -> list[int]:
        exact, starts, inside = [], [], []
        for n, name in enumerate(self._names):
            if text in name:
                (exact if name == text else starts if name.startswith(text) else inside).append(n)
        key = self._levels.__getitem__
        return sorted(exact, key=key) + sorted(starts, key=key) + sorted(inside, key=key)

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        allows: Callable[[str], bool] | None = None,
    ) -> tuple[list[SearchHit], int]:
        """Up to ``limit`` hits best first and how many regions matched in all.

        ``allows`` is the user's scope (``Scope.allows``): regions outside it are neither
        returned nor counted, and their names are left out of the paths.
        """
        allowed = allows or (lambda _code: True)
        text = query.strip()
        if not long_enough(text):
            return [], 0
        if text.isdigit():
            order = self._code_matches(text)
            order.sort(key=self._levels.__getitem__)  # stable: code order within a level
        else:
            order = self._name_matches(text)
        matches = [n for n in order if allowed(self._codes[n])]
        return [self._hit(n, allowed) for n in matches[:limit]], len(matches)
