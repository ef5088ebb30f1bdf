// Cadre's serving dashboard: plain JavaScript over the server's JSON API (no build step, no outside scripts).
"use strict";

const MaxPlaygroundSpecialists = 20;
let specialists = [];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat())
    node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || `${response.status} ${response.statusText}`);
  return data;
}

const number = (x, digits = 0) => Number(x).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
function bytes(n) {
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${number(n, i === 0 ? 0 : 1)} ${units[i]}`;
}
const metricsText = m => Object.entries(m).map(([k, v]) => `${k} ${number(v, /count$/.test(k) ? 0 : 3)}`).join(", ");

// ---- specialists table and detail ----

async function loadSpecialists() {
  try {
    specialists = (await api("v1/specialists")).specialists;
  } catch (e) {
    specialists = [];
  }
  const body = document.querySelector("#specialists tbody");
  body.replaceChildren(...specialists.map(s => el("tr", { "data-name": s.name },
    el("td", {}, el("button", { class: "link", type: "button", onclick: () => showDetail(s.name) }, s.name)),
    el("td", {}, s.method),
    el("td", {}, s.base),
    el("td", {}, s.loaded_version != null && s.loaded_version !== s.version ? `${s.loaded_version} (HEAD ${s.version})` : `${s.version}`),
    el("td", {}, s.hot ? el("span", { class: "tag hot" }, "hot") : el("span", { class: "tag" }, "cold")),
    el("td", { class: "num" }, number(s.requests)),
    el("td", { class: "muted" }, metricsText(s.metrics)))));
  document.getElementById("specialists-empty").hidden = specialists.length > 0;
}

async function showDetail(name) {
  const d = await api(`v1/specialists/${encodeURIComponent(name)}`);
  document.querySelectorAll("#specialists tr").forEach(r => r.classList.toggle("selected", r.dataset.name === name));
  document.getElementById("detail").hidden = false;
  document.getElementById("detail-name").textContent = name;
  const lineage = document.getElementById("lineage");
  lineage.replaceChildren(d.lineage
    ? el("div", { class: "lineage" }, `merged with ${d.lineage.method} from `,
         ...d.lineage.inputs.map(i => el("span", { class: "tag" }, i)))
    : el("div", { class: "lineage muted" }, `trained (${d.specialist.method} on ${d.specialist.base}); labels: ${d.labels.join(", ")}`));
  document.querySelector("#versions tbody").replaceChildren(...d.versions.map(v => el("tr", {},
    el("td", { class: "num" }, `${v.number}`),
    el("td", {}, el("code", {}, v.id.slice(0, 12))),
    el("td", {}, ...v.tags.map(t => el("span", { class: "tag" }, t))),
    el("td", {}, new Date(v.created_at).toLocaleString()),
    el("td", {}, v.message))));
}

// ---- playground ----

function bars(scores, chosen) {
  const entries = Object.entries(scores).sort((a, b) => b[1] - a[1]);
  return entries.map(([name, p]) => el("div", { class: name === chosen ? "bar chosen" : "bar", "data-specialist": name },
    el("span", {}, name),
    el("div", { class: "track" }, el("div", { class: "fill", style: `width:${(100 * p).toFixed(1)}%` })),
    el("span", { class: "value" }, number(p, 3))));
}

function predictionText(p) {
  if (p.value != null) return number(p.value, 4);
  return p.labels ? p.labels.join(", ") || "(none)" : p.label;
}

async function runPlayground() {
  const text = document.getElementById("playground-text").value.trim();
  const status = document.getElementById("playground-status");
  if (!text) { status.textContent = "type a text first"; return; }
  status.textContent = "asking…";
  status.className = "muted";
  try {
    const [routed, asked] = await Promise.all([api("v1/route", { inputs: [text] }), api("v1/ask", { inputs: [text] })]);
    const route = routed.routes[0];
    document.getElementById("scores").replaceChildren(...bars(route.scores, route.specialist));
    const answer = asked.answers[0];
    document.getElementById("answer").replaceChildren(answer.prediction
      ? el("div", {}, el("div", { class: "chosen-name", id: "chosen" }, answer.route.specialist),
           el("div", {}, "prediction: ", el("strong", { id: "chosen-prediction" }, predictionText(answer.prediction))),
           el("div", { class: "muted" }, `confidence ${number(answer.route.confidence, 3)}`))
      : el("div", { class: "abstained", id: "chosen" }, `abstained (best: ${answer.route.best}, confidence ${number(answer.route.confidence, 3)})`));
    await predictEach(text);
    status.textContent = "";
  } catch (e) {
    status.textContent = e.message;
    status.className = "error";
  }
  loadSpecialists();
}

async function predictEach(text) {
  const chosen = specialists.slice(0, MaxPlaygroundSpecialists);
  const rows = await Promise.all(chosen.map(async s => {
    try {
      const r = await api(`v1/specialists/${encodeURIComponent(s.name)}/predict`, { inputs: [text] });
      return r.tasks.map(t => {
        const p = t.predictions[0];
        const prob = p.probabilities && p.label in p.probabilities ? number(p.probabilities[p.label], 3) : "";
        return el("tr", { "data-specialist": s.name }, el("td", {}, s.name), el("td", {}, t.task), el("td", {}, predictionText(p)), el("td", { class: "num" }, prob));
      });
    } catch (e) {
      return [el("tr", {}, el("td", {}, s.name), el("td", {}, ""), el("td", { class: "error" }, e.message), el("td", {}, ""))];
    }
  }));
  document.querySelector("#all-predictions tbody").replaceChildren(...rows.flat());
}

// ---- throughput ----

function sparkline(history) {
  const canvas = document.getElementById("sparkline");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 6;
  ctx.clearRect(0, 0, w, h);
  const values = history.map(p => p.requests_per_second);
  const max = Math.max(1, ...values);
  ctx.fillStyle = "#6b7280";
  ctx.font = "11px system-ui";
  ctx.fillText(`${number(max, 1)} req/s`, pad, 12);
  if (values.length < 2) return;
  const x = i => pad + (w - 2 * pad) * i / 59;
  const y = v => h - pad - (h - 2 * pad - 12) * v / max;
  const offset = 60 - values.length;
  ctx.beginPath();
  values.forEach((v, i) => i === 0 ? ctx.moveTo(x(i + offset), y(v)) : ctx.lineTo(x(i + offset), y(v)));
  ctx.strokeStyle = "#2f6fed";
  ctx.lineWidth = 2;
  ctx.stroke();
  ctx.lineTo(x(values.length - 1 + offset), h - pad);
  ctx.lineTo(x(offset), h - pad);
  ctx.closePath();
  ctx.fillStyle = "rgba(47,111,237,.12)";
  ctx.fill();
}

async function pollStats() {
  const pill = document.getElementById("ready");
  try {
    const s = await api("v1/stats");
    document.getElementById("rps").textContent = number(s.requests_per_second, 1);
    document.getElementById("rowsps").textContent = number(s.rows_per_second, 1);
    document.getElementById("queue").textContent = `${number(s.queue_depth)} / ${number(s.queue_capacity)}`;
    document.getElementById("hot").textContent = `${s.hot_specialists} / ${s.registered_specialists}`;
    document.getElementById("pool").textContent = `${bytes(s.pool_bytes)} / ${bytes(s.pool_budget_bytes)}`;
    document.getElementById("total").textContent = number(s.requests);
    document.getElementById("throughput-panel").dataset.samples = `${s.history.length}`;
    sparkline(s.history);
    pill.textContent = s.draining ? "draining" : "ready";
    pill.className = s.draining ? "pill down" : "pill ready";
  } catch (e) {
    pill.textContent = "unavailable";
    pill.className = "pill down";
  }
}

document.getElementById("playground-run").addEventListener("click", runPlayground);
document.getElementById("playground-text").addEventListener("keydown", e => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) runPlayground(); });
loadSpecialists();
pollStats();
setInterval(pollStats, 1000);
setInterval(loadSpecialists, 10000);
