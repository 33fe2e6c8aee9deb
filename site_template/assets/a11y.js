/* Takara Map — reading comfort on every page: the 大きな文字 (large text) switch, remembered in
 * localStorage. The whole layout is in rem, so one root font size enlarges everything. */
(function () {
  'use strict';

  var KEY = 'takara.largeText';
  var root = document.documentElement;
  var btn = document.getElementById('large-toggle');

  function stored() {
    try { return window.localStorage.getItem(KEY) === '1'; } catch (e) { return false; }
  }

  function set(on, save) {
    root.classList.toggle('large-text', on);
    if (btn) { btn.setAttribute('aria-pressed', on ? 'true' : 'false'); }
    if (save) {
      try { window.localStorage.setItem(KEY, on ? '1' : '0'); } catch (e) { /* private mode: this page only */ }
    }
    var map = window.takara && window.takara.map;
    if (map && map.invalidateSize) { map.invalidateSize(); } // keeps the same centre in the new width
  }

  set(stored(), false);
  if (btn) {
    btn.hidden = false;
    btn.addEventListener('click', function () { set(!root.classList.contains('large-text'), true); });
  }
}());
