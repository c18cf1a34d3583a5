"""The tour of one wall screen from its config and scope (cached per data version)."""

from __future__ import annotations

from battlemap.geodata.access import AccessRefusedError, ScopedStore
from battlemap.geodata.errors import BattlemapError
from battlemap.lru import BoundedCache
from battlemap.views.attention import attention_regions
from battlemap.viewstate import default_year
from battlemap.wall.config import WallConfig
from battlemap.wall.tour import Stop, attention_tour, explicit_tour

__all__ = ["TourPlanner"]


class TourPlanner:
    """Tours by (scope, config, data version): the attention list is recomputed when the
    data changes (an import shows at the next refresh), never per step."""

    def __init__(self, entries: int = 64) -> None:
        self._cache: BoundedCache[tuple[list[Stop], list[str]]] = BoundedCache(entries)

    def stops(
        self, access: ScopedStore, config: WallConfig, version: str
    ) -> tuple[list[Stop], list[str]]:
        """The stops and the problems (tour codes outside the scope or unknown, ignored)."""
        key = (repr(access.scope), repr(config), version)
        hit = self._cache.get(key)
        if hit is None:
            hit = plan(access, config)
            self._cache.put(key, hit)
        return hit


def _year(access: ScopedStore, config: WallConfig, home: str) -> int:
    """The configured year, else the last year the region still has poor persons."""
    return config.year if config.year in access.years else default_year(access, home)


def plan(access: ScopedStore, config: WallConfig) -> tuple[list[Stop], list[str]]:
    """The tour of ``config`` for ``access``'s scope, and problems with the config."""
    problems: list[str] = []
    home = access.home()
    if config.start:
        try:
            home = access.region(config.start)
        except AccessRefusedError:
            problems.append(f"start {config.start}: outside this screen's scope")
        except BattlemapError as exc:
            problems.append(f"start {config.start}: {exc}")
    year = _year(access, config, home.code)
    if config.year is not None and config.year != year:
        problems.append(
            f"year {config.year}: not in the data ({access.years[0]}–{access.years[-1]})"
        )
    years = access.years if config.play_years else ()
    if config.tour:
        codes = []
        for code in config.tour:
            try:
                codes.append(access.region(code).code)
            except AccessRefusedError:
                problems.append(f"tour {code}: outside this screen's scope")
            except BattlemapError as exc:
                problems.append(f"tour {code}: {exc}")
        if codes:
            return explicit_tour(codes, year, years=years), problems
    regions = access.store.regions

    def path(code: str) -> list[str]:
        return [r.code for r in regions.ancestors(code) if r.level > home.level]

    attention = [
        (a.code, a.reason) for a in attention_regions(access, home.code, year, config.attention)
    ]
    return attention_tour(home.code, year, attention, path, years=years), problems
