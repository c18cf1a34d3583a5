"""One HTML file that opens with no network: vendored JS/CSS inlined, CDN tags removed.

folium and pydeck both write pages that fetch their libraries from CDNs (blank offline, and
a leak of the user's address to outside hosts). Here folium's links are replaced by the
Leaflet files vendored under ``battlemap/assets/vendor/`` (``npm pack``ed, with licences;
see the README there), and pydeck's page keeps the deck.gl bundle it inlines from its wheel
while its CDN ``<script>``/``<link>`` tags are stripped. :func:`external_references` is the
check every writer runs before it writes: a page that still points outside is an error.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from battlemap.geodata.errors import BattlemapError

__all__ = [
    "LEAFLET",
    "MARKERCLUSTER",
    "VENDOR_DIR",
    "OfflineError",
    "Vendored",
    "assert_offline",
    "deck_bundle",
    "deck_html",
    "external_references",
    "folium_html",
    "inline_assets",
]

VENDOR_DIR = Path(__file__).resolve().parents[1] / "assets" / "vendor"


class OfflineError(BattlemapError):
    """A page would load something from outside (a library not vendored, a CDN tag)."""


@dataclass(frozen=True)
class Vendored:
    """One vendored file: ``VENDOR_DIR/package/name``, a script or a stylesheet."""

    package: str
    name: str

    @property
    def path(self) -> Path:
        return VENDOR_DIR / self.package / self.name

    @property
    def kind(self) -> str:
        return "css" if self.name.endswith(".css") else "js"


LEAFLET: tuple[Vendored, ...] = (
    Vendored("leaflet", "leaflet.css"),
    Vendored("leaflet", "leaflet.js"),
)
MARKERCLUSTER: tuple[Vendored, ...] = (
    Vendored("leaflet.markercluster", "MarkerCluster.css"),
    Vendored("leaflet.markercluster", "MarkerCluster.Default.css"),
    Vendored("leaflet.markercluster", "leaflet.markercluster.js"),
)

# folium's default link names → the vendored files that replace them; the other names
# folium declares (jQuery, Bootstrap, Font Awesome, awesome-markers) serve icon markers and
# HTML popups, which the exports do not use, and are dropped.
FOLIUM_LINKS: dict[str, tuple[Vendored, ...]] = {
    "leaflet": (LEAFLET[1],),
    "leaflet_css": (LEAFLET[0],),
    "markerclusterjs": (MARKERCLUSTER[2],),
    "markerclustercss": (MARKERCLUSTER[0],),
    "markerclusterdefaultcss": (MARKERCLUSTER[1],),
}
FOLIUM_DROPPED = frozenset(
    {
        "jquery",
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)

_SOURCE_MAP = re.compile(r"^\s*/[/*]# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)")


@cache
def _text(asset: Vendored) -> str:
    """The file's text ready to inline: no source-map comment, CSS images as data URIs."""
    text = _SOURCE_MAP.sub("", asset.path.read_text(encoding="utf-8"))
    if asset.kind == "css":

        def data_uri(match: re.Match[str]) -> str:
            image = (asset.path.parent / match.group(2)).read_bytes()
            return f"url(data:image/png;base64,{base64.b64encode(image).decode('ascii')})"

        text = _CSS_URL.sub(data_uri, text)
    # an inline script ends at the first "</script" whatever the JS means by it
    return text.replace("</script", "<\\/script").replace("</style", "<\\/style")


def inline_assets(assets: Iterable[Vendored]) -> str:
    """``<style>``/``<script>`` elements holding the files, in the given order."""
    parts = []
    for asset in assets:
        tag = "style" if asset.kind == "css" else "script"
        parts.append(f"<{tag}>/* {asset.package}/{asset.name} */\n{_text(asset)}\n</{tag}>")
    return "\n".join(parts)


# -- the check ---------------------------------------------------------------------------
_TAG = re.compile(r"<(script|link|img|iframe|source|embed|object|audio|video)\b[^>]*>", re.I)
_ATTR = re.compile(r"\b(src|href|data)\s*=\s*(['\"]?)([^'\"\s>]+)\2", re.I)
_CSS_REMOTE = re.compile(r"(?:url\(\s*['\"]?|@import\s+['\"])((?:https?:)?//[^'\")\s]+)", re.I)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.I | re.S)
_SCRIPT_BLOCK = re.compile(r"<script\b[^>]*>.*?</script>", re.I | re.S)


def _remote(url: str) -> bool:
    return url.lower().startswith(("http:", "https:", "//"))


