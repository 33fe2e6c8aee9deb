/* Takara Map — 今週の予定 (week/index.html). The page lists each weekday's places without JavaScript;
 * this adds this week's dates, marks today, and says for places meeting only on some weeks (第2火曜 …)
 * or in some months whether they meet this week. Strings come from the catalogue. */
(function () {
  'use strict';

  var doc = document;
  var STR = (window.TAKARA_I18N || {})[doc.body.getAttribute('data-lang') || 'ja'] || {};
  function t(key, values) {
    var s = STR[key];
    if (s === undefined) { return key; }
    return values ? s.replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : String(values[k]); }) : s;
  }

  var today = new Date();
  today.setHours(12, 0, 0, 0);
  var monday = new Date(today);
  monday.setDate(today.getDate() - ((today.getDay() + 6) % 7));

  function nthOfMonth(d) { return Math.floor((d.getDate() - 1) / 7) + 1; }
  function isLast(d) { var n = new Date(d); n.setDate(d.getDate() + 7); return n.getMonth() !== d.getMonth(); }

  Array.prototype.forEach.call(doc.querySelectorAll('.week-day[data-wd]'), function (section) {
    var wd = Number(section.getAttribute('data-wd'));
    var date = new Date(monday);
    date.setDate(monday.getDate() + wd);
    var label = section.querySelector('.week-date');
    if (label) { label.textContent = t('week.date', { m: date.getMonth() + 1, d: date.getDate() }); }
    if (date.getTime() === today.getTime()) {
      section.classList.add('is-today');
      section.setAttribute('aria-current', 'date');
      if (label) { label.textContent += ' ' + t('week.today'); }
    }
    Array.prototype.forEach.call(section.querySelectorAll('.week-item'), function (item) {
      var nth = (item.getAttribute('data-nth') || '').split(',').filter(Boolean).map(Number);
      var months = (item.getAttribute('data-months') || '').split(',').filter(Boolean).map(Number);
      if (!nth.length && !months.length) { return; }
      var on = (!months.length || months.indexOf(date.getMonth() + 1) >= 0) &&
        (!nth.length || nth.indexOf(nthOfMonth(date)) >= 0 || (nth.indexOf(-1) >= 0 && isLast(date)));
      item.classList.toggle('not-this-week', !on);
      var note = item.querySelector('.week-note');
      if (note) {
        note.textContent = on ? t('week.this_week') : t('week.not_this_week');
        note.hidden = false;
      }
    });
  });
  window.takaraWeek = { ready: true, monday: monday.toISOString().slice(0, 10) };
}());
