/* Takara Map — runs before the page is drawn (a small blocking script in <head>): marks that scripts
 * run (the `js` class) and restores 大きな文字 from localStorage, so nothing moves once the page is shown
 * (no layout shift from the large-text switch or from controls that only work with JavaScript). */
(function () {
  'use strict';
  var root = document.documentElement;
  root.classList.add('js');
  try {
    if (window.localStorage.getItem('takara.largeText') === '1') { root.classList.add('large-text'); }
  } catch (e) { /* storage blocked: normal text */ }
}());