def external_references(html: str) -> list[str]:
    """Every URL outside the file that the page would load: ``src``/``href`` of script,
    link, img, iframe … tags, and ``url(…)``/``@import`` in its stylesheets.

    Script *contents* are not read as references (a bundle holds URL strings it never
    fetches offline); tags inside scripts are skipped the same way.
    """
    markup = _SCRIPT_BLOCK.sub(lambda m: m.group(0)[: m.group(0).find(">") + 1], html)
    found = []
    for tag in _TAG.finditer(markup):
        for attr in _ATTR.finditer(tag.group(0)):
            if _remote(attr.group(3)):
                found.append(attr.group(3))
    for block in _STYLE_BLOCK.finditer(markup):
        found += _CSS_REMOTE.findall(block.group(1))
    return found


def assert_offline(html: str, what: str) -> str:
    """``html`` unchanged, or OfflineError naming the first outside reference."""
    refs = external_references(html)
    if refs:
        raise OfflineError(f"{what}: the page would load {refs[0]} (not vendored)")
    return html


# -- folium ------------------------------------------------------------------------------
def _elements(root: Any) -> Iterator[Any]:
    yield root
    for child in getattr(root, "_children", {}).values():
        yield from _elements(child)


def folium_html(fmap: Any) -> str:
    """The folium map as one offline HTML page: its CDN links replaced by the vendored
    Leaflet (+ markercluster) inlined in ``<head>``; OfflineError for a link it does not
    know (a plugin whose library is not vendored)."""
    from branca.element import Element

    needed: list[Vendored] = []
    for element in _elements(fmap):
        for name, url in [
            *getattr(element, "default_css", []),
            *getattr(element, "default_js", []),
        ]:
            if name in FOLIUM_LINKS:
                needed += [a for a in FOLIUM_LINKS[name] if a not in needed]
            elif name not in FOLIUM_DROPPED:
                raise OfflineError(f"folium element needs {name} ({url}), which is not vendored")
        if hasattr(element, "default_js"):
            element.default_js = []
            element.default_css = []
    # stylesheets first, then scripts in dependency order (Leaflet before its plugins)
    order = [*LEAFLET, *MARKERCLUSTER]
    needed.sort(key=lambda a: (a.kind != "css", order.index(a)))
    figure = fmap.get_root()
    figure.header.add_child(Element(inline_assets(needed)), name="battlemap_vendored", index=0)
    return assert_offline(figure.render(), "folium map")


# -- pydeck ------------------------------------------------------------------------------
_CDN_TAG = re.compile(
    r"<script\b[^>]*\bsrc=['\"]?(?:https?:)?//[^>]*>\s*</script>\s*"
    r"|<link\b[^>]*\bhref=['\"]?(?:https?:)?//[^>]*>\s*",
    re.I,
)


@cache
def deck_bundle() -> str:
    """The deck.gl bundle pydeck inlines into its offline pages (its wheel's
    ``nbextension/static/index.js``, the ``createDeck``/``updateDeck`` globals), without its
    source-map comment: for a page that loads it as a script from this app (the wall's 3D
    panel) instead of inlining it."""
    import pydeck

    path = Path(pydeck.__file__).parent / "nbextension" / "static" / "index.js"
    try:
        return _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OfflineError(f"{path}: the deck.gl bundle cannot be read ({exc})") from exc


def deck_html(deck: Any, *, head: str = "", body: str = "") -> str:
    """The pydeck map as one offline HTML page: deck.gl inlined from the pydeck wheel, its
    template's CDN tags (mapbox-gl, Bootstrap, Font Awesome, MapLibre and widget CSS)
    removed; ``head`` (styles) and ``body`` (e.g. the stamp) added."""
    page = deck.to_html(as_string=True, offline=True, notebook_display=False)
    # cut CDN tags out of the template part only (never out of the inlined bundle)
    start = page.find("<script type='text/javascript'>")
    end = page.find("</script>", start) + len("</script>") if start >= 0 else -1
    if start < 0 or end <= start:
        raise OfflineError("pydeck page: the inlined deck.gl bundle was not found")
    before = _CDN_TAG.sub("", page[:start])
    after = _CDN_TAG.sub("", page[end:])
    # the bundle sits inside <head>: the rest of the head and the body come after it
    after = after.replace("</head>", head + "</head>", 1).replace("<body>", "<body>" + body, 1)
    return assert_offline(before + page[start:end] + after, "pydeck map")
