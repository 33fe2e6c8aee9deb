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
    var layer = window.takara && window.takara.layer;
    if (layer && layer.rebuild) { layer.rebuild(); layer.render(); } // groups sized for the new text
  }

  set(stored() || root.classList.contains('large-text'), false);
  if (btn) {
    btn.addEventListener('click', function () { set(!root.classList.contains('large-text'), true); });
  }

  // Phones: the site menu folds into one button (CSS shows the button only on narrow screens).
  var menuBtn = document.getElementById('menu-toggle');
  var nav = document.getElementById('site-nav');
  function setMenu(open) {
    if (!menuBtn || !nav) { return; }
    menuBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
    nav.classList.toggle('is-open', open);
  }
  if (menuBtn && nav) {
    menuBtn.addEventListener('click', function () { setMenu(menuBtn.getAttribute('aria-expanded') !== 'true'); });
    nav.addEventListener('click', function (e) { if (e.target.closest('a')) { setMenu(false); } });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && menuBtn.getAttribute('aria-expanded') === 'true') { setMenu(false); menuBtn.focus(); }
    });
  }
}());
