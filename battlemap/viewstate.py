"""The view a URL describes: region, year, indicator, layers, language (no Dash here).

``?region=520000000000&year=2019&indicator=incidence&layers=choropleth,labels&lang=zh`` ↔
:class:`ViewState`. Parsing never fails: bad parameters fall back to defaults and are
reported as problems the page shows in words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from battlemap.geodata.access import AccessRefusedError, ScopedStore
from battlemap.geodata.errors import BattlemapError
from battlemap.i18n import LANGUAGES
from battlemap.layers.catalog import DEFAULT_INDICATOR

__all__ = [
    "DEFAULT_LAYERS",
    "LAYER_KEYS",
    "ViewState",
    "default_state",
    "default_year",
    "parse_query",
]

# "by_cause" modifies the household layer: points coloured by primary cause, not status.
LAYER_KEYS: tuple[str, ...] = (
    "choropleth",
    "labels",
    "heat",
    "households",
    "by_cause",
    "hexbins",
    "flows",
)
DEFAULT_LAYERS: tuple[str, ...] = ("choropleth", "labels", "households")


@dataclass(frozen=True)
class ViewState:
    """Everything that defines one view of the battle map."""

    region: str
    year: int
    indicator: str = DEFAULT_INDICATOR
    layers: tuple[str, ...] = DEFAULT_LAYERS
    lang: str = "zh"

    def query(self, **changes: Any) -> str:
        """The URL query string (with ``?``) of this view, or of it with ``changes``."""
        state = replace(self, **changes) if changes else self
        return "?" + urlencode(
            {
                "region": state.region,
                "year": state.year,
                "indicator": state.indicator,
                "layers": ",".join(state.layers),
                "lang": state.lang,
            },
            safe=",",
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["layers"] = list(self.layers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ViewState:
        return cls(
            region=str(data["region"]),
            year=int(data["year"]),
            indicator=str(data["indicator"]),
            layers=tuple(data["layers"]),
            lang=str(data["lang"]),
        )

    def but(self, **changes: Any) -> ViewState:
        """A copy with some fields changed (layers normalised to catalogue order)."""
        if "layers" in changes:
            changes["layers"] = tuple(k for k in LAYER_KEYS if k in set(changes["layers"] or ()))
        return replace(self, **changes)


def default_year(access: ScopedStore, region: str) -> int:
    """The last year in which the region still has poor persons (else the last year)."""
    for year in reversed(access.years):
        if access.counts(region, year)["poor_persons"] > 0:
            return year
    return access.years[-1]


def default_state(access: ScopedStore, *, lang: str = "zh") -> ViewState:
    """The landing view: the user's home region in its current year."""
    home = access.home().code
    return ViewState(region=home, year=default_year(access, home), lang=lang)


def parse_query(
    search: str | None,
    access: ScopedStore,
    *,
    indicators: list[str],
    default_lang: str = "zh",
) -> tuple[ViewState, list[str]]:
    """The view of a query string plus the problems found (each already user-readable)."""
    query = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    params = {k: v[-1] for k, v in query.items()}
    problems: list[str] = []
    lang = params.get("lang", default_lang)
    if lang not in LANGUAGES:
        problems.append(f"lang={lang!r}: use zh or en")
        lang = default_lang
    region = access.home().code
    if "region" in params:
        try:
            region = access.region(params["region"]).code
        except BattlemapError as exc:
            problems.append(str(exc))
    year: int | None = None
    if "year" in params:
        try:
            year = int(params["year"])
            if year not in access.years:
                raise ValueError
        except ValueError:
            problems.append(
                f"year={params['year']!r} is outside {access.years[0]}–{access.years[-1]}"
            )
            year = None
    if year is None:
        year = default_year(access, region)
    indicator = params.get("indicator", DEFAULT_INDICATOR)
    if indicator not in indicators:
        problems.append(f"indicator={indicator!r} is not available")
        indicator = DEFAULT_INDICATOR
    layers = DEFAULT_LAYERS
    if "layers" in params:
        asked = [k for k in params["layers"].split(",") if k]
        unknown = [k for k in asked if k not in LAYER_KEYS]
        if unknown:
            problems.append(f"unknown layer(s) {', '.join(unknown)}")
        layers = tuple(k for k in LAYER_KEYS if k in asked)
    state = ViewState(region=region, year=year, indicator=indicator, layers=layers, lang=lang)
    return state, problems
        except AccessRefusedError:
            raise  # another region's link is refused (无权访问), not replaced by the home view
