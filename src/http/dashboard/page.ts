/**
 * The dashboard page: one self-contained HTML document (inline CSS and script, charts drawn by
 * hand in SVG, no external request of any kind) that listens to `<path>/events` and redraws on
 * every snapshot. Everything the runtime sends is written with `textContent`, never parsed as HTML:
 * a client name is the client's to choose. The 5-minute history lives in the page only.
 *
 * With a transition log, a Transitions panel lists the `transitions` events (the page keeps the
 * last 500 it has received); clicking an actor's row, in either table, narrows it to that actor.
 */

/** The page with `nonce` on its inline style and script (its Content-Security-Policy allows only those). @internal */
export function dashboardPage(nonce: string): string {
  return PAGE.replaceAll('__NONCE__', nonce);
}

/** The Content-Security-Policy the page is served with: its own inline code, its own event stream. @internal */
export function dashboardPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>mcp-session-runtime · dashboard</title>
<style nonce="__NONCE__">
:root { color-scheme: dark; --bg: #0f1115; --panel: #171a21; --line: #2a2f3a; --text: #e6e8ee;
  --muted: #8b93a7; --accent: #5aa9ff; --ok: #7ee787; --warn: #ffb454; --bad: #ff6b6b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: var(--bg); color: var(--text); }
header { display: flex; align-items: center; gap: 12px; padding: 12px 20px; border-bottom: 1px solid var(--line); }
h1 { font-size: 16px; margin: 0; font-weight: 600; }
h2 { font-size: 12px; margin: 0 0 8px; color: var(--muted); font-weight: 600; text-transform: uppercase;
  letter-spacing: .05em; display: flex; justify-content: space-between; }
.dot { width: 10px; height: 10px; border-radius: 50%; background: var(--bad); }
.dot.on { background: var(--ok); }
main { padding: 16px 20px; display: grid; gap: 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 12px; }
.card, .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .value { font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
.card .detail { color: var(--muted); font-size: 12px; min-height: 1.45em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.charts, .pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 12px; }
svg { width: 100%; height: 140px; display: block; }
.grid { stroke: var(--line); stroke-width: 1; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
.number { text-align: right; }
.busy { color: var(--warn); font-weight: 600; }
.muted { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
.scroll { overflow-x: auto; }
.pick tbody tr[data-id] { cursor: pointer; }
.pick tbody tr[data-id]:hover { background: #1d222b; }
tr.watched, .pick tbody tr.watched:hover { background: #1f3048; }
.plain { text-transform: none; letter-spacing: 0; color: var(--text); }
.arrow { color: var(--muted); padding: 4px 0; }
.final { color: var(--bad); }
button { font: inherit; font-size: 12px; color: var(--accent); background: none; border: 1px solid var(--line);
  border-radius: 4px; padding: 0 8px; cursor: pointer; text-transform: none; letter-spacing: 0; }
</style>
</head>
<body>
<header>
  <span class="dot" id="dot"></span>
  <h1>mcp-session-runtime</h1>
  <span class="muted" id="status">connecting…</span>
</header>
<main>
  <section class="cards">
    <div class="card"><div class="label">Sessions</div><div class="value" data-testid="sessions-live" id="sessions">–</div><div class="detail" id="sessions-detail"></div></div>
    <div class="card"><div class="label">Handles</div><div class="value" data-testid="handles-live" id="handles">–</div><div class="detail" id="handles-detail"></div></div>
    <div class="card"><div class="label">Tasks</div><div class="value" data-testid="tasks-live" id="tasks">–</div><div class="detail" id="tasks-detail"></div></div>
    <div class="card"><div class="label">In flight</div><div class="value" data-testid="in-flight" id="in-flight">–</div><div class="detail">handlers running</div></div>
    <div class="card"><div class="label">Queued</div><div class="value" data-testid="queued" id="queued">–</div><div class="detail">waiting in mailboxes</div></div>
    <div class="card"><div class="label">Resting</div><div class="value" id="resting">–</div><div class="detail">actors put away</div></div>
    <div class="card"><div class="label">Requests/s</div><div class="value" data-testid="rate" id="rate">–</div><div class="detail" id="rate-detail"></div></div>
  </section>
  <section class="charts">
    <div class="panel"><h2><span>Live actors · up to 5 min</span><span id="actors-max"></span></h2><svg id="chart-actors" viewBox="0 0 600 140" preserveAspectRatio="none" role="img" aria-label="live actors over the last 5 minutes"></svg></div>
    <div class="panel"><h2><span>Requests/s · up to 5 min</span><span id="rate-max"></span></h2><svg id="chart-rate" viewBox="0 0 600 140" preserveAspectRatio="none" role="img" aria-label="requests per second over the last 5 minutes"></svg></div>
  </section>
  <section class="panel">
    <h2><span>Actors · most recently active</span><span id="page-note"></span></h2>
    <div class="scroll"><table id="actors-table">
      <thead><tr><th>kind</th><th>id</th><th>state</th><th>client</th><th>protocol</th><th class="number">age</th><th class="number">idle left</th><th class="number">in flight</th><th class="number">queued</th></tr></thead>
      <tbody id="actors"></tbody>
    </table></div>
  </section>
  <section class="panel" id="transitions-panel" hidden>
    <h2><span><span id="transitions-title">Transitions</span><span class="plain" id="transitions-watched"></span> · most recent first</span><span><span id="transitions-note"></span> <button type="button" id="transitions-all" hidden>show all</button></span></h2>
    <div class="scroll"><table class="pick">
      <thead><tr><th>time</th><th>kind</th><th>id</th><th>from</th><th></th><th>to</th><th>event</th></tr></thead>
      <tbody id="transitions"></tbody>
    </table></div>
  </section>
  <section class="pair">
    <div class="panel"><h2><span>Slowest methods · p99</span></h2><table>
      <thead><tr><th>method</th><th class="number">calls</th><th class="number">p50</th><th class="number">p99</th><th class="number">max</th></tr></thead>
      <tbody id="methods"></tbody></table></div>
    <div class="panel"><h2><span>Recent stops and refusals</span></h2><table>
      <thead><tr><th>when</th><th>event</th><th>id</th><th>reason</th></tr></thead>
      <tbody id="recent"></tbody></table></div>
  </section>
</main>
<script nonce="__NONCE__">
(function () {
  'use strict';
  var WINDOW_MS = 5 * 60 * 1000;
  var SVG = 'http://www.w3.org/2000/svg';
  var history = [];
  var previous = null;
  var TRANSITIONS_KEPT = 500;
  var TRANSITIONS_SHOWN = 50;
  var transitions = [];
  var transitionSeqs = new Set();
  var watched = null;
  var byId = function (id) { return document.getElementById(id); };

  function duration(ms) {
    if (ms === null || ms === undefined) return '∞';
    if (ms < 1000) return Math.round(ms) + ' ms';
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + String(s % 60).padStart(2, '0') + 's';
    var h = Math.floor(m / 60);
    return h + 'h ' + String(m % 60).padStart(2, '0') + 'm';
  }
  function latency(ms) { return ms < 10 ? ms.toFixed(1) + ' ms' : duration(ms); }
  function counts(record) {
    var parts = [];
    for (var key in record) if (record[key] > 0) parts.push(key + ' ' + record[key]);
    return parts.join(' · ');
  }
  function cell(row, value, className, column) {
    var td = document.createElement('td');
    td.textContent = value === undefined || value === null ? '–' : String(value);
    if (className) td.className = className;
    if (column) td.dataset.col = column;
    row.appendChild(td);
  }
  function fill(tbody, rows, columns, build) {
    var fragment = document.createDocumentFragment();
    if (rows.length === 0) {
      var tr = document.createElement('tr');
      var td = document.createElement('td');
      td.colSpan = columns;
      td.className = 'empty';
      td.textContent = 'none';
      tr.appendChild(td);
      fragment.appendChild(tr);
    }
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      build(tr, row);
      fragment.appendChild(tr);
    });
    tbody.replaceChildren(fragment);
  }
  function element(name, attributes) {
    var node = document.createElementNS(SVG, name);
    for (var key in attributes) node.setAttribute(key, attributes[key]);
    return node;
  }
  function chart(svg, key, color, label) {
    var now = Date.now();
    var max = 1;
    history.forEach(function (point) { if (point[key] > max) max = point[key]; });
    max = Math.ceil(max * 1.15);
    // Until 5 minutes of history exist, the axis spans what there is (at least 30 s).
    var start = history.length > 0 ? Math.max(history[0].t, now - WINDOW_MS) : now - WINDOW_MS;
    var span = Math.max(now - start, 30000);
    var x = function (t) { return ((t - (now - span)) / span) * 600; };
    var y = function (v) { return 136 - (v / max) * 130; };
    var nodes = [];
    [0.25, 0.5, 0.75].forEach(function (f) {
      nodes.push(element('line', { x1: 0, x2: 600, y1: y(max * f), y2: y(max * f), class: 'grid' }));
    });
    var points = history.filter(function (point) { return point[key] !== null; });
    if (points.length > 0) {
      var line = points.map(function (point, i) {
        return (i === 0 ? 'M' : 'L') + x(point.t).toFixed(1) + ' ' + y(point[key]).toFixed(1);
      }).join(' ');
      var first = x(points[0].t).toFixed(1);
      var last = x(points[points.length - 1].t).toFixed(1);
      nodes.push(element('path', { d: line + ' L' + last + ' 136 L' + first + ' 136 Z', fill: color, 'fill-opacity': '0.15', stroke: 'none' }));
      nodes.push(element('path', { d: line, fill: 'none', stroke: color, 'stroke-width': '2', 'vector-effect': 'non-scaling-stroke' }));
    }
    svg.replaceChildren.apply(svg, nodes);
    byId(label).textContent = 'max ' + (max / 1.15).toFixed(0);
  }

  function render(snapshot) {
    var handles = 0;
    var handleKinds = {};
    for (var kind in snapshot.handles) {
      handles += snapshot.handles[kind].live;
      handleKinds[kind] = snapshot.handles[kind].live;
    }
    var actors = snapshot.sessions.live + handles + snapshot.tasks.live;
    var rate = null;
    if (previous !== null && snapshot.at > previous.at) {
      rate = ((snapshot.requests.accepted - previous.requests.accepted) * 1000) / (snapshot.at - previous.at);
    }
    previous = snapshot;
    var now = Date.now();
    history.push({ t: now, actors: actors, rate: rate });
    while (history.length > 0 && history[0].t < now - WINDOW_MS) history.shift();

    byId('sessions').textContent = String(snapshot.sessions.live);
    byId('sessions-detail').textContent = counts(snapshot.sessions.byState);
    byId('handles').textContent = String(handles);
    byId('handles-detail').textContent = counts(handleKinds);
    byId('tasks').textContent = String(snapshot.tasks.live);
    byId('tasks-detail').textContent = counts(snapshot.tasks.byStatus);
    byId('in-flight').textContent = String(snapshot.inFlight);
    byId('queued').textContent = String(snapshot.queued);
    byId('resting').textContent = String(snapshot.resting);
    byId('rate').textContent = rate === null ? '–' : rate.toFixed(1);
    byId('rate-detail').textContent = snapshot.requests.failed + ' failed · ' + snapshot.requests.rejected + ' refused';
    chart(byId('chart-actors'), 'actors', '#5aa9ff', 'actors-max');
    chart(byId('chart-rate'), 'rate', '#7ee787', 'rate-max');

    byId('page-note').textContent = snapshot.actors.length + ' of ' + actors;
    fill(byId('actors'), snapshot.actors, 9, function (tr, actor) {
      tr.dataset.id = actor.id;
      tr.dataset.kind = actor.kind;
      if (isWatched(actor)) tr.className = 'watched';
      cell(tr, actor.handleKind ? 'handle · ' + actor.handleKind : actor.kind, 'muted');
      cell(tr, actor.id, '', 'id');
      cell(tr, actor.resting ? actor.state + ' (resting)' : actor.state, '', 'state');
      cell(tr, actor.clientName, '', 'client');
      cell(tr, actor.protocolVersion, 'muted', 'protocol');
      cell(tr, duration(actor.ageMs), 'number', 'age');
      cell(tr, duration(actor.idleLeftMs), 'number', 'idleLeft');
      cell(tr, actor.inFlight, actor.inFlight > 0 ? 'number busy' : 'number', 'inFlight');
      cell(tr, actor.queued, actor.queued > 0 ? 'number busy' : 'number', 'queued');
    });
    fill(byId('methods'), snapshot.methods.slice(0, 10), 5, function (tr, method) {
      cell(tr, method.method);
      cell(tr, method.count, 'number');
      cell(tr, latency(method.p50Ms), 'number');
      cell(tr, latency(method.p99Ms), 'number');
      cell(tr, latency(method.maxMs), 'number');
    });
    fill(byId('recent'), snapshot.recent.slice(0, 15), 4, function (tr, event) {
      cell(tr, duration(snapshot.at - event.at) + ' ago', 'muted');
      cell(tr, event.handleKind ? event.event + ' · ' + event.handleKind : event.event);
      cell(tr, event.id);
      cell(tr, event.reason);
    });
    byId('status').textContent = 'live · updated ' + new Date().toLocaleTimeString();
  }

  function isWatched(actor) {
    return watched !== null && actor.id === watched.id && actor.kind === watched.kind;
  }
  function clock(at) {
    var date = new Date(at);
    return date.toTimeString().slice(0, 8) + '.' + String(date.getMilliseconds()).padStart(3, '0');
  }
  function receiveTransitions(message) {
    byId('transitions-panel').hidden = false;
    byId('actors-table').className = 'pick';
    message.entries.forEach(function (entry) {
      if (transitionSeqs.has(entry.seq)) return;
      transitionSeqs.add(entry.seq);
      transitions.push(entry);
    });
    transitions.sort(function (a, b) { return b.seq - a.seq; });
    while (transitions.length > TRANSITIONS_KEPT) transitionSeqs.delete(transitions.pop().seq);
    renderTransitions();
  }
  function renderTransitions() {
    var shown = watched === null ? transitions : transitions.filter(isWatched);
    byId('transitions-title').textContent = watched === null ? 'Transitions' : 'Transitions of ' + watched.kind + ' ';
    byId('transitions-watched').textContent = watched === null ? '' : watched.id;
    byId('transitions-note').textContent = Math.min(shown.length, TRANSITIONS_SHOWN) + ' of ' + shown.length;
    byId('transitions-all').hidden = watched === null;
    fill(byId('transitions'), shown.slice(0, TRANSITIONS_SHOWN), 7, function (tr, entry) {
      tr.dataset.id = entry.id;
      tr.dataset.kind = entry.kind;
      if (watched !== null) tr.className = 'watched';
      cell(tr, clock(entry.at), 'muted', 'at');
      cell(tr, entry.kind, 'muted', 'kind');
      cell(tr, entry.id, '', 'id');
      cell(tr, entry.from === null ? '·' : entry.from, entry.from === null ? 'muted' : '', 'from');
      cell(tr, '→', 'arrow');
      // Status 'stopped': its XState actor was stopped, either put away with its state kept (event
      // 'rest') or stopped idle at shutdown (to 'stopped', event 'close'), a final stop.
      var putAway = entry.status === 'stopped' && entry.event === 'rest';
      var final = entry.status === 'done' || entry.status === 'error' || (entry.status === 'stopped' && !putAway);
      var to = putAway ? entry.to + ' · put away' : entry.status === 'error' ? entry.to + ' · error' : entry.to;
      cell(tr, to, final ? 'final' : putAway ? 'muted' : '', 'to');
      cell(tr, entry.event, 'muted', 'event');
    });
  }
  /** Narrows the Transitions panel to the clicked row's actor, or back to all on a second click. */
  function watch(event) {
    var row = event.target.closest('tr[data-id]');
    if (row === null || byId('transitions-panel').hidden) return;
    var actor = { id: row.dataset.id, kind: row.dataset.kind };
    watched = isWatched(actor) ? null : actor;
    document.querySelectorAll('#actors tr').forEach(function (tr) {
      tr.className = tr.dataset.id !== undefined && isWatched(tr.dataset) ? 'watched' : '';
    });
    renderTransitions();
  }
  byId('actors').addEventListener('click', watch);
  byId('transitions').addEventListener('click', watch);
  byId('transitions-all').addEventListener('click', function () {
    watched = null;
    document.querySelectorAll('#actors tr.watched').forEach(function (tr) { tr.className = ''; });
    renderTransitions();
  });

  var source = new EventSource(location.pathname.replace(/\\/+$/, '') + '/events');
  source.addEventListener('snapshot', function (event) { render(JSON.parse(event.data)); });
  source.addEventListener('transitions', function (event) { receiveTransitions(JSON.parse(event.data)); });
  source.addEventListener('open', function () { byId('dot').className = 'dot on'; });
  source.addEventListener('error', function () {
    byId('dot').className = 'dot';
    byId('status').textContent = 'disconnected · retrying';
  });
})();
</script>
</body>
</html>
`;
