// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** How often the page asks for `GET /connectors`, in ms. */
const POLL_MS = 1_000;
/** How far back the page draws each connector's throughput, in ms. */
const HISTORY_MS = 5 * 60_000;

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b636e; --line: #d5d9de;
  --bg: #ffffff; --head: #f3f5f7; --bad: #b42318; --ok: #067647; --warn: #9a6700;
  --accent: #1f5fbf; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e8eb; --muted: #a3abb5; --line: #3a4048; --bg: #15181c;
    --head: #1e2227; --bad: #ff8a80; --ok: #6fdc9a; --warn: #f2c14e; --accent: #8ab4ff; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem 1.5rem 2rem; font: 15px/1.45 system-ui, sans-serif;
  color: var(--fg); background: var(--bg); }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 0; }
code { font: 13px ui-monospace, monospace; }
.muted { color: var(--muted); }
.bar { display: flex; align-items: center; gap: 1rem; margin: 1rem 0 .5rem; }
.bar p { margin: 0; }
form { max-width: 34rem; margin-top: 1rem; }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
input { width: 100%; padding: .45rem .5rem; font: inherit; color: inherit;
  background: var(--bg); border: 1px solid var(--line); border-radius: 4px; }
button { font: inherit; padding: .3rem .7rem; border-radius: 4px; cursor: pointer;
  border: 1px solid var(--line); background: var(--head); color: var(--fg); }
button[type=submit] { margin-top: .75rem; }
button:disabled { cursor: default; opacity: .45; }
button:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.error { color: var(--bad); font-weight: 600; }
.error:empty, .notice:empty { display: none; }
.notice { color: var(--ok); }
.scroll { overflow-x: auto; }
table { border-collapse: separate; border-spacing: 0; width: 100%; min-width: 46rem;
  font-size: 14px; }
caption { text-align: left; color: var(--muted); padding: .25rem 0 .5rem; }
th, td { border-bottom: 1px solid var(--line); padding: .45rem .45rem; text-align: left;
  vertical-align: top; }
