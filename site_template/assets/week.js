/* Takara Map — 今週の予定 (week/index.html). The page lists each weekday's places without JavaScript;
 * this adds this week's dates, marks today, says for each place whether it meets this week, and filters
 * by district. Whether a place meets on a date is computed at build time (data/week.json, from the same
 * schedule rules as the calendars: 第N曜日, months, 祝日・お盆・年末年始, 休止中): nothing is worked
 * out again here. Strings come from the catalogue. */
(function () {
  'use strict';

  var doc = document;
  var t = window.takaraT; // assets/strings.js

  var DAY = 86400000;
  var today = new Date();
  today.setHours(12, 0, 0, 0);
  var monday = new Date(today);
  monday.setDate(today.getDate() - ((today.getDay() + 6) % 7));
  var api = { ready: false, monday: iso(monday) };
  window.takaraWeek = api;

  function iso(d) {
    return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
  }

  function dateOf(wd) { var d = new Date(monday); d.setDate(monday.getDate() + wd); return d; }

  Array.prototype.forEach.call(doc.querySelectorAll('.week-day[data-wd]'), function (section) {
    var date = dateOf(Number(section.getAttribute('data-wd')));
    var label = section.querySelector('.week-date');
    if (label) { label.textContent = t('week.date', { m: date.getMonth() + 1, d: date.getDate() }); }
    if (date.getTime() === today.getTime()) {
      section.classList.add('is-today');
      section.setAttribute('aria-current', 'date');
      if (label) { label.textContent += ' ' + t('week.today'); }
    }
  });

  /* bit k of the place's hex string: it meets on start + k days */
  function meets(hex, k) {
    var digit = hex.length - 1 - Math.floor(k / 4);
    if (digit < 0) { return false; }
    return ((parseInt(hex.charAt(digit), 16) >> (k % 4)) & 1) === 1;
  }

  function markWeek(data) {
    var start = new Date(data.start + 'T12:00:00');
    var offset = Math.round((monday - start) / DAY);
    Array.prototype.forEach.call(doc.querySelectorAll('.week-day[data-wd]'), function (section) {
      var k = offset + Number(section.getAttribute('data-wd'));
      if (k < 0 || k >= data.days) { return; } // outside the year the edition covers: say nothing
      Array.prototype.forEach.call(section.querySelectorAll('.week-item'), function (item) {
        var hex = data.on[item.getAttribute('data-n')];
        if (hex === undefined) { return; }
        var on = meets(hex, k);
        item.classList.toggle('not-this-week', !on);
        item.setAttribute('data-this-week', on ? '1' : '0');
        var note = item.querySelector('.week-note');
        if (note) {
          note.textContent = on ? t('week.this_week') : t('week.not_this_week');
          note.hidden = false;
        }
      });
    });
  }

  function filterDistrict(key) {
    Array.prototype.forEach.call(doc.querySelectorAll('.week-day, .week-extra'), function (section) {
      var shown = 0;
      Array.prototype.forEach.call(section.querySelectorAll('.week-item'), function (item) {
        var on = !key || item.getAttribute('data-d') === key;
        item.hidden = !on;
        if (on) { shown++; }
      });
      var count = section.querySelector('h2 .count');
      if (count) { count.textContent = t('week.count', { count: shown }); }
    });
  }

  var select = doc.getElementById('week-district');
  if (select) {
    var wanted = new URLSearchParams(window.location.search).get('d');
    if (wanted && select.querySelector('option[value="' + CSS.escape(wanted) + '"]')) { select.value = wanted; }
    select.addEventListener('change', function () {
      filterDistrict(select.value);
      var url = new URL(window.location.href);
      if (select.value) { url.searchParams.set('d', select.value); } else { url.searchParams.delete('d'); }
      window.history.replaceState(null, '', url.toString());
    });
    filterDistrict(select.value);
  }

  var grid = doc.getElementById('week-grid');
  var done = grid ? fetch(grid.getAttribute('data-week'), { credentials: 'same-origin' }).then(function (r) {
    if (!r.ok) { throw new Error('week.json: HTTP ' + r.status); }
    return r.json();
  }).then(markWeek) : Promise.resolve();
  api.filter = filterDistrict;
  api.loaded = done.then(function () { api.ready = true; return true; }, function (err) { api.ready = true; api.error = String(err); return false; });
}());
