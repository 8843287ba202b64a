/* console.js — the rill web console: polls the process's /api/... JSON and
 * redraws the pipeline graph, topics and consumer groups.
 *
 * The APIs give totals; rates come from the difference between two polls
 * divided by the time between them, so the first poll shows totals only.
 * Backpressure is the share of wall time a stage spent blocked on a full
 * output (blocked_ns growth / elapsed ns / parallelism). A section whose
 * API answers 404 (this process does not serve it) stays hidden; one that
 * answers 503 (stopped) keeps its last numbers. ?interval=MS sets the poll
 * period (default 1000).
 */
"use strict";

const params = new URLSearchParams(location.search);
const INTERVAL = Math.max(100, Number(params.get("interval")) || 1000);
let previous = null; /* {t, stages: {name: {...}}, parts: {"t/p": {...}}} */

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmtNum(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  if (Math.abs(n) >= 1e9) return (n / 1e9).toFixed(2) + "G";
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(2) + "M";
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + "k";
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function fmtBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + " " + units[i];
}

function fmtDuration(ms) {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return ms + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
  if (ms < 3600000) return (ms / 60000).toFixed(1) + " min";
  if (ms < 86400000) return (ms / 3600000).toFixed(1) + " h";
  return (ms / 86400000).toFixed(1) + " d";
}

function bpClass(share) {
  if (share === null) return "";
  return share >= 0.5 ? "bp-bad" : share >= 0.1 ? "bp-warn" : "bp-ok";
}

const BP_COLOUR = { "bp-ok": "#c8e6c9", "bp-warn": "#fff59d", "bp-bad": "#ef9a9a", "": "#e8eaf6" };

/* GET @path as JSON; null when this process does not serve it (404). */
async function getJSON(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (r.status === 404) return null;
  if (!r.ok && r.status !== 503) throw new Error(path + ": HTTP " + r.status);
  return r.ok ? r.json() : undefined; /* undefined: keep the last view */
}

function rate(now, before, field, dt) {
  if (!before || dt <= 0) return null;
  return Math.max(0, (now[field] - before[field]) / dt);
}

/* Columns by depth (longest path from a source), rows in definition order. */
function layout(stages) {
  const depth = {};
  const byName = Object.fromEntries(stages.map((s) => [s.name, s]));
  const visit = (s, seen) => {
    if (depth[s.name] !== undefined) return depth[s.name];
    if (seen.has(s.name)) return 0;
    seen.add(s.name);
    let d = 0;
    for (const i of s.inputs) if (byName[i]) d = Math.max(d, visit(byName[i], seen) + 1);
    return (depth[s.name] = d);
  };
  stages.forEach((s) => visit(s, new Set()));
  const rows = {};
  const pos = {};
  for (const s of stages) {
    const c = depth[s.name];
    rows[c] = (rows[c] || 0) + 1;
    pos[s.name] = { col: c, row: rows[c] - 1 };
  }
  return pos;
}

function drawGraph(g, stages, derived) {
  const W = 190, H = 64, GX = 60, GY = 24;
  const pos = layout(stages);
  const cols = Math.max(...Object.values(pos).map((p) => p.col)) + 1;
  const rows = Math.max(...Object.values(pos).map((p) => p.row)) + 1;
  g.setAttribute("width", cols * (W + GX));
  g.setAttribute("height", rows * (H + GY) + GY);
  g.replaceChildren();
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7,
                                 markerHeight: 7, orient: "auto" });
  marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#889" }));
  defs.append(marker);
  g.append(defs);
  const xy = (name) => ({ x: pos[name].col * (W + GX) + 4, y: pos[name].row * (H + GY) + GY });
  for (const s of stages)
    for (const i of s.inputs) {
      if (!pos[i]) continue;
      const a = xy(i), b = xy(s.name);
      g.append(svg("path", { class: "edge",
                             d: `M${a.x + W},${a.y + H / 2} C${a.x + W + GX / 2},${a.y + H / 2} ` +
                                `${b.x - GX / 2},${b.y + H / 2} ${b.x},${b.y + H / 2}` }));
    }
  for (const s of stages) {
    const p = xy(s.name), d = derived[s.name];
    const node = svg("g", { class: "stage " + d.bpClass, "data-stage": s.name });
    node.append(svg("rect", { x: p.x, y: p.y, width: W, height: H, rx: 8, fill: BP_COLOUR[d.bpClass],
                              stroke: "#556" }));
    node.append(svg("text", { x: p.x + 8, y: p.y + 17, "font-weight": "bold" }, s.name));
    node.append(svg("text", { x: p.x + 8, y: p.y + 34 }, s.type + " · " + s.role));
    const r = d.rateOut !== null ? d.rateOut : d.rateIn;
    node.append(svg("text", { x: p.x + 8, y: p.y + 51, class: "rate", "data-stage-rate": s.name },
                    (r === null ? fmtNum(s.records_out ?? 0) + " records" : fmtNum(r) + " rec/s") +
                    (d.bp === null ? "" : " · bp " + Math.round(d.bp * 100) + "%")));
    g.append(node);
  }
}

