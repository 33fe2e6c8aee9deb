/* The one t() every script of the site uses: an interface string of the page's language (the catalogue
 * site_template/i18n/<lang>.json, loaded just before as assets/i18n/<lang>.js), with {name} filled in.
 * A missing key shows the key (the build already refuses a template asking for one). */
(function () {
  'use strict';
  var STR = (window.TAKARA_I18N || {})[document.body.getAttribute('data-lang') || 'ja'] || {};
  window.takaraT = function (key, values) {
    var s = STR[key];
    if (s === undefined) { return key; }
    return values ? s.replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : String(values[k]); }) : s;
  };
})();
