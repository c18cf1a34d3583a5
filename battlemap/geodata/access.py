"""The app's only door to a store: region scope checked on every call, names masked.

Modelled on row-level security: a :class:`Scope` names the regions a user may see and
what they may see of them (names, household rows, exports). Every method is region-rooted,
so one check at the top of each call enforces the scope; a crafted request for another
region raises :class:`OutOfScopeError`, a request beyond the rights :class:`MissingRightError`
(both :class:`AccessRefusedError`), and nothing comes back. For a scope without household
rights no household row or exact point leaves: H3 cells with fewer than
:data:`SMALL_COUNT` households are suppressed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

import pandas as pd

from battlemap.geodata.codes import code_prefix, normalize_code
from battlemap.geodata.errors import BattlemapError
from battlemap.geodata.features import RegionShapes
from battlemap.geodata.regions import RegionInfo
from battlemap.geodata.store import Counts, Store

__all__ = [
    "SMALL_COUNT",
    "AccessRefusedError",
    "MissingRightError",
    "OutOfScopeError",
    "Scope",
    "ScopedStore",
    "mask_name",
]

Observer = Callable[[str, bool, str], None]  # (region code, allowed, why refused)
SMALL_COUNT = 3  # aggregates of fewer households than this are suppressed ("<3")


class AccessRefusedError(BattlemapError):
    """The caller may not see this (HTTP 403, in-page 无权访问)."""


class OutOfScopeError(AccessRefusedError):
    """The region is outside the user's scope."""


class MissingRightError(AccessRefusedError):
    """The user's role lacks the right (household rows, names, exports)."""


def mask_name(name: str | None) -> str:
    """Keep the first character (the surname), mask the rest: ``张三丰`` → ``张**``.

    >>> mask_name("李四"), mask_name(""), mask_name(None)
    ('李*', '', '')
    """
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


@dataclass(frozen=True)
class Scope:
    """Regions a user may see (``roots``; empty = all) and what of them.

    ``pii``: names unmasked; ``households``: household rows and exact points may leave the
    server; ``exports``: file exports allowed. The default is the open demo's scope.
    """

    roots: tuple[str, ...] = field(default_factory=tuple)
    pii: bool = False
    households: bool = True
    exports: bool = True

    def allows(self, code: str) -> bool:
        """True when ``code`` is one of the roots or below one."""
        if not self.roots:
            return True
        return any(code.startswith(_prefix(root)) for root in self.roots)


def _prefix(code: str) -> str:
    """The identifying digits of a region code (``520102000000`` → ``520102``)."""
    return code_prefix(normalize_code(code))