function renderPipeline(p, t) {
  const sec = document.getElementById("pipeline");
  sec.hidden = false;
  document.getElementById("pipeline-name").textContent = p.name;
  const badge = document.getElementById("pipeline-state");
  badge.textContent = p.state;
  badge.className = "badge " + p.state;
  document.getElementById("pipeline-info").textContent =
    `parallelism ${p.parallelism} · up ${fmtDuration(p.uptime_ms)}` + (p.error ? ` · error: ${p.error}` : "");
  const before = previous && previous.stages;
  const dt = previous ? (t - previous.t) / 1000 : 0;
  const derived = {};
  const tbody = document.querySelector("#stages tbody");
  tbody.replaceChildren();
  for (const s of p.stages) {
    const b = before && before[s.name];
    const bp = b && dt > 0 ? Math.min(1, (s.blocked_ns - b.blocked_ns) / (dt * 1e9) / p.parallelism) : null;
    const d = { rateIn: rate(s, b, "records_in", dt), rateOut: rate(s, b, "records_out", dt), bp,
                bpClass: bpClass(bp) };
    derived[s.name] = d;
    const tr = el("tr", { "data-stage": s.name });
    const cell = (field, text, cls) => tr.append(el("td", { "data-field": field, class: cls || "" }, text));
    cell("name", s.name, "text");
    cell("type", s.type, "text");
    cell("rate_in", fmtNum(d.rateIn));
    cell("rate_out", fmtNum(d.rateOut));
    cell("records_in", String(s.records_in ?? 0));
    cell("records_out", String(s.records_out ?? 0));
    cell("backpressure", bp === null ? "–" : Math.round(bp * 100) + "%", d.bpClass);
    cell("queue", s.queue_capacity ? `${s.queue_len}/${s.queue_capacity}` : "–");
    cell("watermark_lag", s.watermark === null || s.watermark === undefined ? "–"
                                                                           : fmtDuration(p.now_ms - s.watermark));
    cell("source_lag", s.source_lag === null || s.source_lag === undefined ? "–" : String(s.source_lag));
    tbody.append(tr);
  }
  drawGraph(document.getElementById("graph"), p.stages, derived);
  const c = p.checkpoints;
  document.getElementById("checkpoints").textContent = c
    ? `checkpoints: ${c.completed} completed, ${c.failed} failed` +
      (c.completed ? `, last ${fmtDuration(c.last_duration_ms)}, ${fmtBytes(c.last_size_bytes)}, at ` +
                     new Date(c.last_success_unix_ms).toLocaleTimeString() : "")
    : "checkpoints: off";
  return Object.fromEntries(p.stages.map((s) => [s.name, s]));
}

function renderTopics(data, t) {
  const sec = document.getElementById("topics");
  sec.hidden = false;
  const tbody = sec.querySelector("tbody");
  tbody.replaceChildren();
  const dt = previous ? (t - previous.t) / 1000 : 0;
  const parts = {};
  for (const topic of data.topics)
    for (const p of topic.partitions) {
      const key = topic.name + "/" + p.partition;
      parts[key] = p;
      const b = previous && previous.parts && previous.parts[key];
      const tr = el("tr", { "data-topic": topic.name, "data-partition": p.partition });
      const cell = (field, text, cls) => tr.append(el("td", { "data-field": field, class: cls || "" }, text));
      cell("topic", topic.name, "text");
      cell("partition", String(p.partition));
      cell("log_start_offset", String(p.log_start_offset));
      cell("high_watermark", String(p.high_watermark));
      cell("size", fmtBytes(p.size_bytes));
      cell("segments", String(p.segments));
      cell("rate_in", fmtNum(rate(p, b, "records_in", dt)));
      cell("rate_out", b ? fmtBytes(Math.round(rate(p, b, "bytes_out", dt))) + "/s" : "–");
      tbody.append(tr);
    }
  return parts;
}

function renderGroups(data) {
  const sec = document.getElementById("groups");
  sec.hidden = false;
  const tbody = sec.querySelector("tbody");
  tbody.replaceChildren();
  for (const g of data.groups) {
    const offsets = g.offsets.length ? g.offsets : [null];
    for (const o of offsets) {
      const tr = el("tr", { "data-group": g.group, "data-topic": o ? o.topic : "",
                            "data-partition": o ? o.partition : "" });
      const cell = (field, text, cls) => tr.append(el("td", { "data-field": field, class: cls || "" }, text));
      cell("group", g.group, "text");
      cell("state", g.state, "text");
      cell("members", String(g.members));
      cell("topic", o ? o.topic : "–", "text");
      cell("partition", o ? String(o.partition) : "–");
      cell("committed", o ? String(o.committed) : "–");
      cell("high_watermark", o ? String(o.high_watermark) : "–");
      cell("lag", o ? String(o.lag) : "–", o && o.lag > 0 ? "bp-warn" : "");
      tbody.append(tr);
    }
  }
}

async function poll() {
  const status = document.getElementById("status");
  try {
    const [pipeline, topics, groups] = await Promise.all(
      ["/api/pipeline", "/api/broker/topics", "/api/broker/groups"].map(getJSON));
    const t = Date.now();
    const next = { t, stages: previous && previous.stages, parts: previous && previous.parts };
    if (pipeline) next.stages = renderPipeline(pipeline, t);
    if (topics) next.parts = renderTopics(topics, t);
    if (groups) renderGroups(groups);
    document.getElementById("empty").hidden = pipeline !== null || topics !== null;
    previous = next;
    status.textContent = "live";
    status.className = "status ok";
    document.getElementById("updated").textContent = "updated " + new Date(t).toLocaleTimeString();
    document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
  } catch (e) {
    status.textContent = "unreachable: " + e.message;
    status.className = "status error";
  }
  setTimeout(poll, INTERVAL);
}

poll();
