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
/* New live rows: a background only, no keyframes (a thousand rows a second would each run one). */
tr.new { background: color-mix(in srgb, var(--accent) 14%, transparent); }
.live-bar { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; }
.live-bar p { margin: .3rem 0; }
button[aria-pressed="true"] { background: color-mix(in srgb, var(--accent) 22%, transparent); }
td.answer { font-family: ui-monospace, monospace; font-size: .9em; }
.condition-Success { color: var(--good); }
.condition-Failure { color: var(--bad); }
.pair-line { font-size: 1.05rem; }
`;

/**
 * Events page, live: every 2 s it asks for the events received since the newest row
 * it shows (`newer`, plus `seen`: that row's millisecond-mates), with the page's
 * filters. New rows go on top in one insertion, marked `new` until the next poll (a
 * background, no animation); at most data-max-rows (200) stay. A poll that finds more
 * than fit shows the newest and counts the rest in "N more events (not shown)", a
 * link to the list. "Pause live updates" (aria-pressed) stops polling; a hidden tab
 * does not poll either. Dead letters page: "Select all".
 */
export const CONSOLE_JS = `(function () {
  'use strict';
  var tbody = document.getElementById('event-rows');
  if (tbody && tbody.getAttribute('data-live')) {
    var url = tbody.getAttribute('data-live');
    var base = tbody.getAttribute('data-event-base');
    var maxRows = Number(tbody.getAttribute('data-max-rows')) || 200;
    var answers = tbody.getAttribute('data-answers') === '1';
    var status = document.getElementById('live-status');
    var toggle = document.getElementById('live-toggle');
    var more = document.getElementById('live-more');
    var paused = false;
    var timer = 0;
    var inFlight = false;
    var notShown = 0;
    var capped = false;
    var fresh = [];
    var shown = new Set();
    var newest = 0;
    var atNewest = [];
    var note = function (ms, id) {
      if (ms > newest) { newest = ms; atNewest = [id]; }
      else if (ms === newest) atNewest.push(id);
    };
    for (var r = 0; r < tbody.rows.length; r++) {
      var tr0 = tbody.rows[r];
      var id0 = tr0.getAttribute('data-id');
      if (!id0) continue;
      shown.add(id0);
      var t0 = tr0.querySelector('time');
      if (t0) note(Date.parse(t0.getAttribute('datetime')), id0);
    }
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
      if (answers) tr.appendChild(cell(e.answer, 'answer' + (e.condition ? ' condition-' + e.condition : '')));
      var idCell = document.createElement('td');
      var a = document.createElement('a');
      a.href = base + encodeURIComponent(e.id);
      a.textContent = e.id;
      idCell.appendChild(a);
      tr.appendChild(idCell);
      return tr;
    };
    var say = function (text) { if (status && status.textContent !== text) status.textContent = text; };
    var schedule = function (ms) { clearTimeout(timer); timer = setTimeout(poll, ms); };
    var apply = function (page) {
      var items = page.items.filter(function (e) { return !shown.has(e.id); });
      for (var f = 0; f < fresh.length; f++) fresh[f].className = '';
      fresh = [];
      if (items.length) {
        var empty = document.getElementById('no-events');
        if (empty) empty.remove();
        var frag = document.createDocumentFragment();
        for (var i = 0; i < items.length; i++) {
          var tr = row(items[i]);
          fresh.push(tr);
          frag.appendChild(tr);
          shown.add(items[i].id);
          note(Date.parse(items[i].receivedAt), items[i].id);
        }
        tbody.insertBefore(frag, tbody.firstChild);
        while (tbody.rows.length > maxRows) {
          var last = tbody.rows[tbody.rows.length - 1];
          shown.delete(last.getAttribute('data-id'));
          last.remove();
        }
      }
      if (page.more > 0) {
        notShown += page.more;
        capped = capped || page.capped;
        var link = more.querySelector('a');
        link.textContent = notShown.toLocaleString('en') + (capped ? '+' : '') + ' more event' + (notShown === 1 && !capped ? '' : 's') + ' (not shown)';
        more.hidden = false;
      }
      say(items.length ? 'Live: ' + items.length + ' new event' + (items.length === 1 ? '' : 's') : 'Live');
    };
    var poll = function () {
      if (paused || inFlight) return;
      if (document.hidden) return schedule(2000);
      inFlight = true;
      var q = url + (url.indexOf('?') < 0 ? '?' : '&') + 'newer=' + newest + '&seen=' + encodeURIComponent(atNewest.slice(0, 100).join(','));
      fetch(q, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status)); })
        .then(function (page) { if (!paused) apply(page); })
        .catch(function () { if (!paused) say('Live updates stalled (retrying)'); })
        .then(function () { inFlight = false; if (!paused) schedule(2000); });
    };
    if (toggle) {
      toggle.addEventListener('click', function () {
        paused = !paused;
        toggle.setAttribute('aria-pressed', paused ? 'true' : 'false');
        if (paused) { clearTimeout(timer); say('Live updates paused'); }
        else { say('Live'); schedule(0); }
      });
    }
    schedule(2000);
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