class ScopedStore:
    """Region-rooted read access to a :class:`Store` under a :class:`Scope`."""

    def __init__(
        self, store: Store, scope: Scope | None = None, *, observer: Observer | None = None
    ) -> None:
        self.store = store
        self.scope = scope or Scope()
        self.observer = observer
        # counts read through this object, by (code, year): one serves one request, whose
        # map asks for the same units in several years (colour range, comparison)
        self._memo: dict[tuple[str, int], Counts] = {}

    # -- the one check -------------------------------------------------------------------
    def region(self, code: str | int) -> RegionInfo:
        """The region, or OutOfScopeError when the scope does not include it."""
        info = self.store.region(code)
        if not self.scope.allows(info.code):
            self._refuse(
                info.code, OutOfScopeError(f"region {info.code} is outside your access scope")
            )
        if self.observer is not None:
            self.observer(info.code, True, "")
        return info

    def _refuse(self, code: str, error: AccessRefusedError) -> NoReturn:
        """Tell the observer (the audit) about a refusal, then raise it."""
        if self.observer is not None:
            self.observer(code, False, str(error))
        raise error

    def require_households(self, code: str) -> RegionInfo:
        """The region, if the scope may see its household rows; MissingRightError if not."""
        info = self.region(code)
        if not self.scope.households:
            self._refuse(
                info.code, MissingRightError("your role may not see household rows or points")
            )
        return info

    # -- tree ----------------------------------------------------------------------------
    @property
    def years(self) -> tuple[int, ...]:
        return self.store.years

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(getattr(self.store, "manifest", {}) or {})

    def home(self) -> RegionInfo:
        """The region a user lands on: the first scope root, else the first province."""
        if self.scope.roots:
            return self.region(self.scope.roots[0])
        return self.store.regions.roots()[0]

    def ancestors(self, code: str) -> list[RegionInfo]:
        """Breadcrumb chain from the province down to ``code``: the parents above the
        scope come as names only (nothing else of them is readable; see ``allows``)."""
        return self.store.regions.ancestors(self.region(code).code)

    def allows(self, code: str) -> bool:
        """True when the region may be viewed (a breadcrumb links only to those)."""
        return self.scope.allows(code)

    def parent(self, code: str) -> RegionInfo | None:
        """The parent if it is in scope, else None (the top of the user's map)."""
        info = self.region(code)
        if info.parent_code is None or not self.scope.allows(info.parent_code):
            return None
        return self.store.region(info.parent_code)

    def children(self, code: str) -> list[RegionInfo]:
        return self.store.regions.children(self.region(code).code)

    # -- counts --------------------------------------------------------------------------
    def counts(self, code: str, year: int) -> Counts:
        info = self.region(code)
        return self._memoised([info.code], year)[info.code]

    def children_counts(self, code: str, year: int) -> dict[str, Counts]:
        info = self.region(code)
        children = [c.code for c in self.store.regions.children(info.code)]
        if not children:
            return {}
        # the region comes along: the map reads its own counts too
        return {
            c: v for c, v in self._memoised([*children, info.code], year).items() if c in children
        }

    def _memoised(self, codes: list[str], year: int) -> dict[str, Counts]:
        """Counts of ``codes`` in ``year`` from the memo, fetched once if missing: a store
        whose every query is a round trip (``batch_years``) gives all years at once."""
        year = self.store.check_year(year)
        if any((c, year) not in self._memo for c in codes):
            years = list(self.store.years) if self.store.batch_years else [year]
            for y, by_code in self.store.counts_years(codes, years).items():
                for c, counts in by_code.items():
                    self._memo[(c, y)] = counts
        return {c: dict(self._memo[(c, year)]) for c in codes}  # callers may keep or change them

    def series(self, code: str) -> dict[int, Counts]:
        info = self.region(code)
        return {y: self._memoised([info.code], y)[info.code] for y in self.store.years}

    # -- map features --------------------------------------------------------------------
    def unit_shapes(self, code: str) -> RegionShapes:
        return self.store.unit_shapes(self.region(code).code)

    def households(self, code: str, year: int) -> pd.DataFrame:
        """Household points with names masked unless the scope grants personal data.

        MissingRightError for a scope without household rights (not even masked rows).
        """
        frame = self.store.households(self.require_households(code).code, year)
        if not self.scope.pii:
            masked = [mask_name(n) for n in frame["head_name"].tolist()]
            frame = frame.assign(head_name=pd.Series(masked, index=frame.index, dtype=object))
        return frame

    def hexbins(self, code: str, year: int, resolution: int | None = None) -> pd.DataFrame:
        """Poor households per H3 cell; without household rights, cells of fewer than
        :data:`SMALL_COUNT` poor households are left out (a cell can be one family)."""
        cells = self.store.hexbins(self.region(code).code, year, resolution)
        if not self.scope.households:
            cells = cells[cells["poor_households"] >= SMALL_COUNT].reset_index(drop=True)
        return cells

    def check_export(self, code: str, *, households: bool = False) -> RegionInfo:
        """The region of an export, or AccessRefusedError: outside the scope, no export
        right, or (``households``) a household-level export without household rights."""
        info = self.region(code)
        if not self.scope.exports:
            self._refuse(info.code, MissingRightError("your role may not export"))
        if households and not self.scope.households:
            self._refuse(info.code, MissingRightError("your role may export aggregates only"))
        return info

    def relocation_flows(self, code: str, year: int) -> pd.DataFrame:
        return self.store.relocation_flows(self.region(code).code, year)

    def labour_flows(self, code: str, year: int) -> pd.DataFrame:
        return self.store.labour_flows(self.region(code).code, year)
