// The citizen's ticket on their phone: live place in line, the counter when called, and a
// clear end. Refetches the ticket when the office stream says something moved (the public
// stream carries no ticket ids), and every 30 s in case the stream is quietly broken.

import { api, newKey } from "/static/api.js";
import { OfficeStream } from "/static/realtime.js";

const data = JSON.parse(document.getElementById("ticket-data").textContent);
const T = data.texts;
const FINAL = ["done", "no_show", "cancelled"];
const POLL_MS = 30000;
const $ = (id) => document.getElementById(id);
const root = $("tk");

let ticket = data.ticket;
let stream = null;
let poller = null;
let timer = null;
let fetching = false;

function duration(seconds) {
  let minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes > 20) minutes = Math.round(minutes / 5) * 5;
  if (minutes < 60) return `${minutes} ${T["ticket.minutes"]}`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${h} ${T["ticket.hours"]}` + (m ? ` ${m} ${T["ticket.minutes"]}` : "");
}

function time(ms) {
  return new Date(ms).toLocaleTimeString(data.lang === "en" ? "en-GB" : "vi-VN", {
    hour: "2-digit",
    minute: "2-digit",
  });
}

function render() {
  const was = root.dataset.status;
  root.dataset.status = ticket.status;
  $("status").textContent = T[`ticket.status.${ticket.status}`];
  // A transfer can move the ticket to another field; its number stays.
  if (data.fields[ticket.field]) $("field").textContent = data.fields[ticket.field].name;
  if (ticket.status === "waiting") {
    $("ahead").textContent = ticket.position ?? "–";
    const s = ticket.estimated_wait_s;
    $("wait").textContent =
      s == null ? "–" : s < 60 ? T["ticket.soon"] : `${T["ticket.about"]} ${duration(s)}`;
    renderWhere();
  }
  if (ticket.status === "called" || ticket.status === "serving") {
    $("call-lead").textContent =
      ticket.status === "called" ? T["ticket.go_to"] : T["ticket.serving_at"];
    $("call-counter").textContent = `${T["ticket.counter"]} ${ticket.counter}`;
    $("call-hint").hidden = ticket.status !== "called";
    if (was !== ticket.status && ticket.status === "called" && navigator.vibrate) {
      navigator.vibrate([300, 150, 300]);
    }
  }
  if (FINAL.includes(ticket.status)) {
    $("final-text").textContent = T[`ticket.${ticket.status}_text`];
    $("rate").hidden = ticket.status !== "done"; // the rating page (web/ratings.py)
    stop();
  }
}

/** A ticket sent to one counter says which, and says so when that counter is not open:
 * no one calls it until it opens, so "very soon" would mislead. */
function renderWhere() {
  const at = ticket.waiting_at;
  $("where").hidden = !at;
  $("where-note").hidden = !at || at.status === "open";
  if (!at) return;
  $("where").textContent = T["ticket.waiting_at"].replace("{counter}", at.name);
  if (at.status === "open") return;
  $("where-note").textContent = T[`ticket.counter_${at.status}`].replace("{counter}", at.name);
  $("wait").textContent = T["ticket.wait_counter"];
}

function stop() {
  if (stream) stream.stop();
  clearInterval(poller);
  clearTimeout(timer);
  stream = null;
}

function schedule(delay = 150) {
  clearTimeout(timer);
  timer = setTimeout(refetch, delay);
}

async function refetch() {
  if (FINAL.includes(ticket.status)) return;
  if (fetching) return schedule();
  fetching = true;
  try {
    ticket = await api("GET", `/api/v1/tickets/${encodeURIComponent(ticket.id)}`);
    $("live-text").textContent = `${T["ticket.updated"]} ${time(Date.now())}`;
    render();
  } catch (err) {
    $("live-text").textContent = T["ticket.reconnecting"];
  } finally {
    fetching = false;
  }
}

function concerns(event) {
  // Only what can move this ticket: its lane, its own number, or counters opening/closing.
  if (!event.type.startsWith("ticket.")) return true;
  const d = event.data || {};
  return d.lane === ticket.lane || d.number === ticket.number || event.type === "ticket.transferred";
}

$("cancel").addEventListener("click", () => $("confirm").showModal());
$("confirm").addEventListener("close", async () => {
  if ($("confirm").returnValue !== "yes") return;
  $("error").hidden = true;
  try {
    ticket = {
      ...ticket,
      ...(await api("POST", `/api/v1/tickets/${encodeURIComponent(ticket.id)}/cancel`, undefined, {
        key: newKey("ticket"),
        retries: 3,
      })),
    };
    render();
  } catch (err) {
    $("error").textContent = `${T["ticket.cancel_failed"]} ${err.message}`;
    $("error").hidden = false;
    schedule(0);
  }
});

render();
if (!FINAL.includes(ticket.status)) {
  stream = new OfficeStream(ticket.office, {
    heartbeatS: data.heartbeat_s,
    onSnapshot: () => schedule(0),
    onEvent: (event) => concerns(event) && schedule(),
    onStatus: (online) => {
      if (!online) $("live-text").textContent = T["ticket.reconnecting"];
      else schedule(0);
    },
  });
  stream.start();
  poller = setInterval(() => schedule(0), POLL_MS);
}
