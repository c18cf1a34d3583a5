"""Browser-only callbacks: map size, play/pause timer, page language (no server round trip)."""

from __future__ import annotations

import json

from dash import Dash, Input, Output, State

from battlemap import ids
from battlemap.i18n import t

__all__ = ["PLAY_DWELL_MS", "PLAY_TICK_MS", "register"]

PLAY_TICK_MS = 200  # how often play checks whether the frame is drawn
PLAY_DWELL_MS = 1000  # how long a drawn year stays before the next one

_VIEWPORT = """
function(pathname) {
    var el = document.getElementById('__MAP__');
    var box = el ? el.getBoundingClientRect() : null;
    var w = box && box.width > 50 ? Math.round(box.width) : 640;
    var h = box && box.height > 50 ? Math.round(box.height) : 520;
    return {w: w, h: h};
}
""".replace("__MAP__", ids.MAP)

# Play: the year advances only once the last frame is drawn everywhere (map, title and
# KPIs, trend marker) and has been shown for DWELL ms, so a slow redraw never shows two
# years at once. Play stops at the last year; pressing play there starts from the first.
_PLAY = (
    """
function(clicks, ticks, year, min, max, disabled) {
    var ctx = window.dash_clientside.callback_context;
    var trigger = ctx.triggered.length ? ctx.triggered[0].prop_id.split('.')[0] : '';
    var button = document.getElementById('__PLAY__');
    var play = button ? button.dataset.play : 'Play';
    var pause = button ? button.dataset.pause : 'Pause';
    var noop = window.dash_clientside.no_update;
    var st = window.__bmPlay || (window.__bmPlay = {since: null});
    function drawn(y) {
        var title = document.getElementById('__TITLE__');
        if (!title || title.textContent.indexOf(String(y)) < 0) { return false; }
        var gd = document.querySelector('#__MAP__ .js-plotly-plot');
        if (!gd || gd.__bmDrawnYear !== y) { return false; }
        var trend = document.querySelector('#__TREND__ .js-plotly-plot');
        if (!trend || !trend._fullLayout) { return false; }
        var shapes = (trend.layout && trend.layout.shapes) || [];
        return !shapes.length || shapes[0].x0 === y;
    }
    if (trigger === '__PLAY__') {
        st.since = null;
        if (disabled) {
            return [false, pause, year >= max ? min : noop, __TICK__];
        }
        return [true, play, noop, noop];
    }
    if (disabled) { return [noop, noop, noop, noop]; }
    if (!drawn(year)) { st.since = null; return [noop, noop, noop, noop]; }
    var now = Date.now();
    if (st.since === null) { st.since = now; }
    if (now - st.since < __DWELL__) { return [noop, noop, noop, noop]; }
    st.since = null;
    if (year >= max) { return [true, play, noop, noop]; }
    return [noop, noop, year + 1, noop];
}
""".replace("__PLAY__", ids.PLAY)
    .replace("__TITLE__", ids.REGION_TITLE)
    .replace("__MAP__", ids.MAP)
    .replace("__TREND__", ids.TREND)
    .replace("__TICK__", str(PLAY_TICK_MS))
    .replace("__DWELL__", str(PLAY_DWELL_MS))
)

