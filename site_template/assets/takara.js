/* Takara Map — the map and the list.
 *
 * index.html first paints data/overview.json (clusters made at build time for the first view, placed
 * from the bounds in #map's data-bounds), then draws every place from data/index.json (parallel arrays)
 * with supercluster, so the page does not grow with the records; outlines load after the markers;
 * details come from data/districts/<key>.json when a popup opens.
 * Area pages draw the places listed in their own HTML. Place pages show one marker.
 *
 * Record text is only ever set with textContent: never innerHTML with data.
 * window.takara exposes hooks the browser tests (and the benchmark) use.
 */
(function () {
  'use strict';

  var doc = document;
  doc.documentElement.classList.add('js');
  var body = doc.body;
  var ROOT = body.getAttribute('data-root') || '';
  var PAGE = body.getAttribute('data-page') || '';
  var CLUSTER_MAX = 14; // from zoom 15 (a neighbourhood) every place is its own marker: no groups
  var STACK_PX = 44; // places closer than a marker's width are one marker that opens their list (no overlapping targets)
  var MAX_ZOOM = 18;
  var CLUSTER_RADIUS = 72; // px: wider than a group's box (about 56 × 36 px), so boxes do not overlap each other
  var FALLBACK_CAT = { id: '', label: '', icon: '\u25cf' };

  var api = { loaded: false, firstMarkersAt: null };
  window.takara = api;

  // ------------------------------------------------------------------ helpers

  function markFirstMarkers() {
    if (api.firstMarkersAt !== null) { return; }
    api.firstMarkersAt = -1; // once
    requestAnimationFrame(function () {
      api.firstMarkersAt = performance.now();
      if (performance.mark) { performance.mark('takara-first-markers'); }
    });
  }

  var t = window.takaraT; // assets/strings.js

  function h(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function fetchJSON(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) { throw new Error(url + ': HTTP ' + r.status); }
      return r.json();
    });
  }

  var KATAKANA = /[\u30a1-\u30f6]/g;
  /* Same as gis.site.normalise_search: width (NFKC), case, katakana as hiragana, no spaces. */
  function normaliseSearch(s) {
    return String(s || '').normalize('NFKC').toLowerCase()
      .replace(KATAKANA, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0x60); })
      .replace(/\s+/g, '');
  }
  api.normaliseSearch = normaliseSearch;

  function setStatus(text, isError) {
    var el = doc.getElementById('map-status');
    if (!el) { return; }
    el.textContent = text;
    el.classList.toggle('is-error', !!isError);
  }

  // ------------------------------------------------------------------ base map

  // Attributions are our own catalogue strings (escaped anyway): Leaflet renders them as HTML.
  function attributionLink(href, text) {
    return '<a href="' + href + '">' + escapeHTML(text) + '</a>';
  }

  var BASEMAPS = {
    gsi: {
      url: 'https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png',
      options: { maxNativeZoom: 18, attribution: attributionLink('https://maps.gsi.go.jp/development/ichiran.html', t('attribution.gsi')) }
    },
    osm: {
      url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
      options: { maxNativeZoom: 19, attribution: attributionLink('https://www.openstreetmap.org/copyright', t('attribution.osm')) }
    }
  };

  function makeMap(el, options) {
    var map = L.map(el, Object.assign({ minZoom: 4, maxZoom: MAX_ZOOM, keyboard: true, zoomSnap: 0.5, fadeAnimation: false,
      zoomControl: false }, options || {}));
    map.on('click', function () { closeSheet(false); });
    // On phones a popup is as wide as the map: the zoom buttons go to the bottom, out of its way.
    L.control.zoom({ position: isNarrow() ? 'bottomleft' : 'topleft' }).addTo(map);
    map.attributionControl.setPrefix(attributionLink('https://leafletjs.com', 'Leaflet'));
    map.createPane('labels').style.zIndex = 450; // above outlines, below markers and popups
    map.getPane('labels').style.pointerEvents = 'none';
    var current = null;
    map.takaraBase = function (name) {
      if (current) { map.removeLayer(current); current = null; }
      var b = BASEMAPS[name];
      if (b) {
        // A tile that cannot load (offline, blocked) leaves the plain background; nothing else depends on it.
        current = L.tileLayer(b.url, Object.assign({ maxZoom: MAX_ZOOM, crossOrigin: false }, b.options)).addTo(map);
      }
    };
    map.takaraBase('gsi');
    return map;
  }

  // ------------------------------------------------------------------ places on a map

  /* P: parallel arrays n, lat, lon, c (category index), f (flags), name, dkey (detail file key). */
  function PlaceLayer(map, P, cats, flags, options) {
    this.map = map;
    this.P = P;
    this.cats = cats;
    this.flags = flags || { paused: 4, stale: 8, online: 64 };
    this.grouping = !(options && options.grouping === false); // neighbourhood pages: never grouped
    this.stackOf = {};
    this.byN = {};
    for (var i = 0; i < P.n.length; i++) { this.byN[P.n[i]] = i; }
    this.catOn = cats.map(function () { return true; });
    this.filter = null;
    this.visible = new Uint8Array(P.n.length);
    this.group = L.layerGroup().addTo(map);
    this.markers = {};
    this.drawn = { places: 0, clusters: 0, points: 0, stacks: 0, online: 0 };
    this.chosen = null;
    this.listeners = [];
    this.rebuild();
    var self = this;
    map.on('moveend', function () { self.render(); });
  }

  PlaceLayer.prototype.isOnline = function (i) { return (this.P.f[i] & (this.flags.online || 0)) !== 0; };

  PlaceLayer.prototype.rebuild = function () {
    var P = this.P, features = [], count = 0, online = 0;
    for (var i = 0; i < P.n.length; i++) {
      var on = (P.c[i] < 0 || this.catOn[P.c[i]] !== false) && (!this.filter || this.filter(i, P));
      this.visible[i] = on ? 1 : 0;
      if (!on) { continue; }
      count++;
      // a group that meets online has no place on the map: it is listed (under the map and in the list)
      if (this.isOnline(i)) { online++; continue; }
      features.push({ type: 'Feature', properties: { i: i }, geometry: { type: 'Point', coordinates: [P.lon[i], P.lat[i]] } });
    }
    this.visibleCount = count;
    this.onlineCount = online;
    var large = doc.documentElement.classList.contains('large-text'); // bigger boxes need more room
    this.index = new Supercluster({ radius: CLUSTER_RADIUS * (large ? 1.3 : 1), maxZoom: CLUSTER_MAX, minPoints: 2 }).load(features);
    for (var k = 0; k < this.listeners.length; k++) { this.listeners[k](this); }
  };

  PlaceLayer.prototype.render = function () {
    var map = this.map, b = map.getBounds().pad(0.2);
    var bbox = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()), Math.min(180, b.getEast()), Math.min(85, b.getNorth())];
    // Whole zoom levels only; floor, so clusters made for a zoom are never drawn closer together than planned.
    var zoom = this.grouping ? Math.floor(map.getZoom()) : CLUSTER_MAX + 1;
    var items = this.index.getClusters(bbox, Math.min(zoom, CLUSTER_MAX + 1));
    var keep = this.focusKey(); // (residents, keyboard) see PlaceLayer.prototype.focusKey
    this.group.clearLayers();
    this.markers = {};
    this.stackOf = {};
    var drawn = { places: 0, clusters: 0, points: 0, stacks: 0, online: this.onlineCount || 0 };
    // Places at (nearly) one point, e.g. thirteen groups meeting in one hall, are one marker that opens
    // their list: a ring of overlapping numbers cannot be read.
    var stacks = [];
    for (var g = 0; g < items.length; g++) {
      if (items[g].properties.cluster) {
        this.group.addLayer(this.clusterMarker(items[g]));
        drawn.clusters++;
        drawn.places += items[g].properties.point_count;
        continue;
      }
      var c = items[g].geometry.coordinates, pt = map.latLngToLayerPoint([c[1], c[0]]), found = null;
      for (var q = 0; q < stacks.length && !found; q++) {
        if (Math.abs(stacks[q].x - pt.x) < STACK_PX && Math.abs(stacks[q].y - pt.y) < STACK_PX) { found = stacks[q]; }
      }
      if (!found) { found = { x: pt.x, y: pt.y, ll: [c[1], c[0]], members: [] }; stacks.push(found); }
      found.members.push(items[g].properties.i);
    }
    for (var k = 0; k < stacks.length; k++) {
      var st = stacks[k];
      drawn.places += st.members.length;
      if (st.members.length === 1) {
        var i = st.members[0];
        var m = this.placeMarker(i);
        this.markers[this.P.n[i]] = m;
        this.group.addLayer(m);
        drawn.points++;
      } else {
        var sm = this.stackMarker(st);
        for (var j = 0; j < st.members.length; j++) { this.stackOf[this.P.n[st.members[j]]] = sm; }
        this.group.addLayer(sm);
        drawn.stacks++;
      }
    }
    this.drawn = drawn;
    this.refocus(keep);
    if (items.length) { markFirstMarkers(); }
  };

  /* (residents, keyboard) Leaflet pans the map to a marker that gets keyboard focus, and every move redraws
   * the markers: without this the focused marker would vanish and focus fall back to the page. */
  PlaceLayer.prototype.focusKey = function () {
    var el = doc.activeElement;
    if (!el || !this.map.getContainer().contains(el)) { return null; }
    if (el.classList.contains('tk-marker') && el.getAttribute('data-n')) { return '.tk-marker[data-n="' + el.getAttribute('data-n') + '"]'; }
    if (el.classList.contains('tk-cluster') && el.getAttribute('data-cluster')) { return '.tk-cluster[data-cluster="' + el.getAttribute('data-cluster') + '"]'; }
    if (el.classList.contains('tk-stack') && el.getAttribute('data-stack')) { return '.tk-stack[data-stack="' + el.getAttribute('data-stack') + '"]'; }
    return null;
  };

  function isActivation(e) {
    var k = e.originalEvent && (e.originalEvent.key || e.originalEvent.keyCode);
    return k === 'Enter' || k === ' ' || k === 13 || k === 32;
  }

  PlaceLayer.prototype.refocus = function (selector) {
    var el = selector && this.map.getContainer().querySelector(selector);
    if (el) { el.focus({ preventScroll: true }); }
  };

  /* The first view's clusters from data/overview.json (a grid made at build time): painted at once,
   * replaced by the PlaceLayer when index.json has arrived. Only the levels the file holds are drawn. */
  function OverviewLayer(map, data) {
    this.map = map;
    this.levels = data.levels || {};
    this.group = L.layerGroup().addTo(map);
    this.onMove = this.render.bind(this);
    map.on('moveend', this.onMove);
    this.render();
  }

  OverviewLayer.prototype.render = function () {
    var map = this.map, zoom = Math.floor(map.getZoom()), cells = this.levels[String(zoom)] || [];
    var b = map.getBounds().pad(0.2);
    this.group.clearLayers();
    for (var k = 0; k < cells.length; k++) {
      var c = cells[k];
      if (b.contains([c[0], c[1]])) { this.group.addLayer(overviewMarker(map, c, zoom)); }
    }
    if (this.group.getLayers().length) { markFirstMarkers(); }
  };

  OverviewLayer.prototype.remove = function () {
    this.map.off('moveend', this.onMove);
    this.map.removeLayer(this.group);
  };

  /* A group of places is never drawn like a place: a rounded box saying 「23か所」, where a place is a
   * round badge with its number. */
  function groupIcon(cls, count) {
    var text = t('cluster.places', { count: count });
    var scale = doc.documentElement.classList.contains('large-text') ? 1.3 : 1; // 大きな文字: bigger text, bigger box
    var width = Math.max(52, 14 + 10 * text.length + (cls === 'tk-stack' ? 16 : 0)); // a stack also shows ≡
    return L.divIcon({ className: cls, html: '', iconSize: [Math.round(width * scale), Math.round(36 * scale)] });
  }

  function drawGroup(el, count, label) {
    el.setAttribute('data-count', String(count));
    el.setAttribute('aria-label', label);
    el.appendChild(h('span', 'tk-cluster-body', t('cluster.places', { count: count })));
  }

  function overviewMarker(map, c, zoom) {
    var count = c[2];
    var m = L.marker([c[0], c[1]], { icon: groupIcon('tk-cluster', count), keyboard: true });
    m.on('add', function () { drawGroup(m.getElement(), count, t('cluster.label', { count: count })); });
    m.on('click', function () { map.setView([c[0], c[1]], Math.min(zoom + 2, MAX_ZOOM)); });
    return m;
  }

  PlaceLayer.prototype.placeMarker = function (i) {
    var P = this.P, self = this, n = P.n[i];
    var cat = this.cats[P.c[i]] || FALLBACK_CAT;
    var paused = (P.f[i] & this.flags.paused) !== 0;
    var icon = L.divIcon({ className: 'tk-marker', html: '', iconSize: [44, 44], iconAnchor: [22, 22], popupAnchor: [0, -18] });
    var m = L.marker([P.lat[i], P.lon[i]], { icon: icon, keyboard: true, riseOnHover: true });
    m.on('add', function () {
      var el = m.getElement();
      el.classList.add('cat-' + cat.id);
      el.setAttribute('data-n', String(n));
      el.setAttribute('aria-label', t('marker.label', { n: n, name: P.name[i] }) + (paused ? ' ' + t('status.paused') : ''));
      var pin = h('span', 'tk-pin' + (paused ? ' is-paused' : ''), String(n));
      pin.setAttribute('aria-hidden', 'true'); // the marker's aria-label says it all in words
      var badge = h('span', 'tk-pin-icon', cat.icon);
      pin.appendChild(badge);
      // drawn by CSS from the attribute, so the marker's visible text stays its number (its aria-label says 休止中)
      if (paused) { pin.setAttribute('data-paused', t('status.paused')); }
      el.appendChild(pin);
      if (self.chosen === n) { el.classList.add('is-chosen'); m.setZIndexOffset(1000); }
    });
    m.on('click', function () { self.openPopup(i, m, false); });
    // (residents, keyboard) a marker is a button: Enter or Space opens it, and the popup takes the focus
    m.on('keypress', function (e) { if (isActivation(e)) { e.originalEvent.preventDefault(); self.openPopup(i, m, true); } });
    return m;
  };

  /* Several places at one point: one marker; pressing it lists them, and each opens as usual. */
  PlaceLayer.prototype.stackMarker = function (st) {
    var self = this, count = st.members.length, first = this.P.n[st.members[0]];
    var m = L.marker(st.ll, { icon: groupIcon('tk-stack', count), keyboard: true });
    m.on('add', function () {
      var el = m.getElement();
      el.setAttribute('data-stack', String(first));
      el.setAttribute('data-members', st.members.map(function (i) { return self.P.n[i]; }).join(','));
      drawGroup(el, count, t('stack.label', { count: count }));
      if (self.chosen !== null && self.stackOf[self.chosen] === m) { el.classList.add('is-chosen'); }
    });
    function open(focus) { self.openStack(st.members, m, focus); }
    m.on('click', function () { open(false); });
    m.on('keypress', function (e) { if (isActivation(e)) { e.originalEvent.preventDefault(); open(true); } });
    m.takaraMembers = st.members;
    return m;
  };

  PlaceLayer.prototype.openStack = function (members, marker, focus) {
    var self = this, P = this.P;
    var box = h('div', 'tk-popup tk-stack-list');
    var title = h('h3', 'tk-popup-title', t('stack.title', { count: members.length }));
    title.tabIndex = -1;
    box.appendChild(title);
    var ul = h('ul', 'stack-members');
    members.slice().sort(function (a, b) { return P.n[a] - P.n[b]; }).forEach(function (i) {
      var cat = self.cats[P.c[i]] || FALLBACK_CAT;
      var li = h('li');
      var btn = h('button', 'stack-member');
      btn.type = 'button';
      btn.appendChild(numberBadge(P.n[i], cat));
      btn.appendChild(h('span', 'stack-name', P.name[i]));
      if (P.f[i] & self.flags.paused) { btn.appendChild(h('span', 'badge badge-paused', t('status.paused'))); }
      btn.addEventListener('click', function () { self.openPopup(i, marker, true); });
      li.appendChild(btn);
      ul.appendChild(li);
    });
    box.appendChild(ul);
    this.show(box, marker, title, focus);
  };

  PlaceLayer.prototype.clusterMarker = function (it) {
    var self = this, count = it.properties.point_count;
    var ll = [it.geometry.coordinates[1], it.geometry.coordinates[0]];
    var m = L.marker(ll, { icon: groupIcon('tk-cluster', count), keyboard: true });
    m.on('add', function () {
      var el = m.getElement();
      el.setAttribute('data-cluster', String(it.properties.cluster_id)); // (residents) refocus after a redraw
      drawGroup(el, count, t('cluster.label', { count: count }));
    });
    m.on('click', function () {
      var z = self.index.getClusterExpansionZoom(it.properties.cluster_id);
      self.map.setView(ll, Math.min(z, MAX_ZOOM));
    });
    // (residents, keyboard) Enter or Space zooms in; focus stays on the map, so Tab goes on to what it shows
    m.on('keypress', function (e) {
      if (!isActivation(e)) { return; }
      e.originalEvent.preventDefault();
      m.fire('click');
      self.map.getContainer().focus({ preventScroll: true });
    });
    return m;
  };

  /* The lowest zoom (not below the current one, nor below 14) at which place i is its own marker. */
  PlaceLayer.prototype.zoomToSeparate = function (i) {
    var P = this.P, d = 1e-7;
    if (!this.grouping) { return Math.max(Math.floor(this.map.getZoom()), 15); }
    var start = Math.min(Math.max(Math.floor(this.map.getZoom()), 15), CLUSTER_MAX + 1);
    for (var z = start; z <= CLUSTER_MAX; z++) {
      var hits = this.index.getClusters([P.lon[i] - d, P.lat[i] - d, P.lon[i] + d, P.lat[i] + d], z);
      for (var k = 0; k < hits.length; k++) {
        if (!hits[k].properties.cluster && hits[k].properties.i === i) { return z; }
      }
    }
    return CLUSTER_MAX + 1;
  };

  PlaceLayer.prototype.setChosen = function (n) {
    this.chosen = n;
    var els = this.map.getContainer().querySelectorAll('.tk-marker.is-chosen, .tk-stack.is-chosen');
    for (var k = 0; k < els.length; k++) { els[k].classList.remove('is-chosen'); }
    var m = this.markers[n] || this.stackOf[n];
    if (m && m.getElement()) {
      m.getElement().classList.add('is-chosen');
      m.setZIndexOffset(1000); // on top of any neighbour it overlaps
    }
  };

  /* Show place n: make sure it is not hidden, zoom until it stands alone, open its popup. */
  PlaceLayer.prototype.openPlace = function (n, fromList) {
    var i = this.byN[n];
    if (i === undefined) { return Promise.reject(new Error('no place ' + n)); }
    if (!this.visible[i]) {
      var c = this.P.c[i];
      if (c >= 0 && !this.catOn[c]) { this.setCategory(c, true); }
    }
    if (this.isOnline(i)) { return Promise.reject(new Error('place ' + n + ' meets online: not on the map')); }
    var z = this.zoomToSeparate(i);
    this.map.setView([this.P.lat[i], this.P.lon[i]], z, { animate: false });
    this.render();
    // closer until it stands alone, unless it shares its point with others (then their marker)
    for (var zz = z + 1; !this.markers[n] && this.stackOf[n] && zz <= MAX_ZOOM; zz++) {
      this.map.setView([this.P.lat[i], this.P.lon[i]], zz, { animate: false });
      this.render();
    }
    var m = this.markers[n] || this.stackOf[n];
    if (!m) { return Promise.reject(new Error('place ' + n + ' is filtered out')); }
    return this.openPopup(i, m, !!fromList);
  };

  PlaceLayer.prototype.setCategory = function (c, on) {
    this.catOn[c] = on;
    var box = doc.querySelector('input[name="category"][value="' + (this.cats[c] || FALLBACK_CAT).id + '"]');
    if (box) { box.checked = on; }
    this.rebuild();
    this.render();
  };

  PlaceLayer.prototype.openPopup = function (i, marker, focus) {
    var P = this.P, n = P.n[i], self = this;
    var cat = this.cats[P.c[i]] || FALLBACK_CAT;
    var parts = popupSkeleton(n, P.name[i], cat, P.f[i], this.flags);
    this.show(parts.box, marker, parts.title, focus);
    this.setChosen(n);
    return loadDetails(P.dkey[i]).then(function (data) {
      fillPopup(parts, data.places[String(n)]);
      self.updateShown();
      return parts.box;
    }, function () {
      parts.status.textContent = t('popup.failed');
      return parts.box;
    });
  };

  /* Show a box for a marker: on wide screens as a Leaflet popup; on phones as a sheet along the bottom of
   * the window, above every map control, with the marker moved into the part of the map left in view. */
  PlaceLayer.prototype.show = function (box, marker, title, focus) {
    var map = this.map;
    if (isNarrow()) {
      map.closePopup();
      this.popup = null;
      // the map fills the window under the 地図/一覧 switch (scroll-margin-top), the sheet its lower part
      var top = map.getContainer().getBoundingClientRect().top;
      if (top > 90 || top < 0) { map.getContainer().scrollIntoView({ block: 'start' }); }
      openSheet(box, title, focus);
      this.shownMarker = marker;
      this.keepAboveSheet();
      return;
    }
    closeSheet(false);
    this.popup = L.popup({
      maxWidth: Math.min(340, map.getSize().x - 72), // the popup adds ~36 px of frame: keep it inside the map
      maxHeight: Math.max(220, Math.round(window.innerHeight * 0.6)),
      autoPanPaddingTopLeft: [64, 16], // clear of the zoom buttons
      autoPanPaddingBottomRight: [16, 16],
      offset: [0, -14]
    }).setLatLng(marker.getLatLng()).setContent(box);
    this.popup.openOn(map);
    if (focus) { title.focus({ preventScroll: true }); }
  };

  PlaceLayer.prototype.updateShown = function () {
    if (this.popup && this.popup.isOpen()) { this.popup.update(); }
    if (this.shownMarker && isNarrow()) { this.keepAboveSheet(); } // the details make the sheet taller
  };

  /* Phones: move the map so the marker the sheet is about sits in the part of the map above the sheet. */
  PlaceLayer.prototype.keepAboveSheet = function () {
    var map = this.map, sheet = doc.getElementById('place-sheet');
    if (!sheet || sheet.hidden || !this.shownMarker) { return; }
    var rect = map.getContainer().getBoundingClientRect();
    var pt = map.latLngToContainerPoint(this.shownMarker.getLatLng());
    var free = Math.min(rect.bottom, sheet.getBoundingClientRect().top) - rect.top; // map height left above the sheet
    if (free < 60) { return; }
    var wantY = Math.max(28, Math.min(free / 2, free - 30));
    if (pt.y > free - 26 || pt.y < 26) { map.panBy([0, pt.y - wantY], { animate: false }); }
  };

  // ------------------------------------------------------------------ the phone sheet

  var sheetState = { onClose: null, returnTo: null };

  function sheetElement() {
    var sheet = doc.getElementById('place-sheet');
    if (sheet) { return sheet; }
    sheet = h('div', 'place-sheet');
    sheet.id = 'place-sheet';
    sheet.setAttribute('role', 'dialog');
    sheet.setAttribute('aria-modal', 'false');
    sheet.hidden = true;
    var close = h('button', 'sheet-close', '\u00d7');
    close.type = 'button';
    close.setAttribute('aria-label', t('sheet.close'));
    close.addEventListener('click', function () { closeSheet(true); });
    sheet.appendChild(close);
    sheet.appendChild(h('div', 'sheet-body'));
    sheet.addEventListener('keydown', function (e) { if (e.key === 'Escape') { closeSheet(true); } });
    body.appendChild(sheet);
    return sheet;
  }

  function openSheet(box, title, focus) {
    var sheet = sheetElement(), inner = sheet.querySelector('.sheet-body');
    if (sheet.hidden) { sheetState.returnTo = doc.activeElement; }
    inner.textContent = '';
    inner.appendChild(box);
    if (title.id === '') { title.id = 'sheet-title'; }
    sheet.setAttribute('aria-labelledby', title.id);
    sheet.hidden = false;
    body.classList.add('sheet-open');
    inner.scrollTop = 0;
    if (focus) { title.focus({ preventScroll: true }); }
  }

  function closeSheet(byUser) {
    var sheet = doc.getElementById('place-sheet');
    if (!sheet || sheet.hidden) { return; }
    sheet.hidden = true;
    body.classList.remove('sheet-open');
    var back = sheetState.returnTo;
    sheetState.returnTo = null;
    if (byUser && sheetState.onClose) { sheetState.onClose(back); }
  }
  api.closeSheet = function () { closeSheet(true); };

  // ------------------------------------------------------------------ popups

  var detailCache = {};
  function loadDetails(key) {
    if (!detailCache[key]) {
      detailCache[key] = fetchJSON(ROOT + 'data/districts/' + encodeURIComponent(key) + '.json');
      detailCache[key].catch(function () { delete detailCache[key]; });
    }
    return detailCache[key];
  }

  function numberBadge(n, cat) {
    var no = h('span', 'no cat-' + cat.id);
    no.appendChild(h('span', 'vh', t('field.number')));
    no.appendChild(doc.createTextNode(String(n)));
    return no;
  }

  function catTag(cat) {
    var tag = h('span', 'cat-tag');
    var icon = h('span', 'cat-icon cat-' + cat.id, cat.icon);
    icon.setAttribute('aria-hidden', 'true');
    tag.appendChild(icon);
    tag.appendChild(doc.createTextNode(cat.label));
    return tag;
  }

  function statusBadges(into, f, flags) {
    if (f & flags.paused) { into.appendChild(h('span', 'badge badge-paused', t('status.paused'))); }
    if (f & flags.stale) { into.appendChild(h('span', 'badge badge-stale', t('status.stale'))); }
  }

  function popupSkeleton(n, name, cat, f, flags) {
    var box = h('div', 'tk-popup');
    box.setAttribute('data-n', String(n));
    var head = h('div', 'place-head');
    head.appendChild(numberBadge(n, cat));
    var title = h('h3', 'tk-popup-title', name);
    title.tabIndex = -1;
    head.appendChild(title);
    box.appendChild(head);
    var tags = h('p', 'place-tags');
    tags.appendChild(catTag(cat));
    statusBadges(tags, f, flags);
    box.appendChild(tags);
    var status = h('p', 'tk-popup-status', t('popup.loading'));
    box.appendChild(status);
    var photo = h('div', 'tk-popup-photo');
    box.appendChild(photo);
    var dl = h('dl', 'facts');
    box.appendChild(dl);
    var more = h('a', 'more', t('place.details'));
    more.href = ROOT + 'places/' + n + '/';
    box.appendChild(more);
    return { box: box, title: title, status: status, dl: dl, photo: photo, name: name };
  }

  function addFact(dl, key, value, href, cls) {
    if (!value) { return null; }
    var row = h('div', cls || null);
    row.setAttribute('data-field', key);
    row.appendChild(h('dt', null, t(key)));
    var dd = h('dd');
    if (href) {
      var a = h('a', 'tel', value);
      a.href = href;
      dd.appendChild(a);
    } else {
      dd.textContent = value;
    }
    row.appendChild(dd);
    dl.appendChild(row);
    return dd;
  }

  /* A place without a published phone: its district's coordinator (from the config), never nothing. */
  function addContact(dl, d) {
    if (d.phone) { addFact(dl, 'field.phone', d.phone, d.phone_href); return; }
    var c = d.contact;
    if (!c) { return; }
    var dd = addFact(dl, 'field.contact', c.name, null, 'contact-fallback');
    if (c.phone) {
      dd.appendChild(doc.createTextNode(' '));
      var a = h('a', 'tel', c.phone);
      a.href = c.phone_href;
      dd.appendChild(a);
    }
  }

  function fillPopup(parts, d) {
    if (!d) { parts.status.textContent = t('popup.failed'); return; }
    parts.status.remove();
    // what a resident needs to go (when, who, how much, where, whom to ask) before anything else
    addFact(parts.dl, 'field.schedule', d.schedule);
    addFact(parts.dl, 'field.target', d.target);
    addFact(parts.dl, 'field.fee', d.fee);
    addFact(parts.dl, 'field.venue', d.where || d.venue);
    addContact(parts.dl, d);
    addFact(parts.dl, 'field.activities', d.activities);
    addFact(parts.dl, 'field.address', d.address);
    if (d.photo) {
      var img = h('img');
      img.src = ROOT + d.photo.thumb;
      img.alt = t('place.photo_alt', { name: parts.name });
      img.width = d.photo.tw;
      img.height = d.photo.th;
      parts.photo.appendChild(img);
    }
  }

  // ------------------------------------------------------------------ boundaries and overlays

  var TIER_STYLES = [
    { color: '#17324d', weight: 4, opacity: 0.9 },
    { color: '#7a1f5c', weight: 3, opacity: 0.85, dashArray: '8 5' },
    { color: '#1d6b3a', weight: 2, opacity: 0.8, dashArray: '2 5' },
    { color: '#6b4e1d', weight: 2, opacity: 0.8, dashArray: '2 5' }
  ];

  var LABELS_MAX = 120; // more area names than this in view cannot be read: none are drawn
  var SVG_MAX = 300; // beyond this many areas, outlines go on one canvas (thousands of SVG paths are slow)
  var canvasRenderer = null;

  /* Area names as markers, only for the areas in view and only when few enough to read. */
  var AreaLabels = L.Layer.extend({
    initialize: function (items, make) { this.items = items; this.make = make; this.shown = {}; },
    onAdd: function (map) { map.on('moveend', this.refresh, this); this.refresh(); },
    onRemove: function (map) {
      map.off('moveend', this.refresh, this);
      var shown = this.shown;
      Object.keys(shown).forEach(function (k) { map.removeLayer(shown[k]); });
      this.shown = {};
    },
    refresh: function () {
      var map = this._map, b = map.getBounds(), want = {}, n = 0;
      for (var k = 0; k < this.items.length && n <= LABELS_MAX; k++) {
        if (b.contains(this.items[k].ll)) { want[k] = true; n++; }
      }
      if (n > LABELS_MAX) { want = {}; }
      var shown = this.shown;
      Object.keys(shown).forEach(function (k) { if (!want[k]) { map.removeLayer(shown[k]); delete shown[k]; } });
      for (var key in want) { if (!shown[key]) { shown[key] = this.make(this.items[key]).addTo(map); } }
    }
  });

  function tierLayers(map, tierId, level, data, withLabels) {
    var style = Object.assign({ fill: false, className: 'tk-tier tk-tier-' + tierId }, TIER_STYLES[Math.min(level, TIER_STYLES.length - 1)]);
    var options = { style: function () { return style; }, interactive: false };
    if (data.features.length > SVG_MAX) { options.renderer = canvasRenderer = canvasRenderer || L.canvas({ padding: 0.2 }); }
    var outline = L.geoJSON(data, options);
    var items = withLabels ? data.features.map(function (f) {
      return { ll: L.latLng(f.properties.label[1], f.properties.label[0]), name: f.properties.name };
    }) : [];
    var labels = new AreaLabels(items, function (item) {
      var icon = L.divIcon({ className: 'tk-area-label tier-' + (level + 1), html: '', iconSize: [0, 0] });
      var m = L.marker(item.ll, { icon: icon, interactive: false, keyboard: false, pane: 'labels' });
      m.on('add', function () {
        var el = m.getElement();
        el.setAttribute('aria-hidden', 'true');
        el.setAttribute('data-tier', tierId);
        el.appendChild(h('span', 'tk-area-label-text', item.name));
      });
      return m;
    });
    return { outline: outline, labels: labels };
  }

  function setupTiers(map, form) {
    var state = {};
    var inputs = form ? form.querySelectorAll('input[name="tier"]') : [];
    Array.prototype.forEach.call(inputs, function (input, level) {
      var id = input.value, entry = state[id] = { input: input, layers: null, loading: null };
      function show(on) {
        if (!entry.loading) {
          entry.loading = fetchJSON(ROOT + 'data/boundaries/' + encodeURIComponent(id) + '.geojson').then(function (data) {
            entry.layers = tierLayers(map, id, level, data, input.getAttribute('data-labels') === '1');
            return entry.layers;
          });
        }
        return entry.loading.then(function (ls) {
          var want = input.checked;
          [ls.outline, ls.labels].forEach(function (l) {
            if (want && !map.hasLayer(l)) { l.addTo(map); }
            if (!want && map.hasLayer(l)) { map.removeLayer(l); }
          });
          return ls;
        });
      }
      entry.show = show;
      input.addEventListener('change', function () { show(input.checked); });
    });
    return state;
  }

  function overlayPopup(props) {
    var box = h('div', 'tk-popup');
    var dl = h('dl', 'facts');
    Object.keys(props).forEach(function (k) {
      if (props[k] === '' || props[k] === null) { return; }
      var row = h('div');
      row.appendChild(h('dt', null, k));
      row.appendChild(h('dd', null, props[k]));
      dl.appendChild(row);
    });
    box.appendChild(dl);
    return box;
  }

  function setupOverlays(map, form) {
    var inputs = form ? form.querySelectorAll('input[name="overlay"]') : [];
    Array.prototype.forEach.call(inputs, function (input) {
      var id = input.value, color = input.getAttribute('data-color') || '#555555', loading = null;
      function sync() {
        if (!loading) {
          loading = fetchJSON(ROOT + 'data/overlays/' + encodeURIComponent(id) + '.geojson').then(function (data) {
            return L.geoJSON(data, {
              style: function () { return { color: color, weight: 3, fillOpacity: 0.15, className: 'tk-overlay tk-overlay-' + id }; },
              pointToLayer: function (f, ll) {
                return L.circleMarker(ll, { radius: 8, color: '#1a1a1a', weight: 2, fillColor: color, fillOpacity: 0.9, className: 'tk-overlay tk-overlay-' + id });
              },
              onEachFeature: function (f, layer) {
                if (Object.keys(f.properties || {}).length) { layer.bindPopup(function () { return overlayPopup(f.properties); }); }
              }
            });
          });
        }
        loading.then(function (layer) {
          if (input.checked && !map.hasLayer(layer)) { layer.addTo(map); }
          if (!input.checked && map.hasLayer(layer)) { map.removeLayer(layer); }
        });
      }
      input.addEventListener('change', sync);
      if (input.checked) { sync(); }
    });
  }

  /* The statistics' layers (blank areas, per-capita choropleth): switchable, with their legends.
   * Each feature's fill comes from the property style.fillColorProperty names; colours are set through
   * the DOM (CSSOM), which the page's CSP allows, never through a style attribute. */
  function setupInsight(map, form) {
    var state = {};
    var inputs = form ? form.querySelectorAll('input[name="insight"]') : [];
    Array.prototype.forEach.call(inputs, function (input) {
      var id = input.value, cfg = JSON.parse(input.getAttribute('data-config') || '{}'), loading = null;
      var base = Object.assign({}, cfg.style || {}), prop = base.fillColorProperty;
      delete base.fillColorProperty;
      var entry = state[id] = { input: input, layer: null };
      var legend = doc.getElementById('legend-' + id);
      Array.prototype.forEach.call(legend ? legend.querySelectorAll('.insight-swatch') : [], function (sw) {
        var c = sw.getAttribute('data-color');
        sw.style.display = 'inline-block';
        sw.style.width = '1.2em';
        sw.style.height = '0.9em';
        sw.style.border = '1px solid #444';
        sw.style.verticalAlign = 'middle';
        sw.style.background = /^#[0-9a-fA-F]{3,8}$/.test(c || '') ? c : 'transparent';
      });
      function sync() {
        if (legend) { legend.hidden = !input.checked; }
        if (!loading) {
          loading = fetchJSON(input.getAttribute('data-file')).then(function (data) {
            entry.layer = L.geoJSON(data, {
              style: function (f) {
                var st = Object.assign({ className: 'tk-insight tk-insight-' + id }, base);
                var fill = prop && f.properties ? f.properties[prop] : '';
                if (prop) {
                  if (fill) { st.fillColor = fill; } else { st.fillOpacity = 0; }
                }
                return st;
              },
              onEachFeature: function (f, layer) {
                var text = cfg.label && f.properties ? f.properties[cfg.label] : '';
                if (text) { layer.bindTooltip(h('span', null, text), { sticky: true }); } // an element: Leaflet would set a string as HTML
              }
            });
            return entry.layer;
          });
        }
        return loading.then(function (layer) {
          if (input.checked && !map.hasLayer(layer)) { layer.addTo(map); layer.bringToBack(); }
          if (!input.checked && map.hasLayer(layer)) { map.removeLayer(layer); }
          return layer;
        });
      }
      entry.sync = sync;
      input.addEventListener('change', sync);
      if (legend) { legend.hidden = !input.checked; }
    });
    api.insightVisible = function (id) { var e = state[id]; return !!(e && e.layer && map.hasLayer(e.layer)); };
    return state;
  }

  // ------------------------------------------------------------------ list

  /* Phones: one pane at a time, switched by two buttons (aria-pressed). */
  function setupViewSwitch(map) {
    var buttons = doc.querySelectorAll('.view-switch button');
    if (!buttons.length) { return function () {}; }
    function setView(view) {
      body.classList.toggle('view-map', view === 'map');
      body.classList.toggle('view-list', view === 'list');
      Array.prototype.forEach.call(buttons, function (b) {
        b.setAttribute('aria-pressed', b.getAttribute('data-view') === view ? 'true' : 'false');
      });
      if (view === 'map' && map) { map.invalidateSize({ pan: false }); }
    }
    Array.prototype.forEach.call(buttons, function (b) {
      b.addEventListener('click', function () { setView(b.getAttribute('data-view')); });
    });
    setView('map');
    api.setView = setView;
    // A link to something in the list (地区ごとのページ → #districts) must show the list on phones first.
    function followHash(hash) {
      var id = decodeURIComponent((typeof hash === 'string' ? hash : window.location.hash || '').slice(1));
      var target = id && doc.getElementById(id);
      var list = doc.getElementById('list');
      if (!target || !list || !list.contains(target)) { return false; }
      setView('list');
      target.scrollIntoView({ block: 'start' });
      return true;
    }
    window.addEventListener('hashchange', followHash);
    api.followHash = followHash;
    // the same link again (the hash does not change): no hashchange, so follow it here
    doc.addEventListener('click', function (e) {
      var a = e.target.closest && e.target.closest('a[href*="#"]');
      if (!a) { return; }
      var url = new URL(a.href, window.location.href);
      if (url.pathname === window.location.pathname && url.hash === window.location.hash && followHash(url.hash)) {
        e.preventDefault();
      }
    });
    followHash();
    return setView;
  }

  function isNarrow() { return window.matchMedia('(max-width: 899px)').matches; }

  function bindList(layer, setView) {
    var list = doc.getElementById('place-list') || doc.getElementById('place-pages');
    if (!list) { return; }
    var lastButton = null;
    list.addEventListener('click', function (ev) {
      var btn = ev.target.closest('button.show-on-map');
      if (!btn) { return; }
      var n = Number(btn.getAttribute('data-n'));
      lastButton = btn;
      var row = btn.closest('li.place');
      var chosen = list.querySelectorAll('li.place.is-chosen');
      for (var k = 0; k < chosen.length; k++) { chosen[k].classList.remove('is-chosen'); }
      if (row) { row.classList.add('is-chosen'); }
      if (isNarrow()) { setView('map'); }
      // phones: the whole map just below the sticky switch (scroll-margin-top in the CSS)
      layer.map.getContainer().scrollIntoView({ block: isNarrow() ? 'start' : 'nearest' });
      layer.openPlace(n, true);
    });
    sheetState.onClose = function (back) {
      if (lastButton && isNarrow() && back && layer.map.getContainer().contains(back)) {
        setView('list');
        lastButton.focus({ preventScroll: false });
      } else if (back && doc.contains(back) && back.focus) {
        back.focus({ preventScroll: true });
      }
    };
    layer.map.on('popupclose', function () {
      // Back to where the reader was in the list (keyboard and screen-reader users).
      if (lastButton && doc.activeElement && layer.map.getContainer().contains(doc.activeElement)) {
        if (isNarrow()) { setView('list'); }
        lastButton.focus({ preventScroll: false });
      }
    });
  }

  /* index.html keeps its long list in <noscript> (shown as it is without scripts). Here it becomes the
   * list, LIST_CHUNK entries per task so the page stays responsive. The text is our own escaped template
   * output, parsed by DOMParser as the page itself would have been; no record text is assembled here. */
  var LIST_CHUNK = 40;
  function materializeList() {
    var source = doc.getElementById('place-list-source');
    if (!source) { return Promise.resolve(); }
    var html = source.textContent;
    var start = html.indexOf('>', html.indexOf('<ol')) + 1, end = html.lastIndexOf('</ol>');
    var head = html.slice(html.indexOf('<ol'), start);
    var entries = html.slice(start, end).split(/\n(?=<li class="place)/);
    var holder = new DOMParser().parseFromString(head + '</ol>', 'text/html').body.firstChild;
    var list = doc.adoptNode(holder);
    source.parentNode.insertBefore(list, source);
    return new Promise(function (resolve) {
      var k = 0;
      (function next() {
        var part = entries.slice(k, k + LIST_CHUNK).join('\n');
        k += LIST_CHUNK;
        var parsed = new DOMParser().parseFromString('<ol>' + part + '</ol>', 'text/html').body.firstChild;
        while (parsed && parsed.firstChild) { list.appendChild(doc.adoptNode(parsed.firstChild)); }
        if (k < entries.length) { setTimeout(next, 0); } else { resolve(); }
      }());
    });
  }

  function syncFullList(layer) {
    var list = doc.getElementById('place-list');
    if (!list) { return; }
    var rows = list.children;
    for (var k = 0; k < rows.length; k++) {
      var i = layer.byN[Number(rows[k].getAttribute('data-n'))];
      rows[k].hidden = i === undefined ? false : !layer.visible[i];
    }
  }

  /* More than FULL_LIST_LIMIT places: a list rendered in pages of 100 from index.json. */
  function PagedList(container, layer) {
    this.container = container;
    this.layer = layer;
    this.page = 0;
    this.size = 100;
    this.ol = h('ol', 'place-list');
    this.ol.id = 'place-list-paged';
    this.pager = h('div', 'pager');
    this.prev = h('button', null, t('list.prev'));
    this.prev.type = 'button';
    this.next = h('button', null, t('list.next'));
    this.next.type = 'button';
    this.range = h('span', 'pager-range');
    this.range.setAttribute('aria-live', 'polite');
    this.pager.appendChild(this.prev);
    this.pager.appendChild(this.range);
    this.pager.appendChild(this.next);
    container.appendChild(this.ol);
    container.appendChild(this.pager);
    var self = this;
    this.prev.addEventListener('click', function () { self.show(self.page - 1); });
    this.next.addEventListener('click', function () { self.show(self.page + 1); });
  }

  PagedList.prototype.show = function (page) {
    var layer = this.layer, P = layer.P, ids = [];
    for (var i = 0; i < P.n.length; i++) { if (layer.visible[i]) { ids.push(i); } }
    var pages = Math.max(1, Math.ceil(ids.length / this.size));
    this.page = Math.max(0, Math.min(page, pages - 1));
    var from = this.page * this.size, to = Math.min(ids.length, from + this.size);
    var frag = doc.createDocumentFragment();
    for (var k = from; k < to; k++) { frag.appendChild(this.row(ids[k])); }
    this.ol.textContent = '';
    this.ol.appendChild(frag);
    this.range.textContent = ids.length ? t('list.range', { from: from + 1, to: to, total: ids.length }) : t('list.empty');
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
  };

  PagedList.prototype.row = function (i) {
    var layer = this.layer, P = layer.P, n = P.n[i];
    var cat = layer.cats[P.c[i]] || FALLBACK_CAT;
    var li = h('li', 'place' + ((P.f[i] & layer.flags.paused) ? ' is-paused' : ''));
    li.setAttribute('data-n', String(n));
    var head = h('div', 'place-head');
    head.appendChild(numberBadge(n, cat));
    var name = h('h3', 'place-name');
    var a = h('a', null, P.name[i]);
    a.href = ROOT + 'places/' + n + '/';
    name.appendChild(a);
    head.appendChild(name);
    li.appendChild(head);
    var tags = h('p', 'place-tags');
    tags.appendChild(catTag(cat));
    statusBadges(tags, P.f[i], layer.flags);
    li.appendChild(tags);
    var btn = h('button', 'show-on-map', t('list.show_on_map'));
    btn.type = 'button';
    btn.setAttribute('data-n', String(n));
    btn.setAttribute('aria-label', t('list.show_on_map_of', { n: n, name: P.name[i] }));
    li.appendChild(btn);
    return li;
  };

  function updateCounts(layer) {
    var el = doc.getElementById('list-count');
    if (el) {
      el.textContent = layer.visibleCount === layer.P.n.length ? t('list.total', { count: layer.visibleCount })
        : t('list.showing', { shown: layer.visibleCount, total: layer.P.n.length });
    }
    setStatus(t('map.shown', { count: layer.visibleCount }));
  }

  function enableFieldsets() {
    var sets = doc.querySelectorAll('.layers fieldset[disabled]');
    Array.prototype.forEach.call(sets, function (f) { f.disabled = false; });
  }

  function fitPlaces(map, P, fallback) {
    if (!P.n.length) { if (fallback) { map.fitBounds(fallback); } return; }
    var s = 90, w = 180, n = -90, e = -180;
    for (var i = 0; i < P.n.length; i++) {
      if (P.lat[i] < s) { s = P.lat[i]; }
      if (P.lat[i] > n) { n = P.lat[i]; }
      if (P.lon[i] < w) { w = P.lon[i]; }
      if (P.lon[i] > e) { e = P.lon[i]; }
    }
    map.fitBounds([[s, w], [n, e]], { padding: [24, 24], maxZoom: 16, animate: false });
  }

  function exposeLayer(layer) {
    api.layer = layer;
    api.map = layer.map;
    api.total = function () { return layer.P.n.length; };
    api.visibleCount = function () { return layer.visibleCount; };
    /* Places represented by what is drawn now: single markers plus the counts of the clusters. */
    api.markerCount = function () { return layer.drawn.places; };
    /* places: on the map (single markers, groups' counts, places at one point); online: listed, not placed */
    api.drawn = function () { var d = layer.drawn; return { places: d.places, clusters: d.clusters, points: d.points, stacks: d.stacks, online: d.online }; };
    api.drawnNumbers = function () { return Object.keys(layer.markers).map(Number).sort(function (a, b) { return a - b; }); };
    api.openPlace = function (n) { return layer.openPlace(n, false).then(function () { return true; }); };
    api.setCategory = function (id, on) {
      var c = layer.cats.findIndex(function (x) { return x.id === id; });
      if (c >= 0) { layer.setCategory(c, on); }
    };
    /* For the filters: fn(i, P) → true to keep place i (combined with the category switches). */
    api.setFilter = function (fn) { layer.filter = fn || null; layer.rebuild(); layer.render(); };
  }

  // ------------------------------------------------------------------ pages

  function startIndex() {
    var mapEl = doc.getElementById('map');
    var form = doc.getElementById('layers');
    var map = makeMap(mapEl);
    var setView = setupViewSwitch(map);
    setStatus(t('map.loading'));
    // The first view comes from the bounds written into the page: nothing has to arrive first.
    var bounds = null;
    try { bounds = JSON.parse(mapEl.getAttribute('data-bounds') || 'null'); } catch (e) { bounds = null; }
    if (bounds) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16, animate: false }); }
    var tiers = setupTiers(map, form);
    var insight = setupInsight(map, form);
    var overview = null, placesDone = false;
    var painted = Promise.resolve();
    if (bounds && mapEl.getAttribute('data-overview')) {
      painted = fetchJSON(mapEl.getAttribute('data-overview')).then(function (data) {
        if (!placesDone) { overview = new OverviewLayer(map, data); }
        // two frames: the overview is on screen before index.json's parse and clustering take the thread
        return new Promise(function (resolve) { requestAnimationFrame(function () { requestAnimationFrame(resolve); }); });
      }, function () { /* the full layer follows anyway */ });
    }
    // index.json downloads meanwhile; it is only parsed once the overview is painted
    var indexUrl = mapEl.getAttribute('data-index');
    var response = fetch(indexUrl, { credentials: 'same-origin' });
    var listBuilt = painted.then(materializeList);
    var places = Promise.all([response, painted, listBuilt]).then(function (got) {
      if (!got[0].ok) { throw new Error(indexUrl + ': HTTP ' + got[0].status); }
      return got[0].json();
    }).then(function (data) {
      placesDone = true;
      if (overview) { overview.remove(); overview = null; }
      var P = { n: data.n, lat: data.lat, lon: data.lon, c: data.c, f: data.f, name: data.name, w: data.w, p: data.p, d: data.d,
        dkey: data.d.map(function (d) { return d >= 0 ? data.districts[d].key : '_none'; }) };
      var layer = new PlaceLayer(map, P, data.categories, data.flags);
      exposeLayer(layer);
      api.index = data;
      if (!bounds) { fitPlaces(map, P, null); }
      layer.render();
      var paged = doc.getElementById('place-pages');
      var pagedList = paged ? new PagedList(paged, layer) : null;
      layer.listeners.push(function (l) {
        syncFullList(l);
        if (pagedList) { pagedList.show(0); }
        updateCounts(l);
      });
      if (pagedList) { pagedList.show(0); }
      updateCounts(layer);
      bindList(layer, setView);
      if (api.followHash) { api.followHash(); } // a link to an entry of the list (index.html#place-12)
      // category switches, with counts per category
      var counts = data.categories.map(function () { return 0; });
      P.c.forEach(function (c) { if (c >= 0) { counts[c]++; } });
      data.categories.forEach(function (cat, c) {
        var box = form && form.querySelector('input[name="category"][value="' + cat.id + '"]');
        if (!box) { return; }
        var countEl = form.querySelector('[data-count-for="' + cat.id + '"]');
        if (countEl) { countEl.textContent = '(' + counts[c] + ')'; }
        box.addEventListener('change', function () { layer.catOn[c] = box.checked; layer.rebuild(); layer.render(); });
      });
      if (form) {
        Array.prototype.forEach.call(form.querySelectorAll('input[name="basemap"]'), function (r) {
          r.addEventListener('change', function () { if (r.checked) { map.takaraBase(r.value); } });
        });
      }
      enableFieldsets();
    });
    // Outlines, overlays and analysis layers load after the markers: they must not delay them.
    var after = places.then(function () {}, function () {});
    var outlines = after.then(function () {
      setupOverlays(map, form);
      return Promise.all(Object.keys(tiers).map(function (id) { return tiers[id].show(tiers[id].input.checked); })
        .concat(Object.keys(insight).filter(function (id) { return insight[id].input.checked; })
          .map(function (id) { return insight[id].sync(); })));
    });
    var ready = Promise.all([places, outlines]);
    api.tiers = tiers;
    api.tierVisible = function (id) {
      var e = tiers[id];
      return !!(e && e.layers && map.hasLayer(e.layers.outline));
    };
    finish(ready);
  }

  function rowsToPoints(rows, cats) {
    var catIndex = {};
    cats.forEach(function (c, k) { catIndex[c.id] = k; });
    var P = { n: [], lat: [], lon: [], c: [], f: [], name: [], dkey: [] };
    Array.prototype.forEach.call(rows, function (row) {
      P.n.push(Number(row.getAttribute('data-n')));
      P.lat.push(Number(row.getAttribute('data-lat')));
      P.lon.push(Number(row.getAttribute('data-lon')));
      var c = catIndex[row.getAttribute('data-c')];
      P.c.push(c === undefined ? -1 : c);
      P.f.push((row.classList.contains('is-paused') ? 4 : 0) | (row.querySelector('.badge-stale') ? 8 : 0) |
        (row.classList.contains('is-online') ? 64 : 0));
      var a = row.querySelector('.place-name');
      P.name.push(a ? a.textContent : '');
      P.dkey.push(row.getAttribute('data-d') || '_none');
    });
    return P;
  }

  function categoriesFromLegend() {
    return Array.prototype.map.call(doc.querySelectorAll('.legend [data-cat]'), function (li) {
      var icon = li.querySelector('.cat-icon');
      var tag = li.querySelector('.cat-tag');
      var label = tag ? tag.textContent.replace(icon ? icon.textContent : '', '').trim() : '';
      return { id: li.getAttribute('data-cat'), icon: icon ? icon.textContent : '\u25cf', label: label };
    });
  }

  function startArea() {
    var mapEl = doc.getElementById('map');
    var info = JSON.parse(doc.getElementById('area-data').textContent);
    var map = makeMap(mapEl);
    var setView = setupViewSwitch(map);
    // the finer areas inside (e.g. 自治会 in a 中学校区), with their names, then the area's own outline
    var inner = tierLayers(map, 'children', 2, info.children, true);
    inner.outline.addTo(map);
    inner.labels.addTo(map);
    L.geoJSON(info.outline, { style: function () { return Object.assign({ fill: false, className: 'tk-tier tk-area-outline' }, TIER_STYLES[0]); }, interactive: false }).addTo(map);
    map.fitBounds(info.bounds, { padding: [16, 16], animate: false });
    var cats = categoriesFromLegend();
    // the places come from the page's own list, built from its <noscript> text first
    finish(materializeList().then(function () {
      var P = rowsToPoints(doc.querySelectorAll('#place-list > li.place'), cats);
      // a neighbourhood's page shows each of its places: no groups at any zoom
      var layer = new PlaceLayer(map, P, cats, { paused: 4, stale: 8, online: 64 }, { grouping: info.group !== false });
      exposeLayer(layer);
      layer.render();
      bindList(layer, setView);
      if (api.followHash) { api.followHash(); }
      setStatus(t('map.shown', { count: P.n.length - layer.onlineCount }));
    }));
  }

  function startPlace() {
    var mapEl = doc.getElementById('map');
    var lat = Number(mapEl.getAttribute('data-lat')), lon = Number(mapEl.getAttribute('data-lon'));
    var approx = mapEl.getAttribute('data-area') === '1';
    var map = makeMap(mapEl, { scrollWheelZoom: false });
    map.setView([lat, lon], approx ? 15 : 16, { animate: false });
    if (approx) {
      L.circle([lat, lon], { radius: 150, color: '#17324d', weight: 2, dashArray: '6 4', fillOpacity: 0.08, interactive: false }).addTo(map);
    }
    var icon = L.divIcon({ className: 'tk-marker cat-' + mapEl.getAttribute('data-c'), html: '', iconSize: [44, 44] });
    var m = L.marker([lat, lon], { icon: icon, interactive: false, keyboard: false }).addTo(map);
    var el = m.getElement();
    el.setAttribute('aria-hidden', 'true');
    var pin = h('span', 'tk-pin', mapEl.getAttribute('data-n'));
    var badge = h('span', 'tk-pin-icon', mapEl.getAttribute('data-icon'));
    pin.appendChild(badge);
    el.appendChild(pin);
    api.map = map;
    api.markerCount = function () { return 1; };
    finish(Promise.resolve());
  }

  function finish(ready) {
    api.ready = ready.then(function () { api.loaded = true; return true; }, function (err) {
      setStatus(t('map.error'), true);
      api.loaded = true;
      api.error = String(err);
      return false;
    });
  }

  // ------------------------------------------------------------------ a place's own calendar

  /* The place page carries the place's VCALENDAR in data-ics (the build writes no file per place); it is
   * offered here as a download of its own. Without JavaScript the link keeps the district's calendar. */
  function offerPlaceCalendar() {
    var link = doc.querySelector('a[data-ics]');
    if (!link || typeof Blob === 'undefined' || !window.URL || !URL.createObjectURL) { return; }
    // HTML reads the attribute's CRLF line ends as LF; iCalendar wants CRLF back
    var text = link.getAttribute('data-ics').replace(/\r?\n/g, '\r\n');
    link.href = URL.createObjectURL(new Blob([text], { type: 'text/calendar;charset=utf-8' }));
    link.setAttribute('download', link.getAttribute('data-file'));
    link.setAttribute('data-own', '1');
  }
  if (PAGE === 'place') { offerPlaceCalendar(); }

  if (typeof L === 'undefined' || !doc.getElementById('map')) { return; }
  if (PAGE === 'index') { startIndex(); } else if (PAGE === 'area') { startArea(); } else if (PAGE === 'place') { startPlace(); }
}());
