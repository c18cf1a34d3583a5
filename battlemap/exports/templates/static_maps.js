// Battlemap: MapLibre maps drawn once, for a picture (loaded into the export Chromium's
// kaleido page after plotly.js; see battlemap/exports/browser.py).
//
// A picture needs the map's last frame only, but MapLibre in the page paints every
// intermediate frame: the background while the sources still load, then ~20 more frames
// of its 300 ms symbol fade-in (the first "idle" of an empty style turns the fade on before
// plotly adds the traces). In software WebGL each frame of a 960 x 720 map costs ~60 ms of
// the GPU process, and toDataURL waits for all of them. Here, for maps in this page only:
//   - the symbol fade is 0 ms (names appear at once: the faded-in end state, same pixels);
//   - a frame is only painted once the map has loaded (sources and glyphs in): the frames
//     before it would be overwritten anyway and are never read.
// plotly waits for the first rendered frame of the loaded map and reads it, as before.
// The figure is untouched. ``window.battlemapStaticMaps`` tells Python whether the patch is
// on (``patched``), lets a test turn it off (``enabled``) and counts painted frames.
(function () {
  "use strict";
  const state = { patched: false, enabled: true, error: "", frames: 0, painted: 0 };
  window.battlemapStaticMaps = state;

  function patch(proto) {
    const render = proto._render;
    if (typeof render !== "function") throw new Error("MapLibre Map._render not found");
    proto._render = function (...args) {
      if (!state.enabled || !this.painter || typeof this.painter.render !== "function") {
        return render.apply(this, args);
      }
      state.frames += 1;
      this._fadeDuration = 0;
      const map = this;
      const painter = this.painter;
      const paint = painter.render;
      painter.render = function (...paintArgs) {
        if (map.loaded()) {
          state.painted += 1;
          return paint.apply(this, paintArgs);
        }
        return undefined;
      };
      try {
        return render.apply(this, args);
      } finally {
        painter.render = paint;
      }
    };
    state.patched = true;
  }

  // plotly.js bundles MapLibre without exposing it: one tiny offline map hands us its class
  async function findMapClass() {
    const div = document.createElement("div");
    div.style.position = "absolute";
    div.style.left = "-200px";
    document.body.appendChild(div);
    const style = {
      version: 8,
      sources: { empty: { type: "geojson", data: { type: "FeatureCollection", features: [] } } },
      layers: [{ id: "background", type: "background", paint: { "background-color": "#fff" } }],
    };
    try {
      await Plotly.newPlot(
        div,
        [{ type: "scattermap", lon: [0], lat: [0], mode: "markers" }],
        { width: 60, height: 60, map: { style: style } },
        { staticPlot: true }
      );
      patch(Object.getPrototypeOf(div._fullLayout.map._subplot.map));
    } finally {
      Plotly.purge(div);
      div.remove();
    }
  }

  let ready = null;
  function whenReady() {
    if (ready === null) {
      ready = findMapClass().catch(function (err) {
        state.error = String((err && err.message) || err); // maps still draw, only slower
      });
    }
    return ready;
  }

  // kaleido's scope is defined by a later script: wrap it once the page has parsed, so no
  // picture starts before the patch is in
  document.addEventListener("DOMContentLoaded", function () {
    const scopes = window.kaleido_scopes;
    if (!scopes || typeof scopes.plotly !== "function") return;
    const draw = scopes.plotly;
    scopes.plotly = function (...args) {
      const self = this;
      return whenReady().then(function () {
        return draw.apply(self, args);
      });
    };
    whenReady();
  });
})();
