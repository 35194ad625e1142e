/**
 * `GET /`: the live statistics page. One self-contained document (inline CSS and JS, no CDN, no
 * charting library, so it works offline and its Content-Security-Policy can forbid every other
 * source). It polls `/stats/all` every second and, for every replica, draws small canvas line
 * charts of the hit ratio per tier, 304s, 429s and factory calls, plus a table of the numbers.
 *
 * Hooks for browser tests: each replica is `<section class="replica" data-replica="<id>">` whose
 * data attributes (`data-points`, `data-requests`, `data-factory-calls`, `data-not-modified`,
 * `data-rate-limited`, `data-l1-hits`, ...) are updated at every refresh; `#replicas` carries
 * `data-replica-count` (live replicas) and `data-refreshes`.
 *
 * The script below is plain ES2020 inside a template literal: it uses no backticks, no
 * dollar-brace and no backslashes, so nothing in it is interpreted here.
 */
export const STATS_PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'";

export const STATS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tiercache demo: live statistics</title>
<style>
:root {
  --bg: #f5f6f8; --card: #fff; --ink: #1b2230; --muted: #687385; --line: #e3e6eb; --grid: #eef0f3;
  --l1: #2563eb; --l2: #8b5cf6; --nm: #059669; --rl: #dc2626; --fc: #d97706;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--l1); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eceef2; padding: 1px 5px; border-radius: 4px; }
.top { padding: 22px 28px 6px; }
h1 { margin: 0 0 4px; font-size: 20px; font-weight: 650; }
h1 small { color: var(--muted); font-weight: 400; font-size: 15px; }
.sub { margin: 0; color: var(--muted); }
.status { display: inline-block; margin-left: 6px; padding: 1px 9px; border-radius: 999px; background: #e8effd; color: #1e40af; font-size: 12px; }
.status.error { background: #fde8e8; color: #991b1b; }
main { padding: 10px 28px 8px; display: grid; gap: 18px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px 16px; box-shadow: 0 1px 2px rgba(16, 24, 40, .04); }
.card h2 { margin: 0 0 8px; font-size: 15px; font-weight: 600; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; text-align: right; border-bottom: 1px solid var(--line); white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
tr:last-child td { border-bottom: 0; }
tr.offline td { color: var(--muted); }
#replicas { display: grid; gap: 18px; }
.replica-head { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: baseline; justify-content: space-between; }
.replica-head h2 { margin: 0; }
.meta { color: var(--muted); font-size: 12px; }
.badge { display: inline-block; margin-left: 8px; padding: 0 7px; border-radius: 999px; font-size: 11px; font-weight: 600; vertical-align: 1px; background: #dcfce7; color: #166534; }
.replica[data-live="false"] { opacity: .55; }
.replica[data-live="false"] .badge { background: #eceef2; color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 14px; margin-top: 12px; }
figure { margin: 0; }
figcaption { display: flex; justify-content: space-between; gap: 8px; margin-bottom: 4px; font-size: 12px; color: var(--muted); }
figcaption b { color: var(--ink); font-weight: 600; font-variant-numeric: tabular-nums; }
canvas { display: block; width: 100%; height: 112px; background: #fbfcfd; border: 1px solid var(--line); border-radius: 6px; }
.key { display: inline-block; width: 10px; height: 3px; margin: 0 4px 2px 8px; border-radius: 2px; vertical-align: middle; }
.empty { color: var(--muted); padding: 24px; text-align: center; }
footer { padding: 4px 28px 26px; color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<div class="top">
  <h1>tiercache demo <small>live statistics</small></h1>
  <p class="sub">Every replica's counters from <a href="/stats/all"><code>/stats/all</code></a>, refreshed every second.<span id="status" class="status">connecting</span></p>
</div>
<main>
  <section class="card" aria-labelledby="numbers-title">
    <h2 id="numbers-title">Numbers since start</h2>
    <div class="table-wrap">
      <table id="numbers">
        <thead><tr>
          <th>Replica</th><th>Uptime</th><th>Requests</th><th>200</th><th>304</th><th>412</th><th>429</th>
          <th>L1 hits</th><th>L2 hits</th><th>Misses</th><th>Factory calls</th><th>L1 ratio</th><th>L2 ratio</th>
          <th>L1 entries</th><th>Bus in / out</th><th>Redis</th>
        </tr></thead>
        <tbody><tr><td class="empty" colspan="16">waiting for the first snapshot</td></tr></tbody>
      </table>
    </div>
  </section>
  <div id="replicas" data-replica-count="0" data-refreshes="0"></div>
</main>
<footer>
  Send some traffic, for instance <code>curl -s localhost:PORT/products/1</code> twice, then with
  <code>-H 'If-None-Match: "..."'</code>, or <code>/search?q=tent</code> past the rate limit.
  Ratios are since start (hits over lookups); 304s, 429s and factory calls are per second.
  This page's own polling counts as one request a second on the replica that serves it.
  Raw data: <a href="/stats">/stats</a>, <a href="/stats/all">/stats/all</a>, <a href="/metrics">/metrics</a>.
</footer>
<script>
'use strict';
(function () {
  var HISTORY = 120; // points kept per replica: two minutes at one a second
  var COLORS = { l1: '#2563eb', l2: '#8b5cf6', nm: '#059669', rl: '#dc2626', fc: '#d97706' };
  var CHARTS = [
    { key: 'ratio', title: 'Hit ratio', max: 1, percent: true, series: [{ field: 'l1', label: 'L1', color: COLORS.l1 }, { field: 'l2', label: 'L2', color: COLORS.l2 }] },
    { key: 'nm', title: '304 Not Modified /s', series: [{ field: 'notModified', label: '304', color: COLORS.nm }] },
    { key: 'rl', title: '429 Too Many Requests /s', series: [{ field: 'rateLimited', label: '429', color: COLORS.rl }] },
    { key: 'fc', title: 'Factory calls /s', series: [{ field: 'factoryCalls', label: 'calls', color: COLORS.fc }] }
  ];
  var replicas = new Map(); // id -> { section, canvases, values, points, last, live }
  var container = document.getElementById('replicas');
  var statusEl = document.getElementById('status');
  var tbody = document.querySelector('#numbers tbody');
  var number = new Intl.NumberFormat('en');
  var refreshes = 0;

  document.querySelector('footer code').textContent = 'curl -s ' + location.origin + '/products/1';

  function lookups(cache) {
    return cache.hits.l1 + cache.hits.l2 + cache.misses + cache.stale + cache.coalesced;
  }
  function ratio(part, whole) { return whole > 0 ? part / whole : null; }
  function percent(value) { return value === null ? '-' : (value * 100).toFixed(1) + '%'; }
  function rate(value) { return value === null ? '-' : (value < 10 ? value.toFixed(1) : number.format(Math.round(value))); }
  function uptime(ms) {
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + (s % 60) + 's';
    return Math.floor(m / 60) + 'h ' + (m % 60) + 'm';
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function create(id) {
    var section = el('section', 'card replica');
    section.dataset.replica = id;
    section.dataset.points = '0';
    var head = el('div', 'replica-head');
    var title = el('h2', '', 'Replica ' + id);
    title.appendChild(el('span', 'badge', 'live'));
    var meta = el('span', 'meta');
    head.appendChild(title);
    head.appendChild(meta);
    section.appendChild(head);
    var grid = el('div', 'charts');
    var canvases = {};
    var values = {};
    CHARTS.forEach(function (chart) {
      var figure = el('figure');
      var caption = el('figcaption');
      var name = el('span', '', chart.title);
      if (chart.series.length > 1) {
        chart.series.forEach(function (s) {
          var key = el('span', 'key');
          key.style.background = s.color;
          name.appendChild(key);
          name.appendChild(document.createTextNode(s.label));
        });
      }
      var value = el('b', '', '-');
      caption.appendChild(name);
      caption.appendChild(value);
      var canvas = el('canvas');
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', chart.title + ' of replica ' + id);
      canvas.dataset.chart = chart.key;
      figure.appendChild(caption);
      figure.appendChild(canvas);
      grid.appendChild(figure);
      canvases[chart.key] = canvas;
      values[chart.key] = value;
    });
    section.appendChild(grid);
    return { section: section, meta: meta, canvases: canvases, values: values, points: [], last: null, live: true };
  }

  // One point per new snapshot: ratios since start, and counts turned into rates per second
  // over the time between this snapshot and the previous one.
  function pointOf(previous, snap) {
    var c = snap.cache, h = snap.http, all = lookups(c);
    var point = { at: snap.at, l1: ratio(c.hits.l1, all), l2: ratio(c.hits.l2, all), notModified: null, rateLimited: null, factoryCalls: null };
    var sameRun = previous && previous.replica.startedAt === snap.replica.startedAt && snap.at > previous.at;
    if (sameRun) {
      var seconds = (snap.at - previous.at) / 1000;
      point.notModified = Math.max(0, h.notModified - previous.http.notModified) / seconds;
      point.rateLimited = Math.max(0, h.tooManyRequests - previous.http.tooManyRequests) / seconds;
      point.factoryCalls = Math.max(0, c.factoryCalls - previous.cache.factoryCalls) / seconds;
    }
    return point;
  }

  function niceMax(value) {
    if (!(value > 0)) return 1;
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= value) return steps[i] * power;
    return 10 * power;
  }

  function draw(canvas, chart, points) {
    var dpr = window.devicePixelRatio || 1;
    var width = canvas.clientWidth, height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    var g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    var left = 38, right = width - 8, top = 8, bottom = height - 16;
    var max = chart.max;
    if (max === undefined) {
      var highest = 0;
      points.forEach(function (p) { chart.series.forEach(function (s) { if (p[s.field] !== null && p[s.field] > highest) highest = p[s.field]; }); });
      max = niceMax(highest);
    }
    var y = function (v) { return bottom - (v / max) * (bottom - top); };
    var step = (right - left) / (HISTORY - 1);
    var x = function (i) { return right - (points.length - 1 - i) * step; };

    g.font = '10px system-ui, sans-serif';
    g.fillStyle = '#687385';
    g.strokeStyle = '#eef0f3';
    g.lineWidth = 1;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    [0, 0.5, 1].forEach(function (f) {
      var v = max * f, yy = Math.round(y(v)) + 0.5;
      g.beginPath(); g.moveTo(left, yy); g.lineTo(right, yy); g.stroke();
      g.fillText(chart.percent ? Math.round(v * 100) + '%' : (v < 10 && v % 1 ? v.toFixed(1) : number.format(v)), left - 5, yy);
    });
    g.textBaseline = 'alphabetic';
    g.textAlign = 'left';
    g.fillText('-2 min', left, height - 3);
    g.textAlign = 'right';
    g.fillText('now', right, height - 3);

    chart.series.forEach(function (s) {
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      g.lineWidth = 1.75;
      g.lineJoin = 'round';
      g.beginPath();
      var open = false, lastX = null, lastY = null;
      points.forEach(function (p, i) {
        var v = p[s.field];
        if (v === null) { open = false; return; }
        var px = x(i), py = y(Math.min(v, max));
        if (open) g.lineTo(px, py); else g.moveTo(px, py);
        open = true; lastX = px; lastY = py;
      });
      g.stroke();
      if (lastX !== null) { g.beginPath(); g.arc(lastX, lastY, 2.5, 0, 2 * Math.PI); g.fill(); }
    });
  }

  function update(entry, snap) {
    var fresh = !entry.last || snap.at !== entry.last.at;
    if (fresh) {
      entry.points.push(pointOf(entry.last, snap));
      if (entry.points.length > HISTORY) entry.points.shift();
      entry.last = snap;
    }
    var c = snap.cache, h = snap.http, all = lookups(c), d = entry.section.dataset;
    d.live = 'true';
    d.points = String(entry.points.length);
    d.updated = String(snap.at);
    d.port = snap.replica.port === null ? '' : String(snap.replica.port);
    d.requests = String(h.requests);
    d.ok = String(h.ok);
    d.notModified = String(h.notModified);
    d.preconditionFailed = String(h.preconditionFailed);
    d.rateLimited = String(h.tooManyRequests);
    d.factoryCalls = String(c.factoryCalls);
    d.l1Hits = String(c.hits.l1);
    d.l2Hits = String(c.hits.l2);
    d.misses = String(c.misses);
    d.hitRatioL1 = String(ratio(c.hits.l1, all) === null ? '' : ratio(c.hits.l1, all));
    d.hitRatioL2 = String(ratio(c.hits.l2, all) === null ? '' : ratio(c.hits.l2, all));
    entry.live = true;
    entry.meta.textContent = (snap.replica.port === null ? '' : 'port ' + snap.replica.port + ' · ') + 'pid ' + snap.replica.pid +
      ' · up ' + uptime(snap.replica.uptimeMs) + ' · products in ' + snap.replica.products +
      ' · Redis ' + (c.l2 === false ? 'none' : c.l2.state);
    var latest = entry.points[entry.points.length - 1];
    entry.values.ratio.textContent = percent(latest.l1) + ' / ' + percent(latest.l2);
    entry.values.nm.textContent = rate(latest.notModified) + '/s · ' + number.format(h.notModified);
    entry.values.rl.textContent = rate(latest.rateLimited) + '/s · ' + number.format(h.tooManyRequests);
    entry.values.fc.textContent = rate(latest.factoryCalls) + '/s · ' + number.format(c.factoryCalls);
  }

  function redraw() {
    replicas.forEach(function (entry) {
      CHARTS.forEach(function (chart) { draw(entry.canvases[chart.key], chart, entry.points); });
    });
  }

  function row(entry) {
    var snap = entry.last, c = snap.cache, h = snap.http, all = lookups(c);
    var cells = [
      snap.replica.id, uptime(snap.replica.uptimeMs), h.requests, h.ok, h.notModified, h.preconditionFailed, h.tooManyRequests,
      c.hits.l1, c.hits.l2, c.misses, c.factoryCalls, percent(ratio(c.hits.l1, all)), percent(ratio(c.hits.l2, all)),
      c.l1 === false ? '-' : c.l1.entries, c.bus.in + ' / ' + c.bus.out, c.l2 === false ? 'none' : c.l2.state
    ];
    var tr = el('tr', entry.live ? '' : 'offline');
    tr.dataset.replica = snap.replica.id;
    cells.forEach(function (cell) { tr.appendChild(el('td', '', typeof cell === 'number' ? number.format(cell) : cell)); });
    return tr;
  }

  function render(snaps) {
    var seen = new Set();
    snaps.forEach(function (snap) {
      var id = snap.replica.id;
      seen.add(id);
      var entry = replicas.get(id);
      if (!entry) { entry = create(id); replicas.set(id, entry); }
      update(entry, snap);
    });
    replicas.forEach(function (entry, id) {
      if (!seen.has(id)) { entry.live = false; entry.section.dataset.live = 'false'; }
    });
    var ids = Array.from(replicas.keys()).sort(function (a, b) { return a.localeCompare(b, 'en', { numeric: true }); });
    ids.forEach(function (id) { container.appendChild(replicas.get(id).section); });
    tbody.replaceChildren.apply(tbody, ids.map(function (id) { return row(replicas.get(id)); }));
    refreshes++;
    container.dataset.replicaCount = String(seen.size);
    container.dataset.refreshes = String(refreshes);
    redraw();
  }

  function setStatus(text, error) {
    statusEl.textContent = text;
    statusEl.className = error ? 'status error' : 'status';
  }

  function refresh() {
    fetch('/stats/all', { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (body) {
        render(body.replicas);
        var n = body.replicas.length;
        setStatus(n + (n === 1 ? ' replica' : ' replicas') + ' · ' + new Date().toLocaleTimeString(), false);
      })
      .catch(function (error) { setStatus('cannot reach /stats/all (' + error.message + '), retrying', true); })
      .then(function () { setTimeout(refresh, 1000); });
  }

  window.addEventListener('resize', redraw);
  refresh();
})();
</script>
</body>
</html>
`;