# After plotly has drawn a map figure or Patch, tell the server-side chart callback (hooked
# on page load, as soon as the graph div exists; the empty first figure does not count).
# The same hook resolves clicks on overlay layers to the region under the cursor.
_MAP_DRAWN = (
    """
function(pathname) {
    var REGION_METAS = ['outline', 'values', 'labels', 'labels-light', 'bubbles', 'households'];
    // On touch screens one finger scrolls the page and two fingers move the map
    // (MapLibre's cooperative gestures), so the map never traps a swipe.
    function cooperative(gd) {
        var sub = gd._fullLayout.map && gd._fullLayout.map._subplot;
        var m = sub && sub.map;
        var touch = navigator.maxTouchPoints > 0 || window.matchMedia('(pointer: coarse)').matches;
        if (!m || m.__bmCooperative || !touch || !m.cooperativeGestures) { return; }
        m.__bmCooperative = true;
        var en = document.documentElement.lang === 'en';
        m._locale = Object.assign({}, m._locale, {
            'CooperativeGesturesHandler.MobileHelpText': en ? __TWO_EN__ : __TWO_ZH__
        });
        m.cooperativeGestures.enable();
    }
    // Labels appear at once instead of fading in over 300 ms: the fade keeps MapLibre
    // redrawing every frame (~60 ms each in software WebGL) while the next map loads.
    // plotly creates the map without a fadeDuration option; this is its field.
    function instant(gd) {
        var sub = gd._fullLayout.map && gd._fullLayout.map._subplot;
        if (sub && sub.map && '_fadeDuration' in sub.map) { sub.map._fadeDuration = 0; }
    }
    // The boundaries of the children a click may drill to, fetched while the user looks:
    // plotly reads a geojson URL from window.PlotlyGeoAssets before fetching it, so the
    // next map starts drawing as soon as its figure arrives. The URLs carry the data
    // version (cached for a year); the last round's unused ones are let go.
    function prefetch(gd) {
        var assets = window.PlotlyGeoAssets;
        var region = gd.layout.meta ? gd.layout.meta.region : null;
        if (!assets || !window.fetch || !region || gd.__bmPrefetched === region) { return; }
        gd.__bmPrefetched = region;
        var own = '/geo/' + region + '.json', url = null, codes = {};
        gd.data.forEach(function (t) {
            if ((t.meta === 'outline' || t.meta === 'values') && typeof t.geojson === 'string'
                && t.geojson.indexOf(own) >= 0) {
                url = t.geojson;
                (t.locations || []).forEach(function (c) { codes[c] = true; });
            }
        });
        if (!url) { return; }
        var todo = Object.keys(codes).filter(function (c) { return c !== region; })
            .map(function (c) { return url.replace(own, '/geo/' + c + '.json'); });
        var last = window.__bmPrefetch || [];
        last.forEach(function (u) {
            if (todo.indexOf(u) < 0 && u !== url) { delete assets[u]; }
        });
        window.__bmPrefetch = todo;
        var queue = todo.slice();
        var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 50); };
        function next() {
            if (window.__bmPrefetch !== todo) { return; }  // a newer region took over
            var u = queue.shift();
            while (u && assets[u]) { u = queue.shift(); }
            if (!u) { return; }
            fetch(u, {credentials: 'same-origin'})
                .then(function (r) { return r.ok ? r.json() : null; })
                .then(function (d) { if (d && !assets[u]) { assets[u] = d; } }, function () {})
                .then(function () { idle(next, {timeout: 500}); });
        }
        idle(next, {timeout: 500});
    }
    function hook() {
        var gd = document.querySelector('#__MAP__ .js-plotly-plot');
        if (!gd || !gd.on) { return false; }
        if (!gd.__bmDrawnHook) {
            gd.__bmDrawnHook = true;
            var n = 0;
            gd.on('plotly_afterplot', function () {
                if (!gd.data || !gd.data.length) { return; }
                n += 1;
                gd.__bmDrawnYear = gd.layout.meta ? gd.layout.meta.year : null;
                cooperative(gd);
                instant(gd);
                window.dash_clientside.set_props('__DRAWN__', {data: n});
                prefetch(gd);
            });
            // before dcc.Graph reads the click: a click on an overlay (hexbin, flow, heat,
            // site) becomes a click on the region under the cursor, so layers never swallow
            // a drill (their hover still shows their own detail)
            gd._ev.prependListener('plotly_click', function (ev) {
                var pts = (ev && ev.points) || [];
                var meta = pts.length && pts[0].data ? pts[0].data.meta : '';
                if (!pts.length || REGION_METAS.indexOf(meta) >= 0 || !ev.event) { return; }
                var sub = gd._fullLayout.map && gd._fullLayout.map._subplot;
                if (!sub || !sub.map) { return; }
                var m = sub.map;
                var box = m.getCanvas().getBoundingClientRect();
                var layers = gd._fullData.filter(function (t) {
                    return t.meta === 'values' || t.meta === 'outline';
                }).map(function (t) { return 'plotly-trace-layer-' + t.uid + '-fill'; })
                  .filter(function (id) { return m.getLayer(id); });
                var hit = m.queryRenderedFeatures(
                    [ev.event.clientX - box.left, ev.event.clientY - box.top], {layers: layers});
                if (!hit.length || hit[0].id === undefined) { return; }
                pts.splice(0, pts.length, {location: String(hit[0].id), via: String(meta)});
            });
        }
        return true;
    }
    if (!hook()) {
        var watch = new MutationObserver(function () { if (hook()) { watch.disconnect(); } });
        watch.observe(document.body, {childList: true, subtree: true});
    }
    return window.dash_clientside.no_update;
}
""".replace("__MAP__", ids.MAP)
    .replace("__DRAWN__", ids.MAP_DRAWN)
    .replace("__TWO_ZH__", json.dumps(t("map_two_fingers", "zh"), ensure_ascii=False))
    .replace("__TWO_EN__", json.dumps(t("map_two_fingers", "en")))
)

_LANGUAGE = """
function(search, data) {
    var lang = new URLSearchParams(search || '').get('lang');
    var page = data && data.lang ? data.lang : 'zh';
    if (lang && lang !== page) { window.location.reload(); }
    document.documentElement.lang = page === 'en' ? 'en' : 'zh-CN';
    return window.dash_clientside.no_update;
}
"""


def register(app: Dash) -> None:
    app.clientside_callback(_VIEWPORT, Output(ids.VIEWPORT, "data"), Input(ids.URL, "pathname"))
    app.clientside_callback(
        _PLAY,
        Output(ids.TICKER, "disabled"),
        Output(ids.PLAY, "children"),
        Output(ids.YEAR, "value", allow_duplicate=True),
        Output(ids.TICKER, "interval"),
        Input(ids.PLAY, "n_clicks"),
        Input(ids.TICKER, "n_intervals"),
        State(ids.YEAR, "value"),
        State(ids.YEAR, "min"),
        State(ids.YEAR, "max"),
        State(ids.TICKER, "disabled"),
        prevent_initial_call=True,
    )
    app.clientside_callback(_MAP_DRAWN, Output(ids.MAP_DRAWN, "data"), Input(ids.URL, "pathname"))
    app.clientside_callback(
        _LANGUAGE,
        Output(ids.ERROR, "className"),
        Input(ids.URL, "search"),
        State(ids.STATE, "data"),
    )
