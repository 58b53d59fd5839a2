/**
 * The console's stylesheet and script, served from `/admin/console/app.css|js`: no
 * build step, no external asset, and a CSP of `'self'` covers them.
 */
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #5a6470; --line: #d0d7de; --accent: #0b5cad; --bad: #b00020; --good: #116329; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9aa4ae; --line: #30363d; --accent: #58a6ff; --bad: #ff7b72; --good: #3fb950; } }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
header nav { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
header ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; flex: 1; }
.brand { font-weight: 700; }
a { color: var(--accent); }
a[aria-current="page"] { font-weight: 700; text-decoration: none; }
main { padding: 1rem; max-width: 90rem; }
h1 { font-size: 1.3rem; margin: .2rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
table.kv th { width: 16rem; font-weight: 500; color: var(--muted); word-break: break-all; }
table.kv td { word-break: break-all; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: end; margin-bottom: 1rem; }
form.filters .field { display: grid; gap: .15rem; }
form.filters label { font-size: .85rem; color: var(--muted); }
form.inline { display: inline; margin-right: .4rem; }
input, select, button { font: inherit; padding: .3rem .5rem; }
button { cursor: pointer; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
pre.body { background: color-mix(in srgb, var(--fg) 6%, transparent); padding: .6rem; overflow: auto; max-height: 30rem; white-space: pre-wrap; word-break: break-all; }
.muted { color: var(--muted); }
.notice { border-left: 4px solid var(--good); padding: .4rem .7rem; }
.error { border-left: 4px solid var(--bad); padding: .4rem .7rem; color: var(--bad); }
.status-delivered, .state-active, .outcome-success { color: var(--good); }
.status-failed, .outcome-dead_letter, .state-suspended { color: var(--bad); }
.state-paused, .status-pending, .outcome-retry { color: #9a6700; }
.actions { margin: .8rem 0; }
.delivery { border: 1px solid var(--line); border-radius: 6px; padding: .2rem .8rem .6rem; margin: .6rem 0; }
tr.new { animation: flash 2s ease-out; }
@keyframes flash { from { background: color-mix(in srgb, var(--accent) 20%, transparent); } to { background: transparent; } }
`;

/**
 * Events page: polls the same filters as JSON every 2 s and puts new events on top
 * (status changes are updated in place). At most 500 rows stay, so a burst of
 * events cannot freeze the tab. Dead letters page: "Select all".
 */
export const CONSOLE_JS = `(function () {
  'use strict';
  var tbody = document.getElementById('event-rows');
  if (tbody && tbody.getAttribute('data-live')) {
    var url = tbody.getAttribute('data-live');
    var base = tbody.getAttribute('data-event-base');
    var status = document.getElementById('live-status');
    var cell = function (text, cls) {
      var td = document.createElement('td');
      if (cls) td.className = cls;
      td.textContent = text || '';
      return td;
    };
    var row = function (e) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-id', e.id);
      tr.className = 'new';
      var t = document.createElement('td');
      var time = document.createElement('time');
      time.setAttribute('datetime', e.receivedAt);
      time.textContent = e.receivedAt;
      t.appendChild(time);
      tr.appendChild(t);
      tr.appendChild(cell(e.source));
      tr.appendChild(cell(e.type));
      tr.appendChild(cell(e.status, 'status status-' + e.status));
      var idCell = document.createElement('td');
      var a = document.createElement('a');
      a.href = base + encodeURIComponent(e.id);
      a.textContent = e.id;
      idCell.appendChild(a);
      tr.appendChild(idCell);
      return tr;
    };
    var poll = function () {
      fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status)); })
        .then(function (page) {
          var empty = document.getElementById('no-events');
          var added = 0;
          for (var i = page.items.length - 1; i >= 0; i--) {
            var e = page.items[i];
            var existing = tbody.querySelector('tr[data-id="' + CSS.escape(e.id) + '"]');
            if (existing) {
              var s = existing.querySelector('.status');
              if (s && s.textContent !== e.status) { s.textContent = e.status; s.className = 'status status-' + e.status; }
              continue;
            }
            if (empty) { empty.remove(); empty = null; }
            tbody.insertBefore(row(e), tbody.firstChild);
            added++;
          }
          while (tbody.rows.length > 500) tbody.deleteRow(tbody.rows.length - 1);
          if (status) status.textContent = added ? added + ' new event' + (added === 1 ? '' : 's') : 'Live';
        })
        .catch(function () { if (status) status.textContent = 'Live updates paused (retrying)'; })
        .then(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 2000);
  }
  var all = document.getElementById('select-all');
  if (all) {
    all.addEventListener('change', function () {
      var boxes = document.querySelectorAll('input[name="ids"]');
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
    });
  }
})();
`;
