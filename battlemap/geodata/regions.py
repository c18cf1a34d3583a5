"""The region tree (province → village) shared by both stores: lookups without geometry."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from battlemap.geodata.codes import InvalidCodeError, normalize_code
from battlemap.geodata.errors import UnknownRegionError

__all__ = ["REGION_COLUMNS", "RegionInfo", "RegionTree"]

REGION_COLUMNS = ("code", "level", "name", "parent_code", "zone", "poverty_flag")


@dataclass(frozen=True)
class RegionInfo:
    """One region's attributes (no geometry)."""

    code: str
    level: int
    name: str
    parent_code: str | None
    zone: str
    poverty_flag: bool


class RegionTree:
    """Regions by code with their children, built once from the regions table."""

    def __init__(self, frame: pd.DataFrame) -> None:
        frame = frame.sort_values("code")
        self._info: dict[str, RegionInfo] = {}
        self._children: dict[str, list[str]] = {}
        for row in frame.itertuples(index=False):
            parent = row.parent_code if isinstance(row.parent_code, str) else None
            self._info[row.code] = RegionInfo(
                code=row.code,
                level=int(row.level),
                name=row.name,
                parent_code=parent or None,
                zone=row.zone,
                poverty_flag=bool(row.poverty_flag),
            )
            if parent:
                self._children.setdefault(parent, []).append(row.code)
        self.codes: tuple[str, ...] = tuple(self._info)
        self.index: dict[str, int] = {code: i for i, code in enumerate(self.codes)}

    def __len__(self) -> int:
        return len(self._info)

    def __contains__(self, code: object) -> bool:
        return code in self._info

    def get(self, code: str | int) -> RegionInfo:
        """The region for a 2/4/6/9/12-digit code; a clear error when unknown."""
        try:
            full = normalize_code(code)
        except InvalidCodeError as exc:
            raise UnknownRegionError(str(exc)) from None
        info = self._info.get(full)
        if info is None:
            raise UnknownRegionError(f"region code {full} is not in this data set")
        return info

    def children(self, code: str) -> list[RegionInfo]:
        """Direct children in code order (empty for a village)."""
        return [self._info[c] for c in self._children.get(self.get(code).code, [])]

    def roots(self) -> list[RegionInfo]:
        """Regions without a parent (the province or provinces in the data set)."""
        return [i for i in self._info.values() if i.parent_code is None]

    def ancestors(self, code: str) -> list[RegionInfo]:
        """The chain from the root down to ``code`` inclusive (for a breadcrumb)."""
        chain = [self.get(code)]
        while chain[-1].parent_code and chain[-1].parent_code in self._info:
            chain.append(self._info[chain[-1].parent_code])
        return chain[::-1]

    def level_codes(self, level: int) -> list[str]:
        return [c for c, i in self._info.items() if i.level == level]
