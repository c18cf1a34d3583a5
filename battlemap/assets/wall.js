/* The wall screen (/wall): clock, pause on input, the stale badge, bounded history.
 * Loaded on every page of the app (Dash serves all assets); does nothing without the
 * wall's root element. One listener per input type and one 1-second timer, created once
 * for the page's life: nothing grows while the tour runs for days. */
(function () {
  'use strict';
  if (window.bmWall) { return; }
  var state = {pausedUntil: 0, beat: null, beatAt: Date.now(), lastOk: null, loadedAt: Date.now()};

  function root() { return document.getElementById('wall-root'); }
  function ms(el, name, fallback) {
    var v = el ? parseInt(el.getAttribute('data-' + name), 10) : NaN;
    return isNaN(v) ? fallback : v;
  }
  function paused() { return Date.now() < state.pausedUntil; }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function hhmm(t) { var d = new Date(t); return pad(d.getHours()) + ':' + pad(d.getMinutes()); }
  function clockText(d) {
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function onInput() {
    var r = root();
    if (!r) { return; }
    state.pausedUntil = Date.now() + ms(r, 'resume', 60000);
    update();
  }

  // Dash records every input prop change for undo (store.history.past, never trimmed):
  // a timer-driven page would grow it forever. The wall has no undo: keep it short.
  function trimHistory() {
    var store = window.store;
    if (!store || !store.getState) { return; }
    var history = store.getState().history;
    var n = 0;
    while (history && history.past && history.past.length > 8 && n < 64) {
      store.dispatch({type: 'REVERT'});
      history = store.getState().history;
      n += 1;
    }
  }

  // A table panel shows the rows that fit its box whole; the others are left out (not
  // cut in half, not spilling past the screen). Measured with every row in, in one task.
  function cutRows() {
    var boxes = document.querySelectorAll('.bm-wall-tablebox');
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var rows = box.querySelectorAll('tbody tr');
      for (var k = 0; k < rows.length; k++) {
        rows[k].classList.remove('bm-wall-cut');
      }
      var bottom = box.getBoundingClientRect().bottom;
      for (var j = 0; j < rows.length; j++) {
        if (rows[j].getBoundingClientRect().bottom > bottom + 0.5) {
          rows[j].classList.add('bm-wall-cut');
        }
      }
    }
  }

  // The names on the wall's map get a halo (MapLibre's text-halo, which plotly does not
  // offer): a name at the province's edge runs onto the dark background, where its dark
  // text could not be read; a light halo keeps it readable there and on the light fills
  // (white names, over dark fills, get a dark one). Set again after every plot, since
  // plotly may make a trace's layer anew; the main page's light map is left alone.
  var HALOS = {labels: 'rgba(255,255,255,0.85)', 'labels-light': 'rgba(11,26,43,0.85)'};
  function haloNames() {
    var gd = document.querySelector('#wall-map .js-plotly-plot');
    var full = gd && gd._fullLayout;
    var sub = full && full.map && full.map._subplot;
    var map = sub && sub.map;
    if (!map || !gd._fullData) { return; }
    if (!gd.__bmHalo && gd.on) {
      gd.__bmHalo = true;
      gd.on('plotly_afterplot', haloNames);
    }
    gd._fullData.forEach(function (trace) {
      var colour = HALOS[trace.meta];
      var id = 'plotly-trace-layer-' + trace.uid + '-symbol';
      if (!colour || !map.getLayer(id) || map.getPaintProperty(id, 'text-halo-color') === colour) {
        return;
      }
      var size = (trace.textfont && trace.textfont.size) || 12;
      map.setPaintProperty(id, 'text-halo-color', colour);
      map.setPaintProperty(id, 'text-halo-width', Math.max(1.5, size / 9));
    });
  }

  function update() {
    var r = root();
    if (!r) { return; }
    haloNames();
    var now = Date.now();
    var clock = document.getElementById('wall-clock');
    if (clock) { clock.textContent = clockText(new Date(now)); }
    var mark = document.getElementById('wall-paused');
    if (mark) { mark.hidden = !paused(); }
    r.classList.toggle('is-paused', paused());
    var hb = document.getElementById('wall-heartbeat');
    var beat = hb ? hb.textContent : '';
    if (beat !== state.beat) {
      state.beat = beat;
      state.beatAt = now;
      if (beat.indexOf('ok') === 0) { state.lastOk = now; }
    }
    // answers are due every step (touring) or every refresh (paused)
    var every = Math.min(paused() ? Infinity : ms(r, 'interval', 15000), ms(r, 'refresh', 30000));
    var stale = beat.indexOf('fail') === 0 || now - state.beatAt > 2 * every + 2000;
    var badge = document.getElementById('wall-stale');
    if (badge) {
      var since = hhmm(state.lastOk !== null ? state.lastOk : state.loadedAt);
      var text = (badge.getAttribute('data-template') || '{time}').replace('{time}', since);
      if (badge.textContent !== text) { badge.textContent = text; }
      badge.hidden = !stale;
    }
    r.classList.toggle('is-stale', stale);
    cutRows();
    if (!state.observer) {  // cut rows as soon as a new table arrives (one observer, ever)
      var box = document.querySelector('.bm-wall-tablebox');
      if (box && window.MutationObserver) {
        state.observer = new MutationObserver(cutRows);
        state.observer.observe(box, {childList: true, subtree: true});
      }
    }
    trimHistory();
  }

  // Whether the map is still drawing the step on screen (its region not yet the
  // heartbeat's, or MapLibre loading or moving): the 3D panel waits for it (wall/deck.py).
  function mapBusy() {
    var gd = document.querySelector('#wall-map .js-plotly-plot');
    var full = gd && gd._fullLayout;
    var sub = full && full.map && full.map._subplot;
    var map = sub && sub.map;
    if (!map) { return !!document.getElementById('wall-map'); }  // not yet drawn at all
    var hb = document.getElementById('wall-heartbeat');
    var region = (hb ? hb.textContent : '').split('|')[2];
    var shown = !region || (gd.layout && gd.layout.uirevision === region);
    return !(shown && map.loaded() && !map.isMoving());
  }

  ['pointerdown', 'keydown', 'touchstart', 'wheel'].forEach(function (type) {
    document.addEventListener(type, onInput, {capture: true, passive: true});
  });
  setInterval(update, 1000);
  window.bmWall = {paused: paused, state: state, update: update, mapBusy: mapBusy};
})();
