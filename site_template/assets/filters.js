/* Takara Map — filters, search and 近くの場所 on the whole map (index.html).
 *
 * Talks to the map only through window.takara (ready, layer.P, setFilter, setCategory, visibleCount):
 * the map and the 一覧表 follow the same filter. The state lives in the query string (?wd=2&pd=morning…)
 * so a filtered view can be shared or bookmarked; the reader's own position is never put there.
 * Strings come from the catalogue (assets/i18n/<lang>.js); record text is set with textContent only.
 */
(function () {
  'use strict';

  var doc = document;
  var body = doc.body;
  var api = window.takara;
  var form = doc.getElementById('filters');
  if (!form || !api || !api.ready) { return; }
  var ROOT = body.getAttribute('data-root') || '';

  var t = window.takaraT; // assets/strings.js

  function fetchJSON(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) { throw new Error(url + ': HTTP ' + r.status); }
      return r.json();
    });
  }

  /* takara.js folds text for search (width, case, katakana, spaces): one rule for the box and the data. */
  var normalise = api.normaliseSearch;

  var $ = function (sel) { return form.querySelector(sel); };
  var all = function (sel) { return Array.prototype.slice.call(form.querySelectorAll(sel)); };
  var searchBox = $('#f-q'), targetSel = $('#f-t'), townBox = $('#near-town');
  var countEl = doc.getElementById('filter-count'), nearStatus = doc.getElementById('near-status');
  var clearNear = doc.getElementById('near-clear');
  var layersForm = doc.getElementById('layers');

  var data = { targets: null, t: null, q: null, names: null, towns: null };
  var near = null; // { name, lat, lon, town: true|false }
  var searchLoad = null;
  var applied = ''; // the filter last given to the map ('' = none)

  // ------------------------------------------------------------------ state <-> form <-> URL

  function checked(name) {
    return all('input[name="' + name + '"]').filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
  }

  function categoryBoxes() {
    return layersForm ? Array.prototype.slice.call(layersForm.querySelectorAll('input[name="category"]')) : [];
  }

  function readForm() {
    var cats = categoryBoxes();
    var on = cats.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    return {
      q: searchBox.value.trim(),
      wd: checked('wd'),
      pd: checked('pd'),
      t: targetSel.value,
      free: $('input[name="free"]').checked,
      active: $('input[name="active"]').checked,
      c: on.length === cats.length ? null : on,
      near: near && near.town ? near.name : ''
    };
  }

  function toQuery(s) {
    var p = new URLSearchParams();
    if (s.q) { p.set('q', s.q); }
    if (s.wd.length) { p.set('wd', s.wd.join(',')); }
    if (s.pd.length) { p.set('pd', s.pd.join(',')); }
    if (s.t) { p.set('t', s.t); }
    if (s.free) { p.set('free', '1'); }
    if (s.active) { p.set('active', '1'); }
    if (s.c) { p.set('c', s.c.join(',')); }
    if (s.near) { p.set('near', s.near); }
    var q = p.toString();
    return q ? '?' + q : '';
  }

  function writeURL(s) {
    var url = location.pathname + toQuery(s) + location.hash;
    if (url !== location.pathname + location.search + location.hash) { history.replaceState(null, '', url); }
  }

  function fromURL() {
    var p = new URLSearchParams(location.search);
    var list = function (k) { return (p.get(k) || '').split(',').filter(Boolean); };
    return { q: p.get('q') || '', wd: list('wd'), pd: list('pd'), t: p.get('t') || '', free: p.get('free') === '1',
      active: p.get('active') === '1', c: p.has('c') ? list('c') : null, near: p.get('near') || '' };
  }

  function fillForm(s) {
    searchBox.value = s.q;
    all('input[name="wd"]').forEach(function (b) { b.checked = s.wd.indexOf(b.value) >= 0; });
    all('input[name="pd"]').forEach(function (b) { b.checked = s.pd.indexOf(b.value) >= 0; });
    targetSel.value = Array.prototype.some.call(targetSel.options, function (o) { return o.value === s.t; }) ? s.t : '';
    $('input[name="free"]').checked = s.free;
    $('input[name="active"]').checked = s.active;
    if (s.c) {
      categoryBoxes().forEach(function (b) {
        var on = s.c.indexOf(b.value) >= 0;
        if (b.checked !== on) { api.setCategory(b.value, on); }
      });
    }
    townBox.value = s.near;
  }

  // ------------------------------------------------------------------ the filter

  function bitsOf(values, table) {
    return values.reduce(function (m, v) { return m | (table[v] || 0); }, 0);
  }

  function apply() {
    var s = readForm();
    var P = api.layer.P;
    var flags = (api.index && api.index.flags) || { free: 1, active: 2 };
    var periods = (api.index && api.index.periods) || { morning: 1, afternoon: 2, evening: 4 };
    var wdMask = s.wd.reduce(function (m, d) { return m | (1 << Number(d)); }, 0);
    var pdMask = bitsOf(s.pd, periods);
    var tBit = s.t && data.targets ? (1 << data.targets.indexOf(s.t)) : 0;
    var T = data.t;
    var terms = s.q ? s.q.split(/\s+/).map(normalise).filter(Boolean) : [];
    if (terms.length && !data.q) { loadSearch().then(apply); }
    var Q = data.q, names = data.names;
    var any = wdMask || pdMask || tBit || s.free || s.active || terms.length;
    var key = any ? toQuery(s) + (Q ? '+q' : '') : '';
    if (key === applied) { writeURL(s); showCount(); return; } // nothing new: keep the map and the list as they are
    applied = key;
    api.setFilter(!any ? null : function (i) {
      if (wdMask && !(P.w[i] & wdMask)) { return false; }
      if (pdMask && !(P.p[i] & pdMask)) { return false; }
      if (tBit && !(T && (T[i] & tBit))) { return false; }
      if (s.free && !(P.f[i] & flags.free)) { return false; }
      if (s.active && !(P.f[i] & flags.active)) { return false; }
      if (terms.length) {
        if (!Q) { return false; } // still loading: nothing matches until the text is here
        var hay = names[i] + ' ' + Q[i];
        for (var k = 0; k < terms.length; k++) { if (hay.indexOf(terms[k]) < 0) { return false; } }
      }
      return true;
    });
    writeURL(s);
    showCount();
    if (near) { sortByDistance(); }
  }

  function showCount() {
    var shown = api.visibleCount(), total = api.total();
    countEl.textContent = shown === total ? t('list.total', { count: total }) : t('list.showing', { shown: shown, total: total });
  }

  function loadSearch() {
    if (!searchLoad) {
      searchLoad = fetchJSON(ROOT + 'data/search.json').then(function (d) {
        data.names = api.layer.P.name.map(normalise);
        data.q = d.q.map(normalise); // written as in the records: folded here, by the one rule
      });
    }
    return searchLoad;
  }

  // ------------------------------------------------------------------ 近くの場所

  function distanceM(lat1, lon1, lat2, lon2) {
    var R = 6371000, rad = Math.PI / 180;
    var dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * R * Math.asin(Math.sqrt(a));
  }

  function distanceText(m) {
    return m < 1000 ? t('near.distance_m', { m: Math.max(10, Math.round(m / 10) * 10) })
      : t('near.distance', { km: (m / 1000).toFixed(1) });
  }

  var originalOrder = null;

  /* The 一覧表 in order of distance from `near`, each entry saying how far. */
  function sortByDistance() {
    var list = doc.getElementById('place-list');
    var P = api.layer.P;
    if (!list) { return; }
    var rows = Array.prototype.slice.call(list.children);
    if (!originalOrder) { originalOrder = rows.slice(); }
    var dist = new Map();
    rows.forEach(function (row) {
      var i = api.layer.byN[Number(row.getAttribute('data-n'))];
      var d = i === undefined ? Infinity : distanceM(near.lat, near.lon, P.lat[i], P.lon[i]);
      dist.set(row, d);
      var el = row.querySelector('.distance');
      if (!el) {
        el = doc.createElement('span');
        el.className = 'distance';
        var head = row.querySelector('.place-head') || row;
        head.appendChild(el);
      }
      el.textContent = isFinite(d) ? distanceText(d) : '';
    });
    rows.sort(function (a, b) { return dist.get(a) - dist.get(b); });
    rows.forEach(function (row) { list.appendChild(row); });
    nearStatus.textContent = t('near.sorted', { from: near.town ? near.name : t('near.here_name') });
    clearNear.hidden = false;
  }

  function stopNear() {
    near = null;
    var list = doc.getElementById('place-list');
    if (list && originalOrder) {
      originalOrder.forEach(function (row) {
        list.appendChild(row);
        var el = row.querySelector('.distance');
        if (el) { el.remove(); }
      });
    }
    originalOrder = null;
    nearStatus.textContent = '';
    clearNear.hidden = true;
    townBox.value = '';
    writeURL(readForm());
  }

  function loadTowns() {
    if (!data.towns) {
      data.towns = fetchJSON(ROOT + 'data/towns.json').then(function (d) {
        var dl = doc.getElementById('town-list');
        d.name.forEach(function (name) {
          var o = doc.createElement('option');
          o.value = name;
          dl.appendChild(o);
        });
        return d;
      });
    }
    return data.towns;
  }

  function nearTown(name) {
    return loadTowns().then(function (d) {
      var key = normalise(name), k = -1;
      for (var j = 0; j < d.name.length && k < 0; j++) { if (normalise(d.name[j]) === key) { k = j; } }
      for (j = 0; j < d.name.length && k < 0 && key; j++) { if (normalise(d.name[j]).indexOf(key) === 0) { k = j; } }
      if (k < 0) {
        nearStatus.textContent = t('near.unknown', { town: name });
        return false;
      }
      near = { name: d.name[k], lat: d.lat[k], lon: d.lon[k], town: true };
      townBox.value = d.name[k];
      if (api.map) { api.map.setView([near.lat, near.lon], Math.max(api.map.getZoom(), 14), { animate: false }); }
      sortByDistance();
      writeURL(readForm());
      return true;
    });
  }

  function nearHere() {
    if (!navigator.geolocation) { nearStatus.textContent = t('near.denied'); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      near = { name: '', lat: pos.coords.latitude, lon: pos.coords.longitude, town: false };
      townBox.value = '';
      if (api.map) { api.map.setView([near.lat, near.lon], Math.max(api.map.getZoom(), 14), { animate: false }); }
      sortByDistance();
      writeURL(readForm());
    }, function () { nearStatus.textContent = t('near.denied'); }, { timeout: 15000, maximumAge: 60000 });
  }

  // ------------------------------------------------------------------ wiring

  api.ready.then(function (ok) {
    if (!ok || !api.layer) { return; }
    var filtersLoad = fetchJSON(ROOT + 'data/filters.json').then(function (d) { data.targets = d.targets; data.t = d.t; },
      function () { targetSel.disabled = true; });
    var state = fromURL();
    form.hidden = false;
    // folded until asked for, so the map and the list come first; open when the address carries a
    // filtered view, so a shared link shows what it filters on
    doc.getElementById('filters-details').open = window.location.search.length > 1;
    filtersLoad.then(function () {
      fillForm(state);
      var waits = [];
      if (state.q) { waits.push(loadSearch()); }
      return Promise.all(waits);
    }).then(function () {
      apply();
      if (state.near) { return nearTown(state.near); }
      return true;
    }).then(function () {
      api.filtersReady = true;
    });
    form.addEventListener('change', function (ev) {
      if (ev.target === townBox) { return; }
      apply();
    });
    var typing = null;
    searchBox.addEventListener('input', function () {
      clearTimeout(typing);
      typing = setTimeout(apply, 200);
    });
    form.addEventListener('submit', function (ev) { ev.preventDefault(); apply(); });
    form.addEventListener('reset', function () {
      setTimeout(function () {
        categoryBoxes().forEach(function (b) { if (!b.checked) { api.setCategory(b.value, true); } });
        stopNear();
        apply();
      }, 0);
    });
    categoryBoxes().forEach(function (b) {
      b.addEventListener('change', function () { setTimeout(function () { writeURL(readForm()); showCount(); if (near) { sortByDistance(); } }, 0); });
    });
    townBox.addEventListener('focus', loadTowns, { once: true });
    townBox.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter') { ev.preventDefault(); nearTown(townBox.value.trim()); }
    });
    doc.getElementById('near-go').addEventListener('click', function () { nearTown(townBox.value.trim()); });
    doc.getElementById('near-here').addEventListener('click', nearHere);
    clearNear.addEventListener('click', stopNear);
    api.filterState = readForm;
  });
}());