thead th { background: var(--head); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.num .dead { display: block; white-space: normal; font-size: 12px; color: var(--muted); }
td.position { min-width: 8rem; max-width: 18rem; overflow-wrap: anywhere; }
td.position code { white-space: pre-wrap; }
td.error-cell { min-width: 8rem; max-width: 20rem; overflow-wrap: anywhere; color: var(--bad); }
td.actions { white-space: nowrap; }
td.actions button { padding: .25rem .5rem; }
td.actions button + button { margin-left: .3rem; }
/* A table wider than the window scrolls in its box; its actions stay in view. */
thead th:last-child, td.actions { position: sticky; right: 0; box-shadow: inset 1px 0 0 var(--line); }
td.actions { background: var(--bg); }
.state { font-weight: 600; }
.state-running { color: var(--ok); }
.state-degraded { color: var(--bad); }
.state-recovering, .state-activating, .state-deactivating { color: var(--warn); }
.state-stopped { color: var(--muted); }
.since { display: block; font-weight: 400; font-size: 12px; color: var(--muted); }
.rate { display: flex; flex-wrap: wrap; align-items: center; gap: .15rem .5rem;
  white-space: nowrap; font-variant-numeric: tabular-nums; }
.rate svg { flex: none; }
.rate polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.rate line { stroke: var(--line); stroke-width: 1; }
.errcode { display: block; font: 12px ui-monospace, monospace; color: var(--muted); }
`;

// Plain browser JavaScript (no template literals or backslashes, so it can
// sit in this template literal as written). The token lives in the `token`
// variable of this closure only: never in storage or a cookie, and requests
// go with `credentials: "omit"`.
const SCRIPT = `
(() => {
  "use strict";
  const POLL_MS = ${POLL_MS};
  const HISTORY_MS = ${HISTORY_MS};
  const SPARK_W = 100;
  const SPARK_H = 28;
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);

  let token = null;
  let generation = 0;
  let timer = undefined;
  let inFlight = false;
  let again = false;
  const rows = new Map();

  function api(path, init) {
    const headers = new Headers((init && init.headers) || {});
    headers.set("authorization", "Bearer " + token);
    headers.set("accept", "application/json");
    return fetch(new URL(path, location.href), Object.assign({}, init, {
      headers: headers, credentials: "omit", cache: "no-store",
    }));
  }

  async function messageOf(response) {
    try {
      const body = await response.json();
      if (body && body.error && typeof body.error.message === "string") {
        return body.error.message;
      }
    } catch (_) { /* not JSON */ }
    return "HTTP " + response.status + (response.statusText ? " " + response.statusText : "");
  }

  function setText(id, text) {
    const node = $(id);
    if (node.textContent !== text) node.textContent = text;
  }

  function signIn(event) {
    event.preventDefault();
    const input = $("token");
    const value = input.value.trim();
    input.value = "";
    if (value === "") {
      setText("login-error", "Enter a token.");
      input.focus();
      return;
    }
    token = value;
    generation++;
    setText("login-error", "");
    setText("problem", "");
    setText("refused", "");
    setText("notice", "");
    setText("updated", "Loading the connectors...");
    $("login").hidden = true;
    $("board").hidden = false;
    pollNow();
  }

  function signOut(reason) {
    token = null;
    generation++;
    clearTimeout(timer);
    for (const row of rows.values()) row.tr.remove();
    rows.clear();
    $("board").hidden = true;
    $("login").hidden = false;
    setText("login-error", reason || "");
    setText("updated", "");
    $("token").focus();
  }

  function pollNow() {
    if (inFlight) {
      again = true;
      return;
    }
    clearTimeout(timer);
    poll();
  }

  async function poll() {
    inFlight = true;
    const mine = generation;
    try {
      const response = await api("connectors");
      if (mine !== generation) return;
      if (response.status === 401) {
        signOut("The token was not accepted: " + await messageOf(response));
        return;
      }
      if (!response.ok) {
        setText("problem", "Cannot load the connectors: " + await messageOf(response));
        return;
      }
      const body = await response.json();
      if (mine !== generation) return;
      render(Array.isArray(body) ? body : (body && body.connectors) || []);
      setText("problem", "");
      setText("updated", "Updated " + new Date().toLocaleTimeString());
    } catch (error) {
      if (mine === generation) {
        setText("problem", "Cannot reach the host: " + (error && error.message || error));
      }
    } finally {
      inFlight = false;
      if (token !== null) {
        if (again || mine !== generation) {
          again = false;
          poll();
        } else {
          timer = setTimeout(poll, POLL_MS);
        }
      }
    }
  }

  function cell(tag, className) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  function makeRow(id) {
    const tr = cell("tr");
    tr.dataset.connector = id;
    const name = cell("th");
    name.scope = "row";
    name.textContent = id;
    const state = cell("td", "state-cell");
    const stateName = cell("span", "state");
    const since = cell("span", "since");
    state.append(stateName, since);
    const rate = cell("td", "rate-cell");
    const rateBox = cell("div", "rate");
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", String(SPARK_W));
    svg.setAttribute("height", String(SPARK_H));
    svg.setAttribute("viewBox", "0 0 " + SPARK_W + " " + SPARK_H);
    svg.setAttribute("role", "img");
    const base = document.createElementNS(SVG, "line");
    base.setAttribute("x1", "0");
    base.setAttribute("x2", String(SPARK_W));
    base.setAttribute("y1", String(SPARK_H - 1));
    base.setAttribute("y2", String(SPARK_H - 1));
    const line = document.createElementNS(SVG, "polyline");
    svg.append(base, line);
    const rateText = cell("span", "rate-now");
    rateBox.append(svg, rateText);
    rate.append(rateBox);
    const read = cell("td", "num read");
    const written = cell("td", "num written");
    const position = cell("td", "position");
    const positionCode = cell("code");
    position.append(positionCode);
    const uncommitted = cell("td", "num uncommitted");
    const error = cell("td", "error-cell");
    const actions = cell("td", "actions");
    const row = {
      id: id, tr: tr, stateName: stateName, since: since, svg: svg, line: line,
      rateText: rateText, read: read, written: written, positionCode: positionCode,
      uncommitted: uncommitted, error: error, history: [], busy: false, state: "",
      buttons: {},
    };
    for (const action of ["start", "stop", "reset"]) {
      const button = cell("button");
      button.type = "button";
      button.textContent = action[0].toUpperCase() + action.slice(1);
      button.setAttribute("aria-label", button.textContent + " " + id);
      button.dataset.action = action;
      button.addEventListener("click", () => act(row, action));
      row.buttons[action] = button;
      actions.append(button);
    }
    tr.append(name, state, rate, read, written, position, uncommitted, error, actions);
    return row;
  }

  function insertRow(row) {
    const tbody = $("rows");
    for (const other of tbody.children) {
      if (other.dataset.connector > row.id) {
        tbody.insertBefore(row.tr, other);
        return;
      }
    }
    tbody.append(row.tr);
  }

  function formatRate(value) {
    if (!(value > 0)) return "0";
    if (value < 10) return value.toFixed(1);
    return Math.round(value).toLocaleString();
  }

  function formatCount(value) {
    return typeof value === "number" ? value.toLocaleString() : "-";
  }

  function setIf(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function drawSpark(row, now) {
    const history = row.history;
    let peak = 0;
    for (const sample of history) peak = Math.max(peak, sample[1]);
    const scale = peak > 0 ? peak : 1;
    // The line spans the history kept, at least a minute, at most HISTORY_MS.
    const oldest = history.length > 0 ? history[0][0] : now;
    const span = Math.min(HISTORY_MS, Math.max(60000, now - oldest));
    const points = history.map((sample) => {
      const x = ((sample[0] - (now - span)) / span) * SPARK_W;
      const y = SPARK_H - 1 - (sample[1] / scale) * (SPARK_H - 3);
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    row.line.setAttribute("points", points.join(" "));
    const last = history.length > 0 ? history[history.length - 1][1] : 0;
    row.svg.setAttribute(
      "aria-label",
      "Records per second over the last " + Math.round(HISTORY_MS / 60000) +
        " minutes: now " + formatRate(last) + ", peak " + formatRate(peak) +
        ", " + history.length + " samples",
    );
    setIf(row.rateText, formatRate(last) + "/s");
  }

  function update(row, c, now) {
    row.state = String(c.state);
    setIf(row.stateName, row.state);
    row.stateName.className = "state state-" + row.state;
    const since = c.updatedAt ? new Date(c.updatedAt) : null;
    const where = typeof c.host === "string" ? " on " + c.host : "";
    setIf(row.since, (since && !isNaN(since) ? "since " + since.toLocaleTimeString() : "") + where);
    row.since.title = since && !isNaN(since) ? since.toISOString() : "";
    const rps = typeof c.recordsPerSecond === "number" ? c.recordsPerSecond : 0;
    row.history.push([now, rps]);
    while (row.history.length > 0 && row.history[0][0] < now - HISTORY_MS) row.history.shift();
    drawSpark(row, now);
    setIf(row.read, formatCount(c.recordsRead));
    const written = formatCount(c.recordsWritten);
    const dead = c.recordsDeadLettered > 0
      ? "(" + formatCount(c.recordsDeadLettered) + " dead-lettered)"
      : "";
    if (row.written.dataset.text !== written + " " + dead) {
      row.written.dataset.text = written + " " + dead;
      row.written.replaceChildren(document.createTextNode(written));
      if (dead) {
        const deadNode = cell("span", "dead");
        deadNode.textContent = dead;
        row.written.append(deadNode);
      }
    }
    const hasPosition = c.position !== null && c.position !== undefined;
    const position = hasPosition ? JSON.stringify(c.position) : "";
    setIf(
      row.positionCode,
      !hasPosition ? "-" : position.length > 120 ? position.slice(0, 119) + "..." : position,
    );
    row.positionCode.title = position.length > 120 ? position : "";
    const uncommitted = c.uncommittedRecords;
    setIf(row.uncommitted, typeof uncommitted === "number" ? formatCount(uncommitted) : "-");
    const error = c.error;
    if (error && typeof error === "object") {
      const message = String(error.message || "");
      const code = String(error.code || "");
      if (row.error.dataset.text !== code + " " + message) {
        row.error.dataset.text = code + " " + message;
        row.error.replaceChildren(document.createTextNode(message));
        if (code) {
          const codeNode = cell("span", "errcode");
          codeNode.textContent = code;
          row.error.append(codeNode);
        }
      }
    } else if (row.error.dataset.text !== "") {
      row.error.dataset.text = "";
      row.error.replaceChildren();
    }
    setButtons(row);
  }

  function setButtons(row) {
    const b = row.buttons;
    b.start.disabled = row.busy || row.state === "running" || row.state === "activating";
    b.stop.disabled = row.busy || row.state === "stopped";
    b.reset.disabled = row.busy || row.state !== "stopped";
  }

  function render(list) {
    const now = Date.now();
    const seen = new Set();
    for (const c of list) {
      if (!c || typeof c.id !== "string") continue;
      seen.add(c.id);
      let row = rows.get(c.id);
      if (!row) {
        row = makeRow(c.id);
        rows.set(c.id, row);
        insertRow(row);
      }
      update(row, c, now);
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
    $("empty").hidden = rows.size > 0;
  }

  async function act(row, action) {
    const mine = generation;
    row.busy = true;
    setButtons(row);
    setText("notice", "");
    setText("refused", "");
    const init = { method: "POST" };
    if (action === "reset") {
      init.headers = { "content-type": "application/json" };
      init.body = "{}";
    }
    const doing = action[0].toUpperCase() + action.slice(1) + " " + row.id;
    try {
      const response = await api("connectors/" + encodeURIComponent(row.id) + "/" + action, init);
      if (mine !== generation) return;
      if (response.status === 401) {
        signOut("The token was not accepted: " + await messageOf(response));
        return;
      }
      if (!response.ok) {
        setText("refused", "Cannot " + action + " " + row.id + ": " + await messageOf(response));
      } else {
        let state = "";
        try {
          const body = await response.json();
          if (body && typeof body.state === "string") state = " (" + body.state + ")";
        } catch (_) { /* no body */ }
        setText("notice", doing + ": done" + state);
      }
    } catch (error) {
      if (mine === generation) {
        setText("refused", "Cannot " + action + " " + row.id + ": " + (error && error.message || error));
      }
    } finally {
      row.busy = false;
      if (mine === generation) {
        setButtons(row);
        pollNow();
      }
    }
  }

  $("login").addEventListener("submit", signIn);
  $("signout").addEventListener("click", () => signOut("Signed out: the token is forgotten."));
  $("token").focus();
})();
`;

const BODY = `<body>
<header>
<h1>Connector host</h1>
<p class="muted">The connectors of this host (of its cluster, with the host that runs each), their state and throughput, updated every second.</p>
</header>
<main>
<form id="login" aria-labelledby="login-title" novalidate>
<h2 id="login-title">Sign in</h2>
<p>Enter an admin or a viewer token. It stays in this page's memory only: it is sent as an
<code>Authorization: Bearer</code> header, never stored or put in a cookie, and it is gone when the
page is reloaded or closed. A viewer may watch; starting, stopping and resetting takes an admin.</p>
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="off" autocapitalize="off" spellcheck="false">
<button type="submit">Connect</button>
<p id="login-error" class="error" role="alert"></p>
</form>
<section id="board" aria-labelledby="board-title" hidden>
<div class="bar">
<h2 id="board-title">Connectors</h2>
<p id="updated" class="muted"></p>
<button id="signout" type="button">Forget token</button>
</div>
<p id="problem" class="error" role="alert"></p>
<p id="refused" class="error" role="alert"></p>
<p id="notice" class="notice" role="status"></p>
<div class="scroll">
<table>
<caption>Each connector's state, records per second over the last ${
  HISTORY_MS / 60_000
} minutes, records read and written, last committed position, records not yet committed, last error, and actions.</caption>
<thead>
<tr>
<th scope="col">Connector</th>
<th scope="col">State</th>
<th scope="col">Records/s (last ${HISTORY_MS / 60_000} min)</th>
<th scope="col">Read</th>
<th scope="col">Written</th>
<th scope="col">Position</th>
<th scope="col">Uncommitted</th>
<th scope="col">Last error</th>
<th scope="col">Actions</th>
</tr>
</thead>
<tbody id="rows"></tbody>
</table>
</div>
<p id="empty" class="muted" hidden>No connectors yet: create one with <code>POST /connectors</code>.</p>
</section>
</main>
`;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Connector host</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;

let headers: Promise<[string, string][]> | undefined;

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return `'sha256-${btoa(binary)}'`;
}

async function pageHeaders(): Promise<[string, string][]> {
  const [script, style] = await Promise.all([sha256(SCRIPT), sha256(STYLE)]);
  const policy = [
    "default-src 'none'",
    `script-src ${script}`,
    `style-src ${style}`,
    "connect-src 'self'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return [
    ["content-type", "text/html; charset=utf-8"],
    ["content-security-policy", policy],
    ["cache-control", "no-cache"],
    ["x-content-type-options", "nosniff"],
    ["x-frame-options", "DENY"],
    ["referrer-policy", "no-referrer"],
    ["cross-origin-opener-policy", "same-origin"],
    ["cross-origin-resource-policy", "same-origin"],
  ];
}

/**
 * The connector host's status page, answered at `GET /`: one self-contained
 * HTML page (inline CSS and JavaScript, no outside resources, no framework)
 * that asks for a token, then lists the connectors of `GET /connectors`
 * with their state, records per second over the last five minutes (a
 * sparkline kept by the page from its polls), records read and written,
 * position, uncommitted records and last error, with start, stop and reset
 * buttons. It polls `GET /connectors` every second; the API's message is
 * shown when an action is refused (a viewer's 403, a reset of a running
 * connector). Its API paths are relative to the page, so a host mounted
 * under a path prefix works when the page is served at that prefix with a
 * trailing slash.
 *
 * The token is kept in a variable of the page's script only: sent as an
 * `Authorization: Bearer` header with `credentials: "omit"`, never stored
 * in `localStorage`, `sessionStorage` or a cookie, and gone when the page
 * is reloaded. The page itself holds no data, so it is served without a
 * token. Its `Content-Security-Policy` allows its own inline script and
 * style by their SHA-256 hashes and nothing else (`default-src 'none'`,
 * `connect-src 'self'`, no framing, no form posts).
 *
 * @returns The page: `200`, `text/html`, with its security headers. A new
 * `Response` on every call.
 *
 * @example Serve the page beside an API
 * ```ts
 * import { statusPage } from "@ca/streams/host";
 *
 * async function handle(request: Request): Promise<Response> {
 *   const { pathname } = new URL(request.url);
 *   if (request.method === "GET" && pathname === "/") return await statusPage();
 *   return Response.json({ error: { code: "CA_ERR_HOST_NOT_FOUND", message: "Cannot route: no such endpoint" } }, { status: 404 });
 * }
 * const response = await handle(new Request("http://localhost:8080/"));
 * const html = await response.text();
 * const policy = response.headers.get("content-security-policy") ?? "";
 * if (!html.includes("<table>") || !policy.includes("script-src 'sha256-")) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export async function statusPage(): Promise<Response> {
  headers ??= pageHeaders();
  return new Response(HTML, { status: 200, headers: await headers });
}
