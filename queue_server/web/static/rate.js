// The rating screen. Tablet mode: idle until the office stream shows `ticket.finished` at
// this counter, then the scale for that ticket; back to idle after thanks or when nobody
// taps. Phone mode: the scale for the ticket of the page at once.
import { OfficeStream } from "/static/realtime.js";
import { api, newKey } from "/static/api.js";

const root = document.querySelector("main.rt");
const mode = root.dataset.mode;
const texts = JSON.parse(root.dataset.texts || "{}");
const $ = (sel) => root.querySelector(sel);
const sections = ["idle", "ask", "reason", "thanks", "done"];

let current = null; // {id, number}
let chosen = null; // level
let idleTimer = null;
let busy = false;

function show(name) {
  for (const s of sections) {
    const el = $(".rt-" + s);
    if (el) el.hidden = s !== name;
  }
  $(".rt-error").hidden = true;
  root.dataset.state = name;
}

function error(text) {
  const el = $(".rt-error");
  el.textContent = text;
  el.hidden = false;
}

function armIdle(seconds) {
  clearTimeout(idleTimer);
  if (mode !== "tablet") return;
  idleTimer = setTimeout(toIdle, seconds * 1000);
}

function toIdle() {
  clearTimeout(idleTimer);
  current = null;
  chosen = null;
  busy = false;
  show("idle");
}

function ask(ticket) {
  current = ticket;
  chosen = null;
  busy = false;
  $(".rt-ticket").textContent = (texts["rate.js.for_ticket"] || "{number}").replace(
    "{number}", ticket.number);
  for (const b of root.querySelectorAll(".rt-preset")) b.setAttribute("aria-pressed", "false");
  $(".rt-other textarea").value = "";
  show("ask");
  armIdle(Number(root.dataset.idle || 60));
}

async function send(reason) {
  if (!current || busy) return;
  busy = true;
  try {
    await api("POST", `/api/v1/tickets/${encodeURIComponent(current.id)}/rating`,
      reason ? { level: chosen, reason } : { level: chosen }, { key: newKey("rate"), retries: 2 });
    show("thanks");
  } catch (err) {
    // Already rated (the phone was quicker), not finished, offline: say so, then idle.
    show("error");
    error(err.message);
  }
  busy = false;
  armIdle(Number(root.dataset.thanks || 4));
}

function reasonText() {
  const pressed = root.querySelector(".rt-preset[aria-pressed=true]");
  const other = $(".rt-other textarea").value.trim();
  if (other) return other;
  return pressed ? pressed.dataset.reason : "";
}

root.addEventListener("click", (e) => {
  const level = e.target.closest(".rt-level");
  const preset = e.target.closest(".rt-preset");
  if (level) {
    chosen = Number(level.dataset.level);
    if (level.dataset.negative === "1") {
      show("reason");
      armIdle(Number(root.dataset.idle || 60));
    } else {
      send("");
    }
  } else if (preset) {
    for (const b of root.querySelectorAll(".rt-preset")) {
      b.setAttribute("aria-pressed", b === preset ? "true" : "false");
    }
    armIdle(Number(root.dataset.idle || 60));
  } else if (e.target.closest(".rt-send")) {
    send(reasonText());
  } else if (e.target.closest(".rt-skip")) {
    send("");
  }
});
root.addEventListener("input", () => armIdle(Number(root.dataset.idle || 60)));

if (mode === "phone") {
  ask({ id: root.dataset.ticket, number: root.dataset.number });
} else {
  const counter = Number(root.dataset.counter);
  // Server time minus ours: an event is fresh by the server's clock, whatever the tablet's.
  const offset = Number(root.dataset.now) - Date.now();
  const freshMs = Number(root.dataset.fresh || 60) * 1000;
  const status = $(".rt-status");
  show("idle");
  new OfficeStream(root.dataset.office, {
    token: root.dataset.token || undefined,
    heartbeatS: Number(root.dataset.heartbeat || 10),
    onSnapshot() {},
    onEvent(ev) {
      const t = ev.data || {};
      if (ev.type !== "ticket.finished" || Number(t.counter) !== counter || !t.id) return;
      const at = Number(ev.id.split("-")[0]);
      if (Date.now() + offset - at > freshMs) return; // replayed after a reconnect
      ask({ id: t.id, number: t.number });
    },
    onStatus(online) {
      status.hidden = online;
    },
  }).start();
}
