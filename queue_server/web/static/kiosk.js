// The kiosk: choose a field, declare priority, get a number. One idempotency key per tap,
// reused for every retry of that tap, so a dropped connection never issues two tickets.

import { api, newKey } from "/static/api.js";
import { OfficeStream } from "/static/realtime.js";

const data = JSON.parse(document.getElementById("kiosk-data").textContent);
const T = data.texts;
const params = new URLSearchParams(location.search);
const token = params.get("token") || undefined;
const printer = params.get("printer") || undefined;
const root = document.getElementById("kiosk");
const $ = (id) => document.getElementById(id);

const TICKET_SCREEN_S = 10;
const PRIORITY_IDLE_S = 30;
const ISSUE_DEADLINE_MS = 60000;

let loads = new Map(data.loads.map((f) => [f.code, f]));
let walkIn = data.walk_in;
let chosen = null;
let busy = false;
let screenTimer = null;
let countdown = null;

/** "25 phút", "1 giờ 20 phút": rounded to what a citizen can trust. */
export function duration(seconds) {
  let minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes > 20) minutes = Math.round(minutes / 5) * 5;
  if (minutes < 60) return `${minutes} ${T["kiosk.minutes"]}`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${h} ${T["kiosk.hours"]}` + (m ? ` ${m} ${T["kiosk.minutes"]}` : "");
}

function waitText(seconds, prefix) {
  return seconds < 60 ? T["kiosk.soon"] : `${prefix} ${duration(seconds)}`;
}

function fieldName(code) {
  return (data.fields[code] || { name: code }).name;
}

function show(screen) {
  clearTimeout(screenTimer);
  clearInterval(countdown);
  root.dataset.screen = screen;
  busy = screen === "issuing";
  if (screen === "priority") {
    screenTimer = setTimeout(() => show("start"), PRIORITY_IDLE_S * 1000);
  }
  if (screen === "start") {
    chosen = null;
    renderFields();
  }
  window.scrollTo(0, 0);
}

/** Past the walk-in stop (or before opening) every field greys at once, and one line says
 * why and when to come back, rather than each field refusing after two taps. */
function renderGate() {
  const banner = $("walk-in-closed");
  banner.hidden = walkIn.open;
  banner.textContent = walkIn.open ? "" : walkIn.text;
  root.classList.toggle("walk-ins-closed", !walkIn.open);
}

function renderFields() {
  renderGate();
  for (const button of document.querySelectorAll(".field")) {
    const load = loads.get(button.dataset.code);
    if (!load) continue;
    const meta = button.querySelector(".field-meta");
    button.disabled = !load.available;
    button.setAttribute("aria-disabled", String(!load.available));
    button.classList.toggle("unavailable", !load.available);
    if (!load.available) {
      meta.textContent = load.reason_text;
      continue;
    }
    const wait =
      load.estimated_wait_s === 0
        ? T["kiosk.no_wait"]
        : waitText(load.estimated_wait_s, T["kiosk.wait_about"]);
    meta.replaceChildren(
      Object.assign(document.createElement("span"), {
        className: "meta-waiting",
        textContent: `${load.waiting} ${T["kiosk.waiting"]}`,
      }),
      Object.assign(document.createElement("span"), { className: "meta-wait", textContent: wait }),
    );
  }
}

let refreshTimer = null;
let refreshing = false;
function scheduleRefresh(delay = 300) {
  // Events come in bursts (a call is followed by its start): one fetch per burst.
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, delay);
}

async function refresh() {
  if (refreshing) return scheduleRefresh();
  refreshing = true;
  try {
    const overview = await api("GET", `/api/v1/offices/${data.office}/overview`);
    loads = new Map(overview.fields.map((f) => [f.code, f]));
    walkIn = overview.walk_in;
    if (root.dataset.screen === "start") renderFields();
    if (root.dataset.screen === "priority" && chosen && !loads.get(chosen)?.available) {
      show("start");
    }
  } catch (err) {
    scheduleRefresh(5000);
  } finally {
    refreshing = false;
  }
}

function choose(code) {
  if (busy) return;
  chosen = code;
  $("chosen-field").textContent = `${data.fields[code].prefix} · ${fieldName(code)}`;
  show("priority");
}

async function issue(priority) {
  if (busy || !chosen) return;
  show("issuing");
  $("network").hidden = true;
  $("failed").hidden = true;
  const key = newKey("kiosk");
  const body = { field: chosen };
  if (priority) body.priority = priority;
  if (printer) body.printer = printer;
  const path = `/api/v1/offices/${data.office}/tickets`;
  const deadline = Date.now() + ISSUE_DEADLINE_MS;
  const onRetry = () => ($("network").hidden = false);
  for (let attempt = 0; ; attempt++) {
    try {
      const ticket = await api("POST", path, body, { key, retries: 4, token, onRetry });
      showTicket(ticket, priority);
      return;
    } catch (err) {
      // A 5xx (the data store restarting) is retried like a dropped connection, with the
      // same key; a 4xx is an answer, and retrying it would get the same answer.
      const transient = err.status === 0 || err.status >= 500;
      if (!transient || Date.now() > deadline) {
        $("network").hidden = true;
        $("failed").hidden = false;
        $("failed").textContent = transient ? T["kiosk.failed"] : err.message;
        screenTimer = setTimeout(() => show("start"), 6000);
        busy = false;
        scheduleRefresh(0);
        return;
      }
      onRetry();
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 5000)));
    }
  }
}

function showTicket(ticket, priority) {
  $("ticket-number").textContent = ticket.number;
  $("ticket-field").textContent = fieldName(ticket.field);
  const prio = $("ticket-priority");
  prio.hidden = !priority;
  if (priority) {
    prio.textContent = document.querySelector(`.priority[data-priority="${priority}"]`).textContent;
  }
  $("ticket-ahead").textContent = ticket.position ?? 0;
  $("ticket-wait").textContent = waitText(ticket.estimated_wait_s ?? 0, T["kiosk.about"]);
  $("ticket-qr").src = `/t/${encodeURIComponent(ticket.id)}/qr.svg`;
  $("take-print").hidden = !ticket.print_job;
  show("ticket");
  let left = TICKET_SCREEN_S;
  const tick = () => ($("back-in").textContent = T["kiosk.back_in"].replace("{n}", left));
  tick();
  countdown = setInterval(() => {
    left -= 1;
    if (left <= 0) show("start");
    else tick();
  }, 1000);
  scheduleRefresh(0);
}

function keepQuery() {
  // The lang switch and the appointment link keep ?token= and ?printer=.
  for (const link of document.querySelectorAll("a[data-keep-query]")) {
    const url = new URL(link.href, location.href);
    for (const [k, v] of params) if (!url.searchParams.has(k)) url.searchParams.set(k, v);
    link.href = url.pathname + url.search;
  }
}

function clock() {
  const now = new Date();
  $("clock").textContent = now.toLocaleTimeString(data.lang === "en" ? "en-GB" : "vi-VN", {
    hour: "2-digit",
    minute: "2-digit",
  });
}

for (const button of document.querySelectorAll(".field")) {
  button.addEventListener("click", () => choose(button.dataset.code));
}
for (const button of document.querySelectorAll(".priority")) {
  button.addEventListener("click", () => issue(button.dataset.priority));
}
$("back").addEventListener("click", () => show("start"));
$("done").addEventListener("click", () => show("start"));
document.querySelector(".screen-ticket").addEventListener("click", (e) => {
  if (e.target.id !== "done") show("start");
});
// A kiosk is never for text selection or the long-press menu.
document.addEventListener("contextmenu", (e) => e.preventDefault());

keepQuery();
renderFields();
clock();
setInterval(clock, 15000);

new OfficeStream(data.office, {
  heartbeatS: data.heartbeat_s,
  onSnapshot: () => scheduleRefresh(0),
  onEvent: () => scheduleRefresh(),
  onStatus: (online) => {
    $("offline").hidden = online;
    if (online) scheduleRefresh(0);
  },
}).start();
