"""The view a URL describes: region, year, indicator, layers, language (no Dash here).

``?region=520000000000&year=2019&indicator=incidence&layers=choropleth,labels&lang=zh``
(+ ``&map=zoom/lat/lon`` once the map was moved by hand) ↔
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
from battlemap.indicators.filters import parse_filter
from battlemap.layers.catalog import DEFAULT_INDICATOR

__all__ = [
    "DEFAULT_LAYERS",
    "LAYER_KEYS",
    "ViewState",
    "default_state",
    "default_year",
    "parse_query",
    "parse_view",
    "view_from_relayout",
    "view_layout",
]

# "by_cause" modifies the household layer: points coloured by primary cause, not status.
# "year_scale" colours by the year in view only (default: one scale over every year).
LAYER_KEYS: tuple[str, ...] = (
    "choropleth",
    "labels",
    "heat",
    "households",
    "by_cause",
    "hexbins",
    "flows",
    "projects",
    "checkins",
    "year_scale",
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
    view: str | None = None  # the map's "zoom/lat/lon" when moved by hand; None: fit region
    compare: int | None = None  # show the change since this year
    filter: str | None = None  # a cross-filter token (indicators.filters): "cause:01" …

    def query(self, **changes: Any) -> str:
        """The URL query string (with ``?``) of this view, or of it with ``changes``.

        A change of region drops the map view (the new region is fitted) unless one is given.
        """
        if "region" in changes and "view" not in changes and changes["region"] != self.region:
            changes["view"] = None
        state = replace(self, **changes) if changes else self
        params = {
            "region": state.region,
            "year": state.year,
            "indicator": state.indicator,
            "layers": ",".join(state.layers),
            "lang": state.lang,
        }
        if state.compare is not None:
            params["compare"] = state.compare
        if state.filter:
            params["filter"] = state.filter
        if state.view:
            params["map"] = state.view
        return "?" + urlencode(params, safe=",/:")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["layers"] = list(self.layers)
        for key in ("view", "compare", "filter"):
            if data[key] is None:
                del data[key]  # absent unless set: links and stored states stay short
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ViewState:
        return cls(
            region=str(data["region"]),
            year=int(data["year"]),
            indicator=str(data["indicator"]),
            layers=tuple(data["layers"]),
            lang=str(data["lang"]),
            view=data.get("view") or None,
            compare=int(data["compare"]) if data.get("compare") is not None else None,
            filter=data.get("filter") or None,
        )

    def but(self, **changes: Any) -> ViewState:
        """A copy with some fields changed (layers normalised to catalogue order); another
        region drops the map view unless one is given."""
        if "region" in changes and "view" not in changes and changes["region"] != self.region:
            changes["view"] = None
        if "layers" in changes:
            changes["layers"] = tuple(k for k in LAYER_KEYS if k in set(changes["layers"] or ()))
        return replace(self, **changes)


def parse_view(text: str | None) -> str | None:
    """``zoom/lat/lon`` normalised (zoom 2 decimals, degrees 5), or None when malformed.

    >>> parse_view("7.254/26.81534/106.874321"), parse_view("7/95/10"), parse_view("x")
    ('7.25/26.81534/106.87432', None, None)
    """
    try:
        zoom, lat, lon = (float(x) for x in (text or "").split("/"))
    except ValueError:
        return None
    if not (0 <= zoom <= 22 and -85 <= lat <= 85 and -180 <= lon <= 180):
        return None
    return f"{round(zoom, 2)}/{round(lat, 5)}/{round(lon, 5)}"


def view_from_relayout(relayout: dict[str, Any] | None) -> str | None:
    """The map view after the user moved the map (plotly ``relayoutData``), else None."""
    data = relayout or {}
    centre, zoom = data.get("map.center"), data.get("map.zoom")
    if not isinstance(centre, dict) or zoom is None:
        return None
    try:
        return parse_view(f"{float(zoom)}/{float(centre['lat'])}/{float(centre['lon'])}")
    except (KeyError, TypeError, ValueError):
        return None


def view_layout(view: str | None) -> dict[str, Any] | None:
    """``{"center": …, "zoom": …}`` for a map layout, or None without a view."""
    if not view:
        return None
    zoom, lat, lon = (float(x) for x in view.split("/"))
    return {"center": {"lon": lon, "lat": lat}, "zoom": zoom}


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
        except AccessRefusedError:
            raise  # another region's link is refused (无权访问), not replaced by the home view
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
    compare = None
    if params.get("compare"):
        try:
            compare = int(params["compare"])
            if compare not in access.years:
                raise ValueError
        except ValueError:
            problems.append(f"compare={params['compare']!r} is not a year of the data")
            compare = None
    flt = None
    if params.get("filter"):
        parsed = parse_filter(params["filter"])
        if parsed is None:
            problems.append(f"filter={params['filter']!r} is not a known filter")
        else:
            flt = parsed.token
    view = None
    if params.get("map"):
        view = parse_view(params["map"])
        if view is None:
            problems.append(f"map={params['map']!r}: use zoom/lat/lon")
    state = ViewState(
        region=region,
        year=year,
        indicator=indicator,
        layers=layers,
        lang=lang,
        view=view,
        compare=compare,
        filter=flt,
    )
    return state, problems
