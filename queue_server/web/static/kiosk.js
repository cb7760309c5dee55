// The kiosk: choose a field, declare priority, get a number. One idempotency key per tap,
// reused for every retry of that tap, so a dropped connection never issues two tickets.
// It follows the manager's changes live: every event refreshes the fields (names, order,
// added or removed ones, availability), and `office.config_changed` also the office's name
// and the priority classes, without a reload.

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
const fieldList = root.querySelector(".fields");
const priorityList = root.querySelector(".priorities");
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
  // The newest name; a field removed meanwhile keeps the last name the kiosk saw.
  const load = loads.get(code);
  if (load) return data.lang === "en" ? load.name_en : load.name_vi;
  return (data.fields[code] || { name: code }).name;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** A short line above the fields, e.g. why the citizen is back at the start. */
let noticeTimer = null;
function notice(text) {
  clearTimeout(noticeTimer);
  $("notice").textContent = text;
  $("notice").hidden = false;
  noticeTimer = setTimeout(() => ($("notice").hidden = true), 8000);
}

function fieldGone(code) {
  return T["kiosk.field_gone"].replace("{name}", fieldName(code));
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

function fieldButton(code) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "field";
  button.dataset.code = code;
  const text = Object.assign(document.createElement("span"), { className: "field-text" });
  text.append(
    Object.assign(document.createElement("span"), { className: "field-name" }),
    Object.assign(document.createElement("span"), { className: "field-meta" }),
  );
  button.append(Object.assign(document.createElement("span"), { className: "field-prefix" }), text);
  return button;
}

/** One button per field, in the office's order. Buttons are kept by field code and only
 * their texts change, so a rename never moves a button under a citizen's finger; a field
 * added or removed by the manager appears or goes. */
function layoutFields() {
  const old = new Map([...fieldList.querySelectorAll(".field")].map((b) => [b.dataset.code, b]));
  let at = 0;
  for (const load of loads.values()) {
    const button = old.get(load.code) || fieldButton(load.code);
    old.delete(load.code);
    setText(button.querySelector(".field-prefix"), load.prefix);
    setText(button.querySelector(".field-name"), fieldName(load.code));
    if (fieldList.children[at] !== button) fieldList.insertBefore(button, fieldList.children[at] || null);
    at += 1;
  }
  for (const button of old.values()) button.remove();
}

function renderFields() {
  renderGate();
  layoutFields();
  for (const button of fieldList.querySelectorAll(".field")) {
    const load = loads.get(button.dataset.code);
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
    for (const f of overview.fields) data.fields[f.code] = { prefix: f.prefix, name: fieldName(f.code) };
    walkIn = overview.walk_in;
    if (root.dataset.screen === "start") renderFields();
    if (root.dataset.screen === "priority" && chosen) {
      if (loads.get(chosen)?.available) {
        setText($("chosen-field"), chosenText(chosen));
      } else {
        // Removed or closed while the citizen chose a priority: say so rather than
        // dropping them back to the start without a word.
        const text = fieldGone(chosen);
        show("start");
        notice(text);
      }
    }
  } catch (err) {
    scheduleRefresh(5000);
  } finally {
    refreshing = false;
  }
}

function chosenText(code) {
  const load = loads.get(code);
  return `${load ? load.prefix : data.fields[code]?.prefix} · ${fieldName(code)}`;
}

function choose(code) {
  if (busy || !loads.get(code)?.available) return;
  chosen = code;
  $("notice").hidden = true;
  $("chosen-field").textContent = chosenText(code);
  show("priority");
}

/** The office's name and its priority classes, after a manager changed them. */
async function refreshOffice() {
  try {
    const office = await api("GET", `/api/v1/offices/${data.office}`);
    setText(document.querySelector(".kiosk-office-name"), office.name);
    setText(document.querySelector(".kiosk-office-address"), office.address || "");
    const old = new Map(
      [...priorityList.querySelectorAll(".priority")].map((b) => [b.dataset.priority, b]),
    );
    const buttons = office.priorities
      .filter((p) => p.code !== "appointment")
      .map((p) => {
        const button = old.get(p.code) || document.createElement("button");
        button.type = "button";
        button.className = "priority";
        button.dataset.priority = p.code;
        setText(button, data.lang === "en" ? p.name_en : p.name_vi);
        return button;
      });
    priorityList.replaceChildren(...buttons);
  } catch (err) {
    setTimeout(refreshOffice, 5000);
  }
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
        if (err.status === 404 || err.status === 409) {
          // The field was removed (or closed) by a manager while the tap was on its way:
          // the citizen reads that, not the API's words about field codes.
          await refresh();
          if (!loads.get(body.field)?.available) $("failed").textContent = fieldGone(body.field);
        }
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

// On the lists rather than on each button: buttons come and go with the manager's changes.
fieldList.addEventListener("click", (e) => {
  const button = e.target.closest(".field");
  if (button && !button.disabled) choose(button.dataset.code);
});
root.querySelector(".screen-priority").addEventListener("click", (e) => {
  const button = e.target.closest(".priority");
  if (button) issue(button.dataset.priority);
});
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
  onEvent: (msg) => {
    scheduleRefresh();
    if (msg.type === "office.config_changed") refreshOffice();
  },
  onStatus: (online) => {
    $("offline").hidden = online;
    if (online) scheduleRefresh(0);
  },
}).start();
